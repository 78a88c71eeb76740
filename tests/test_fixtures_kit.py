"""Tests for the test-side kit: ``fixtures.tarcraft``, ``fixtures.hostile`` and the pacote oracle.

* tarcraft: header layout, numbers, PAX records, gzip/zstd helpers, and (``-m npm``) byte-for-byte
  equality of :func:`fixtures.tarcraft.npm_pack_style` with a real ``npm pack``.
* hostile: every case is well-formed as a catalog entry and builds deterministically.
* oracle (``-m npm``): every non-heavy case runs through the real pacote without hanging or
  escaping, and the result equals what ``fixtures.hostile.EXPECTED`` recorded.  Heavy cases run
  only with ``TARLENS_HEAVY=1``.

``python tests/test_fixtures_kit.py [case ...]`` re-runs the oracle and prints the
``EXPECTED`` block for fixtures/hostile.py (review the diff before pasting it in).
"""

from __future__ import annotations

import functools
import gzip as gzip_mod
import hashlib
import io
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # the kit lives in fixtures/ and tests/oracle/, beside src/
    sys.path.insert(0, str(_ROOT))

from fixtures import hostile  # noqa: E402
from fixtures import tarcraft as tc  # noqa: E402
from fixtures.hostile import CASES, EXPECTED, Case, Expect  # noqa: E402
from tests.oracle.pacote import (  # noqa: E402
    OracleResult,
    node_available,
    npm_root,
    pacote_install,
    skip_without_node,
)

HEAVY = os.environ.get("TARLENS_HEAVY") == "1"
LIGHT = [c for c in CASES if not c.heavy]
HEAVY_CASES = [c for c in CASES if c.heavy]


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


# --------------------------------------------------------------------------- tarcraft


def test_header_layout_matches_node_tar() -> None:
    hdr = tc.Header(name="package/a.js", mode=0o644, uid=None, gid=None, size=2, mtime=tc.NPM_MTIME)
    blk = hdr.encode()
    assert len(blk) == 512
    assert blk[100:108] == b"000644 \x00"
    assert blk[108:124] == b"\x00" * 16
    assert blk[124:136] == b"0000000002 \x00"
    assert blk[136:148] == b"3560116604 \x00"
    assert blk[156:157] == b"0"
    assert blk[257:265] == b"ustar\x0000"
    assert blk[329:345] == b"000000 \x00000000 \x00"
    assert int(blk[148:154], 8) == tc.checksum(blk)
    assert blk[154:156] == b" \x00"


def test_numbers() -> None:
    assert tc.octal(0o644, 8) == b"000644 \x00"
    assert tc.octal(0o644, 8, "gnu") == b"0000644\x00"
    assert tc.octal(0o644, 8, "plain") == b"644\x00\x00\x00\x00\x00"
    assert tc.octal(0o7777777, 8) == b"7777777\x00"
    assert tc.encode_number(0o77777777777 + 1, 12)[0] == 0x80
    assert tc.base256(1, 12) == b"\x80" + b"\x00" * 10 + b"\x01"
    assert tc.base256(-1, 12) == b"\xff" * 12
    assert tc.base256(-2, 8) == b"\xff" * 7 + b"\xfe"
    assert tc.encode_number(None, 8) == b"\x00" * 8
    assert tc.encode_number(b"zz", 8) == b"zz" + b"\x00" * 6
    with pytest.raises(ValueError, match="longer"):
        tc.encode_number(b"123456789", 8)


def test_checksum_variants() -> None:
    good = tc.Header(name="a").encode()
    assert int(good[148:154], 8) == tc.checksum(good)
    wrong = tc.Header(name="a", chksum=tc.checksum(good) + 1).encode()
    assert int(wrong[148:154], 8) == tc.checksum(good) + 1
    raw = tc.Header(name="a", chksum=b"\xff" * 8).encode()
    assert raw[148:156] == b"\xff" * 8


@pytest.mark.parametrize("value_len", [1, 5, 6, 7, 8, 90, 93, 94, 95, 96, 990, 994, 995, 996])
def test_pax_record_lengths(value_len: int) -> None:
    rec = tc.pax_record("path", "x" * value_len)
    n, _, rest = rec.partition(b" ")
    assert int(n) == len(rec)
    assert rest == b"path=" + b"x" * value_len + b"\n"
    # node-tar's encoder agrees with ours for every length
    assert tc._node_pax_body([("path", "x" * value_len)]) == rec


