"""tarlens.registry against a real HTTP server on loopback: npm's configuration, tokens that
stay with their host, retries, integrity, the cache and the error lines when offline."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import tarlens
from tarlens._errors import ConfigError, IntegrityError, RegistryError
from tarlens.registry import (
    DEFAULT_REGISTRY,
    Registry,
    RegistryConfig,
    TarballCache,
    default_cache_dir,
    nerf_dart,
    parse_npmrc,
    verify,
)
from tests.fakeregistry import FakeRegistry, closed_port, greeter, integrity

NAME = "@example/greeter"


@pytest.fixture
def reg() -> Iterator[FakeRegistry]:
    with FakeRegistry().running() as r:
        yield r


def config(tmp_path: Path, env: dict[str, str] | None = None, **kw: object) -> RegistryConfig:
    return RegistryConfig.from_environment(env=env or {}, cwd=tmp_path, home=tmp_path, **kw)  # type: ignore[arg-type]


def client(r: FakeRegistry, tmp_path: Path, **kw: object) -> tuple[Registry, list[float]]:
    slept: list[float] = []
    cfg = config(tmp_path, {"npm_config_registry": r.url}, **kw)
    return Registry(cfg, sleep=slept.append), slept


# -- configuration ----------------------------------------------------------------------


def test_registry_precedence_is_npms(tmp_path: Path) -> None:
    home, project = tmp_path / "home", tmp_path / "proj"
    (project / "sub").mkdir(parents=True)
    home.mkdir()
    (project / "package.json").write_text("{}")
    assert config(home).registry == DEFAULT_REGISTRY
    (home / ".npmrc").write_text("registry=https://user.example/\n@a:registry=https://a.example\n")
    cfg = RegistryConfig.from_environment(env={}, cwd=project / "sub", home=home)
    assert cfg.registry == "https://user.example/"
    assert cfg.registry_for("@a/x") == "https://a.example/"
    assert cfg.registry_for("x") == "https://user.example/"
    (project / ".npmrc").write_text("registry = https://project.example/\n")
    cfg = RegistryConfig.from_environment(env={}, cwd=project / "sub", home=home)
    assert cfg.registry == "https://project.example/"
    env = {"npm_config_registry": "https://env.example"}
    cfg = RegistryConfig.from_environment(env=env, cwd=project / "sub", home=home)
    assert cfg.registry == "https://env.example/"
    cfg = RegistryConfig.from_environment(
        env=env, cwd=project, home=home, registry="https://flag.example/"
    )
    assert cfg.registry == "https://flag.example/"


def test_userconfig_and_env_expansion(tmp_path: Path) -> None:
    rc = tmp_path / "elsewhere.npmrc"
    rc.write_text(
        "; comment\n# comment\n//npm.example/:_authToken=${NPM_TOKEN}\n"
        '//other.example/r/:_authToken="${MISSING?}"\nregistry=https://npm.example/\n'
    )
    env = {"NPM_CONFIG_USERCONFIG": str(rc), "NPM_TOKEN": "s3cret"}
    cfg = config(tmp_path, env)
    assert cfg.registry == "https://npm.example/"
    assert cfg.token_for("https://npm.example/@a%2fb") == "s3cret"
    assert cfg.token_for("https://npm.example/a/-/a-1.0.0.tgz") == "s3cret"
    assert cfg.token_for("https://other.example/r/x") is None  # ${MISSING?} is empty
    assert "s3cret" not in repr(cfg)
    with pytest.raises(ConfigError, match=r"\$\{NPM_TOKEN\} is used but not set"):
        config(tmp_path, {"NPM_CONFIG_USERCONFIG": str(rc)})


def test_tokens_never_leave_their_host_or_path() -> None:
    tokens = {"//reg.example/": "t1", "//corp.example/npm/": "t2", "//h.example:8443/": "t3"}
    cfg = RegistryConfig(tokens=tokens)
    assert cfg.token_for("https://reg.example/x/-/x-1.tgz") == "t1"
    assert cfg.token_for("https://evil.example/reg.example/") is None
    assert cfg.token_for("https://reg.example.evil.example/x") is None
    assert cfg.token_for("https://corp.example/npm/x") == "t2"
    assert cfg.token_for("https://corp.example/other/x") is None
    assert cfg.token_for("https://h.example:8443/x") == "t3"
    assert cfg.token_for("https://h.example/x") is None
    assert nerf_dart("https://user:pw@H.example:443/a/b?q=1") == "//h.example/a/"


def test_npmrc_lines() -> None:
    assert parse_npmrc("a=1\n  b = 'two'  \nnot a pair\n", {}) == {"a": "1", "b": "two"}


def test_cache_dir_defaults(tmp_path: Path) -> None:
    assert default_cache_dir({"TARLENS_CACHE_DIR": "/c"}) == Path("/c")
    assert default_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/tarlens")
    assert default_cache_dir({}) == Path.home() / ".cache" / "tarlens"


def test_a_non_http_registry_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not an http"):
        config(tmp_path, {"npm_config_registry": "file:///etc/"})


# -- verification -------------------------------------------------------------------------


def test_verify_picks_the_strongest_hash() -> None:
    data = b"bytes"
    sha1 = hashlib.sha1(data).hexdigest()  # noqa: S324 - npm's dist.shasum
    assert verify(data, integrity=integrity(data), shasum="0" * 40, what="x").startswith("sha512-")
    assert verify(data, integrity=None, shasum=sha1, what="x") == f"sha1-{sha1}"
    # a wrong sha1 next to a right sha512: the sha512 decides
    mixed = f"sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA= {integrity(data)}"
    assert verify(data, integrity=mixed, shasum=None, what="x").startswith("sha512-")
    with pytest.raises(IntegrityError, match="refused"):
        verify(b"other", integrity=integrity(data), shasum=sha1, what="x")
    with pytest.raises(IntegrityError, match="neither"):
        verify(data, integrity="md5-xyz", shasum=None, what="x")


# -- HTTP ---------------------------------------------------------------------------------


def test_packument_and_verified_tarball(reg: FakeRegistry, tmp_path: Path) -> None:
    data = greeter("1.4.0")
    reg.publish(NAME, "1.4.0", data)
    registry, _ = client(reg, tmp_path)
    doc = registry.packument(NAME)
    assert doc["dist-tags"]["latest"] == "1.4.0"
    path, headers = reg.requests[0]
    assert path == NAME
    assert reg.requests[0][0] == "@example/greeter"
    assert headers["Accept"] == "application/json"  # the full packument, not the abbreviated
    assert "Authorization" not in headers
    got = registry.tarball(doc["versions"]["1.4.0"]["dist"])
    assert got == data
    assert tarlens.load(got).integrity == doc["versions"]["1.4.0"]["dist"]["integrity"]


def test_a_tampered_tarball_is_refused(reg: FakeRegistry, tmp_path: Path) -> None:
    reg.publish(NAME, "1.4.0", greeter("1.4.0"), served=greeter("1.4.0", scripts={"x": "y"}))
    registry, _ = client(reg, tmp_path, cache_dir=tmp_path / "cache")
    dist = registry.packument(NAME)["versions"]["1.4.0"]["dist"]
    with pytest.raises(IntegrityError, match="not the ones the registry describes"):
        registry.tarball(dist)
    assert not list((tmp_path / "cache").rglob("*.tgz"))  # nothing unverified is cached


def test_5xx_is_retried_then_succeeds(reg: FakeRegistry, tmp_path: Path) -> None:
    reg.publish(NAME, "1.4.0", greeter("1.4.0"))
    reg.fail[NAME] = [503, 502]
    registry, slept = client(reg, tmp_path)
    assert registry.packument(NAME)["name"] == NAME
    assert [p for p, _ in reg.requests] == [NAME] * 3
    assert len(slept) == 2
    assert slept[0] < slept[1]  # backoff grows


def test_5xx_gives_up_after_the_retries(reg: FakeRegistry, tmp_path: Path) -> None:
    reg.fail[NAME] = [500] * 10
    registry, _ = client(reg, tmp_path, retries=1)
    with pytest.raises(RegistryError, match=r"HTTP 500, 2 attempts"):
        registry.packument(NAME)


def test_4xx_is_not_retried(reg: FakeRegistry, tmp_path: Path) -> None:
    registry, slept = client(reg, tmp_path)
    with pytest.raises(RegistryError) as info:
        registry.packument("absent")
    assert info.value.status == 404
    assert len(reg.requests) == 1
    assert slept == []


def test_401_without_a_token_says_how_to_configure_one(reg: FakeRegistry, tmp_path: Path) -> None:
    reg.token = "t0ken"  # noqa: S105 - a test token
    registry, _ = client(reg, tmp_path)
    with pytest.raises(RegistryError, match=r"HTTP 401: authentication required.*_authToken"):
        registry.packument(NAME)
    assert len(reg.requests) == 1


def test_token_goes_to_its_registry_only(tmp_path: Path) -> None:
    with FakeRegistry().running() as private, FakeRegistry().running() as cdn:
        data = greeter("1.4.0")
        # the packument on the private registry points its tarball at another host
        private.publish(NAME, "1.4.0", data, tarball_base=cdn.url)
        cdn.files.update(private.files)
        private.token = "s3cret-token"  # noqa: S105 - a test token
        port = private.url.split(":")[-1].rstrip("/")
        env = {
            "npm_config_registry": private.url,
            f"npm_config_//127.0.0.1:{port}/:_authToken": "s3cret-token",
        }
        registry = Registry(config(tmp_path, env), sleep=lambda _s: None)
        doc = registry.packument(NAME)
        assert private.requests[0][1]["Authorization"] == "Bearer s3cret-token"
        assert registry.tarball(doc["versions"]["1.4.0"]["dist"]) == data
        assert cdn.requests
        assert all("Authorization" not in h for _, h in cdn.requests)
        private.token = "another"  # noqa: S105 - a test token
        with pytest.raises(RegistryError, match=r"token configured for //127\.0\.0\.1") as info:
            registry.packument(NAME)
        assert "s3cret" not in str(info.value)


def test_offline_is_one_clear_error(tmp_path: Path) -> None:
    url = closed_port()
    registry = Registry(config(tmp_path, {"npm_config_registry": url}), sleep=lambda _s: None)
    with pytest.raises(RegistryError) as info:
        registry.packument(NAME)
    message = str(info.value)
    assert "\n" not in message
    assert "cannot reach it" in message
    assert "--against OLD.tgz" in message


def test_response_size_is_capped(reg: FakeRegistry, tmp_path: Path) -> None:
    reg.publish(NAME, "1.4.0", greeter("1.4.0"))
    registry, _ = client(reg, tmp_path, max_packument_bytes=100)
    with pytest.raises(RegistryError, match="over the limit of 100"):
        registry.packument(NAME)


def test_cache_hit_needs_no_network(tmp_path: Path) -> None:
    data = greeter("1.4.0")
    cache = tmp_path / "cache"
    with FakeRegistry().running() as reg:
        reg.publish(NAME, "1.4.0", data)
        registry, _ = client(reg, tmp_path, cache_dir=cache)
        dist = registry.packument(NAME)["versions"]["1.4.0"]["dist"]
        assert registry.tarball(dist) == data
    # the server is gone: the verified copy is used
    offline = Registry(
        config(tmp_path, {"npm_config_registry": closed_port()}, cache_dir=cache),
        sleep=lambda _s: None,
    )
    assert offline.tarball(dist) == data
    (stored,) = (cache / "tarballs").glob("sha512-*.tgz")
    assert stored.read_bytes() == data
    assert not [p for p in stored.parent.iterdir() if p.name.startswith(".tmp-")]
    # a cached copy gone bad is dropped and fetched again (here: nothing to fetch from)
    stored.write_bytes(b"evil")
    with pytest.raises(RegistryError, match="cannot reach"):
        offline.tarball(dist)
    assert not stored.exists()


def test_cache_ignores_unsafe_keys(tmp_path: Path) -> None:
    cache = TarballCache(tmp_path)
    assert cache.get(integrity=None, shasum=None, what="x") is None
    with pytest.raises(ValueError, match="not a cache key"):
        cache.put("../../etc/passwd", b"")


def test_tarball_urls_must_be_http(reg: FakeRegistry, tmp_path: Path) -> None:
    registry, _ = client(reg, tmp_path)
    dist = {"tarball": "file:///etc/passwd", "integrity": integrity(b"")}
    with pytest.raises(RegistryError, match="not an http"):
        registry.tarball(dist)


@pytest.mark.registry
@pytest.mark.skipif(
    os.environ.get("TARLENS_REGISTRY_TESTS") != "1",
    reason="set TARLENS_REGISTRY_TESTS=1 to fetch from the public registry",
)
def test_public_registry(tmp_path: Path) -> None:
    registry = Registry(RegistryConfig(cache_dir=tmp_path))
    doc = registry.packument("left-pad")
    dist = doc["versions"]["1.3.0"]["dist"]
    data = registry.tarball(dist)
    assert tarlens.load(data).integrity == dist["integrity"]
    meta = registry.package("left-pad").versions["1.3.0"]
    assert meta.published is not None  # the full packument: it has times
    assert meta.maintainers
