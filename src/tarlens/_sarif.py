"""Layer 6: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

:func:`report_to_sarif` turns a :class:`~tarlens.Report` into one SARIF run: every rule in
``tool.driver.rules`` (summary, documentation as help text, a help URI, GitHub's
``security-severity`` and ``precision``, a default level), and one result per finding,
located at the package-relative file it concerns (``package.json`` when it concerns none),
with the finding's fingerprint as a stable ``partialFingerprints`` entry.

Finding messages quote the package (paths, script bodies, specs): the ``text`` of a message
is plain text as SARIF defines it, with control and bidirectional-override characters
neutralised and square brackets escaped (so nothing becomes an embedded link); its
``markdown`` is the same text in a code span, where no Markdown or HTML applies. Rule help
comes from the rule registry, never from a tarball.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from collections.abc import Sequence
from typing import Any

from tarlens import __version__
from tarlens._diff import ReleaseDiff
from tarlens._engine import Confidence, Finding, Report, Rule, Severity, all_rules
from tarlens._manifest import Manifest
from tarlens._markdown import code
from tarlens._render import safe

__all__: list[str] = []  # private module

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
#: placeholder until the documentation has a home; both are keywords of report_to_sarif
HELP_URI_BASE = "https://tarlens.invalid/rules/"
INFORMATION_URI = "https://tarlens.invalid/"
#: the key of the fingerprint in ``partialFingerprints`` (bump the suffix if it ever changes)
FINGERPRINT_KEY = "tarlensFingerprint/v1"

#: GitHub code scanning reads ``security-severity`` (a number as a string, 0.0-10.0)
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}
_CATEGORY = {
    "ARC": "archive",
    "COD": "code",
    "DEP": "dependencies",
    "HYG": "hygiene",
    "PAY": "payloads",
    "PKG": "package-json",
    "POL": "policy",
    "SCR": "install-scripts",
}


def plain(text: str) -> str:
    """Attacker text as a SARIF plain-text message: controls neutralised, ``[``/``]``
    escaped (SARIF reads unescaped brackets as embedded links)."""
    return safe(text).replace("[", "\\[").replace("]", "\\]")


def _first_paragraph(doc: str) -> str:
    paragraph = doc.strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def _descriptor(r: Rule, help_uri_base: str) -> dict[str, Any]:
    summary = _first_paragraph(r.doc) or r.name
    what = " ".join(r.section("What it does").split()) or summary
    tags = ["security", "supply-chain", "npm", _CATEGORY.get(r.id[:3], r.id[:3].lower())]
    if r.cwe is not None:
        tags.append(f"external/cwe/cwe-{r.cwe}")
    doc = r.doc.strip()
    return {
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": what},
        "help": {"text": doc or summary, "markdown": doc or summary},
        "helpUri": help_uri_base + urllib.parse.quote(r.id),
        "defaultConfiguration": {"level": LEVEL[r.severity]},
        "properties": {
            "tags": tags,
            "security-severity": SECURITY_SEVERITY[r.severity],
            "precision": PRECISION[r.confidence],
            "tarlens/severity": str(r.severity),
            "tarlens/confidence": str(r.confidence),
            **({"cwe": f"CWE-{r.cwe}"} if r.cwe is not None else {}),
        },
    }


def _unknown_descriptor(f: Finding, help_uri_base: str) -> dict[str, Any]:
    """A rule that is not in the registry any more (or not in ``rules``): what the finding
    itself says about it."""
    return {
        "id": f.rule_id,
        "name": f.rule,
        "shortDescription": {"text": plain(f.rule)},
        "helpUri": help_uri_base + urllib.parse.quote(f.rule_id),
        "defaultConfiguration": {"level": LEVEL[f.severity]},
        "properties": {
            "tags": ["security", "supply-chain", "npm"],
            "security-severity": SECURITY_SEVERITY[f.severity],
            "precision": PRECISION[f.confidence],
        },
    }


def _uri(path: str, prefix: str) -> str:
    """A relative URI reference for a package-relative path: every character outside
    RFC 3986's unreserved set and ``/`` is percent-encoded (UTF-8), and ``.``/``..``
    segments are encoded so that they cannot navigate."""
    segments = []
    for seg in path.split("/"):
        quoted = urllib.parse.quote(seg, safe="", errors="surrogatepass")
        segments.append(quoted.replace(".", "%2E") if seg in (".", "..") else quoted)
    return prefix + "/".join(segments)


class _Locator:
    """Where a finding's path is, as a package-relative file (built once per log)."""

    def __init__(self, manifest: Manifest, previous: Manifest | None) -> None:
        self.releases = [m for m in (manifest, previous) if m is not None]
        self._installed_as: dict[str, str] | None = None

    def __call__(self, path: str | None) -> tuple[str, bool]:
        """The file a finding is about, and whether it is exactly the finding's path
        (``False``: the finding concerns a tar entry or nothing installed, and is shown
        where npm installs that entry, or at ``package.json``)."""
        if path is None:
            return "package.json", False
        if any(path in m for m in self.releases):
            return path, True
        if self._installed_as is None:
            self._installed_as = {}
            for m in reversed(self.releases):
                self._installed_as.update(
                    (e.path, e.installed_as) for e in m.entries if e.installed_as
                )
        return self._installed_as.get(path, "package.json"), False


