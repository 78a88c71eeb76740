"""Layer 6: the approval note, in Markdown.

:func:`approval_note` writes what a maintainer pastes next to ``npm stage approve`` or posts
on a pull request: a verdict, the identity and integrity of the release (and of the previous
one), the findings grouped by severity, the script and dependency changes, new executables,
binaries and minified payloads, modified entry points and file counts.

Everything a package author controls (names, versions, paths, script bodies, specs, finding
messages) is shown in a code span built by :func:`code`: inside a code span Markdown, HTML,
math, emoji, mentions and autolinks do not apply, so nothing a package author writes can
become markup. Code spans are fenced with more backticks than the text contains, control and
bidirectional-override characters are neutralised (:func:`tarlens._render.safe`), newlines
never reach the output, and ``|`` is escaped in table cells. Every table is cut at
``max_rows`` rows and every value at :data:`MAX_CELL` characters, so the note stays small
for a package of any size.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from tarlens import __version__
from tarlens._diff import ChangeStatus, FileChange, ReleaseDiff
from tarlens._engine import Finding, Report, Severity
from tarlens._manifest import File, Manifest
from tarlens._render import safe

__all__: list[str] = []  # private module

#: attacker text shown per value (in characters, after neutralising control characters)
MAX_CELL = 200
#: the same for finding messages
MAX_MESSAGE = 600
#: rows per table (and finding rows in all)
MAX_ROWS = 50
#: the note's size bound (GitHub refuses comments over 65,536 characters)
MAX_CHARS = 60_000

_BACKTICKS = re.compile(r"`+")
_DEV_FIELDS = ("devDependencies", "overrides")


def code(text: str | None, *, table: bool = False, limit: int = MAX_CELL) -> str:
    """``text`` as an inert Markdown code span (``table=True`` inside a table cell).

    ``None`` is shown as a dash, the empty string as *(empty)*; text longer than ``limit``
    is cut, and the cut is said outside the span.
    """
    if text is None:
        return "-"
    if text == "":
        return "*(empty)*"
    s = safe(text)
    more = ""
    if len(s) > limit:
        more = f" ... ({len(s) - limit} more characters)"
        s = s[:limit]
    if not s.strip(" "):
        return f"*({len(s)} spaces)*{more}"
    if table:
        # GFM splits rows on unescaped pipes before it parses code spans, then unescapes
        # ``\|``; safe() has doubled every backslash, so each pipe here is preceded by an
        # odd number of them and none can end the cell.
        s = s.replace("|", "\\|")
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(s)), default=0) + 1)
    if s[0] in "` " or s[-1] in "` ":
        s = f" {s} "  # CommonMark strips exactly one space on each side
    return f"{fence}{s}{fence}{more}"


def number(n: int) -> str:
    return f"{n:,}"


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    max_rows: int = MAX_ROWS,
    what: str = "rows",
) -> list[str]:
    """A GFM table of already-escaped cells, cut at ``max_rows`` rows."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out.extend("| " + " | ".join(row) + " |" for row in rows[:max_rows])
    if len(rows) > max_rows:
        out.extend(["", f"... and {number(len(rows) - max_rows)} more {what}"])
    return out


def short_json(value: Any) -> str:
    """A JSON value as one line of text (for a code span)."""
    if value is None:
        return "-"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{number(n)} " + (word if n == 1 else words or word + "s")


# -- the verdict ---------------------------------------------------------------------------

APPROVE = "approve"
LOOK_CLOSER = "look closer"
DO_NOT_APPROVE = "do not approve"


def _threshold(fail_on: Severity | str | None) -> Severity | None:
    if fail_on is None or isinstance(fail_on, Severity):
        return fail_on
    return None if fail_on.strip().lower() == "none" else Severity.parse(fail_on)


def verdict(
    report: Report, manifest: Manifest, *, fail_on: Severity | str | None = Severity.HIGH
) -> str:
    """``do not approve`` at ``fail_on`` or worse (or when npm would refuse the tarball),
    ``look closer`` for medium findings or a rule that crashed, ``approve`` otherwise.

    ``fail_on`` is a :class:`~tarlens.Severity` or its name (as ``--fail-on`` takes it);
    ``None`` or ``"none"``: no severity alone makes the verdict "do not approve"."""
    worst = report.max_severity
    floor = _threshold(fail_on)
    if manifest.npm_refuses or (worst is not None and floor is not None and worst >= floor):
        return DO_NOT_APPROVE
    if report.errors or (worst is not None and worst >= Severity.MEDIUM):
        return LOOK_CLOSER
    return APPROVE


