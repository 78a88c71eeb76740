"""tarlens against its baselines, whole process against whole process (issue #10).

    .venv/bin/python benchmarks/run.py [--quick] [--repeat N] [--out docs/benchmarks.md]

Fetches the corpus with `npm pack` into a cache (``$TARLENS_CORPUS``, default
``~/.cache/tarlens-corpus``; tarballs already there are reused, keyed by the file name `npm pack`
writes), then runs each tarlens command and its baseline alternately (A B A B ...), each as a
whole process, and reports the medians of wall time, CPU time (user + sys of the process and
the children it waited for) and peak RSS as ratios against the baseline measured in the same
loop, with the targets of issue #10 and PASS/FAIL next to them. The markdown table is printed
and written to ``--out``.

How one run is measured: a fresh, small Python process (``python -I -S``, nothing imported but
``os``/``sys``/``time``/``json``) forks and execs the command, times it with ``perf_counter`` and
reads the command's own resource usage from ``os.wait4``. Why not ``getrusage(RUSAGE_CHILDREN)``
or ``wait4`` straight from this script: ``ru_maxrss`` of a child is a maximum that survives
``exec`` (the kernel folds the high-water mark of the pre-exec address space, a copy of the
forking process, into it), and ``RUSAGE_CHILDREN`` is a maximum over every child ever waited
for. Forked from this script, every command would report at least this script's own peak. The
intermediate process is new for each run, so its ``wait4`` sees exactly one command, and the
only memory the command inherits is the intermediate's few MiB: the *floor*, measured at start
(``/bin/true`` through the same path) and printed; a value at the floor reads "≤ floor".

This is a measurement, not a test: it exits 0 whatever the numbers are (``--strict`` exits 1
when a target fails) and no test asserts on timings.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
DEFAULT_CORPUS = Path.home() / ".cache" / "tarlens-corpus"
DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
FULL_REPEAT = 9
QUICK_REPEAT = 3
SCAN_WORKERS = 2
MIB = 1024 * 1024
# npm must not ask the registry whether it is outdated while it is being timed
CHILD_ENV = {"npm_config_update_notifier": "false", "NO_UPDATE_NOTIFIER": "1"}

# Runs in a fresh `python -I -S` for every measured run (see the module docstring).
MEASURE = r"""
import os, sys, time
err = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
null = os.open(os.devnull, os.O_RDWR)
argv = sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(err, 2)
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
import json  # only now: what this process holds at fork is the floor of every measured RSS
print(json.dumps({
    "wall": wall,
    "cpu": ru.ru_utime + ru.ru_stime,
    "maxrss_kib": ru.ru_maxrss,
    "exit": os.waitstatus_to_exitcode(status),
}))
"""


# --------------------------------------------------------------------------------------------
# corpus


@dataclass(frozen=True)
class Package:
    spec: str  # name@version, as given to `npm pack`
    inspect_target: float | None = None  # inspect wall ratio against gzip -dc | sha256sum
    biggest: bool = False  # skipped by --quick

    @property
    def name(self) -> str:
        return self.spec.rpartition("@")[0]

    @property
    def version(self) -> str:
        return self.spec.rpartition("@")[2]

    @property
    def filename(self) -> str:
        """The name `npm pack` writes: scope's `@` dropped, `/` turned into `-`."""
        return f"{self.name.removeprefix('@').replace('/', '-')}-{self.version}.tgz"