def test_parses_with_stdlib_tarfile() -> None:
    data = b"".join(
        [
            tc.file("package/package.json", b"{}\n"),
            tc.dir("package/lib/"),
            tc.file("package/lib/x.js", b"x", mode=0o755, uid=1, gid=2, uname="u", gname="g"),
            tc.symlink("package/l", "lib/x.js"),
            tc.hardlink("package/h", "package/lib/x.js"),
            tc.fifo("package/f"),
            tc.chardev("package/c"),
            tc.blockdev("package/b"),
            tc.pax({"path": "package/pax-name.js", "comment": "hi"}),
            tc.file("package/ustar-name.js", b"p"),
            tc.gnu_longname("package/" + "l" * 150),
            tc.file("package/short", b"L", magic=tc.MAGIC_GNU),
            tc.file("x.js", b"pre", prefix="package/pre"),
            tc.file("package/b256", b"123", size=tc.B256(3)),
            tc.end(),
        ]
    )
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
        got = [(m.name, m.type, m.mode, m.size, m.linkname) for m in tf.getmembers()]
    assert got == [
        ("package/package.json", tarfile.REGTYPE, 0o644, 3, ""),
        ("package/lib", tarfile.DIRTYPE, 0o755, 0, ""),
        ("package/lib/x.js", tarfile.REGTYPE, 0o755, 1, ""),
        ("package/l", tarfile.SYMTYPE, 0o777, 0, "lib/x.js"),
        ("package/h", tarfile.LNKTYPE, 0o644, 0, "package/lib/x.js"),
        ("package/f", tarfile.FIFOTYPE, 0o644, 0, ""),
        ("package/c", tarfile.CHRTYPE, 0o666, 0, ""),
        ("package/b", tarfile.BLKTYPE, 0o660, 0, ""),
        ("package/pax-name.js", tarfile.REGTYPE, 0o644, 1, ""),
        ("package/" + "l" * 150, tarfile.REGTYPE, 0o644, 1, ""),
        ("package/pre/x.js", tarfile.REGTYPE, 0o644, 3, ""),
        ("package/b256", tarfile.REGTYPE, 0o644, 3, ""),
    ]


def test_unpadded_body_and_size_override() -> None:
    e = tc.file("a", b"abc", pad=False)
    assert len(e) == 512 + 3
    lie = tc.file("a", b"abc", size=100)
    assert int(lie[124:135].strip(b" \x00"), 8) == 100
    assert len(lie) == 1024


def test_tar_builder_equals_functions() -> None:
    built = tc.Tar().file("package/a", b"1").zero_block().raw(b"xyz").end().bytes()
    assert built == tc.file("package/a", b"1") + tc.zero_block() + b"xyz" + tc.end()


def test_gzip_helpers() -> None:
    data = bytes(range(256)) * 50
    gz = tc.gzip(data)
    assert gz[:10] == bytes.fromhex("1f8b0800000000000" + "2ff")
    assert gzip_mod.decompress(gz) == data
    multi = tc.gzip(data, members=3)
    assert gzip_mod.decompress(multi) == data
    assert multi.count(b"\x1f\x8b\x08\x00") >= 3
    assert tc.gzip(data, level=1, os_byte=3, mtime=7)[4:10] == b"\x07\x00\x00\x00\x04\x03"
    assert gzip_mod.decompress(tc.gzip_stream([data[:100], data[100:]])) == data
    assert tc.truncate(gz, 10) == gz[:10]
    assert tc.truncate(gz, -8) == gz[:-8]
    assert tc.trailing(gz, b"!") == gz + b"!"
    assert b"".join(tc.zeros(3_000_000)) == bytes(3_000_000)


@pytest.mark.skipif(not tc.zstd_available(), reason="zstandard not installed")
def test_zstd_roundtrip() -> None:
    import zstandard

    data = b"hello" * 100
    frame = tc.zstd(data)
    assert frame[:4] == b"\x28\xb5\x2f\xfd"
    assert zstandard.ZstdDecompressor().decompress(frame) == data