def _identity(m: Manifest) -> dict[str, Any]:
    return {
        "name": None if m.name is None else safe(m.name),
        "version": None if m.version is None else safe(m.version),
        "integrity": m.integrity,
        "shasum": m.shasum,
    }


def _fingerprint(f: Finding) -> str:
    if f.fingerprint:
        return f.fingerprint
    raw = "\0".join((f.rule_id, f.path or "", f.message)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()[:32]


def _result(
    f: Finding,
    index: int,
    locate: _Locator,
    uri_prefix: str,
    suppression: str | None = None,
) -> dict[str, Any]:
    where, exact = locate(f.path)
    location: dict[str, Any] = {"artifactLocation": {"uri": _uri(where, uri_prefix)}}
    if f.line is not None and f.line >= 1 and exact:
        location["region"] = {"startLine": f.line}
    properties: dict[str, Any] = {
        "tarlens/severity": str(f.severity),
        "tarlens/confidence": str(f.confidence),
        "tarlens/rule": f.rule,
        "tarlens/path": None if f.path is None else safe(f.path),
    }
    if f.cwe is not None:
        properties["cwe"] = f"CWE-{f.cwe}"
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": LEVEL[f.severity],
        "message": {"text": plain(f.message), "markdown": code(f.message, limit=4000)},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(f)},
        "properties": properties,
    }
    if suppression is not None:
        result["suppressions"] = [{"kind": "external", "justification": plain(suppression)}]
    return result


def report_to_sarif(
    report: Report,
    *,
    manifest: Manifest,
    diff: ReleaseDiff | None = None,
    rules: Sequence[Rule] | None = None,
    help_uri_base: str = HELP_URI_BASE,
    information_uri: str = INFORMATION_URI,
    uri_prefix: str = "",
    include_suppressed: bool = True,
) -> str:
    """One SARIF 2.1.0 log (as JSON text) for a report on ``manifest`` (and ``diff``).

    ``rules`` are described in ``tool.driver.rules`` (default: every registered rule);
    ``help_uri_base`` + rule id is each rule's ``helpUri``; ``uri_prefix`` is put before
    every package-relative path (say ``"packages/greeter/"`` when the package lives there
    in the repository that the results are uploaded for). Suppressed findings are included
    with a SARIF ``suppressions`` entry unless ``include_suppressed`` is false.
    """
    previous = diff.old if diff is not None else None
    catalog = list(rules) if rules is not None else list(all_rules())
    descriptors = [_descriptor(r, help_uri_base) for r in catalog]
    index = {r.id: i for i, r in enumerate(catalog)}

    def rule_index(f: Finding) -> int:
        if f.rule_id not in index:
            index[f.rule_id] = len(descriptors)
            descriptors.append(_unknown_descriptor(f, help_uri_base))
        return index[f.rule_id]

    locate = _Locator(manifest, previous)
    results = [_result(f, rule_index(f), locate, uri_prefix) for f in report.findings]
    if include_suppressed:
        results += [
            _result(f, rule_index(f), locate, uri_prefix, suppression=why)
            for f, why in report.suppressed
        ]
    notifications = [
        {
            "level": "error",
            "message": {"text": plain(f"rule {e.rule_id} crashed: {e.message}")},
            "associatedRule": {"id": e.rule_id},
        }
        for e in report.errors
    ]
    properties: dict[str, Any] = {"package": _identity(manifest)}
    if previous is not None:
        properties["previous"] = _identity(previous)
    if report.skipped:
        properties["skippedRules"] = list(report.skipped)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "tarlens",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": information_uri,
                "rules": descriptors,
            }
        },
        "invocations": [
            {
                "executionSuccessful": not report.errors,
                "toolExecutionNotifications": notifications,
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": properties,
    }
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=True) + "\n"
