"""`tarlens scan` and `tarlens.scan_many`/`scan_dask`: one result per tarball, errors
included, the same results with one worker or many, a dying worker, the JSON Lines contract."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import tarlens
from fixtures import hostile
from fixtures import tarcraft as tc
from tarlens._cli import main
from tarlens._scan import ScanErrorKind, ScanResult, find_tarballs
from tests.conftest import pack, pj, tgz
from tests.test_renderers import _closed

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "fixtures" / "examples"
STAGED = EXAMPLES / "greeter-1.4.1-staged.tgz"
PREVIOUS = EXAMPLES / "greeter-1.4.0.tgz"
SCHEMA = ROOT / "src" / "tarlens" / "schema" / "scan.schema.json"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tarlens", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(_closed(schema))


def lines(text: str, validator: jsonschema.Draft202012Validator) -> list[dict[str, Any]]:
    docs = [json.loads(line) for line in text.splitlines()]
    for doc in docs:
        errors = list(validator.iter_errors(doc))
        assert not errors, (doc["path"], [e.message for e in errors[:5]])
    return docs


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A directory as a mirror might hold it: good, bad and broken tarballs, other files,
    a subdirectory and symbolic links that the walk must not follow."""
    top = tmp_path / "mirror"
    (top / "sub" / "deeper").mkdir(parents=True)
    shutil.copy(PREVIOUS, top / "a-previous.tgz")
    shutil.copy(STAGED, top / "b-staged.tgz")
    (top / "c-not-a-tarball.tgz").write_bytes(b"not a tarball at all" * 50)
    (top / "d-truncated.tar.gz").write_bytes(
        tc.gzip(tc.file("package/a.js", b"x" * 5000) + tc.end())[:60]
    )
    (top / "e-bad-package-json.tar").write_bytes(
        tc.file("package/package.json", b"{oops") + tc.end()
    )
    (top / "README.txt").write_text("not scanned")
    (top / "notes.tgz.txt").write_text("not scanned either")
    (top / "sub" / "deeper" / "f-clean.TGZ").write_bytes(pack({"index.js": b"module.exports=1\n"}))
    (top / "sub" / "g-hostile.tgz").write_bytes(hostile.BY_NAME["symlink-escape"].build())
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.tgz").write_bytes(pack({}))
    (top / "link-to-dir").symlink_to(outside, target_is_directory=True)
    (top / "link-to-file.tgz").symlink_to(outside / "x.tgz")
    return top


WALKED = [
    "a-previous.tgz",
    "b-staged.tgz",
    "c-not-a-tarball.tgz",
    "d-truncated.tar.gz",
    "e-bad-package-json.tar",
    "sub/deeper/f-clean.TGZ",
    "sub/g-hostile.tgz",
]
BROKEN = {"c-not-a-tarball.tgz", "d-truncated.tar.gz", "e-bad-package-json.tar"}


def test_directories_are_walked_sorted_recursively_without_links(tree: Path) -> None:
    found = find_tarballs([tree])
    assert [os.path.relpath(p, tree) for p in found] == WALKED
    # a file named explicitly is taken whatever its name, and never twice
    named = find_tarballs([tree / "README.txt", tree, tree / "b-staged.tgz"])
    assert [os.path.relpath(p, tree) for p in named] == ["README.txt", *WALKED]
    # a symbolic link named explicitly is followed: the caller asked for it
    assert find_tarballs([tree / "link-to-file.tgz"]) == [str(tree / "link-to-file.tgz")]
    with pytest.raises(tarlens.InputError, match="no such file"):
        find_tarballs([tree / "missing"])


def test_jsonl_is_one_object_per_tarball_errors_included(
    tree: Path, validator: jsonschema.Draft202012Validator
) -> None:
    result = run("scan", str(tree), "--format", "jsonl", "--workers", "2")
    docs = lines(result.stdout, validator)
    assert [os.path.relpath(d["path"], tree) for d in docs] == WALKED
    assert [d["index"] for d in docs] == list(range(len(WALKED)))
    by_name = {os.path.relpath(d["path"], tree): d for d in docs}
    for name, doc in by_name.items():
        assert doc["ok"] is (name not in BROKEN), name
    for name in BROKEN:
        doc = by_name[name]
        assert doc["error"]["kind"] == "input"
        assert doc["error"]["type"] in {"ArchiveError", "PackageJsonError"}
        assert doc["name"] is None
        assert doc["findings"] == []
    staged = by_name["b-staged.tgz"]
    assert (staged["name"], staged["version"]) == ("@example/greeter", "1.4.1")
    assert staged["max_severity"] == "critical"
    assert staged["counts"] == {"critical": 1, "high": 2, "medium": 0, "low": 1, "info": 0}
    assert {"SCR015", "ARC014", "DEP001"} <= {f["rule_id"] for f in staged["findings"]}
    hostile_doc = by_name["sub/g-hostile.tgz"]
    assert hostile_doc["ok"]
    assert hostile_doc["findings"]
    # any unreadable tarball: exit 2, after every line; the summary is on stderr
    assert result.returncode == 2
    assert result.stderr.splitlines()[-2].startswith("tarlens: 7 tarballs in ")
    assert "3 unreadable" in result.stderr
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal


