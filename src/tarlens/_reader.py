"""``tarlens.load``: bytes in, :class:`~tarlens.Manifest` out, nothing written anywhere."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import IO, Any, Literal

import attrs

from tarlens._analysis import Content
from tarlens._analysis import analyze as analyze_content
from tarlens._container import ContainerInfo, Source, iter_tar, open_source, read_ahead
from tarlens._errors import InputError
from tarlens._limits import Limits, ScanBudget
from tarlens._manifest import (
    OWN_MANIFESTS,
    File,
    Manifest,
    build,
    keep_for_manifest,
    unscanned,
)
from tarlens._tar import BLOCK, ConsumeFn, InstalledFile, TarReader

__all__: list[str] = []  # private module


def _read(
    source: Source,
    limits: Limits,
    keep: Callable[[str, int], bool],
    stream: Callable[[str, int], bool] | None = None,
    consume: ConsumeFn | None = None,
    stream_cap: int | None = None,
    *,
    rereadable: bool,
) -> tuple[TarReader, ContainerInfo, str]:
    stream_in, label, close = open_source(source)
    try:
        info = ContainerInfo()
        reader = TarReader(limits, keep, stream, consume, stream_cap)
        reopen = _reopener(source) if rereadable else None
        chunks = iter_tar(stream_in, info, limits, reopen)
        if reopen is not None:
            # a file or bytes: a thread may read ahead (a pipe the caller handed over is read
            # here, where a stalled writer can only stall the caller's own call)
            chunks = read_ahead(chunks)
        try:
            for chunk in chunks:
                reader.feed(chunk)
        finally:
            chunks.close()
        reader.finish()
    finally:
        if close:
            stream_in.close()
    return reader, info, label


def _regular_file(path: str | os.PathLike[str]) -> bool:
    """A FIFO or a device named by its path is a stream, like a file object: reading it
    again would read other bytes."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # open_source says why


def _reopener(source: Source) -> Callable[[], IO[bytes]]:
    """How to read ``source`` (bytes, or a regular file's path) again from its start."""
    return lambda: open_source(source)[0]


def load(
    source: Source,
    *,
    limits: Limits | None = None,
    keep: Callable[[str, int], bool] | None = None,
    analyze: bool = True,
    signals: Literal["attention", "all"] = "attention",
) -> Manifest:
    """Read an npm package tarball the way npm would install it.

    ``source`` is a path, ``bytes`` or a binary file object (read to its end, never
    seeked or closed). Nothing is extracted, written or executed. Raises a subclass of
    :class:`tarlens.TarlensError` when npm could not install the input at all (not a tar,
    broken compression, truncated data, no or invalid ``package.json``) or a limit is hit;
    anything npm tolerates is reported in ``Manifest.anomalies`` instead.

    ``keep(path, size)`` may ask for the bytes of more installed files to be kept in
    ``File.data`` (``package.json`` files and ``npm-shrinkwrap.json`` always are).

    Every installed file is analysed as it streams past (``File.kind``, ``File.content``):
    memory is bounded by the largest file analysed (its first ``Limits.max_analyzed_bytes``),
    not by the tarball. ``analyze=False`` skips that and leaves ``kind`` unset.

    The code signals (what a file's code can do, obfuscation, network literals) cost far
    more than the rest: by default (``signals="attention"``) they are looked for in the
    files of :meth:`Manifest.attention` (entry points, files lifecycle scripts run, files
    whose extension lies), read a second time once ``package.json`` is known;
    ``signals="all"`` looks in every code file. A file object cannot be read twice, so for
    one every code file is scanned in the one pass. ``Content.scanned`` tells which were.
    More code to scan than ``Limits.max_scanned_bytes`` is refused (``LimitExceeded``).

    >>> import tarlens
    >>> m = tarlens.load("fixtures/examples/greeter-1.4.0.tgz")
    >>> m.name, m.version, len(m.files)
    ('@example/greeter', '1.4.0', 5)
    """
    manifest = load_unscanned(source, limits=limits, keep=keep, analyze=analyze, signals=signals)
    if manifest.scan != "attention":
        return manifest
    return scan_signals(manifest, manifest.attention(), limits=limits)


def load_unscanned(
    source: Source,
    *,
    limits: Limits | None = None,
    keep: Callable[[str, int], bool] | None = None,
    analyze: bool = True,
    signals: Literal["attention", "all"] = "attention",
) -> Manifest:
    """:func:`load` without the second read for the attention files' signals (the caller
    reads them with :func:`scan_signals`, or with more of its own, as a diff does)."""
    limits = limits or Limits()
    if signals not in ("attention", "all"):
        raise ValueError(f"signals must be 'attention' or 'all', not {signals!r}")

    kept = 0  # bytes of bundled manifests and secret-looking files kept so far

    def want(path: str, size: int) -> bool:
        nonlocal kept
        if keep is not None and keep(path, size):
            return True
        if not keep_for_manifest(path, size, limits):
            return False
        if path in OWN_MANIFESTS:
            return True
        if kept + size > limits.max_kept_bytes:
            return False  # hashed and analysed as it streams past, not kept
        kept += size
        return True

    origin: str | bytes | None = None
    if isinstance(source, (str, os.PathLike)):
        origin = os.fspath(source) if _regular_file(source) else None
    elif isinstance(source, (bytes, bytearray, memoryview)):
        origin = bytes(source)
        source = origin
    deep = signals == "all" or origin is None
    contents: dict[str, Content] = {}
    budget = ScanBudget(limits)

    def analyse(target: InstalledFile, data: bytes) -> None:
        content = analyze_content(
            target.path, data, signals=deep, on_scan=budget.charge if deep else None
        )
        budget.keep(len(content.signals))
        contents[target.path] = content

    reader, info, label = _read(
        source,
        limits,
        want,
        (lambda _p, _s: True) if analyze else None,
        analyse if analyze else None,
        limits.max_analyzed_bytes,
        rereadable=origin is not None,
    )
    manifest = build(label, reader, info, limits, origin=origin, contents=contents)
    if not analyze:
        return attrs.evolve(manifest, scan="none")
    return manifest if deep else attrs.evolve(manifest, scan="attention")


