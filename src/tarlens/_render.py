"""Layer 6: renderers. Pure functions from values to ``str``; only the CLI writes.

Every string that comes from a tarball (paths, script bodies, names, specs) is attacker
text: the text renderer neutralises control and bidirectional-override characters, and the
JSON renderer escapes everything outside ASCII.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from tarlens._engine import Report, Rule, Severity
from tarlens._manifest import Manifest
from tarlens._tar import EntryStatus

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
        "files": [
            {
                "path": f.path,
                "size": f.size,
                "mode": f.mode,
                "sha256": f.sha256,
                "tar_mode": f.tar_mode,
                "entry": f.entry,
            }
            for f in m.files
        ],
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
        "rule_errors": [{"rule_id": e.rule_id, "message": e.message} for e in report.errors],
    }


def findings_to_list(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "rule_id": f.rule_id,
            "rule": f.rule,
            "severity": str(f.severity),
            "confidence": str(f.confidence),
            "message": f.message,
            "path": f.path,
            "line": f.line,
            "cwe": f.cwe,
        }
        for f in report.findings
    ]


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=True, sort_keys=False) + "\n"


def _lines_findings(report: Report) -> Iterable[str]:
    if not report.findings:
        yield "  none"
    for f in report.findings:
        where = f" [{safe(f.path)}]" if f.path else ""
        yield f"  {str(f.severity).upper():8} {f.rule_id} {f.rule}{where}: {safe(f.message)}"
    for e in report.errors:
        yield f"  ERROR    {e.rule_id} crashed: {safe(e.message)}"


def inspect_text(m: Manifest, report: Report) -> str:
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
    out.append("")
    out.append("findings")
    out.extend(_lines_findings(report))
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


def severity_choices() -> list[str]:
    return [str(s) for s in Severity]
