"""Layer 6: batch scans. Many tarballs, every core, one small result per tarball.

:func:`scan_many` reads each tarball with :func:`tarlens.load` and judges it with
:func:`tarlens.check`, in a pool of worker processes (the work is pure Python, so threads
would share one core). A worker sends back a :class:`ScanResult` of a few kilobytes, never the
:class:`~tarlens.Manifest`, so the parent's memory and the pipes stay small whatever the
tarballs hold. Whatever goes wrong with one tarball is that tarball's result: a
:class:`tarlens.TarlensError`, a bug (``internal``) or a worker process that died (out of
memory, killed) never stops the scan.

:func:`scan_dask` runs the same per-tarball function on a Dask cluster, for a registry mirror
or an organisation-wide audit that outgrows one machine (``pip install 'tarlens[dask]'``).

>>> import tarlens
>>> results = list(tarlens.scan_many(["fixtures/examples"], workers=1))
>>> [(r.name, r.version, r.max_severity) for r in results]
[('@example/greeter', '1.4.0', None), ('@example/greeter', '1.4.1', <Severity.CRITICAL: 4>)]
"""

from __future__ import annotations

import enum
import os
import stat
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from tarlens._config import Config
from tarlens._engine import Finding, RuleError, Severity
from tarlens._errors import InputError, TarlensError
from tarlens._limits import Limits

if TYPE_CHECKING:
    from concurrent.futures import Future
    from multiprocessing.context import BaseContext

__all__ = ["ScanError", "ScanErrorKind", "ScanResult", "scan_dask", "scan_many"]


def __dir__() -> list[str]:
    return __all__


#: what a directory walk picks up (compared case-insensitively)
TARBALL_SUFFIXES = (".tgz", ".tar.gz", ".tar")


class ScanErrorKind(enum.StrEnum):
    """Why a tarball has no findings to show."""

    #: tarlens refused the input on purpose (a :class:`tarlens.TarlensError`: npm could not
    #: install it, a limit was hit, the file could not be read); ``inspect`` would exit 2
    INPUT = "input"
    #: an unexpected exception: a bug in tarlens, to be reported with the tarball
    INTERNAL = "internal"
    #: the worker process reading it died (killed, out of memory); it was retried alone first
    WORKER_DIED = "worker-died"


@attrs.frozen
class ScanError:
    kind: ScanErrorKind
    #: the exception's class name (``ArchiveError``, ``LimitExceeded``, ``KeyError`` ...)
    type: str
    message: str


@attrs.frozen
class ScanResult:
    """One tarball of a scan: its identity and its findings, or why it could not be judged.

    ``index`` is the tarball's position in the scan's list of tarballs (after directories are
    walked), so that results delivered out of order can be put back. ``seconds`` (the wall
    time of reading and checking it) is left out of equality: two scans of the same files
    give equal results.
    """

    index: int
    path: str
    error: ScanError | None = None
    name: str | None = None
    version: str | None = None
    integrity: str | None = None
    shasum: str | None = None
    #: compressed bytes
    size: int | None = None
    #: installed files and their total size
    files: int | None = None
    unpacked_size: int | None = None
    findings: tuple[Finding, ...] = ()
    suppressed: tuple[tuple[Finding, str], ...] = ()
    rule_errors: tuple[RuleError, ...] = ()
    seconds: float = attrs.field(default=0.0, eq=False)

    @property
    def ok(self) -> bool:
        """True when the tarball was read and every selected rule ran on it."""
        return self.error is None

    @property
    def max_severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def at_least(self, severity: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity >= severity)

    def counts(self) -> dict[Severity, int]:
        """Findings by severity, every severity present (most severe first)."""
        out = dict.fromkeys(sorted(Severity, reverse=True), 0)
        for f in self.findings:
            out[f.severity] += 1
        return out


@attrs.frozen(kw_only=True)
class ScanSummary:
    """Totals over the results of a scan, judged against a ``fail_on`` severity (None: never
    fail on findings); built one result at a time with :meth:`add`."""

    fail_on: Severity | None
    tarballs: int = 0
    #: tarballs that could not be judged (:attr:`ScanResult.error`)
    unreadable: int = 0
    #: tarballs with a finding at or above ``fail_on``, or a rule that crashed
    failed: int = 0
    #: findings per severity, most severe first
    findings: tuple[int, ...] = (0, 0, 0, 0, 0)

    def add(self, result: ScanResult) -> ScanSummary:
        failed = result.ok and (
            bool(result.rule_errors)
            or (self.fail_on is not None and bool(result.at_least(self.fail_on)))
        )
        counts = result.counts().values()
        return attrs.evolve(
            self,
            tarballs=self.tarballs + 1,
            unreadable=self.unreadable + (not result.ok),
            failed=self.failed + failed,
            findings=tuple(a + b for a, b in zip(self.findings, counts, strict=True)),
        )