NEXT = Package("next@15.0.0", inspect_target=1.2, biggest=True)
AWS = Package("aws-sdk@2.1691.0", inspect_target=1.2)
NPM = Package("npm@10.9.0", inspect_target=2.0)
LODASH = Package("lodash@4.17.21")
ESBUILD = Package("@esbuild/linux-x64@0.24.0")  # native binary: one 10 MB ELF executable
TS_OLD = Package("typescript@5.6.3")
TS_NEW = Package("typescript@5.7.2")
INSPECTED = (NEXT, AWS, NPM, LODASH, ESBUILD)
CORPUS = (*INSPECTED, TS_OLD, TS_NEW)
# `tarlens scan` with 2 workers against 1: 32 real releases of 0.3 to 4 MiB, none of which
# dominates (the largest takes under a tenth of the one-worker run), so that the ratio
# measures the pool rather than one long straggler or the start-up of the workers.
SCAN_SET = tuple(
    Package(spec)
    for spec in (
        "typescript@5.6.2",
        "typescript@5.7.2",
        "date-fns@4.1.0",
        "npm@10.9.0",
        "npm@10.9.1",
        "moment@2.29.4",
        "moment@2.30.1",
        "prettier@3.3.2",
        "prettier@3.3.3",
        "tailwindcss@3.4.14",
        "tailwindcss@3.4.15",
        "rxjs@7.8.1",
        "rxjs@7.8.2",
        "core-js@3.38.1",
        "core-js@3.39.0",
        "yarn@1.22.21",
        "yarn@1.22.22",
        "zod@3.25.75",
        "zod@3.25.76",
        "eslint@9.14.0",
        "eslint@9.15.0",
        "vue@3.5.12",
        "vue@3.5.13",
        "sass@1.80.6",
        "sass@1.80.7",
        "react-dom@18.3.0",
        "react-dom@18.3.1",
        "rollup@4.27.3",
        "rollup@4.27.4",
        "webpack@5.95.0",
        "webpack@5.96.0",
        "lodash@4.17.21",
    )
)
BENCHMARKS = ("inspect", "diff", "reader", "start-up", "scan")


@dataclass(frozen=True)
class CorpusFile:
    package: Package
    path: Path
    fetched: bool  # False: reused from the cache
    integrity: str  # sha512-..., as the registry's dist.integrity
    indexed: bool  # the cache's index.json (written by tests/corpus.py) vouches for the bytes
    entries: int
    unpacked: int


def corpus_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg).expanduser().resolve()
    env = os.environ.get("TARLENS_CORPUS")
    return Path(env).expanduser().resolve() if env else DEFAULT_CORPUS