def _counts(findings: Iterable[Finding]) -> str:
    by: dict[Severity, int] = {}
    for f in findings:
        by[f.severity] = by.get(f.severity, 0) + 1
    return ", ".join(f"{by[s]} {s}" for s in sorted(by, reverse=True))


def _verdict_lines(report: Report, manifest: Manifest, fail_on: Severity | str | None) -> list[str]:
    word = verdict(report, manifest, fail_on=fail_on)
    n = len(report.findings)
    why = [plural(n, "finding") + (f" ({_counts(report.findings)})" if n else "")]
    if report.errors:
        why.append(plural(len(report.errors), "rule") + " crashed")
    if manifest.npm_refuses:
        why.append("npm would refuse to install this tarball")
    return [f"**Verdict: {word}.** " + "; ".join(why) + "."]


# -- sections ------------------------------------------------------------------------------


def identity_table(manifest: Manifest, diff: ReleaseDiff | None) -> list[str]:
    new = manifest
    if diff is None:
        rows = [
            ["name", code(new.name, table=True)],
            ["version", code(new.version, table=True)],
            ["integrity", code(new.integrity, table=True)],
            ["shasum", code(new.shasum, table=True)],
            ["installed files", number(len(new.files))],
            ["unpacked bytes", number(new.unpacked_size)],
            ["tarball bytes", f"{number(new.size)} ({new.compression})"],
        ]
        return table(["", "this release"], rows)
    old = diff.old
    rows = [
        ["name", code(old.name, table=True), code(new.name, table=True)],
        ["version", code(old.version, table=True), code(new.version, table=True)],
        ["integrity", code(old.integrity, table=True), code(new.integrity, table=True)],
        ["shasum", code(old.shasum, table=True), code(new.shasum, table=True)],
        ["installed files", number(len(old.files)), number(len(new.files))],
        ["unpacked bytes", number(old.unpacked_size), number(new.unpacked_size)],
        [
            "tarball bytes",
            f"{number(old.size)} ({old.compression})",
            f"{number(new.size)} ({new.compression})",
        ],
    ]
    return table(["", "previous", "this release"], rows)


def findings_section(report: Report, max_rows: int, budget: int | None = None) -> list[str]:
    """The findings, most severe first, one table per severity: at most ``max_rows`` rows
    in all, and (with ``budget``) rows of at most that many characters in all."""
    out = ["### Findings"]
    if not report.findings:
        out += ["", "No findings."]
    rows_left = max_rows
    chars_left = budget if budget is not None else sys.maxsize
    header = ["| rule | confidence | where | message |", "|---|---|---|---|"]
    for sev in sorted(Severity, reverse=True):
        group = [f for f in report.findings if f.severity is sev]
        if not group:
            continue
        out += ["", f"#### {str(sev).capitalize()} ({len(group)})", ""]
        rows: list[str] = []
        for f in group:
            where = code(f.path, table=True) + (f" line {f.line}" if f.line is not None else "")
            row = (
                f"| {code(f.rule_id, table=True)} {code(f.rule, table=True)} | {f.confidence} "
                f"| {where} | {code(f.message, table=True, limit=MAX_MESSAGE)} |"
            )
            if rows_left <= 0 or len(row) + 1 > chars_left:
                break
            rows.append(row)
            rows_left -= 1
            chars_left -= len(row) + 1
        if rows:
            out += [*header, *rows]
        if len(rows) < len(group):
            if rows:
                out += ["", f"... and {number(len(group) - len(rows))} more {sev} findings"]
            else:
                out.append(f"{plural(len(group), 'finding')} not listed here.")
    if report.errors:
        out += ["", "#### Rules that crashed (their findings are missing)", ""]
        out += table(
            ["rule", "error"],
            [[code(e.rule_id, table=True), code(e.message, table=True)] for e in report.errors],
            max_rows=10,
        )
    if report.suppressed:
        out += [
            "",
            f"{plural(len(report.suppressed), 'finding')} suppressed by the configuration "
            "or the baseline.",
        ]
    return out


