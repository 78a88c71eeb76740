"""A short, bounded run of the coverage-guided fuzz target (fuzz/fuzz_load.py) in CI.

The long run is documented in docs/hostile-input.md; the property (a manifest or a
TarlensError, nothing else, no hang) is also checked with Hypothesis in test_guarantees.py,
which runs where atheris does not build.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

TARGET = Path(__file__).resolve().parent.parent / "fuzz" / "fuzz_load.py"


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris not installed")
def test_fuzz_target_short_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(TARGET),
            "-runs=1500",
            "-timeout=30",
            "-rss_limit_mb=1024",
            "-seed=1",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    tail = (result.stdout + result.stderr)[-3000:]
    assert result.returncode == 0, tail
    assert "Done 1500 runs" in tail
    assert not list(tmp_path.iterdir()), "the fuzzer saved a crashing input"
