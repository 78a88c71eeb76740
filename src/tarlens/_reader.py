"""``tarlens.load``: bytes in, :class:`~tarlens.Manifest` out, nothing written anywhere."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection

from tarlens._analysis import Content
from tarlens._analysis import analyze as analyze_content
from tarlens._container import ContainerInfo, Source, iter_tar, open_source
from tarlens._errors import InputError
from tarlens._limits import Limits
from tarlens._manifest import Manifest, build, keep_for_manifest
from tarlens._tar import ConsumeFn, InstalledFile, TarReader

__all__: list[str] = []  # private module


def _read(
    source: Source,
    limits: Limits,
    keep: Callable[[str, int], bool],
    stream: Callable[[str, int], bool] | None = None,
    consume: ConsumeFn | None = None,
    stream_cap: int | None = None,
) -> tuple[TarReader, ContainerInfo, str]:
    stream_in, label, close = open_source(source)
    try:
        info = ContainerInfo()
        reader = TarReader(limits, keep, stream, consume, stream_cap)
        for chunk in iter_tar(stream_in, info, limits):
            reader.feed(chunk)
        reader.finish()
    finally:
        if close:
            stream_in.close()
    return reader, info, label


def load(
    source: Source,
    *,
    limits: Limits | None = None,
    keep: Callable[[str, int], bool] | None = None,
    analyze: bool = True,
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

    >>> import tarlens
    >>> m = tarlens.load("fixtures/examples/greeter-1.4.0.tgz")
    >>> m.name, m.version, len(m.files)
    ('@example/greeter', '1.4.0', 5)
    """
    limits = limits or Limits()

    def want(path: str, size: int) -> bool:
        return keep_for_manifest(path, size, limits) or (keep is not None and keep(path, size))

    contents: dict[str, Content] = {}

    def analyse(target: InstalledFile, data: bytes) -> None:
        contents[target.path] = analyze_content(target.path, data)

    reader, info, label = _read(
        source,
        limits,
        want,
        (lambda _p, _s: True) if analyze else None,
        analyse if analyze else None,
        limits.max_analyzed_bytes,
    )
    origin: str | bytes | None = None
    if isinstance(source, (str, os.PathLike)):
        origin = os.fspath(source)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        origin = bytes(source)
    return build(label, reader, info, limits, origin=origin, contents=contents)


def read_files(
    manifest: Manifest,
    paths: Collection[str],
    consume: Callable[[str, bytes], None],
    *,
    limits: Limits | None = None,
) -> None:
    """Read the tarball behind ``manifest`` again and hand the installed bytes of ``paths``
    to ``consume(path, data)``, one file at a time (a duplicated path is handed over again
    for every write; the last call carries the installed bytes).

    Raises :class:`tarlens.InputError` when the manifest was loaded from a stream.
    """
    if manifest.origin is None:
        raise InputError(manifest.source, "it was read from a stream and cannot be read again")
    wanted = frozenset(paths)

    def hand_over(target: InstalledFile, data: bytes) -> None:
        consume(target.path, data)

    _read(
        manifest.origin,
        limits or Limits(),
        lambda _p, _s: False,
        lambda p, _s: p in wanted,
        hand_over,
    )