def test_node_split_prefix() -> None:
    assert tc._node_split_prefix("package/a.js") == ("package/a.js", "", False)
    long_dir = "package/" + "a" * 60 + "/" + "b" * 60
    # node-tar keeps as much as possible in the prefix field
    assert tc._node_split_prefix(long_dir + "/c.js") == ("c.js", long_dir, False)
    assert tc._node_split_prefix("package/" + "a" * 140 + "/" + "b" * 60 + "/c.js") == (
        "b" * 60 + "/c.js",
        "package/" + "a" * 140,
        False,
    )
    name, prefix, need = tc._node_split_prefix("package/" + "x" * 120)
    assert (len(name), prefix, need) == (99, "package", True)


def test_locale_compare_key_ascii() -> None:
    names = ["b", "B", "a", "A", "_x", "-x", ".x", "1", "10", "2", "ä", "e", "é", "E"]
    assert sorted(names, key=tc.locale_compare_key) == [
        "_x", "-x", ".x", "1", "10", "2", "a", "A", "ä", "b", "B", "e", "E", "é",
    ]  # fmt: skip


# --------------------------------------------------------------------------- npm pack


_PACK_TREE: dict[str, tuple[bytes, int]] = {
    "package.json": (
        json.dumps(
            {
                "name": "tarcraft-pack-check",
                "version": "1.2.3",
                "bin": {"top": "top-bin.js", "nested": "bin/nested.js"},
            },
            indent=2,
        ).encode()
        + b"\n",
        0o644,
    ),
    "index.js": (b"module.exports = 1\n", 0o644),
    "README.md": (b"# readme\n", 0o644),
    "LICENSE": (b"MIT\n", 0o644),
    "top-bin.js": (b"#!/usr/bin/env node\n", 0o644),
    "bin/nested.js": (b"#!/usr/bin/env node\n", 0o644),
    "script.sh": (b"#!/bin/sh\n", 0o755),
    "secret.txt": (b"only me\n", 0o600),
    "group.txt": (b"group write\n", 0o664),
    ".hidden": (b"dot\n", 0o644),
    "lib/a.js": (b"a\n", 0o644),
    "lib/B.js": (b"B\n", 0o644),
    "lib/_under.js": (b"_\n", 0o644),
    "lib/-dash.js": (b"-\n", 0o644),
    "lib/1.js": (b"1\n", 0o644),
    "lib/10.js": (b"10\n", 0o644),
    "lib/2.js": (b"2\n", 0o644),
    "lib/e.js": (b"e\n", 0o644),
    "lib/\u00e9.js": (b"e-acute\n", 0o644),
    "lib/E2.js": (b"E2\n", 0o644),
    "lib/data.JSON": (b"{}\n", 0o644),
    "lib/x.d.ts": (b"export {}\n", 0o644),
    "lib/Makefile": (b"all:\n", 0o644),
    "docs/guide.md": (b"guide\n", 0o644),
    "@scope/pkg/i.js": (b"scoped\n", 0o644),
    "deep/" + "a" * 60 + "/" + "b" * 60 + "/c.js": (b"prefix field\n", 0o644),
    "deep/" + "n" * 120 + ".js": (b"pax path\n", 0o644),
    "big.bin": (bytes(range(256)) * 40, 0o644),
}


def _npm_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_config_")}
    env.update(
        {
            "npm_config_cache": str(tmp / "npm-cache"),
            "npm_config_offline": "true",
            "npm_config_audit": "false",
            "npm_config_fund": "false",
            "npm_config_update_notifier": "false",
            "npm_config_loglevel": "error",
            "npm_config_userconfig": str(tmp / "npmrc"),
            "HOME": str(tmp / "home"),
        }
    )
    return env


