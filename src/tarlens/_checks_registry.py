"""Built-in rules that judge what the registry says about a release (``REG…``).

They run only when registry metadata is given (``tarlens review``, or
``tarlens.check(..., registry=...)``); without it they are reported as skipped. A staged
release is not in the registry yet, so the rules that compare "this release" with "the
previous one" judge the staged release where the registry can say something about it (its
time is *now*, its new dependencies are looked up) and otherwise judge the release it is
compared against, which is what consumers install today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

from tarlens._engine import Confidence, Evidence, Release, Severity, rule
from tarlens._manifest import Manifest
from tarlens._meta import (
    RegistryMeta,
    VersionMeta,
    normalise_bin,
    tarball_dependencies,
    version_key,
)

__all__: list[str] = []  # private module: rules register themselves on import

#: a release this long after the previous one comes "after long silence"
SILENCE = dt.timedelta(days=365)
#: releases of this many release lines within :data:`BURST_WINDOW` are a burst
BURST_LINES = 3
BURST_WINDOW = dt.timedelta(minutes=60)
#: a dependency first published less than this long before the release is "new"
YOUNG_DEPENDENCY = dt.timedelta(days=30)


def _meta(release: Release) -> RegistryMeta:
    assert release.registry is not None  # the engine skips these rules without metadata
    return release.registry


def _pairs(meta: RegistryMeta) -> Iterator[tuple[VersionMeta, VersionMeta, str]]:
    """(before, after, what "after" is): the release under review against the one it is
    compared with, when the registry knows both; and the compared release against the one
    published before it (what consumers install today, and all a staged review can see)."""
    if meta.previous is None:
        return
    if meta.current is not None:
        yield meta.previous, meta.current, "this release"
    if meta.package is not None:
        before = meta.package.published_before(meta.previous.version)
        if before is not None:
            yield before, meta.previous, f"the compared release {meta.previous.version}"


def _how(v: VersionMeta) -> str:
    parts = []
    if v.provenance:
        parts.append("provenance")
    if v.trusted_publisher:
        parts.append(f"trusted publisher {v.trusted_publisher}")
    return " and ".join(parts) or "neither provenance nor a trusted publisher"


@rule(
    id="REG001",
    name="provenance-dropped",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=345,
    needs_registry=True,
)
def provenance_dropped(release: Release) -> Iterator[Evidence]:
    """A release lacks the provenance or trusted publishing the release before it had.

    ## What it does
    Compares the registry's records of two consecutive releases: the one before had a
    provenance statement (``dist.attestations``) or was published by a trusted publisher
    (``_npmUser.trustedPublisher``, OIDC from CI), the later one has neither. For a staged
    release the registry holds no record yet, so the rule judges the release it is compared
    against (what consumers install today) against the one published before it.

    ## Why is this risky
    A project that publishes from CI with provenance does not suddenly publish from a
    laptop. A release without it, after releases with it, was most likely published with a
    stolen token: the attacker has the token, not the CI workflow.

    ## Example
    1.4.0 was published by ``GitHub Actions`` with provenance; 1.4.1 by ``someone`` with
    neither.
    """
    for before, after, what in _pairs(_meta(release)):
        if before.attested and not after.attested:
            yield Evidence(
                f"{what} ({after.version}) has {_how(after)}; "
                f"{before.version} before it had {_how(before)}"
            )


@rule(
    id="REG002",
    name="publisher-changed",
    severity=Severity.MEDIUM,
    confidence=Confidence.LOW,
    cwe=345,
    needs_registry=True,
)
def publisher_changed(release: Release) -> Iterator[Evidence]:
    """A different account published the release, or the maintainer set changed.

    ## What it does
    Compares ``_npmUser`` (who published) and ``maintainers`` of consecutive releases, and
    the package's current maintainers with those recorded at the compared release.

    ## Why is this risky
    Account takeovers and hand-overs to a stranger (event-stream) show as a new publisher
    or a new maintainer just before a malicious release. Teams rotate publishers too, so
    this is a prompt to check, not a verdict.

    ## Example
    1.4.0 was published by ``alice``; 1.4.1 by ``mallory``, who became a maintainer last
    week.
    """
    meta = _meta(release)
    for before, after, what in _pairs(meta):
        if before.publisher and after.publisher and before.publisher != after.publisher:
            yield Evidence(
                f"{what} ({after.version}) was published by {after.publisher!r}; "
                f"{before.version} by {before.publisher!r}"
            )
        if before.maintainers and after.maintainers and before.maintainers != after.maintainers:
            yield Evidence(_maintainers(what, after, before.maintainers, after.maintainers))
    if (
        meta.package is not None
        and meta.previous is not None
        and meta.package.maintainers
        and meta.previous.maintainers
        and meta.package.maintainers != meta.previous.maintainers
    ):
        yield Evidence(
            _maintainers(
                "the package now",
                meta.previous,
                meta.previous.maintainers,
                meta.package.maintainers,
            )
        )


def _maintainers(what: str, at: VersionMeta, old: tuple[str, ...], new: tuple[str, ...]) -> str:
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    change = ", ".join([*(f"+{n}" for n in added), *(f"-{n}" for n in removed)])
    return f"maintainers changed: {what} has {', '.join(new)} ({change}; since {at.version})"


@rule(
    id="REG003",
    name="release-after-silence",
    severity=Severity.MEDIUM,
    confidence=Confidence.LOW,
    cwe=506,
    needs_registry=True,
)
def release_after_silence(release: Release) -> Iterator[Evidence]:
    """The release comes more than a year after the package's previous publish.

    ## What it does
    Measures the time from the last earlier publish of any version (the packument's
    ``time``) to this release (*now*, for a staged one).

    ## Why is this risky
    Dormant packages with many dependents are what account thieves look for: a maintainer
    who has not published in years may not notice a new release either (rc, coa, and many
    hijacked abandoned packages).

    ## Example
    The previous publish was 1.3.2, three years ago.
    """
    meta = _meta(release)
    if meta.package is None:
        return
    when = meta.published_at
    current = meta.current.version if meta.current is not None else None
    earlier = [
        v
        for v in meta.package.versions.values()
        if v.published is not None and v.published < when and v.version != current
    ]
    if not earlier:
        return
    last = max(earlier, key=lambda v: v.published or when)
    assert last.published is not None
    gap = when - last.published
    if gap > SILENCE:
        yield Evidence(
            f"published {gap.days} days after the previous publish ({last.version}, "
            f"{last.published.date().isoformat()})"
        )


def _line(version: str) -> str:
    major, minor, *_ = version_key(version)
    return f"{major}.x" if major > 0 else f"0.{minor}.x"


@rule(
    id="REG004",
    name="release-burst",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=506,
    needs_registry=True,
)
def release_burst(release: Release) -> Iterator[Evidence]:
    """Several release lines were published within an hour of this release.

    ## What it does
    Counts the release lines (``1.x``, ``2.x``, or ``0.3.x`` below 1.0) of the versions
    published within 60 minutes of this release, this release included; three or more is a
    burst.

    ## Why is this risky
    Projects publish one line at a time. An attacker with a token publishes a patch on every
    maintained line within minutes, so that every consumer's range picks one up (the
    2025 chalk/debug and Shai-Hulud compromises).

    ## Example
    1.4.1, 2.0.7 and 3.1.2 appear within ten minutes.
    """
    meta = _meta(release)
    if meta.package is None:
        return
    when = meta.published_at
    close = {
        v.version
        for v in meta.package.versions.values()
        if v.published is not None and abs(v.published - when) <= BURST_WINDOW
    }
    if release.manifest.version:
        close.add(release.manifest.version)
    lines = sorted({_line(v) for v in close})
    if len(lines) >= BURST_LINES:
        yield Evidence(
            f"{len(close)} versions on {len(lines)} release lines ({', '.join(lines)}) within "
            f"{int(BURST_WINDOW.total_seconds() // 60)} minutes: {', '.join(sorted(close))}"
        )


def _tarball_view(m: Manifest) -> tuple[dict[str, str], dict[str, dict[str, str]], dict[str, str]]:
    scripts = {s.event: s.command for s in m.install_scripts}
    bins = dict(normalise_bin(m.package_json.get("bin"), m.name))
    if not bins:
        bins = {b.name: b.target for b in m.bin}
    return scripts, tarball_dependencies(m), bins


def _installed(deps: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """name -> spec as npm installs it: optionalDependencies win over dependencies; peers
    are listed under ``peer:name``."""
    out = dict(deps.get("dependencies", {}))
    out.update(deps.get("optionalDependencies", {}))
    out.update({f"peer:{k}": v for k, v in deps.get("peerDependencies", {}).items()})
    return out


def _differences(label: str, registry: Mapping[str, str], tarball: Mapping[str, str]) -> list[str]:
    out = []
    for key in sorted(set(registry) | set(tarball)):
        r, t = registry.get(key), tarball.get(key)
        if r == t:
            continue
        if t is None:
            out.append(f"{label} {key}: {r!r} only in the registry's manifest")
        elif r is None:
            out.append(f"{label} {key}: {t!r} only in the tarball")
        else:
            out.append(f"{label} {key}: registry {r!r}, tarball {t!r}")
    return out


@rule(
    id="REG005",
    name="manifest-confusion",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=436,
    needs_registry=True,
)
def manifest_confusion(release: Release) -> Iterator[Evidence]:
    """The registry's manifest and the tarball disagree on scripts, dependencies or bin.

    ## What it does
    For each release whose registry record describes exactly these bytes (same integrity):
    the release under review when it is already published, and the release it is compared
    against, compares the install-time scripts, ``dependencies``/``optionalDependencies``/
    ``peerDependencies`` and ``bin`` of the registry's manifest with the tarball's.

    ## Why is this risky
    npm installs scripts, dependencies and ``bin`` from the registry's manifest, while
    reviewers and scanners read the tarball ("manifest confusion"). A publisher who uploads
    a manifest that differs from the tarball hides an install script or a dependency from
    everyone who reviews the tarball.

    ## Example
    The tarball's ``package.json`` has no scripts; the registry's manifest of the same
    version has ``"postinstall": "node x.js"``, which npm runs.
    """
    meta = _meta(release)
    for manifest, record in ((release.manifest, meta.current), (release.previous, meta.previous)):
        if manifest is None or record is None or record.integrity != manifest.integrity:
            continue
        scripts, deps, bins = _tarball_view(manifest)
        problems = [
            *_differences("script", record.install_scripts, scripts),
            *_differences("dependency", _installed(record.dependencies), _installed(deps)),
            *_differences("bin", record.bin, bins),
        ]
        for problem in problems:
            yield Evidence(f"{manifest.version}: {problem}", path="package.json")


def _new_dependencies(release: Release) -> dict[str, str]:
    """Dependencies consumers install that the previous release did not declare."""
    old = (
        {d.name for d in release.previous.dependencies if d.installed_by_consumers}
        if release.previous is not None
        else set()
    )
    return {
        d.name: d.spec.raw
        for d in release.manifest.dependencies
        if d.installed_by_consumers and d.name not in old
    }


@rule(
    id="REG006",
    name="new-dependency-recently-created",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=506,
    needs_registry=True,
)
def new_dependency_recently_created(release: Release) -> Iterator[Evidence]:
    """A dependency this release adds was first published less than 30 days before it.

    ## What it does
    Looks up the packument of every dependency the release adds (``tarlens review`` reads a
    bounded number of them and says which) and reports those whose first publish
    (``time.created``) is less than 30 days before this release.

    ## Why is this risky
    Attackers who cannot hide a payload in a well-known package publish it as a fresh
    package and add it as a dependency: the release's own files stay clean and the payload
    runs from the new package's install script.

    ## Example
    1.4.1 adds ``"fast-telemetry": "^1.0.0"``, a package created three days ago.
    """
    meta = _meta(release)
    new = _new_dependencies(release)
    when = meta.published_at
    for dep in meta.dependencies:
        if dep.name not in new or dep.created is None:
            continue
        age = when - dep.created
        if age < YOUNG_DEPENDENCY:
            days = max(age.days, 0)
            yield Evidence(
                f"new dependency {dep.name} ({new[dep.name]}) was first published "
                f"{days} day{'s' if days != 1 else ''} before this release "
                f"({dep.created.date().isoformat()})",
                path="package.json",
            )


@rule(
    id="REG007",
    name="new-dependency-install-script",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=506,
    needs_registry=True,
)
def new_dependency_install_script(release: Release) -> Iterator[Evidence]:
    """A dependency this release adds runs an install script of its own.

    ## What it does
    Reports new dependencies whose registry manifest (the declared exact version, else the
    ``latest`` dist-tag) has ``preinstall``, ``install`` or ``postinstall`` scripts.

    ## Why is this risky
    The release's own ``package.json`` stays free of scripts, yet installing it now runs
    code on every consumer's machine, through the new dependency.

    ## Example
    1.4.1 adds ``"helper": "1.0.0"``, whose manifest has ``"postinstall": "node i.js"``.
    """
    meta = _meta(release)
    new = _new_dependencies(release)
    for dep in meta.dependencies:
        if dep.name in new and dep.install_scripts:
            yield Evidence(
                f"new dependency {dep.name}@{dep.version} runs {'; '.join(dep.install_scripts)}",
                path="package.json",
            )
