"""The reader follows npm's (pacote 21 + node-tar 7) rules, decision by decision."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Callable

import pytest

import tarlens
from fixtures import tarcraft as tc
from tarlens import AnomalyKind, EntryStatus
from tests.conftest import pack, pj, tar_with_pj, tgz

Build = Callable[..., bytes]


def paths(m: tarlens.Manifest) -> list[str]:
    return [f.path for f in m.files]


def kinds(m: tarlens.Manifest) -> set[AnomalyKind]:
    return {a.kind for a in m.anomalies}


def test_integrity_and_shasum_are_over_the_compressed_bytes() -> None:
    data = pack({"index.js": b"module.exports = 1\n"})
    m = tarlens.load(data)
    assert m.integrity == "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    assert m.shasum == hashlib.sha1(data).hexdigest()  # noqa: S324 - npm's own shasum
    assert m.size == len(data)


def test_sources_path_bytes_and_file_object_agree(tmp_path: pytest.TempPathFactory) -> None:
    data = pack({"index.js": b"x"})
    p = tmp_path / "x.tgz"  # type: ignore[operator]
    p.write_bytes(data)
    a, b, c = tarlens.load(p), tarlens.load(data), tarlens.load(io.BytesIO(data))
    assert a.files == b.files == c.files
    assert a.integrity == b.integrity == c.integrity


def test_files_have_path_size_mode_and_sha256() -> None:
    m = tarlens.load(pack({"lib/a.js": b"abc", "bin/cli.js": (b"#!/usr/bin/env node\n", 0o755)}))
    f = m.file("lib/a.js")
    assert f is not None
    assert (f.size, f.mode, f.sha256) == (3, 0o644, hashlib.sha256(b"abc").hexdigest())
    assert m.file("bin/cli.js").mode == 0o755  # type: ignore[union-attr]
    assert paths(m) == ["bin/cli.js", "lib/a.js", "package.json"]


def test_first_component_is_stripped_whatever_it_is(build: Build) -> None:
    m = tarlens.load(build(tc.file("victim-1.0.0/a.js", b"1"), tc.file("./b.js", b"2")))
    assert {"a.js", "b.js", "package.json"} == set(paths(m))
    assert AnomalyKind.MULTIPLE_ROOTS in kinds(m)


def test_single_unusual_root_is_reported() -> None:
    tar = tc.file("pkg/package.json", pj()) + tc.file("pkg/a.js", b"") + tc.end()
    m = tarlens.load(tc.gzip(tar))
    assert paths(m) == ["a.js", "package.json"]
    assert AnomalyKind.UNUSUAL_ROOT in kinds(m)


def test_top_level_file_is_dropped(build: Build) -> None:
    m = tarlens.load(build(tc.file("index.js", b"evil")))
    assert "index.js" not in m
    (entry,) = [e for e in m.entries if e.path == "index.js"]
    assert entry.status is EntryStatus.ROOT_DROPPED
    assert AnomalyKind.ROOT_FILE in kinds(m)


@pytest.mark.parametrize(
    ("name", "installed"),
    [
        ("package/../../etc/x", None),
        ("package/a/../../x", None),
        ("package/a\\..\\x", None),
        ("../x.js", "x.js"),  # the first component is stripped before the `..` check
        ("package//abs.js", "abs.js"),
        ("package/C:/win.js", "win.js"),
        ("package/\\\\server\\share\\unc.js", "unc.js"),
    ],
)
def test_traversal_and_absolute_paths(build: Build, name: str, installed: str | None) -> None:
    m = tarlens.load(build(tc.file(name, b"x")))
    (entry,) = [e for e in m.entries if e.path == name]
    if installed is None:
        assert entry.status is EntryStatus.PATH_REJECTED
        assert AnomalyKind.PATH_TRAVERSAL in kinds(m)
        assert set(paths(m)) == {"package.json"}
    else:
        assert entry.status is EntryStatus.INSTALLED
        assert entry.installed_as == installed
        assert installed in m


@pytest.mark.parametrize(
    ("part", "status"),
    [
        (tc.symlink("package/link", "/etc/passwd"), EntryStatus.LINK_DROPPED),
        (tc.hardlink("package/hard", "package/package.json"), EntryStatus.LINK_DROPPED),
        (tc.chardev("package/dev"), EntryStatus.SPECIAL_DROPPED),
        (tc.blockdev("package/blk"), EntryStatus.SPECIAL_DROPPED),
        (tc.fifo("package/fifo"), EntryStatus.SPECIAL_DROPPED),
        (tc.dir("package/lib/"), EntryStatus.DIRECTORY_DROPPED),
        (tc.file("package/odd", b"data", typeflag=b"Z"), EntryStatus.UNSUPPORTED_DROPPED),
        (tc.file("package/sparse", b"data", typeflag=b"S"), EntryStatus.UNSUPPORTED_DROPPED),
    ],
)
def test_only_regular_files_are_installed(build: Build, part: bytes, status: EntryStatus) -> None:
    m = tarlens.load(build(part))
    assert paths(m) == ["package.json"]
    assert m.entries[1].status is status


def test_type_0_with_trailing_slash_is_a_directory(build: Build) -> None:
    m = tarlens.load(build(tc.file("package/dir/", b"")))
    assert m.entries[1].type == "Directory"


def test_contiguous_file_is_installed(build: Build) -> None:
    m = tarlens.load(build(tc.file("package/c.js", b"c", typeflag=b"7")))
    assert "c.js" in m


def test_last_duplicate_wins_but_keeps_the_first_mode(build: Build) -> None:
    m = tarlens.load(
        build(tc.file("package/a.js", b"first", 0o755), tc.file("package/a.js", b"second", 0o644))
    )
    f = m.file("a.js")
    assert f is not None
    assert f.sha256 == hashlib.sha256(b"second").hexdigest()
    assert f.mode == 0o755
    statuses = [e.status for e in m.entries if e.path == "package/a.js"]
    assert statuses == [EntryStatus.OVERWRITTEN, EntryStatus.INSTALLED]
    assert AnomalyKind.DUPLICATE in kinds(m)


def test_duplicate_package_json_last_wins() -> None:
    tar = (
        tc.file("package/package.json", pj())
        + tc.file("package/package.json", pj(scripts={"postinstall": "node x.js"}))
        + tc.end()
    )
    m = tarlens.load(tc.gzip(tar))
    assert [s.event for s in m.install_scripts] == ["postinstall"]
    report = tarlens.check(m)
    dup = [f for f in report.findings if f.rule_id == "ARC005"]
    assert dup and dup[0].severity is tarlens.Severity.HIGH


def test_gitignore_becomes_npmignore_unless_one_came_first(build: Build) -> None:
    m = tarlens.load(
        build(
            tc.file("package/.gitignore", b"g"),
            tc.file("package/sub/.npmignore", b"n"),
            tc.file("package/sub/.gitignore", b"g2"),
        )
    )
    assert m.file(".npmignore").sha256 == hashlib.sha256(b"g").hexdigest()  # type: ignore[union-attr]
    assert m.file("sub/.npmignore").sha256 == hashlib.sha256(b"n").hexdigest()  # type: ignore[union-attr]
    assert ".gitignore" not in m
    assert m.entries[-1].status is EntryStatus.GITIGNORE_DROPPED


def test_file_in_the_way_of_a_later_entry_loses_the_later_one(build: Build) -> None:
    m = tarlens.load(build(tc.file("package/lib", b"file"), tc.file("package/lib/a.js", b"x")))
    assert "lib" in m
    assert "lib/a.js" not in m
    assert m.entries[-1].status is EntryStatus.CONFLICT_LOST


def test_directory_in_the_way_of_a_later_file(build: Build) -> None:
    m = tarlens.load(build(tc.file("package/lib/a.js", b"x"), tc.file("package/lib", b"file")))
    assert "lib/a.js" in m
    assert "lib" not in m
    assert m.entries[-1].status is EntryStatus.CONFLICT_LOST


def test_setuid_is_passed_through_and_reported(build: Build) -> None:
    m = tarlens.load(build(tc.file("package/x", b"x", 0o4755), tc.file("package/w", b"w", 0o666)))
    assert m.file("x").mode == 0o4755  # type: ignore[union-attr]
    assert m.file("w").mode == 0o644  # type: ignore[union-attr]  # umask 022
    assert {AnomalyKind.SPECIAL_MODE, AnomalyKind.WORLD_WRITABLE} <= kinds(m)


def test_pax_path_wins_over_ustar_name(build: Build) -> None:
    m = tarlens.load(build(tc.pax({"path": "package/real.js"}), tc.file("package/decoy.js", b"x")))
    assert "real.js" in m
    assert "decoy.js" not in m


def test_gnu_long_name(build: Build) -> None:
    long = "package/" + "d/" * 80 + "file.js"
    m = tarlens.load(build(tc.gnu_longname(long), tc.file("package/short", b"x")))
    assert long.removeprefix("package/") in m


def test_ustar_prefix_field(build: Build) -> None:
    m = tarlens.load(build(tc.file("x.js", b"1", prefix="package/deep")))
    assert "deep/x.js" in m


def test_invalid_utf8_names_become_fffd_and_can_collide(build: Build) -> None:
    m = tarlens.load(build(tc.file(b"package/a\xff.js", b"1"), tc.file(b"package/a\xfe.js", b"2")))
    f = m.file("a\ufffd.js")
    assert f is not None and f.sha256 == hashlib.sha256(b"2").hexdigest()
    assert {AnomalyKind.NON_UTF8_NAME, AnomalyKind.DUPLICATE} <= kinds(m)


def test_nul_then_newline_in_a_full_name_field_keeps_the_rest(build: Build) -> None:
    # node-tar decodes the 100-byte field and removes /\0.*/, which stops at a line break
    name = b"package/a.js\x00\n" + b"b" * 86
    m = tarlens.load(build(tc.file(name, b"1")))
    assert "a.js\n" + "b" * 86 in m
    assert "a.js" not in m
    # C-based readers end the name at the NUL and see `a.js`: a parser differential
    assert AnomalyKind.NUL_IN_NAME in kinds(m)
    assert "ARC022" in {f.rule_id for f in tarlens.check(m).at_least(tarlens.Severity.HIGH)}


def test_nul_then_newline_leaves_nuls_that_node_cannot_write(build: Build) -> None:
    m = tarlens.load(build(tc.file(b"package/a.js\x00\nb.js", b"1")))
    assert [e.status for e in m.entries][-1] is EntryStatus.UNWRITABLE
    assert {AnomalyKind.NUL_IN_NAME, AnomalyKind.UNWRITABLE} <= kinds(m)
    assert m.npm_refuses


def test_case_and_unicode_collisions(build: Build) -> None:
    m = tarlens.load(
        build(
            tc.file("package/README.md", b"1"),
            tc.file("package/readme.md", b"2"),
            tc.file("package/caf\u00e9.js", b"3"),
            tc.file("package/cafe\u0301.js", b"4"),
        )
    )
    assert {AnomalyKind.CASE_COLLISION, AnomalyKind.UNICODE_COLLISION} <= kinds(m)
    assert len(m.files) == 5


def test_bad_checksum_resyncs_and_installs_the_smuggled_entry() -> None:
    smuggled = tc.file("package/smuggled.js", b"evil")
    bad = tc.entry(tc.Header(name="package/cover.txt", chksum=1), smuggled)
    m = tarlens.load(tgz(tc.file("package/package.json", pj()), bad))
    assert "smuggled.js" in m
    assert "cover.txt" not in m
    assert AnomalyKind.BAD_CHECKSUM in kinds(m)


def test_linkpath_on_regular_file_skips_the_header() -> None:
    inner = tc.file("package/inner.js", b"inner")
    outer = tc.entry(tc.Header(name="package/outer.js", linkname="x"), inner)
    m = tarlens.load(tgz(tc.file("package/package.json", pj()), outer))
    assert "inner.js" in m and "outer.js" not in m
    assert AnomalyKind.LINKPATH_ON_FILE in kinds(m)


def test_one_zero_block_is_skipped_two_end_the_archive() -> None:
    tar = (
        tc.file("package/package.json", pj())
        + tc.zero_block()
        + tc.file("package/a.js", b"a")
        + tc.end()
        + tc.file("package/hidden.js", b"h")
        + tc.end()
    )
    m = tarlens.load(tc.gzip(tar))
    assert "a.js" in m and "hidden.js" not in m
    hidden = [e for e in m.entries if e.status is EntryStatus.AFTER_EOF]
    assert [e.path for e in hidden] == ["package/hidden.js"]
    assert {AnomalyKind.LONE_ZERO_BLOCK, AnomalyKind.AFTER_EOF} <= kinds(m)


def test_depth_limit_drops_the_entry_not_the_tarball(build: Build) -> None:
    deep = "package/" + "/".join(["d"] * 1025)
    ok = "package/" + "/".join(["e"] * 1024)
    m = tarlens.load(
        build(
            tc.pax({"path": deep}),
            tc.file("package/x", b"1"),
            tc.pax({"path": ok}),
            tc.file("package/y", b"2"),
        )
    )
    assert ok.removeprefix("package/") in m
    assert any(e.status is EntryStatus.TOO_DEEP for e in m.entries)


def test_overlong_component_cannot_be_written(build: Build) -> None:
    m = tarlens.load(build(tc.pax({"path": "package/" + "n" * 300}), tc.file("package/x", b"1")))
    assert any(e.status is EntryStatus.NAME_TOO_LONG for e in m.entries)


def test_multi_member_gzip_is_one_stream() -> None:
    tar = tar_with_pj(tc.file("package/a.js", b"a" * 5000))
    m = tarlens.load(tc.gzip(tar, members=3))
    assert "a.js" in m


def test_plain_tar_installs_and_is_reported() -> None:
    m = tarlens.load(tar_with_pj(tc.file("package/a.js", b"a")))
    assert "a.js" in m
    assert AnomalyKind.UNCOMPRESSED in kinds(m)


def test_zstd_is_read_and_reported() -> None:
    m = tarlens.load(tc.zstd(tar_with_pj(tc.file("package/a.js", b"a"))))
    assert "a.js" in m
    assert AnomalyKind.ZSTD in kinds(m)


@pytest.mark.parametrize(
    ("extra", "refuses"), [(b"\x00" * 700, False), (b"PK\x03\x04garbage", True)]
)
def test_trailing_bytes_after_gzip(extra: bytes, refuses: bool) -> None:
    data = tc.gzip(tar_with_pj()) + extra
    m = tarlens.load(data)
    assert AnomalyKind.TRAILING_DATA in kinds(m)
    assert bool(m.npm_refuses) is refuses
    assert m.integrity == "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_ratio_over_npms_guard_is_a_finding_not_an_error() -> None:
    tar = tar_with_pj(tc.file("package/zeros.bin", b"\x00" * 8_000_000))
    m = tarlens.load(tc.gzip(tar))
    assert AnomalyKind.COMPRESSION_RATIO in kinds(m)
    assert m.npm_refuses
    assert any(f.rule_id == "ARC025" for f in tarlens.check(m).findings)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"PK\x03\x04" + b"\x00" * 2000, "no valid tar header"),
        (bytes(range(256)) * 8, "no valid tar header"),
        (tc.gzip(tar_with_pj())[:-20], "truncated"),
        (tc.gzip(tar_with_pj(tc.file("package/a.js", b"x" * 3000)))[:10], "truncated"),
        (tc.gzip(tc.file("package/package.json", pj())[:700]), "truncated"),
        (b"\x1f\x8b\x08\x00" + b"\xff" * 100, "gzip"),
    ],
)
def test_unreadable_input_is_a_clear_archive_error(data: bytes, message: str) -> None:
    with pytest.raises(tarlens.ArchiveError, match=message) as info:
        tarlens.load(data)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("package_json", "message"),
    [
        (None, "no package.json"),
        (b"{", "invalid JSON at line 1"),
        (b"[1, 2]", "array, not an object"),
        (b'{"a": NaN}', "NaN"),
    ],
)
def test_package_json_problems_are_errors(package_json: bytes | None, message: str) -> None:
    parts = [tc.file("package/index.js", b"")]
    if package_json is not None:
        parts.append(tc.file("package/package.json", package_json))
    with pytest.raises(tarlens.PackageJsonError, match=message):
        tarlens.load(tgz(*parts))


def test_package_json_with_bom_and_duplicate_keys() -> None:
    body = (
        b'\xef\xbb\xbf{"name": "a", "version": "1.0.0", "scripts": {"test": "x"}, '
        b'"scripts": {"postinstall": "node evil.js"}}'
    )
    m = tarlens.load(tgz(tc.file("package/package.json", body)))
    assert [s.command for s in m.install_scripts] == ["node evil.js"]
    assert {AnomalyKind.JSON_BOM, AnomalyKind.JSON_DUPLICATE_KEY} <= kinds(m)
    high = [f for f in tarlens.check(m).findings if f.rule_id == "PKG001"]
    assert high and high[0].severity is tarlens.Severity.HIGH


def test_gzip_bomb_stops_at_the_limit_fast() -> None:
    bomb = tc.gzip_stream([tc.file("package/package.json", pj())] + [b"\x00" * (1 << 20)] * 300)
    limits = tarlens.Limits(max_tar_bytes=64 << 20)
    with pytest.raises(tarlens.LimitExceeded, match="max_tar_bytes"):
        tarlens.load(bomb, limits=limits)


def test_entry_count_limit() -> None:
    parts = [tc.file(f"package/f{i}", b"") for i in range(60)]
    with pytest.raises(tarlens.LimitExceeded, match="max_entries"):
        tarlens.load(
            tgz(tc.file("package/package.json", pj()), *parts),
            limits=tarlens.Limits(max_entries=50),
        )


def test_deep_json_is_refused_with_a_limit_error() -> None:
    body = b'{"name":"a","version":"1.0.0","x":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    with pytest.raises(tarlens.LimitExceeded, match="max_json_depth"):
        tarlens.load(tgz(tc.file("package/package.json", body)))


def test_big_package_json_is_refused() -> None:
    body = pj(description="x" * (9 << 20))
    with pytest.raises(tarlens.LimitExceeded, match="max_package_json_bytes"):
        tarlens.load(tgz(tc.file("package/package.json", body)))


def test_limits_validate() -> None:
    with pytest.raises(tarlens.ConfigError, match="max_entries"):
        tarlens.Limits(max_entries=0)


def test_missing_file_is_an_input_error(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(tarlens.InputError, match="no such file"):
        tarlens.load(str(tmp_path) + "/nope.tgz")
    with pytest.raises(tarlens.InputError, match="directory"):
        tarlens.load(str(tmp_path))


def test_output_is_deterministic() -> None:
    data = pack({"a.js": b"1", "b/c.js": b"2"})
    first, second = tarlens.load(data), tarlens.load(data)
    assert first.files == second.files
    assert first.entries == second.entries
    assert json.dumps([str(a) for a in first.anomalies]) == json.dumps(
        [str(a) for a in second.anomalies]
    )


def test_json_dense_in_values_is_refused_before_it_is_parsed() -> None:
    """Parsed, ``[[],[],...`` costs Python some 200 bytes a value: the values are bounded
    from the commas, colons and brackets first."""
    values = b"[" + b"[]," * 2000 + b"[]]"
    body = b'{"name":"a","version":"1.0.0","x":' + values + b"}"
    small = tarlens.Limits(max_json_values=1000)
    with pytest.raises(tarlens.LimitExceeded, match="max_json_values=1000"):
        tarlens.load(tgz(tc.file("package/package.json", body)), limits=small)
    assert tarlens.load(tgz(tc.file("package/package.json", body))).name == "a"
    # a bundled manifest or the shrinkwrap over the limit is an anomaly; the rest is read
    nested = b'{"name":"d","version":"1.0.0","x":' + values + b"}"
    shrinkwrap = b'{"lockfileVersion":3,"packages":{"":{"x":' + values + b"}}}"
    m = tarlens.load(
        pack({"node_modules/d/package.json": nested, "npm-shrinkwrap.json": shrinkwrap}),
        limits=small,
    )
    details = {(a.kind, a.path): a.detail for a in m.anomalies}
    assert (
        "max_json_values"
        in details[AnomalyKind.NESTED_MANIFEST_UNREADABLE, "node_modules/d/package.json"]
    )
    assert "max_json_values" in details[AnomalyKind.SHRINKWRAP, "npm-shrinkwrap.json"]


def test_duplicate_keys_deep_in_wide_json_keep_their_pointers() -> None:
    body = b'{"name":"a","version":"1.0.0","x":[' + b"{}," * 500 + b'{"y":[1,{"k":1,"k":2}]}]}'
    m = tarlens.load(tgz(tc.file("package/package.json", body)))
    dups = [a for a in m.anomalies if a.kind is AnomalyKind.JSON_DUPLICATE_KEY]
    assert len(dups) == 1 and "/x/500/y/1/k" in dups[0].detail


def test_kept_bytes_are_bounded_and_the_package_json_is_always_kept() -> None:
    """Bundled manifests (and secret-looking files) are kept in memory for the manifest, up
    to ``max_kept_bytes`` in all; the package's own package.json does not count."""
    manifest = pj(description="x" * 3000)
    tree: dict[str, bytes | tuple[bytes, int]] = {
        f"node_modules/d{i}/package.json": manifest for i in range(5)
    }
    tree["package.json"] = manifest
    m = tarlens.load(pack(tree), limits=tarlens.Limits(max_kept_bytes=2 * len(manifest)))
    kept = sorted(f.path for f in m.files if f.data is not None)
    assert kept == ["node_modules/d0/package.json", "node_modules/d1/package.json", "package.json"]
    unread = {
        a.path: a.detail for a in m.anomalies if a.kind is AnomalyKind.NESTED_MANIFEST_UNREADABLE
    }
    assert set(unread) == {f"node_modules/d{i}/package.json" for i in (2, 3, 4)}
    assert all("max_kept_bytes" in d for d in unread.values())
    assert all(f.sha256 for f in m.files)  # what is not kept is still hashed
    assert len(tarlens.load(pack(tree)).bundled) == 5


def test_paths_are_bounded_in_total_and_a_huge_one_is_kept_short() -> None:
    """A tar header may name a path of up to 1 MiB (node-tar's limit on an extended header):
    it is kept shortened (with its length and a digest), and the paths of all headers
    together are bounded by ``max_path_bytes`` (400 such entries took 3.8 GiB)."""
    from tarlens._anomaly import MAX_SHOWN

    long = "package/" + "/".join(["p" * 250] * 1000) + "/x.js"  # never installable
    data = tgz(
        tc.file("package/package.json", pj()), tc.pax({"path": long}), tc.file("package/x", b"1")
    )
    m = tarlens.load(data)
    (entry,) = [e for e in m.entries if e.status is EntryStatus.NAME_TOO_LONG]
    assert len(entry.path) < MAX_SHOWN and entry.path.startswith(long[:4096])
    assert f"{len(long)} characters" in entry.path
    assert all(a.path is None or len(a.path) < MAX_SHOWN for a in m.anomalies)
    assert all(len(a.detail) < MAX_SHOWN for a in m.anomalies)
    with pytest.raises(tarlens.LimitExceeded, match="max_path_bytes"):
        tarlens.load(data, limits=tarlens.Limits(max_path_bytes=len(long)))
    # two different long paths stay different
    other = long[:-5] + "/y.js"
    two = tgz(
        tc.file("package/package.json", pj()),
        *(tc.pax({"path": p}) + tc.file("package/x", b"1") for p in (long, other)),
    )
    shown = [e.path for e in tarlens.load(two).entries if e.status is EntryStatus.NAME_TOO_LONG]
    assert len(set(shown)) == 2


def test_directories_are_a_tree_and_bounded() -> None:
    """A thousand-deep path used to store a thousand prefixes of itself (200 such entries
    in a 5 KB tgz took 436 MiB); the directories are now a tree, bounded in number."""
    deep = [f"package/{i}/" + "abc/" * 1000 + "x.js" for i in range(3)]
    data = tgz(
        tc.file("package/package.json", pj()),
        *(tc.pax({"path": p}) + tc.file("package/x", b"1") for p in deep),
        tc.file("package/0/abc", b"a file where a directory is"),
        tc.file("package/1/abc/abc/abc", b""),
    )
    m = tarlens.load(data)
    assert len([f for f in m.files if f.path.endswith("x.js")]) == 3
    lost = {e.path: e.status for e in m.entries if e.status is EntryStatus.CONFLICT_LOST}
    assert lost == {
        "package/0/abc": EntryStatus.CONFLICT_LOST,
        "package/1/abc/abc/abc": EntryStatus.CONFLICT_LOST,
    }
    with pytest.raises(tarlens.LimitExceeded, match="max_directories=2000"):
        tarlens.load(data, limits=tarlens.Limits(max_directories=2000))
    assert tarlens.load(data, limits=tarlens.Limits(max_directories=3004)).name


def test_owner_names_from_extended_headers_are_kept_short() -> None:
    """A PAX record may name an owner of any length (600 headers naming 500 KB owners took
    1.2 GiB): over 256 characters, the first 64 and a mark are kept."""
    owner = "u" * 100_000
    data = tgz(
        tc.file("package/package.json", pj()),
        tc.pax({"uname": owner, "gname": "staff"}),
        tc.file("package/a.js", b"1"),
    )
    (entry,) = [e for e in tarlens.load(data).entries if e.path == "package/a.js"]
    assert entry.uname is not None and len(entry.uname) < 200
    assert entry.uname.startswith("u" * 64) and "100000 characters" in entry.uname
    assert entry.gname == "staff"


def test_extended_header_records_are_bounded_in_total() -> None:
    """Each PAX record is parsed in Python (a million tiny ones, about a second and a
    half; 1 GiB of them, minutes): ``max_pax_records`` bounds them over the tarball."""
    records = b"7 a=bc\n" * 300  # unknown keys: dropped, as node-tar drops them
    data = tgz(
        tc.file("package/package.json", pj()),
        *(
            tc.entry(tc.Header(name="PaxHeader", typeflag=b"x"), records)
            + tc.file(f"package/f{i}.js", b"1")
            for i in range(3)
        ),
    )
    assert len(tarlens.load(data).files) == 4
    assert tarlens.load(data, limits=tarlens.Limits(max_pax_records=903)).name
    with pytest.raises(tarlens.LimitExceeded, match="max_pax_records=902"):
        tarlens.load(data, limits=tarlens.Limits(max_pax_records=902))
