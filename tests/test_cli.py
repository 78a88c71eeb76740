"""`tarlens inspect`: output formats, the JSON contract, exit codes, one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import tarlens
from fixtures import tarcraft as tc
from tarlens._cli import main
from tests.conftest import pack, pj, tgz

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "examples"
STAGED = EXAMPLES / "greeter-1.4.1-staged.tgz"
PREVIOUS = EXAMPLES / "greeter-1.4.0.tgz"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tarlens", *args],
        input=stdin.decode("latin-1") if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write(tmp_path: Path, data: bytes, name: str = "x.tgz") -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def test_json_has_the_contract_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(STAGED), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    for key in (
        "name",
        "version",
        "integrity",
        "shasum",
        "files",
        "scripts",
        "dependencies",
        "bundled",
        "entries",
        "findings",
    ):
        assert key in doc
    assert doc["name"] == "@example/greeter"
    assert doc["version"] == "1.4.1"
    assert doc["integrity"].startswith("sha512-")
    assert len(doc["shasum"]) == 40
    for f in doc["files"]:
        assert {"path", "size", "mode", "sha256"} <= set(f)
    assert "lib/telemetry.js" in {f["path"] for f in doc["files"]}
    for f in doc["findings"]:
        assert {"rule_id", "severity", "message", "path"} <= set(f)
        assert f["severity"] in {"info", "low", "medium", "high", "critical"}
    assert {"ARC014", "DEP001", "SCR001"} <= {f["rule_id"] for f in doc["findings"]}


def test_text_output_names_the_scripts_and_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(STAGED)]) == 1
    out = capsys.readouterr().out
    assert "postinstall: node lib/telemetry.js" in out
    assert "greeter-native github:greeter-dev/greeter-native#v1 (git, optional)" in out
    assert "ARC014" in out


@pytest.mark.parametrize(("fail_on", "code"), [("high", 0), ("low", 1), ("none", 0)])
def test_fail_on_threshold(
    fail_on: str, code: int, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # an ordinary package with one low finding (an install script)
    path = write(
        tmp_path, pack({"package.json": pj(scripts={"postinstall": "node i.js"}), "i.js": b""})
    )
    assert main(["inspect", path, "--fail-on", fail_on]) == code


def test_previous_example_is_clean_at_high(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(PREVIOUS)]) == 0


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a tarball at all" * 50,
        tc.gzip(tc.file("package/a.js", b"x") + tc.end())[:30],
        tgz(tc.file("package/package.json", b"{oops")),
    ],
)
def test_unreadable_input_exits_2_with_one_line(tmp_path: Path, data: bytes) -> None:
    result = run("inspect", write(tmp_path, data))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("tarlens: error: ")
    assert "Traceback" not in result.stderr


def test_missing_file_and_bad_flag_exit_2(tmp_path: Path) -> None:
    result = run("inspect", str(tmp_path / "missing.tgz"))
    assert (result.returncode, result.stderr.count("\n")) == (2, 1)
    assert "no such file" in result.stderr
    result = run("inspect", str(STAGED), "--format", "yaml")
    assert result.returncode == 2
    assert result.stderr.startswith("tarlens: error:")


def test_limit_flags_reach_the_reader(tmp_path: Path) -> None:
    path = write(tmp_path, pack({"a.js": b"1", "b.js": b"2"}))
    result = run("inspect", path, "--max-entries", "2")
    assert result.returncode == 2
    assert "max_entries" in result.stderr and "--max-entries" in result.stderr
    result = run("inspect", path, "--max-entries", "0")
    assert result.returncode == 2
    assert "max_entries" in result.stderr


def test_stdin_is_accepted(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tarlens", "inspect", "-", "--format", "json"],
        input=PREVIOUS.read_bytes(),
        capture_output=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["version"] == "1.4.0"


def test_attacker_text_cannot_drive_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = "\x1b]0;pwned\x07\x1b[2J\u202e"
    path = write(
        tmp_path,
        pack({"package.json": pj(scripts={"postinstall": f"node {evil}.js"}), f"{evil}.js": b""}),
    )
    main(["inspect", path])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "\\u001b]0;pwned" in out


def test_rules_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    for r in rules:
        assert {"id", "name", "severity", "confidence", "summary"} <= set(r)
    assert main(["explain", "lone-zero-block"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("ARC014 lone-zero-block")
    assert "## Why is this risky" in page
    assert run("explain", "NOPE999").returncode == 2


def test_version_is_fast_to_import() -> None:
    code = "import sys, tarlens; print(sorted(m for m in sys.modules if m.startswith('tarlens')))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['tarlens']"  # nothing else is imported until it is used


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    from tarlens._render import inspect_text, use_color

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_color(Tty(), {})
    assert not use_color(Tty(), {"NO_COLOR": "1"})
    assert not use_color(io.StringIO(), {})
    m = tarlens.load(STAGED)
    report = tarlens.check(m)
    coloured = inspect_text(m, report, color=True)
    assert "\x1b[31mHIGH" in coloured
    plain = inspect_text(m, report)
    assert "\x1b" not in plain
