"""The adversarial suite: every crafted archive in fixtures/hostile.py, with its expected outcome.

Each case says what tarlens must do and why. Outcomes:

- ``ok``: readable, npm installs it; the listed rules fire (high, medium), nothing else at
  medium or above;
- ``refuses``: readable, but `npm install` would fail on it (``Manifest.npm_refuses``);
- an error class: unreadable for npm too, or a limit hit on purpose (exit 2 on the CLI).

The installed files of every case are compared with npm's own pacote in
tests/test_pacote_differential.py; this file pins what tarlens *says* about each case.
"""

from __future__ import annotations

import pytest

import tarlens
from fixtures import hostile

E: set[str] = set()

# name: (outcome, high-or-worse rule ids, medium rule ids, why)
EXPECTED: dict[str, tuple[str, set[str], set[str], str]] = {
    "baseline": ("ok", E, E, "an ordinary package stays quiet"),
    "dotdot-escape": ("ok", {"ARC001"}, E, "npm refuses the `..` entry; intent is traversal"),
    "dotdot-inner": ("ok", {"ARC001"}, E, "`a/../../x` climbs out after stripping"),
    "dotdot-first-component": (
        "ok",
        {"ARC001"},
        {"ARC008"},
        "npm strips a leading `..` and installs `x`; other extractors write outside",
    ),
    "dotdot-first-two": ("ok", {"ARC001"}, {"ARC008"}, "`../../x`: the second `..` survives"),
    "backslash-dotdot": ("ok", {"ARC001"}, E, "node-tar treats `\\` as a separator for `..`"),
    "absolute-etc": (
        "ok",
        E,
        {"ARC002", "ARC008"},
        "`/etc/x` installs as `etc/x`; other tools may not strip",
    ),
    "absolute-double-slash": ("ok", E, {"ARC002"}, "`package//abs` has a root after stripping"),
    "absolute-drive-letter": ("ok", E, {"ARC002"}, "win32 roots are stripped even on Linux"),
    "absolute-unc": ("ok", E, {"ARC002"}, "UNC roots are stripped even on Linux"),
    "symlink-escape": ("ok", {"ARC003"}, E, "a link out of the package: dropped by npm"),
    "hardlink-escape": ("ok", {"ARC003"}, E, "a hard link out of the package"),
    "hardlink-inside": ("ok", E, {"ARC003"}, "npm pack never writes links"),
    "symlink-then-file": ("ok", {"ARC003"}, E, "writing through a link elsewhere"),
    "devices": ("ok", E, {"ARC004"}, "device nodes and FIFOs have no place in a package"),
    "duplicate-index": ("ok", E, {"ARC005"}, "a second index.js wins"),
    "duplicate-package-json": (
        "ok",
        {"ARC005"},
        E,
        "a second package.json wins and carries a postinstall",
    ),
    "duplicate-modes": ("ok", E, {"ARC005"}, "last bytes win, first mode stays"),
    "case-collision": ("ok", E, {"ARC010"}, "one file on macOS and Windows"),
    "unicode-collision": ("ok", E, {"ARC011"}, "one file on macOS"),
    "special-modes": ("ok", {"ARC006"}, E, "setuid/setgid/sticky survive npm's install"),
    "non-utf8-names": ("ok", E, {"ARC005", "ARC012"}, "two names collapse to one after U+FFFD"),
    "multiple-roots": ("ok", E, {"ARC005", "ARC008"}, "`other/index.js` overwrites index.js"),
    "root-victim-name": ("ok", E, E, "any single root is stripped (low finding only)"),
    "root-dot": ("ok", E, E, "`./` as the root (low finding only)"),
    "root-leading-slash": (
        "PackageJsonError",
        E,
        E,
        "`/package/...` installs under package/: no root package.json",
    ),
    "top-level-file": ("ok", E, {"ARC008"}, "a top-level file is dropped silently"),
    "gnu-longname": ("ok", E, E, "ordinary GNU long names"),
    "gnu-longlink": ("ok", {"ARC003"}, E, "a long link target out of the package"),
    "pax-longname": ("ok", E, {"ARC033"}, "the header name is a decoy, not a truncation"),
    "pax-path-override": ("ok", E, {"ARC033"}, "PAX renames README to evil.js"),
    "pax-size-override": (
        "ok",
        {"ARC033"},
        {"PAY002"},
        "PAX size moves the data boundary; the installed .js holds tar headers",
    ),
    "pax-size-before-longname": (
        "ok",
        {"ARC033"},
        {"ARC033", "PAY002"},
        "a PAX size meant for a GNU long-name entry",
    ),
    "pax-global": ("ok", E, {"ARC033"}, "readers disagree on global headers"),
    "pax-mode": ("ok", E, E, "`mode` is no PAX keyword: node-tar and GNU tar ignore it"),
    "pax-malformed": ("ok", E, {"ARC033"}, "malformed records resynchronise differently"),
    "deep-path-1024": ("ok", E, {"ARC033"}, "1024 components install (decoy header name)"),
    "deep-path-1025": ("ok", E, {"ARC017", "ARC033"}, "1025 components: npm drops the entry"),
    "bad-checksum-first": ("ok", {"ARC015"}, E, "npm skips the header and resynchronises"),
    "bad-checksum-middle": ("ok", {"ARC015"}, E, "other tools stop at the bad header"),
    "smuggle-bad-checksum": ("ok", {"ARC015"}, E, "a header hidden in a broken entry's body"),
    "smuggle-file-linkname": ("ok", {"ARC016"}, E, "a file with a link name hides a header"),
    "entries-after-eof": ("ok", {"ARC013"}, E, "content only `tar --ignore-zeros` sees"),
    "single-zero-block": ("ok", {"ARC014"}, E, "GNU tar and tarfile stop at one zero block"),
    "typeflag-unknown": ("ok", E, {"ARC021"}, "GNU tar extracts unknown types as files"),
    "typeflag-nul": ("ok", E, E, "a NUL type flag is an old-style regular file everywhere"),
    "typeflag-zoo": ("ok", E, {"ARC021"}, "vendor and unknown types npm skips"),
    "type0-trailing-slash": ("ok", {"ARC031"}, E, "a 'directory' whose data hides a header"),
    "gitignore-alone": ("ok", E, E, "npm's documented .gitignore -> .npmignore rename"),
    "gitignore-after-npmignore": ("ok", E, E, "the .gitignore is dropped, as npm does"),
    "gitignore-before-npmignore": ("ok", E, {"ARC005"}, "the renamed file is overwritten"),
    "file-in-the-way": ("ok", E, {"ARC019"}, "npm loses `x/y` because `x` is a file"),
    "dir-in-the-way": ("ok", E, {"ARC019"}, "npm loses file `x` because `x/` has files"),
    "nul-newline-name": (
        "ok",
        {"ARC022"},
        {"ARC035"},
        "C readers see `a.js`, npm installs `a.js\\nxxx...`",
    ),
    "nul-newline-short": ("refuses", {"ARC022"}, {"ARC035"}, "NULs survive: Node's fs throws"),
    "ustar-prefix": ("ok", {"ARC001"}, E, "the prefix field carries a `..`"),
    "gnu-magic-prefix": (
        "ok",
        E,
        {"ARC008", "ARC034"},
        "node-tar ignores the prefix under GNU magic, tarfile not",
    ),
    "base256-size": ("ok", E, E, "base-256 sizes are legitimate for big files"),
    "negative-size": ("ok", {"ARC032"}, E, "size -1 is read as 0: the data becomes headers"),
    "size-not-octal": ("ok", {"ARC032"}, E, "a non-octal size is read as 0"),
    "truncated-gzip": ("ArchiveError", E, E, "zlib: unexpected end of file (npm fails too)"),
    "truncated-member": ("ArchiveError", E, E, "the last entry's data is cut (npm fails too)"),
    "trailing-garbage": ("refuses", {"ARC024"}, E, "incorrect header check after the stream"),
    "trailing-zero-then-garbage": (
        "ok",
        E,
        {"ARC024"},
        "accepted or not depending on download chunking",
    ),
    "trailing-zeros": ("ok", E, E, "zero padding after the stream is accepted (low finding)"),
    "multi-member-gzip": ("ok", E, E, "several members are one stream"),
    "plain-tar": ("ok", E, E, "npm installs uncompressed tars (low finding)"),
    "zstd": ("refuses", E, {"ARC026"}, "crashes npm on Node.js 20, installs on newer Node.js"),
    "zip": ("ArchiveError", E, E, "not a tar archive"),
    "random-bytes": ("ArchiveError", E, E, "not a tar archive"),
    "empty-file": ("ArchiveError", E, E, "nothing to read"),
    "gzip-ratio-bomb": ("refuses", {"ARC025"}, E, "node-tar aborts over 1000:1"),
    "gzip-bomb-1gib": ("LimitExceeded", E, E, "refused at max_tar_bytes in seconds"),
    "entry-count-bomb": ("LimitExceeded", E, E, "200,000 entries stop at max_entries"),
    "package-json-missing": ("PackageJsonError", E, E, "nothing identifies the package"),
    "package-json-invalid": ("PackageJsonError", E, E, "npm: EJSONPARSE"),
    "package-json-not-object": ("PackageJsonError", E, E, "a JSON array is no manifest"),
    "package-json-deep": ("LimitExceeded", E, E, "200,000-deep JSON is refused by a limit"),
    "package-json-30mb": ("LimitExceeded", E, E, "over max_package_json_bytes"),
    "package-json-bin-escape": ("ok", E, {"PKG006"}, "a bin that tries to leave the package"),
    "package-json-bom": ("ok", E, E, "npm strips the BOM (info finding)"),
    "package-json-duplicate-keys": (
        "ok",
        {"PKG001"},
        {"SCR005"},
        "a second `scripts` key hides a postinstall",
    ),
    "package-json-non-utf8": ("ok", E, {"PKG003"}, "invalid bytes read as U+FFFD"),
}


def test_every_case_has_an_expected_outcome() -> None:
    assert set(EXPECTED) == {c.name for c in hostile.CASES}


@pytest.mark.parametrize("case", hostile.CASES, ids=[c.name for c in hostile.CASES])
def test_case_outcome(case: hostile.Case) -> None:
    outcome, high, medium, why = EXPECTED[case.name]
    assert why
    data = case.build()
    if outcome not in ("ok", "refuses"):
        with pytest.raises(tarlens.TarlensError) as info:
            tarlens.load(data)
        assert type(info.value).__name__ == outcome
        assert "\n" not in str(info.value)
        return
    m = tarlens.load(data)
    assert bool(m.npm_refuses) is (outcome == "refuses"), m.npm_refuses
    report = tarlens.check(m)
    assert not report.errors
    got_high = {f.rule_id for f in report.at_least(tarlens.Severity.HIGH)}
    got_medium = {f.rule_id for f in report.findings if f.severity is tarlens.Severity.MEDIUM}
    assert (got_high, got_medium) == (high, medium)