def scripts_section(manifest: Manifest, diff: ReleaseDiff | None, max_rows: int) -> list[str]:
    out = ["### Install-time scripts", ""]
    if diff is None:
        rows = [
            [
                code(s.event, table=True) + (" (implicit)" if s.implicit else ""),
                code(s.command, table=True),
            ]
            for s in manifest.install_scripts
        ]
        rows += [
            [
                f"{code(s.event, table=True)} in {code(b.path, table=True)}",
                code(s.command, table=True),
            ]
            for b in manifest.bundled
            for s in b.scripts
        ]
        if not rows:
            return [*out, "None: installing this package runs nothing of its own."]
        return out + table(
            ["event", "command (runs on every consumer's machine)"], rows, max_rows=max_rows
        )
    if not diff.scripts:
        return [*out, "Unchanged."]
    rows = []
    for s in diff.scripts:
        if s.old is None:
            change = "added"
        elif s.new is None:
            change = "removed"
        elif s.old != s.new:
            change = "changed"
        else:
            change = "unchanged, runs changed files"
        runs = ", ".join(code(p, table=True) for p in s.runs_changed_files[:10])
        if len(s.runs_changed_files) > 10:
            runs += f" and {len(s.runs_changed_files) - 10} more"
        rows.append(
            [
                change + (" (install-time)" if s.install_time else ""),
                code(s.event, table=True),
                code(s.old, table=True),
                code(s.new, table=True),
                runs or "-",
            ]
        )
    return out + table(
        ["change", "event", "before", "now", "runs new or changed files"], rows, max_rows=max_rows
    )


def _spec(spec: Any) -> str:
    if spec is None:
        return "-"
    return f"{code(spec.raw, table=True)} ({spec.source})"


def dependencies_section(manifest: Manifest, diff: ReleaseDiff | None, max_rows: int) -> list[str]:
    out = ["### Dependencies", ""]
    if diff is None:
        consumer = [d for d in manifest.dependencies if d.installed_by_consumers]
        other = [d for d in consumer if str(d.spec.source) != "registry"]
        registry = len(consumer) - len(other)
        out.append(
            f"{plural(len(consumer), 'dependency', 'dependencies')} installed by consumers: "
            f"{number(registry)} from the registry, {number(len(other))} from elsewhere."
        )
        if other:
            rows = [
                [
                    code(d.field, table=True),
                    code(d.name, table=True),
                    _spec(d.spec),
                    "optional" if d.optional else "",
                ]
                for d in other
            ]
            out += ["", *table(["field", "name", "spec", ""], rows, max_rows=max_rows)]
        return out
    dev = [c for c in diff.dependencies if c.field in _DEV_FIELDS]
    shown = [c for c in diff.dependencies if c.field not in _DEV_FIELDS]
    if not shown:
        out.append("No change that consumers install.")
    else:
        rows = [
            [
                str(c.status) + (", source changed" if c.source_changed else ""),
                code(c.field, table=True),
                code(c.name, table=True),
                _spec(c.old),
                _spec(c.new),
            ]
            for c in shown
        ]
        out += table(["change", "field", "name", "before", "now"], rows, max_rows=max_rows)
    if dev:
        out += [
            "",
            f"{plural(len(dev), 'change')} to devDependencies/overrides not shown: consumers "
            "do not install them.",
        ]
    return out


def file_kind(f: File) -> str | None:
    kind = getattr(f, "kind", None)
    return None if kind is None else str(kind)


def has_kinds(files: Iterable[File]) -> bool:
    return any(getattr(f, "kind", None) is not None for f in files)


