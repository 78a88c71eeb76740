"""Resource bounds on hostile input: every case of fixtures/hostile.py, one process each.

    .venv/bin/python benchmarks/stress.py [--only NAME ...] [--out FILE]

For each case it builds the bytes (outside the measurement), then runs `tarlens.load` in a
fresh subprocess and reports the outcome (ok / the error class), wall time and the child's
peak RSS. The targets (issue "hostile input") are: every refusal within 3 s and 150 MiB
peak memory, and no case without an outcome. This is a measurement, not a test: it prints a
table and exits 1 only when a case crashed with something other than a TarlensError.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, sys, time
import tarlens
path = sys.argv[1]
t = time.perf_counter()
try:
    m = tarlens.load(path)
    outcome = f"ok ({len(m.files)} files, {len(m.anomalies)} anomalies)"
    crashed = False
except tarlens.TarlensError as exc:
    outcome = f"{type(exc).__name__}: {exc}"
    crashed = False
except BaseException as exc:
    outcome = f"CRASH {type(exc).__name__}: {exc}"
    crashed = True
elapsed = time.perf_counter() - t
# VmHWM (unlike ru_maxrss) starts afresh at exec, so the parent's memory does not count
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"outcome": outcome, "seconds": elapsed, "rss_mib": rss, "crashed": crashed}))
"""


def _time_load(data: bytes, repeat: int = 3) -> float:
    import tarlens

    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        with contextlib.suppress(tarlens.TarlensError):
            tarlens.load(data, limits=tarlens.Limits(max_entries=1_000_000))
        best = min(best, time.perf_counter() - t)
    return best


def scaling() -> str:
    """Time per unit as the input grows 4x and 16x: flat means linear, growth means worse."""
    from fixtures import tarcraft as tc

    pj = tc.file("package/package.json", b'{"name": "s", "version": "1.0.0"}')
    rows = ["scaling (best of 3; per-unit time should stay flat)"]

    def entries(n: int) -> bytes:
        return pj + b"".join(tc.file(f"package/d{i % 97}/f{i}.js", b"x") for i in range(n))

    def path(n: int) -> bytes:  # one PAX path of n bytes, split into 200-byte components
        long = "package/" + "/".join(["p" * 199] * (n // 200)) + "/x.js"
        return pj + tc.pax({"path": long}) + tc.file("package/x", b"1")

    def dup(n: int) -> bytes:  # n entries all writing the same path
        return pj + b"".join(tc.file("package/same.js", b"x") for _ in range(n))

    for what, make, sizes, unit in (
        ("entries", entries, (5_000, 20_000, 80_000), "entry"),
        ("path length", path, (16_000, 64_000, 256_000), "byte"),
        ("duplicates", dup, (5_000, 20_000, 80_000), "entry"),
    ):
        base = None
        for n in sizes:
            secs = _time_load(tc.gzip(make(n) + tc.end(), level=1))
            per = secs / n
            base = base or per
            rows.append(
                f"  {what:12} n={n:>7}  {secs:7.3f} s  {per * 1e6:8.2f} us/{unit}  "
                f"x{per / base:4.2f}"
            )
    return "\n".join(rows) + "\n"


def main() -> int:
    from fixtures import hostile

    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--scaling", action="store_true", help="only the scaling measurements")
    args = ap.parse_args()
    if args.scaling:
        sys.stdout.write(scaling())
        return 0
    cases = [c for c in hostile.CASES if args.only is None or c.name in args.only]
    rows = []
    crashed = False
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            path = os.path.join(tmp, "case.tgz")
            Path(path).write_bytes(case.build())
            size = os.path.getsize(path)
            t = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, path],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            wall = time.perf_counter() - t
            try:
                data = json.loads(proc.stdout.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                data = {
                    "outcome": f"CRASH: {proc.stderr[-300:]}",
                    "seconds": wall,
                    "rss_mib": float("nan"),
                    "crashed": True,
                }
            crashed |= bool(data["crashed"])
            rows.append((case.name, size, data))
    lines = [f"{'case':34} {'input':>10} {'load s':>7} {'peak MiB':>9}  outcome"]
    for name, size, d in rows:
        lines.append(
            f"{name:34} {size:>10} {d['seconds']:7.2f} {d['rss_mib']:9.1f}  {d['outcome'][:90]}"
        )
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        Path(args.out).write_text(text)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
