"""The network side of tarlens: read packuments and tarballs from an npm registry.

Nothing else in tarlens opens a socket: :func:`tarlens.load`, :func:`tarlens.diff` and
:func:`tarlens.check` only read what they are given, and never import this module. ``tarlens
review`` uses it to find the release to compare against, download it and read the
metadata the ``REG…`` rules judge.

- **Where**: the registry URL comes from npm's configuration, with npm's precedence:
  ``npm_config_registry`` in the environment, then the project's ``.npmrc`` (in the nearest
  directory upward with a ``package.json`` or ``node_modules``), then the user's
  (``npm_config_userconfig`` or ``~/.npmrc``); ``@scope:registry=`` for scoped packages.
- **Who**: ``//host/path/:_authToken=`` bearer tokens (``${ENV}`` expanded), sent only to
  URLs under the configured ``//host/path/`` and never to a redirect target, and never
  shown in errors, reprs or logs.
- **How**: a timeout per request, retries with backoff on 5xx, 429 and connection errors
  (never on other 4xx), size caps on every response (a registry can be hostile too).
- **What**: every tarball is verified against the strongest hash the registry gives
  (``dist.integrity``, else ``dist.shasum``); a mismatch is an :class:`IntegrityError`,
  never a warning. Verified tarballs are cached on disk, content-addressed by that hash,
  written atomically and verified again when read.

>>> from tarlens.registry import Registry, RegistryConfig
>>> reg = Registry(RegistryConfig.from_environment())  # doctest: +SKIP
>>> doc = reg.packument("left-pad")  # doctest: +SKIP
>>> data = reg.tarball(doc["versions"]["1.3.0"]["dist"])  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from tarlens._errors import ConfigError, IntegrityError, RegistryError
from tarlens._limits import Limits
from tarlens._meta import DependencyMeta, PackageMeta, RegistryMeta, VersionMeta

__all__ = [
    "DEFAULT_REGISTRY",
    "DependencyMeta",
    "IntegrityError",
    "PackageMeta",
    "Registry",
    "RegistryConfig",
    "RegistryError",
    "RegistryMeta",
    "TarballCache",
    "VersionMeta",
    "cache_key",
    "default_cache_dir",
    "dependency_meta",
    "display_url",
    "nerf_dart",
    "parse_npmrc",
    "verify",
]


def __dir__() -> list[str]:
    return __all__


DEFAULT_REGISTRY = "https://registry.npmjs.org/"
#: the full packument: the abbreviated one lacks time, maintainers and _npmUser
FULL_PACKUMENT = "application/json"
#: big real packuments (typescript, aws-sdk) are tens of MiB; a hostile one is refused
MAX_PACKUMENT_BYTES = 200 * 1024 * 1024
#: strongest first (npm's ssri picks the same way)
_ALGORITHMS = ("sha512", "sha384", "sha256", "sha1")
_ENV_REF = re.compile(r"(?<!\\)\$\{([^${}?]+)(\?)?\}")
_CHUNK = 1024 * 1024


# -- configuration -----------------------------------------------------------------------


def parse_npmrc(text: str, env: Mapping[str, str], *, source: str = ".npmrc") -> dict[str, str]:
    """``key=value`` lines of an ``.npmrc`` with ``${VAR}`` expanded like npm does
    (``${VAR?}`` is empty when unset; an unset ``${VAR}`` is an error, as in npm)."""

    def expand(value: str) -> str:
        def one(m: re.Match[str]) -> str:
            name, optional = m.group(1), m.group(2)
            if name in env:
                return env[name]
            if optional:
                return ""
            raise ConfigError(source, f"${{{name}}} is used but not set in the environment")

        return _ENV_REF.sub(one, value)

    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[expand(key.strip())] = expand(value)
    return out


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def nerf_dart(url: str) -> str:
    """npm's key for credentials: ``//host[:port]/directory/`` of a URL (no scheme, no
    user info, no query, the last path segment dropped unless the path ends in ``/``)."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    default = {"https": 443, "http": 80}.get(parts.scheme)
    if parts.port is not None and parts.port != default:
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    if not path.endswith("/"):
        path = path.rsplit("/", 1)[0] + "/"
    return f"//{host}{path}"


