"""Real packages for tests, fetched with `npm pack` into a cache (the registry's bytes)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

CACHE = Path(os.environ.get("TARLENS_CORPUS", Path.home() / ".cache" / "tarlens-corpus"))


def npm_pack(spec: str) -> Path:
    """`npm pack SPEC` into the corpus cache (the registry's tarball, byte for byte)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    index = CACHE / "index.json"
    known = json.loads(index.read_text()) if index.exists() else {}
    if spec in known and (CACHE / known[spec]["filename"]).exists():
        return CACHE / known[spec]["filename"]
    if shutil.which("npm") is None:
        pytest.skip("npm is not available")
    try:
        out = subprocess.run(
            ["npm", "pack", spec, "--json", "--pack-destination", str(CACHE)],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"npm pack {spec} failed (registry unreachable?): {exc}")
    info = json.loads(out)[0]
    view = subprocess.run(
        ["npm", "view", spec, "dist.integrity"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout.strip()
    known[spec] = {"filename": info["filename"], "integrity": view}
    index.write_text(json.dumps(known, indent=1))
    return CACHE / info["filename"]


def registry_integrity(spec: str) -> str:
    return str(json.loads((CACHE / "index.json").read_text())[spec]["integrity"])
