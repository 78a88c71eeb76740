"""Layer 2: the typed manifest of a release, as npm would install it.

:func:`build` turns what the reader saw (installed files, raw entries, anomalies) into a
:class:`Manifest`: identity and integrity, every installed file, ``package.json`` parsed
with JavaScript semantics, the lifecycle scripts npm would run (including the implicit
``node-gyp rebuild``), ``bin`` as npm normalises it, every dependency with its spec
classified the way npm-package-arg does, the bundled packages under ``node_modules/`` and
the entries of an ``npm-shrinkwrap.json``.
"""

from __future__ import annotations

import base64
import enum
import re
import shlex
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from tarlens import _js, _jsonjs
from tarlens._analysis import Content, Summary, summarize
from tarlens._anomaly import Anomaly, AnomalyKind
from tarlens._container import NPM_MAX_RATIO, Compression, ContainerInfo, GzipHeader, Trailing
from tarlens._errors import LimitExceeded, PackageJsonError
from tarlens._limits import Limits
from tarlens._npa import SourceType, Spec, SpecType, classify
from tarlens._tar import EntryStatus, InstalledFile, RawEntry, TarReader, collisions

__all__: list[str] = []  # private module; the public names are re-exported by tarlens

#: Every lifecycle event that runs when a consumer installs the package from a registry.
INSTALL_EVENTS = ("preinstall", "install", "postinstall")
#: Events that run when the package is installed from git or a directory (and on the
#: maintainer's own `npm install`), not for registry installs.
PREPARE_EVENTS = ("preprepare", "prepare", "postprepare")
DEPENDENCY_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies", "devDependencies")
#: npm pack writes every entry with this mtime (1985-10-26T08:15:00Z).
NPM_PACK_MTIME = 499162500

_NESTED_MANIFEST = re.compile(r"(?:node_modules/(?:@[^/]+/)?[^/]+/)+package\.json\Z")


class ScriptWhen(enum.StrEnum):
    """When npm runs a script for someone who depends on this package."""

    INSTALL = "install"  # every install from the registry (preinstall/install/postinstall)
    GIT_INSTALL = "git-install"  # installs from git or a directory (prepare and friends)
    NEVER = "never"  # developer and publish scripts: never run for consumers


@attrs.frozen
class File:
    """One file exactly as npm writes it into ``node_modules/<name>/``."""

    path: str
    size: int
    #: the mode npm creates the file with (umask 022; ``bin`` targets get ``+x``)
    mode: int
    #: the mode in the tar header of the entry that created the file
    tar_mode: int
    sha256: str
    #: index of the raw entry whose bytes were installed (the last one for duplicates)
    entry: int
    #: the content, kept only for files tarlens parses itself (package.json and friends)
    data: bytes | None = attrs.field(default=None, repr=False, eq=False)
    #: what the bytes are (tarlens.Content: kind, MIME type, code signals), None when the
    #: manifest was loaded with analyze=False
    content: Content | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def kind(self) -> str | None:
        """``source``, ``minified``, ``binary`` or ``data``, decided by the bytes."""
        return None if self.content is None else str(self.content.kind)

    @property
    def mime(self) -> str | None:
        return None if self.content is None else self.content.mime


@attrs.frozen
class Script:
    event: str
    command: str
    when: ScriptWhen
    #: npm adds it although package.json does not say so (``node-gyp rebuild``, ``node server.js``)
    implicit: bool = False


@attrs.frozen
class Bin:
    """A command npm links onto the consumer's PATH."""

    name: str
    target: str
    exists: bool


@attrs.frozen
class Dependency:
    field: str
    name: str
    spec: Spec
    #: npm drops it silently when it cannot be installed (optionalDependencies, optional peers)
    optional: bool
    #: installed when someone depends on this package (devDependencies are not)
    installed_by_consumers: bool
    bundled: bool = False


@attrs.frozen
class BundledPackage:
    """A package shipped inside the tarball under ``node_modules/``."""

    path: str
    name: str | None
    version: str | None
    #: named in the package's ``bundleDependencies`` (top level) or shipped inside one
    declared: bool
    scripts: tuple[Script, ...]
    error: str | None = None


@attrs.frozen
class ShrinkwrapEntry:
    path: str
    name: str
    version: str | None
    resolved: str | None
    integrity: str | None
    source: SourceType
    has_install_script: bool
    dev: bool
    optional: bool


@attrs.frozen
class Shrinkwrap:
    lockfile_version: int | None
    entries: tuple[ShrinkwrapEntry, ...]


@attrs.frozen
class Packing:
    """How the tarball was packed; ``npm pack`` output is recognisably regular."""

    compression: str
    gzip: GzipHeader | None
    formats: tuple[str, ...]
    mtimes: tuple[int, ...]
    owners: tuple[str, ...]
    roots: tuple[str, ...]
    directory_entries: int
    extended_headers: int
    #: every trait matches what ``npm pack`` writes
    like_npm_pack: bool
    differences: tuple[str, ...]


