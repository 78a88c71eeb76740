"""The rule catalog's test data has the shape it claims (tests of the fixtures, not the rules).

``fixtures/incidents.py`` reproduces every compromise shape of INCIDENTS.md as a previous and
a new release, plus synthetic ordinary releases; ``fixtures/ordinary.py`` lists real ordinary
release pairs. Here: every pair builds deterministically, both tarballs load, the diff shows
the intended change (and nothing else), the payloads are inert, and the real pairs are
well-formed (and, with the registry, consecutive published releases).
"""

from __future__ import annotations

import base64
import functools
import gzip
import io
import json
import re
import shutil
import struct
import subprocess
import tarfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.version import Version

import tarlens
from fixtures import corpus, incidents, ordinary
from fixtures.incidents import INCIDENTS, ORDINARY_SYNTHETIC, SENTENCES, Shape, Shows

Builder = Callable[[], bytes]
PAIRS: dict[str, tuple[Builder, Builder, Shows]] = {
    **{i.name: (i.previous, i.new, i.shows) for i in INCIDENTS},
    **{o.name: (o.previous, o.new, o.shows) for o in ORDINARY_SYNTHETIC},
}
BY_NAME = {i.name: i for i in INCIDENTS}
ORDINARY_NAMES = [o.name for o in ORDINARY_SYNTHETIC]
INCIDENTS_MD = Path(__file__).resolve().parents[2] / "shared" / "INCIDENTS.md"

#: the incidents INCIDENTS.md names; every reproduction cites at least one
KNOWN_INCIDENTS = (
    "eslint-scope",
    "ua-parser-js",
    "coa",
    "rc 1.2.9",
    "@rspack/core",
    "eslint-config-prettier",
    "nx",
    "Shai-Hulud",
    "chalk",
    "debug",
    "@solana/web3.js",
    "lottie-player",
    "@velora-dex/sdk",
    "flatmap-stream",
    "node-ipc",
    "event-stream",
    "axios",
    "TanStack",
    "colors",
    "faker",
)


@functools.cache
def built(name: str) -> tuple[bytes, bytes]:
    """Each pair is built once per session (the determinism test builds it again)."""
    previous, new, _ = PAIRS[name]
    return previous(), new()


@functools.cache
def changes(name: str) -> tarlens.ReleaseDiff:
    previous, new = built(name)
    return tarlens.diff(previous, new)


def tgz_files(data: bytes) -> dict[str, bytes]:
    """The files of one of *our* fixture tarballs (trusted input: built above)."""
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        for member in tar.getmembers():
            if member.isfile():
                body = tar.extractfile(member)
                assert body is not None
                out[member.name.removeprefix("package/")] = body.read()
    return out


# -- the catalog of fixtures -------------------------------------------------------------


def test_names_are_unique_kebab_case() -> None:
    names = [i.name for i in INCIDENTS] + ORDINARY_NAMES
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", n) for n in names)


def test_every_row_of_incidents_md_has_a_reproduction() -> None:
    count = {shape: sum(1 for i in INCIDENTS if i.shape is shape) for shape in Shape}
    assert all(n >= 1 for n in count.values()), count
    assert count[Shape.INSTALL_SCRIPT] >= 5
    assert count[Shape.INJECTED_CODE] >= 5
    assert len(ORDINARY_SYNTHETIC) >= 4


def test_shapes_match_the_table_in_incidents_md() -> None:
    if not INCIDENTS_MD.exists():
        pytest.skip(f"{INCIDENTS_MD} is not beside this checkout")
    rows = [
        line.split("|")[1].strip().lower()
        for line in INCIDENTS_MD.read_text().splitlines()
        if line.startswith("| ") and not line.startswith("| Shape")
    ]
    assert len(rows) == len(Shape)
    for row, shape in zip(rows, Shape, strict=True):
        assert row.split()[:2] == str(shape).split()[:2], (row, shape)


