"""Layer 6: notebook faces. Small HTML and Markdown tables, records and data frames.

:func:`manifest_html`, :func:`diff_html` and :func:`report_html` (and their ``*_markdown``
twins) are what ``_repr_html_``/``_repr_markdown_`` show for a manifest, a diff and a
report: self-contained tables, no script, no stylesheet (a few ``style`` attributes), cut at
``max_rows`` rows with "... and K more", every value from the package neutralised
(:func:`tarlens._render.safe`) and then ``html.escape``-d, attributes included.

:func:`to_records` turns files, file changes and findings into plain dicts (raw values, for
analysis: escape them yourself before you print them); :func:`to_frame` makes a pandas
``DataFrame`` of the same, with ``severity`` and ``confidence`` as ordered categories, so
``frame[frame.severity >= "high"]`` works. pandas is imported only there (the ``pandas``
extra).
"""

from __future__ import annotations

import html
import importlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from tarlens._diff import ChangeStatus, FileChange, ReleaseDiff
from tarlens._engine import Confidence, Finding, Report, Severity
from tarlens._manifest import File, Manifest
from tarlens._markdown import (
    code,
    dependencies_section,
    file_kind,
    files_section,
    findings_section,
    identity_table,
    number,
    plural,
    scripts_section,
    table,
)
from tarlens._render import safe

__all__: list[str] = []  # private module
#: why the engine skips rules: they judge change, or registry metadata (tarlens review)
_SKIPPED_WHY = "(they need the previous release or registry metadata)"

#: rows shown per table
MAX_ROWS = 50
#: characters of package text shown per cell
MAX_CELL = 200
MAX_MESSAGE = 600

_LEFT = ' style="text-align:left;vertical-align:top"'
_RIGHT = ' style="text-align:right;vertical-align:top"'
_SEVERITY_STYLE = {
    Severity.CRITICAL: "color:#a40000;font-weight:bold",
    Severity.HIGH: "color:#a40000",
    Severity.MEDIUM: "color:#8a5a00",
    Severity.LOW: "color:#555555",
    Severity.INFO: "color:#555555",
}


# -- HTML building blocks -----------------------------------------------------------------


def esc(text: str | None, *, limit: int = MAX_CELL) -> str:
    """Package text as inert HTML (text and attribute values alike)."""
    if text is None:
        return "-"
    s = safe(text)
    more = ""
    if len(s) > limit:
        more = f" ... ({len(s) - limit} more characters)"
        s = s[:limit]
    return html.escape(s, quote=True) + more


def tt(text: str | None, *, limit: int = MAX_CELL) -> str:
    if text is None:
        return "-"
    return f"<code>{esc(text, limit=limit)}</code>"


@attrs.frozen
class Cell:
    """An already-escaped cell; ``numeric`` cells are right-aligned; ``style`` is ours."""

    html: str
    numeric: bool = attrs.field(default=False, kw_only=True)
    style: str = attrs.field(default="", kw_only=True)


CellLike = Cell | str


def _td(cell: CellLike, tag: str = "td") -> str:
    if isinstance(cell, str):
        cell = Cell(cell)
    style = "text-align:right" if cell.numeric else "text-align:left"
    style += ";vertical-align:top" + (";" + cell.style if cell.style else "")
    return f'<{tag} style="{style}">{cell.html}</{tag}>'