@attrs.frozen
class Manifest:
    """Everything tarlens knows about one release tarball. Treat it as read-only."""

    source: str
    name: str | None
    version: str | None
    #: ``sha512-…`` Subresource Integrity of the compressed bytes, as ``dist.integrity``
    integrity: str
    #: sha1 hex of the compressed bytes, as ``dist.shasum`` and ``npm stage view``
    shasum: str
    size: int
    tar_size: int
    compression: str
    files: tuple[File, ...] = attrs.field(repr=False)
    entries: tuple[RawEntry, ...] = attrs.field(repr=False)
    package_json: Mapping[str, Any] = attrs.field(repr=False)
    scripts: tuple[Script, ...]
    bin: tuple[Bin, ...]
    dependencies: tuple[Dependency, ...] = attrs.field(repr=False)
    bundled: tuple[BundledPackage, ...] = attrs.field(repr=False)
    shrinkwrap: Shrinkwrap | None = attrs.field(repr=False)
    anomalies: tuple[Anomaly, ...] = attrs.field(repr=False)
    packing: Packing = attrs.field(repr=False)
    #: why ``npm install`` of this tarball would fail, if it would
    npm_refuses: tuple[str, ...]
    compression_ratio: float = attrs.field(repr=False, default=1.0)
    #: where the bytes came from, when they can be read again (a path, or the bytes)
    origin: str | bytes | None = attrs.field(repr=False, default=None, eq=False)
    #: which code files had their signals looked for: ``"all"``, ``"attention"`` (the files
    #: npm runs or points consumers at: :meth:`attention`) or ``"none"`` (``analyze=False``)
    scan: str = attrs.field(default="all", eq=False)
    _by_path: dict[str, File] = attrs.field(
        init=False,
        repr=False,
        eq=False,
        default=attrs.Factory(lambda self: {f.path: f for f in self.files}, takes_self=True),
    )

    @property
    def summary(self) -> Summary | None:
        """Counts and bytes by kind, the largest minified and binary payloads, the files with
        obfuscation signals and the extensions that lie (None without analysis)."""
        if any(f.content is None for f in self.files):
            return None
        return summarize((f.path, f.size, f.content) for f in self.files if f.content)

    @property
    def unpacked_size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def entry_points(self) -> tuple[str, ...]:
        """Installed files that consumers' code or PATH reaches first: ``main`` (or
        ``index.js``), ``module``, ``browser``, every string target in ``exports`` and every
        ``bin`` target, resolved the way Node resolves a file path."""
        pkg = self.package_json
        targets: list[str] = []
        main = pkg.get("main")
        targets.append(main if isinstance(main, str) and main else "index.js")
        for key in ("module", "browser"):
            if isinstance(pkg.get(key), str):
                targets.append(pkg[key])
        stack: list[Any] = [pkg.get("exports")]
        while stack:
            node = stack.pop()
            if isinstance(node, str):
                targets.append(node)
            elif isinstance(node, dict):
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        targets.extend(b.target for b in self.bin)
        found: list[str] = []
        for target in targets:
            rel = _js.posix_normalize(target)
            if rel.startswith(("/", "..")) or "*" in rel:
                continue
            for candidate in (rel, rel + ".js", rel + ".json", rel + "/index.js"):
                if candidate in self._by_path and candidate not in found:
                    found.append(candidate)
                    break
        return tuple(found)

    def attention(self) -> frozenset[str]:
        """The files a reviewer and the rules look at first, whose code signals ``load`` looks
        for by default: :attr:`entry_points`, every file a lifecycle script names (bundled
        packages' too), and every file whose extension lies about its bytes."""
        paths = set(self.entry_points)
        for s in self.scripts:
            paths.update(script_files(s.command))
        for b in self.bundled:
            for s in b.scripts:
                paths.update(_js.posix_normalize(f"{b.path}/{p}") for p in script_files(s.command))
        paths.update(
            f.path for f in self.files if f.content is not None and f.content.extension_mismatch
        )
        return frozenset(p for p in paths if p in self._by_path)

    @property
    def install_scripts(self) -> tuple[Script, ...]:
        """The scripts npm runs when a consumer installs this package from the registry."""
        return tuple(s for s in self.scripts if s.when is ScriptWhen.INSTALL)

    def file(self, path: str) -> File | None:
        """The installed file at ``path`` (package-relative, as npm writes it), or ``None``."""
        return self._by_path.get(path)

    def __contains__(self, path: object) -> bool:
        return path in self._by_path

    def _repr_html_(self) -> str:
        from tarlens._html import manifest_html  # noqa: PLC0415 - notebook face, on demand

        return manifest_html(self)

    def _repr_markdown_(self) -> str:
        from tarlens._html import manifest_markdown  # noqa: PLC0415

        return manifest_markdown(self)