def test_only_the_plain_dependency_and_the_packing_signal_may_stay_below_high() -> None:
    """INCIDENTS.md: every shape fires at high or above, except a plain new registry
    dependency (at least medium). The metadata row has no tarball shape of its own; its
    proxy (a packing change) is documented in its ``why`` as at least medium."""
    below = {i.name for i in INCIDENTS if not i.expect_high}
    assert below == {"new-registry-dependency-in-patch", "republished-outside-npm-pack"}


@pytest.mark.parametrize("incident", INCIDENTS, ids=lambda i: i.name)
def test_incident_cites_what_it_reproduces(incident: incidents.Incident) -> None:
    cited = [k for k in KNOWN_INCIDENTS if k in incident.based_on]
    assert cited, incident.based_on
    assert any(k in incident.why for k in cited), incident.why
    assert len(incident.why) > 80


# -- every pair builds, loads, and shows its shape -----------------------------------------


@pytest.mark.parametrize("name", list(PAIRS))
def test_builds_deterministically(name: str) -> None:
    previous, new, _ = PAIRS[name]
    assert (previous(), new()) == built(name)


@pytest.mark.parametrize("name", list(PAIRS))
def test_both_releases_load_as_consecutive_versions(name: str) -> None:
    previous, new = (tarlens.load(data) for data in built(name))
    assert previous.name == new.name
    assert previous.version is not None
    assert new.version is not None
    assert Version(new.version) > Version(previous.version)
    assert previous.packing.like_npm_pack, previous.packing.differences
    assert not previous.npm_refuses
    assert not new.npm_refuses


@pytest.mark.parametrize("name", list(PAIRS))
def test_diff_shows_the_intended_change(name: str) -> None:
    d = changes(name)
    shows = PAIRS[name][2]
    if shows.added is not None:
        assert sorted(d.added) == sorted(shows.added)
    if shows.removed is not None:
        assert sorted(d.removed) == sorted(shows.removed)
    if shows.modified is not None:
        assert sorted(d.modified) == sorted(shows.modified)
    assert sorted(s.event for s in d.scripts) == sorted(shows.scripts)
    runs = sorted({p for s in d.scripts for p in s.runs_changed_files})
    assert runs == sorted(shows.install_runs)
    assert sorted(f"{c.field}:{c.name}" for c in d.dependencies) == sorted(shows.dependencies)
    assert d.mass_deletion is shows.mass_deletion
    assert bool(d.packing) is shows.repacked, d.packing
    assert not d.notes


@pytest.mark.parametrize("incident", INCIDENTS, ids=lambda i: i.name)
def test_incident_has_the_shape_of_its_row(incident: incidents.Incident) -> None:
    d = changes(incident.name)
    new_files = tgz_files(built(incident.name)[1])
    added_install = [s for s in d.scripts if s.install_time and s.old is None]
    if incident.shape is Shape.INSTALL_SCRIPT:
        assert added_install, d.scripts
    elif incident.shape is Shape.INJECTED_CODE:
        assert not added_install
        assert [f.field for f in d.fields] == ["version"]
        assert {p for p in d.modified if p != "package.json"}, "no shipped file changed"
    elif incident.shape is Shape.DEPENDENCY:
        assert d.dependencies
        assert not d.scripts
        assert not d.added
    elif incident.shape is Shape.NATIVE_BINARY:
        magics = (b"MZ", b"\x7fELF", struct.pack("<I", 0xFEEDFACF))
        assert any(new_files[p].startswith(magics) for p in d.added)
    elif incident.shape is Shape.SABOTAGE:
        entry = json.loads(new_files["package.json"])["main"]
        assert entry in d.modified
        assert d.mass_deletion or d.added
    else:
        assert incident.shape is Shape.METADATA
        assert d.packing
        assert d.modified == ("package.json",)


@pytest.mark.parametrize("name", ORDINARY_NAMES)
def test_ordinary_pair_adds_no_install_script_and_no_binary(name: str) -> None:
    d = changes(name)
    assert not [s for s in d.scripts if s.install_time and s.old is None]
    new_files = tgz_files(built(name)[1])
    for path in d.added:
        assert not new_files[path].startswith((b"MZ", b"\x7fELF")), path