@pytest.mark.npm
@skip_without_node
def test_npm_pack_equivalence(tmp_path: Path) -> None:
    npm = shutil.which("npm")
    assert npm is not None
    src = tmp_path / "src"
    for rel, (content, mode) in _PACK_TREE.items():
        p = src / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)
        p.chmod(mode)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run(
        [npm, "pack", "--ignore-scripts", "--json", "--pack-destination", str(out)],
        cwd=src,
        env=_npm_env(tmp_path),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    (tgz_path,) = out.glob("*.tgz")
    theirs = tgz_path.read_bytes()
    mine_tar = tc.npm_pack_style(_PACK_TREE)
    theirs_tar = gzip_mod.decompress(theirs)
    # same entries, same order
    with tarfile.open(fileobj=io.BytesIO(theirs_tar)) as tf:
        their_names = [m.name for m in tf.getmembers()]
    with tarfile.open(fileobj=io.BytesIO(mine_tar)) as tf:
        my_names = [m.name for m in tf.getmembers()]
    assert my_names == their_names
    # ...and the same bytes, block for block
    for i in range(0, max(len(mine_tar), len(theirs_tar)), 512):
        assert mine_tar[i : i + 512] == theirs_tar[i : i + 512], f"block {i // 512} differs"
    assert mine_tar == theirs_tar
    # gzip: header (mtime 0, XFL 2, OS 0xff) and trailer match exactly; the deflate stream
    # itself differs because Node bundles Chromium's zlib fork.
    mine = tc.gzip(mine_tar)
    assert mine[:10] == theirs[:10] == bytes.fromhex("1f8b08000000000002ff")
    assert mine[-8:] == theirs[-8:]
    assert zlib.decompress(mine[10:-8], -15) == zlib.decompress(theirs[10:-8], -15)


_TRICKY_NAMES = [
    "x" * 91,  # "package/" + 91 = 99 bytes: fits the name field
    "y" * 92,  # 100 bytes: node-tar needs len < 100, so it moves to the prefix split
    "z" * 93,
    "n" * 120,  # basename alone over 100: PAX
    "\u00e9" * 60,  # non-ASCII: PAX, name field cut at a character boundary
    "\U0001f600" * 30,  # astral: PAX header name sliced in UTF-16 units
    "d" * 100 + "/f.js",
    "p" * 140 + "/" + "q" * 60 + "/r.js",
    "s" * 150 + "/" + "t" * 60 + "/u.js",
    "caf\u00e9/" + "v" * 95,
]


@pytest.mark.npm
@skip_without_node
def test_node_tar_headers_match(tmp_path: Path) -> None:
    """node_tar_file_entry == node-tar's own ``tar.c({portable: true, prefix: 'package/'})``."""
    root = npm_root()
    node = shutil.which("node")
    assert root is not None
    assert node is not None
    src = tmp_path / "src"
    for i, rel in enumerate(_TRICKY_NAMES):
        p = src / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"%d\n" % i)
        p.chmod(0o644)
    out = tmp_path / "out.tar"
    script = (
        "const tar = require(process.argv[1]);"
        "tar.c({cwd: process.argv[2], file: process.argv[3], sync: true, portable: true,"
        " prefix: 'package/', mtime: new Date('1985-10-26T08:15:00.000Z')},"
        " JSON.parse(process.argv[4]))"
    )
    tar_mod = str(Path(root) / "npm" / "node_modules" / "tar")
    subprocess.run(
        [node, "-e", script, tar_mod, str(src), str(out), json.dumps(_TRICKY_NAMES)],
        check=True,
        timeout=60,
    )
    mine = b"".join(
        tc.node_tar_file_entry("package/" + rel, b"%d\n" % i, 0o644)
        for i, rel in enumerate(_TRICKY_NAMES)
    )
    theirs = out.read_bytes()
    assert theirs.startswith(mine)
    assert theirs[len(mine) :].strip(b"\x00") == b""


