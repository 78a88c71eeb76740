"""Layer 6: ``tarlens review``, the staged release against the published one.

The order matters: the staged bytes are checked against what ``npm stage view`` printed
*before* anything else happens (a review of the wrong tarball is worse than none); the
release to compare against is chosen from the registry's packument and its tarball is
verified against the registry's ``dist.integrity`` before it is read; then the ordinary
:func:`tarlens.diff` and :func:`tarlens.check` run, with the registry metadata the ``REG…``
rules judge. ``--against OLD.tgz`` never touches the network.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from tarlens._diff import ReleaseDiff, diff
from tarlens._errors import ConfigError, InputError, IntegrityError, RegistryError
from tarlens._limits import Limits
from tarlens._manifest import Manifest
from tarlens._meta import DependencyMeta, PackageMeta, RegistryMeta, VersionMeta, version_key
from tarlens._npa import SourceType, SpecType
from tarlens._reader import load, scan_signals

if TYPE_CHECKING:
    from tarlens.registry import Registry

__all__: list[str] = []  # private module

#: new dependencies whose packuments a review reads at most
MAX_DEPENDENCY_LOOKUPS = 20
_TARBALL_SUFFIXES = (".tgz", ".tar.gz", ".tar")


@attrs.frozen
class Against:
    """The release a review compares with, and where its bytes came from."""

    manifest: Manifest
    #: what the user asked for: ``latest``, ``previous``, a version, a dist-tag or a path
    requested: str
    #: ``registry`` or ``file``
    source: str
    #: the tarball URL or the path
    location: str
    #: how the bytes were verified (``sha512``), ``None`` for a local file
    verified: str | None = None


@attrs.frozen
class Review:
    """What ``tarlens review`` found out before the rules run."""

    manifest: Manifest
    against: Against | None
    diff: ReleaseDiff | None
    registry: RegistryMeta | None
    registry_url: str | None
    #: ``shasum`` or ``integrity``: the staged bytes matched what the user expected
    expected: str | None
    notes: tuple[str, ...] = ()


def _check_expected(
    manifest: Manifest, label: str, shasum: str | None, integrity: str | None
) -> str | None:
    if shasum is not None:
        want = shasum.strip().lower()
        if not hmac.compare_digest(want, manifest.shasum):
            raise IntegrityError(
                f"{label} is not the staged tarball: its shasum",
                want,
                manifest.shasum,
                hint="--expect-shasum, from `npm stage view`",
            )
        return "shasum"
    if integrity is not None:
        want = integrity.strip()
        alg, sep, _ = want.partition("-")
        if not sep or alg not in ("sha512", "sha384", "sha256", "sha1"):
            raise ConfigError(
                "--expect-integrity", f"{want!r} is not an SRI string like sha512-..."
            )
        if alg == "sha512":  # what npm prints: the hash of the very bytes that were read
            actual = manifest.integrity
        else:
            source = manifest.origin
            data = Path(source).read_bytes() if isinstance(source, str) else source or b""
            actual = f"{alg}-" + base64.b64encode(hashlib.new(alg, data).digest()).decode()
        if not hmac.compare_digest(actual, want):
            raise IntegrityError(
                f"{label} is not the staged tarball: its integrity",
                want,
                actual,
                hint="--expect-integrity, from `npm stage download`",
            )
        return "integrity"
    return None


def is_path(against: str) -> bool:
    return os.path.sep in against or against.endswith(_TARBALL_SUFFIXES) or os.path.exists(against)


def _choose(
    package: PackageMeta, version: str, against: str, notes: list[str]
) -> VersionMeta | None:
    """The registry version to compare with, per ``--against``."""
    if against == "previous":
        chosen = package.below(version)
        if chosen is None:
            notes.append(f"no published version is below {version}")
        return chosen
    if against in package.versions:
        return package.versions[against]
    tag = package.dist_tags.get(against)
    if tag is None:
        if against != "latest":
            raise ConfigError("--against", f"{package.name} has no version or dist-tag {against!r}")
        notes.append("the registry has no latest dist-tag")
        return None
    chosen = package.versions.get(tag)
    if chosen is None:
        raise RegistryError(package.name, f"dist-tag {against} points at {tag}, which is missing")
    if chosen.version == version:
        below = package.below(version)
        notes.append(
            f"{version} is already the {against} release; compared with the version below it"
            + (f" ({below.version})" if below else " (none)")
        )
        return below
    if version_key(chosen.version) > version_key(version):
        notes.append(
            f"the {against} release {chosen.version} is newer than {version}; "
            "use --against previous for a backport"
        )
    return chosen


def _new_dependencies(manifest: Manifest, previous: Manifest | None) -> list[tuple[str, str]]:
    old = (
        {d.name for d in previous.dependencies if d.installed_by_consumers}
        if previous is not None
        else set()
    )
    return [
        (d.name, d.spec.raw)
        for d in manifest.dependencies
        if d.installed_by_consumers and d.name not in old
    ]


def _lookup_dependencies(
    registry: Registry,
    manifest: Manifest,
    previous: Manifest | None,
    max_lookups: int,
) -> tuple[tuple[DependencyMeta, ...], tuple[str, ...]]:
    from tarlens.registry import dependency_meta  # noqa: PLC0415

    checked: list[DependencyMeta] = []
    unchecked: list[str] = []
    by_name = {d.name: d for d in manifest.dependencies}
    for name, spec in _new_dependencies(manifest, previous):
        dep = by_name[name]
        from_registry = (
            dep.spec.source is SourceType.REGISTRY and dep.spec.type is not SpecType.ALIAS
        )
        if not from_registry or len(checked) >= max_lookups:
            unchecked.append(name)
            continue
        checked.append(dependency_meta(registry, name, spec))
    return tuple(checked), tuple(unchecked)


def review(
    staged: str | os.PathLike[str],
    *,
    against: str = "latest",
    expect_shasum: str | None = None,
    expect_integrity: str | None = None,
    registry: Registry | None = None,
    limits: Limits | None = None,
    signals: Literal["attention", "all"] = "attention",
    max_dependency_lookups: int = MAX_DEPENDENCY_LOOKUPS,
    now: dt.datetime | None = None,
) -> Review:
    """Verify, resolve, download, verify and diff; the caller runs the rules and renders.

    ``registry`` is created from npm's configuration when needed and not given; with
    ``against`` naming a local tarball no registry is created or contacted.
    """
    label = os.fspath(staged)
    manifest = load(label, limits=limits, signals=signals)
    expected = _check_expected(manifest, label, expect_shasum, expect_integrity)
    notes: list[str] = []
    if is_path(against):
        old = load(against, limits=limits, signals=signals)
        changes = diff(old, manifest, limits=limits)
        where = Against(old, against, "file", against)
        return Review(
            manifest, where, changes, None, None, expected, ("offline: compared with a local file",)
        )

    if not manifest.name:
        raise InputError(label, "its package.json has no name to look up in the registry")
    if registry is None:
        from tarlens.registry import Registry  # noqa: PLC0415

        registry = Registry()
    from tarlens.registry import cache_key, display_url  # noqa: PLC0415

    now = now or dt.datetime.now(dt.UTC)
    registry_url = display_url(registry.config.registry_for(manifest.name))
    try:
        doc: dict[str, Any] | None = registry.packument(manifest.name)
    except RegistryError as exc:
        if exc.status != 404:
            raise
        doc = None
    version = manifest.version or ""
    package = PackageMeta.from_packument(doc) if doc is not None else None
    current: VersionMeta | None = None
    chosen: VersionMeta | None = None
    if package is None:
        notes.append(
            f"{manifest.name} is not on {registry_url}: a first publish, reviewed on its own"
        )
    else:
        published = package.versions.get(version)
        if published is not None:
            if published.integrity == manifest.integrity:
                current = published
                notes.append(f"{version} is already published with these bytes")
            else:
                notes.append(
                    f"{version} is already published with different bytes "
                    f"({published.integrity}); this review is of the local tarball"
                )
        chosen = _choose(package, version, against, notes)
        if chosen is None:
            notes.append("no release to compare with: reviewed on its own")
    if chosen is None:
        # nothing to compare with: every file is new, and a diff scans every new file
        manifest = attrs.evolve(
            scan_signals(manifest, [f.path for f in manifest.files], limits=limits), scan="all"
        )
        deps, unchecked = _lookup_dependencies(registry, manifest, None, max_dependency_lookups)
        meta = RegistryMeta(package, current, None, now, deps, unchecked)
        return Review(manifest, None, None, meta, registry_url, expected, tuple(notes))

    what = f"{manifest.name}@{chosen.version} from {registry_url}"
    data = registry.tarball(chosen, what=what)
    old = load(data, limits=limits, signals=signals)
    changes = diff(old, manifest, limits=limits)
    verified = (cache_key(chosen.integrity, chosen.shasum) or "").partition("-")[0]
    where = Against(old, against, "registry", display_url(chosen.tarball or ""), verified)
    deps, unchecked = _lookup_dependencies(registry, manifest, old, max_dependency_lookups)
    meta = RegistryMeta(package, current, chosen, now, deps, unchecked)
    return Review(manifest, where, changes, meta, registry_url, expected, tuple(notes))


def review_to_dict(r: Review) -> dict[str, Any]:
    """The ``review`` key of ``tarlens review --format json``."""
    meta = r.registry
    a = r.against
    return {
        "against": None
        if a is None
        else {
            "requested": a.requested,
            "source": a.source,
            "location": a.location,
            "verified": a.verified,
            "name": a.manifest.name,
            "version": a.manifest.version,
        },
        "registry": r.registry_url,
        "staged_verified": r.expected,
        "metadata": meta is not None,
        "already_published": meta is not None and meta.current is not None,
        "dependencies_checked": [
            {
                "name": d.name,
                "spec": d.spec,
                "version": d.version,
                "created": d.created.isoformat() if d.created else None,
                "install_scripts": list(d.install_scripts),
                "missing": d.missing,
            }
            for d in (meta.dependencies if meta else ())
        ],
        "dependencies_unchecked": list(meta.unchecked) if meta else [],
        "notes": list(r.notes),
    }


def review_lines(r: Review) -> Sequence[str]:
    """One-line facts a reviewer reads first (verification, what was compared, notes)."""
    out = []
    if r.expected:
        out.append(f"staged tarball matches --expect-{r.expected}")
    else:
        out.append("staged tarball not checked against npm stage view (no --expect-shasum)")
    a = r.against
    if a is not None:
        how = f", {a.verified} verified" if a.verified else ""
        out.append(
            f"compared with {a.manifest.name}@{a.manifest.version} ({a.source} {a.location}{how})"
        )
    if r.registry is not None:
        checked = len(r.registry.dependencies)
        out.append(
            f"registry metadata from {r.registry_url}; {checked} new dependencies looked up"
            + (f", {len(r.registry.unchecked)} not" if r.registry.unchecked else "")
        )
    out.extend(r.notes)
    return out
