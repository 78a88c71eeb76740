"""Layer 1a: the container around the tar stream, read the way npm reads it.

npm (node-tar's ``Parser``) sniffs the first bytes: ``1f 8b`` is gzip (through zlib's
``Unzip``, so several members in a row are one stream), ``28 b5 2f fd`` is zstd, anything
else is a plain tar. This module streams the input once, hashes the compressed bytes for
``integrity``/``shasum``, decompresses in bounded chunks and reports the container's
oddities (trailing bytes, the decompression ratio npm guards against, the gzip header that
``npm pack`` always writes the same way).
"""

from __future__ import annotations

import enum
import hashlib
import io
import os
import queue
import threading
import zlib
from collections.abc import Callable, Generator, Iterator
from typing import IO, Any

import attrs

from tarlens._errors import ArchiveError, InputError, LimitExceeded
from tarlens._limits import Limits

__all__: list[str] = []  # private module

_isal_zlib: Any
try:  # ISA-L inflates 2-3 times faster than zlib; zlib (what Node uses) has the last word
    from isal import isal_zlib as _isal_zlib
except ImportError:  # pragma: no cover - isal is a dependency, but a platform may lack it
    _isal_zlib = None

READ_SIZE = 256 * 1024
OUT_SIZE = 1024 * 1024
#: node-tar's MAX_DECOMPRESSION_RATIO: it aborts once decompressed/compressed exceeds this.
NPM_MAX_RATIO = 1000
#: Read size used to estimate the ratio npm sees when it streams from the registry.
STREAM_CHUNK = 64 * 1024

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class Compression(enum.StrEnum):
    GZIP = "gzip"
    ZSTD = "zstd"
    NONE = "none"


class Trailing(enum.StrEnum):
    """What follows the last complete compressed member."""

    NONE = "none"
    ZEROS = "zeros"  # zlib in Node stops at a 0x00 byte: accepted
    ZEROS_THEN_DATA = "zeros-then-data"  # accepted or refused depending on read chunking
    GARBAGE = "garbage"  # npm install fails ("incorrect header check" or similar)


Source = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]


@attrs.frozen
class GzipHeader:
    """The fixed part of the first gzip member's header (RFC 1952)."""

    flags: int
    mtime: int
    xfl: int
    os: int
    name: bytes | None


@attrs.define
class ContainerInfo:
    """Filled in while the input is streamed; complete once the stream is exhausted."""

    compression: Compression = Compression.NONE
    compressed_size: int = 0
    tar_size: int = 0
    members: int = 0
    gzip_header: GzipHeader | None = None
    trailing: Trailing = Trailing.NONE
    trailing_size: int = 0
    trailing_error: str | None = None
    peak_stream_ratio: float = 0.0
    sha512: Any = attrs.field(factory=hashlib.sha512, repr=False)
    sha1: Any = attrs.field(factory=hashlib.sha1, repr=False)

    @property
    def ratio(self) -> float:
        if self.compression is Compression.NONE or not self.compressed_size:
            return 1.0
        return self.tar_size / self.compressed_size


