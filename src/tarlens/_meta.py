"""Layer 2: what the registry says about a package, as typed values.

The registry-metadata rules (``REG…``) judge facts a tarball cannot show: who published
the previous release and how (provenance, trusted publishing), when releases appeared,
what the registry's own copy of ``package.json`` says (npm installs scripts, dependencies
and ``bin`` from it, not from the tarball), and how old a new dependency is.

This module only *parses* packument documents that someone else fetched (``tarlens
review`` through :mod:`tarlens.registry`, or a test); it never opens a socket, so rules
may import it. Every field of a packument is attacker-controlled JSON: anything of the
wrong type is read as absent, never trusted and never an exception.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from tarlens import _js
from tarlens._manifest import INSTALL_EVENTS, Manifest, secure_and_unixify_path
from tarlens._npa import semver_valid

__all__: list[str] = []  # private module; the values are public through tarlens.registry

#: the dependency fields npm installs for consumers, as the registry's manifest has them
INSTALLED_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")


def parse_time(value: object) -> dt.datetime | None:
    """An ISO 8601 time from a packument's ``time`` map (always UTC there), or ``None``."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _strings(value: object) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _names(people: object) -> tuple[str, ...]:
    if not isinstance(people, list):
        return ()
    names = {p.get("name") for p in people if isinstance(p, Mapping)}
    return tuple(sorted(n for n in names if isinstance(n, str) and n))


def normalise_bin(raw: object, package_name: str | None) -> Mapping[str, str]:
    """``bin`` as npm links it (string form expanded, paths made safe), so that a registry
    manifest and a tarball's ``package.json`` compare equal when npm treats them alike."""
    if isinstance(raw, str) and package_name:
        raw = {package_name.rpartition("/")[2]: raw}
    out: dict[str, str] = {}
    for key, value in _strings(raw).items():
        base = _js.posix_basename(secure_and_unixify_path(key))
        target = secure_and_unixify_path(value)
        if base and target:
            out[base] = target
    return out


@attrs.frozen
class VersionMeta:
    """The registry's record of one published version (one entry of ``versions`` in the
    full packument, plus its publish time from ``time``)."""

    version: str
    published: dt.datetime | None
    #: ``_npmUser.name``: the account that published it
    publisher: str | None
    #: ``_npmUser.trustedPublisher.id`` (``github``, ``gitlab``): published by OIDC from CI
    trusted_publisher: str | None
    maintainers: tuple[str, ...]
    #: ``dist.attestations`` is present: the registry holds a provenance statement
    provenance: bool
    integrity: str | None
    shasum: str | None
    tarball: str | None = attrs.field(repr=False)
    #: install-time scripts of the registry's manifest (what npm runs)
    install_scripts: Mapping[str, str] = attrs.field(repr=False, factory=dict)
    #: field -> name -> spec, for the fields consumers install
    dependencies: Mapping[str, Mapping[str, str]] = attrs.field(repr=False, factory=dict)
    bin: Mapping[str, str] = attrs.field(repr=False, factory=dict)

    @classmethod
    def from_document(
        cls, doc: Mapping[str, Any], *, published: dt.datetime | None = None
    ) -> VersionMeta:
        """Read one version document of a packument (full or abbreviated)."""
        dist = _mapping(doc.get("dist"))
        user = _mapping(doc.get("_npmUser"))
        trusted = user.get("trustedPublisher")
        trusted_id = trusted.get("id") if isinstance(trusted, Mapping) else None
        scripts = _strings(doc.get("scripts"))
        name = doc.get("name") if isinstance(doc.get("name"), str) else None
        return cls(
            version=str(doc.get("version", "")),
            published=published,
            publisher=user.get("name") if isinstance(user.get("name"), str) else None,
            trusted_publisher=trusted_id if isinstance(trusted_id, str) else None,
            maintainers=_names(doc.get("maintainers")),
            provenance=bool(dist.get("attestations")),
            integrity=dist.get("integrity") if isinstance(dist.get("integrity"), str) else None,
            shasum=dist.get("shasum") if isinstance(dist.get("shasum"), str) else None,
            tarball=dist.get("tarball") if isinstance(dist.get("tarball"), str) else None,
            install_scripts={e: scripts[e] for e in INSTALL_EVENTS if e in scripts},
            dependencies={f: _strings(doc.get(f)) for f in INSTALLED_FIELDS if f in doc},
            bin=normalise_bin(doc.get("bin"), name),
        )

    @property
    def attested(self) -> bool:
        """Provenance or trusted publishing: the release is tied to a CI run, not an account."""
        return self.provenance or self.trusted_publisher is not None


def version_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
    """SemVer precedence as a sort key (a prerelease sorts below its release; numeric
    identifiers below alphanumeric ones). Invalid versions sort lowest."""
    clean = semver_valid(version, loose=True)
    if clean is None:
        return (-1, 0, 0, 0, ())
    core, _, pre = clean.split("+")[0].partition("-")
    major, minor, patch = (int(x) for x in core.split("."))
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".") if pre)
    return (major, minor, patch, 0 if pre else 1, ids)


