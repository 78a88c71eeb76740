"""Layer 4: two releases, as npm would install them, turned into typed changes.

:func:`diff` compares the installed views byte for byte (by sha256, so a change that is
invisible after UTF-8 decoding is still a change), then explains each change in terms a
rule and a reviewer can act on: which files were added, removed, renamed or modified, where
the new lines of a modified text file are and what they look like, how ``package.json``,
the install scripts, the dependencies, the bundled packages and the shrinkwrap changed,
which archive anomalies are new and whether the release was packed differently.

Text details come from re-reading both tarballs once, one modified file at a time: the old
side keeps only a hash per line, the new side is diffed as each file completes, so memory
is bounded by the largest file analysed, not by the releases.
"""

from __future__ import annotations

import difflib
import enum
import math
import operator
import re
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from itertools import accumulate, repeat
from typing import Any, Literal

import attrs

from tarlens._anomaly import Anomaly
from tarlens._container import Source
from tarlens._errors import LimitExceeded, TarlensError
from tarlens._jsonjs import pointer_escape
from tarlens._limits import Limits
from tarlens._manifest import (
    BundledPackage,
    Dependency,
    File,
    Manifest,
    ScriptWhen,
    script_files,
    unscanned,
)
from tarlens._npa import SourceType, Spec

__all__: list[str] = []  # private module; re-exported by tarlens

#: typed package.json fields (everything else is diffed generically, as JSON pointers)
TYPED_FIELDS = (
    "name",
    "version",
    "main",
    "module",
    "browser",
    "exports",
    "bin",
    "files",
    "engines",
    "os",
    "cpu",
    "publishConfig",
    "repository",
    "license",
    "type",
    "gypfile",
    "directories",
)
#: keys whose changes are reported by other typed views
OTHER_VIEWS = (
    "scripts",
    "dependencies",
    "optionalDependencies",
    "peerDependencies",
    "devDependencies",
    "peerDependenciesMeta",
    "overrides",
    "bundleDependencies",
    "bundledDependencies",
)
#: files larger than this get no line-level diff (their change is still reported)
MAX_TEXT_DIFF_BYTES = 32 * 1024 * 1024
#: files with more lines than this on either side get no line-level diff either: a line
#: costs the diff some 24 bytes (hashes, lengths, offsets), and 32 MiB of two-byte lines
#: are 16 million of them
MAX_TEXT_DIFF_LINES = 2_000_000
#: beyond this many differing lines on both sides, hunks are approximated (linear time)
MAX_EXACT_LINES = 20_000
#: beyond this many on both sides, the differing middle is one replaced block: matching
#: lines one by one would take a multiset of them (some 90 bytes a line)
MAX_MATCHED_LINES = 250_000
#: above this many lines on both sides (after the common head and tail), lines that make up
#: over 1% of the new side do not anchor matches (difflib's autojunk): the edit script is as
#: correct, and found in half the time on typescript's big files (same hunks there)
JUNK_HEURISTIC_LINES = 2_000
MAX_JSON_CHANGES = 500
#: deepdiff walks values in Python, some 30 microseconds and 2 KB each: a top-level member
#: of package.json with more values on either side is compared whole (one change at its
#: pointer), where 500,000 values (max_json_values) would take deepdiff 20 s and 1 GiB
MAX_DEEPDIFF_VALUES = 20_000


