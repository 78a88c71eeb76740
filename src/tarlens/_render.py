"""Layer 6: renderers. Pure functions from values to ``str``; only the CLI writes.

Every string that comes from a tarball (paths, script bodies, names, specs) is attacker
text: the text renderer neutralises control and bidirectional-override characters, and the
JSON renderer escapes everything outside ASCII.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tarlens._diff import ChangeStatus, ReleaseDiff
from tarlens._engine import Finding, Report, Rule, Severity
from tarlens._manifest import File, Manifest, unscanned
from tarlens._tar import EntryStatus

if TYPE_CHECKING:  # the scan face is imported only by `tarlens scan`
    from tarlens._scan import ScanResult, ScanSummary

__all__: list[str] = []  # private module

#: Bumped when a key is renamed or removed (never, for the keys issues name) or its meaning
#: changes; new keys do not bump it.
JSON_SCHEMA_VERSION = 1

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)


def safe(text: str) -> str:
    """Make attacker text inert on a terminal: escape controls, bidi overrides, newlines."""
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def manifest_to_dict(m: Manifest, report: Report) -> dict[str, Any]:
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "source": m.source,
        "name": m.name,
        "version": m.version,
        "integrity": m.integrity,
        "shasum": m.shasum,
        "size": m.size,
        "unpacked_size": m.unpacked_size,
        "tar_size": m.tar_size,
        "compression": m.compression,
        "npm_refuses": list(m.npm_refuses),
        "scan": m.scan,
        "notices": _notices(),
        "files": [_file_dict(f) for f in m.files],
        "summary": _summary_dict(m),
        "scripts": [
            {"event": s.event, "command": s.command, "when": str(s.when), "implicit": s.implicit}
            for s in m.scripts
        ],
        "bin": [{"name": b.name, "target": b.target, "exists": b.exists} for b in m.bin],
        "dependencies": [
            {
                "field": d.field,
                "name": d.name,
                "spec": d.spec.raw,
                "type": str(d.spec.type),
                "source": str(d.spec.source),
                "optional": d.optional,
                "bundled": d.bundled,
                "installed_by_consumers": d.installed_by_consumers,
                **({"error": d.spec.error} if d.spec.error else {}),
            }
            for d in m.dependencies
        ],
        "bundled": [
            {
                "path": b.path,
                "name": b.name,
                "version": b.version,
                "declared": b.declared,
                "scripts": [
                    {"event": s.event, "command": s.command, "implicit": s.implicit}
                    for s in b.scripts
                ],
                "error": b.error,
            }
            for b in m.bundled
        ],
        "shrinkwrap": None
        if m.shrinkwrap is None
        else {
            "lockfile_version": m.shrinkwrap.lockfile_version,
            "entries": [
                {
                    "path": e.path,
                    "name": e.name,
                    "version": e.version,
                    "resolved": e.resolved,
                    "integrity": e.integrity,
                    "source": str(e.source),
                    "has_install_script": e.has_install_script,
                    "dev": e.dev,
                    "optional": e.optional,
                }
                for e in m.shrinkwrap.entries
            ],
        },
        "packing": {
            "like_npm_pack": m.packing.like_npm_pack,
            "differences": list(m.packing.differences),
            "formats": list(m.packing.formats),
            "mtimes": list(m.packing.mtimes),
            "owners": list(m.packing.owners),
            "roots": list(m.packing.roots),
            "directory_entries": m.packing.directory_entries,
            "extended_headers": m.packing.extended_headers,
            "gzip": None
            if m.packing.gzip is None
            else {
                "mtime": m.packing.gzip.mtime,
                "os": m.packing.gzip.os,
                "xfl": m.packing.gzip.xfl,
                "flags": m.packing.gzip.flags,
            },
        },
        "entries": [
            {
                "index": e.index,
                "offset": e.offset,
                "type": e.type,
                "typeflag": e.typeflag,
                "path": e.path,
                "size": e.size,
                "mode": e.mode,
                "status": str(e.status),
                "detail": e.detail,
                "installed_as": e.installed_as,
                "linkpath": e.linkpath,
                "sha256": e.sha256,
                "format": e.format,
                "utf8": e.utf8,
            }
            for e in m.entries
        ],
        "findings": findings_to_list(report),
        "suppressed": suppressed_to_list(report),
        "rule_errors": [{"rule_id": e.rule_id, "message": e.message} for e in report.errors],
    }


MAX_SIGNALS_PER_FILE = 50


def _notices() -> list[str]:
    """Why the output may be less complete than usual (libmagic missing, ...)."""
    from tarlens._analysis import magic_notice  # noqa: PLC0415

    notice = magic_notice()
    return [notice] if notice else []


def _file_dict(f: File) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": f.path,
        "size": f.size,
        "mode": f.mode,
        "sha256": f.sha256,
        "tar_mode": f.tar_mode,
        "entry": f.entry,
        "kind": f.kind,
        "mime": f.mime,
    }
    c = f.content
    if c is not None:
        if c.binary_format:
            out["binary_format"] = c.binary_format
        if c.extension_mismatch:
            out["extension_mismatch"] = c.extension_mismatch
        out["scanned"] = c.scanned
        if c.signals:
            out["signals"] = [
                {"name": s.name, "line": s.line, "value": s.value, "category": s.category}
                for s in c.signals[:MAX_SIGNALS_PER_FILE]
            ]
    return out


def _summary_dict(m: Manifest) -> dict[str, Any] | None:
    s = m.summary
    if s is None:
        return None
    return {
        "by_kind": {str(t.kind): {"files": t.files, "bytes": t.bytes} for t in s.totals},
        "largest_minified": [{"path": p.path, "size": p.size} for p in s.largest_minified],
        "largest_binary": [
            {"path": p.path, "size": p.size, "format": p.binary_format} for p in s.largest_binary
        ],
        "obfuscated": [{"path": o.path, "signals": list(o.signals)} for o in s.obfuscated],
        "mismatched": [{"path": p, "why": why} for p, why in s.mismatched],
    }


def suppressed_to_list(report: Report) -> list[dict[str, Any]]:
    return [
        {"rule_id": f.rule_id, "path": f.path, "fingerprint": f.fingerprint, "why": why}
        for f, why in report.suppressed
    ]


def finding_to_dict(f: Finding) -> dict[str, Any]:
    """One finding as the JSON outputs (and notebook records) show it."""
    return {
        "rule_id": f.rule_id,
        "rule": f.rule,
        "severity": str(f.severity),
        "confidence": str(f.confidence),
        "message": f.message,
        "path": f.path,
        "line": f.line,
        "cwe": f.cwe,
        "fingerprint": f.fingerprint,
    }


def findings_to_list(report: Report) -> list[dict[str, Any]]:
    return [finding_to_dict(f) for f in report.findings]


_COMPACT = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": "))
#: objects this deep are laid out over several lines; deeper values sit on one line
_LAYOUT_DEPTH = 3


def to_json(data: Any) -> str:
    """JSON as the CLI prints it: the outer objects indented by two spaces, and each element
    of a list of objects (files, entries, findings, ...) on a line of its own, written by
    the C encoder (``json.dumps(indent=...)`` runs in Python: 5x slower on a big package).
    ASCII only, keys in insertion order, byte-identical for the same input."""
    out: list[str] = []
    _layout(data, 0, out)
    out.append("\n")
    return "".join(out)


def _layout(value: Any, depth: int, out: list[str]) -> None:
    pad = "  " * (depth + 1)
    if isinstance(value, dict) and value and depth < _LAYOUT_DEPTH:
        out.append("{")
        last = len(value) - 1
        for i, (key, item) in enumerate(value.items()):
            out.append(f"\n{pad}{_COMPACT.encode(str(key))}: ")
            _layout(item, depth + 1, out)
            if i < last:
                out.append(",")
        out.append(f"\n{pad[:-2]}}}")
    elif isinstance(value, list) and value and depth < _LAYOUT_DEPTH:
        encode = _COMPACT.encode
        out.append("[\n" + pad + f",\n{pad}".join(map(encode, value)) + f"\n{pad[:-2]}]")
    else:
        out.append(_COMPACT.encode(value))


_COLORS = {"CRITICAL": "1;31", "HIGH": "31", "MEDIUM": "33", "LOW": "36", "INFO": "2"}


def use_color(stream: object, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not environ.get("NO_COLOR")


def _lines_findings(report: Report, color: bool = False) -> Iterable[str]:
    if not report.findings:
        yield "  none"
    for f in report.findings:
        where = f" [{safe(f.path)}]" if f.path else ""
        label = f"{str(f.severity).upper():8}"
        if color:
            label = f"\x1b[{_COLORS[str(f.severity).upper()]}m{label}\x1b[0m"
        yield f"  {label} {f.rule_id} {f.rule}{where}: {safe(f.message)}"
    for e in report.errors:
        yield f"  ERROR    {e.rule_id} crashed: {safe(e.message)}"
    if report.suppressed:
        yield f"  ({len(report.suppressed)} suppressed by the configuration or the baseline)"


def inspect_text(m: Manifest, report: Report, *, color: bool = False) -> str:
    out: list[str] = []
    title = f"{safe(m.name or '?')}@{safe(m.version or '?')}"
    out.append(title)
    out.append(f"  source      {safe(m.source)}")
    out.append(f"  integrity   {m.integrity}")
    out.append(f"  shasum      {m.shasum}")
    out.append(
        f"  size        {m.size} bytes {m.compression}, {m.unpacked_size} bytes in "
        f"{len(m.files)} installed files ({len(m.entries)} tar entries)"
    )
    dropped = sum(
        1
        for e in m.entries
        if e.status not in (EntryStatus.INSTALLED, EntryStatus.META, EntryStatus.DIRECTORY_DROPPED)
    )
    if dropped:
        out.append(f"  entries     {dropped} entries npm would not install as listed")
    worst = report.max_severity
    out.append(
        f"  verdict     {len(report.findings)} findings"
        + (f", worst {worst}" if worst is not None else "")
    )
    for why in m.npm_refuses:
        out.append(f"  NPM REFUSES {safe(why)}")
    out.append("")
    out.append("install-time scripts (run on every consumer's machine)")
    install = m.install_scripts
    for s in install:
        note = " (implicit)" if s.implicit else ""
        out.append(f"  {s.event}{note}: {safe(s.command)}")
    for b in m.bundled:
        for s in b.scripts:
            out.append(f"  {safe(b.path)} {s.event}: {safe(s.command)}")
    if not install and not any(b.scripts for b in m.bundled):
        out.append("  none")
    other = [s for s in m.scripts if s not in install]
    if other:
        out.append("other scripts")
        for s in other:
            out.append(f"  {s.event} ({s.when}): {safe(s.command)}")
    out.append("")
    out.append("dependencies by source")
    consumer = [d for d in m.dependencies if d.installed_by_consumers]
    if not consumer:
        out.append("  none")
    by_source: dict[str, list[str]] = {}
    for d in consumer:
        flags = ", ".join(x for x, on in (("optional", d.optional), ("bundled", d.bundled)) if on)
        text = f"{safe(d.name)} {safe(d.spec.raw)} ({d.spec.type}{', ' + flags if flags else ''})"
        by_source.setdefault(str(d.spec.source), []).append(text)
    for source in sorted(by_source, key=lambda s: (s == "registry", s)):
        out.append(f"  {source} ({len(by_source[source])})")
        out.extend(f"    {t}" for t in by_source[source])
    if m.bin:
        out.append("")
        out.append("commands (bin)")
        for cmd in m.bin:
            missing = "" if cmd.exists else " (missing)"
            out.append(f"  {safe(cmd.name)} -> {safe(cmd.target)}{missing}")
    if m.bundled:
        out.append("")
        out.append(f"bundled packages ({len(m.bundled)})")
        for bp in m.bundled[:50]:
            out.append(
                f"  {safe(bp.path)} {safe(bp.version or '?')}"
                + ("" if bp.declared else " (undeclared)")
            )
        if len(m.bundled) > 50:
            out.append(f"  ... and {len(m.bundled) - 50} more")
    summary = m.summary
    if summary is not None:
        out.append("")
        out.append("contents")
        out.append(
            "  "
            + ", ".join(f"{t.files} {t.kind} ({t.bytes} bytes)" for t in summary.totals if t.files)
        )
        for p in summary.largest_binary:
            out.append(f"  native {safe(p.path)} ({p.binary_format}, {p.size} bytes)")
        for p in summary.largest_minified[:5]:
            out.append(f"  minified {safe(p.path)} ({p.size} bytes)")
        for o in summary.obfuscated:
            out.append(f"  OBFUSCATED {safe(o.path)} ({', '.join(o.signals)})")
        for path, why in summary.mismatched:
            out.append(f"  MISNAMED {safe(path)}: {safe(why)}")
        classified_only = sum(map(unscanned, m.files))
        if classified_only:
            out.append(
                f"  code signals looked for in the entry points and install-time files; "
                f"{classified_only} other code files classified only (--signals all scans "
                "them)"
            )
    out.append("")
    out.append("findings")
    out.extend(_lines_findings(report, color))
    return "\n".join(out) + "\n"


def rules_text(rules: Iterable[Rule]) -> str:
    lines = [f"{'id':7} {'severity':8} {'confidence':10} name: summary"]
    for r in rules:
        lines.append(f"{r.id:7} {r.severity!s:8} {r.confidence!s:10} {r.name}: {r.summary}")
    return "\n".join(lines) + "\n"


def rules_json(rules: Iterable[Rule]) -> str:
    return to_json(
        [
            {
                "id": r.id,
                "name": r.name,
                "severity": str(r.severity),
                "confidence": str(r.confidence),
                "cwe": r.cwe,
                "since": r.since,
                "needs_previous": r.needs_previous,
                "summary": r.summary,
            }
            for r in rules
        ]
    )


def explain_text(r: Rule) -> str:
    head = f"{r.id} {r.name} (severity {r.severity}, confidence {r.confidence}"
    head += f", CWE-{r.cwe})" if r.cwe else ")"
    return f"{head}\n\n{r.doc.strip()}\n"


# -- diff ---------------------------------------------------------------------------------


def _identity(m: Manifest) -> dict[str, Any]:
    return {"name": m.name, "version": m.version, "integrity": m.integrity, "shasum": m.shasum}


def _spec(spec: Any) -> dict[str, Any] | None:
    if spec is None:
        return None
    return {"spec": spec.raw, "type": str(spec.type), "source": str(spec.source)}


def diff_to_dict(d: ReleaseDiff, report: Report) -> dict[str, Any]:
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "old": _identity(d.old),
        "new": _identity(d.new),
        "files": {
            "added": list(d.added),
            "removed": list(d.removed),
            "modified": list(d.modified),
            "renamed": [{"from": a, "to": b} for a, b in d.renamed],
        },
        "file_changes": [
            {
                "path": c.path,
                "status": str(c.status),
                "renamed_from": c.renamed_from,
                "content_changed": c.content_changed,
                "mode_changed": c.mode_changed,
                "kind": c.new.kind if c.new else c.old.kind if c.old else None,
                "kind_changed": list(c.kind_changed) if c.kind_changed else None,
                "signals_gained": list(c.signals_gained),
                "signals_lost": list(c.signals_lost),
                "old": None
                if c.old is None
                else {"size": c.old.size, "mode": c.old.mode, "sha256": c.old.sha256},
                "new": None
                if c.new is None
                else {"size": c.new.size, "mode": c.new.mode, "sha256": c.new.sha256},
                "text": None
                if c.text is None
                else {
                    "lines_added": c.text.lines_added,
                    "lines_removed": c.text.lines_removed,
                    "hunks": [
                        [h.old_start, h.old_count, h.new_start, h.new_count]
                        for h in c.text.hunks[:200]
                    ],
                    "added_bytes": c.text.added_bytes,
                    "longest_added_line": c.text.longest_added_line,
                    "longest_added_at": c.text.longest_added_at,
                    "added_entropy": round(c.text.added_entropy, 3),
                    "summary": c.text.summary,
                    "approximate": c.text.approximate,
                },
            }
            for c in d.files
        ],
        "scripts": [
            {
                "event": s.event,
                "old": s.old,
                "new": s.new,
                "install_time": s.install_time,
                "runs_changed_files": list(s.runs_changed_files),
            }
            for s in d.scripts
        ],
        "dependencies": [
            {
                "field": c.field,
                "name": c.name,
                "status": str(c.status),
                "old": _spec(c.old),
                "new": _spec(c.new),
                "source_changed": c.source_changed,
            }
            for c in d.dependencies
        ],
        "fields": [{"field": c.field, "old": c.old, "new": c.new} for c in d.fields],
        "package_json": [
            {"pointer": c.pointer, "change": c.change, "old": c.old, "new": c.new}
            for c in d.package_json
        ],
        "bundled": [
            {
                "path": c.path,
                "status": str(c.status),
                "old_version": c.old.version if c.old else None,
                "new_version": c.new.version if c.new else None,
                "new_scripts": [s.command for s in c.new.scripts] if c.new else [],
            }
            for c in d.bundled
        ],
        "shrinkwrap": [
            {
                "path": c.path,
                "status": str(c.status),
                "old_version": c.old_version,
                "new_version": c.new_version,
                "new_source": None if c.new_source is None else str(c.new_source),
                "new_resolved": c.new_resolved,
                "has_install_script": c.has_install_script,
            }
            for c in d.shrinkwrap
        ],
        "new_anomalies": [
            {"kind": str(a.kind), "path": a.path, "detail": a.detail} for a in d.new_anomalies
        ],
        "packing": list(d.packing),
        "sizes": {
            "old_files": d.sizes.old_files,
            "new_files": d.sizes.new_files,
            "old_bytes": d.sizes.old_bytes,
            "new_bytes": d.sizes.new_bytes,
            "by_kind": {k: {"old": o, "new": n} for k, (o, n) in d.sizes.by_kind.items()},
        },
        "mass_deletion": d.mass_deletion,
        "notes": list(d.notes),
        "findings": findings_to_list(report),
        "suppressed": suppressed_to_list(report),
        "rule_errors": [{"rule_id": e.rule_id, "message": e.message} for e in report.errors],
    }


def diff_text(d: ReleaseDiff, report: Report, *, color: bool = False) -> str:
    """What a reviewer reads before `npm stage approve`: summary first, then the details."""
    a, b = d.old, d.new
    out = [
        f"{safe(b.name or '?')} {safe(a.version or '?')} -> {safe(b.version or '?')}",
        f"  old  {a.integrity}",
        f"  new  {b.integrity}",
        f"  files  {len(d.added)} added, {len(d.removed)} removed, {len(d.modified)} modified"
        + (f", {len(d.renamed)} renamed" if d.renamed else "")
        + f" ({d.sizes.old_files} -> {d.sizes.new_files} files, "
        f"{d.sizes.old_bytes} -> {d.sizes.new_bytes} bytes)",
    ]
    worst = report.max_severity
    out.append(
        f"  verdict  {len(report.findings)} findings"
        + (f", worst {worst}" if worst is not None else "")
    )
    if d.mass_deletion:
        out.append("  MASS DELETION: most of the previous release is gone")
    for why in b.npm_refuses:
        out.append(f"  NPM REFUSES {safe(why)}")
    for note in d.notes:
        out.append(f"  note  {safe(note)}")
    out.append("")
    out.append("findings")
    out.extend(_lines_findings(report, color))
    out.append("")
    out.append("scripts")
    if not d.scripts:
        out.append("  unchanged")
    for s in d.scripts:
        tag = "install-time " if s.install_time else ""
        if s.old is None:
            out.append(f"  + {tag}{s.event}: {safe(s.new or '')}")
        elif s.new is None:
            out.append(f"  - {tag}{s.event}: {safe(s.old)}")
        elif s.old != s.new:
            out.append(f"  ~ {tag}{s.event}: {safe(s.old)} -> {safe(s.new)}")
        else:
            out.append(f"  = {tag}{s.event}: {safe(s.new)} (unchanged, but runs changed files)")
        for p in s.runs_changed_files:
            out.append(f"      runs {safe(p)}, which this release adds or changes")
    out.append("")
    out.append("dependencies")
    dev = [dc for dc in d.dependencies if dc.field in ("devDependencies", "overrides")]
    shown = [dc for dc in d.dependencies if dc not in dev]
    if not shown:
        out.append("  unchanged" if not dev else "  no change consumers install")
    if dev:
        out.append(
            f"  ({len(dev)} devDependencies/overrides changes not shown: consumers do "
            "not install them)"
        )
    for dc in shown:
        old = f"{safe(dc.old.raw)} ({dc.old.type})" if dc.old else ""
        new = f"{safe(dc.new.raw)} ({dc.new.type})" if dc.new else ""
        sign = {"added": "+", "removed": "-"}.get(str(dc.status), "~")
        arrow = f"{old} -> {new}" if dc.old and dc.new else (new or old)
        out.append(f"  {sign} {dc.field}.{safe(dc.name)} {arrow}")
    bins = {b.target for b in b.bin}
    executables = [
        c
        for c in d.files
        if c.new is not None
        and c.status is not ChangeStatus.REMOVED
        and (c.status is not ChangeStatus.MODIFIED or c.mode_changed)
        and (c.new.mode & 0o111 or c.path in bins)
    ]
    if executables:
        out.append("")
        out.append("new or newly executable files")
        for c in executables:
            out.append(
                f"  {safe(c.path)} (mode {c.new.mode:04o}, {c.new.size} bytes)"  # type: ignore[union-attr]
                + (" bin" if c.path in bins else "")
            )
    entries = set(b.entry_points)
    touched = [c for c in d.files if c.path in entries and c.status is ChangeStatus.MODIFIED]
    if touched:
        out.append("")
        out.append("modified entry points")
        for c in touched:
            summary = c.text.summary if c.text else "content changed"
            out.append(f"  {safe(c.path)}: {summary}")
    if d.fields or d.package_json:
        out.append("")
        out.append("package.json")
        for fc in d.fields:
            out.append(f"  ~ {fc.field}: {safe(_short(fc.old))} -> {safe(_short(fc.new))}")
        for jc in d.package_json[:50]:
            out.append(
                f"  ~ {safe(jc.pointer)} ({jc.change}): {safe(_short(jc.old))} -> "
                f"{safe(_short(jc.new))}"
            )
    if d.bundled or d.shrinkwrap:
        out.append("")
        out.append("bundled packages and shrinkwrap")
        for bc in d.bundled[:50]:
            out.append(f"  {bc.status} {safe(bc.path)}")
        for sc in d.shrinkwrap[:50]:
            out.append(
                f"  {sc.status} {safe(sc.path)} {safe(sc.new_version or '')} {sc.new_source or ''}"
            )
    if d.packing:
        out.append("")
        out.append("packing")
        out.extend(f"  {safe(p)}" for p in d.packing)
    out.append("")
    out.append("files")
    for c in d.files[:500]:
        sign = {"added": "+", "removed": "-", "renamed": ">"}.get(str(c.status), "~")
        extra = ""
        if c.renamed_from:
            extra = f" (from {safe(c.renamed_from)})"
        if c.text is not None:
            extra += f"  {c.text.summary}"
        elif c.mode_changed and not c.content_changed and c.old and c.new:
            extra += f"  mode {c.old.mode:04o} -> {c.new.mode:04o}"
        size = c.new.size if c.new else c.old.size if c.old else 0
        out.append(f"  {sign} {safe(c.path)} ({size} bytes){extra}")
    if len(d.files) > 500:
        out.append(f"  ... and {len(d.files) - 500} more")
    return "\n".join(out) + "\n"


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if value is not None else "-"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- tarlens scan ----------------------------------------------------------------------------


def scan_result_to_dict(r: ScanResult) -> dict[str, Any]:
    """One line of ``tarlens scan --format jsonl`` (``schema/scan.schema.json``)."""
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "index": r.index,
        "path": r.path,
        "ok": r.ok,
        "error": None
        if r.error is None
        else {"kind": str(r.error.kind), "type": r.error.type, "message": r.error.message},
        "name": r.name,
        "version": r.version,
        "integrity": r.integrity,
        "shasum": r.shasum,
        "size": r.size,
        "files": r.files,
        "unpacked_size": r.unpacked_size,
        "max_severity": None if r.max_severity is None else str(r.max_severity),
        "counts": {str(sev): n for sev, n in r.counts().items()},
        "findings": [finding_to_dict(f) for f in r.findings],
        "suppressed": [
            {"rule_id": f.rule_id, "path": f.path, "fingerprint": f.fingerprint, "why": why}
            for f, why in r.suppressed
        ],
        "rule_errors": [{"rule_id": e.rule_id, "message": e.message} for e in r.rule_errors],
        "seconds": round(r.seconds, 6),
    }


def to_json_line(data: Any) -> str:
    """One JSON Lines record: compact, ASCII only (a newline in a value is escaped)."""
    return json.dumps(data, ensure_ascii=True, separators=(",", ":")) + "\n"


_SCAN_SHOWN_RULES = 5


def scan_line_text(r: ScanResult, fail_on: Severity | None, *, color: bool = False) -> str:
    """One line per tarball: status (worst severity, ``ok`` or ``ERROR``), path, identity,
    finding counts and the rules at or above ``fail_on``."""
    path = safe(r.path)
    if r.error is not None:
        label = f"{'ERROR':8}"
        if color:
            label = f"\x1b[1;31m{label}\x1b[0m"
        return f"{label} {path}  {r.error.kind}: {r.error.type}: {safe(r.error.message)}\n"
    worst = r.max_severity
    status = "ok" if worst is None else str(worst).upper()
    ident = f"{safe(r.name or '?')}@{safe(r.version or '?')}"
    counts = ", ".join(f"{n} {sev}" for sev, n in r.counts().items() if n)
    n = len(r.findings)
    rest = f"{n} finding{'s' if n != 1 else ''}" + (f": {counts}" if counts else "")
    if fail_on is not None:
        ids = list(dict.fromkeys(f.rule_id for f in r.at_least(fail_on)))
        if ids:
            more = f" +{len(ids) - _SCAN_SHOWN_RULES}" if len(ids) > _SCAN_SHOWN_RULES else ""
            rest += f" [{' '.join(ids[:_SCAN_SHOWN_RULES])}{more}]"
    if r.rule_errors:
        rest += f"; {len(r.rule_errors)} rule(s) crashed"
    label = f"{status:8}"
    if color and worst is not None:
        label = f"\x1b[{_COLORS[status]}m{label}\x1b[0m"
    return f"{label} {path}  {ident}  {rest}\n"


def scan_summary_text(s: ScanSummary, *, seconds: float, workers: int) -> str:
    """What a scan found, in two lines."""
    fail_on = "none" if s.fail_on is None else str(s.fail_on)
    clean = s.tarballs - s.unreadable - s.failed
    noun = "tarball" if s.tarballs == 1 else "tarballs"
    head = (
        f"{s.tarballs} {noun} in {seconds:.1f} s ({workers} worker{'s' if workers != 1 else ''}):"
        f" {s.failed} failed (--fail-on {fail_on}), {s.unreadable} unreadable, {clean} passed"
    )
    counts = ", ".join(
        f"{n} {sev}" for sev, n in zip(sorted(Severity, reverse=True), s.findings, strict=True)
    )
    return f"{head}\nfindings: {counts}\n"