def display_url(url: str) -> str:
    """A URL as errors show it: without user info and query (they may hold credentials)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$TARLENS_CACHE_DIR``, else ``$XDG_CACHE_HOME/tarlens``, else ``~/.cache/tarlens``."""
    env = os.environ if env is None else env
    if env.get("TARLENS_CACHE_DIR"):
        return Path(env["TARLENS_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "tarlens"
    return Path.home() / ".cache" / "tarlens"


def _project_dir(cwd: Path) -> Path:
    """npm's local prefix: the nearest directory upward with package.json or node_modules."""
    for d in (cwd, *cwd.parents):
        if (d / "package.json").is_file() or (d / "node_modules").is_dir():
            return d
    return cwd


@attrs.frozen(kw_only=True)
class RegistryConfig:
    """Where packages come from and how they are fetched (see :meth:`from_environment`)."""

    registry: str = DEFAULT_REGISTRY
    #: ``@scope`` -> registry URL
    scopes: Mapping[str, str] = attrs.field(factory=dict)
    #: nerf-dart (``//host/path/``) -> bearer token; never shown
    tokens: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    timeout: float = 30.0
    #: further attempts after a 5xx, 429 or connection error
    retries: int = 2
    #: where verified tarballs are kept (``None``: no cache)
    cache_dir: Path | None = None
    max_packument_bytes: int = MAX_PACKUMENT_BYTES
    max_tarball_bytes: int = Limits().max_input_bytes

    @classmethod
    def from_environment(
        cls,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        home: Path | None = None,
        registry: str | None = None,
        **overrides: Any,
    ) -> RegistryConfig:
        """npm's configuration, read like npm reads it: the user's ``.npmrc`` (or
        ``npm_config_userconfig``), overridden by the project's ``.npmrc``, overridden by
        ``npm_config_*`` environment variables, overridden by ``registry``."""
        env = dict(os.environ if env is None else env)
        cwd = cwd or Path.cwd()
        home = home or Path.home()
        npm_env = {
            k[len("npm_config_") :]: v
            for k, v in env.items()
            if k.lower().startswith("npm_config_")
        }
        npm_env = {k.lower() if not k.startswith("//") else k: v for k, v in npm_env.items()}
        userconfig = Path(npm_env.get("userconfig") or home / ".npmrc").expanduser()
        layers: list[dict[str, str]] = []
        for path in (userconfig, _project_dir(cwd) / ".npmrc"):
            if path.is_file() and (not layers or path != userconfig):
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except OSError as exc:
                    raise ConfigError(str(path), f"cannot read it: {exc.strerror}") from None
                layers.append(parse_npmrc(text, env, source=str(path)))
        layers.append(npm_env)
        merged: dict[str, str] = {}
        for layer in layers:
            merged.update(layer)
        if registry:
            merged["registry"] = registry
        scopes = {
            k.split(":", 1)[0]: _with_slash(v)
            for k, v in merged.items()
            if k.startswith("@") and k.endswith(":registry") and v
        }
        tokens = {
            k[: -len(":_authToken")]: v
            for k, v in merged.items()
            if k.startswith("//") and k.endswith(":_authToken") and v
        }
        base = _with_slash(merged.get("registry") or DEFAULT_REGISTRY)
        if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
            raise ConfigError("registry", f"{display_url(base)!r} is not an http(s) URL")
        return cls(registry=base, scopes=scopes, tokens=tokens, **overrides)

    def registry_for(self, name: str) -> str:
        """The registry a package comes from (its scope's, else the default)."""
        if name.startswith("@") and "/" in name:
            return self.scopes.get(name.split("/", 1)[0], self.registry)
        return self.registry

    def token_for(self, url: str) -> str | None:
        """The token configured for ``url``'s ``//host/path/`` or a parent path of it on
        the same host; ``None`` for any other host (a token never leaves its registry)."""
        key = nerf_dart(url)
        while True:
            if key in self.tokens:
                return self.tokens[key]
            head, _, _ = key.rstrip("/").rpartition("/")
            if not head or head == "/":
                return None
            key = head + "/"


# -- verification and cache ---------------------------------------------------------------


def _strongest(integrity: str | None) -> tuple[str, bytes] | None:
    """The strongest hash of a Subresource Integrity string: (algorithm, digest)."""
    found: dict[str, bytes] = {}
    for token in (integrity or "").split():
        alg, sep, rest = token.partition("-")
        if not sep or alg not in _ALGORITHMS:
            continue
        try:
            found.setdefault(alg, base64.b64decode(rest.split("?", 1)[0], validate=True))
        except ValueError:
            continue
    for alg in _ALGORITHMS:
        if alg in found:
            return alg, found[alg]
    return None


def cache_key(integrity: str | None, shasum: str | None) -> str | None:
    """``<algorithm>-<hex>`` of the strongest hash given, or ``None``."""
    strongest = _strongest(integrity)
    if strongest is None and shasum and re.fullmatch(r"[0-9a-fA-F]{40}", shasum):
        strongest = ("sha1", bytes.fromhex(shasum))
    return None if strongest is None else f"{strongest[0]}-{strongest[1].hex()}"


def verify(data: bytes, *, integrity: str | None, shasum: str | None, what: str) -> str:
    """Check ``data`` against the strongest hash given (``integrity``, else the sha1 hex
    ``shasum``); return ``"<algorithm>-<hex>"``, the cache key. Raises
    :class:`IntegrityError` on a mismatch or when there is nothing to check against."""
    key = cache_key(integrity, shasum)
    if key is None:
        raise IntegrityError(
            what, "a dist.integrity or dist.shasum", "neither", hint="refusing unverifiable bytes"
        )
    alg, _, hexdigest = key.partition("-")
    digest = bytes.fromhex(hexdigest)
    actual = hashlib.new(alg, data).digest()
    if not hmac.compare_digest(actual, digest):
        raise IntegrityError(
            what,
            f"{alg}-{base64.b64encode(digest).decode()}",
            f"{alg}-{base64.b64encode(actual).decode()}",
            hint="the bytes are not the ones the registry describes; refused",
        )
    return key


@attrs.frozen
class TarballCache:
    """Verified tarballs on disk, one file per content hash (``tarballs/<alg>-<hex>.tgz``).

    A file is written to a temporary name and renamed into place, so a reader never sees
    half a tarball; it is verified again on every read, and removed when it no longer
    matches (a bad disk or a meddler turns into a cache miss, never into trusted bytes).
    """

    root: Path

    def _path(self, key: str) -> Path:
        if not re.fullmatch(r"(?:sha512|sha384|sha256|sha1)-[0-9a-f]+", key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.root / "tarballs" / f"{key}.tgz"

    def get(self, *, integrity: str | None, shasum: str | None, what: str) -> bytes | None:
        key = cache_key(integrity, shasum)
        if key is None:
            return None
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            verify(data, integrity=integrity, shasum=shasum, what=what)
        except IntegrityError:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return data

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".tgz")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            return  # a cache that cannot be written is no cache, not an error


# -- HTTP ---------------------------------------------------------------------------------


class _NoUnsafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s); the Authorization header is added as an
    unredirected header, so it never follows a redirect anywhere."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            raise RegistryError(display_url(req.full_url), "redirected to a non-http(s) URL")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


class Registry:
    """Packuments and verified tarballs from the registry (see the module docstring).

    ``sleep`` is how the client waits between retries (tests pass a recorder)."""

    def __init__(
        self,
        config: RegistryConfig | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config or RegistryConfig.from_environment()
        self._sleep = sleep
        self._opener = urllib.request.build_opener(_NoUnsafeRedirects())
        self.cache = TarballCache(self.config.cache_dir) if self.config.cache_dir else None

    def __repr__(self) -> str:
        return f"Registry({display_url(self.config.registry)!r})"

    def packument_url(self, name: str) -> str:
        # npm escapes the slash of a scoped name: @scope%2fname
        escaped = urllib.parse.quote(name, safe="@").replace("%2F", "%2f")
        return self.config.registry_for(name) + escaped

    def packument(self, name: str) -> dict[str, Any]:
        """The full packument of ``name`` (``RegistryError`` with ``status=404`` when the
        registry has no such package)."""
        url = self.packument_url(name)
        body = self._get(url, FULL_PACKUMENT, self.config.max_packument_bytes)
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            raise RegistryError(display_url(url), "the answer is not JSON") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("versions", {}), dict):
            raise RegistryError(display_url(url), "the answer is not a packument")
        return doc

    def package(self, name: str) -> PackageMeta:
        return PackageMeta.from_packument(self.packument(name))

    def tarball(self, dist: Mapping[str, Any] | VersionMeta, *, what: str = "") -> bytes:
        """The tarball a version's ``dist`` describes, verified against its ``integrity``
        (else ``shasum``); from the cache when it holds the same bytes."""
        if isinstance(dist, VersionMeta):
            url, integrity, shasum = dist.tarball, dist.integrity, dist.shasum
        else:
            url, integrity, shasum = (
                dist.get(k) if isinstance(dist.get(k), str) else None
                for k in ("tarball", "integrity", "shasum")
            )
        what = what or (display_url(url) if url else "tarball")
        if self.cache is not None:
            cached = self.cache.get(integrity=integrity, shasum=shasum, what=what)
            if cached is not None:
                return cached
        if not url or urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise RegistryError(what, "dist.tarball is missing or not an http(s) URL")
        if cache_key(integrity, shasum) is None:  # refuse before downloading, not after
            raise IntegrityError(
                what,
                "a dist.integrity or dist.shasum",
                "neither",
                hint="refusing unverifiable bytes",
            )
        data = self._get(url, "application/octet-stream", self.config.max_tarball_bytes)
        key = verify(data, integrity=integrity, shasum=shasum, what=what)
        if self.cache is not None:
            self.cache.put(key, data)
        return data

    def _get(self, url: str, accept: str, cap: int) -> bytes:
        shown = display_url(url)
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise RegistryError(shown, "not an http(s) URL")
        attempts = 1 + max(self.config.retries, 0)
        last = ""
        for attempt in range(attempts):
            if attempt:
                self._sleep(min(0.5 * 2 ** (attempt - 1), 8.0))
            # S310: every URL here was checked to be http(s) (registry config, dist.tarball)
            req = urllib.request.Request(  # noqa: S310
                url, headers={"Accept": accept, "User-Agent": _AGENT}
            )
            token = self.config.token_for(url)
            if token:
                req.add_unredirected_header("Authorization", f"Bearer {token}")
            try:
                with self._opener.open(req, timeout=self.config.timeout) as resp:
                    return _read_capped(resp, cap, shown)
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code >= 500 or exc.code == 429:
                    last = f"HTTP {exc.code}"
                    continue
                raise RegistryError(
                    shown, _http_reason(exc.code, token, url), status=exc.code
                ) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = _reason(exc)
                continue
        raise RegistryError(
            shown,
            f"cannot reach it ({last}, {attempts} attempts); check the network and the "
            "registry setting, or compare against a local file with --against OLD.tgz",
        )


_AGENT = "tarlens (+https://github.com/tarlens)"


def _http_reason(code: int, token: str | None, url: str) -> str:
    if code in (401, 403):
        if token:
            return f"HTTP {code}: the token configured for {nerf_dart(url)} was refused"
        return (
            f"HTTP {code}: authentication required; configure a token as "
            f"{nerf_dart(url)}:_authToken=... in .npmrc"
        )
    if code == 404:
        return "HTTP 404: not found"
    return f"HTTP {code}"


def _read_capped(resp: Any, cap: int, shown: str) -> bytes:
    length = resp.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > cap:
        raise RegistryError(shown, f"the answer is {length} bytes, over the limit of {cap}")
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = resp.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > cap:
            raise RegistryError(shown, f"the answer exceeds the limit of {cap} bytes")
        chunks.append(chunk)


def dependency_meta(registry: Registry, name: str, spec: str) -> DependencyMeta:
    """What the registry says about a dependency (a missing package is recorded, not
    raised: that a new dependency does not exist is itself worth seeing)."""
    try:
        doc = registry.packument(name)
    except RegistryError as exc:
        if exc.status == 404:
            return DependencyMeta(name, spec, None, None, missing=True)
        raise
    return DependencyMeta.from_packument(name, spec, doc)