#: files that commonly hold credentials; their (small) contents are kept for the secret rules
SECRET_FILE = re.compile(
    r"(?:\A|/)(?:\.npmrc|\.yarnrc(?:\.yml)?|\.env(?:\.[\w.-]+)?|\.git-credentials|\.pypirc|"
    r"\.netrc|\.dockercfg|credentials(?:\.json)?|id_(?:rsa|dsa|ecdsa|ed25519)|"
    r"[^/]*\.(?:pem|key|p12|pfx|jks|kdbx))\Z",
    re.IGNORECASE,
)
SECRET_FILE_MAX = 1024 * 1024


def unscanned(f: File | None) -> bool:
    """Code whose signals were not looked for (the cheap pass classified it only)."""
    return f is not None and f.content is not None and not f.content.scanned


#: the package's own manifests: kept whatever else is (``Limits.max_kept_bytes``)
OWN_MANIFESTS = ("package.json", "npm-shrinkwrap.json")


def keep_for_manifest(path: str, size: int, limits: Limits) -> bool:
    """The files whose bytes the manifest needs (everything else is only hashed)."""
    if size > limits.max_package_json_bytes:
        return False
    if path in OWN_MANIFESTS or _NESTED_MANIFEST.match(path):
        return True
    return size <= SECRET_FILE_MAX and bool(SECRET_FILE.search(path))


def build(
    source: str,
    reader: TarReader,
    info: ContainerInfo,
    limits: Limits,
    *,
    origin: str | bytes | None = None,
    contents: Mapping[str, Content] | None = None,
) -> Manifest:
    anomalies = list(reader.anomalies)
    pj_file = reader.files.get("package.json")
    if pj_file is None:
        raise PackageJsonError("package.json", "the tarball installs no package.json")
    if pj_file.size > limits.max_package_json_bytes:
        raise LimitExceeded(
            "max_package_json_bytes",
            limits.max_package_json_bytes,
            what=f"package.json ({pj_file.size} bytes)",
        )
    assert pj_file.data is not None
    doc = _jsonjs.parse(pj_file.data, path="package.json", limits=limits)
    if not isinstance(doc.value, dict):
        raise PackageJsonError(
            "package.json", f"the top level is a JSON {_json_type(doc.value)}, not an object"
        )
    pkg: dict[str, Any] = doc.value
    anomalies += _json_anomalies(doc, "package.json")

    name = pkg.get("name") if isinstance(pkg.get("name"), str) else None
    version = pkg.get("version") if isinstance(pkg.get("version"), str) else None
    for key, val in (("name", name), ("version", version)):
        if val is None:
            anomalies.append(
                Anomaly(
                    AnomalyKind.INVALID_FIELD, f'"{key}" is missing or not a string', "package.json"
                )
            )

    scripts = _scripts(pkg, reader.files, "", anomalies, "package.json")
    bins = _bins(pkg, reader.files, anomalies)
    bin_targets = {b.target for b in bins}
    files = tuple(
        File(
            path=f.path,
            size=f.size,
            mode=f.base_mode | (0o111 if f.path in bin_targets else 0),
            tar_mode=f.tar_mode,
            sha256=f.sha256,
            entry=f.entry,
            data=f.data,
            content=contents.get(f.path) if contents else None,
        )
        for f in sorted(reader.files.values(), key=lambda f: f.path)
    )
    bundle_names = _bundle_names(pkg)
    dependencies = tuple(_dependencies(pkg, bundle_names, anomalies))
    bundled = _bundled(reader.files, bundle_names, limits, anomalies)
    shrinkwrap = _shrinkwrap(reader.files, limits, anomalies)
    entries = tuple(reader.entries)
    anomalies += _path_anomalies(reader, entries)
    npm_refuses = _container_anomalies(info, reader, anomalies)
    packing = _packing(info, entries, reader)
    return Manifest(
        source=source,
        name=name,
        version=version,
        integrity="sha512-" + base64.b64encode(info.sha512.digest()).decode("ascii"),
        shasum=info.sha1.hexdigest(),
        size=info.compressed_size,
        tar_size=info.tar_size,
        compression=str(info.compression),
        files=files,
        entries=entries,
        package_json=pkg,
        scripts=scripts,
        bin=bins,
        dependencies=dependencies,
        bundled=bundled,
        shrinkwrap=shrinkwrap,
        anomalies=tuple(anomalies),
        packing=packing,
        npm_refuses=npm_refuses,
        compression_ratio=info.ratio,
        origin=origin,
    )


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _json_anomalies(doc: _jsonjs.JsonDoc, path: str) -> list[Anomaly]:
    out = []
    for d in doc.duplicates:
        where = f"{d.pointer}/{_jsonjs.pointer_escape(d.key)}"
        out.append(
            Anomaly(
                AnomalyKind.JSON_DUPLICATE_KEY,
                f"key {where!r} appears {d.count} times; npm uses the last one, many readers the "
                "first",
                path,
                subject=where,
            )
        )
    if doc.bom:
        out.append(
            Anomaly(AnomalyKind.JSON_BOM, "starts with a byte-order mark (npm strips it)", path)
        )
    if not doc.utf8:
        out.append(
            Anomaly(
                AnomalyKind.JSON_NOT_UTF8,
                "is not valid UTF-8 (npm reads invalid bytes as U+FFFD)",
                path,
            )
        )
    return out