@pytest.mark.npm
@skip_without_node
def test_locale_compare_key_matches_node() -> None:
    names = [
        "a", "A", "b", "B", "_", "-", ",", ";", ":", "!", "?", ".", "'", '"', "(", ")", "[",
        "]", "{", "}", "@", "*", "/", "\\", "&", "#", "%", "`", "^", "+", "<", "=", ">", "|",
        "~", "$", "0", "9", "a1", "a10", "a2", "a-b", "a_b", "a.b", "ab", "aB", "Ab", "AB",
        "\u00e9", "e", "E", "f", "\u00e4", "az", "\u00e4a", "index.js", "Index.js", "index.d.ts",
        "z.md", "README.md", "readme.md", "\u00c9", "e\u0301", "x y", "x-y", "x_y",
    ]  # fmt: skip
    script = "const a = JSON.parse(process.argv[1]); a.sort((x, y) => x.localeCompare(y, 'en'));"
    script += "process.stdout.write(JSON.stringify(a))"
    node = shutil.which("node")
    assert node is not None
    out = subprocess.run(
        [node, "-e", script, json.dumps(names)], capture_output=True, check=True, timeout=30
    ).stdout
    assert sorted(names, key=tc.locale_compare_key) == json.loads(out)


# --------------------------------------------------------------------------- catalog


def test_catalog_shape() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    for c in CASES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c.name), c.name
        assert c.why.strip(), c.name
        assert c.npm.strip(), c.name
    assert {c.name for c in HEAVY_CASES} >= {"gzip-bomb-1gib", "entry-count-bomb"}
    assert set(EXPECTED) >= {c.name for c in LIGHT}
    assert set(EXPECTED) <= set(names)


def _decompressed_prefix(data: bytes) -> bytes:
    if data[:2] == b"\x1f\x8b":
        d = zlib.decompressobj(31)
        return d.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd" and tc.zstd_available():
        import zstandard

        return bytes(zstandard.ZstdDecompressor().decompress(data))
    return data


@pytest.mark.parametrize("case", LIGHT, ids=_ids(LIGHT))
def test_case_builds_deterministically(case: Case) -> None:
    first = case.build()
    assert isinstance(first, bytes)
    assert case.build() == first
    if case.name.startswith("package-json") or case.name in {"random-bytes", "empty-file"}:
        return
    content = _decompressed_prefix(first)
    if case.name == "truncated-gzip":  # zlib has not flushed the body by the cut
        assert content.startswith(b"package/package.json\x00")
    else:
        assert hostile.manifest(case.name) in content, "package/package.json missing"


@pytest.mark.skipif(not HEAVY, reason="heavy case: set TARLENS_HEAVY=1")
@pytest.mark.parametrize("case", HEAVY_CASES, ids=_ids(HEAVY_CASES))
def test_heavy_case_builds_deterministically(case: Case) -> None:
    first = hashlib.sha256(case.build()).hexdigest()
    assert hashlib.sha256(case.build()).hexdigest() == first


# --------------------------------------------------------------------------- oracle


def _parents(paths: list[str]) -> set[str]:
    out: set[str] = set()
    for p in paths:
        d = posixpath.dirname(p)
        while d:
            out.add(d)
            d = posixpath.dirname(d)
    return out


def _check_sane(result: OracleResult) -> None:
    assert not result.timed_out, "pacote hung"
    assert result.escaped == (), f"written outside the package dir: {result.escaped}"
    assert result.others == {}, f"non-regular files installed: {result.others}"
    assert result.refused == ()
    assert set(result.dirs) == _parents(list(result.files))
    assert set(result.dirs.values()) <= {0o755}


def _as_expect(result: OracleResult) -> Expect:
    return Expect(
        ok=result.ok,
        files=result.files,
        code=None if result.ok else result.code,
        error=None if result.ok else result.error,
        via=None if result.ok else result.via,
        tar_warnings=tuple(tuple(w[1:]) for w in result.warnings if w[:1] == ("tar",)),
    )


@functools.cache
def _oracle(name: str) -> OracleResult:
    case = hostile.BY_NAME[name]
    return pacote_install(case.build(), filename=case.filename)


@pytest.mark.npm
@skip_without_node
@pytest.mark.parametrize("case", LIGHT, ids=_ids(LIGHT))
def test_oracle_smoke(case: Case) -> None:
    """pacote returns in time, writes nothing outside the package, creates only files+dirs."""
    _check_sane(_oracle(case.name))


@pytest.mark.npm
@skip_without_node
@pytest.mark.parametrize("case", LIGHT, ids=_ids(LIGHT))
def test_oracle_matches_recorded(case: Case) -> None:
    """The live pacote still does what EXPECTED says (fails on an npm upgrade that changes
    behavior: re-record with ``python tests/test_fixtures_kit.py`` and review)."""
    assert _as_expect(_oracle(case.name)) == EXPECTED[case.name]