def npm_pack(spec: str, cache: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(f"benchmarks: {spec} is not in {cache} and npm is not installed")
    proc = subprocess.run(
        [npm, "pack", spec, "--json", "--pack-destination", str(cache)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, **CHILD_ENV},
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmarks: npm pack {spec} failed:\n{proc.stderr[-2000:]}")
    return cache / str(json.loads(proc.stdout)[0]["filename"])


def tar_stats(path: Path) -> tuple[int, int]:
    """Regular files and their bytes, as a plain tar reader lists them (for the corpus table)."""
    entries = unpacked = 0
    with tarfile.open(path, "r|gz") as tar:
        for member in tar:
            if member.isfile():
                entries += 1
                unpacked += member.size
    return entries, unpacked


def fetch_corpus(packages: Sequence[Package], cache: Path) -> dict[Package, CorpusFile]:
    cache.mkdir(parents=True, exist_ok=True)
    index_path = cache / "index.json"
    try:
        index = json.loads(index_path.read_text()) if index_path.exists() else {}
    except (OSError, json.JSONDecodeError):
        index = {}
    files: dict[Package, CorpusFile] = {}
    for pkg in packages:
        path = cache / pkg.filename
        fetched = not path.exists()
        if fetched:
            log(f"npm pack {pkg.spec} -> {cache}")
            path = npm_pack(pkg.spec, cache)
        digest = hashlib.sha512(path.read_bytes()).digest()
        integrity = "sha512-" + base64.b64encode(digest).decode()
        known = index.get(pkg.spec, {})
        indexed = known.get("filename") == path.name and known.get("integrity") == integrity
        if known.get("filename") == path.name and known.get("integrity") not in (None, integrity):
            raise SystemExit(
                f"benchmarks: {path} does not match the integrity recorded in {index_path} "
                f"for {pkg.spec}; remove the file to fetch it again"
            )
        entries, unpacked = tar_stats(path)
        files[pkg] = CorpusFile(pkg, path, fetched, integrity, indexed, entries, unpacked)
    return files


# --------------------------------------------------------------------------------------------
# measuring


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # seconds, user + sys
    rss: float  # MiB, peak resident set of the process and the children it waited for


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    shown: str  # what the docs print (paths relative to the repository and $CORPUS)
    cwd: Path = ROOT
    ok_exits: tuple[int, ...] = (0,)


class CommandFailed(Exception):
    pass


def measure(cmd: Command, workdir: Path) -> Sample:
    errfile = workdir / "stderr.txt"
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", MEASURE, str(errfile), *cmd.argv],
        cwd=cmd.cwd,
        env={**os.environ, **CHILD_ENV},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if proc.returncode != 0:
        raise CommandFailed(f"measuring {cmd.shown} failed:\n{proc.stderr[-2000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    if data["exit"] not in cmd.ok_exits:
        stderr = errfile.read_text(errors="replace")[-2000:]
        raise CommandFailed(f"`{cmd.shown}` exited {data['exit']}:\n{stderr}")
    return Sample(float(data["wall"]), float(data["cpu"]), float(data["maxrss_kib"]) / 1024)


@dataclass
class Pair:
    """A (tarlens) and B (its baseline), measured alternately in one loop."""

    a: list[Sample] = field(default_factory=list)
    b: list[Sample] = field(default_factory=list)

    def median(self, side: str, metric: str) -> float:
        samples = self.a if side == "a" else self.b
        return statistics.median(float(getattr(s, metric)) for s in samples)

    def ratio(self, metric: str) -> float:
        """Median of the per-iteration ratios A/B: each A is judged against its own B."""
        pairs = [
            (float(getattr(x, metric)), float(getattr(y, metric)))
            for x, y in zip(self.a, self.b, strict=True)
        ]
        ratios = [x / y for x, y in pairs if y > 0]  # CPU time can round to 0 on a tiny B
        return statistics.median(ratios) if ratios else float("nan")


def alternate(a: Command, b: Command, repeat: int, workdir: Path, label: str) -> Pair:
    pair = Pair()
    log(f"{label}: warm-up")
    measure(a, workdir)  # page cache, .pyc files, npm's own caches: not counted
    measure(b, workdir)
    for i in range(repeat):
        pair.a.append(measure(a, workdir))
        pair.b.append(measure(b, workdir))
        log(
            f"{label}: {i + 1}/{repeat}  A {pair.a[-1].wall * 1000:8.1f} ms"
            f"  B {pair.b[-1].wall * 1000:8.1f} ms"
        )
    return pair


def measure_floor(workdir: Path) -> float:
    true = shutil.which("true") or "/bin/true"
    cmd = Command((true,), "true")
    return max(measure(cmd, workdir).rss for _ in range(5))


# --------------------------------------------------------------------------------------------
# targets and rows


@dataclass(frozen=True)
class Target:
    op: str  # "<=", "<" or ">="
    limit: float
    unit: str  # "x", "MiB" or "ms"

    def met(self, value: float) -> bool:
        if self.op == "<=":
            return value <= self.limit
        if self.op == "<":
            return value < self.limit
        return value >= self.limit

    def __str__(self) -> str:
        sign = {"<=": "≤", "<": "<", ">=": "≥"}[self.op]
        unit = "x" if self.unit == "x" else f" {self.unit}"
        return f"{sign} {self.limit:g}{unit}"


def verdict(target: Target | None, value: float | None) -> str:
    if target is None:
        return ""
    if value is None:
        return "n/a"
    return "PASS" if target.met(value) else "**FAIL**"


@dataclass
class RatioRow:
    name: str
    against: str  # the baseline, as the ratio table names it
    a: Command
    b: Command
    pair: Pair | None  # None: not measured (note says why)
    target: Target | None = None  # judges the wall ratio (the speedup B/A when speedup)
    note: str = ""
    speedup: bool = False  # scan: judged as one worker / N workers
    a_label: str = ""  # the rows of the table of medians
    b_label: str = ""
    a_target: Target | None = None  # an absolute target on A
    a_metric: str = ""  # "wall" (ms) or "rss" (MiB): what a_target judges

    def value(self) -> float | None:
        if self.pair is None:
            return None
        wall = self.pair.ratio("wall")
        return 1 / wall if self.speedup else wall

    def a_value(self) -> float | None:
        if self.pair is None or not self.a_metric:
            return None
        median = self.pair.median("a", self.a_metric)
        return median * 1000 if self.a_metric == "wall" else median

    def failed(self) -> bool:
        checks = ((self.target, self.value()), (self.a_target, self.a_value()))
        return any(t is not None and v is not None and not t.met(v) for t, v in checks)


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}x"


def rss_text(mib: float, floor: float) -> str:
    return f"≤ {floor:.1f} (floor)" if mib <= floor * 1.05 else f"{mib:.1f}"


# --------------------------------------------------------------------------------------------
# the benchmarks


@dataclass
class Setup:
    tarlens: Path
    python: Path
    corpus: Path
    files: dict[Package, CorpusFile]
    repeat: int
    workdir: Path
    scan_files: dict[Package, CorpusFile] = field(default_factory=dict)
    load_at_start: tuple[float, float, float] = field(default_factory=os.getloadavg)

    def shown_path(self, path: Path) -> str:
        return f"$CORPUS/{path.relative_to(self.corpus)}"


def compile_bytecode(python: Path) -> str:
    """Compile tarlens's modules to bytecode before measuring, as ``pip install`` does for a
    regular install: with an editable install and ``PYTHONDONTWRITEBYTECODE=1`` (set on some
    machines, this one included) every run would otherwise compile the sources again, 50-90 ms
    that no installed copy pays."""
    where = subprocess.run(
        [str(python), "-c", "import os, tarlens; print(os.path.dirname(tarlens.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run([str(python), "-m", "compileall", "-q", where], capture_output=True, check=True)
    flag = os.environ.get("PYTHONDONTWRITEBYTECODE")
    return "tarlens's bytecode compiled before measuring (as `pip install` does)" + (
        f"; PYTHONDONTWRITEBYTECODE={flag} here" if flag else ""
    )


BYTECODE_NOTE: list[str] = []


def tarlens_exe() -> Path:
    exe = VENV_BIN / "tarlens"
    if not exe.exists():
        raise SystemExit(f"benchmarks: {exe} not found; run ./dev test first")
    return exe


GZIP_SHA = "`gzip -dc X \\| sha256sum`"


def inspect_rows(s: Setup) -> list[RatioRow]:
    sh = shutil.which("sh") or "/bin/sh"
    rows = []
    for pkg in INSPECTED:
        if pkg not in s.files:  # --quick
            skipped = Command((), "")
            target = Target("<=", pkg.inspect_target, "x") if pkg.inspect_target else None
            row = RatioRow(f"`inspect` {pkg.spec}", GZIP_SHA, skipped, skipped, None, target)
            row.note = "skipped (--quick)"
            rows.append(row)
            continue
        path = s.files[pkg].path
        shown = s.shown_path(path)
        a = Command(
            (str(s.tarlens), "inspect", str(path), "--format", "json"),
            f".venv/bin/tarlens inspect {shown} --format json > /dev/null",
            ok_exits=(0, 1),  # 1: findings at or above --fail-on, still a full run
        )
        b = Command(
            (sh, "-c", f"gzip -dc {shlex.quote(str(path))} | sha256sum"),
            f'sh -c "gzip -dc {shown} | sha256sum" > /dev/null',
        )
        pair = alternate(a, b, s.repeat, s.workdir, f"inspect {pkg.spec}")
        row = RatioRow(
            f"`inspect` {pkg.spec}",
            GZIP_SHA,
            a,
            b,
            pair,
            Target("<=", pkg.inspect_target, "x") if pkg.inspect_target else None,
            a_label=f"tarlens inspect {pkg.spec}",
            b_label=f"gzip -dc \\| sha256sum {pkg.spec}",
        )
        if pkg is NEXT:
            row.a_target, row.a_metric = Target("<=", 100, "MiB"), "rss"
        rows.append(row)
        if pkg is AWS:
            rows.append(signals_all_row(s, path, b))
    return rows


def signals_all_row(s: Setup, path: Path, baseline: Command) -> RatioRow:
    """For the record, no target: ``--signals all`` looks for code signals in every code
    file, where the default looks where the rules look (entry points, install-time files;
    changed files in a diff). The price of the full scan, against the same baseline."""
    shown = s.shown_path(path)
    a = Command(
        (str(s.tarlens), "inspect", str(path), "--format", "json", "--signals", "all"),
        f".venv/bin/tarlens inspect {shown} --format json --signals all > /dev/null",
        ok_exits=(0, 1),
    )
    pair = alternate(a, baseline, s.repeat, s.workdir, f"inspect --signals all {AWS.spec}")
    return RatioRow(
        f"`inspect --signals all` {AWS.spec} (for the record)",
        GZIP_SHA,
        a,
        baseline,
        pair,
        None,
        a_label=f"tarlens inspect --signals all {AWS.spec}",
        b_label=f"gzip -dc \\| sha256sum {AWS.spec}",
    )


def diff_row(s: Setup) -> RatioRow:
    old, new = s.files[TS_OLD].path, s.files[TS_NEW].path
    a = Command(
        (str(s.tarlens), "diff", str(old), str(new), "--format", "json"),
        f".venv/bin/tarlens diff {s.shown_path(old)} {s.shown_path(new)} --format json > /dev/null",
        ok_exits=(0, 1),
    )
    npm = shutil.which("npm")
    b = Command(
        (str(npm), "diff", f"--diff=./{old.name}", f"--diff=./{new.name}", "--diff-name-only"),
        f"(cd $CORPUS && npm diff --diff=./{old.name} --diff=./{new.name} --diff-name-only)"
        " > /dev/null",
        cwd=s.corpus,
    )
    pair = None if npm is None else alternate(a, b, s.repeat, s.workdir, "diff typescript")
    pair_name = f"{TS_OLD.spec} → {TS_NEW.version}"
    return RatioRow(
        f"`diff` {pair_name}",
        "`npm diff --diff-name-only`",
        a,
        b,
        pair,
        Target("<=", 0.25, "x"),
        note="npm not installed" if npm is None else "",
        a_label=f"tarlens diff {pair_name}",
        b_label=f"npm diff --diff-name-only {pair_name}",
        a_target=Target("<=", 100, "MiB"),
        a_metric="rss",
    )


#: tarlens's reader alone: every entry parsed as node-tar parses it, every file hashed, and
#: nothing else (no content analysis, no rules, no output); the interpreter and imports count
READER_ONLY = "import sys, tarlens; [tarlens.load(p, analyze=False) for p in sys.argv[1:]]"


def reader_rows(s: Setup) -> list[RatioRow]:
    """For the record, no target: what the targets leave for everything but reading. A is
    ``tarlens.load(..., analyze=False)`` in a fresh interpreter (the tar stream read as npm
    reads it, sha256 of every file, integrity and shasum of the input), B the baseline of the
    row it stands for: the wall ratio here is the share of that row's budget that reading
    alone already takes, before a byte is classified."""
    sh = shutil.which("sh") or "/bin/sh"
    rows = []
    for pkg in (p for p in INSPECTED if p.inspect_target and p in s.files):
        path = s.files[pkg].path
        shown = s.shown_path(path)
        a = Command(
            (str(s.python), "-c", READER_ONLY, str(path)),
            f'.venv/bin/python -c "{READER_ONLY}" {shown}',
        )
        b = Command(
            (sh, "-c", f"gzip -dc {shlex.quote(str(path))} | sha256sum"),
            f'sh -c "gzip -dc {shown} | sha256sum" > /dev/null',
        )
        rows.append(
            RatioRow(
                f"reader alone: {pkg.spec} (for the record)",
                GZIP_SHA,
                a,
                b,
                alternate(a, b, s.repeat, s.workdir, f"reader {pkg.spec}"),
                None,
                a_label=f"reader alone {pkg.spec}",
                b_label=f"gzip -dc \\| sha256sum {pkg.spec}",
            )
        )
    npm = shutil.which("npm")
    if npm is not None and TS_OLD in s.files and TS_NEW in s.files:
        old, new = s.files[TS_OLD].path, s.files[TS_NEW].path
        pair_name = f"{TS_OLD.spec} → {TS_NEW.version}"
        a = Command(
            (str(s.python), "-c", READER_ONLY, str(old), str(new)),
            f'.venv/bin/python -c "{READER_ONLY}" {s.shown_path(old)} {s.shown_path(new)}',
        )
        b = Command(
            (npm, "diff", f"--diff=./{old.name}", f"--diff=./{new.name}", "--diff-name-only"),
            f"(cd $CORPUS && npm diff --diff=./{old.name} --diff=./{new.name} --diff-name-only)"
            " > /dev/null",
            cwd=s.corpus,
        )
        rows.append(
            RatioRow(
                f"reader alone: both sides of {pair_name} (for the record)",
                "`npm diff --diff-name-only`",
                a,
                b,
                alternate(a, b, s.repeat, s.workdir, "reader typescript pair"),
                None,
                a_label=f"reader alone, both sides of {pair_name}",
                b_label=f"npm diff --diff-name-only {pair_name}",
            )
        )
    return rows


def startup_row(s: Setup) -> RatioRow:
    a = Command((str(s.tarlens), "--version"), ".venv/bin/tarlens --version > /dev/null")
    b = Command((str(s.python), "-c", "pass"), ".venv/bin/python -c pass")
    pair = alternate(a, b, max(s.repeat, 11), s.workdir, "start-up")
    return RatioRow(
        "start-up: `tarlens --version`",
        "`python -c pass` (same venv)",
        a,
        b,
        pair,
        a_label="tarlens --version",
        b_label="python -c pass",
        a_target=Target("<", 150, "ms"),
        a_metric="wall",
    )


def scan_flag(help_text: str) -> str | None:
    for flag in ("--workers", "--jobs", "-j"):
        if re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", help_text):
            return flag
    return None


def scan_row(s: Setup) -> RatioRow:
    help_proc = subprocess.run(
        [str(s.tarlens), "scan", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # largest first, so that a pool can balance the work; the largest bounds the speedup
    paths = sorted((f.path for f in s.scan_files.values()), key=lambda p: -p.stat().st_size)
    shown_paths = " ".join(s.shown_path(p) for p in paths)
    flag = scan_flag(help_proc.stdout) if help_proc.returncode == 0 else None

    def cmd(workers: int) -> Command:
        name = flag or "--workers"
        argv = (str(s.tarlens), "scan", name, str(workers), "--format", "jsonl")
        shown = f".venv/bin/tarlens scan {name} {workers} --format jsonl {shown_paths} > /dev/null"
        return Command((*argv, *map(str, paths)), shown, ok_exits=(0, 1))

    a, b = cmd(SCAN_WORKERS), cmd(1)
    if help_proc.returncode != 0:
        note = "not implemented yet"
    elif flag is None:
        note = "`tarlens scan` has no --workers/--jobs/-j option"
    else:
        note = ""
    pair = None if note else alternate(a, b, s.repeat, s.workdir, "scan")
    return RatioRow(
        f"`scan` {SCAN_WORKERS} workers vs 1 ({len(paths)} tarballs)",
        "`tarlens scan` with 1 worker",
        a,
        b,
        pair,
        Target(">=", 1.7, "x"),
        note=note,
        speedup=True,
        a_label=f"tarlens scan, {SCAN_WORKERS} workers",
        b_label="tarlens scan, 1 worker",
    )


# --------------------------------------------------------------------------------------------
# the report


def busy_note(start: float, end: float) -> str:
    cpus = len(os.sched_getaffinity(0))
    if max(start, end - 1) < cpus / 2:  # at the end, the benchmark itself counts for 1
        return ""
    return (
        f". **The machine was busy** (load ≥ {cpus / 2:g} on {cpus} CPUs): wall times include "
        "waiting for a CPU, and the CPU ratios are the steadier numbers; rerun on a quiet "
        "machine before comparing with the targets"
    )


def machine_lines(s: Setup, quick: bool) -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(argv: Sequence[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        except OSError:
            return "not installed"
        return (
            (out.stdout or out.stderr).strip().splitlines()[0] if out.stdout or out.stderr else ""
        )

    load = " ".join(f"{x:.2f}" for x in s.load_at_start)
    end = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, "
        f"{platform.system()} {platform.release()}",
        f"- load average (1, 5, 15 min) at the start: {load}; at the end: {end}"
        + busy_note(s.load_at_start[0], os.getloadavg()[0]),
        f"- Python {platform.python_version()} ({s.python.relative_to(ROOT)}), "
        f"{version([str(s.tarlens), '--version'])}",
        f"- baselines: {version(['gzip', '--version'])}; "
        f"{version(['sha256sum', '--version'])}; node {version(['node', '--version'])}, "
        f"npm {version(['npm', '--version'])}",
        f"- mode: {'--quick' if quick else 'full'}, {s.repeat} measured pair(s) per benchmark "
        "after one warm-up pair (start-up: at least 11)",
        *(f"- {note}" for note in BYTECODE_NOTE),
    ]


def corpus_table(s: Setup) -> list[str]:
    lines = [
        "| package | file | tgz MiB | files | unpacked MiB | integrity |",
        "|---|---|---:|---:|---:|---|",
    ]
    for f in s.files.values():
        how = "fetched" if f.fetched else "cached"
        check = ", matches index.json" if f.indexed else ""
        lines.append(
            f"| {f.package.spec} | {f.path.name} | {f.path.stat().st_size / MIB:.1f} "
            f"| {f.entries:,} | {f.unpacked / MIB:.1f} | `{f.integrity[:27]}…` ({how}{check}) |"
        )
    if s.scan_files:
        scanned = s.scan_files.values()
        size = sum(f.path.stat().st_size for f in scanned) / MIB
        files = sum(f.entries for f in scanned)
        indexed = sum(f.indexed for f in scanned)
        lines += [
            "",
            f"The `scan` benchmark reads {len(s.scan_files)} other releases ({size:.1f} MiB of "
            f"tgz, {files:,} files; {indexed} of them match index.json): "
            + ", ".join(f.package.spec for f in scanned)
            + ".",
        ]
    return lines


def ratio_table(rows: Sequence[RatioRow], floor: float) -> list[str]:
    lines = [
        "| benchmark | A against B | wall | CPU | peak RSS | target (wall) | result |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        target = str(row.target or "")
        if row.pair is None:
            result = verdict(row.target, None)
            lines.append(f"| {row.name} | {row.against} | {row.note} | | | {target} | {result} |")
            continue
        wall, cpu, rss = (row.pair.ratio(m) for m in ("wall", "cpu", "rss"))
        rss_cell = fmt_ratio(rss)
        if row.pair.median("b", "rss") <= floor * 1.05:
            rss_cell = f"≥ {rss_cell}"  # the baseline's true peak is at or below the floor
        wall_cell = fmt_ratio(wall)
        if row.speedup:
            wall_cell += f" (speedup {fmt_ratio(1 / wall)})"
        lines.append(
            f"| {row.name} | {row.against} | {wall_cell} | {fmt_ratio(cpu)} | {rss_cell} "
            f"| {target} | {verdict(row.target, row.value())} |"
        )
    return lines


def scan_note(rows: Sequence[RatioRow]) -> list[str]:
    if not any(row.speedup and row.pair is not None for row in rows):
        return []
    return [
        "The `scan` row is judged on wall time only. With more than one worker, the CPU time "
        "and peak RSS of A are those of the `tarlens` process alone: its workers are forked by "
        "`multiprocessing`'s fork server, not by the measured process, so `wait4` never sees "
        "them.",
        "",
    ]


def reader_note(rows: Sequence[RatioRow]) -> list[str]:
    if not any(row.name.startswith("reader alone") and row.pair is not None for row in rows):
        return []
    return [
        "The *reader alone* rows are tarlens reading the same tarballs and doing nothing else: "
        "`tarlens.load(..., analyze=False)` in a fresh interpreter parses every tar entry as "
        "node-tar does and hashes every file, the input's integrity and shasum included, but "
        "classifies no byte, runs no rule and writes no output. Against the same baseline, "
        "their wall ratio is the part of the row's target that reading alone already takes.",
        "",
    ]


def abs_table(rows: Sequence[RatioRow], floor: float) -> list[str]:
    lines = [
        "| command | wall ms (min–max) | CPU ms | peak RSS MiB | target | result |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        if row.pair is None:
            continue
        for side, label in (("a", row.a_label), ("b", row.b_label)):
            samples = row.pair.a if side == "a" else row.pair.b
            wall = row.pair.median(side, "wall") * 1000
            lo, hi = min(x.wall for x in samples) * 1000, max(x.wall for x in samples) * 1000
            cpu = row.pair.median(side, "cpu") * 1000
            rss = rss_text(row.pair.median(side, "rss"), floor)
            target = row.a_target if side == "a" else None
            result = verdict(target, row.a_value()) if side == "a" else ""
            lines.append(
                f"| {label} | {wall:.0f} ({lo:.0f}–{hi:.0f}) | {cpu:.0f} | {rss} "
                f"| {target or ''} | {result} |"
            )
    return lines


def commands_list(rows: Sequence[RatioRow]) -> list[str]:
    lines = ["```sh", "# from the repository root; CORPUS is the corpus cache (see above)"]
    for row in rows:
        if not row.a.shown:
            continue
        lines.append(f"# {row.name.replace('`', '')}: A, then its baseline B, alternately")
        lines.append(row.a.shown)
        lines.append(row.b.shown)
    lines.append("```")
    return lines


def render(s: Setup, rows: Sequence[RatioRow], floor: float, quick: bool, corpus_note: str) -> str:
    parts = [
        "# Benchmarks",
        "",
        "Generated by `.venv/bin/python benchmarks/run.py"
        + (" --quick" if quick else "")
        + f" --repeat {s.repeat}`; do not edit by hand (see benchmarks/README.md). "
        "Targets are those of issue #10.",
        "",
        "## Machine",
        "",
        *machine_lines(s, quick),
        "",
        "## Ratios against the baseline run in the same loop",
        "",
        "A is tarlens, B its baseline; each ratio is the median over the measured pairs of "
        "A/B within one pair (A and B run back to back, A B A B ...). Wall time is the whole "
        "process; CPU is user + sys of the process and the children it waited for; peak RSS "
        "is the largest resident set of the process or any of those children.",
        "",
        *ratio_table(rows, floor),
        "",
        *scan_note(rows),
        *reader_note(rows),
        "## Medians",
        "",
        *abs_table(rows, floor),
        "",
        f"Peak RSS floor: {floor:.1f} MiB. Each run is forked from a fresh `python -I -S`; "
        "`ru_maxrss` keeps the high-water mark of the address space a process had before "
        "`exec`, so no measured process can report less than that parent's resident memory. "
        "Values at the floor read `≤ floor`, and a ratio against such a baseline is a lower "
        "bound (`≥`).",
        "",
        "## Corpus",
        "",
        corpus_note,
        "",
        *corpus_table(s),
        "",
        "## Commands",
        "",
        *commands_list(rows),
        "",
    ]
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description=(
            "Benchmark tarlens against gzip|sha256sum, npm diff and itself (issue #10): "
            "fetch the corpus with npm pack, run A and B alternately as whole processes, "
            "print the markdown table of median ratios and write it to --out."
        ),
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_REPEAT} repetitions and without the biggest package ({NEXT.spec})",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=None,
        metavar="N",
        help=f"measured A/B pairs per benchmark (default {FULL_REPEAT}, --quick {QUICK_REPEAT})",
    )
    ap.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="where to write the markdown table (default docs/benchmarks.md; with --only: "
        "nowhere unless given)",
    )
    ap.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        default=None,
        metavar="NAME",
        help=f"run only this benchmark (repeatable; one of {', '.join(BENCHMARKS)})",
    )
    ap.add_argument(
        "--corpus",
        default=None,
        metavar="DIR",
        help="the npm pack cache (default $TARLENS_CORPUS, else ~/.cache/tarlens-corpus)",
    )
    ap.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is not met (default: 0)"
    )
    args = ap.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        ap.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    quick: bool = args.quick
    repeat: int = args.repeat or (QUICK_REPEAT if quick else FULL_REPEAT)
    cache = corpus_dir(args.corpus)
    only = set(args.only or BENCHMARKS)
    packages = [p for p in CORPUS if not (quick and p.biggest)]
    if not only & {"inspect", "diff", "reader"}:
        packages = []
    files = fetch_corpus(packages, cache)
    scan_files = fetch_corpus(SCAN_SET, cache) if "scan" in only else {}
    home = str(Path.home())
    shown_cache = "~" + str(cache)[len(home) :] if str(cache).startswith(home + "/") else cache
    corpus_note = (
        f"`CORPUS={shown_cache}` (`$TARLENS_CORPUS` or `--corpus`); every tarball is the "
        "registry's bytes from `npm pack SPEC`, reused when the file npm pack names is already "
        "there. Files and unpacked sizes are regular tar entries as Python's `tarfile` lists them."
    )
    with tempfile.TemporaryDirectory(prefix="tarlens-bench-") as tmp:
        s = Setup(tarlens_exe(), VENV_BIN / "python", cache, files, repeat, Path(tmp), scan_files)
        BYTECODE_NOTE[:] = [compile_bytecode(s.python)]
        floor = measure_floor(s.workdir)
        log(f"peak RSS floor of the measuring process: {floor:.1f} MiB")
        all_steps: dict[str, Callable[[Setup], RatioRow | list[RatioRow]]] = {
            "inspect": inspect_rows,
            "diff": diff_row,
            "reader": reader_rows,
            "start-up": startup_row,
            "scan": scan_row,
        }
        steps = [step for name, step in all_steps.items() if name in only]
        rows: list[RatioRow] = []
        try:
            for step in steps:
                result = step(s)
                rows.extend(result if isinstance(result, list) else [result])
        except CommandFailed as exc:
            print(f"benchmarks: {exc}", file=sys.stderr)
            return 2
        text = render(s, rows, floor, quick, corpus_note)
    sys.stdout.write(text)
    if args.out is not None or args.only is None:
        out = Path(args.out or DEFAULT_OUT)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        log(f"wrote {out}")
    return 1 if args.strict and any(row.failed() for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
