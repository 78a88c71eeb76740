"""Layer 5: the rule registry and the engine that runs it.

A rule is a pure function over a :class:`Release` that yields :class:`Evidence`; its
metadata (stable id, kebab-case name, severity, confidence, CWE) is frozen in a
:class:`Rule` and its docstring is its documentation page. The engine builds the
:class:`Finding` objects, so every finding of a rule carries the same metadata, and a rule
that crashes is reported in :attr:`Report.errors`, never read as "no findings".
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import re
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import Self

import attrs

from tarlens._config import Config, Policy, fingerprint
from tarlens._diff import ReleaseDiff
from tarlens._errors import ConfigError
from tarlens._manifest import Manifest
from tarlens._meta import RegistryMeta

__all__: list[str] = []  # private module; see tarlens.rules


class _Ranked(enum.IntEnum):
    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Self:
        try:
            return cls[value.strip().upper()]
        except KeyError:
            choices = ", ".join(str(m) for m in cls)
            raise ConfigError(cls.__name__.lower(), f"{value!r} is not one of {choices}") from None


class Severity(_Ranked):
    """How bad a finding is if it is what it looks like. Ordered: ``INFO < … < CRITICAL``."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


class Confidence(_Ranked):
    """How sure the rule is that the finding is what it looks like."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2


@attrs.frozen
class Release:
    """What a rule looks at: the release under review and, when given, the one before it
    and the typed diff between the two."""

    manifest: Manifest
    previous: Manifest | None = None
    diff: ReleaseDiff | None = None
    #: the install-source policy the project reviews against (npm 11 defaults unless set)
    policy: Policy = attrs.field(factory=Policy)
    #: what the registry says (``tarlens review``); rules with ``needs_registry`` need it
    registry: RegistryMeta | None = None


@attrs.frozen
class Evidence:
    """What a rule yields: the engine turns it into a :class:`Finding`.

    ``severity`` overrides the rule's default for this one piece of evidence (say, a
    duplicate entry is worse when it is ``package.json``).
    """

    message: str
    path: str | None = None
    line: int | None = None
    severity: Severity | None = None


CheckFn = Callable[[Release], Iterable[Evidence]]

_ID = re.compile(r"[A-Z]{3}[0-9]{3}\Z")
_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
SECTIONS = ("What it does", "Why is this risky", "Example")


@attrs.frozen
class Rule:
    id: str
    name: str
    severity: Severity
    confidence: Confidence
    cwe: int | None
    since: str
    needs_previous: bool
    doc: str = attrs.field(repr=False)
    func: CheckFn = attrs.field(repr=False, eq=False)
    #: judges registry metadata: skipped (reported as skipped) when none is given
    needs_registry: bool = False

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0].strip()

    def section(self, title: str) -> str:
        """One section of the documentation page (``"What it does"``, ...)."""
        m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", self.doc, re.S | re.M)
        return m.group(1).strip() if m else ""


@attrs.frozen
class Finding:
    rule_id: str
    rule: str
    severity: Severity
    confidence: Confidence
    message: str
    path: str | None = None
    line: int | None = None
    cwe: int | None = None
    #: stable identity: rule, path and the content concerned (baselines and SARIF use it)
    fingerprint: str = ""


@attrs.frozen
class RuleError:
    rule_id: str
    message: str
    traceback: str = attrs.field(repr=False, default="")


@attrs.frozen
class Report:
    """The result of :func:`check`."""

    findings: tuple[Finding, ...]
    errors: tuple[RuleError, ...] = ()
    skipped: tuple[str, ...] = ()
    #: findings left out on purpose, with why (a path allowlist, a baseline entry's reason)
    suppressed: tuple[tuple[Finding, str], ...] = ()

    @property
    def max_severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def at_least(self, severity: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity >= severity)

    def _repr_html_(self) -> str:
        from tarlens._html import report_html  # noqa: PLC0415 - notebook face, on demand

        return report_html(self)

    def _repr_markdown_(self) -> str:
        from tarlens._html import report_markdown  # noqa: PLC0415

        return report_markdown(self)


_REGISTRY: dict[str, Rule] = {}


def rule(
    *,
    id: str,
    name: str,
    severity: Severity,
    confidence: Confidence,
    cwe: int | None = None,
    since: str = "0.1.0",
    needs_previous: bool = False,
    needs_registry: bool = False,
) -> Callable[[CheckFn], CheckFn]:
    """Register a rule. Ids are stable and never reused; names read as the thing found."""

    def register(func: CheckFn) -> CheckFn:
        doc = inspect.getdoc(func) or ""
        problems = []
        if not _ID.match(id):
            problems.append(f"id {id!r} is not three capitals and three digits")
        if not _NAME.match(name):
            problems.append(f"name {name!r} is not kebab-case")
        missing = [s for s in SECTIONS if f"## {s}\n" not in doc]
        if not doc.strip() or missing:
            problems.append("docstring lacks a summary line or sections " + ", ".join(missing))
        existing = _REGISTRY.get(id)
        if existing is not None and existing.func is not func:
            problems.append(f"id {id} is already used by {existing.name}")
        if any(r.name == name and r.id != id for r in _REGISTRY.values()):
            problems.append(f"name {name} is already used")
        if problems:
            raise ValueError(f"invalid rule {id} {name}: " + "; ".join(problems))
        _REGISTRY[id] = Rule(
            id=id,
            name=name,
            severity=severity,
            confidence=confidence,
            cwe=cwe,
            since=since,
            needs_previous=needs_previous,
            doc=doc,
            func=func,
            needs_registry=needs_registry,
        )
        return func

    return register


_PLUGINS_LOADED = False
PLUGIN_GROUP = "tarlens.rules"


def _plugins_declared() -> bool:
    """Whether any distribution on ``sys.path`` may declare a ``tarlens.rules`` entry point.

    A look at the ``entry_points.txt`` files of ``*.dist-info``/``*.egg-info`` directories
    (what ``importlib.metadata`` reads for them), so that the usual case, no plugin at all,
    does not import ``importlib.metadata`` (20 ms, a fifth of a small package's run). A
    ``sys.path`` entry that is not a directory (a zip) is left to ``importlib.metadata``."""
    import os  # noqa: PLC0415
    import sys  # noqa: PLC0415

    for entry in sys.path:
        folder = entry or "."
        try:
            names = os.listdir(folder)
        except NotADirectoryError:
            return True
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), "rb") as f:
                    if PLUGIN_GROUP.encode() in f.read():
                        return True
            except OSError:
                continue
    return False


def _load_plugins() -> None:
    """Import third-party rule modules named by ``tarlens.rules`` entry points; a plugin that
    fails to import is a configuration error naming it, never a silent absence."""
    global _PLUGINS_LOADED  # noqa: PLW0603 - a one-time, process-wide registration
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    if not _plugins_declared():
        return
    from importlib.metadata import entry_points  # noqa: PLC0415

    for ep in entry_points(group=PLUGIN_GROUP):
        try:
            ep.load()
        except Exception as exc:  # noqa: BLE001 - any failure of foreign code is reported
            raise ConfigError(
                f"entry point {ep.name} ({ep.value})", f"the rule plugin failed to load: {exc}"
            ) from None


def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, in id order: the built-in catalog and the rules of plugins
    installed under the ``tarlens.rules`` entry-point group."""
    import tarlens._checks  # noqa: PLC0415 - registers the built-in catalog
    import tarlens._checks_content  # noqa: PLC0415
    import tarlens._checks_registry  # noqa: PLC0415
    import tarlens._checks_release  # noqa: F401, PLC0415

    _load_plugins()
    return tuple(sorted(_REGISTRY.values(), key=lambda r: r.id))


def get_rule(key: str) -> Rule:
    for r in all_rules():
        if key in (r.id, r.name):
            return r
    raise ConfigError("rule", f"no rule has the id or name {key!r}")


def _selected(r: Rule, select: Sequence[str] | None, ignore: Sequence[str]) -> bool:
    def match(keys: Sequence[str]) -> bool:
        return any(r.id.startswith(k) or r.name == k for k in keys)

    if select is not None and not match(select):
        return False
    return not match(ignore)


def check(
    manifest: Manifest,
    *,
    previous: Manifest | None = None,
    diff: ReleaseDiff | None = None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    config: Config | None = None,
    today: dt.date | None = None,
    registry: RegistryMeta | None = None,
) -> Report:
    """Run every selected rule over a release; return the findings, most severe first.

    With ``previous`` (or a ``diff`` from :func:`tarlens.diff`), the rules that judge what
    changed run too; without, they are reported as skipped. ``select``/``ignore`` take rule
    ids, id prefixes (``"ARC"``) or rule names, on top of ``config`` (see
    :func:`tarlens.load_config`), which also brings severity overrides, path allowlists, the
    install-source policy and a suppression baseline.

    ``registry`` is what the registry says about the package (built by ``tarlens review``
    through :mod:`tarlens.registry`); without it the rules that judge registry metadata
    are reported as skipped. ``check`` itself never contacts a registry.
    """
    config = config or Config()
    today = today or dt.date.today()
    if select is None:
        select = config.select
    ignore = (*ignore, *config.ignore)
    if diff is not None:
        previous = diff.old
    elif previous is not None:
        from tarlens._diff import diff as compute_diff  # noqa: PLC0415

        diff = compute_diff(previous, manifest)
    release = Release(manifest, previous, diff, config.policy, registry)
    findings: list[Finding] = []
    suppressed: list[tuple[Finding, str]] = []
    errors: list[RuleError] = []
    skipped: list[str] = []
    for r in all_rules():
        if not _selected(r, select, ignore):
            continue
        if (r.needs_previous and previous is None) or (r.needs_registry and registry is None):
            skipped.append(r.id)
            continue
        try:
            evidence = list(r.func(release))
        except Exception as exc:  # noqa: BLE001 - a crashing rule is reported, not fatal
            errors.append(RuleError(r.id, f"{type(exc).__name__}: {exc}", traceback.format_exc()))
            continue
        override = config.severity.get(r.id) or config.severity.get(r.name)
        for ev in evidence:
            installed = manifest.file(ev.path) if ev.path else None
            finding = Finding(
                rule_id=r.id,
                rule=r.name,
                severity=Severity.parse(override) if override else ev.severity or r.severity,
                confidence=r.confidence,
                message=ev.message,
                path=ev.path,
                line=ev.line,
                cwe=r.cwe,
                fingerprint=fingerprint(
                    r.id, ev.path, installed.sha256 if installed is not None else ev.message
                ),
            )
            if config.allowed(r.id, r.name, ev.path):
                suppressed.append((finding, "path allowed by the configuration"))
                continue
            accepted = (
                config.baseline.match(r.id, finding.fingerprint, today) if config.baseline else None
            )
            if accepted is not None:
                suppressed.append((finding, f"baseline: {accepted.reason}"))
                continue
            findings.append(finding)
    findings.sort(key=lambda f: (-f.severity, f.rule_id, f.path or "", f.message))
    return Report(tuple(findings), tuple(errors), tuple(skipped), tuple(suppressed))