@attrs.frozen
class _Settings:
    """What every worker needs besides the path; sent once per worker process, not per task."""

    limits: Limits
    config: Config
    select: tuple[str, ...] | None
    ignore: tuple[str, ...]
    signals: Literal["attention", "all"] = "attention"


# -- finding the tarballs --------------------------------------------------------------------


def _is_tarball(name: str) -> bool:
    return name.lower().endswith(TARBALL_SUFFIXES)


def _walk(top: str, out: list[str]) -> None:
    try:
        with os.scandir(top) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        raise InputError(top, exc.strerror or str(exc)) from None
    for entry in entries:
        # symbolic links are never followed: no loops, nothing outside the tree
        if entry.is_dir(follow_symlinks=False):
            _walk(entry.path, out)
        elif entry.is_file(follow_symlinks=False) and _is_tarball(entry.name):
            out.append(entry.path)


def find_tarballs(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """The tarballs a scan of ``paths`` reads, in order.

    A file is taken as it is named, whatever its name. A directory is walked recursively for
    ``*.tgz``, ``*.tar.gz`` and ``*.tar``, in sorted order, without following symbolic links.
    A file met twice (named and found, or named twice) is scanned once, where first met.
    Raises :class:`tarlens.InputError` for a path that does not exist or cannot be listed.
    """
    found: list[str] = []
    for item in paths:
        path = os.fspath(item)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise InputError(path, "no such file or directory") from None
        except OSError as exc:
            raise InputError(path, exc.strerror or str(exc)) from None
        if stat.S_ISDIR(st.st_mode):
            _walk(path, found)
        else:
            found.append(path)
    seen: set[str] = set()
    unique = []
    for path in found:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


# -- one tarball -----------------------------------------------------------------------------


def scan_one(index: int, path: str, settings: _Settings) -> ScanResult:
    """Read and check one tarball; every exception becomes the result's error."""
    from tarlens._engine import check  # noqa: PLC0415 - the workers' import, not the parent's
    from tarlens._reader import load  # noqa: PLC0415

    start = time.perf_counter()
    try:
        manifest = load(path, limits=settings.limits, signals=settings.signals)
        report = check(
            manifest, select=settings.select, ignore=settings.ignore, config=settings.config
        )
    except TarlensError as exc:
        error = ScanError(ScanErrorKind.INPUT, type(exc).__name__, str(exc))
    except Exception as exc:  # noqa: BLE001 - one tarball's bug is its result, not the scan's end
        error = ScanError(ScanErrorKind.INTERNAL, type(exc).__name__, str(exc))
    else:
        return ScanResult(
            index=index,
            path=path,
            name=manifest.name,
            version=manifest.version,
            integrity=manifest.integrity,
            shasum=manifest.shasum,
            size=manifest.size,
            files=len(manifest.files),
            unpacked_size=manifest.unpacked_size,
            findings=report.findings,
            suppressed=report.suppressed,
            # the traceback stays behind: it is the largest part and the CLI does not show it
            rule_errors=tuple(RuleError(e.rule_id, e.message) for e in report.errors),
            seconds=time.perf_counter() - start,
        )
    return ScanResult(index=index, path=path, error=error, seconds=time.perf_counter() - start)


# -- the process pool ------------------------------------------------------------------------

_WORKER_SETTINGS: _Settings | None = None


def _init_worker(settings: _Settings, scanner: int) -> None:
    global _WORKER_SETTINGS  # noqa: PLW0603 - one value per worker process, set once
    import signal  # noqa: PLC0415
    import threading  # noqa: PLC0415

    # Ctrl-C is the parent's to handle: it stops the scan; workers print no tracebacks
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_SETTINGS = settings
    threading.Thread(target=_watch, args=(scanner,), name="tarlens-watch", daemon=True).start()


def _watch(scanner: int) -> None:
    """End this worker when the scanning process is gone (killed with SIGKILL or SIGTERM).

    An idle worker would otherwise wait for its next task forever: every worker holds the
    writing end of the pool's task pipe too, so the pipe never reports end-of-file, and the
    fork server lives on as long as its workers do."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(scanner, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # the number now belongs to someone else's process
            os._exit(1)


def _work(index: int, path: str) -> ScanResult:
    assert _WORKER_SETTINGS is not None, "the pool's initializer did not run"
    return scan_one(index, path, _WORKER_SETTINGS)


#: imported once by the fork server, so that each worker starts with the rules loaded
_PRELOAD = [
    "tarlens._reader",
    "tarlens._engine",
    "tarlens._checks",
    "tarlens._checks_content",
    "tarlens._checks_release",
    "tarlens._scan",
]


def _context() -> BaseContext:
    """``forkserver``: a worker is forked from a small server process started for the purpose,
    which has imported the reader and the rules once (``_PRELOAD``). ``fork`` from the caller
    would copy whatever the caller holds and is unsafe once the caller has threads (a notebook,
    a web app, Dask); ``spawn`` would import tarlens again in every worker."""
    import multiprocessing  # noqa: PLC0415

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def _pool(workers: int, settings: _Settings) -> Any:
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    return ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=_init_worker, initargs=(settings, os.getpid())
    )


def _died(job: tuple[int, str]) -> ScanResult:
    return ScanResult(
        index=job[0],
        path=job[1],
        error=ScanError(
            ScanErrorKind.WORKER_DIED,
            "BrokenProcessPool",
            "the worker process reading it died (killed, or out of memory), also when it "
            "was read alone",
        ),
    )


def _alone(job: tuple[int, str], settings: _Settings) -> ScanResult:
    """Read one tarball in a pool of its own: if that worker dies too, this tarball did it."""
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

    pool = _pool(1, settings)
    try:
        result: ScanResult = pool.submit(_work, *job).result()
    except BrokenProcessPool:
        result = _died(job)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return result


def _pooled(
    jobs: Sequence[tuple[int, str]], workers: int, settings: _Settings
) -> Iterator[ScanResult]:
    """Results in the order they complete.

    At most ``2 * workers`` tasks are in flight, so a scan of a million tarballs holds a few
    futures, not a million. When a worker dies, ``concurrent.futures`` fails every task in
    flight with ``BrokenProcessPool`` without saying whose worker died; each of them is then
    read again alone (:func:`_alone`), and the rest continue in a new pool.
    """
    from concurrent.futures import FIRST_COMPLETED, wait  # noqa: PLC0415
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

    queue = deque(jobs)
    window = 2 * workers
    while queue:
        suspects: list[tuple[int, str]] = []
        pool = _pool(workers, settings)
        try:
            inflight: dict[Future[ScanResult], tuple[int, str]] = {}
            while (queue or inflight) and not suspects:
                while queue and len(inflight) < window:
                    job = queue.popleft()
                    try:
                        inflight[pool.submit(_work, *job)] = job
                    except BrokenProcessPool:
                        queue.appendleft(job)
                        break
                if not inflight:  # the pool broke before anything could be submitted
                    break
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    job = inflight.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        suspects.append(job)
                    else:
                        yield result
            if suspects:  # a broken pool fails every other task at once; keep what finished
                wait(inflight)
                for future, job in inflight.items():
                    if isinstance(future.exception(), BrokenProcessPool):
                        suspects.append(job)
                    else:
                        yield future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        for job in sorted(suspects):
            yield _alone(job, settings)


def _in_order(results: Iterator[ScanResult]) -> Iterator[ScanResult]:
    """Hold results that arrive early until those before them have been handed out."""
    waiting: dict[int, ScanResult] = {}
    nxt = 0
    for result in results:
        waiting[result.index] = result
        while nxt in waiting:
            yield waiting.pop(nxt)
            nxt += 1
    yield from (waiting[i] for i in sorted(waiting))


def default_workers() -> int:
    """The CPUs this process may run on (``os.sched_getaffinity``, where the OS has it)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _settings(
    limits: Limits | None,
    config: Config | None,
    select: Sequence[str] | None,
    ignore: Sequence[str],
    signals: Literal["attention", "all"] = "attention",
) -> _Settings:
    if signals not in ("attention", "all"):
        raise ValueError(f"signals must be 'attention' or 'all', not {signals!r}")
    return _Settings(
        limits or Limits(),
        config or Config(),
        tuple(select) if select is not None else None,
        tuple(ignore),
        signals,
    )


def scan_many(
    paths: Iterable[str | os.PathLike[str]],
    *,
    workers: int | None = None,
    limits: Limits | None = None,
    config: Config | None = None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    signals: Literal["attention", "all"] = "attention",
    ordered: bool = True,
    on_result: Callable[[ScanResult], None] | None = None,
) -> Iterator[ScanResult]:
    """Scan many tarballs, one :class:`ScanResult` each, on every core.

    ``paths`` are tarballs and directories (walked as :func:`find_tarballs` says, which runs
    at once: a path that does not exist raises :class:`tarlens.InputError` here, before any
    work starts). ``workers`` defaults to the CPUs this process may use; ``workers=1`` reads
    everything in this process, without a pool. ``limits``, ``config``, ``select`` and
    ``ignore`` and ``signals`` mean what they mean for :func:`tarlens.load` and
    :func:`tarlens.check`.

    Results come in the order of the tarballs (``ordered=False``: as they complete, each
    with its ``index``). Put the largest tarballs first for the best balance between
    workers. ``on_result`` is called in this process as each result completes, in completion
    order (a progress bar). Errors are results (:attr:`ScanResult.error`), never exceptions.

    Like :func:`tarlens.load`, a scan only reads the files it is given: nothing is written,
    nothing from a tarball runs, no socket is opened.
    """
    return start(
        find_tarballs(paths),
        workers=workers,
        limits=limits,
        config=config,
        select=select,
        ignore=ignore,
        signals=signals,
        ordered=ordered,
        on_result=on_result,
    )


def start(
    tarballs: Sequence[str],
    *,
    workers: int | None = None,
    limits: Limits | None = None,
    config: Config | None = None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    signals: Literal["attention", "all"] = "attention",
    ordered: bool = True,
    on_result: Callable[[ScanResult], None] | None = None,
) -> Iterator[ScanResult]:
    """:func:`scan_many` of a list that :func:`find_tarballs` made (the CLI counts it first)."""
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ValueError(f"workers must be a positive integer, not {workers!r}")
    jobs = list(enumerate(tarballs))
    settings = _settings(limits, config, select, ignore, signals)
    return _scan_jobs(jobs, effective_workers(workers, len(jobs)), settings, ordered, on_result)


def effective_workers(workers: int | None, tarballs: int) -> int:
    """The processes a scan uses: never more than there are tarballs."""
    return max(1, min(workers or default_workers(), tarballs))


def _scan_jobs(
    jobs: Sequence[tuple[int, str]],
    workers: int,
    settings: _Settings,
    ordered: bool,
    on_result: Callable[[ScanResult], None] | None,
) -> Iterator[ScanResult]:
    # every step is a generator: the pool starts with the first ``next()``, not before
    results: Iterator[ScanResult]
    if workers == 1:
        results = (scan_one(i, p, settings) for i, p in jobs)
    else:
        results = _pooled(jobs, workers, settings)
    if on_result is not None:
        results = _tap(results, on_result)
    if ordered and workers > 1:
        results = _in_order(results)
    return results


def _tap(results: Iterator[ScanResult], fn: Callable[[ScanResult], None]) -> Iterator[ScanResult]:
    for result in results:
        fn(result)
        yield result


# -- Dask ------------------------------------------------------------------------------------


def _scan_job(job: tuple[int, str], settings: _Settings) -> ScanResult:
    return scan_one(job[0], job[1], settings)


def scan_dask(
    paths: Iterable[str | os.PathLike[str]],
    *,
    client: Any = None,
    npartitions: int | None = None,
    limits: Limits | None = None,
    config: Config | None = None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    signals: Literal["attention", "all"] = "attention",
) -> list[ScanResult]:
    """:func:`scan_many` on Dask: ``dask.bag`` over the tarballs, one result each, in order.

    ``client`` is a ``distributed.Client`` (default: Dask's current scheduler, which is the
    active client when there is one). Directories are walked here, by the caller; every
    worker must see the tarballs under the same paths (a shared or replicated file system)
    and have tarlens installed. ``npartitions`` defaults to Dask's choice for
    ``dask.bag.from_sequence`` (one tarball per partition up to 100 tarballs, then about
    ``sqrt(n) / 10`` per partition). Needs ``pip install 'tarlens[dask]'``.
    """
    try:
        import dask.bag as db  # noqa: PLC0415 - optional, and it imports socket
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("tarlens.scan_dask needs Dask: pip install 'tarlens[dask]'") from exc
    tarballs = find_tarballs(paths)
    if not tarballs:
        return []
    # workers may run in another directory: they get absolute paths, results show the given ones
    jobs = [(i, os.path.abspath(p)) for i, p in enumerate(tarballs)]
    settings = _settings(limits, config, select, ignore, signals)
    bag = db.from_sequence(jobs, npartitions=npartitions)  # type: ignore[no-untyped-call]
    bag = bag.map(_scan_job, settings=settings)
    results = bag.compute() if client is None else client.compute(bag).result()
    return [attrs.evolve(r, path=tarballs[r.index]) for r in sorted(results, key=lambda r: r.index)]