def test_large_payloads_are_in_the_2_to_10_mb_range() -> None:
    for name, path in (
        ("postinstall-bundle-env-exfil", "bundle.js"),
        ("preinstall-runtime-bootstrap-large-obfuscated", "bun_environment.js"),
    ):
        f = changes(name).new.file(path)
        assert f is not None
        assert 2_000_000 <= f.size <= 10_000_000


def test_minified_injection_changes_one_line_in_the_middle() -> None:
    change = changes("minified-bundle-wallet-prompt").file("dist/web-player.js")
    assert change is not None
    assert change.text is not None
    assert (change.text.lines_added, change.text.lines_removed) == (1, 1)
    assert change.text.longest_added_line > 400_000


# -- inert payloads --------------------------------------------------------------------------


def test_obfuscated_strings_decode_to_the_harmless_sentences() -> None:
    code = incidents.obfuscated_js("decode-check", size=4000)
    array = re.match(r"var _0x[0-9a-f]+=\[(.*?)\];", code)
    assert array is not None
    entries = re.findall(r"'((?:\\x[0-9a-f]{2})+)'", array.group(1))
    decoded = {base64.b64decode(bytes.fromhex(e.replace("\\x", ""))).decode() for e in entries}
    assert decoded == set(SENTENCES)
    assert len(code) >= 4000
    assert "\n" not in code


_URL = re.compile(rb"https?://([A-Za-z0-9.-]+)")


@pytest.mark.parametrize("name", list(PAIRS))
def test_every_url_names_a_reserved_host(name: str) -> None:
    """Nothing a fixture points at can be reached: ``.invalid`` never resolves and
    example.com belongs to IANA; package.json's repository URLs name github.com/example."""
    for data in built(name):
        for path, body in tgz_files(data).items():
            for match in _URL.finditer(body):
                host = match.group(1).decode().lower()
                if host == "github.com":
                    assert body[match.end() :].startswith(b"/example/"), (path, host)
                    continue
                assert host.endswith(".invalid") or host == "example.com", (path, host)


def test_destructive_code_only_reaches_the_fake_root() -> None:
    new_files = tgz_files(built("new-geo-wiper-required-from-entry")[1])
    wiper = new_files["dao/ssl-geospec.js"].decode()
    roots = {
        base64.b64decode(m).decode() for m in re.findall(r"decode\('([A-Za-z0-9+/=]+)'\)", wiper)
    }
    assert {r for r in roots if r.startswith("/")} == {
        f"{incidents.FAKE_ROOT}/a",
        f"{incidents.FAKE_ROOT}/b",
    }


def test_native_binaries_have_valid_headers() -> None:
    dll = incidents.pe_dll()
    (e_lfanew,) = struct.unpack_from("<I", dll, 0x3C)
    assert dll[:2] == b"MZ"
    assert dll[e_lfanew : e_lfanew + 4] == b"PE\x00\x00"
    machine, sections = struct.unpack_from("<HH", dll, e_lfanew + 4)
    (characteristics,) = struct.unpack_from("<H", dll, e_lfanew + 22)
    assert (machine, sections) == (0x8664, 1)
    assert characteristics & 0x2000  # IMAGE_FILE_DLL
    assert struct.unpack_from("<H", dll, e_lfanew + 24) == (0x20B,)  # PE32+
    elf = incidents.elf_executable()
    assert elf[:4] == b"\x7fELF"
    assert struct.unpack_from("<HH", elf, 16) == (2, 0x3E)  # ET_EXEC, x86-64
    assert struct.unpack_from("<I", incidents.macho_executable()) == (0xFEEDFACF,)
    try:
        import magic
    except ImportError:  # libmagic is optional for tarlens
        return
    assert "PE32+ executable" in magic.from_buffer(dll)
    assert "DLL" in magic.from_buffer(dll)
    assert "ELF 64-bit" in magic.from_buffer(elf)
    assert "Mach-O 64-bit" in magic.from_buffer(incidents.macho_executable())