def _payload_rows(manifest: Manifest, diff: ReleaseDiff | None) -> list[list[str]]:
    bins = {b.target for b in manifest.bin}
    rows: list[list[str]] = []
    if diff is None:
        for f in manifest.files:
            tags = []
            if f.mode & 0o111:
                tags.append("executable")
            if f.path in bins:
                tags.append("bin")
            if file_kind(f) in ("binary", "minified"):
                tags.append(str(file_kind(f)))
            if tags:
                rows.append([code(f.path, table=True), ", ".join(tags), number(f.size)])
        return rows
    old_bins = {b.target for b in diff.old.bin}
    for c in diff.files:
        new = c.new
        if new is None or not (
            c.status is not ChangeStatus.MODIFIED or c.content_changed or c.mode_changed
        ):
            continue
        fresh = c.status is not ChangeStatus.MODIFIED
        tags = []
        if new.mode & 0o111 and (c.old is None or not c.old.mode & 0o111):
            tags.append("newly executable" if c.old is not None else "executable")
        if c.path in bins and c.path not in old_bins:
            tags.append("new bin")
        kind = file_kind(new)
        if kind in ("binary", "minified") and (fresh or c.content_changed):
            tags.append(f"{kind}, {'new' if fresh else 'changed'}")
        if tags:
            rows.append([code(c.path, table=True), ", ".join(tags), number(new.size)])
    return rows


def payloads_section(manifest: Manifest, diff: ReleaseDiff | None, max_rows: int) -> list[str]:
    title = (
        "New executables, binaries and minified payloads"
        if diff
        else ("Executables, binaries and minified payloads")
    )
    out = [f"### {title}", ""]
    rows = _payload_rows(manifest, diff)
    if rows:
        out += table(["path", "what", "bytes"], rows, max_rows=max_rows, what="files")
    else:
        out.append("None.")
    if not has_kinds(manifest.files):
        out += ["", "(Content kinds were not analysed: binaries and minified files by name only.)"]
    return out


def entry_points_section(manifest: Manifest, diff: ReleaseDiff | None, max_rows: int) -> list[str]:
    entries = manifest.entry_points
    if diff is None:
        out = ["### Entry points", ""]
        if not entries:
            return [*out, "None found."]
        rows = [[code(p, table=True)] for p in entries]
        return out + table(["path (main, module, browser, exports, bin)"], rows, max_rows=max_rows)
    out = ["### Modified entry points", ""]
    changed: list[FileChange] = [
        c
        for c in diff.files
        if c.path in entries
        and c.status is not ChangeStatus.REMOVED
        and (c.status is not ChangeStatus.MODIFIED or c.content_changed or c.mode_changed)
    ]
    gone = [p for p in diff.old.entry_points if p not in entries]
    if not changed and not gone:
        return [*out, "None: every entry point is byte for byte the previous one."]
    rows = []
    for c in changed:
        what = (
            c.text.summary
            if c.text is not None
            else ("content changed" if c.content_changed else "mode changed")
        )
        if c.status is not ChangeStatus.MODIFIED:
            what = str(c.status) + (
                f" from {code(c.renamed_from, table=True)}" if c.renamed_from else ""
            )
        rows.append([code(c.path, table=True), what])
    rows += [[code(p, table=True), "no longer an entry point"] for p in gone]
    return out + table(["path", "change"], rows, max_rows=max_rows)


def package_json_section(diff: ReleaseDiff, max_rows: int) -> list[str]:
    if not diff.fields and not diff.package_json:
        return []
    rows = [
        [
            code(c.field, table=True),
            code(short_json(c.old), table=True),
            code(short_json(c.new), table=True),
        ]
        for c in diff.fields
    ]
    rows += [
        [
            code(c.pointer, table=True) + f" ({c.change})",
            code(short_json(c.old), table=True),
            code(short_json(c.new), table=True),
        ]
        for c in diff.package_json
    ]
    return ["### package.json", "", *table(["field", "before", "now"], rows, max_rows=max_rows)]