class ChangeStatus(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"
    RENAMED = "renamed"


@attrs.frozen
class Hunk:
    """Lines ``old_start..old_start+old_count`` became ``new_start..new_start+new_count``."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int


@attrs.frozen
class TextChange:
    """What changed inside a modified text file."""

    lines_added: int
    lines_removed: int
    hunks: tuple[Hunk, ...]
    added_bytes: int
    #: the longest added line, in bytes, and where it is (new line number)
    longest_added_line: int
    longest_added_at: int | None
    #: Shannon entropy (bits per byte) of the added text
    added_entropy: float
    #: one sentence: "3 lines prepended", "one 20480-byte line appended", ...
    summary: str
    #: the hunks were approximated (files too different for an exact diff in bounded time)
    approximate: bool = False
    #: module specifiers the added lines require or import (``./lib/x``, ``some-package``)
    added_requires: tuple[str, ...] = ()


@attrs.frozen
class FileChange:
    path: str
    status: ChangeStatus
    old: File | None = attrs.field(repr=False)
    new: File | None = attrs.field(repr=False)
    renamed_from: str | None = None
    content_changed: bool = False
    mode_changed: bool = False
    text: TextChange | None = None

    @property
    def kind_changed(self) -> tuple[str, str] | None:
        """``(old kind, new kind)`` when the bytes became another kind of thing."""
        old = self.old.kind if self.old else None
        new = self.new.kind if self.new else None
        if old is None or new is None or old == new:
            return None
        return old, new

    @property
    def signals_gained(self) -> tuple[str, ...]:
        """Signal names the new bytes have and the old bytes did not (e.g. child-process)."""
        old = {s.name for s in self.old.content.signals} if self.old and self.old.content else set()
        new = {s.name for s in self.new.content.signals} if self.new and self.new.content else set()
        return tuple(sorted(new - old))

    @property
    def signals_lost(self) -> tuple[str, ...]:
        old = {s.name for s in self.old.content.signals} if self.old and self.old.content else set()
        new = {s.name for s in self.new.content.signals} if self.new and self.new.content else set()
        return tuple(sorted(old - new))


@attrs.frozen
class ScriptChange:
    event: str
    old: str | None
    new: str | None
    #: runs at install for consumers (preinstall/install/postinstall, implicit node-gyp)
    install_time: bool
    #: files the new command runs that this release adds or modifies
    runs_changed_files: tuple[str, ...] = ()


@attrs.frozen
class DependencyChange:
    field: str
    name: str
    old: Spec | None
    new: Spec | None

    @property
    def status(self) -> ChangeStatus:
        if self.old is None:
            return ChangeStatus.ADDED
        if self.new is None:
            return ChangeStatus.REMOVED
        return ChangeStatus.MODIFIED

    @property
    def source_changed(self) -> bool:
        return self.old is not None and self.new is not None and self.old.source != self.new.source


@attrs.frozen
class FieldChange:
    """A typed ``package.json`` field that changed (values are the raw JSON values)."""

    field: str
    old: Any
    new: Any


@attrs.frozen
class JsonChange:
    """Any other ``package.json`` change, at a JSON pointer (from deepdiff)."""

    pointer: str
    change: str  # "added", "removed", "changed", "type-changed"
    old: Any
    new: Any


@attrs.frozen
class BundledChange:
    path: str
    status: ChangeStatus
    old: BundledPackage | None = attrs.field(repr=False)
    new: BundledPackage | None = attrs.field(repr=False)


@attrs.frozen
class ShrinkwrapChange:
    path: str
    status: ChangeStatus
    old_version: str | None
    new_version: str | None
    old_source: SourceType | None
    new_source: SourceType | None
    new_resolved: str | None
    has_install_script: bool


@attrs.frozen
class Sizes:
    old_files: int
    new_files: int
    old_bytes: int
    new_bytes: int
    #: kind -> (old bytes, new bytes), when both releases were analysed
    by_kind: Mapping[str, tuple[int, int]] = attrs.field(factory=dict)


@attrs.frozen
class ReleaseDiff:
    """Everything that changed between two releases. Treat it as read-only."""

    old: Manifest = attrs.field(repr=False)
    new: Manifest = attrs.field(repr=False)
    files: tuple[FileChange, ...] = attrs.field(repr=False)
    scripts: tuple[ScriptChange, ...]
    dependencies: tuple[DependencyChange, ...]
    fields: tuple[FieldChange, ...]
    package_json: tuple[JsonChange, ...] = attrs.field(repr=False)
    bundled: tuple[BundledChange, ...] = attrs.field(repr=False)
    shrinkwrap: tuple[ShrinkwrapChange, ...] = attrs.field(repr=False)
    #: archive and manifest anomalies the previous release did not have
    new_anomalies: tuple[Anomaly, ...] = attrs.field(repr=False)
    #: how the packing differs ("gzip OS byte 255 -> 3", ...)
    packing: tuple[str, ...]
    sizes: Sizes
    #: the release drops most of the previous release's files or bytes
    mass_deletion: bool
    #: why some details are missing (e.g. a release read from a stream cannot be re-read)
    notes: tuple[str, ...] = ()

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(
            c.path for c in self.files if c.status in (ChangeStatus.ADDED, ChangeStatus.RENAMED)
        )

    @property
    def removed(self) -> tuple[str, ...]:
        out = [c.path for c in self.files if c.status is ChangeStatus.REMOVED]
        out += [c.renamed_from for c in self.files if c.renamed_from is not None]
        return tuple(sorted(out))

    @property
    def modified(self) -> tuple[str, ...]:
        return tuple(c.path for c in self.files if c.status is ChangeStatus.MODIFIED)

    @property
    def renamed(self) -> tuple[tuple[str, str], ...]:
        return tuple((c.renamed_from, c.path) for c in self.files if c.renamed_from is not None)

    def file(self, path: str) -> FileChange | None:
        for c in self.files:
            if c.path == path:
                return c
        return None

    def _repr_html_(self) -> str:
        from tarlens._html import diff_html  # noqa: PLC0415 - notebook face, on demand

        return diff_html(self)

    def _repr_markdown_(self) -> str:
        from tarlens._html import diff_markdown  # noqa: PLC0415

        return diff_markdown(self)

    def unified(self, path: str, *, context: int = 3, max_lines: int = 2000) -> str:
        """A unified diff of one file, read again from both tarballs (bounded output)."""
        change = self.file(path)
        if change is None:
            return ""
        old_path = change.renamed_from or path
        old = _read_one(self.old, old_path) if change.old is not None else b""
        new = _read_one(self.new, path) if change.new is not None else b""
        a = old.decode("utf-8", "replace").splitlines(keepends=True)
        b = new.decode("utf-8", "replace").splitlines(keepends=True)
        lines = difflib.unified_diff(a, b, fromfile=f"a/{old_path}", tofile=f"b/{path}", n=context)
        out: list[str] = []
        for i, line in enumerate(lines):
            if i >= max_lines:
                out.append(f"... (cut at {max_lines} lines)\n")
                break
            out.append(line if len(line) <= 4000 else line[:4000] + " ...(line cut)\n")
        return "".join(out)


def _read_one(manifest: Manifest, path: str) -> bytes:
    from tarlens._reader import read_files  # noqa: PLC0415 - layer 1 reading, on demand

    got: dict[str, bytes] = {}
    read_files(manifest, [path], got.__setitem__)
    return got.get(path, b"")


def diff(
    old: Manifest | Source,
    new: Manifest | Source,
    *,
    limits: Limits | None = None,
    text: bool = True,
    signals: Literal["attention", "all"] = "attention",
) -> ReleaseDiff:
    """Compare two releases as npm would install them.

    ``old`` and ``new`` are manifests (from :func:`tarlens.load`) or anything
    :func:`tarlens.load` accepts. ``text=False`` skips the line-level details of modified
    files (the second read of both tarballs).

    >>> import tarlens
    >>> d = tarlens.diff("fixtures/examples/greeter-1.4.0.tgz",
    ...                  "fixtures/examples/greeter-1.4.1-staged.tgz")
    >>> d.added, d.modified
    (('lib/telemetry.js',), ('package.json',))
    """
    from tarlens._reader import load_unscanned  # noqa: PLC0415

    # the attention files' signals are read in the same second pass as the changed files'
    a = old if isinstance(old, Manifest) else load_unscanned(old, limits=limits, signals=signals)
    b = new if isinstance(new, Manifest) else load_unscanned(new, limits=limits, signals=signals)
    notes: list[str] = []
    a, b, files = _read_changed(a, b, _file_changes(a, b), limits, notes, text=text)
    changed = {c.path for c in files if c.status is not ChangeStatus.REMOVED}
    return ReleaseDiff(
        old=a,
        new=b,
        files=files,
        scripts=_script_changes(a, b, changed),
        dependencies=_dependency_changes(a.dependencies, b.dependencies),
        fields=_field_changes(a.package_json, b.package_json),
        package_json=_json_changes(a.package_json, b.package_json),
        bundled=_bundled_changes(a, b),
        shrinkwrap=_shrinkwrap_changes(a, b),
        new_anomalies=_new_anomalies(a, b),
        packing=_packing_changes(a, b),
        sizes=_sizes(a, b),
        mass_deletion=_mass_deletion(a, b, files),
        notes=tuple(notes),
    )


def _file_changes(a: Manifest, b: Manifest) -> tuple[FileChange, ...]:
    old = {f.path: f for f in a.files}
    new = {f.path: f for f in b.files}
    out: list[FileChange] = []
    for path in sorted(old.keys() & new.keys()):
        o, n = old[path], new[path]
        content = o.sha256 != n.sha256
        mode = o.mode != n.mode
        if content or mode:
            out.append(FileChange(path, ChangeStatus.MODIFIED, o, n, None, content, mode))
    removed = sorted(old.keys() - new.keys())
    by_hash: dict[str, list[str]] = {}
    for path in removed:
        by_hash.setdefault(old[path].sha256, []).append(path)
    renamed_from: set[str] = set()
    for path in sorted(new.keys() - old.keys()):
        n = new[path]
        candidates = by_hash.get(n.sha256)
        if candidates and n.size > 0:
            src = candidates.pop(0)
            renamed_from.add(src)
            o = old[src]
            out.append(FileChange(path, ChangeStatus.RENAMED, o, n, src, False, o.mode != n.mode))
        else:
            out.append(FileChange(path, ChangeStatus.ADDED, None, n, None, True, False))
    for path in removed:
        if path not in renamed_from:
            out.append(FileChange(path, ChangeStatus.REMOVED, old[path], None, None, True, False))
    out.sort(key=lambda c: (c.path, c.status))
    return tuple(out)


# -- line-level details -----------------------------------------------------------------


def _line_hashes(data: bytes) -> tuple[array[int], array[int]]:
    """The hash and the length (without its ``\n``) of every line of ``data``: a final line
    without a ``\n`` is a line too, hashed apart from the same text with one, and an empty
    end is not. Split a window at a time and kept in arrays: no line is held as an object."""
    from tarlens._analysis import offset_typecode, split_windows  # noqa: PLC0415

    hashes: array[int] = array("q")
    lengths: array[int] = array(offset_typecode(len(data)))
    last = b""
    for parts in split_windows(data, b"\n"):
        hashes.extend(map(hash, parts))
        lengths.extend(map(len, parts))
        last = parts[-1]
    if last:
        hashes[-1] = hash((last, "no newline at the end"))
    else:
        hashes.pop()
        lengths.pop()
    return hashes, lengths


def _diffable(data: bytes) -> bool:
    """Text (no NUL near the start) of at most ``MAX_TEXT_DIFF_LINES`` lines."""
    return b"\x00" not in data[:8192] and data.count(b"\n") <= MAX_TEXT_DIFF_LINES


def _read_changed(
    a: Manifest,
    b: Manifest,
    files: tuple[FileChange, ...],
    limits: Limits | None,
    notes: list[str],
    *,
    text: bool,
) -> tuple[Manifest, Manifest, tuple[FileChange, ...]]:
    """Read what changed a second time, one pass over each tarball: the code signals of
    every added, renamed or modified file that the first read left unscanned (on both sides
    of a modification), and the line-level details of modified text files."""
    from tarlens._analysis import Content, analyze  # noqa: PLC0415
    from tarlens._reader import read_files, scan_budget, with_contents  # noqa: PLC0415

    limits = limits or Limits()
    scan_old = {c.path for c in files if c.status is ChangeStatus.MODIFIED and unscanned(c.old)}
    scan_new = {c.path for c in files if c.status is not ChangeStatus.REMOVED and unscanned(c.new)}
    for m, scan in ((a, scan_old), (b, scan_new)):
        if m.scan == "attention":
            scan.update(p for p in m.attention() if unscanned(m.file(p)))
    wanted = (
        {
            c.path
            for c in files
            if c.status is ChangeStatus.MODIFIED
            and c.content_changed
            and c.old is not None
            and c.new is not None
            and max(c.old.size, c.new.size) <= MAX_TEXT_DIFF_BYTES
        }
        if text
        else set()
    )
    if wanted and (a.origin is None or b.origin is None):
        # (a release read from a stream had every file scanned in its one pass)
        notes.append(
            "line-level details are missing: a release read from a stream cannot be read again"
        )
        wanted = set()
    # a release whose changed code is too much to scan is refused, not half-reviewed
    budgets = scan_budget(a, scan_old, limits), scan_budget(b, scan_new, limits)
    cap = max(limits.max_analyzed_bytes, MAX_TEXT_DIFF_BYTES if wanted else 0)
    found_old: dict[str, Content] = {}
    found_new: dict[str, Content] = {}
    old_lines: dict[str, array[int] | None] = {}
    details: dict[str, TextChange] = {}

    def remember(path: str, data: bytes) -> None:
        if path in scan_old:
            found_old[path] = analyze(path, data[: limits.max_analyzed_bytes])
            budgets[0].keep(len(found_old[path].signals))
        if path in wanted:
            # 8 bytes a line, kept until the new side is read (a list of ints costs 40)
            old_lines[path] = _line_hashes(data)[0] if _diffable(data) else None

    def compare(path: str, data: bytes) -> None:
        if path in scan_new:
            found_new[path] = analyze(path, data[: limits.max_analyzed_bytes])
            budgets[1].keep(len(found_new[path].signals))
        if path not in wanted:
            return
        hashes = old_lines.get(path)
        if hashes is None or not _diffable(data):
            details.pop(path, None)
            return
        details[path] = _text_change(hashes, data)

    try:
        if scan_old or wanted:
            read_files(a, scan_old | wanted, remember, limits=limits, cap=cap)
        if scan_new or wanted:
            read_files(b, scan_new | wanted, compare, limits=limits, cap=cap)
    except LimitExceeded:
        raise  # too much work: the diff is refused, not reviewed without code signals
    except TarlensError as exc:  # the bytes changed under us: keep file level
        notes.append(f"line-level details and code signals of changed files are missing: {exc}")
        return a, b, files
    a, b = with_contents(a, found_old), with_contents(b, found_new)
    changes = _file_changes(a, b)
    return (
        a,
        b,
        tuple(attrs.evolve(c, text=details[c.path]) if c.path in details else c for c in changes),
    )


def _middle_hunks(
    old_hashes: Sequence[int], new_hashes: Sequence[int], lo: int, hi: int
) -> tuple[list[Hunk], bool]:
    """The hunks between the common head (``lo`` lines) and tail (``hi``), and whether they
    are approximate."""
    a_n, b_n = len(old_hashes) - hi - lo, len(new_hashes) - hi - lo
    if a_n > MAX_MATCHED_LINES and b_n > MAX_MATCHED_LINES:
        return [Hunk(lo + 1, a_n, lo + 1, b_n)], True  # rewritten: replaced as a whole
    a_mid = old_hashes[lo : lo + a_n]
    b_mid = new_hashes[lo : lo + b_n]
    hunks: list[Hunk] = []
    if a_n <= MAX_EXACT_LINES or b_n <= MAX_EXACT_LINES:
        # difflib's popular-element heuristic only where its quadratic anchoring would cost
        # seconds: a mid-file edit of a small or mid-sized file is matched line for line
        junk = min(a_n, b_n) > JUNK_HEURISTIC_LINES
        matcher = difflib.SequenceMatcher(None, a_mid, b_mid, autojunk=junk)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                hunks.append(Hunk(lo + i1 + 1, i2 - i1, lo + j1 + 1, j2 - j1))
        return hunks, False
    # linear approximation: a new line is "added" when the old side lacks it
    have = Counter(a_mid)
    run_start: int | None = None
    for j, h in enumerate(b_mid):
        fresh = have[h] <= 0
        if not fresh:
            have[h] -= 1
        if fresh and run_start is None:
            run_start = j
        elif not fresh and run_start is not None:
            hunks.append(Hunk(lo + 1, 0, lo + run_start + 1, j - run_start))
            run_start = None
    if run_start is not None:
        hunks.append(Hunk(lo + 1, 0, lo + run_start + 1, b_n - run_start))
    removed = sum(v for v in have.values() if v > 0)
    if removed:
        hunks.append(Hunk(lo + 1, removed, lo + 1, 0))
    return hunks, True


def _text_change(old_hashes: Sequence[int], data: bytes) -> TextChange:
    new_hashes, lengths = _line_hashes(data)
    # trim the common head and tail first: most releases change little
    lo = 0
    limit = min(len(old_hashes), len(new_hashes))
    while lo < limit and old_hashes[lo] == new_hashes[lo]:
        lo += 1
    hi = 0
    while (
        hi < limit - lo
        and old_hashes[len(old_hashes) - 1 - hi] == new_hashes[len(new_hashes) - 1 - hi]
    ):
        hi += 1
    hunks, approximate = _middle_hunks(old_hashes, new_hashes, lo, hi)
    # where each new line starts: each hunk's added lines are one slice of the bytes
    starts = array(lengths.typecode, accumulate(map(operator.add, lengths, repeat(1)), initial=0))
    longest, longest_at = 0, None
    pieces = []
    for hunk in hunks:
        first = hunk.new_start - 1
        for i in range(first, first + hunk.new_count):
            if lengths[i] > longest:  # line endings aside (a "\r" before the "\n")
                length = len(data[starts[i] : starts[i] + lengths[i]].rstrip(b"\r"))
                if length > longest:
                    longest, longest_at = length, i + 1
        if hunk.new_count:
            pieces.append(data[starts[first] : starts[first + hunk.new_count]])
    added = b"".join(pieces)
    lines_added = sum(h.new_count for h in hunks)
    lines_removed = sum(h.old_count for h in hunks)
    return TextChange(
        lines_added=lines_added,
        lines_removed=lines_removed,
        hunks=tuple(hunks),
        added_bytes=len(added),
        longest_added_line=longest,
        longest_added_at=longest_at,
        added_entropy=_entropy(added),
        summary=_summary(hunks, lines_added, lines_removed, longest, len(new_hashes)),
        approximate=approximate,
        added_requires=_requires(added),
    )


_REQUIRE = re.compile(
    rb"""(?:\brequire\s*\(\s*|\bimport\s*\(\s*|\bfrom\s+|\bimport\s+)(['"])([^'"\n]{1,200})\1"""
)
MAX_REQUIRES = 200


def _requires(added: bytes) -> tuple[str, ...]:
    found: list[str] = []
    for m in _REQUIRE.finditer(added):
        spec = m.group(2).decode("utf-8", "replace")
        if spec not in found:
            found.append(spec)
            if len(found) >= MAX_REQUIRES:
                break
    return tuple(found)


def resolve_require(importer: str, specifier: str, paths: Collection[str]) -> str | None:
    """The installed file a relative ``require``/``import`` in ``importer`` names, if any."""
    if not specifier.startswith((".", "/")):
        return None
    base = importer.rsplit("/", 1)[0] if "/" in importer else ""
    from tarlens._js import posix_normalize  # noqa: PLC0415

    target = posix_normalize(f"{base}/{specifier}" if base else specifier)
    if target.startswith(("..", "/")):
        return None
    for candidate in (
        target,
        f"{target}.js",
        f"{target}.cjs",
        f"{target}.mjs",
        f"{target}.json",
        f"{target}/index.js",
    ):
        if candidate in paths:
            return candidate
    return None


def _entropy(data: bytes) -> float:
    if not data:
        return 0.0
    counts = Counter(data)
    n = len(data)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _summary(hunks: Sequence[Hunk], added: int, removed: int, longest: int, total: int) -> str:
    if not hunks:
        return "no line changed (only line endings or bytes within lines)"
    if len(hunks) == 1 and hunks[0].old_count == 0:
        h = hunks[0]
        where = (
            "prepended"
            if h.new_start == 1
            else "appended"
            if h.new_start + h.new_count - 1 >= total - 1
            else f"inserted at line {h.new_start}"
        )
        if h.new_count == 1:
            return f"one {longest}-byte line {where}"
        return f"{h.new_count} lines {where}"
    places = len(hunks)
    return (
        f"{added} line{'s' * (added != 1)} added and {removed} removed in {places} "
        f"place{'s' * (places != 1)}"
    )


# -- package.json, scripts, dependencies ------------------------------------------------


def _script_changes(a: Manifest, b: Manifest, changed: set[str]) -> tuple[ScriptChange, ...]:
    """Scripts added, removed or changed, and unchanged install scripts whose files changed."""
    old = {s.event: s for s in a.scripts}
    new = {s.event: s for s in b.scripts}
    out = []
    for event in sorted(old.keys() | new.keys()):
        o, n = old.get(event), new.get(event)
        current = n if n is not None else o
        assert current is not None
        install = current.when is ScriptWhen.INSTALL
        runs = tuple(p for p in script_files(n.command) if p in changed) if n else ()
        if o is not None and n is not None and o.command == n.command and not (install and runs):
            continue
        out.append(
            ScriptChange(event, o.command if o else None, n.command if n else None, install, runs)
        )
    return tuple(out)


def _dependency_changes(
    old: Iterable[Dependency], new: Iterable[Dependency]
) -> tuple[DependencyChange, ...]:
    a = {(d.field, d.name): d for d in old}
    b = {(d.field, d.name): d for d in new}
    out = []
    for key in sorted(a.keys() | b.keys()):
        o, n = a.get(key), b.get(key)
        if o is not None and n is not None and o.spec.raw == n.spec.raw:
            continue
        out.append(DependencyChange(key[0], key[1], o.spec if o else None, n.spec if n else None))
    return tuple(out)


def _field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    out = []
    for field in TYPED_FIELDS:
        o, n = old.get(field), new.get(field)
        if o != n or type(o) is not type(n):
            out.append(FieldChange(field, o, n))
    return tuple(out)


def _json_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[JsonChange, ...]:
    from deepdiff import DeepDiff  # noqa: PLC0415 - only needed here, and slow to import

    skip = set(TYPED_FIELDS) | set(OTHER_VIEWS)
    a = {k: v for k, v in old.items() if k not in skip}
    b = {k: v for k, v in new.items() if k not in skip}
    if a == b:
        return ()
    out: list[JsonChange] = []
    for key in sorted(a.keys() | b.keys()):
        o, n = a.get(key, _ABSENT), b.get(key, _ABSENT)
        if o is _ABSENT or n is _ABSENT or (o == n and type(o) is type(n)):
            continue
        if _more_values(o, MAX_DEEPDIFF_VALUES) or _more_values(n, MAX_DEEPDIFF_VALUES):
            pointer = "/" + pointer_escape(str(key))
            whole = "changed" if type(o) is type(n) else "type-changed"
            out.append(JsonChange(pointer, whole, o, n))
            a.pop(key)  # compared whole: deepdiff is spared it
            b.pop(key)
    tree = DeepDiff(a, b, view="tree", verbose_level=2, max_passes=10_000)
    names = {
        "dictionary_item_added": "added",
        "iterable_item_added": "added",
        "dictionary_item_removed": "removed",
        "iterable_item_removed": "removed",
        "values_changed": "changed",
        "type_changes": "type-changed",
    }
    for report, items in tree.items():
        change = names.get(report)
        if change is None:
            continue
        for item in items:
            parts = item.path(output_format="list")
            pointer = "".join("/" + pointer_escape(str(p)) for p in parts)
            old_value = None if change == "added" else _jsonable(item.t1)
            new_value = None if change == "removed" else _jsonable(item.t2)
            out.append(JsonChange(pointer, change, old_value, new_value))
    out.sort(key=lambda c: (c.pointer, c.change))
    return tuple(out[:MAX_JSON_CHANGES])


_ABSENT = object()


def _more_values(value: Any, limit: int) -> bool:
    """Whether ``value`` holds more than ``limit`` values (objects, arrays and scalars)."""
    seen = 0
    stack = [value]
    while stack:
        v = stack.pop()
        seen += 1
        if seen > limit:
            return True
        if isinstance(v, (dict, list)):
            if len(v) > limit:
                return True
            stack.extend(v.values() if isinstance(v, dict) else v)
    return False


def _jsonable(value: Any) -> Any:
    from deepdiff.helper import NotPresent  # noqa: PLC0415

    return None if isinstance(value, NotPresent) else value


def _bundled_changes(a: Manifest, b: Manifest) -> tuple[BundledChange, ...]:
    old = {p.path: p for p in a.bundled}
    new = {p.path: p for p in b.bundled}
    out = []
    for path in sorted(old.keys() | new.keys()):
        o, n = old.get(path), new.get(path)
        if o is None:
            out.append(BundledChange(path, ChangeStatus.ADDED, None, n))
        elif n is None:
            out.append(BundledChange(path, ChangeStatus.REMOVED, o, None))
        elif (o.name, o.version, o.scripts) != (n.name, n.version, n.scripts):
            out.append(BundledChange(path, ChangeStatus.MODIFIED, o, n))
    return tuple(out)


def _shrinkwrap_changes(a: Manifest, b: Manifest) -> tuple[ShrinkwrapChange, ...]:
    old = {e.path: e for e in (a.shrinkwrap.entries if a.shrinkwrap else ())}
    new = {e.path: e for e in (b.shrinkwrap.entries if b.shrinkwrap else ())}
    out = []
    for path in sorted(old.keys() | new.keys()):
        o, n = old.get(path), new.get(path)
        if (
            o is not None
            and n is not None
            and (o.version, o.resolved, o.source)
            == (
                n.version,
                n.resolved,
                n.source,
            )
        ):
            continue
        status = (
            ChangeStatus.ADDED
            if o is None
            else ChangeStatus.REMOVED
            if n is None
            else ChangeStatus.MODIFIED
        )
        out.append(
            ShrinkwrapChange(
                path,
                status,
                o.version if o else None,
                n.version if n else None,
                o.source if o else None,
                n.source if n else None,
                n.resolved if n else None,
                bool(n and n.has_install_script),
            )
        )
    return tuple(out)


def _new_anomalies(a: Manifest, b: Manifest) -> tuple[Anomaly, ...]:
    seen = {(x.kind, x.path) for x in a.anomalies}
    return tuple(x for x in b.anomalies if (x.kind, x.path) not in seen)


def _packing_changes(a: Manifest, b: Manifest) -> tuple[str, ...]:
    pa, pb = a.packing, b.packing
    out = []
    if pa.compression != pb.compression:
        out.append(f"compression {pa.compression} -> {pb.compression}")
    ga, gb = pa.gzip, pb.gzip
    if ga is not None and gb is not None:
        for name in ("mtime", "os", "xfl", "flags"):
            if getattr(ga, name) != getattr(gb, name):
                out.append(f"gzip header {name} {getattr(ga, name)} -> {getattr(gb, name)}")
    for name, label in (
        ("formats", "tar format"),
        ("owners", "owners"),
        ("roots", "top-level directories"),
    ):
        va, vb = getattr(pa, name), getattr(pb, name)
        if va != vb:
            out.append(
                f"{label} {', '.join(map(str, va)) or '-'} -> {', '.join(map(str, vb)) or '-'}"
            )
    if _mtime_style(pa.mtimes) != _mtime_style(pb.mtimes):
        out.append(f"entry mtimes {_mtime_style(pa.mtimes)} -> {_mtime_style(pb.mtimes)}")
    if pa.directory_entries != pb.directory_entries:
        out.append(f"directory entries {pa.directory_entries} -> {pb.directory_entries}")
    if (pa.extended_headers > 0) != (pb.extended_headers > 0):
        out.append(f"extended headers {pa.extended_headers} -> {pb.extended_headers}")
    if pa.like_npm_pack and not pb.like_npm_pack:
        out.append("the previous release looked like `npm pack` output, this one does not")
    return tuple(out)


def _sizes(a: Manifest, b: Manifest) -> Sizes:
    by_kind: dict[str, tuple[int, int]] = {}
    if all(f.kind is not None for f in (*a.files, *b.files)):
        for kind in ("source", "minified", "binary", "data"):
            old = sum(f.size for f in a.files if f.kind == kind)
            new = sum(f.size for f in b.files if f.kind == kind)
            by_kind[kind] = (old, new)
    return Sizes(len(a.files), len(b.files), a.unpacked_size, b.unpacked_size, by_kind)


def _mtime_style(mtimes: Sequence[int]) -> str:
    from tarlens._manifest import NPM_PACK_MTIME  # noqa: PLC0415

    if list(mtimes) == [NPM_PACK_MTIME]:
        return "npm pack's fixed 1985-10-26"
    if len(mtimes) <= 1:
        return "one build timestamp"
    return "several timestamps"


def _mass_deletion(a: Manifest, b: Manifest, files: Sequence[FileChange]) -> bool:
    """Most of the previous release's files or bytes are gone (faker 6.6.6, emptied libs)."""
    if len(a.files) < 5:
        return False
    removed = sum(1 for c in files if c.status is ChangeStatus.REMOVED)
    emptied = sum(
        1
        for c in files
        if c.status is ChangeStatus.MODIFIED
        and c.old is not None
        and c.new is not None
        and c.old.size >= 100
        and c.new.size <= c.old.size // 10
    )
    gone = removed + emptied
    return gone >= 0.5 * len(a.files) or b.unpacked_size < 0.2 * a.unpacked_size