def _scripts(
    pkg: Mapping[str, Any],
    files: Mapping[str, Any],
    prefix: str,
    anomalies: list[Anomaly],
    where: str,
) -> tuple[Script, ...]:
    raw = pkg.get("scripts")
    declared: dict[str, str] = {}
    if raw is not None and not isinstance(raw, dict):
        anomalies.append(
            Anomaly(AnomalyKind.INVALID_FIELD, '"scripts" is not an object (npm ignores it)', where)
        )
    elif isinstance(raw, dict):
        for event, command in raw.items():
            if isinstance(command, str):
                declared[event] = command
            else:
                anomalies.append(
                    Anomaly(
                        AnomalyKind.INVALID_FIELD,
                        f'"scripts.{event}" is not a string (npm drops it)',
                        where,
                    )
                )
    out: list[Script] = []
    for event, command in declared.items():
        when = (
            ScriptWhen.INSTALL
            if event in INSTALL_EVENTS
            else ScriptWhen.GIT_INSTALL
            if event in PREPARE_EVENTS
            else ScriptWhen.NEVER
        )
        out.append(Script(event, command, when))
    gyp = files.get(prefix + "binding.gyp")
    if (
        gyp is not None
        and "install" not in declared
        and "preinstall" not in declared
        and pkg.get("gypfile") is not False
    ):
        out.append(Script("install", "node-gyp rebuild", ScriptWhen.INSTALL, implicit=True))
    if "start" not in declared and files.get(prefix + "server.js") is not None:
        out.append(Script("start", "node server.js", ScriptWhen.NEVER, implicit=True))
    order = {e: i for i, e in enumerate((*INSTALL_EVENTS, *PREPARE_EVENTS))}
    out.sort(key=lambda s: (order.get(s.event, len(order)), s.event))
    return tuple(out)


_SCRIPT_FILE = re.compile(r"\.(?:c|m)?js\Z|\.(?:sh|bat|cmd|ps1|py|node|dll|so|exe)\Z", re.I)


def script_files(command: str) -> tuple[str, ...]:
    """The package files a lifecycle command runs (``node x.js``, ``sh ./x.sh``, ...).

    Words that name a file with a script or binary extension, as package-relative paths;
    URLs, variables and paths outside the package are not files of the package.
    """
    try:
        words = shlex.split(command, posix=True)
    except ValueError:
        words = command.split()
    out: list[str] = []
    for word in words:
        for part in re.split(r"[=,;]", word):
            if not _SCRIPT_FILE.search(part) or "://" in part or "$" in part or "%" in part:
                continue
            rel = _js.posix_normalize(part.replace("\\", "/"))
            if not rel.startswith(("/", "..")) and rel not in out:
                out.append(rel)
    return tuple(out)


def _unixify(ref: str) -> str:
    return ref.replace("\\", "/").replace(":", "/")


def secure_and_unixify_path(ref: str) -> str:
    """@npmcli/package-json's ``secureAndUnixifyPath``: no way out of the package."""
    secured = _unixify(_js.posix_join(".", _js.posix_join("/", _unixify(ref))))
    return "" if secured.startswith("./") else secured


def _bins(
    pkg: Mapping[str, Any], files: Mapping[str, Any], anomalies: list[Anomaly]
) -> tuple[Bin, ...]:
    raw = pkg.get("bin")
    name = pkg.get("name")
    result: dict[str, str] = {}
    directories = pkg.get("directories")
    if not raw and isinstance(directories, dict) and isinstance(directories.get("bin"), str):
        bin_path = secure_and_unixify_path(directories["bin"])
        found: set[str] = set()
        for path in files:
            if bin_path and path.startswith(bin_path + "/"):
                rel = path[len(bin_path) + 1 :]
                parts = rel.split("/")
                if any(p.startswith(".") for p in parts):
                    continue
                for i in range(1, len(parts) + 1):
                    found.add("/".join(parts[:i]))
        for rel in sorted(found):
            result[_js.posix_basename(rel)] = f"{bin_path}/{secure_and_unixify_path(rel)}"
    elif raw:
        if isinstance(raw, str) and isinstance(name, str) and name:
            raw = {name: raw}
        elif isinstance(raw, list):
            raw = {_js.posix_basename(k): k for k in raw if isinstance(k, str)}
        if isinstance(raw, dict):
            for key, value in raw.items():
                if not isinstance(value, str):
                    anomalies.append(
                        Anomaly(
                            AnomalyKind.INVALID_FIELD,
                            f'"bin.{key}" is not a string (npm drops it)',
                            "package.json",
                        )
                    )
                    continue
                base = _js.posix_basename(secure_and_unixify_path(key))
                target = secure_and_unixify_path(value)
                if not base or not target:
                    anomalies.append(
                        Anomaly(
                            AnomalyKind.INVALID_FIELD,
                            f'"bin.{key}" is invalid (npm drops it)',
                            "package.json",
                        )
                    )
                    continue
                if base != key or target != value.removeprefix("./"):
                    anomalies.append(
                        Anomaly(
                            AnomalyKind.BIN_SANITIZED,
                            f"bin {key!r} -> {value!r} is rewritten by npm to "
                            f"{base!r} -> {target!r}",
                            "package.json",
                        )
                    )
                result[base] = target
        elif raw is not None and not isinstance(raw, str):
            anomalies.append(
                Anomaly(
                    AnomalyKind.INVALID_FIELD,
                    '"bin" is neither a string nor an object',
                    "package.json",
                )
            )
    out = []
    for bname, target in result.items():
        exists = target in files
        if not exists:
            anomalies.append(
                Anomaly(
                    AnomalyKind.BIN_MISSING,
                    f"bin {bname!r} points at {target!r}, which is not in the tarball",
                    "package.json",
                )
            )
        out.append(Bin(bname, target, exists))
    return tuple(sorted(out, key=lambda b: b.name))


