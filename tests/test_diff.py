"""`tarlens.diff` and `tarlens diff`: typed changes between two releases."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

import tarlens
from fixtures import tarcraft as tc
from tarlens import ChangeStatus, SourceType
from tarlens._cli import main
from tests.conftest import pack, pj
from tests.corpus import npm_pack

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "examples"


def d(
    old: dict[str, bytes | tuple[bytes, int]], new: dict[str, bytes | tuple[bytes, int]]
) -> tarlens.ReleaseDiff:
    return tarlens.diff(pack(old), pack(new))


def test_added_removed_modified_renamed_and_mode_only() -> None:
    r = d(
        {"a.js": b"a", "b.js": b"b", "moved.js": b"same bytes", "x.sh": (b"x", 0o644)},
        {"a.js": b"A", "c.js": b"c", "lib/moved.js": b"same bytes", "x.sh": (b"x", 0o755)},
    )
    assert r.added == ("c.js", "lib/moved.js")
    assert r.removed == ("b.js", "moved.js")
    assert r.modified == ("a.js", "x.sh")
    assert r.renamed == (("moved.js", "lib/moved.js"),)
    (mode_only,) = [c for c in r.files if c.path == "x.sh"]
    assert (mode_only.mode_changed, mode_only.content_changed) == (True, False)


def test_a_change_invisible_after_utf8_decoding_is_still_a_change() -> None:
    r = d({"data.txt": b"ab\xff\xfe"}, {"data.txt": b"ab\xc0\xc1"})
    assert r.modified == ("data.txt",)


def test_prepended_lines_are_located() -> None:
    body = b"".join(b"line %d\n" % i for i in range(50))
    r = d({"dist/index.js": body}, {"dist/index.js": b"evil();\nmore();\nagain();\n" + body})
    text = r.file("dist/index.js").text  # type: ignore[union-attr]
    assert text is not None
    assert (text.lines_added, text.lines_removed) == (3, 0)
    assert text.summary == "3 lines prepended"
    assert text.hunks[0].new_start == 1


def test_one_long_line_appended() -> None:
    body = b"module.exports = 1\n"
    blob = b"eval(atob('" + b"QUJD" * 5000 + b"'))"
    r = d({"index.js": body}, {"index.js": body + blob})
    text = r.file("index.js").text  # type: ignore[union-attr]
    assert text is not None
    assert text.summary == f"one {len(blob)}-byte line appended"
    assert text.longest_added_line == len(blob)
    assert text.added_entropy > 2


def test_scripts_dependencies_and_fields() -> None:
    r = d(
        {
            "package.json": pj(
                scripts={"test": "jest"}, dependencies={"a": "^1", "b": "^2"}, main="index.js"
            ),
            "index.js": b"",
        },
        {
            "package.json": pj(
                version="1.0.1",
                scripts={"test": "jest", "postinstall": "node s.js"},
                dependencies={"a": "github:evil/a", "c": "^3"},
                main="lib/x.js",
            ),
            "index.js": b"",
            "s.js": b"x",
        },
    )
    (script,) = r.scripts
    assert (script.event, script.old, script.new, script.install_time) == (
        "postinstall",
        None,
        "node s.js",
        True,
    )
    assert script.runs_changed_files == ("s.js",)
    deps = {(c.name, str(c.status)): c for c in r.dependencies}
    assert set(deps) == {("a", "modified"), ("b", "removed"), ("c", "added")}
    assert deps["a", "modified"].source_changed
    assert deps["a", "modified"].new.source is SourceType.GIT  # type: ignore[union-attr]
    assert {f.field for f in r.fields} == {"version", "main"}


def test_unchanged_install_script_running_a_changed_file() -> None:
    meta = pj(scripts={"postinstall": "node setup.js"})
    r = d(
        {"package.json": meta, "setup.js": b"ok()"}, {"package.json": meta, "setup.js": b"evil()"}
    )
    (script,) = r.scripts
    assert script.old == script.new == "node setup.js"
    assert script.runs_changed_files == ("setup.js",)


def test_other_package_json_changes_are_json_pointers() -> None:
    r = d(
        {"package.json": pj(funding={"url": "https://a"}, keywords=["x"])},
        {
            "package.json": pj(
                funding={"url": "https://b/evil"}, keywords=["x", "y"], config={"a/b": 1}
            )
        },
    )
    pointers = {(c.pointer, c.change) for c in r.package_json}
    assert (
        pointers == {("/funding/url", "changed"), ("/keywords/1", "added"), ("/config", "added")}
        or ("/config/a~1b", "added") in pointers
    )


def test_a_member_with_many_values_is_compared_whole() -> None:
    """deepdiff walks values in Python (200,000 took it 7 s and 500 MiB): a top-level member
    of package.json with more than MAX_DEEPDIFF_VALUES is one change at its pointer, and
    the small members beside it are compared value by value as before."""
    from tarlens._diff import MAX_DEEPDIFF_VALUES

    n = MAX_DEEPDIFF_VALUES + 1
    r = d(
        {"package.json": pj(big=list(range(n)), funding={"url": "https://a"})},
        {"package.json": pj(big=list(range(1, n + 1)), funding={"url": "https://b"})},
    )
    changes = {c.pointer: c for c in r.package_json}
    assert set(changes) == {"/big", "/funding/url"}
    assert changes["/big"].change == "changed"
    assert changes["/big"].new[-1] == n
    assert changes["/funding/url"].new == "https://b"
    r = d({"package.json": pj(big=list(range(n)))}, {"package.json": pj(big={"k": 1})})
    assert [(c.pointer, c.change) for c in r.package_json] == [("/big", "type-changed")]


def test_bundled_and_shrinkwrap_changes() -> None:
    old = {
        "package.json": pj(bundleDependencies=["h"]),
        "node_modules/h/package.json": b'{"name": "h", "version": "1.0.0"}',
    }
    new = {
        "package.json": pj(bundleDependencies=["h"]),
        "node_modules/h/package.json": json.dumps(
            {"name": "h", "version": "1.0.1", "scripts": {"install": "node i.js"}}
        ).encode(),
        "npm-shrinkwrap.json": json.dumps(
            {
                "lockfileVersion": 3,
                "packages": {
                    "node_modules/x": {
                        "version": "1.0.0",
                        "resolved": "https://evil.example/x.tgz",
                        "hasInstallScript": True,
                    }
                },
            }
        ).encode(),
    }
    r = d(old, new)
    (bundled,) = r.bundled
    assert bundled.status is ChangeStatus.MODIFIED
    assert bundled.new is not None and [s.event for s in bundled.new.scripts] == ["install"]
    (sw,) = r.shrinkwrap
    assert (sw.status, sw.new_source, sw.has_install_script) == (
        ChangeStatus.ADDED,
        SourceType.REMOTE,
        True,
    )


def test_new_anomalies_and_packing_changes() -> None:
    old = pack({"a.js": b"1"})
    tar = (
        tc.file("package/package.json", pj(), mtime=1_700_000_000, uid=1000)
        + tc.file("package/a.js", b"1")
        + tc.zero_block()
        + tc.file("package/b.js", b"2")
        + tc.end()
    )
    r = tarlens.diff(old, tc.gzip(tar, os_byte=3))
    assert {a.kind for a in r.new_anomalies} >= {tarlens.AnomalyKind.LONE_ZERO_BLOCK}
    assert any("gzip header os 255 -> 3" in p for p in r.packing)
    assert any("like `npm pack`" in p for p in r.packing)


def test_mass_deletion() -> None:
    old = {f"lib/{i}.js": b"x" * 500 for i in range(10)}
    r = d(old, {"lib/0.js": b"x" * 500})
    assert r.mass_deletion
    assert not d(old, {**old, "lib/new.js": b"y"}).mass_deletion


def test_unified_is_bounded_and_names_both_sides() -> None:
    old = b"".join(b"%d\n" % i for i in range(5000))
    new = b"".join(b"%d!\n" % i for i in range(5000))
    r = d({"big.js": old}, {"big.js": new})
    text = r.unified("big.js", max_lines=100)
    assert text.startswith("--- a/big.js\n+++ b/big.js\n")
    assert text.count("\n") == 101 and text.endswith("(cut at 100 lines)\n")


def test_manifests_from_streams_still_diff_at_file_level() -> None:
    a = tarlens.load(io.BytesIO(pack({"a.js": b"1"})))
    b = tarlens.load(io.BytesIO(pack({"a.js": b"2"})))
    r = tarlens.diff(a, b)
    assert r.modified == ("a.js",)
    assert r.file("a.js").text is None  # type: ignore[union-attr]
    assert r.notes and "stream" in r.notes[0]


def test_findings_of_the_new_release_come_with_the_diff() -> None:
    r = tarlens.diff(EXAMPLES / "greeter-1.4.0.tgz", EXAMPLES / "greeter-1.4.1-staged.tgz")
    report = tarlens.check(r.new, diff=r)
    assert {"ARC014", "DEP001"} <= {f.rule_id for f in report.at_least(tarlens.Severity.HIGH)}


def test_cli_diff_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "diff",
            str(EXAMPLES / "greeter-1.4.0.tgz"),
            str(EXAMPLES / "greeter-1.4.1-staged.tgz"),
            "--format",
            "json",
        ]
    )
    assert code == 1
    doc = json.loads(capsys.readouterr().out)
    for side in ("old", "new"):
        assert {"name", "version", "integrity"} <= set(doc[side])
    assert doc["old"]["version"] == "1.4.0" and doc["new"]["version"] == "1.4.1"
    assert doc["files"]["added"] == ["lib/telemetry.js"]
    assert doc["files"]["removed"] == []
    assert doc["files"]["modified"] == ["package.json"]
    for f in doc["findings"]:
        assert {"rule_id", "severity", "message", "path"} <= set(f)
    assert doc["scripts"][0]["runs_changed_files"] == ["lib/telemetry.js"]


def test_cli_diff_text_and_exit_codes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert (
        main(
            [
                "diff",
                str(EXAMPLES / "greeter-1.4.0.tgz"),
                str(EXAMPLES / "greeter-1.4.1-staged.tgz"),
                "--fail-on",
                "none",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    sections = [
        out.index(f"\n{name}\n") for name in ("findings", "scripts", "dependencies", "files")
    ]
    assert sections == sorted(sections)
    assert "+ install-time postinstall: node lib/telemetry.js" in out
    bad = tmp_path / "bad.tgz"
    bad.write_bytes(b"nope")
    assert main(["diff", str(EXAMPLES / "greeter-1.4.0.tgz"), str(bad)]) == 2


# -- differential: the changed paths equal `npm diff --diff-name-only` -----------------------

PAIRS = [
    ("lodash@4.17.20", "lodash@4.17.21"),
    ("typescript@5.6.3", "typescript@5.7.2"),
    ("npm@10.9.0", "npm@10.9.1"),
    ("@types/node@22.9.0", "@types/node@22.9.1"),
    ("esbuild@0.24.0", "esbuild@0.24.2"),
    ("react-dom@18.3.0", "react-dom@18.3.1"),
]


def npm_diff_names(a: Path, b: Path) -> set[str]:
    if shutil.which("npm") is None:
        pytest.skip("npm is not available")
    out = subprocess.run(
        ["npm", "diff", f"--diff={a}", f"--diff={b}", "--diff-name-only"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
        cwd=a.parent,
    ).stdout
    return {line for line in out.splitlines() if line}


@pytest.mark.npm
@pytest.mark.registry
@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[f"{a}..{b}" for a, b in PAIRS])
def test_changed_paths_equal_npm_diff(old: str, new: str) -> None:
    a, b = npm_pack(old), npm_pack(new)
    r = tarlens.diff(a, b, text=False)
    ours = set(r.added) | set(r.removed) | set(r.modified)
    assert ours == npm_diff_names(a, b)


@pytest.mark.npm
def test_where_npm_diff_is_wrong(tmp_path: Path) -> None:
    """npm diff decodes contents as UTF-8, lists `..` entries and `.gitignore`, and skips
    type-7 files; tarlens compares what npm installs, byte for byte."""
    old = tc.gzip(
        tc.file("package/package.json", pj())
        + tc.file("package/bin.dat", b"\xff")
        + tc.file("package/kept.js", b"1", typeflag=b"7")
        + tc.end()
    )
    new = tc.gzip(
        tc.file("package/package.json", pj())
        + tc.file("package/bin.dat", b"\xfe")
        + tc.file("package/kept.js", b"2", typeflag=b"7")
        + tc.file("package/../../escape.js", b"e")
        + tc.file("package/.gitignore", b"g")
        + tc.end()
    )
    (tmp_path / "old.tgz").write_bytes(old)
    (tmp_path / "new.tgz").write_bytes(new)
    theirs = npm_diff_names(tmp_path / "old.tgz", tmp_path / "new.tgz")
    r = tarlens.diff(old, new)
    ours = set(r.added) | set(r.removed) | set(r.modified)
    assert ours == {"bin.dat", "kept.js", ".npmignore"}
    assert "bin.dat" not in theirs  # \xff and \xfe both decode to U+FFFD
    assert "kept.js" not in theirs  # npm installs ContiguousFile entries, npm diff skips them
    assert "../../escape.js" in theirs  # npm never installs it
    assert ".gitignore" in theirs  # npm installs it as .npmignore


def test_line_changes_across_split_windows_and_at_the_end() -> None:
    """Text longer than the window it is split in: hunks, the longest added line (without
    its line ending) and the added text come out as for short text; a final line that
    loses its newline is a changed line."""
    from tarlens._analysis import LINE_WINDOW

    body = b"".join(b"const v%d = %d;\r\n" % (i, i) for i in range(19000))
    assert len(body) > LINE_WINDOW
    middle = body.index(b"const v10000 =")
    payload = b"require('child_process').exec(x)" + b" " * 300 + b"\r\r\n"
    new = body[:middle] + payload + body[middle:] + b"last line"
    r = d({"index.js": body + b"last line\n"}, {"index.js": new})
    text = r.file("index.js").text  # type: ignore[union-attr]
    assert text is not None
    assert [(h.old_start, h.old_count, h.new_start, h.new_count) for h in text.hunks] == [
        (10001, 0, 10001, 1),
        (19001, 1, 19002, 1),
    ]
    assert (text.lines_added, text.lines_removed) == (2, 1)
    assert text.longest_added_line == len(payload.rstrip(b"\r\n"))
    assert text.longest_added_at == 10001
    assert text.added_bytes == len(payload) + len(b"last line")
    assert text.added_requires == ("child_process",)


def test_huge_rewrites_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A middle of more than MAX_MATCHED_LINES differing lines on both sides is one
    replaced block (matching a million lines one by one took a 360 MB multiset), and a
    file of more than MAX_TEXT_DIFF_LINES lines gets no line-level details at all; both
    are still modified files. The thresholds are lowered here to keep the test small."""
    from tarlens import _diff

    monkeypatch.setattr(_diff, "MAX_EXACT_LINES", 10)
    monkeypatch.setattr(_diff, "MAX_MATCHED_LINES", 100)
    monkeypatch.setattr(_diff, "MAX_TEXT_DIFF_LINES", 1000)
    head = b"same\n" * 3

    def body(n: int, shift: int) -> bytes:
        return head + b"".join(b"%x\n" % (i + shift) for i in range(n)) + b"end\n"

    r = d({"a.txt": body(500, 0)}, {"a.txt": body(600, 7)})
    text = r.file("a.txt").text  # type: ignore[union-attr]
    assert text is not None and text.approximate
    assert [(h.old_start, h.old_count, h.new_start, h.new_count) for h in text.hunks] == [
        (4, 500, 4, 600)
    ]
    assert (text.lines_added, text.lines_removed) == (600, 500)
    assert text.added_bytes == len(body(600, 7)) - len(head) - len(b"end\n")
    # 50 lines on one side: matched line by line (the multiset), not replaced whole
    r = d({"a.txt": body(500, 0)}, {"a.txt": body(50, 7)})
    text = r.file("a.txt").text  # type: ignore[union-attr]
    assert text is not None and text.lines_added == 0 and text.lines_removed == 450
    r = d({"a.txt": body(2000, 0)}, {"a.txt": body(2000, 1)})
    assert r.modified == ("a.txt",) and r.file("a.txt").text is None  # type: ignore[union-attr]
