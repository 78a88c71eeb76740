"""``tarlens.load``: bytes in, :class:`~tarlens.Manifest` out, nothing written anywhere."""

from __future__ import annotations

from collections.abc import Callable

from tarlens._container import ContainerInfo, Source, iter_tar, open_source
from tarlens._limits import Limits
from tarlens._manifest import Manifest, build, keep_for_manifest
from tarlens._tar import TarReader

__all__: list[str] = []  # private module


def load(
    source: Source,
    *,
    limits: Limits | None = None,
    keep: Callable[[str, int], bool] | None = None,
) -> Manifest:
    """Read an npm package tarball the way npm would install it.

    ``source`` is a path, ``bytes`` or a binary file object (read to its end, never
    seeked or closed). Nothing is extracted, written or executed. Raises a subclass of
    :class:`tarlens.TarlensError` when npm could not install the input at all (not a tar,
    broken compression, truncated data, no or invalid ``package.json``) or a limit is hit;
    anything npm tolerates is reported in ``Manifest.anomalies`` instead.

    ``keep(path, size)`` may ask for the bytes of more installed files to be kept in
    ``File.data`` (``package.json`` files and ``npm-shrinkwrap.json`` always are).

    >>> import tarlens
    >>> m = tarlens.load("fixtures/examples/previous.tgz")  # doctest: +SKIP
    >>> m.name, m.version  # doctest: +SKIP
    ('left-pad-plus', '1.4.0')
    """
    limits = limits or Limits()
    stream, label, close = open_source(source)
    try:
        info = ContainerInfo()

        def want(path: str, size: int) -> bool:
            return keep_for_manifest(path, size, limits) or (keep is not None and keep(path, size))

        reader = TarReader(limits, want)
        for chunk in iter_tar(stream, info, limits):
            reader.feed(chunk)
        reader.finish()
    finally:
        if close:
            stream.close()
    return build(label, reader, info, limits)