def _bundle_names(pkg: Mapping[str, Any]) -> tuple[str, ...]:
    """``bundleDependencies`` as npm normalises it (``bundledDependencies``, ``true``, objects)."""
    bd = pkg.get("bundleDependencies")
    if bd is None and "bundleDependencies" not in pkg:
        bd = pkg.get("bundledDependencies")
    if bd is True:
        deps = pkg.get("dependencies")
        return tuple(deps) if isinstance(deps, dict) else ()
    if isinstance(bd, dict):
        return tuple(bd)
    if isinstance(bd, list):
        return tuple(x for x in bd if isinstance(x, str))
    return ()


def _dependencies(
    pkg: Mapping[str, Any], bundle: tuple[str, ...], anomalies: list[Anomaly]
) -> Iterator[Dependency]:
    bundle_set = set(bundle)
    peer_meta = pkg.get("peerDependenciesMeta")
    for field in DEPENDENCY_FIELDS:
        deps = pkg.get(field)
        if deps is None:
            continue
        if not isinstance(deps, dict):
            anomalies.append(
                Anomaly(AnomalyKind.INVALID_FIELD, f'"{field}" is not an object', "package.json")
            )
            continue
        for dep_name, spec in deps.items():
            if not isinstance(spec, str):
                anomalies.append(
                    Anomaly(
                        AnomalyKind.INVALID_FIELD,
                        f'"{field}.{dep_name}" is not a string',
                        "package.json",
                    )
                )
                spec_value = classify(dep_name, "")
                spec_value = attrs.evolve(
                    spec_value,
                    raw=repr(spec),
                    type=SpecType.INVALID,
                    source=SourceType.INVALID,
                    error="the spec is not a string",
                )
            else:
                spec_value = classify(dep_name, spec)
            optional = field == "optionalDependencies" or (
                field == "peerDependencies"
                and isinstance(peer_meta, dict)
                and isinstance(peer_meta.get(dep_name), dict)
                and peer_meta[dep_name].get("optional") is True
            )
            yield Dependency(
                field=field,
                name=dep_name,
                spec=spec_value,
                optional=optional,
                installed_by_consumers=field != "devDependencies",
                bundled=dep_name in bundle_set and field != "devDependencies",
            )
    overrides = pkg.get("overrides")
    if isinstance(overrides, dict):
        stack: list[tuple[str, Any]] = [("", overrides)]
        while stack:
            prefix, node = stack.pop()
            for key, value in node.items():
                if isinstance(value, str):
                    target = key if key != "." else prefix.rsplit(">", 1)[-1] or key
                    yield Dependency(
                        field="overrides",
                        name=f"{prefix}{key}" if prefix else key,
                        spec=classify(_override_name(target), value),
                        optional=False,
                        installed_by_consumers=False,
                    )
                elif isinstance(value, dict):
                    stack.append((f"{prefix}{key}>", value))


def _override_name(selector: str) -> str:
    """``"foo@^1"`` → ``"foo"`` (an overrides key may carry a version selector)."""
    at = selector.find("@", 1)
    return selector[:at] if at > 0 else selector