def test_gnu_tar_release_is_installable_and_looks_hand_packed() -> None:
    tree = incidents.library("repack-check", "1.0.0")
    m = tarlens.load(incidents.gnu_tar_release(tree, mtime=1_700_000_000))
    assert sorted(f.path for f in m.files) == sorted(tree)
    assert not m.packing.like_npm_pack
    assert m.packing.directory_entries == 2
    assert m.packing.mtimes == (1_700_000_000,)


# -- real ordinary pairs -------------------------------------------------------------------------


def test_ordinary_pairs_are_well_formed() -> None:
    assert len(ordinary.PAIRS) >= 35
    seen: set[tuple[str, str]] = set()
    names: set[str] = set()
    for old, new, why in ordinary.PAIRS:
        (name, a), (name_b, b) = ordinary.split_spec(old), ordinary.split_spec(new)
        assert name == name_b, (old, new)
        assert re.fullmatch(r"(?:@[a-z0-9-]+/)?[a-z0-9][a-z0-9._-]*", name), name
        assert re.fullmatch(r"\d+\.\d+\.\d+", a), old
        assert re.fullmatch(r"\d+\.\d+\.\d+", b), new
        assert Version(b) > Version(a), (old, new)
        assert (old, new) not in seen
        seen.add((old, new))
        names.add(name)
        assert len(why) > 20
    assert len(names) >= 35  # varied: one pair per package, nearly


def test_ordinary_specs_split_scoped_names() -> None:
    assert ordinary.split_spec("@img/sharp-linux-x64@0.33.4") == ("@img/sharp-linux-x64", "0.33.4")
    assert ordinary.split_spec("lodash@4.17.21") == ("lodash", "4.17.21")
    assert len(ordinary.specs()) == len({s for p in ordinary.PAIRS for s in p[:2]})


def test_fetch_reuses_the_corpus_cache_without_npm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(corpus, "CACHE", tmp_path)  # the shared corpus cache behind fetch
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    (tmp_path / "left-pad-1.3.0.tgz").write_bytes(b"cached")
    index = {"left-pad@1.3.0": {"filename": "left-pad-1.3.0.tgz", "integrity": "sha512-x"}}
    (tmp_path / "index.json").write_text(json.dumps(index))
    assert ordinary.fetch("left-pad@1.3.0") == tmp_path / "left-pad-1.3.0.tgz"
    with pytest.raises(ordinary.FetchError, match="npm is not available"):
        ordinary.fetch("left-pad@1.2.0")


def test_ordinary_cli_lists_the_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    assert ordinary.main(["--list"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(ordinary.PAIRS)


def _versions(name: str) -> list[str]:
    out = subprocess.run(
        ["npm", "view", name, "versions", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    value = json.loads(out)
    return value if isinstance(value, list) else [value]


@pytest.mark.registry
def test_ordinary_pairs_are_consecutive_published_releases() -> None:
    """Each pair is adjacent in ``npm view NAME versions`` (one look-up per package; the
    tarballs themselves are fetched by ``python -m fixtures.ordinary --fetch``)."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not available")
    by_name: dict[str, list[tuple[str, str]]] = {}
    for old, new, _ in ordinary.PAIRS:
        name, a = ordinary.split_spec(old)
        by_name.setdefault(name, []).append((a, ordinary.split_spec(new)[1]))
    first = next(iter(by_name))
    try:
        known = {first: _versions(first)}
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, ValueError) as exc:
        pytest.skip(f"the npm registry is unreachable: {exc}")
    with ThreadPoolExecutor(max_workers=4) as pool:
        rest = [n for n in by_name if n != first]
        known.update(zip(rest, pool.map(_versions, rest), strict=True))
    for name, pairs in by_name.items():
        versions = known[name]
        for a, b in pairs:
            assert a in versions, f"{name}@{a} is not published"
            assert b in versions, f"{name}@{b} is not published"
            assert versions.index(b) == versions.index(a) + 1, f"{name}: {a} -> {b} skips"