def scan_signals(
    manifest: Manifest, paths: Collection[str], *, limits: Limits | None = None
) -> Manifest:
    """``manifest`` with the code signals of ``paths`` looked for (files already scanned,
    and files that are not code, are left as they are). Reads the tarball again."""
    wanted = frozenset(paths)
    todo = {f.path for f in manifest.files if f.path in wanted and unscanned(f)}
    if not todo:
        return manifest
    limits = limits or Limits()
    budget = scan_budget(manifest, todo, limits)
    found: dict[str, Content] = {}

    def analyse(path: str, data: bytes) -> None:
        found[path] = analyze_content(path, data, signals=True)
        budget.keep(len(found[path].signals))

    read_files(manifest, todo, analyse, limits=limits, cap=limits.max_analyzed_bytes)
    return with_contents(manifest, found)


def scan_budget(manifest: Manifest, paths: Collection[str], limits: Limits) -> ScanBudget:
    """The budget for scanning ``paths`` (:func:`unscanned` code of ``manifest``), charged
    before a byte is read again: their bytes (each up to ``Limits.max_analyzed_bytes``) and
    the signals ``manifest`` holds already."""
    budget = ScanBudget(limits)
    cap = limits.max_analyzed_bytes
    budget.charge(sum(min(f.size, cap) for f in manifest.files if f.path in paths))
    budget.keep(sum(len(f.content.signals) for f in manifest.files if f.content))
    return budget


def with_contents(manifest: Manifest, found: Mapping[str, Content]) -> Manifest:
    """``manifest`` with the files named in ``found`` given that content."""
    if not found:
        return manifest
    files = tuple(
        attrs.evolve(f, content=found[f.path]) if f.path in found else f for f in manifest.files
    )
    return attrs.evolve(manifest, files=files)


def read_files(
    manifest: Manifest,
    paths: Collection[str],
    consume: Callable[[str, bytes], None],
    *,
    limits: Limits | None = None,
    cap: int | None = None,
) -> None:
    """Read the tarball behind ``manifest`` again and hand the installed bytes of ``paths``
    to ``consume(path, data)``, one file at a time, in tar order (the first ``cap`` bytes
    when ``cap`` is given).

    Only the compressed stream is decoded again: where each installed file's bytes lie in
    the tar stream is known from the first read (``File.entry``), so no header is parsed
    twice. Every file handed over is checked against its sha256 from the first read.

    Raises :class:`tarlens.InputError` when the manifest was loaded from a stream, or when
    the bytes differ from those read the first time.
    """
    if manifest.origin is None:
        raise InputError(manifest.source, "it was read from a stream and cannot be read again")
    wanted = frozenset(paths)
    # a file's bytes follow the header of the entry that installed them (entries[i].index == i)
    spans = sorted(
        (manifest.entries[f.entry].offset + BLOCK, f) for f in manifest.files if f.path in wanted
    )
    if not spans:
        return
    limits = limits or Limits()
    stream_in, _label, close = open_source(manifest.origin)
    try:
        chunks = read_ahead(
            iter_tar(stream_in, ContainerInfo(), limits, _reopener(manifest.origin))
        )
        try:
            _hand_over(chunks, spans, consume, cap, manifest)
        finally:
            chunks.close()
    finally:
        if close:
            stream_in.close()


def _hand_over(
    chunks: Iterator[bytes],
    spans: list[tuple[int, File]],
    consume: Callable[[str, bytes], None],
    cap: int | None,
    manifest: Manifest,
) -> None:
    pos = 0  # tar-stream offset of the start of `chunk`
    i = 0
    current: File | None = None
    start = 0
    parts: list[bytes] = []
    kept = 0
    hasher: Any = None

    def changed() -> InputError:
        return InputError(manifest.source, "its bytes changed since it was first read")

    for chunk in chunks:
        end = pos + len(chunk)
        while True:
            if current is None:
                if i == len(spans):
                    return  # the rest of the stream is not needed
                start, current = spans[i]
                i += 1
                parts, kept, hasher = [], 0, hashlib.sha256()
            stop = start + current.size
            lo = max(start, pos) - pos
            hi = min(stop, end) - pos
            if hi > lo:
                piece = chunk[lo:hi]
                hasher.update(piece)
                if cap is None or kept < cap:
                    piece = piece if cap is None else piece[: cap - kept]
                    parts.append(piece)
                    kept += len(piece)
            if stop > end:
                break  # the file goes on in the next chunk
            if hasher.hexdigest() != current.sha256:
                raise changed()
            data = b"".join(parts)
            parts = []  # the pieces go now, not after the consumer's (memory-hungry) work
            consume(current.path, data)
            del data
            current = None
        pos = end
    if current is not None or i < len(spans):
        raise changed()