def _bundled(
    files: Mapping[str, InstalledFile],
    bundle: tuple[str, ...],
    limits: Limits,
    anomalies: list[Anomaly],
) -> tuple[BundledPackage, ...]:
    manifests = sorted(p for p in files if _NESTED_MANIFEST.match(p))
    parsed: list[tuple[str, dict[str, Any], str | None]] = []
    for path in manifests[: limits.max_bundled_manifests]:
        f = files[path]
        pkg: Any = None
        error = None
        if f.data is None:
            error = (
                f"not parsed (over {limits.max_package_json_bytes} bytes)"
                if f.size > limits.max_package_json_bytes
                else f"not parsed (the files kept before it hold max_kept_bytes="
                f"{limits.max_kept_bytes})"
            )
        else:
            try:
                doc = _jsonjs.parse(f.data, path=path, limits=limits)
                pkg = doc.value
                anomalies.extend(_json_anomalies(doc, path))
            except (PackageJsonError, LimitExceeded) as exc:
                error = str(exc)
        if not isinstance(pkg, dict):
            error = error or "package.json is not a JSON object"
            anomalies.append(Anomaly(AnomalyKind.NESTED_MANIFEST_UNREADABLE, error, path))
            pkg = {}
        parsed.append((path[: -len("/package.json")], pkg, error))
    if len(manifests) > limits.max_bundled_manifests:
        anomalies.append(
            Anomaly(
                AnomalyKind.NESTED_MANIFEST_UNREADABLE,
                f"only the first {limits.max_bundled_manifests} of "
                f"{len(manifests)} bundled package.json files were read",
            )
        )
    # What `npm pack` bundles: the named packages and, hoisted next to them, everything they
    # depend on (transitively), so a top-level node_modules/<x> is declared when a declared
    # package depends on x.
    declared = {f"node_modules/{n}" for n in bundle}
    changed = True
    while changed:
        changed = False
        for pkg_dir, pkg, _ in parsed:
            if _top_package(pkg_dir) not in declared:
                continue
            for field in ("dependencies", "optionalDependencies", "peerDependencies"):
                deps = pkg.get(field)
                if isinstance(deps, dict):
                    for dep in deps:
                        top = f"node_modules/{dep}"
                        if top not in declared:
                            declared.add(top)
                            changed = True
    out: list[BundledPackage] = []
    present_top: set[str] = set()
    for pkg_dir, pkg, error in parsed:
        top = _top_package(pkg_dir)
        present_top.add(top)
        scripts = _scripts(pkg, files, pkg_dir + "/", anomalies, pkg_dir + "/package.json")
        out.append(
            BundledPackage(
                path=pkg_dir,
                name=pkg.get("name") if isinstance(pkg.get("name"), str) else None,
                version=pkg.get("version") if isinstance(pkg.get("version"), str) else None,
                declared=top in declared,
                scripts=tuple(s for s in scripts if s.when is ScriptWhen.INSTALL),
                error=error,
            )
        )
    for name in bundle:
        if f"node_modules/{name}" not in present_top:
            anomalies.append(
                Anomaly(
                    AnomalyKind.BUNDLED_MISSING,
                    f"bundleDependencies names {name!r} but the tarball has no "
                    f"node_modules/{name}/package.json",
                    "package.json",
                )
            )
    undeclared = sorted(
        {_top_package(p) for p in files if p.startswith("node_modules/")} - declared
    )
    for top in undeclared:
        anomalies.append(
            Anomaly(
                AnomalyKind.UNDECLARED_NODE_MODULES,
                f"{top}/ is shipped but neither named in bundleDependencies nor needed by a "
                "bundled package; npm installs it anyway and Node's require() resolves it "
                "before any real dependency",
                top,
            )
        )
    return tuple(out)


def _top_package(path: str) -> str:
    """``node_modules/@s/p/node_modules/x`` → ``node_modules/@s/p``."""
    parts = path.split("/")
    if len(parts) >= 3 and parts[1].startswith("@"):
        return "/".join(parts[:3])
    return "/".join(parts[:2])


def _shrinkwrap(
    files: Mapping[str, InstalledFile], limits: Limits, anomalies: list[Anomaly]
) -> Shrinkwrap | None:
    f = files.get("npm-shrinkwrap.json")
    if f is None:
        return None
    if f.data is None:
        anomalies.append(
            Anomaly(
                AnomalyKind.SHRINKWRAP,
                f"npm-shrinkwrap.json is over {limits.max_package_json_bytes} bytes; not parsed",
                "npm-shrinkwrap.json",
            )
        )
        return Shrinkwrap(None, ())
    try:
        doc = _jsonjs.parse(f.data, path="npm-shrinkwrap.json", limits=limits)
    except (PackageJsonError, LimitExceeded) as exc:
        anomalies.append(
            Anomaly(AnomalyKind.SHRINKWRAP, f"unreadable: {exc}", "npm-shrinkwrap.json")
        )
        return Shrinkwrap(None, ())
    data = doc.value
    if not isinstance(data, dict):
        anomalies.append(
            Anomaly(AnomalyKind.SHRINKWRAP, "not a JSON object", "npm-shrinkwrap.json")
        )
        return Shrinkwrap(None, ())
    lv = data.get("lockfileVersion")
    entries: list[ShrinkwrapEntry] = []
    packages = data.get("packages")
    if isinstance(packages, dict):
        for path, meta in packages.items():
            if path == "" or not isinstance(meta, dict):
                continue
            declared = meta.get("name")
            name = declared if isinstance(declared, str) else path.rsplit("node_modules/", 1)[-1]
            entries.append(_sw_entry(path, name, meta))
    else:
        stack: list[tuple[str, Any]] = [("", data.get("dependencies"))]
        while stack:
            prefix, deps = stack.pop()
            if not isinstance(deps, dict):
                continue
            for name, meta in deps.items():
                if not isinstance(meta, dict):
                    continue
                path = f"{prefix}node_modules/{name}"
                entries.append(_sw_entry(path, name, meta))
                stack.append((path + "/", meta.get("dependencies")))
    entries.sort(key=lambda e: e.path)
    return Shrinkwrap(
        lv if isinstance(lv, int) and not isinstance(lv, bool) else None, tuple(entries)
    )


