"""Shared helpers: every tarball a test reads is built here from readable parts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from fixtures import tarcraft as tc

PJ = {"name": "fixture-pkg", "version": "1.0.0"}


def pj(**fields: Any) -> bytes:
    """A package.json with the fixture name/version plus ``fields``."""
    return json.dumps({**PJ, **fields}, indent=2).encode()


def tgz(*parts: bytes, end: bool = True) -> bytes:
    """gzip(npm-style tar) of raw entry parts built with ``fixtures.tarcraft``."""
    tar = b"".join(parts) + (tc.end() if end else b"")
    return tc.gzip(tar)


def tar_with_pj(*parts: bytes, package_json: bytes | None = None) -> bytes:
    """Uncompressed tar: package.json first, then the given parts, then the end marker."""
    return tc.file("package/package.json", package_json or pj()) + b"".join(parts) + tc.end()


def pack(tree: dict[str, bytes | tuple[bytes, int]]) -> bytes:
    """What `npm pack` would produce for ``tree`` (package.json added when missing)."""
    tree = dict(tree)
    tree.setdefault("package.json", pj())
    return tc.gzip(tc.npm_pack_style(tree))


@pytest.fixture
def build() -> Callable[..., bytes]:
    return lambda *parts, **kw: tc.gzip(tar_with_pj(*parts, **kw))
