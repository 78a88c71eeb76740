"""Project configuration: rule selection, severity overrides, path allowlists, the
install-source policy and the suppression baseline.

A project keeps it in ``[tool.tarlens]`` of its ``pyproject.toml`` or in ``tarlens.toml``
(top level); the CLI flags and the Python arguments of :func:`tarlens.check` say the same
things. Reading a file is the caller's explicit act (:func:`load_config`,
:meth:`Baseline.from_file`); everything else here is pure.

.. code-block:: toml

    [tool.tarlens]
    fail-on = "high"
    ignore = ["ARC029"]
    severity = { install-script = "info" }          # by rule id or name
    allow = { "ARC006" = ["bin/helper"], "*" = ["test/fixtures/**"] }
    policy = "npm12"                                 # or { allow-git = "none", ... }
    baseline = "tarlens-baseline.json"
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from tarlens._errors import ConfigError, InputError

if TYPE_CHECKING:
    import pathspec

__all__: list[str] = []  # private module; re-exported by tarlens

_SEVERITY_NAMES = ("info", "low", "medium", "high", "critical")


class Allow(enum.StrEnum):
    """npm 11.15+ ``--allow-git``/``--allow-remote``/``--allow-file``/``--allow-directory``."""

    ALL = "all"
    NONE = "none"
    #: only specs in the project's own package.json; a published package's specs are its
    #: consumers' dependencies' specs, so ``root`` blocks them
    ROOT = "root"


@attrs.frozen(kw_only=True)
class Policy:
    """Which dependency sources npm may install, mirroring npm's install-source controls."""

    allow_git: Allow = Allow.ALL
    allow_remote: Allow = Allow.ALL
    allow_file: Allow = Allow.ALL
    allow_directory: Allow = Allow.ALL

    @classmethod
    def npm11(cls) -> Policy:
        """npm 11's defaults: everything allowed."""
        return cls()

    @classmethod
    def npm12(cls) -> Policy:
        """npm 12's defaults: git and remote tarball specs refused."""
        return cls(allow_git=Allow.NONE, allow_remote=Allow.NONE)

    def allows(self, source: str) -> bool:
        """Whether a *dependency's* spec of this source type is installed for a consumer."""
        setting = {
            "git": self.allow_git,
            "remote": self.allow_remote,
            "file": self.allow_file,
            "directory": self.allow_directory,
        }.get(source)
        return setting is None or setting is Allow.ALL


@attrs.frozen
class Suppression:
    rule: str
    path: str | None
    fingerprint: str
    reason: str
    expires: dt.date | None = None


