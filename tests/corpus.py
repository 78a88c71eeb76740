"""Real packages for tests: the shared corpus (fixtures/corpus.py), skipping cleanly when
npm or the registry is not there."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures import corpus
from fixtures.corpus import CACHE, registry_integrity

__all__ = ["CACHE", "npm_pack", "registry_integrity"]


def npm_pack(spec: str) -> Path:
    """`npm pack SPEC` into the corpus cache (the registry's tarball, byte for byte)."""
    try:
        return corpus.fetch(spec)
    except corpus.CorpusUnavailable as exc:
        pytest.skip(f"npm pack {spec}: {exc}")