@pytest.mark.npm
@skip_without_node
@pytest.mark.skipif(not HEAVY, reason="heavy case: set TARLENS_HEAVY=1")
@pytest.mark.parametrize("case", HEAVY_CASES, ids=_ids(HEAVY_CASES))
def test_oracle_heavy(case: Case) -> None:
    result = pacote_install(case.build(), filename=case.filename, timeout=600)
    _check_sane(result)
    if case.name in EXPECTED:
        assert _as_expect(result) == EXPECTED[case.name]


@pytest.mark.npm
@skip_without_node
def test_oracle_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a private temp root, so that concurrent runs elsewhere cannot disturb the count
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    pacote_install(hostile.BY_NAME["baseline"].build())
    assert not list(tmp_path.glob("tarlens-oracle-*"))


def test_oracle_script_present() -> None:
    from tests.oracle.pacote import JS

    assert JS.is_file()
    if node_available():
        root = npm_root()
        assert root is not None
        assert (Path(root) / "npm" / "node_modules" / "tar").is_dir()


@pytest.mark.npm
@skip_without_node
def test_oracle_installs_npm_pack_style() -> None:
    result = pacote_install(tc.gzip(tc.npm_pack_style(_PACK_TREE)))
    assert result.ok, result.error
    _check_sane(result)
    # pack: (m | 0o600) & ~0o022; install: ((m | 0o666) & ~umask) | 0o600
    expected_modes = {
        rel: ((((m | 0o600) & ~0o022) | 0o666) & ~0o022) | 0o600
        for rel, (_, m) in _PACK_TREE.items()
    }
    expected_modes["top-bin.js"] = 0o755  # bins are made executable on install
    expected_modes["bin/nested.js"] = 0o755
    assert {p: f.mode for p, f in result.files.items()} == expected_modes
    for rel, (content, _) in _PACK_TREE.items():
        assert result.files[rel].sha256 == hashlib.sha256(content).hexdigest()


# --------------------------------------------------------------------------- regeneration


def _key_expr(path: str) -> str:
    long_rel = hostile.LONG_PATH
    if path == "d/" * 1023 + "f.js":
        return '"d/" * 1023 + "f.js"'
    if path == long_rel:
        return "LONG_PATH"
    if len(path) > 60 and path.startswith("a.js\n"):
        return f'"a.js\\n" + "x" * {len(path) - 5}'
    return _py_str(path)


def _py_str(s: str) -> str:
    """A Python literal for ``s`` (ASCII only; long strings as implicit concatenation)."""
    if len(ascii(s)) <= 70:
        return ascii(s)
    return "(" + " ".join(ascii(s[i : i + 50]) for i in range(0, len(s), 50)) + ")"


def _py_tuple(items: list[str]) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def render_expected(results: dict[str, OracleResult]) -> str:
    """Python source for ``EXPECTED`` in fixtures/hostile.py (run ruff format on it)."""
    lines = ["EXPECTED: dict[str, Expect] = {"]
    for name, r in results.items():
        e = _as_expect(r)
        lines.append(f"    {_py_str(name)}: Expect(")
        lines.append(f"        ok={e.ok},")
        lines.append("        files={")
        for p, f in e.files.items():
            value = f'Installed(0o{f.mode:o}, {f.size}, "{f.sha256}")'
            lines.append(f"            {_key_expr(p)}: {value},")
        lines.append("        },")
        for attr in ("code", "error", "via"):
            v = getattr(e, attr)
            if v is not None:
                lines.append(f"        {attr}={_py_str(v)},")
        if e.tar_warnings:
            inner = [_py_tuple([_py_str(x) for x in w]) for w in e.tar_warnings]
            lines.append(f"        tar_warnings={_py_tuple(inner)},")
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    wanted = set(sys.argv[1:])
    chosen = [c for c in CASES if c.name in wanted] if wanted else LIGHT
    runs = {c.name: pacote_install(c.build(), filename=c.filename) for c in chosen}
    sys.stdout.write(render_expected(runs))