@attrs.frozen
class Baseline:
    """Accepted findings, keyed by rule, path and the content they concern.

    A suppressed finding comes back the moment the file it concerns changes (its
    fingerprint changes) or the suppression expires.
    """

    suppressions: tuple[Suppression, ...] = ()

    @classmethod
    def from_json(cls, text: str, *, source: str = "baseline") -> Baseline:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(source, f"not valid JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("tarlens_baseline") != 1:
            raise ConfigError(source, 'not a tarlens baseline (expected "tarlens_baseline": 1)')
        items = data.get("suppressions", [])
        if not isinstance(items, list):
            raise ConfigError(f"{source}: suppressions", "must be a list")
        out = []
        for i, item in enumerate(items):
            where = f"{source}: suppressions[{i}]"
            if not isinstance(item, dict):
                raise ConfigError(where, "must be an object")
            unknown = set(item) - {"rule", "path", "fingerprint", "reason", "expires"}
            if unknown:
                raise ConfigError(f"{where}.{sorted(unknown)[0]}", "unknown key")
            for key in ("rule", "fingerprint", "reason"):
                if not isinstance(item.get(key), str) or not item[key]:
                    raise ConfigError(f"{where}.{key}", "must be a non-empty string")
            expires = item.get("expires")
            try:
                when = dt.date.fromisoformat(expires) if expires is not None else None
            except (TypeError, ValueError):
                raise ConfigError(f"{where}.expires", "must be a date like 2027-01-31") from None
            path = item.get("path")
            if path is not None and not isinstance(path, str):
                raise ConfigError(f"{where}.path", "must be a string or null")
            out.append(Suppression(item["rule"], path, item["fingerprint"], item["reason"], when))
        return cls(tuple(out))

    @classmethod
    def from_file(cls, path: str | Path) -> Baseline:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(str(path), exc.strerror or str(exc)) from None
        return cls.from_json(text, source=str(path))

    def to_json(self) -> str:
        items = [
            {
                "rule": s.rule,
                "path": s.path,
                "fingerprint": s.fingerprint,
                "reason": s.reason,
                **({"expires": s.expires.isoformat()} if s.expires else {}),
            }
            for s in sorted(self.suppressions, key=lambda s: (s.rule, s.path or "", s.fingerprint))
        ]
        return json.dumps({"tarlens_baseline": 1, "suppressions": items}, indent=2) + "\n"

    def match(self, rule_id: str, fingerprint: str, today: dt.date) -> Suppression | None:
        for s in self.suppressions:
            if s.rule == rule_id and s.fingerprint == fingerprint:
                if s.expires is not None and s.expires < today:
                    return None
                return s
        return None


def fingerprint(rule_id: str, path: str | None, content: str) -> str:
    """Stable identity of a finding: its rule, its path and what it concerns (the file's
    sha256 for installed files, the finding's message otherwise)."""
    raw = "\0".join((rule_id, path or "", content)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()[:32]


@attrs.frozen(kw_only=True)
class Config:
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    #: rule id or name -> severity name
    severity: Mapping[str, str] = attrs.field(factory=dict)
    #: rule id or name (or "*") -> gitignore-style patterns of paths whose findings are dropped
    allow: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    policy: Policy = attrs.field(factory=Policy)
    baseline: Baseline | None = None
    fail_on: str = "high"

    def allowed(self, rule_id: str, rule_name: str, path: str | None) -> bool:
        if path is None:
            return False
        for key in (rule_id, rule_name, "*"):
            patterns = self.allow.get(key)
            if patterns and _spec(patterns).match_file(path):
                return True
        return False


@functools.lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    import pathspec  # noqa: PLC0415 - only projects with allowlists need it (10 ms to import)

    return pathspec.GitIgnoreSpec.from_lines(patterns)


def _spec(patterns: Sequence[str]) -> pathspec.GitIgnoreSpec:
    return _compiled(tuple(patterns))


_KEYS = {"select", "ignore", "severity", "allow", "policy", "baseline", "fail-on"}
_POLICY_KEYS = {"allow-git", "allow-remote", "allow-file", "allow-directory"}


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(key, "must be a list of strings")
    return tuple(value)


def parse_policy(value: Any, key: str = "policy") -> Policy:
    if value in ("npm11", "npm-11"):
        return Policy.npm11()
    if value in ("npm12", "npm-12"):
        return Policy.npm12()
    if not isinstance(value, dict):
        raise ConfigError(key, 'must be "npm11", "npm12" or a table of allow-* settings')
    fields: dict[str, Allow] = {}
    for k, v in value.items():
        if k not in _POLICY_KEYS:
            raise ConfigError(f"{key}.{k}", f"unknown key (expected one of {sorted(_POLICY_KEYS)})")
        try:
            fields[k.replace("-", "_")] = Allow(v)
        except ValueError:
            raise ConfigError(f"{key}.{k}", f"{v!r} is not one of all, none, root") from None
    return Policy(**fields)


def config_from_mapping(
    data: Mapping[str, Any], *, base_dir: Path | None = None, source: str = "configuration"
) -> Config:
    """Validate a ``[tool.tarlens]`` table. A bad value is a :class:`ConfigError` naming it."""
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(sorted(unknown)[0], f"unknown key in {source}")
    kwargs: dict[str, Any] = {}
    if "select" in data:
        kwargs["select"] = _strings(data["select"], "select")
    if "ignore" in data:
        kwargs["ignore"] = _strings(data["ignore"], "ignore")
    if "fail-on" in data:
        if data["fail-on"] not in (*_SEVERITY_NAMES, "none"):
            raise ConfigError("fail-on", f"must be one of {', '.join(_SEVERITY_NAMES)}, none")
        kwargs["fail_on"] = data["fail-on"]
    if "severity" in data:
        table = data["severity"]
        if not isinstance(table, dict):
            raise ConfigError("severity", "must be a table of rule = severity")
        for rule_key, level in table.items():
            if level not in _SEVERITY_NAMES:
                raise ConfigError(f"severity.{rule_key}", f"{level!r} is not a severity")
        kwargs["severity"] = dict(table)
    if "allow" in data:
        table = data["allow"]
        if not isinstance(table, dict):
            raise ConfigError("allow", "must be a table of rule = [patterns]")
        allow = {k: _strings(v, f"allow.{k}") for k, v in table.items()}
        for k, patterns in allow.items():
            try:
                _spec(patterns)
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"allow.{k}", f"invalid pattern ({exc})") from None
        kwargs["allow"] = allow
    if "policy" in data:
        kwargs["policy"] = parse_policy(data["policy"])
    if "baseline" in data:
        if not isinstance(data["baseline"], str):
            raise ConfigError("baseline", "must be a path")
        path = Path(data["baseline"])
        kwargs["baseline"] = Baseline.from_file(base_dir / path if base_dir else path)
    return Config(**kwargs)


def load_config(path: str | Path | None = None, *, start: str | Path = ".") -> Config:
    """Read ``path`` (a ``tarlens.toml`` or a ``pyproject.toml``), or look for one in
    ``start`` and its parents. No file found is the default configuration."""
    candidates: Iterable[Path]
    if path is not None:
        candidates = [Path(path)]
    else:
        here = Path(start).resolve()
        candidates = [
            d / name for d in (here, *here.parents) for name in ("tarlens.toml", "pyproject.toml")
        ]
    for candidate in candidates:
        if not candidate.is_file():
            if path is not None:
                raise InputError(str(candidate), "no such file")
            continue
        try:
            data = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(str(candidate), f"unreadable ({exc})") from None
        if candidate.name == "pyproject.toml":
            table = data.get("tool", {}).get("tarlens")
            if table is None:
                if path is not None:
                    return Config()
                continue
        else:
            table = data
        return config_from_mapping(table, base_dir=candidate.parent, source=str(candidate))
    return Config()