def html_table(
    header: Sequence[str],
    rows: Sequence[Sequence[CellLike]],
    *,
    max_rows: int = MAX_ROWS,
    what: str = "rows",
) -> str:
    """A table of already-escaped cells, cut at ``max_rows`` rows."""
    out = ['<table style="border-collapse:collapse">']
    out.append("<thead><tr>" + "".join(f"<th{_LEFT}>{h}</th>" for h in header) + "</tr></thead>")
    out.append("<tbody>")
    out.extend("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in rows[:max_rows])
    out.append("</tbody></table>")
    if len(rows) > max_rows:
        out.append(f"<p>... and {number(len(rows) - max_rows)} more {what}</p>")
    return "\n".join(out)


def _heading(text: str) -> str:
    return f"<p><strong>{text}</strong></p>"


def _wrap(parts: Iterable[str], kind: str) -> str:
    return f'<div class="tarlens tarlens-{kind}">\n' + "\n".join(p for p in parts if p) + "\n</div>"


def _severity(s: Severity) -> Cell:
    return Cell(str(s), style=_SEVERITY_STYLE[s])


def _title(m: Manifest) -> str:
    return f"{tt(m.name)} {tt(m.version)}"


# -- manifest -----------------------------------------------------------------------------


def _identity_rows(m: Manifest) -> list[list[CellLike]]:
    rows: list[list[CellLike]] = [
        ["integrity", tt(m.integrity)],
        ["shasum", tt(m.shasum)],
        ["size", f"{number(m.size)} bytes ({esc(m.compression)}), {number(m.tar_size)} as tar"],
    ]
    rows += [["npm refuses", esc(why)] for why in m.npm_refuses]
    return rows


def manifest_html(m: Manifest, *, max_rows: int = MAX_ROWS) -> str:
    """A manifest as a few HTML tables: identity, install-time scripts, dependencies,
    commands and files."""
    parts = [
        f"<p><strong>tarlens</strong> {_title(m)}: {plural(len(m.files), 'installed file')}, "
        f"{number(m.unpacked_size)} bytes</p>",
        html_table(["", ""], _identity_rows(m)),
    ]
    scripts: list[list[CellLike]] = [
        [tt(s.event) + (" (implicit)" if s.implicit else ""), tt(s.command, limit=MAX_MESSAGE)]
        for s in m.install_scripts
    ]
    scripts += [
        [f"{tt(s.event)} in {tt(b.path)}", tt(s.command, limit=MAX_MESSAGE)]
        for b in m.bundled
        for s in b.scripts
    ]
    parts.append(_heading("Install-time scripts (run on every consumer's machine)"))
    parts.append(
        html_table(["event", "command"], scripts, max_rows=max_rows) if scripts else "<p>none</p>"
    )
    deps: list[list[CellLike]] = [
        [
            tt(d.field),
            tt(d.name),
            tt(d.spec.raw),
            esc(str(d.spec.source)),
            ", ".join(
                flag
                for flag, on in (
                    ("optional", d.optional),
                    ("bundled", d.bundled),
                    ("not installed by consumers", not d.installed_by_consumers),
                )
                if on
            ),
        ]
        for d in m.dependencies
    ]
    if deps:
        parts.append(_heading(f"Dependencies ({number(len(deps))})"))
        parts.append(
            html_table(
                ["field", "name", "spec", "source", ""],
                deps,
                max_rows=max_rows,
                what="dependencies",
            )
        )
    if m.bin:
        rows: list[list[CellLike]] = [
            [tt(b.name), tt(b.target), "" if b.exists else "missing"] for b in m.bin
        ]
        parts.append(_heading("Commands (bin)"))
        parts.append(html_table(["name", "target", ""], rows, max_rows=max_rows))
    parts.append(_heading(f"Files ({number(len(m.files))})"))
    parts.append(
        html_table(
            ["path", "bytes", "mode", "kind", "sha256"],
            [
                [
                    tt(f.path),
                    Cell(number(f.size), numeric=True),
                    f"{f.mode:04o}",
                    esc(file_kind(f)),
                    tt(f.sha256[:16]),
                ]
                for f in m.files
            ],
            max_rows=max_rows,
            what="files",
        )
    )
    return _wrap(parts, "manifest")


def manifest_markdown(m: Manifest, *, max_rows: int = MAX_ROWS) -> str:
    """The Markdown twin of :func:`manifest_html`."""
    out = [f"**tarlens** {code(m.name)} {code(m.version)}", ""]
    out += identity_table(m, None)
    out += ["", *scripts_section(m, None, max_rows)]
    out += ["", *dependencies_section(m, None, max_rows)]
    out += ["", f"### Files ({number(len(m.files))})", ""]
    out += table(
        ["path", "bytes", "mode", "kind"],
        [
            [code(f.path, table=True), number(f.size), f"{f.mode:04o}", file_kind(f) or "-"]
            for f in m.files
        ],
        max_rows=max_rows,
        what="files",
    )
    return "\n".join(out) + "\n"


# -- report -------------------------------------------------------------------------------


def _finding_rows(findings: Sequence[Finding]) -> list[list[CellLike]]:
    return [
        [
            _severity(f.severity),
            f"{tt(f.rule_id)} {esc(f.rule)}",
            esc(str(f.confidence)),
            tt(f.path) + (f" line {f.line}" if f.line is not None else ""),
            esc(f.message, limit=MAX_MESSAGE),
        ]
        for f in findings
    ]


def _report_parts(r: Report, max_rows: int) -> list[str]:
    worst = r.max_severity
    head = plural(len(r.findings), "finding") + (f", worst {worst}" if worst is not None else "")
    parts = [f"<p><strong>tarlens</strong>: {head}</p>"]
    if r.findings:
        parts.append(
            html_table(
                ["severity", "rule", "confidence", "where", "message"],
                _finding_rows(r.findings),
                max_rows=max_rows,
                what="findings",
            )
        )
    if r.errors:
        parts.append(_heading("Rules that crashed (their findings are missing)"))
        parts.append(
            html_table(
                ["rule", "error"],
                [[tt(e.rule_id), esc(e.message, limit=MAX_MESSAGE)] for e in r.errors],
                max_rows=max_rows,
            )
        )
    notes = []
    if r.suppressed:
        notes.append(f"{plural(len(r.suppressed), 'finding')} suppressed")
    if r.skipped:
        notes.append(f"{plural(len(r.skipped), 'rule')} skipped {_SKIPPED_WHY}")
    if notes:
        parts.append("<p>" + "; ".join(notes) + ".</p>")
    return parts


def report_html(r: Report, *, max_rows: int = MAX_ROWS) -> str:
    """A report's findings as an HTML table, most severe first."""
    return _wrap(_report_parts(r, max_rows), "report")


def report_markdown(r: Report, *, max_rows: int = MAX_ROWS) -> str:
    """The Markdown twin of :func:`report_html`."""
    worst = r.max_severity
    head = plural(len(r.findings), "finding") + (f", worst {worst}" if worst is not None else "")
    out = [f"**tarlens**: {head}", "", *findings_section(r, max_rows)]
    if r.skipped:
        out += ["", f"{plural(len(r.skipped), 'rule')} skipped {_SKIPPED_WHY}."]
    return "\n".join(out) + "\n"


# -- diff ---------------------------------------------------------------------------------


def _change_detail(c: FileChange) -> str:
    if c.renamed_from:
        return f"from {tt(c.renamed_from)}"
    if c.text is not None:
        return esc(c.text.summary)
    if c.mode_changed and c.old and c.new and not c.content_changed:
        return f"mode {c.old.mode:04o} → {c.new.mode:04o}"
    return ""


def diff_html(d: ReleaseDiff, *, report: Report | None = None, max_rows: int = MAX_ROWS) -> str:
    """What changed between two releases, as HTML tables (with ``report``'s findings)."""
    a, b = d.old, d.new
    s = d.sizes
    counts = (
        f"{number(len(d.added))} added, {number(len(d.removed))} removed, "
        f"{number(len(d.modified))} modified"
        + (f", {number(len(d.renamed))} renamed" if d.renamed else "")
    )
    parts = [
        f"<p><strong>tarlens</strong> {tt(b.name)} {tt(a.version)} → {tt(b.version)}: {counts}</p>",
        html_table(
            ["", "previous", "this release"],
            [
                ["integrity", tt(a.integrity), tt(b.integrity)],
                ["shasum", tt(a.shasum), tt(b.shasum)],
                [
                    "installed files",
                    Cell(number(s.old_files), numeric=True),
                    Cell(number(s.new_files), numeric=True),
                ],
                [
                    "unpacked bytes",
                    Cell(number(s.old_bytes), numeric=True),
                    Cell(number(s.new_bytes), numeric=True),
                ],
            ],
        ),
    ]
    if d.mass_deletion:
        parts.append(
            "<p><strong>Most of the previous release is gone (mass deletion).</strong></p>"
        )
    parts += [f"<p>npm refuses: {esc(why)}</p>" for why in b.npm_refuses[:max_rows]]
    parts += [f"<p>note: {esc(note)}</p>" for note in d.notes[:max_rows]]
    if report is not None:
        parts += _report_parts(report, max_rows)
    parts.append(_heading("Scripts"))
    if d.scripts:
        rows: list[list[CellLike]] = []
        for sc in d.scripts:
            change = (
                "added"
                if sc.old is None
                else "removed"
                if sc.new is None
                else "changed"
                if sc.old != sc.new
                else "runs changed files"
            )
            rows.append(
                [
                    change + (" (install-time)" if sc.install_time else ""),
                    tt(sc.event),
                    tt(sc.old, limit=MAX_MESSAGE),
                    tt(sc.new, limit=MAX_MESSAGE),
                    ", ".join(tt(p) for p in sc.runs_changed_files[:10]),
                ]
            )
        parts.append(
            html_table(
                ["change", "event", "before", "now", "runs new or changed files"],
                rows,
                max_rows=max_rows,
            )
        )
    else:
        parts.append("<p>unchanged</p>")
    if d.dependencies:
        deps: list[list[CellLike]] = [
            [
                esc(str(c.status)) + (", source changed" if c.source_changed else ""),
                tt(c.field),
                tt(c.name),
                "-" if c.old is None else f"{tt(c.old.raw)} ({esc(str(c.old.source))})",
                "-" if c.new is None else f"{tt(c.new.raw)} ({esc(str(c.new.source))})",
            ]
            for c in d.dependencies
        ]
        parts.append(_heading("Dependencies"))
        parts.append(
            html_table(
                ["change", "field", "name", "before", "now"],
                deps,
                max_rows=max_rows,
                what="dependency changes",
            )
        )
    if d.fields:
        parts.append(_heading("package.json fields"))
        parts.append(
            html_table(
                ["field", "before", "now"],
                [[tt(c.field), tt(_json(c.old)), tt(_json(c.new))] for c in d.fields],
                max_rows=max_rows,
            )
        )
    parts.append(_heading(f"Files ({number(len(d.files))} changed)"))
    files: list[list[CellLike]] = []
    for c in d.files:
        old = number(c.old.size) if c.old else "-"
        new = number(c.new.size) if c.new else "-"
        kind = file_kind(c.new) if c.new else file_kind(c.old) if c.old else None
        files.append(
            [
                esc(str(c.status)),
                tt(c.path),
                Cell(old, numeric=True),
                Cell(new, numeric=True),
                esc(kind),
                _change_detail(c),
            ]
        )
    parts.append(
        html_table(
            ["change", "path", "bytes before", "bytes now", "kind", "detail"],
            files,
            max_rows=max_rows,
            what="changed files",
        )
    )
    return _wrap(parts, "diff")


def diff_markdown(d: ReleaseDiff, *, report: Report | None = None, max_rows: int = MAX_ROWS) -> str:
    """The Markdown twin of :func:`diff_html`."""
    out = [f"**tarlens** {code(d.new.name)} {code(d.old.version)} → {code(d.new.version)}", ""]
    out += identity_table(d.new, d)
    if report is not None:
        out += ["", *findings_section(report, max_rows)]
    out += ["", *scripts_section(d.new, d, max_rows)]
    out += ["", *dependencies_section(d.new, d, max_rows)]
    out += ["", *files_section(d.new, d, max_rows)]
    return "\n".join(out) + "\n"


def _json(value: Any) -> str:
    return "-" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


# -- records and frames -------------------------------------------------------------------

FILE_COLUMNS = ("path", "size", "mode", "executable", "tar_mode", "sha256", "entry", "kind")
CHANGE_COLUMNS = (
    "path",
    "status",
    "renamed_from",
    "content_changed",
    "mode_changed",
    "old_size",
    "new_size",
    "size_delta",
    "old_mode",
    "new_mode",
    "old_sha256",
    "new_sha256",
    "kind",
    "lines_added",
    "lines_removed",
    "summary",
)
FINDING_COLUMNS = (
    "rule_id",
    "rule",
    "severity",
    "confidence",
    "message",
    "path",
    "line",
    "cwe",
    "fingerprint",
)


def _file_record(f: File) -> dict[str, Any]:
    return {
        "path": f.path,
        "size": f.size,
        "mode": f.mode,
        "executable": bool(f.mode & 0o111),
        "tar_mode": f.tar_mode,
        "sha256": f.sha256,
        "entry": f.entry,
        "kind": file_kind(f),
    }


def _change_record(c: FileChange) -> dict[str, Any]:
    old_size = c.old.size if c.old else None
    new_size = c.new.size if c.new else None
    kind_of = c.new if c.new is not None else c.old
    return {
        "path": c.path,
        "status": str(c.status),
        "renamed_from": c.renamed_from,
        "content_changed": c.content_changed,
        "mode_changed": c.mode_changed,
        "old_size": old_size,
        "new_size": new_size,
        "size_delta": (new_size or 0) - (old_size or 0),
        "old_mode": c.old.mode if c.old else None,
        "new_mode": c.new.mode if c.new else None,
        "old_sha256": c.old.sha256 if c.old else None,
        "new_sha256": c.new.sha256 if c.new else None,
        "kind": file_kind(kind_of) if kind_of is not None else None,
        "lines_added": c.text.lines_added if c.text else None,
        "lines_removed": c.text.lines_removed if c.text else None,
        "summary": c.text.summary if c.text else None,
    }


def _finding_record(f: Finding) -> dict[str, Any]:
    from tarlens._render import finding_to_dict  # noqa: PLC0415 - one shape for every face

    return finding_to_dict(f)


def _items(obj: object) -> tuple[tuple[Any, ...], tuple[str, ...] | None]:
    if isinstance(obj, Manifest):
        return obj.files, FILE_COLUMNS
    if isinstance(obj, ReleaseDiff):
        return obj.files, CHANGE_COLUMNS
    if isinstance(obj, Report):
        return obj.findings, FINDING_COLUMNS
    if isinstance(obj, File | FileChange | Finding):
        return (obj,), None
    if isinstance(obj, Iterable) and not isinstance(obj, str | bytes):
        return tuple(obj), None
    raise TypeError(
        f"to_records() takes a Manifest, a ReleaseDiff, a Report, or files, file changes or "
        f"findings, not {type(obj).__name__}"
    )


def to_records(obj: object) -> list[dict[str, Any]]:
    """Plain dicts, one per item: the files of a :class:`~tarlens.Manifest`, the file
    changes of a :class:`~tarlens.ReleaseDiff`, the findings of a :class:`~tarlens.Report`,
    or any iterable of files, file changes or findings.

    Values are raw (paths and messages as the package wrote them): escape them before you
    show them anywhere that interprets text.
    """
    items, _ = _items(obj)
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, File):
            out.append(_file_record(item))
        elif isinstance(item, FileChange):
            out.append(_change_record(item))
        elif isinstance(item, Finding):
            out.append(_finding_record(item))
        else:
            raise TypeError(
                f"to_records() takes files, file changes or findings, not {type(item).__name__}"
            )
    return out


def to_frame(obj: object) -> Any:
    """:func:`to_records` as a pandas ``DataFrame`` (needs the ``pandas`` extra).

    ``severity`` and ``confidence`` are ordered categories (``frame.severity >= "high"``).
    """
    try:
        pd = importlib.import_module("pandas")
    except ImportError as exc:
        raise ImportError(
            "tarlens.to_frame() needs pandas, which is not installed: "
            "pip install 'tarlens[pandas]' (or use to_records(), which needs nothing)",
            name="pandas",
        ) from exc
    items, columns = _items(obj)
    records = to_records(items)
    if columns is None:
        columns = tuple(records[0]) if records else ()
    frame = pd.DataFrame.from_records(records, columns=list(columns))
    for column, enum in (("severity", Severity), ("confidence", Confidence)):
        if column in frame.columns:
            frame[column] = pd.Categorical(
                frame[column], categories=[str(v) for v in enum], ordered=True
            )
    if "status" in frame.columns:
        frame["status"] = pd.Categorical(frame["status"], categories=[str(s) for s in ChangeStatus])
    return frame
