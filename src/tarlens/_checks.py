"""The built-in rule catalog (reader-level anomalies, package metadata, scripts, sources).

Severities follow one idea: *high* when the tarball shows npm something other than what a
reviewer's tools show (a parser differential is how content gets smuggled past review) or
when npm would refuse the release; *medium* for things npm tolerates that ``npm pack``
never produces; *low*/*info* for facts a reviewer should see but that ordinary releases
have too (an install script in itself is not suspicious; INCIDENTS.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tarlens._anomaly import AnomalyKind
from tarlens._engine import Confidence, Evidence, Release, Severity, rule
from tarlens._manifest import ScriptWhen, script_files
from tarlens._npa import SourceType

__all__: list[str] = []  # private module: rules register themselves on import


def _each(release: Release, *kinds: AnomalyKind) -> Iterator[Evidence]:
    for a in release.manifest.anomalies:
        if a.kind in kinds:
            yield Evidence(a.detail, path=a.path)


# -- archive -----------------------------------------------------------------------------


@rule(
    id="ARC001",
    name="path-traversal-entry",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=22,
)
def path_traversal_entry(release: Release) -> Iterator[Evidence]:
    """An entry's path climbs out of the package with ``..``.

    ## What it does
    Reports tar entries whose path (or link path) has a ``..`` component after npm strips
    the first directory.

    ## Why is this risky
    npm refuses these entries, but naive extractors write them outside the target
    directory. ``npm pack`` never produces one: someone built this archive by hand to reach
    a file outside the package.

    ## Example
    ``package/../../home/user/.bashrc``
    """
    yield from _each(release, AnomalyKind.PATH_TRAVERSAL)


@rule(
    id="ARC002",
    name="absolute-path-entry",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=36,
)
def absolute_path_entry(release: Release) -> Iterator[Evidence]:
    """An entry's path is absolute (``/x``, ``C:/x``, ``\\\\server\\share``) after stripping.

    ## What it does
    Reports entries whose path still has a root after npm strips the first component; npm
    strips the root and installs the rest.

    ## Why is this risky
    Other extractors honour the root and write anywhere on the disk.

    ## Example
    ``package//etc/cron.d/x`` or ``package/C:/Windows/x.dll``
    """
    yield from _each(release, AnomalyKind.ABSOLUTE_PATH)


@rule(id="ARC003", name="link-entry", severity=Severity.MEDIUM, confidence=Confidence.HIGH, cwe=59)
def link_entry(release: Release) -> Iterator[Evidence]:
    """The archive holds a symbolic or hard link.

    ## What it does
    Reports link entries; npm drops them silently.

    ## Why is this risky
    ``npm pack`` never writes links. Other tools follow them, so a link to ``/etc`` or to a
    file outside the package reads or writes there, and a later entry written "through" a
    link lands outside the package.

    ## Example
    ``package/config -> /etc/passwd``
    """
    for a in release.manifest.anomalies:
        if a.kind is AnomalyKind.LINK:
            # the reader says whether the target is absolute or climbs out of the package
            yield Evidence(a.detail, path=a.path, severity=Severity.HIGH if a.subject else None)


@rule(id="ARC004", name="special-file-entry", severity=Severity.MEDIUM, confidence=Confidence.HIGH)
def special_file_entry(release: Release) -> Iterator[Evidence]:
    """The archive holds a device node or a FIFO.

    ## What it does
    Reports character devices, block devices and FIFOs; npm skips them.

    ## Why is this risky
    They have no place in a package; a root extractor would create a device node.

    ## Example
    ``package/dev/sda`` of type ``4``
    """
    yield from _each(release, AnomalyKind.SPECIAL_FILE)


@rule(
    id="ARC005",
    name="duplicate-entry",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=436,
)
def duplicate_entry(release: Release) -> Iterator[Evidence]:
    """Two entries install the same path; npm keeps the last one.

    ## What it does
    Reports every path written more than once. It is *high* for ``package.json``.

    ## Why is this risky
    Listings and many scanners show the first copy; npm installs the last. A second
    ``package.json`` or ``index.js`` hides the real content behind a harmless first one.

    ## Example
    ``package/package.json`` twice, the second with a ``postinstall``.
    """
    for a in release.manifest.anomalies:
        if a.kind is AnomalyKind.DUPLICATE:
            sev = Severity.HIGH if a.path == "package.json" else None
            yield Evidence(a.detail, path=a.path, severity=sev)


@rule(
    id="ARC006",
    name="setuid-or-setgid-file",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=732,
)
def setuid_or_setgid_file(release: Release) -> Iterator[Evidence]:
    """A file is installed with the setuid, setgid or sticky bit.

    ## What it does
    Reports files whose installed mode keeps bits ``7000``; npm passes them through.

    ## Why is this risky
    A setuid executable in ``node_modules`` of a root install is a privilege escalation
    waiting to happen; no package needs one.

    ## Example
    ``package/bin/helper`` with mode ``4755``.
    """
    yield from _each(release, AnomalyKind.SPECIAL_MODE)


@rule(
    id="ARC007",
    name="world-writable-file",
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=732,
)
def world_writable_file(release: Release) -> Iterator[Evidence]:
    """A tar header marks a file world-writable.

    ## What it does
    Reports entries with the ``o+w`` bit; npm's umask removes it.

    ## Why is this risky
    Extractors that keep modes make the file writable by every user, who can then change
    code that others run.

    ## Example
    ``package/index.js`` with mode ``0666``.
    """
    yield from _each(release, AnomalyKind.WORLD_WRITABLE)


@rule(
    id="ARC008",
    name="multiple-root-directories",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=436,
)
def multiple_root_directories(release: Release) -> Iterator[Evidence]:
    """Entries live under more than one top-level directory.

    ## What it does
    Reports archives whose entries start with different first components; npm strips the
    first component of each and merges them into one package.

    ## Why is this risky
    Tools that look only at ``package/`` miss the files under ``other/`` that npm installs.

    ## Example
    ``package/index.js`` and ``x/index.js``: npm installs the second over the first.
    """
    yield from _each(release, AnomalyKind.MULTIPLE_ROOTS)


@rule(id="ARC009", name="unusual-root-directory", severity=Severity.LOW, confidence=Confidence.HIGH)
def unusual_root_directory(release: Release) -> Iterator[Evidence]:
    """The single top-level directory is not ``package/``.

    ## What it does
    Reports archives whose entries are not under ``package/``.

    ## Why is this risky
    ``npm pack`` always writes ``package/``; anything else was packed by another tool.

    ## Example
    ``victim-1.0.0/index.js``
    """
    yield from _each(release, AnomalyKind.UNUSUAL_ROOT)


@rule(
    id="ARC010",
    name="case-collision",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=178,
)
def case_collision(release: Release) -> Iterator[Evidence]:
    """Two installed paths differ only in letter case.

    ## What it does
    Reports groups of paths that are the same file on macOS and Windows.

    ## Why is this risky
    On those systems the last one written wins, so a reviewer on Linux and a user on a Mac
    run different code.

    ## Example
    ``lib/index.js`` and ``lib/INDEX.js``
    """
    yield from _each(release, AnomalyKind.CASE_COLLISION)


@rule(
    id="ARC011",
    name="unicode-normalization-collision",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=176,
)
def unicode_normalization_collision(release: Release) -> Iterator[Evidence]:
    """Two installed paths differ only in Unicode normalisation.

    ## What it does
    Reports paths equal after NFC normalisation.

    ## Why is this risky
    macOS file systems treat them as one file; the review on Linux sees two.

    ## Example
    ``café.js`` written once as NFC and once as NFD.
    """
    yield from _each(release, AnomalyKind.UNICODE_COLLISION)


@rule(
    id="ARC012", name="non-utf8-name", severity=Severity.MEDIUM, confidence=Confidence.HIGH, cwe=176
)
def non_utf8_name(release: Release) -> Iterator[Evidence]:
    """An entry's name is not valid UTF-8.

    ## What it does
    Reports names npm decodes with U+FFFD replacement characters.

    ## Why is this risky
    Two different byte strings can become the same installed name, and tools that keep the
    raw bytes disagree with npm about which file is which.

    ## Example
    ``package/a\\xff.js`` and ``package/a\\xfe.js`` both install as ``a�.js``.
    """
    yield from _each(release, AnomalyKind.NON_UTF8_NAME)


@rule(
    id="ARC013",
    name="data-after-end-of-archive",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=436,
)
def data_after_end_of_archive(release: Release) -> Iterator[Evidence]:
    """Entries or data follow the end-of-archive marker.

    ## What it does
    Reports anything after two zero blocks; npm stops reading there.

    ## Why is this risky
    ``tar --ignore-zeros`` and some scanners read on, so the archive carries content only
    some readers see; there is no innocent reason for it.

    ## Example
    ``package/index.js``, two zero blocks, then ``package/evil.js``.
    """
    yield from _each(release, AnomalyKind.AFTER_EOF)


@rule(
    id="ARC014", name="lone-zero-block", severity=Severity.HIGH, confidence=Confidence.HIGH, cwe=436
)
def lone_zero_block(release: Release) -> Iterator[Evidence]:
    """A single zero block sits between entries.

    ## What it does
    Reports one zero block followed by more entries; npm skips it and reads on.

    ## Why is this risky
    GNU tar and Python's ``tarfile`` stop at it, so every entry after it is installed by
    npm but invisible to those tools.

    ## Example
    ``package/package.json``, one zero block, ``package/install.js``.
    """
    yield from _each(release, AnomalyKind.LONE_ZERO_BLOCK)


@rule(
    id="ARC015",
    name="bad-header-checksum",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=436,
)
def bad_header_checksum(release: Release) -> Iterator[Evidence]:
    """A tar header fails its checksum and npm resynchronises after it.

    ## What it does
    Reports runs of blocks skipped for a checksum failure.

    ## Why is this risky
    node-tar skips one block and parses the next as a header, so a header hidden in the
    body of a broken entry is installed by npm while other tools stop or show the broken
    entry ("smuggling").

    ## Example
    An entry whose header checksum is wrong and whose body holds a valid header for
    ``package/index.js``.
    """
    yield from _each(release, AnomalyKind.BAD_CHECKSUM)


@rule(
    id="ARC016", name="invalid-header", severity=Severity.HIGH, confidence=Confidence.HIGH, cwe=436
)
def invalid_header(release: Release) -> Iterator[Evidence]:
    """A header node-tar rejects while other tools accept it.

    ## What it does
    Reports headers skipped for reasons other than the checksum: a link target on a regular
    file, a missing path, malformed base-256 numbers.

    ## Why is this risky
    node-tar then reads the entry's body as headers, so what npm installs differs from what
    ``tar -t`` lists.

    ## Example
    A regular file ``package/a.js`` with a non-empty link name, whose body is a tar header.
    """
    yield from _each(release, AnomalyKind.INVALID_HEADER, AnomalyKind.LINKPATH_ON_FILE)


@rule(id="ARC017", name="path-too-deep", severity=Severity.MEDIUM, confidence=Confidence.HIGH)
def path_too_deep(release: Release) -> Iterator[Evidence]:
    """An entry has more than 1024 path components; npm drops it.

    ## What it does
    Reports entries npm refuses as excessively deep.

    ## Why is this risky
    Real packages never nest that deep; such entries exist to exhaust or confuse tools.

    ## Example
    ``package/a/a/a/…/a`` with 1025 components.
    """
    yield from _each(release, AnomalyKind.TOO_DEEP)


@rule(id="ARC018", name="top-level-file", severity=Severity.LOW, confidence=Confidence.HIGH)
def top_level_file(release: Release) -> Iterator[Evidence]:
    """A file sits at the top of the archive, outside any directory.

    ## What it does
    Reports entries with no directory part, which npm drops when it strips the first
    component.

    ## Why is this risky
    Other tools show the file as part of the package; npm never installs it.

    ## Example
    ``index.js`` next to ``package/``.
    """
    yield from _each(release, AnomalyKind.ROOT_FILE)


@rule(
    id="ARC019", name="path-conflict", severity=Severity.MEDIUM, confidence=Confidence.HIGH, cwe=436
)
def path_conflict(release: Release) -> Iterator[Evidence]:
    """A file and a directory claim the same path; npm loses one entry.

    ## What it does
    Reports entries npm cannot write because a file is where a directory must be, or the
    other way round.

    ## Why is this risky
    Which entry survives depends on the extractor, so listings and npm disagree.

    ## Example
    ``package/lib`` as a file, then ``package/lib/index.js``.
    """
    yield from _each(release, AnomalyKind.CONFLICT)


@rule(id="ARC020", name="name-too-long", severity=Severity.LOW, confidence=Confidence.MEDIUM)
def name_too_long(release: Release) -> Iterator[Evidence]:
    """A path is too long for the file system; npm cannot write it.

    ## What it does
    Reports entries with a component over 255 bytes or a path over 4095 bytes.

    ## Why is this risky
    The entry is listed but never installed, so listings and npm disagree.

    ## Example
    ``package/aaaa…aaaa.js`` with a 300-byte name.
    """
    yield from _each(release, AnomalyKind.NAME_TOO_LONG)


@rule(
    id="ARC021",
    name="unsupported-entry-type",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=436,
)
def unsupported_entry_type(release: Release) -> Iterator[Evidence]:
    """An entry has a type flag npm skips (unknown, sparse, vendor-specific).

    ## What it does
    Reports entries that node-tar ignores.

    ## Why is this risky
    GNU tar and bsdtar extract unknown types as regular files, so the content exists for
    them and not for npm.

    ## Example
    ``package/index.js`` with type flag ``Z``.
    """
    yield from _each(release, AnomalyKind.UNSUPPORTED_TYPE)


@rule(id="ARC022", name="nul-in-name", severity=Severity.HIGH, confidence=Confidence.HIGH, cwe=436)
def nul_in_name(release: Release) -> Iterator[Evidence]:
    """A name keeps a NUL byte after npm's decoding.

    ## What it does
    Reports names where node-tar's ``/\\0.*/`` stripping stops at a line break and leaves
    a different name, or a NUL, than other tools see.

    ## Why is this risky
    C-based tools end the name at the first NUL; npm does not. The two install different
    paths, or npm crashes.

    ## Example
    A 100-byte name field ``package/a.js\\0\\nb.js``.
    """
    yield from _each(release, AnomalyKind.NUL_IN_NAME, AnomalyKind.UNWRITABLE)


@rule(
    id="ARC023",
    name="extended-header-ignored",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=436,
)
def extended_header_ignored(release: Release) -> Iterator[Evidence]:
    """A PAX or GNU long-name header is over node-tar's 1 MiB limit.

    ## What it does
    Reports extended headers npm ignores.

    ## Why is this risky
    Other tools apply them, so the same entry gets a different name or size elsewhere.

    ## Example
    A 2 MiB PAX header that renames ``package/a.js``.
    """
    yield from _each(release, AnomalyKind.META_IGNORED)


@rule(id="ARC024", name="trailing-data", severity=Severity.HIGH, confidence=Confidence.HIGH)
def trailing_data(release: Release) -> Iterator[Evidence]:
    """Bytes follow the compressed stream.

    ## What it does
    Reports data after the last gzip member: *high* when npm install would fail on it,
    *medium* when it depends on download chunking, *low* for zero padding npm accepts.

    ## Why is this risky
    ``npm pack`` writes nothing after the stream. Extra bytes carry content that some tools
    see, or make the release uninstallable after approval.

    ## Example
    A valid ``.tgz`` followed by ``PK\\x03\\x04…`` (a zip appended to it).
    """
    for a in release.manifest.anomalies:
        if a.kind is AnomalyKind.TRAILING_DATA:
            sev = (
                None
                if "npm install fails" in a.detail
                else Severity.LOW
                if "accepts them" in a.detail
                else Severity.MEDIUM
            )
            yield Evidence(a.detail, path=a.path, severity=sev)


@rule(
    id="ARC025",
    name="decompression-ratio",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=409,
)
def decompression_ratio(release: Release) -> Iterator[Evidence]:
    """The archive expands more than npm's 1000:1 guard allows.

    ## What it does
    Reports tarballs whose decompressed size exceeds 1000 times the compressed size, where
    node-tar aborts the install.

    ## Why is this risky
    It is a decompression bomb, or a release that nobody can install after approval.

    ## Example
    A 1 MB ``.tgz`` of 1 GB of zeros.
    """
    yield from _each(release, AnomalyKind.COMPRESSION_RATIO)


@rule(id="ARC026", name="zstd-compressed", severity=Severity.MEDIUM, confidence=Confidence.HIGH)
def zstd_compressed(release: Release) -> Iterator[Evidence]:
    """The tarball is zstd-compressed.

    ## What it does
    Reports zstd containers, which node-tar reads only on Node.js versions with zstd.

    ## Why is this risky
    ``npm pack`` never writes zstd; installs fail on Node.js 20 and succeed on newer ones.

    ## Example
    A ``.tgz`` whose first bytes are ``28 b5 2f fd``.
    """
    yield from _each(release, AnomalyKind.ZSTD)


@rule(id="ARC027", name="uncompressed-tarball", severity=Severity.LOW, confidence=Confidence.HIGH)
def uncompressed_tarball(release: Release) -> Iterator[Evidence]:
    """The tarball is a plain, uncompressed tar.

    ## What it does
    Reports archives without gzip; npm installs them anyway.

    ## Why is this risky
    ``npm pack`` always gzips; the release was built by something else.

    ## Example
    A ``.tgz`` that starts with ``package/package.json`` in clear text.
    """
    yield from _each(release, AnomalyKind.UNCOMPRESSED)


@rule(id="ARC028", name="gitignore-renamed", severity=Severity.INFO, confidence=Confidence.HIGH)
def gitignore_renamed(release: Release) -> Iterator[Evidence]:
    """A ``.gitignore`` is installed as ``.npmignore`` or dropped.

    ## What it does
    Reports what npm does with ``.gitignore`` entries.

    ## Why is this risky
    It is npm's documented behaviour; it explains why the installed view differs.

    ## Example
    ``package/.gitignore`` installs as ``.npmignore``.
    """
    yield from _each(release, AnomalyKind.GITIGNORE)


@rule(id="ARC029", name="not-packed-by-npm", severity=Severity.INFO, confidence=Confidence.MEDIUM)
def not_packed_by_npm(release: Release) -> Iterator[Evidence]:
    """The archive does not look like ``npm pack`` output.

    ## What it does
    Compares the packing fingerprint (gzip header, tar format, mtimes, owners, directory
    entries) with what ``npm pack`` writes.

    ## Why is this risky
    On its own it is a fact, not a problem; a release whose packing differs from the
    previous release's was built by something else.

    ## Example
    Entries with the build machine's mtimes and user names.
    """
    for diff in release.manifest.packing.differences:
        yield Evidence(f"not like `npm pack`: {diff}")


@rule(
    id="ARC030", name="missing-end-of-archive", severity=Severity.INFO, confidence=Confidence.HIGH
)
def missing_end_of_archive(release: Release) -> Iterator[Evidence]:
    """The archive ends without the two zero blocks that mark its end.

    ## What it does
    Reports tar streams that simply stop.

    ## Why is this risky
    npm accepts it; ``npm pack`` never writes it.

    ## Example
    A tar cut right after the last entry's body.
    """
    yield from _each(release, AnomalyKind.NO_EOF_MARKER)


@rule(
    id="ARC031",
    name="directory-with-body",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=436,
)
def directory_with_body(release: Release) -> Iterator[Evidence]:
    """A directory entry declares data, which node-tar reads as more headers.

    ## What it does
    Reports directory entries (type ``5``, or type ``0`` with a trailing ``/``) whose size
    field is not zero.

    ## Why is this risky
    node-tar forces a directory's size to 0 and parses the bytes that follow as headers, so
    entries hidden there are installed by npm while other readers skip them as data.

    ## Example
    ``package/docs/`` with type ``0`` and 1024 bytes whose first block is a header for
    ``package/smuggled.js``.
    """
    yield from _each(release, AnomalyKind.DIRECTORY_WITH_BODY)


@rule(
    id="ARC032",
    name="unreadable-size-field",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=436,
)
def unreadable_size_field(release: Release) -> Iterator[Evidence]:
    """An entry's size field is negative or not a number; node-tar reads it as 0.

    ## What it does
    Reports entries whose size field npm cannot parse.

    ## Why is this risky
    node-tar then parses the entry's data as further headers (content smuggling), while
    GNU tar and Python's ``tarfile`` refuse or skip the entry.

    ## Example
    A size field of ``-1`` or ``zzzz`` followed by a hidden header.
    """
    yield from _each(release, AnomalyKind.SIZE_UNREADABLE)


@rule(
    id="ARC033",
    name="extended-header-conflict",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=436,
)
def extended_header_conflict(release: Release) -> Iterator[Evidence]:
    """A PAX or GNU extended header says something other than the tar header.

    ## What it does
    Reports extended headers that rename an entry to something unrelated to its header name,
    change its size (*high*), are global, or have malformed records.

    ## Why is this risky
    Readers that ignore or parse extended headers differently see other names, other
    content boundaries and therefore other files than npm.

    ## Example
    A PAX ``path=package/evil.js`` in front of a header named ``package/README.md``.
    """
    for a in release.manifest.anomalies:
        if a.kind is AnomalyKind.EXTENDED_HEADER_CONFLICT:
            yield Evidence(
                a.detail, path=a.path, severity=Severity.HIGH if a.subject == "high" else None
            )


@rule(
    id="ARC034",
    name="ambiguous-name",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=436,
)
def ambiguous_name(release: Release) -> Iterator[Evidence]:
    """Tar readers assemble this entry's name differently.

    ## What it does
    Reports GNU or v7 headers that carry a path in the POSIX prefix field, which node-tar
    ignores and Python's ``tarfile`` prepends.

    ## Why is this risky
    A scanner built on ``tarfile`` checks one path while npm installs another.

    ## Example
    A GNU-magic header named ``gnu.js`` with ``package/lib`` in the prefix field.
    """
    yield from _each(release, AnomalyKind.NAME_AMBIGUOUS)


@rule(
    id="ARC035",
    name="control-characters-in-name",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=150,
)
def control_characters_in_name(release: Release) -> Iterator[Evidence]:
    """A file name contains control or bidirectional-override characters.

    ## What it does
    Reports names with C0 controls (newlines, escapes), DEL or Unicode bidi overrides.

    ## Why is this risky
    Such names disguise themselves in listings and terminals (``evil.js\u202egpj.md``
    shows as ``evil.jsdm.jpg``), and escape sequences can rewrite what a reviewer sees.

    ## Example
    ``package/README\x1b[8m.js``
    """
    yield from _each(release, AnomalyKind.CONTROL_CHARACTERS)


# -- package metadata --------------------------------------------------------------------

#: top-level keys that decide what runs or what gets installed
_SENSITIVE_KEYS = re.compile(
    r"/(?:scripts|dependencies|optionalDependencies|peerDependencies|bin|main|exports|module|"
    r"browser|bundleDependencies|bundledDependencies|overrides|gypfile|directories|files|name|"
    r"version|os|cpu|engines|publishConfig)(?:/|\Z)"
)


@rule(
    id="PKG001",
    name="duplicate-json-key",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=436,
)
def duplicate_json_key(release: Release) -> Iterator[Evidence]:
    """A JSON object in ``package.json`` repeats a key.

    ## What it does
    Reports duplicate keys; npm's ``JSON.parse`` keeps the last. *High* for keys that decide
    what runs or what is installed (scripts, dependencies, bin, main, exports, ...).

    ## Why is this risky
    A reviewer, a web UI or a scanner that keeps the first value sees a harmless
    ``scripts`` object while npm runs the second.

    ## Example
    ``{"scripts": {"test": "jest"}, ..., "scripts": {"postinstall": "node x.js"}}``
    """
    for a in release.manifest.anomalies:
        if a.kind is AnomalyKind.JSON_DUPLICATE_KEY:
            sensitive = a.path == "package.json" and bool(_SENSITIVE_KEYS.match(a.subject or ""))
            yield Evidence(a.detail, path=a.path, severity=Severity.HIGH if sensitive else None)


@rule(id="PKG002", name="json-byte-order-mark", severity=Severity.INFO, confidence=Confidence.HIGH)
def json_byte_order_mark(release: Release) -> Iterator[Evidence]:
    """``package.json`` starts with a byte-order mark.

    ## What it does
    Reports the BOM, which npm strips.

    ## Why is this risky
    Strict JSON parsers reject the file, so some tools see no metadata at all.

    ## Example
    ``\\xef\\xbb\\xbf{"name": …}``
    """
    yield from _each(release, AnomalyKind.JSON_BOM)


@rule(
    id="PKG003", name="json-not-utf8", severity=Severity.MEDIUM, confidence=Confidence.HIGH, cwe=176
)
def json_not_utf8(release: Release) -> Iterator[Evidence]:
    """A ``package.json`` is not valid UTF-8.

    ## What it does
    Reports manifests npm decodes with U+FFFD replacements.

    ## Why is this risky
    Tools decoding as Latin-1 or failing on the bytes see different strings than npm.

    ## Example
    A script command containing the byte ``0xff``.
    """
    yield from _each(release, AnomalyKind.JSON_NOT_UTF8)


@rule(id="PKG004", name="invalid-package-field", severity=Severity.LOW, confidence=Confidence.HIGH)
def invalid_package_field(release: Release) -> Iterator[Evidence]:
    """A ``package.json`` field has a type npm ignores or drops.

    ## What it does
    Reports fields npm silently discards (a non-string script, a non-object
    ``dependencies``, a missing name or version).

    ## Why is this risky
    What the file says and what npm does differ.

    ## Example
    ``"scripts": {"postinstall": ["node", "x.js"]}``
    """
    yield from _each(release, AnomalyKind.INVALID_FIELD)


@rule(id="PKG005", name="bin-target-missing", severity=Severity.LOW, confidence=Confidence.HIGH)
def bin_target_missing(release: Release) -> Iterator[Evidence]:
    """A ``bin`` entry points at a file the tarball does not install.

    ## What it does
    Reports commands whose target is missing.

    ## Why is this risky
    The command is broken, or the file is expected to appear later (from an install
    script).

    ## Example
    ``"bin": {"tool": "dist/cli.js"}`` without ``dist/cli.js``.
    """
    yield from _each(release, AnomalyKind.BIN_MISSING)


@rule(
    id="PKG006",
    name="bin-path-rewritten",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=22,
)
def bin_path_rewritten(release: Release) -> Iterator[Evidence]:
    """npm rewrites a ``bin`` name or target (``..``, absolute paths, ``:``, backslashes).

    ## What it does
    Reports bin entries that npm's normaliser changes.

    ## Why is this risky
    A bin that tries to leave the package or to shadow a path is an attempt to run or
    overwrite something outside it.

    ## Example
    ``"bin": {"../../usr/bin/node": "x.js"}``
    """
    yield from _each(release, AnomalyKind.BIN_SANITIZED)


@rule(
    id="PKG007",
    name="bundled-dependency-missing",
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
)
def bundled_dependency_missing(release: Release) -> Iterator[Evidence]:
    """``bundleDependencies`` names a package the tarball does not ship.

    ## What it does
    Reports declared bundled packages with no ``node_modules/<name>/package.json``.

    ## Why is this risky
    npm then fetches the dependency from the registry, which is not what the author meant.

    ## Example
    ``"bundleDependencies": ["left-pad"]`` without ``node_modules/left-pad``.
    """
    yield from _each(release, AnomalyKind.BUNDLED_MISSING)


@rule(
    id="PKG008",
    name="undeclared-node-modules",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
)
def undeclared_node_modules(release: Release) -> Iterator[Evidence]:
    """The tarball ships ``node_modules/`` content that ``bundleDependencies`` does not name.

    ## What it does
    Reports top-level ``node_modules/<name>`` directories that are not declared bundled.

    ## Why is this risky
    ``npm pack`` only ships declared bundles; hand-placed modules shadow real dependencies
    for ``require()`` without appearing in any dependency list.

    ## Example
    ``package/node_modules/lodash/index.js`` in a package that does not bundle lodash.
    """
    yield from _each(release, AnomalyKind.UNDECLARED_NODE_MODULES)


@rule(
    id="PKG009",
    name="bundled-manifest-unreadable",
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
)
def bundled_manifest_unreadable(release: Release) -> Iterator[Evidence]:
    """A bundled package's ``package.json`` cannot be parsed.

    ## What it does
    Reports bundled manifests that are invalid, too large or too many to read.

    ## Why is this risky
    Its scripts and dependencies stay unknown to the review.

    ## Example
    ``node_modules/x/package.json`` containing ``{``.
    """
    yield from _each(release, AnomalyKind.NESTED_MANIFEST_UNREADABLE)


@rule(id="PKG010", name="shrinkwrap-unreadable", severity=Severity.LOW, confidence=Confidence.HIGH)
def shrinkwrap_unreadable(release: Release) -> Iterator[Evidence]:
    """``npm-shrinkwrap.json`` cannot be parsed.

    ## What it does
    Reports a shrinkwrap file tarlens could not read.

    ## Why is this risky
    A published shrinkwrap pins the consumer's whole subtree; unread, it is unreviewed.

    ## Example
    A truncated ``npm-shrinkwrap.json``.
    """
    yield from _each(release, AnomalyKind.SHRINKWRAP)


# -- install-time code -------------------------------------------------------------------


@rule(
    id="SCR001", name="install-script", severity=Severity.LOW, confidence=Confidence.HIGH, cwe=506
)
def install_script(release: Release) -> Iterator[Evidence]:
    """The package runs a script when it is installed.

    ## What it does
    Lists ``preinstall``, ``install`` and ``postinstall`` scripts, which npm runs on every
    consumer's machine.

    ## Why is this risky
    Install scripts are how most npm compromises execute. Having one is common (esbuild,
    core-js); gaining one in a release is what matters, which the diff rules judge.

    ## Example
    ``"postinstall": "node setup.js"``
    """
    for s in release.manifest.scripts:
        if s.when is ScriptWhen.INSTALL and not s.implicit:
            yield Evidence(f"{s.event}: {s.command}", path="package.json")


@rule(
    id="SCR002",
    name="implicit-node-gyp-build",
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=506,
)
def implicit_node_gyp_build(release: Release) -> Iterator[Evidence]:
    """``binding.gyp`` makes npm run ``node-gyp rebuild`` at install.

    ## What it does
    Reports the install script npm adds when ``binding.gyp`` exists at the package root and
    no ``install``/``preinstall`` script is declared.

    ## Why is this risky
    A gyp file can run arbitrary commands; the script appears in no ``scripts`` field.

    ## Example
    A package with ``binding.gyp`` and no scripts.
    """
    for s in release.manifest.scripts:
        if s.implicit and s.when is ScriptWhen.INSTALL:
            yield Evidence(f"{s.event}: {s.command} (implied by binding.gyp)", path="binding.gyp")


@rule(
    id="SCR003",
    name="bundled-install-script",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=506,
)
def bundled_install_script(release: Release) -> Iterator[Evidence]:
    """A bundled package runs a script at install.

    ## What it does
    Lists install-time scripts of packages shipped under ``node_modules/``.

    ## Why is this risky
    npm runs them too, and no dependency list shows them.

    ## Example
    ``node_modules/helper/package.json`` with ``"preinstall": "node x.js"``.
    """
    for b in release.manifest.bundled:
        for s in b.scripts:
            yield Evidence(
                f"{b.name or b.path} {s.event}: {s.command}", path=f"{b.path}/package.json"
            )


@rule(id="SCR004", name="prepare-script", severity=Severity.INFO, confidence=Confidence.HIGH)
def prepare_script(release: Release) -> Iterator[Evidence]:
    """A ``prepare`` script runs when the package is installed from git or a directory.

    ## What it does
    Lists ``prepare``/``preprepare``/``postprepare`` scripts.

    ## Why is this risky
    They do not run for registry installs, but they do for every consumer who depends on
    the repository (``github:owner/repo``), as in the TanStack 2026 compromise.

    ## Example
    ``"prepare": "node build.js"``
    """
    for s in release.manifest.scripts:
        if s.when is ScriptWhen.GIT_INSTALL:
            yield Evidence(f"{s.event}: {s.command}", path="package.json")


@rule(
    id="SCR005",
    name="script-file-missing",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
)
def script_file_missing(release: Release) -> Iterator[Evidence]:
    """An install script runs a file that the tarball does not contain.

    ## What it does
    Finds file arguments (``node x.js``, ``sh ./x.sh``) of install-time scripts and reports
    those not installed by the tarball.

    ## Why is this risky
    The file is fetched or generated at install time, out of review, or the release is
    broken.

    ## Example
    ``"postinstall": "node dist/setup.js"`` without ``dist/setup.js``.
    """
    m = release.manifest
    for s in m.install_scripts:
        if s.implicit:
            continue
        for path in script_files(s.command):
            if path not in m:
                yield Evidence(
                    f"{s.event} runs {path!r}, which the tarball does not install",
                    path="package.json",
                )


# -- install-source policy --------------------------------------------------------------------


@rule(
    id="DEP001",
    name="non-registry-dependency",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=829,
)
def non_registry_dependency(release: Release) -> Iterator[Evidence]:
    """A dependency comes from git, a URL, a file or a directory instead of the registry.

    ## What it does
    Reports dependencies that consumers install, whose spec npm-package-arg classifies as
    git, remote, file or directory. *High* in ``optionalDependencies``, where npm drops a
    blocked or failing dependency silently.

    ## Why is this risky
    Such code is not immutable, not in the registry's audit trail and (for git) runs a
    ``prepare`` script on install. npm 11.15+ ``--allow-git``/``--allow-remote`` block them for
    dependencies; npm 12 does by default.

    ## Example
    ``"optionalDependencies": {"helper": "github:someone/helper"}``
    """
    for d in release.manifest.dependencies:
        if not d.installed_by_consumers or d.spec.source in (
            SourceType.REGISTRY,
            SourceType.INVALID,
        ):
            continue
        sev = Severity.HIGH if d.optional else None
        yield Evidence(
            f"{d.field}.{d.name} = {d.spec.raw!r} ({d.spec.type} dependency)",
            path="package.json",
            severity=sev,
        )


@rule(
    id="DEP002", name="invalid-dependency-spec", severity=Severity.LOW, confidence=Confidence.HIGH
)
def invalid_dependency_spec(release: Release) -> Iterator[Evidence]:
    """npm cannot parse a dependency spec.

    ## What it does
    Reports specs npm-package-arg rejects (``link:``, ``workspace:``, bad names or tags).

    ## Why is this risky
    Installing the package fails for consumers, or the spec is aimed at a different tool.

    ## Example
    ``"dependencies": {"x": "workspace:*"}``
    """
    for d in release.manifest.dependencies:
        if d.installed_by_consumers and d.spec.source is SourceType.INVALID:
            yield Evidence(
                f"{d.field}.{d.name} = {d.spec.raw!r}: {d.spec.error}", path="package.json"
            )


@rule(
    id="DEP003",
    name="shrinkwrap-non-registry-source",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=829,
)
def shrinkwrap_non_registry_source(release: Release) -> Iterator[Evidence]:
    """The published ``npm-shrinkwrap.json`` resolves a package outside the registry.

    ## What it does
    Reports shrinkwrap entries whose ``resolved``/``version`` is git, a URL, a file or a
    directory.

    ## Why is this risky
    A published shrinkwrap pins every consumer's subtree to those sources.

    ## Example
    ``"node_modules/x": {"resolved": "https://evil.example/x.tgz"}``
    """
    sw = release.manifest.shrinkwrap
    if sw is None:
        return
    for e in sw.entries:
        if e.source not in (SourceType.REGISTRY,):
            yield Evidence(
                f"{e.path} resolves to {e.resolved or e.version!r} ({e.source})",
                path="npm-shrinkwrap.json",
            )


@rule(
    id="POL001",
    name="install-source-blocked",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=829,
)
def install_source_blocked(release: Release) -> Iterator[Evidence]:
    """npm's install-source policy would refuse, or silently drop, a dependency.

    ## What it does
    Evaluates every dependency spec the release declares against the configured policy,
    mirroring npm 11.15+ ``--allow-git``, ``--allow-remote``, ``--allow-file`` and
    ``--allow-directory`` (``all``, ``none``, ``root``). A published package's specs are its
    consumers' dependencies' specs, so ``root`` blocks them. The ``npm12`` preset
    (``allow-git=none``, ``allow-remote=none``) is what npm 12 does by default.

    ## Why is this risky
    A blocked dependency makes ``npm install`` fail for consumers; a blocked *optional*
    dependency is dropped without a word, so the package runs without code it expects.

    ## Example
    ``"dependencies": {"x": "github:o/x"}`` under ``policy = "npm12"``.
    """
    policy = release.policy
    for d in release.manifest.dependencies:
        if not d.installed_by_consumers or d.bundled:
            continue
        source = str(d.spec.source)
        if policy.allows(source):
            continue
        what = "drops it silently" if d.optional else "refuses to install the package"
        yield Evidence(
            f"{d.field}.{d.name} = {d.spec.raw!r} is a {source} spec: npm with "
            f"--allow-{source}={getattr(policy, 'allow_' + source)} {what}",
            path="package.json",
        )