def test_one_worker_and_two_give_the_same_results(tree: Path) -> None:
    one = list(tarlens.scan_many([tree], workers=1))
    two = list(tarlens.scan_many([tree], workers=2))
    assert one == two
    assert [r.index for r in two] == list(range(len(WALKED)))
    assert all(isinstance(r, ScanResult) for r in two)
    # as completed: every index once, with on_result seeing each result as it arrives
    seen: list[ScanResult] = []
    unordered = list(tarlens.scan_many([tree], workers=2, ordered=False, on_result=seen.append))
    assert sorted(r.index for r in unordered) == list(range(len(WALKED)))
    assert seen == unordered
    assert sorted(unordered, key=lambda r: r.index) == one


def test_cli_jsonl_with_one_or_two_workers_differs_only_in_timings(tree: Path) -> None:
    def strip(text: str) -> list[dict[str, Any]]:
        return [{**json.loads(x), "seconds": 0} for x in text.splitlines()]

    one = run("scan", str(tree), "--format", "jsonl", "-j", "1")
    two = run("scan", str(tree), "--format", "jsonl", "-j", "2")
    assert strip(one.stdout) == strip(two.stdout)
    assert one.returncode == two.returncode == 2


def test_results_carry_what_inspect_would_say() -> None:
    (result,) = tarlens.scan_many([STAGED], workers=1, select=["ARC", "SCR"])
    manifest = tarlens.load(STAGED)
    report = tarlens.check(manifest, select=["ARC", "SCR"])
    assert result.ok
    assert result.findings == report.findings
    assert (result.integrity, result.shasum, result.size) == (
        manifest.integrity,
        manifest.shasum,
        manifest.size,
    )
    assert (result.files, result.unpacked_size) == (len(manifest.files), manifest.unpacked_size)
    assert result.max_severity == tarlens.Severity.CRITICAL
    assert not any(f.rule_id.startswith("DEP") for f in result.findings)


def test_limits_and_config_reach_the_workers(tmp_path: Path) -> None:
    big = tmp_path / "big.tgz"
    big.write_bytes(pack({"index.js": b"x" * 4096}))
    (limited,) = tarlens.scan_many([big], workers=2, limits=tarlens.Limits(max_file_bytes=100))
    assert limited.error is not None
    assert (limited.error.kind, limited.error.type) == (ScanErrorKind.INPUT, "LimitExceeded")
    config = tarlens.Config(severity={"SCR001": "critical"})
    scripted = tmp_path / "scripted.tgz"
    scripted.write_bytes(
        pack({"package.json": pj(scripts={"postinstall": "node i.js"}), "i.js": b""})
    )
    results = list(tarlens.scan_many([scripted, STAGED], workers=2, config=config))
    assert [r.max_severity for r in results] == [tarlens.Severity.CRITICAL] * 2