def is_prerelease(version: str) -> bool:
    clean = semver_valid(version, loose=True)
    return clean is not None and "-" in clean.split("+")[0]


@attrs.frozen
class PackageMeta:
    """A package's full packument: every published version, the dist-tags and the times."""

    name: str
    dist_tags: Mapping[str, str]
    versions: Mapping[str, VersionMeta] = attrs.field(repr=False)
    created: dt.datetime | None = None
    maintainers: tuple[str, ...] = ()

    @classmethod
    def from_packument(cls, doc: Mapping[str, Any]) -> PackageMeta:
        """Read a full packument (``GET /<name>`` with ``Accept: application/json``).

        The abbreviated form (``application/vnd.npm.install-v1+json``) lacks ``time``,
        ``_npmUser`` and ``maintainers``, so rules that need them stay silent on it.
        """
        times = _mapping(doc.get("time"))
        raw = _mapping(doc.get("versions"))
        versions = {
            v: VersionMeta.from_document({**d, "version": v}, published=parse_time(times.get(v)))
            for v, d in raw.items()
            if isinstance(v, str) and isinstance(d, Mapping)
        }
        return cls(
            name=str(doc.get("name", "")),
            dist_tags=_strings(doc.get("dist-tags")),
            versions=versions,
            created=parse_time(times.get("created")),
            maintainers=_names(doc.get("maintainers")),
        )

    def ordered(self) -> list[VersionMeta]:
        """Every version in SemVer order, lowest first."""
        return [self.versions[v] for v in sorted(self.versions, key=version_key)]

    def below(self, version: str) -> VersionMeta | None:
        """The highest published version below ``version`` (prereleases only when
        ``version`` is itself a prerelease), or ``None``."""
        key = version_key(version)
        pre = is_prerelease(version)
        candidates = [
            v
            for v in self.ordered()
            if version_key(v.version) < key and (pre or not is_prerelease(v.version))
        ]
        return candidates[-1] if candidates else None

    def published_before(self, version: str) -> VersionMeta | None:
        """The version published last before ``version`` was (by the ``time`` map)."""
        this = self.versions.get(version)
        if this is None or this.published is None:
            return None
        when = this.published
        earlier = [
            (v.published, v) for v in self.versions.values() if v.published and v.published < when
        ]
        return max(earlier, key=lambda pair: pair[0])[1] if earlier else None


@attrs.frozen
class DependencyMeta:
    """What the registry says about a dependency a release adds."""

    name: str
    #: the spec the release declares
    spec: str
    #: the package's first publish (``time.created``); ``None`` when unknown
    created: dt.datetime | None
    #: the version judged: the declared exact version, else the ``latest`` dist-tag
    version: str | None
    #: install-time scripts of that version (registry manifest), ``hasInstallScript`` too
    install_scripts: tuple[str, ...] = ()
    #: the registry has no such package
    missing: bool = False

    @classmethod
    def from_packument(cls, name: str, spec: str, doc: Mapping[str, Any]) -> DependencyMeta:
        package = PackageMeta.from_packument(doc)
        version = semver_valid(spec.lstrip("="), loose=True)
        if version is None or version not in package.versions:
            version = package.dist_tags.get("latest")
        meta = package.versions.get(version or "")
        scripts: tuple[str, ...] = ()
        if meta is not None:
            scripts = tuple(f"{e}: {c}" for e, c in meta.install_scripts.items())
            raw = _mapping(doc.get("versions")).get(version or "")
            if not scripts and isinstance(raw, Mapping) and raw.get("hasInstallScript") is True:
                scripts = ("hasInstallScript",)
        return cls(name, spec, package.created, version, scripts)


@attrs.frozen
class RegistryMeta:
    """Registry metadata for one review: given to :func:`tarlens.check` as ``registry=``,
    it lets the ``REG…`` rules run (without it they are skipped)."""

    #: the package's packument (``None`` when the package is not published yet)
    package: PackageMeta | None
    #: the registry's record of the release under review (``None`` while it is staged)
    current: VersionMeta | None
    #: the registry's record of the release it is compared against
    previous: VersionMeta | None
    #: when the review ran: a staged release's "publish time" for the time-based rules
    now: dt.datetime
    #: the new dependencies whose packuments were read
    dependencies: tuple[DependencyMeta, ...] = ()
    #: new dependencies that were not looked up (beyond the bound, or not from the registry)
    unchecked: tuple[str, ...] = ()

    @property
    def published_at(self) -> dt.datetime:
        """When the release under review appeared (or will: now, for a staged one)."""
        if self.current is not None and self.current.published is not None:
            return self.current.published
        return self.now


def tarball_dependencies(manifest: Manifest) -> dict[str, dict[str, str]]:
    """The tarball's ``package.json`` dependency fields, in the shape of
    :attr:`VersionMeta.dependencies`."""
    return {f: dict(_strings(manifest.package_json.get(f))) for f in INSTALLED_FIELDS}