def open_source(source: Source) -> tuple[IO[bytes], str, bool]:
    """Return ``(stream, label, close_when_done)`` for any accepted source."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source)), "<bytes>", True
    if isinstance(source, (str, os.PathLike)):
        label = os.fspath(source)
        try:
            return open(label, "rb"), label, True
        except IsADirectoryError:
            raise InputError(label, "it is a directory, not a tarball") from None
        except FileNotFoundError:
            raise InputError(label, "no such file") from None
        except PermissionError:
            raise InputError(label, "permission denied") from None
        except OSError as exc:
            raise InputError(label, exc.strerror or str(exc)) from None
    if hasattr(source, "read"):
        return source, getattr(source, "name", None) or "<stream>", False
    raise TypeError(f"expected a path, bytes or a binary file object, not {type(source).__name__}")


def _parse_gzip_header(data: bytes) -> GzipHeader | None:
    if len(data) < 10 or data[:2] != GZIP_MAGIC:
        return None
    flags = data[3]
    name: bytes | None = None
    if flags & 0x08:  # FNAME, after an optional FEXTRA
        pos = 10
        if flags & 0x04 and len(data) >= 12:
            pos += 2 + int.from_bytes(data[10:12], "little")
        end = data.find(b"\x00", pos, pos + 1024)
        if end >= 0:
            name = data[pos:end]
    return GzipHeader(
        flags=flags,
        mtime=int.from_bytes(data[4:8], "little"),
        xfl=data[8],
        os=data[9],
        name=name,
    )


class _Reader:
    """Reads the source in bounded chunks, hashing every compressed byte exactly once."""

    def __init__(
        self, stream: IO[bytes], info: ContainerInfo, limits: Limits, seen: int = 0
    ) -> None:
        self._stream = stream
        self._info = info
        self._limits = limits
        self._pending = b""
        #: leading bytes already counted and hashed by an earlier reader of the same input
        self._seen = seen

    def read(self, n: int = READ_SIZE) -> bytes:
        if self._pending:
            pending, self._pending = self._pending, b""
            return pending
        try:
            # a non-blocking stream may return None when nothing is ready: treat as the end
            data: bytes | None = self._stream.read(n)
        except OSError as exc:
            raise InputError("<input>", exc.strerror or str(exc)) from None
        if not data:
            return b""
        data = bytes(data)
        if self._seen:
            known = min(self._seen, len(data))
            self._seen -= known
            if known < len(data):
                self._count(data[known:])
            return data
        return self._count(data)

    def _count(self, data: bytes) -> bytes:
        info = self._info
        info.compressed_size += len(data)
        if info.compressed_size > self._limits.max_input_bytes:
            raise LimitExceeded(
                "max_input_bytes", self._limits.max_input_bytes, what="the compressed input"
            )
        info.sha512.update(data)
        info.sha1.update(data)
        return data

    def unread(self, data: bytes) -> None:
        self._pending = data + self._pending

    def drain(self) -> int:
        """Hash the rest of the input without keeping it; return its length."""
        total = 0
        while data := self.read():
            total += len(data)
        return total


def _tar_limit(info: ContainerInfo, limits: Limits) -> None:
    if info.tar_size > limits.max_tar_bytes:
        raise LimitExceeded(
            "max_tar_bytes",
            limits.max_tar_bytes,
            what=f"the uncompressed tar stream ({info.compression} at ratio >"
            f" {info.tar_size // max(info.compressed_size, 1)}:1)",
        )


def _account(info: ContainerInfo, out: bytes, consumed_total: int, limits: Limits) -> None:
    info.tar_size += len(out)
    _tar_limit(info, limits)
    # npm checks decompressed/compressed after every decompressed chunk; when it streams
    # from the registry the compressed side arrives in small chunks.
    seen = -(-consumed_total // STREAM_CHUNK) * STREAM_CHUNK
    ratio = info.tar_size / max(seen, 1)
    info.peak_stream_ratio = max(info.peak_stream_ratio, ratio)


def iter_tar(
    stream: IO[bytes],
    info: ContainerInfo,
    limits: Limits,
    reopen: Callable[[], IO[bytes]] | None = None,
) -> Generator[bytes, None, None]:
    """Yield the uncompressed tar stream in chunks; fill ``info`` as a side effect.

    ``reopen()``, when the input can be read again from its start, lets gzip be inflated
    with ISA-L: should ISA-L refuse the data, zlib reads it again from the start and gives
    the verdict (its output is the same byte for byte up to there, so nothing yielded is
    taken back)."""
    reader = _Reader(stream, info, limits)
    head = b""
    while len(head) < 4:
        more = reader.read()
        if not more:
            break
        head += more
    if not head:
        raise ArchiveError("the input is empty")
    if head[:2] == GZIP_MAGIC:
        info.compression = Compression.GZIP
        info.gzip_header = _parse_gzip_header(head)
        reader.unread(head)
        yield from _iter_gzip(reader, info, limits, reopen)
    elif head[:4] == ZSTD_MAGIC:
        info.compression = Compression.ZSTD
        reader.unread(head)
        yield from _iter_zstd(reader, info, limits)
    else:
        info.compression = Compression.NONE
        reader.unread(head)
        while data := reader.read():
            info.tar_size += len(data)
            _tar_limit(info, limits)
            yield data


#: chunks decoded ahead of the reader (each at most OUT_SIZE): bounds the memory of read-ahead
AHEAD = 4


def read_ahead(chunks: Generator[bytes, None, None]) -> Generator[bytes, None, None]:
    """Run ``chunks`` (the reading, hashing and inflating of :func:`iter_tar`, which all let
    go of the GIL) in a thread of its own, at most :data:`AHEAD` chunks ahead of the caller,
    so that a second core decodes while the first parses. Exceptions surface in the caller,
    and closing this generator early stops the thread."""
    slots: queue.Queue[tuple[bytes | None, BaseException | None]] = queue.Queue(AHEAD)
    stop = threading.Event()

    def put(item: tuple[bytes | None, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def pump() -> None:
        try:
            for chunk in chunks:
                if not put((chunk, None)):
                    return
            put((None, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            put((None, exc))
        finally:
            chunks.close()

    worker = threading.Thread(target=pump, name="tarlens-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            chunk, error = slots.get()
            if error is not None:
                raise error
            if chunk is None:
                return
            yield chunk
    finally:
        stop.set()
        # the thread stops at its next chunk; one blocked reading a stalled FIFO is left
        # behind (a daemon), never waited for: the caller's error must not hang
        worker.join(timeout=1.0)


def _iter_gzip(
    reader: _Reader,
    info: ContainerInfo,
    limits: Limits,
    reopen: Callable[[], IO[bytes]] | None = None,
) -> Iterator[bytes]:
    if _isal_zlib is None or reopen is None:
        yield from _inflate(reader, info, limits, zlib)
        return
    try:
        yield from _inflate(reader, info, limits, _isal_zlib)
    except _Refused as refused:
        # ISA-L refused the first member: zlib, which Node uses, reads it from the start
        # and has the last word (what ISA-L produced before is the same, byte for byte)
        with reopen() as again:
            replay = _Reader(again, info, limits, seen=info.compressed_size)
            yield from _inflate(replay, info, limits, zlib, skip=refused.produced)


class _Refused(Exception):
    """ISA-L refused data in the first gzip member after producing ``produced`` bytes."""

    def __init__(self, produced: int) -> None:
        super().__init__(produced)
        self.produced = produced


def _inflate(
    reader: _Reader, info: ContainerInfo, limits: Limits, engine: Any, skip: int = 0
) -> Iterator[bytes]:
    """Inflate every gzip member with ``engine`` (``zlib`` or ISA-L's ``isal_zlib``).
    ``skip`` output bytes were yielded (and accounted) already by an earlier attempt."""
    consumed = 0
    produced = 0  # output of the first member, for a replay
    d = engine.decompressobj(wbits=31)
    member_start = 0
    while True:
        data = reader.read()
        if not data:
            if info.members == 0:
                raise ArchiveError(
                    "the gzip stream is truncated (it ends before the end of its first member)",
                    offset=info.compressed_size,
                    stream="compressed input",
                )
            # a later member started but never finished: npm fails with "unexpected end of file"
            info.trailing = Trailing.GARBAGE
            info.trailing_size = info.compressed_size - member_start
            info.trailing_error = "a gzip member after the first one is truncated"
            return
        while data:
            try:
                out = d.decompress(data, OUT_SIZE)
            except Exception as exc:
                if not isinstance(exc, zlib.error):
                    if info.members == 0:
                        raise _Refused(produced) from None
                    raise  # pragma: no cover - later members are inflated by zlib
                if info.members == 0:
                    raise ArchiveError(
                        f"the gzip data is corrupt ({exc})",
                        offset=consumed,
                        stream="compressed input",
                    ) from None
                info.trailing = Trailing.GARBAGE
                info.trailing_size = info.compressed_size - member_start
                info.trailing_error = f"bytes after the gzip stream do not inflate ({exc})"
                reader.drain()
                info.trailing_size = info.compressed_size - member_start
                return
            used = len(data) - len(d.unconsumed_tail) - len(d.unused_data)
            consumed += used
            if out and info.members == 0:
                produced += len(out)
                if skip:
                    dropped = min(skip, len(out))
                    skip -= dropped
                    out = out[dropped:]
            if out:
                _account(info, out, consumed, limits)
                yield out
            if d.eof:
                info.members += 1
                rest = d.unused_data
                member_start = consumed
                if not rest:
                    rest = reader.read()
                    if not rest:
                        return
                if rest[0] == 0:
                    # Node's zlib binding stops at a zero byte after a member's end.
                    reader.unread(rest)
                    nonzero = 0
                    total = 0
                    while chunk := reader.read():
                        total += len(chunk)
                        if nonzero == 0 and chunk.count(0) != len(chunk):
                            nonzero = total
                    info.trailing_size = total
                    info.trailing = Trailing.ZEROS if nonzero == 0 else Trailing.ZEROS_THEN_DATA
                    return
                # anything else is read as the next gzip member, by zlib: rare and small
                d = zlib.decompressobj(wbits=31)
                data = rest
                continue
            data = d.unconsumed_tail


def _iter_zstd(reader: _Reader, info: ContainerInfo, limits: Limits) -> Iterator[bytes]:
    try:
        import zstandard  # noqa: PLC0415 - imported only when a zstd tarball shows up
    except ImportError:  # pragma: no cover - zstandard is a dependency
        raise ArchiveError("the input is zstd-compressed and zstandard is not installed") from None
    # stream_reader bounds every read (a zstd frame can expand a million times).
    source: Any = reader  # file-like enough: zstandard only calls read(n)
    zreader = zstandard.ZstdDecompressor().stream_reader(
        source, read_size=READ_SIZE, read_across_frames=True, closefd=False
    )
    info.members = 1
    while True:
        try:
            out = zreader.read(OUT_SIZE)
        except zstandard.ZstdError as exc:
            if info.tar_size == 0:
                raise ArchiveError(
                    f"the zstd data is corrupt ({exc})", stream="compressed input"
                ) from None
            info.trailing = Trailing.GARBAGE
            info.trailing_error = f"bytes after the zstd frames do not decompress ({exc})"
            info.trailing_size = reader.drain()
            return
        if not out:
            if info.tar_size == 0:
                raise ArchiveError(
                    "the zstd stream is truncated or empty", stream="compressed input"
                )
            return
        _account(info, out, info.compressed_size, limits)
        yield out
