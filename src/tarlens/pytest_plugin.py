"""tarlens as a pytest release gate (a ``pytest11`` plugin; tarlens never imports it).

A release check in three lines (in any test file of the project)::

    from tarlens.pytest_plugin import assert_no_findings

    def test_staged_release(tarlens_review):
        assert_no_findings(tarlens_review("staged.tgz", previous="published.tgz"))

or, with the tarballs given on the command line
(``pytest --tarlens-new staged.tgz --tarlens-previous published.tgz``), just
``assert_no_findings(tarlens_review())``. The test fails with one line per finding at or
above the threshold (``--tarlens-fail-on``, default ``high``, or the project's
``fail-on``), and when a rule crashed.

Fixtures and helpers:

- ``tarlens_review(new=None, previous=None, *, limits=None, **config)`` reads ``new`` (and
  ``previous``, then diffs them and runs the rules that judge change) and returns a
  :class:`Review`: the report's ``findings``, ``errors`` and ``suppressed``, plus the
  ``manifest``, the ``diff`` and the ``report`` themselves. Paths default to the command-line
  options (relative to the directory pytest was started in); without any, the test is
  skipped. ``config`` keywords are :class:`tarlens.Config` fields (``ignore=["ARC029"]``,
  ``severity={"SCR001": "info"}``, ``policy=tarlens.Policy.npm12()``, ...) and override the
  project's ``[tool.tarlens]`` configuration, which is read as the CLI reads it.
- :func:`assert_no_findings` (importable, and a fixture of the same name whose threshold
  defaults to ``--tarlens-fail-on``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import pytest

if TYPE_CHECKING:
    from tarlens._config import Config
    from tarlens._diff import ReleaseDiff
    from tarlens._engine import Finding, Report, RuleError, Severity
    from tarlens._limits import Limits
    from tarlens._manifest import Manifest

__all__ = ["Review", "assert_no_findings"]

_SEVERITIES = ("info", "low", "medium", "high", "critical", "none")
#: findings listed in a failure message (the rest are counted)
MAX_LISTED = 50


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tarlens", "tarlens release review")
    group.addoption(
        "--tarlens-new",
        metavar="PATH",
        default=None,
        help="the release tarball under review (tarlens_review's default `new`)",
    )
    group.addoption(
        "--tarlens-previous",
        metavar="PATH",
        default=None,
        help="the previous release's tarball, to review what changed",
    )
    group.addoption(
        "--tarlens-fail-on",
        metavar="SEVERITY",
        default=None,
        choices=_SEVERITIES,
        help="fail at findings this severe or worse: info, low, medium, high, critical or "
        "none (default: the project's fail-on, else high)",
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    new = config.getoption("--tarlens-new")
    if new is None:
        return []
    previous = config.getoption("--tarlens-previous")
    line = f"tarlens: reviewing {new}" + (f" against {previous}" if previous else "")
    fail_on = config.getoption("--tarlens-fail-on")
    return [line + (f", failing on {fail_on}" if fail_on else "")]


@attrs.frozen
class Review:
    """What ``tarlens_review`` returns: a report with the releases it is about."""

    report: Report
    manifest: Manifest = attrs.field(repr=False)
    diff: ReleaseDiff | None = attrs.field(repr=False, default=None)
    #: the threshold of :func:`assert_no_findings` when it is not given one
    fail_on: str = "high"

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.report.findings

    @property
    def errors(self) -> tuple[RuleError, ...]:
        return self.report.errors

    @property
    def suppressed(self) -> tuple[tuple[Finding, str], ...]:
        return self.report.suppressed

    @property
    def max_severity(self) -> Severity | None:
        return self.report.max_severity

    def at_least(self, severity: Severity | str) -> tuple[Finding, ...]:
        from tarlens._engine import Severity  # noqa: PLC0415

        level = severity if isinstance(severity, Severity) else Severity.parse(severity)
        return self.report.at_least(level)


class _HasFindings(Protocol):
    @property
    def findings(self) -> Sequence[Finding]: ...


class ReviewFunction(Protocol):
    def __call__(
        self,
        new: str | Path | bytes | None = None,
        previous: str | Path | bytes | None = None,
        *,
        limits: Limits | None = None,
        **config: Any,
    ) -> Review: ...


def _failure(report: _HasFindings, at_least: str) -> str | None:
    """The failure message, or ``None`` when nothing reaches ``at_least``."""
    from tarlens._engine import Severity  # noqa: PLC0415
    from tarlens._render import safe  # noqa: PLC0415

    errors: Sequence[RuleError] = getattr(report, "errors", ())
    hits: list[Finding] = []
    if at_least != "none":
        floor = Severity.parse(at_least)
        hits = [f for f in report.findings if f.severity >= floor]
    if not hits and not errors:
        return None
    manifest: Manifest | None = getattr(report, "manifest", None)
    diff: ReleaseDiff | None = getattr(report, "diff", None)
    what = ""
    if manifest is not None:
        what = f" in {safe(manifest.name or '?')}@{safe(manifest.version or '?')}"
        if diff is not None:
            what += f" (previous {safe(diff.old.version or '?')})"
    lines = []
    if hits:
        lines.append(f"tarlens: {len(hits)} finding(s) at or above {at_least}{what}:")
        for f in hits[:MAX_LISTED]:
            where = f" [{safe(f.path)}" + (f":{f.line}" if f.line else "") + "]" if f.path else ""
            head = f"{str(f.severity).upper():8} {f.rule_id} {safe(f.rule)}{where}"
            lines.append(f"  {head}: {safe(f.message)}")
        if len(hits) > MAX_LISTED:
            lines.append(f"  ... and {len(hits) - MAX_LISTED} more")
    for e in errors:
        lines.append(f"tarlens: rule {e.rule_id} crashed{what}: {safe(e.message)}")
    lines.append(
        "(`tarlens explain RULE` documents a rule; a finding accepted on purpose goes in the "
        "baseline: `tarlens baseline`)"
    )
    return "\n".join(lines)


def assert_no_findings(report: _HasFindings, at_least: Severity | str | None = None) -> None:
    """Fail the test when ``report`` (a :class:`Review` or a :class:`tarlens.Report`) has a
    finding at ``at_least`` or above, or a rule crashed, listing them one per line with
    every package string neutralised for the terminal.

    ``at_least`` defaults to the review's threshold (``--tarlens-fail-on``), else ``high``;
    ``"none"`` fails only on crashed rules.
    """
    __tracebackhide__ = True
    if at_least is None:
        at_least = getattr(report, "fail_on", "high")
    message = _failure(report, str(at_least).lower())
    if message is not None:
        pytest.fail(message, pytrace=False)


def _resolve(value: str | Path | bytes | None, base: Path) -> str | Path | bytes | None:
    if isinstance(value, str | Path):
        path = Path(value)
        return path if path.is_absolute() else base / path
    return value


def _config(pytest_config: pytest.Config, overrides: dict[str, Any]) -> Config:
    from tarlens._config import Config, load_config  # noqa: PLC0415

    base = overrides.pop("config", None)
    if base is None:
        base = load_config(start=pytest_config.rootpath)
    elif not isinstance(base, Config):
        raise TypeError(f"config= must be a tarlens.Config, not {type(base).__name__}")
    for key in ("select", "ignore"):
        if isinstance(overrides.get(key), list | tuple | set | frozenset):
            overrides[key] = tuple(overrides[key])
    try:
        return attrs.evolve(base, **overrides)
    except TypeError as exc:
        names = ", ".join(a.name for a in attrs.fields(Config))
        raise TypeError(f"tarlens_review: {exc} (tarlens.Config takes {names})") from None


@pytest.fixture
def tarlens_review(request: pytest.FixtureRequest) -> ReviewFunction:
    """``tarlens_review(new=None, previous=None, *, limits=None, **config) -> Review``."""
    options = request.config
    base = options.invocation_params.dir

    def review(
        new: str | Path | bytes | None = None,
        previous: str | Path | bytes | None = None,
        *,
        limits: Limits | None = None,
        **config: Any,
    ) -> Review:
        __tracebackhide__ = True
        from tarlens._diff import diff  # noqa: PLC0415
        from tarlens._engine import check  # noqa: PLC0415
        from tarlens._reader import load  # noqa: PLC0415

        if new is None:
            new = options.getoption("--tarlens-new")
            if previous is None:
                previous = options.getoption("--tarlens-previous")
            new, previous = _resolve(new, base), _resolve(previous, base)
        if new is None:
            pytest.skip("no release to review: pass tarlens_review(PATH) or --tarlens-new PATH")
        from tarlens._errors import TarlensError  # noqa: PLC0415

        settings = _config(options, dict(config))
        fail_on = options.getoption("--tarlens-fail-on") or settings.fail_on
        try:
            if previous is not None:
                changes = diff(previous, new, limits=limits)
                report = check(changes.new, diff=changes, config=settings)
                return Review(report, changes.new, changes, fail_on=fail_on)
            manifest = load(new, limits=limits)
        except TarlensError as exc:
            from tarlens._render import safe  # noqa: PLC0415

            pytest.fail(f"tarlens: error: {safe(str(exc))}", pytrace=False)
        return Review(check(manifest, config=settings), manifest, None, fail_on=fail_on)

    return review


@pytest.fixture(name="assert_no_findings")
def _assert_no_findings_fixture(request: pytest.FixtureRequest) -> Callable[..., None]:
    """:func:`assert_no_findings` whose default threshold is ``--tarlens-fail-on``."""
    default = request.config.getoption("--tarlens-fail-on")

    def check(report: _HasFindings, at_least: Severity | str | None = None) -> None:
        __tracebackhide__ = True
        if at_least is None and default is not None:
            at_least = default
        assert_no_findings(report, at_least)

    return check