def test_an_unexpected_exception_is_an_internal_error_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tarlens._reader

    def boom(*_a: object, **_k: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(tarlens._reader, "load", boom)
    (result,) = tarlens.scan_many([PREVIOUS], workers=1)
    assert result.error == tarlens.ScanError(ScanErrorKind.INTERNAL, "KeyError", "'bug'")
    assert not result.ok


@pytest.mark.parametrize(("fail_on", "code"), [("high", 0), ("low", 1), ("none", 0)])
def test_exit_status_follows_fail_on(
    tmp_path: Path, fail_on: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "one.tgz").write_bytes(
        pack({"package.json": pj(scripts={"postinstall": "node i.js"}), "i.js": b""})
    )
    shutil.copy(PREVIOUS, tmp_path / "two.tgz")
    assert main(["scan", str(tmp_path), "--fail-on", fail_on, "--no-progress"]) == code
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4  # a line per tarball, then the summary's two lines
    assert out[0].startswith("LOW ")
    assert out[1].startswith("ok ")
    assert out[2].startswith("2 tarballs in ")
    assert out[3] == "findings: 0 critical, 0 high, 0 medium, 1 low, 0 info"


def test_findings_at_fail_on_exit_1_and_name_their_rules(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scan", str(STAGED), str(PREVIOUS), "--format", "jsonl"]) == 1
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 2
    assert "1 failed (--fail-on high)" in captured.err
    assert main(["scan", str(STAGED)]) == 1
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("CRITICAL ")
    assert "[SCR015 ARC014 DEP001]" in line


def test_fatal_errors_are_one_line_and_no_output(tmp_path: Path) -> None:
    for args in (
        ("scan", str(tmp_path / "missing.tgz"), "--format", "jsonl"),
        ("scan", str(tmp_path), "--format", "jsonl"),  # nothing to scan
        ("scan", str(STAGED), "--workers", "0"),
        ("scan", str(STAGED), "--format", "json"),
    ):
        result = run(*args)
        assert result.returncode == 2, args
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith("tarlens: error: ")


def test_attacker_text_cannot_drive_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = tmp_path / "evil\x1b[2J.tgz"
    evil.write_bytes(tgz(tc.file("package/package.json", pj(name="x\x1b]0;owned\x07"))))
    main(["scan", str(evil)])
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\\u001b[2J" in out


def test_progress_bar_only_when_stderr_is_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["scan", str(PREVIOUS), str(PREVIOUS.parent), "--format", "jsonl"]) == 1
    err = tty.getvalue()
    assert "scanning [" in err
    assert "2/2" in err
    assert err.rstrip("\n").splitlines()[-1].startswith("tarlens: findings:")
    assert len(capsys.readouterr().out.splitlines()) == 2
    quiet = Tty()
    monkeypatch.setattr(sys, "stderr", quiet)
    main(["scan", str(PREVIOUS), "--format", "jsonl", "--no-progress"])
    assert "scanning [" not in quiet.getvalue()


KILLER = """
import os, signal
from tarlens.rules import Confidence, Evidence, Severity, rule

@rule(id='KIL001', name='kill-the-worker', severity=Severity.LOW, confidence=Confidence.HIGH)
def kill(release):
    '''Dies like a worker the kernel killed for its memory.

## What it does
x

## Why is this risky
y

## Example
z
'''
    if release.manifest.name == 'kill-me':
        os.kill(os.getpid(), signal.SIGKILL)
    if release.manifest.name == 'crash-me':
        raise RuntimeError('rule bug')
    yield from ()
"""


def test_a_worker_that_dies_is_that_tarballs_result_and_the_scan_goes_on(
    tmp_path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    """A rule plugin kills its own process on one tarball: that tarball's result says the
    worker died (it is read again alone first), every other tarball is judged as usual."""
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "killer_rules.py").write_text(KILLER)
    dist = plugin / "killer_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: killer-rules\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[tarlens.rules]\nkiller = killer_rules\n")
    top = tmp_path / "tarballs"
    top.mkdir()
    names = ["ok-1", "ok-2", "kill-me", "ok-3", "crash-me", "ok-4", "ok-5", "ok-6"]
    for i, name in enumerate(names):
        (top / f"{i:02d}-{name}.tgz").write_bytes(pack({"package.json": pj(name=name)}))
    env = {"PYTHONPATH": os.pathsep.join([str(plugin), str(ROOT)])}
    result = run("scan", str(top), "--format", "jsonl", "-j", "2", env=env)
    docs = lines(result.stdout, validator)
    assert [d["name"] or names[d["index"]] for d in docs] == names
    died = docs[names.index("kill-me")]
    assert died["error"]["kind"] == "worker-died"
    crashed = docs[names.index("crash-me")]
    assert crashed["ok"]
    assert crashed["rule_errors"] == [{"rule_id": "KIL001", "message": "RuntimeError: rule bug"}]
    assert "rule KIL001 crashed" in result.stderr
    assert all(d["ok"] for d in docs if d["name"] not in (None, "kill-me"))
    assert result.returncode == 2


def test_importing_scan_imports_no_process_pool_or_network_module() -> None:
    code = (
        "import sys, tarlens; tarlens.scan_many; tarlens.ScanResult; "
        "print(sorted(m for m in ('socket', 'multiprocessing', 'concurrent.futures.process',"
        " 'dask') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_scan_dask_on_a_local_cluster(tree: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        results = tarlens.scan_dask([tree], client=client, npartitions=3)
        pids = client.run(os.getpid)
    assert len(pids) == 2
    assert os.getpid() not in pids.values()
    assert results == list(tarlens.scan_many([tree], workers=1))
    assert [os.path.relpath(r.path, tree) for r in results] == WALKED
    assert {os.path.relpath(r.path, tree) for r in results if not r.ok} == BROKEN