_REGISTRY_HOSTS = ("https://registry.npmjs.org/", "https://registry.yarnpkg.com/")


def _sw_entry(path: str, name: str, meta: Mapping[str, Any]) -> ShrinkwrapEntry:
    version = meta.get("version") if isinstance(meta.get("version"), str) else None
    resolved = meta.get("resolved") if isinstance(meta.get("resolved"), str) else None
    if meta.get("link") is True:
        source = SourceType.DIRECTORY
    elif resolved and resolved.startswith(_REGISTRY_HOSTS):
        source = SourceType.REGISTRY
    elif resolved:
        source = classify(name, resolved).source
    elif version:
        source = classify(name, version).source
    else:
        source = SourceType.REGISTRY
    return ShrinkwrapEntry(
        path=path,
        name=name,
        version=version,
        resolved=resolved,
        integrity=meta.get("integrity") if isinstance(meta.get("integrity"), str) else None,
        source=source,
        has_install_script=meta.get("hasInstallScript") is True,
        dev=meta.get("dev") is True,
        optional=meta.get("optional") is True,
    )


def _path_anomalies(reader: TarReader, entries: tuple[RawEntry, ...]) -> list[Anomaly]:
    out: list[Anomaly] = []
    case_groups, unicode_groups = collisions(list(reader.files))
    for group in case_groups:
        out.append(
            Anomaly(
                AnomalyKind.CASE_COLLISION,
                "these paths are one file on case-insensitive file systems (macOS, "
                "Windows), where the last one written wins: " + ", ".join(repr(p) for p in group),
                group[-1],
            )
        )
    for group in unicode_groups:
        out.append(
            Anomaly(
                AnomalyKind.UNICODE_COLLISION,
                "these paths differ only in Unicode normalisation and are one file "
                "on macOS: " + ", ".join(repr(p) for p in group),
                group[-1],
            )
        )
    for f in reader.files.values():
        if f.base_mode & 0o7000:
            bits = [
                n
                for b, n in ((0o4000, "setuid"), (0o2000, "setgid"), (0o1000, "sticky"))
                if f.base_mode & b
            ]
            out.append(
                Anomaly(
                    AnomalyKind.SPECIAL_MODE,
                    f"installed with the {'/'.join(bits)} bit (mode "
                    f"{f.base_mode:04o}); npm passes it through",
                    f.path,
                    f.entry,
                )
            )
        if f.tar_mode & 0o002:
            out.append(
                Anomaly(
                    AnomalyKind.WORLD_WRITABLE,
                    f"world-writable in the tar header (mode {f.tar_mode:04o}); npm's "
                    "umask removes it, other extractors may not",
                    f.path,
                    f.entry,
                )
            )
    for e in entries:
        if not e.utf8 and e.status is not EntryStatus.META:
            out.append(
                Anomaly(
                    AnomalyKind.NON_UTF8_NAME,
                    "the name is not valid UTF-8; npm replaces the bad bytes with "
                    "U+FFFD, so different names can become one",
                    e.path,
                    e.index,
                )
            )
    roots = sorted(reader.roots)
    if len(roots) > 1:
        out.append(
            Anomaly(
                AnomalyKind.MULTIPLE_ROOTS,
                "entries under several top-level directories are merged into one "
                "package: " + ", ".join(repr(r) for r in roots),
            )
        )
    elif roots and roots[0] != "package":
        out.append(
            Anomaly(
                AnomalyKind.UNUSUAL_ROOT,
                f"the top-level directory is {roots[0]!r}, not 'package' (npm "
                "strips it whatever it is)",
            )
        )
    return out