def files_section(manifest: Manifest, diff: ReleaseDiff | None, max_rows: int) -> list[str]:
    out = ["### Files", ""]
    if diff is None:
        return [
            *out,
            f"{plural(len(manifest.files), 'installed file')}, {number(manifest.unpacked_size)} "
            f"bytes ({plural(len(manifest.entries), 'tar entry', 'tar entries')}).",
        ]
    s = diff.sizes
    line = (
        f"{number(len(diff.added))} added, {number(len(diff.removed))} removed, "
        f"{number(len(diff.modified))} modified"
        + (f", {number(len(diff.renamed))} renamed" if diff.renamed else "")
        + f": {number(s.old_files)} → {number(s.new_files)} files, "
        f"{number(s.old_bytes)} → {number(s.new_bytes)} bytes."
    )
    out.append(line)
    if diff.mass_deletion:
        out += ["", "**Most of the previous release is gone (mass deletion).**"]
    if diff.files:
        rows = []
        for c in diff.files:
            size = c.new.size if c.new else c.old.size if c.old else 0
            detail = c.text.summary if c.text is not None else ""
            if c.renamed_from:
                detail = f"from {code(c.renamed_from, table=True)}"
            elif c.mode_changed and c.old and c.new and not c.content_changed:
                detail = f"mode {c.old.mode:04o} → {c.new.mode:04o}"
            rows.append([str(c.status), code(c.path, table=True), number(size), detail or "-"])
        out += [
            "",
            *table(
                ["change", "path", "bytes", "detail"], rows, max_rows=max_rows, what="changed files"
            ),
        ]
    return out


def approval_note(
    report: Report,
    *,
    manifest: Manifest,
    diff: ReleaseDiff | None = None,
    fail_on: Severity | str | None = Severity.HIGH,
    max_rows: int = MAX_ROWS,
    max_chars: int = MAX_CHARS,
    notes: Sequence[str] = (),
) -> str:
    """The Markdown note for ``npm stage approve`` or a pull request.

    ``manifest`` is the release under review; with ``diff`` (from :func:`tarlens.diff`,
    whose ``new`` side is ``manifest``) the note says what changed since the previous
    release. ``fail_on`` is the severity from which the verdict is "do not approve" (a
    :class:`~tarlens.Severity`, its name, or ``"none"``/``None``: see :func:`verdict`).
    Tables stop at ``max_rows`` rows; sections that would take the note past ``max_chars``
    characters (GitHub refuses comments over 65,536) are left out, and the note says which.
    ``notes`` are shown under the identity table (``tarlens review`` says there what it
    verified and what it compared with).
    """
    if diff is not None:
        title = (
            f"## tarlens review: {code(manifest.name)} {code(diff.old.version)} → "
            f"{code(manifest.version)}"
        )
    else:
        title = f"## tarlens review: {code(manifest.name)} {code(manifest.version)}"
    out = [title, "", *_verdict_lines(report, manifest, fail_on), ""]
    out += identity_table(manifest, diff)
    out += [
        "",
        "Before `npm stage approve`, check that the staged tarball is this one: "
        "`npm stage view` prints its shasum.",
    ]
    for note in notes[:10]:
        out += ["", f"Review: {code(note)}"]
    for why in manifest.npm_refuses[:10]:
        out += ["", f"**npm would refuse to install it:** {code(why)}"]
    if diff is not None:
        for note in diff.notes[:10]:
            out += ["", f"Note: {code(note)}"]
    head = sum(len(line) + 1 for line in out)
    # the findings come first and always fit: the rest of the note gets what they leave
    budget = max(max_chars // 2, max_chars - head - 8_000)
    sections = [
        ("findings", findings_section(report, max_rows, budget)),
        ("scripts", scripts_section(manifest, diff, max_rows)),
        ("dependencies", dependencies_section(manifest, diff, max_rows)),
        ("payloads", payloads_section(manifest, diff, max_rows)),
        ("entry points", entry_points_section(manifest, diff, max_rows)),
        ("package.json", package_json_section(diff, max_rows) if diff is not None else []),
        ("files", files_section(manifest, diff, max_rows)),
    ]
    footer = f"_Generated by tarlens {__version__}._"
    size = sum(len(line) + 1 for line in out) + len(footer) + 200
    cut: list[str] = []
    for name, section in sections:
        if not section:
            continue
        cost = sum(len(line) + 1 for line in section) + 1
        if size + cost > max_chars:
            cut.append(name)
            continue
        out += ["", *section]
        size += cost
    if cut:
        out += ["", f"_Left out to stay under {number(max_chars)} characters: {', '.join(cut)}._"]
    out += ["", footer]
    return "\n".join(out) + "\n"
