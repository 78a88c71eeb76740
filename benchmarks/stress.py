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
from collections.abc import Iterable
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


def _run(path: str) -> dict[str, object]:
    """``tarlens.load(path)`` in a fresh interpreter: outcome, seconds, peak MiB."""
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, path],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    wall = time.perf_counter() - t
    try:
        data: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        data = {
            "outcome": f"CRASH: {proc.stderr[-300:]}",
            "seconds": wall,
            "rss_mib": float("nan"),
            "crashed": True,
        }
    return data


#: 16 MiB entry points made of the code the signal scan reads slowest: one literal, comment
#: or line every few bytes (each shape is repeated to fill the file)
DENSE_SHAPES = {
    "dense-strings": b'"a",',
    "dense-escaped-strings": b'"\\x41",',
    "dense-templates": b"`${a}`;",
    "dense-regex": b"x=/a/;",
    "dense-comments": b"/*x*/",
    "dense-lines": b"a;\n",
    "dense-obfuscator": b"_0x1a2b['push'](_0x3c4d('0x1'));",
}
DENSE_BYTES = 16 * 1024 * 1024


def dense_cases() -> list[tuple[str, bytes]]:
    """Entry points of dense code (scanned by default), a release of 20 such bins (320 MiB
    of code to scan, over ``Limits.max_scanned_bytes``), JSON dense in values, and tar
    headers naming long or deep paths."""
    from fixtures import tarcraft as tc

    def release(files: dict[str, bytes], **fields: object) -> bytes:
        pj = json.dumps({"name": "dense", "version": "1.0.0", **fields}).encode()
        tar = tc.file("package/package.json", pj)
        tar += b"".join(tc.file(f"package/{name}", data) for name, data in files.items())
        return tc.gzip(tar + tc.end(), level=1)

    cases = []
    for name, unit in DENSE_SHAPES.items():
        body = unit * (DENSE_BYTES // len(unit))
        cases.append((name, release({"index.js": body}, main="index.js")))
    body = DENSE_SHAPES["dense-escaped-strings"] * (DENSE_BYTES // 7)
    bins = {f"bin/b{i}.js": body for i in range(20)}
    cases.append(("dense-20-bins", release(bins, bin={f"b{i}": p for i, p in enumerate(bins)})))
    # JSON dense in values: a data file (parsed to tell its MIME type), the package's own
    # package.json (8 MiB, max_package_json_bytes) and 60 bundled manifests of 8 MiB each
    lists = b"[" + b"[]," * (DENSE_BYTES // 3 - 1) + b"[]]"
    cases.append(("json-dense-data-file", release({"data.txt": lists})))
    own = b'{"name":"dense","version":"1.0.0","x":' + lists[: 8 * 1024 * 1024 - 64] + b"[]]}"
    tar = tc.file("package/package.json", own) + tc.end()
    cases.append(("json-dense-package-json", tc.gzip(tar, level=1)))
    nested = {
        f"node_modules/d{i}/package.json": json.dumps(
            {"name": f"d{i}", "version": "1.0.0", "description": "x" * (8 * 1024 * 1024 - 64)}
        ).encode()
        for i in range(60)
    }
    cases.append(("json-60-bundled-8mib-manifests", release(nested)))
    # paths: 400 headers naming 1 MiB paths, 20,000 naming 4 KiB installable ones, and 200
    # paths a thousand directories deep
    pj = tc.file("package/package.json", b'{"name":"paths","version":"1.0.0"}')

    def named(paths: Iterable[str]) -> bytes:
        entries = b"".join(tc.pax({"path": p}) + tc.file("package/x", b"1") for p in paths)
        return tc.gzip(pj + entries + tc.end(), level=6)

    huge = (f"package/{i}/" + "/".join(["p" * 250] * 1000) + "/x.js" for i in range(400))
    cases.append(("paths-400-of-1mib", named(huge)))
    long = (f"package/{i:06d}" + ("/" + "p" * 240) * 15 + "/x.js" for i in range(20_000))
    cases.append(("paths-20000-of-4kib", named(long)))
    deep = (f"package/{i:04d}/" + "abc/" * 1000 + "x.js" for i in range(200))
    cases.append(("paths-200-1000-deep", named(deep)))
    # owner names: 600 PAX headers naming 500 KB owners
    owners = b"".join(
        tc.pax({"uname": f"{i}" + "u" * 500_000, "gname": f"{i}" + "g" * 500_000})
        + tc.file(f"package/f{i}.js", b"1")
        for i in range(600)
    )
    cases.append(("owners-600-of-500kb", tc.gzip(pj + owners + tc.end(), level=6)))
    # extended-header records: 100 PAX headers of 1 MiB of tiny records (15 million)
    records = b"7 a=bc\n" * (1024 * 1024 // 7)
    pax = b"".join(
        tc.entry(tc.Header(name="PaxHeader", typeflag=b"x"), records)
        + tc.file(f"package/f{i}.js", b"1")
        for i in range(100)
    )
    cases.append(("pax-100-headers-of-tiny-records", tc.gzip(pj + pax + tc.end(), level=6)))
    # signals: 2,000 bins of 200 URLs each (two signals a URL, 800,000 in all)
    urls = {
        f"bin/b{i}.js": "".join(
            f'fetch("https://h{i}-{j}.example.com/p/{"x" * 60}");\n' for j in range(200)
        ).encode()
        for i in range(2000)
    }
    bin_field = {f"b{i}": path for i, path in enumerate(urls)}
    cases.append(("signals-2000-bins-of-urls", release(urls, bin=bin_field)))
    return cases


def main() -> int:
    from fixtures import hostile

    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--scaling", action="store_true", help="only the scaling measurements")
    ap.add_argument(
        "--dense",
        action="store_true",
        help="only small inputs dense in what costs: code literals, JSON values, paths",
    )
    args = ap.parse_args()
    if args.scaling:
        sys.stdout.write(scaling())
        return 0
    if args.dense:
        builders = [(name, lambda data=data: data) for name, data in dense_cases()]
    else:
        builders = [(c.name, c.build) for c in hostile.CASES]
    builders = [(n, b) for n, b in builders if args.only is None or n in args.only]
    rows = []
    crashed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in builders:
            path = os.path.join(tmp, "case.tgz")
            Path(path).write_bytes(build())
            data = _run(path)
            crashed |= bool(data["crashed"])
            rows.append((name, os.path.getsize(path), data))
    lines = [f"{'case':34} {'input':>10} {'load s':>7} {'peak MiB':>9}  outcome"]
    for name, size, d in rows:
        outcome = str(d["outcome"])[:90]
        lines.append(f"{name:34} {size:>10} {d['seconds']:7.2f} {d['rss_mib']:9.1f}  {outcome}")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        Path(args.out).write_text(text)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