def _container_anomalies(
    info: ContainerInfo, reader: TarReader, anomalies: list[Anomaly]
) -> tuple[str, ...]:
    refuses: list[str] = []
    if info.trailing is Trailing.GARBAGE:
        why = (
            f"{info.trailing_size} bytes after the end of the {info.compression} stream "
            f"that npm cannot decompress ({info.trailing_error})"
        )
        anomalies.append(Anomaly(AnomalyKind.TRAILING_DATA, why + ": npm install fails"))
        refuses.append(why)
    elif info.trailing is Trailing.ZEROS_THEN_DATA:
        anomalies.append(
            Anomaly(
                AnomalyKind.TRAILING_DATA,
                f"{info.trailing_size} bytes after the gzip stream start with "
                "zeros and then hold data: npm accepts or fails depending on how "
                "the download is chunked",
            )
        )
    elif info.trailing is Trailing.ZEROS:
        anomalies.append(
            Anomaly(
                AnomalyKind.TRAILING_DATA,
                f"{info.trailing_size} zero bytes after the gzip stream (npm accepts them)",
            )
        )
    if info.compression is not Compression.NONE:
        ratio = info.ratio
        if ratio > NPM_MAX_RATIO:
            why = (
                f"the tarball expands {ratio:.0f} times its compressed size; npm aborts over "
                f"{NPM_MAX_RATIO} (max decompression ratio exceeded)"
            )
            anomalies.append(Anomaly(AnomalyKind.COMPRESSION_RATIO, why))
            refuses.append(why)
        elif info.peak_stream_ratio > NPM_MAX_RATIO:
            anomalies.append(
                Anomaly(
                    AnomalyKind.COMPRESSION_RATIO,
                    f"the start of the stream expands {info.peak_stream_ratio:.0f} times; npm can "
                    f"abort over {NPM_MAX_RATIO} when it streams the download",
                )
            )
    if info.compression is Compression.ZSTD:
        refuses.append(
            "zstd-compressed: npm crashes on it under Node.js before 22.15 "
            "(Compression method not supported: ZstdDecompress)"
        )
        anomalies.append(
            Anomaly(
                AnomalyKind.ZSTD,
                "zstd-compressed: npm on Node.js 20 crashes "
                "on it, newer Node.js installs it; `npm pack` never writes zstd",
            )
        )
    elif info.compression is Compression.NONE:
        anomalies.append(
            Anomaly(
                AnomalyKind.UNCOMPRESSED,
                "an uncompressed tar (npm installs it; `npm pack` always gzips)",
            )
        )
    for e in reader.entries:
        if e.status is EntryStatus.UNWRITABLE:
            refuses.append(
                f"entry {e.index} ({e.path!r}) has a NUL byte in its path; Node "
                "throws while writing it"
            )
            break
    return tuple(refuses)


NPM_PACK_OWNER = "-:-::"


def _owner(e: RawEntry) -> str:
    uid = "-" if e.uid is None else str(e.uid)
    gid = "-" if e.gid is None else str(e.gid)
    return f"{uid}:{gid}:{e.uname or ''}:{e.gname or ''}"


def _packing(info: ContainerInfo, entries: tuple[RawEntry, ...], reader: TarReader) -> Packing:
    real = [
        e for e in entries if e.status not in (EntryStatus.INVALID_HEADER, EntryStatus.AFTER_EOF)
    ]
    formats = sorted({e.format for e in real})
    mtimes = sorted({e.mtime for e in real if e.mtime is not None})
    owners = sorted({_owner(e) for e in real})
    dirs = sum(1 for e in real if e.status is EntryStatus.DIRECTORY_DROPPED)
    extended = sum(1 for e in real if e.status in (EntryStatus.META, EntryStatus.META_IGNORED))
    diffs: list[str] = []
    if info.compression is not Compression.GZIP:
        diffs.append(f"compression is {info.compression}, not gzip")
    gz = info.gzip_header
    if gz is not None and (gz.mtime != 0 or gz.os != 0xFF or gz.xfl != 2 or gz.name):
        diffs.append(
            f"gzip header (mtime {gz.mtime}, OS byte {gz.os}, XFL {gz.xfl}"
            f"{', file name' if gz.name else ''}) differs from npm pack's (0, 255, 2)"
        )
    if formats and formats != ["ustar"]:
        diffs.append("tar format " + ", ".join(formats) + " (npm pack writes ustar)")
    if mtimes and mtimes != [NPM_PACK_MTIME]:
        diffs.append(f"{len(mtimes)} distinct mtimes (npm pack writes 1985-10-26T08:15:00Z)")
    if owners and owners != [NPM_PACK_OWNER]:
        diffs.append("owners " + ", ".join(owners[:3]) + " (npm pack writes no uid, gid or names)")
    if dirs:
        diffs.append(f"{dirs} directory entries (npm pack writes none)")
    if sorted(reader.roots) not in ([], ["package"]):
        diffs.append("top-level directories " + ", ".join(sorted(reader.roots)))
    if extended:
        diffs.append(f"{extended} extended (PAX/GNU) headers")
    return Packing(
        compression=str(info.compression),
        gzip=gz,
        formats=tuple(formats),
        mtimes=tuple(mtimes[:20]),
        owners=tuple(owners[:20]),
        roots=tuple(sorted(reader.roots)),
        directory_entries=dirs,
        extended_headers=extended,
        like_npm_pack=not diffs,
        differences=tuple(diffs),
    )
