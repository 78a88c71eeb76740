"""Layer 1b: the tar stream, parsed and "installed" exactly as npm does it, in memory.

This mirrors node-tar 7 (``Parser``, ``Header``, ``Pax``, ``ReadEntry``, ``Unpack``) with the
options pacote 21 passes (``strip: 1``, its ``filter`` that drops links and renames
``.gitignore``), decision by decision, so that the installed view equals what ``npm install``
writes. It never writes to disk: the "file system" is a dictionary. Every header is kept as
a :class:`RawEntry` with the reason it was or was not installed, and every place where npm's
view is unusual, or where other tar readers would see something else, becomes an
:class:`Anomaly`.
"""

from __future__ import annotations

import enum
import hashlib
import math
import re
import unicodedata
import zlib
from collections.abc import Callable
from typing import Any

import attrs

from tarlens import _js
from tarlens._anomaly import Anomaly, AnomalyKind, shorten, shorten_name, shorten_optional
from tarlens._errors import ArchiveError, LimitExceeded
from tarlens._limits import Limits

__all__: list[str] = []  # private module

BLOCK = 512
MAX_META_ENTRY_SIZE = 1024 * 1024  # node-tar's maxMetaEntrySize
MAX_DEPTH = 1024  # node-tar's DEFAULT_MAX_DEPTH
NAME_MAX = 255  # bytes in one path component (Linux)
PATH_MAX = 4096  # bytes in a whole path (Linux); longer relative paths can never be written
UMASK = 0o022  # the usual process umask npm runs under
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

TYPE_NAMES: dict[str, str] = {
    "0": "File",
    "": "OldFile",
    "1": "Link",
    "2": "SymbolicLink",
    "3": "CharacterDevice",
    "4": "BlockDevice",
    "5": "Directory",
    "6": "FIFO",
    "7": "ContiguousFile",
    "g": "GlobalExtendedHeader",
    "x": "ExtendedHeader",
    "A": "SolarisACL",
    "D": "GNUDumpDir",
    "I": "Inode",
    "K": "NextFileHasLongLinkpath",
    "L": "NextFileHasLongPath",
    "M": "ContinuationFile",
    "N": "OldGnuLongPath",
    "S": "SparseFile",
    "V": "TapeVolumeHeader",
    "X": "OldExtendedHeader",
}
NORMAL_FS_TYPES = frozenset({"0", "", "1", "2", "3", "4", "5", "6", "7", "D"})
META_TYPES = frozenset(
    {
        "NextFileHasLongLinkpath",
        "NextFileHasLongPath",
        "OldGnuLongPath",
        "GlobalExtendedHeader",
        "ExtendedHeader",
        "OldExtendedHeader",
    }
)
KNOWN_ENTRY_TYPES = frozenset(
    {
        "File",
        "OldFile",
        "Link",
        "SymbolicLink",
        "CharacterDevice",
        "BlockDevice",
        "Directory",
        "FIFO",
        "ContiguousFile",
        "GNUDumpDir",
    }
)
FILE_TYPES = frozenset({"File", "OldFile", "ContiguousFile"})
LINK_TYPES = frozenset({"Link", "SymbolicLink"})
PAX_FIELDS = (
    "atime", "charset", "comment", "ctime", "dev", "gid", "gname", "ino",
    "linkpath", "mtime", "nlink", "path", "size", "uid", "uname",
)  # fmt: skip


class EntryStatus(enum.StrEnum):
    """What npm does with one tar header."""

    INSTALLED = "installed"
    OVERWRITTEN = "overwritten"  # installed, then replaced by a later entry for the same path
    GITIGNORE_DROPPED = "gitignore-dropped"  # a .npmignore was seen for that path first
    LINK_DROPPED = "link-dropped"
    DIRECTORY_DROPPED = "directory-dropped"
    SPECIAL_DROPPED = "special-dropped"  # character/block device, FIFO
    UNSUPPORTED_DROPPED = "unsupported-dropped"  # unknown or vendor type flag, sparse files
    META = "meta"  # PAX or GNU long-name header, applied to the next entry
    META_IGNORED = "meta-ignored"  # PAX/GNU header over node-tar's 1 MiB limit
    INVALID_HEADER = "invalid-header"  # skipped; parsing resynchronises 512 bytes later
    ROOT_DROPPED = "root-dropped"  # nothing left after stripping the first component
    PATH_REJECTED = "path-rejected"  # a `..` component, or a link path escaping the package
    TOO_DEEP = "too-deep"  # more than 1024 components after stripping
    CONFLICT_LOST = "conflict-lost"  # a file or a directory is in the way
    NAME_TOO_LONG = "name-too-long"  # the file system refuses the name (ENAMETOOLONG)
    UNWRITABLE = "unwritable"  # Node cannot even try (a NUL byte in the path)
    AFTER_EOF = "after-end-of-archive"  # npm stops reading before this header


@attrs.frozen
class RawEntry:
    """One tar header as npm's reader saw it, and what npm did with it."""

    index: int
    offset: int
    typeflag: str
    type: str
    #: as the header names it (over ``MAX_SHOWN`` characters, shortened: never installable)
    path: str = attrs.field(converter=shorten)
    size: int
    status: EntryStatus
    detail: str = attrs.field(default="", converter=shorten)
    installed_as: str | None = None
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    uname: str | None = attrs.field(default=None, converter=shorten_name)
    gname: str | None = attrs.field(default=None, converter=shorten_name)
    mtime: int | None = None
    linkpath: str | None = attrs.field(default=None, converter=shorten_optional)
    format: str = "ustar"
    extended: bool = False
    utf8: bool = True
    sha256: str | None = None


class _BadHeader(Exception):
    pass


_FILE = object()  # a file in TarReader's tree of directories


_STR_CACHE: dict[bytes, str] = {}
_NUM_CACHE: dict[bytes, float | None] = {}
_CACHE_MAX = 4096  # header fields repeat (modes, owners, mtimes): parse each spelling once


def _dec_string(buf: bytes, off: int, size: int) -> str:
    """node-tar's ``decString``: UTF-8 with U+FFFD, then ``.replace(/\0.*/, '')``."""
    field = buf[off : off + size]
    if not field.strip(b"\x00"):
        return ""  # all NUL: most link, owner and prefix fields
    cached = _STR_CACHE.get(field)
    if cached is not None:
        return cached
    if field.isascii() and b"\n" not in field and b"\r" not in field:
        value = field.split(b"\x00", 1)[0].decode("ascii")
    else:
        value = _js.strip_nul_dot_star(_js.buffer_to_string(field))
    if size <= 32:
        if len(_STR_CACHE) >= _CACHE_MAX:
            _STR_CACHE.clear()
        _STR_CACHE[field] = value
    return value


def _large_parse(field: bytes) -> int:
    pre = field[0]
    if pre == 0x80:
        value = int.from_bytes(field[1:], "big")
    elif pre == 0xFF:
        value = int.from_bytes(field, "big", signed=True)
    else:
        raise _BadHeader("invalid base256 encoding")
    if abs(value) > _js.MAX_SAFE_INTEGER:
        raise _BadHeader("parsed number outside of javascript safe integer range")
    return value


_ASCII_WS = b" \t\v\f"
_OCTAL_PREFIX = re.compile(rb"[+-]?[0-7]+")


def _dec_number(buf: bytes, off: int, size: int) -> float | None:
    """node-tar's ``decNumber``: base-256, or ``parseInt(str.replace(/\0.*$/, '').trim(), 8)``."""
    field = buf[off : off + size]
    try:
        return _NUM_CACHE[field]
    except KeyError:
        pass
    value: float | None
    if field[0] & 0x80:
        value = float(_large_parse(field))
    elif field.isascii() and b"\n" not in field and b"\r" not in field:
        # no line terminators: the regex cuts at the first NUL; trim() strips ASCII blanks
        m = _OCTAL_PREFIX.match(field.split(b"\x00", 1)[0].strip(_ASCII_WS))
        value = float(int(m.group(0), 8)) if m else None
    else:
        n = _js.parse_int(_js.trim(_js.strip_nul_dot_star_dollar(_js.buffer_to_string(field))), 8)
        value = None if math.isnan(n) else n
    if len(_NUM_CACHE) >= _CACHE_MAX:
        _NUM_CACHE.clear()
    _NUM_CACHE[field] = value
    return value


_Absent = object()


def _pick(ex: dict[str, Any] | None, gex: dict[str, Any] | None, key: str) -> Any:
    """``ex?.key ?? gex?.key`` (``_Absent`` when both are nullish)."""
    if ex is not None and ex.get(key) is not None:
        return ex[key]
    if gex is not None and gex.get(key) is not None:
        return gex[key]
    return _Absent


@attrs.define(slots=True)
class _Header:
    path: str
    mode: float | None
    uid: float | None
    gid: float | None
    size: float | None
    mtime: float | None
    code: str | None  # None: unsupported type flag
    linkpath: str
    uname: str | None
    gname: str | None
    fmt: str
    cksum_valid: bool
    null_block: bool
    raw_flag: str


def _check_base256(buf: bytes, off: int, size: int) -> None:
    """A field node-tar decodes but tarlens does not use: only base-256 can throw."""
    if buf[off] & 0x80:
        _large_parse(buf[off : off + size])


def _byte_sum(block: bytes) -> int:
    """``sum(block[0:148]) + sum(block[156:512])``, the header checksum's byte sum, in C:
    Adler-32's low half is 1 + the byte sum modulo 65521, exact for runs of at most 256
    bytes (at most 65,280), so the two runs are summed in three such pieces."""
    return (
        (zlib.adler32(block[0:148]) & 0xFFFF)
        + (zlib.adler32(block[156:384]) & 0xFFFF)
        + (zlib.adler32(block[384:512]) & 0xFFFF)
        - 3
    )


def _decode_header(buf: bytes, ex: dict[str, Any] | None, gex: dict[str, Any] | None) -> _Header:
    """node-tar's ``Header.decode`` (raises ``_BadHeader`` where it throws)."""
    t = _dec_string(buf, 156, 1)
    normal = t in NORMAL_FS_TYPES
    exf = ex if normal else None
    gexf = gex if normal else None
    mode = _dec_number(buf, 100, 8)
    if exf is None and gexf is None:
        path = _dec_string(buf, 0, 100)
        uid = _dec_number(buf, 108, 8)
        gid = _dec_number(buf, 116, 8)
        size = _dec_number(buf, 124, 12)
        mtime = _dec_number(buf, 136, 12)
    else:
        v = exf.get("path") if exf is not None else None
        path = v if v is not None else _dec_string(buf, 0, 100)

        def field(key: str, off: int, size: int) -> float | None:
            got = _pick(exf, gexf, key)
            return _dec_number(buf, off, size) if got is _Absent else got

        uid = field("uid", 108, 8)
        gid = field("gid", 116, 8)
        size = field("size", 124, 12)
        mtime = field("mtime", 136, 12)
        for src in (gexf, exf):  # Header.#slurp: global first, then local
            if src is not None:
                s = src.get("size")
                if s is not None and s >= 0:
                    size = s
    if size is not None and size < 0:
        size = None
    cksum = _dec_number(buf, 148, 12)
    code: str | None = (t or "0") if t in TYPE_NAMES else None
    if code == "0" and path.endswith("/"):
        code = "5"
    if code == "5":
        size = 0
    linkpath = _dec_string(buf, 157, 100)
    uname = gname = None
    magic = buf[257:265]
    fmt = "ustar" if magic == b"ustar\x0000" else "gnu" if magic == b"ustar  \x00" else "v7"
    if fmt == "ustar":
        if exf is None and gexf is None:
            uname = _dec_string(buf, 265, 32)
            gname = _dec_string(buf, 297, 32)
        else:
            got = _pick(exf, gexf, "uname")
            uname = _dec_string(buf, 265, 32) if got is _Absent else got
            got = _pick(exf, gexf, "gname")
            gname = _dec_string(buf, 297, 32) if got is _Absent else got
        _check_base256(buf, 329, 8)  # devmajor/devminor
        _check_base256(buf, 337, 8)
        if buf[475] != 0:
            path = _dec_string(buf, 345, 155) + "/" + path
        else:
            prefix = _dec_string(buf, 345, 130)
            if prefix:
                path = prefix + "/" + path
            if _pick(ex, gex, "atime") is _Absent:  # note: `ex`, not the filtered one
                _check_base256(buf, 476, 12)
            if _pick(ex, gex, "ctime") is _Absent:
                _check_base256(buf, 488, 12)
    total = 8 * 0x20 + _byte_sum(buf)
    return _Header(
        path=path,
        mode=mode,
        uid=uid,
        gid=gid,
        size=size,
        mtime=mtime,
        code=code,
        linkpath=linkpath,
        uname=uname,
        gname=gname,
        fmt=fmt,
        cksum_valid=cksum is not None and total == cksum,
        null_block=cksum is None and total == 8 * 0x20,
        raw_flag=t,
    )


def _parse_pax(
    text: str, base: dict[str, Any] | None, malformed: list[str] | None = None
) -> dict[str, Any]:
    """``Pax.parse(str, ex)``: records override the pending header; unknown keys are dropped.

    Records whose length prefix is wrong are skipped, as node-tar does; they are appended to
    ``malformed`` because other readers resynchronise differently."""
    kv: dict[str, Any] = {}
    if text.endswith("\n"):
        text = text[:-1]
    for record in text.split("\n"):
        n = _js.parse_int(record, 10)
        if math.isnan(n) or n != len(record.encode("utf-8", "surrogatepass")) + 1:
            if malformed is not None and record.strip("\x00"):
                malformed.append(record[:80])
            continue
        key, _, rest = record[len(str(int(n))) + 1 :].partition("=")
        if not key:
            continue
        for short in ("dev", "ino", "nlink"):
            if key.startswith("SCHILY." + short):
                key = short + key[len("SCHILY." + short) :]
                break
        value = _js.strip_nul_dot_star(rest)
        if key in ("path", "linkpath", "type", "charset", "comment", "gname", "uname"):
            kv[key] = value
        elif key in ("ctime", "atime", "mtime"):
            kv[key] = _js.to_number(value)
        elif key == "size":
            s = _js.to_number(value)
            if s >= 0:
                kv[key] = s
        elif key in ("gid", "uid", "dev", "ino", "nlink", "mode"):
            kv[key] = _js.to_number(value)
    merged = {**(base or {}), **kv}
    return {k: merged[k] for k in PAX_FIELDS if merged.get(k) is not None}


@attrs.define(slots=True)
class InstalledFile:
    """Mutable while reading; frozen into the manifest's ``File`` afterwards."""

    path: str
    entry: int
    tar_mode: int
    base_mode: int  # the mode node-tar creates the file with, after umask 022
    size: int = 0
    sha256: str = ""
    data: bytes | None = None


@attrs.define(slots=True)
class _Body:
    entry: int
    remain: int  # bytes of content still to come (node-tar's `remain`)
    block_remain: int  # bytes including padding
    hasher: Any
    keep: bytearray | None
    meta: bytearray | None
    target: InstalledFile | None
    size: int = 0
    store: bool = False  # keep the bytes in InstalledFile.data
    stream: bool = False  # hand the bytes to the reader's consumer, then drop them
    cap: int | None = None  # buffer at most this much (a streamed file's head)
    whole: bytes | None = None  # the kept bytes, when they arrived in one piece


KeepFn = Callable[[str, int], bool]
ConsumeFn = Callable[[InstalledFile, bytes], None]


class TarReader:
    """Feed it the uncompressed tar stream; read the results after :meth:`finish`."""

    def __init__(
        self,
        limits: Limits,
        keep: KeepFn,
        stream: KeepFn | None = None,
        consume: ConsumeFn | None = None,
        stream_cap: int | None = None,
    ) -> None:
        """``keep(path, size)``: store that file's bytes in ``InstalledFile.data``.
        ``stream(path, size)``: hand its bytes to ``consume`` when complete, then drop them
        (memory stays bounded by the largest such file, not by the tarball). With
        ``stream_cap``, a streamed file that is not also kept is handed over cut to its first
        ``stream_cap`` bytes."""
        self.limits = limits
        self.keep = keep
        self.stream = stream
        self.consume = consume
        self.stream_cap = stream_cap
        self.entries: list[RawEntry] = []
        self.files: dict[str, InstalledFile] = {}
        self.anomalies: list[Anomaly] = []
        self.roots: dict[str, int] = {}
        self.saw_eof = False
        self.saw_valid_entry: bool | None = None
        self._buf = bytearray()
        self._pos = 0  # stream offset of _buf[0]
        self._state = "begin"
        self._saw_null = False
        self._null_offset = 0
        self._ex: dict[str, Any] | None = None
        self._gex: dict[str, Any] | None = None
        self._body: _Body | None = None
        self._pending: dict[str, Any] | None = None
        self._meta_type = ""
        #: the directories the files so far imply, as a tree: a directory is a dict of its
        #: children by name, a file is ``_FILE`` (one name per directory, not one path: a
        #: thousand-deep path would otherwise store a thousand prefixes of itself)
        self._tree: dict[str, Any] = {}
        self._directories = 0
        self._path_bytes = 0
        self._pax_records = 0
        self._saw_ignores: set[str] = set()
        self._invalid_run: tuple[int, int, str] | None = None  # (offset, blocks, reason)
        self._after_eof_nonzero = False

    # -- streaming ----------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        pos = 0
        n = len(buf)
        mv = memoryview(buf)
        try:
            while n - pos >= BLOCK:
                if self._body is not None:
                    pos += self._consume_body(mv, pos, n)
                    continue
                self._header_block(bytes(mv[pos : pos + BLOCK]), self._pos + pos)
                pos += BLOCK
        finally:
            mv.release()
        del buf[:pos]
        self._pos += pos

    def _consume_body(self, mv: memoryview, pos: int, n: int) -> int:
        body = self._body
        assert body is not None
        take = min(body.block_remain, n - pos)
        content = min(take, body.remain)
        if content > 0:
            chunk = mv[pos : pos + content]
            if body.hasher is not None:
                body.hasher.update(chunk)
            if body.keep is not None:
                if not body.keep and content == body.remain and body.whole is None:
                    # the whole body is in this chunk (most files): one copy, not two
                    body.whole = bytes(chunk if body.cap is None else chunk[: body.cap])
                elif body.cap is None:
                    body.keep += chunk
                elif len(body.keep) < body.cap:
                    body.keep += chunk[: body.cap - len(body.keep)]
            if body.meta is not None:
                body.meta += chunk
            body.remain -= content
            body.size += content
        body.block_remain -= take
        if body.block_remain == 0:
            self._body = None
            self._end_body(body)
        return take

    def finish(self) -> None:
        self._flush_invalid()
        if self._body is not None and self._body.block_remain:
            if self.saw_eof:  # a hidden entry cut short: npm never reads it anyway
                self._end_body(self._body)
                self._body = None
                return
            have = len(self._buf)
            raise ArchiveError(
                f"the tar data is truncated: an entry needs {self._body.block_remain} more "
                f"bytes, only {have} available",
                offset=self._pos,
                stream="tar stream",
            )
        if self._state == "begin" or self.saw_valid_entry is False:
            raise ArchiveError("not a tar archive npm can read (no valid tar header found)")
        if not self.saw_eof:
            self.anomalies.append(
                Anomaly(AnomalyKind.NO_EOF_MARKER, "the archive has no end-of-archive marker")
            )

    # -- headers ------------------------------------------------------------------------

    def _header_block(self, block: bytes, offset: int) -> None:
        if self.saw_eof:
            self._hidden_block(block, offset)
            return
        if self._state == "begin":
            self._state = "header"
        if self.saw_valid_entry is None:
            self.saw_valid_entry = False
        try:
            header = _decode_header(block, self._ex, self._gex)
        except _BadHeader as exc:
            self._invalid(offset, str(exc))
            return
        if header.null_block:
            self._flush_invalid()
            if self._saw_null:
                self.saw_eof = True
            else:
                self._saw_null = True
                self._null_offset = offset
            return
        if self._saw_null:
            follows = (
                f"the entry {header.path!r}" if header.cksum_valid and header.path else "more data"
            )
            self.anomalies.append(
                Anomaly(
                    AnomalyKind.LONE_ZERO_BLOCK,
                    f"a single zero block at byte {self._null_offset} of the tar stream is "
                    f"followed by {follows}: npm reads on and installs what follows, GNU tar "
                    "and Python's tarfile stop there and never show it",
                    header.path if header.cksum_valid and header.path else None,
                )
            )
        self._saw_null = False
        if not header.cksum_valid:
            self._invalid(offset, "checksum failure")
            return
        if not header.path:
            self._invalid(offset, "path is required")
            return
        type_name = TYPE_NAMES[header.code] if header.code is not None else "Unsupported"
        if type_name in LINK_TYPES and not header.linkpath:
            self._invalid(offset, "linkpath required")
            return
        if (
            type_name not in LINK_TYPES
            and type_name not in ("GlobalExtendedHeader", "ExtendedHeader")
            and header.linkpath
        ):
            self._invalid(offset, "linkpath forbidden", header)
            return
        self._flush_invalid()
        self._entry(header, type_name, block, offset)

    def _invalid(self, offset: int, reason: str, header: _Header | None = None) -> None:
        if reason == "linkpath forbidden" and header is not None:
            self._flush_invalid()
            self._record_invalid(offset, 1, reason, header)
            return
        run = self._invalid_run
        if run is not None and run[0] + run[1] * BLOCK == offset and run[2] == reason:
            self._invalid_run = (run[0], run[1] + 1, reason)
        else:
            self._flush_invalid()
            self._invalid_run = (offset, 1, reason)

    def _flush_invalid(self) -> None:
        if self._invalid_run is not None:
            offset, blocks, reason = self._invalid_run
            self._invalid_run = None
            self._record_invalid(offset, blocks, reason, None)

    def _record_invalid(
        self, offset: int, blocks: int, reason: str, header: _Header | None
    ) -> None:
        index = self._next_index()
        kind = (
            AnomalyKind.BAD_CHECKSUM
            if reason == "checksum failure"
            else (
                AnomalyKind.LINKPATH_ON_FILE
                if reason == "linkpath forbidden"
                else AnomalyKind.INVALID_HEADER
            )
        )
        what = f"{blocks} block(s) at byte {offset} skipped ({reason})"
        if header is not None:
            what = (
                f"the header of {header.path!r} at byte {offset} names a link target "
                f"({header.linkpath!r}) for a non-link entry: node-tar skips that header and "
                "reads its body as further headers, other tools extract it"
            )
        elif reason == "checksum failure":
            what += ": node-tar resynchronises on the next block, so data inside can be read "
            what += "as headers, while other tools stop or differ"
        self.entries.append(
            RawEntry(
                index=index,
                offset=offset,
                typeflag=header.raw_flag if header else "",
                type="Invalid",
                path=header.path if header else "",
                size=int(header.size or 0) if header else blocks * BLOCK,
                status=EntryStatus.INVALID_HEADER,
                detail=what,
                linkpath=header.linkpath if header else None,
            )
        )
        self.anomalies.append(Anomaly(kind, what, header.path if header else None, index))

    def _count_path(self, text: str) -> None:
        size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
        self._path_bytes += size
        if self._path_bytes > self.limits.max_path_bytes:
            raise LimitExceeded(
                "max_path_bytes",
                self.limits.max_path_bytes,
                what="the paths and link targets the tar headers name",
            )

    def _next_index(self) -> int:
        index = len(self.entries)
        if index >= self.limits.max_entries:
            raise LimitExceeded(
                "max_entries", self.limits.max_entries, what="the number of tar entries"
            )
        return index

    def _entry(self, header: _Header, type_name: str, block: bytes, offset: int) -> None:
        ex, gex = self._ex, self._gex
        remain_f = header.size if header.size is not None else 0
        # ReadEntry: content is `remain` bytes (JS subarray truncates), padding to 512
        block_remain_f = (
            BLOCK * math.ceil(remain_f / BLOCK) if math.isfinite(remain_f) else math.inf
        )
        remain = int(remain_f) if math.isfinite(remain_f) else 2**62
        block_remain = int(block_remain_f) if math.isfinite(block_remain_f) else 2**62
        path = header.path
        linkpath: str | None = header.linkpath or None
        extended = False
        for src, is_global in ((ex, False), (gex, True)):  # ReadEntry.#slurp
            if src is None:
                continue
            if not is_global and src.get("path") is not None:
                path = src["path"]
                extended = True
            if src.get("linkpath") is not None:
                linkpath = src["linkpath"]
        entry_size = remain_f
        for src in (ex, gex):
            if src is not None and src.get("size") is not None:
                entry_size = src["size"]
        mode_i = _js.to_int32(header.mode) & 0o7777 if header.mode else 0
        index = self._next_index()
        self._count_path(path)
        if linkpath is not None:
            self._count_path(linkpath)
        if self.saw_valid_entry is not True:
            self.saw_valid_entry = True
        utf8 = path.isascii() or _name_is_utf8(
            block, ex if header.code in NORMAL_FS_TYPES else None
        )
        base: dict[str, Any] = {
            "index": index,
            "offset": offset,
            "typeflag": header.raw_flag,
            "type": type_name,
            "path": path,
            "size": remain,
            "mode": mode_i if header.mode is not None else None,
            "uid": _int_or_none(header.uid),
            "gid": _int_or_none(header.gid),
            "uname": header.uname,
            "gname": header.gname,
            "mtime": _int_or_none(header.mtime),
            "linkpath": linkpath,
            "format": header.fmt,
            "extended": extended,
            "utf8": utf8,
        }
        self._reader_differences(header, type_name, block, path, index, ex, gex)
        if type_name in META_TYPES:
            if entry_size > MAX_META_ENTRY_SIZE:
                self._add(
                    base,
                    EntryStatus.META_IGNORED,
                    "extended header over 1 MiB ignored",
                    pending=block_remain > 0,
                )
                self.anomalies.append(
                    Anomaly(
                        AnomalyKind.META_IGNORED,
                        "an extended header over node-tar's "
                        "1 MiB limit is ignored by npm and honoured by other tools",
                        None,
                        index,
                    )
                )
                self._start_body(index, remain, block_remain, None, meta=False)
            elif entry_size > 0:
                self._add(
                    base, EntryStatus.META, "applies to the next entry", pending=block_remain > 0
                )
                self._meta_type = type_name
                self._start_body(index, remain, block_remain, None, meta=True)
            else:
                self._add(base, EntryStatus.META, "empty extended header")
            return
        self._ex = None
        if "\x00" in path:
            self.anomalies.append(
                Anomaly(
                    AnomalyKind.NUL_IN_NAME,
                    "the name keeps a NUL byte after npm's "
                    "decoding (a NUL followed by a line break)",
                    path,
                    index,
                )
            )
        status, detail, target = self._install(type_name, path, linkpath, mode_i, index, base)
        if target is not None and block_remain == 0:
            # an empty file: finished here, without a body to wait for
            self.entries.append(
                RawEntry(
                    status=status,
                    detail=detail,
                    installed_as=target.path,
                    sha256=EMPTY_SHA256,
                    **base,
                )
            )
            target.size, target.sha256, target.entry = 0, EMPTY_SHA256, index
            target.data = b"" if self.keep(target.path, 0) else None
            if self.consume is not None and self.stream is not None and self.stream(target.path, 0):
                self.consume(target, b"")
            return
        has_body = remain > 0 or block_remain > 0 or target is not None
        self._add(
            base, status, detail, installed_as=target.path if target else None, pending=has_body
        )
        if has_body:
            store = target is not None and self.keep(target.path, remain)
            stream = (
                target is not None and self.stream is not None and self.stream(target.path, remain)
            )
            self._start_body(
                index, remain, block_remain, target, meta=False, keep=store, stream=stream
            )

    def _reader_differences(
        self,
        header: _Header,
        type_name: str,
        block: bytes,
        path: str,
        index: int,
        ex: dict[str, Any] | None,
        gex: dict[str, Any] | None,
    ) -> None:
        """Where this header means something else to GNU tar, bsdtar or Python's tarfile."""
        meta = type_name in META_TYPES
        raw_size = block[124:136]
        if header.size is None and raw_size.strip(b"\x00 ") and not meta:
            self.anomalies.append(
                Anomaly(
                    AnomalyKind.SIZE_UNREADABLE,
                    f"the size field {raw_size!r} is negative or not octal: node-tar reads size 0 "
                    "and parses the entry's data as further headers, other readers refuse or "
                    "skip it",
                    path,
                    index,
                )
            )
        if type_name in ("Directory", "GNUDumpDir") and not meta:
            declared = _dec_number(block, 124, 12)
            if declared and declared > 0 and type_name == "Directory":
                self.anomalies.append(
                    Anomaly(
                        AnomalyKind.DIRECTORY_WITH_BODY,
                        f"a directory entry declares {int(declared)} bytes of data: node-tar "
                        "ignores the size and parses that data as further headers, other readers "
                        "skip it",
                        path,
                        index,
                    )
                )
        if meta:
            return
        has_ex_path = ex is not None and ex.get("path") is not None
        cut = b"\x00" in block[0:100].rstrip(b"\x00")
        own = _c_name(block, header.fmt) if cut or has_ex_path else ""
        npm_own = None if has_ex_path else header.path
        if cut and npm_own is not None and own != npm_own:
            self.anomalies.append(
                Anomaly(
                    AnomalyKind.NUL_IN_NAME,
                    f"C-based tar readers end the name at the first NUL and see {own!r}; npm "
                    f"decodes past it and installs {npm_own!r}",
                    path,
                    index,
                )
            )
        if header.fmt != "ustar" and _looks_like_prefix(block[345:500]):
            self.anomalies.append(
                Anomaly(
                    AnomalyKind.NAME_AMBIGUOUS,
                    f"the header has {header.fmt} magic but a path in the ustar prefix field "
                    f"({_c_field(block[345:500])!r}): node-tar ignores it, Python's tarfile "
                    "prepends it",
                    path,
                    index,
                )
            )
        if has_ex_path and ex is not None and own:
            shown = own.rstrip("\ufffd")
            if not ex["path"].startswith(shown) and not own.startswith("././@LongLink"):
                self._conflict(
                    f"an extended header renames {own!r} to {ex['path']!r}: readers that "
                    "ignore PAX/GNU long names see the first name",
                    path,
                    index,
                    high=False,
                )
        for src, what in ((ex, "an extended"), (gex, "a global extended")):
            if src is not None and src.get("size") is not None:
                field = _dec_number(block, 124, 12)
                if field != src["size"]:
                    self._conflict(
                        f"{what} header sets size {src['size']:g} while the tar header says "
                        f"{field if field is None else int(field)}: readers that ignore it cut "
                        "the data at a different place and see different entries",
                        path,
                        index,
                        high=True,
                    )
        if _CONTROL_CHARS.search(path):
            self.anomalies.append(
                Anomaly(
                    AnomalyKind.CONTROL_CHARACTERS,
                    f"the name {path!r} contains control or bidirectional-override characters "
                    "that disguise it in listings and terminals",
                    path,
                    index,
                )
            )

    def _add(
        self,
        base: dict[str, Any],
        status: EntryStatus,
        detail: str,
        installed_as: str | None = None,
        *,
        pending: bool = False,
    ) -> None:
        """Record an entry; one whose body follows is recorded when the body ends (with its
        sha256). Bodies are sequential, so at most one entry is pending at a time."""
        record = dict(base, status=status, detail=detail, installed_as=installed_as)
        if pending:
            self._pending = record
        else:
            self.entries.append(RawEntry(**record))

    def _start_body(
        self,
        index: int,
        remain: int,
        block_remain: int,
        target: InstalledFile | None,
        *,
        meta: bool,
        keep: bool = False,
        stream: bool = False,
    ) -> None:
        if target is not None and remain > self.limits.max_file_bytes:
            raise LimitExceeded(
                "max_file_bytes",
                self.limits.max_file_bytes,
                what=f"the entry {target.path!r} ({remain} bytes)",
            )
        body = _Body(
            entry=index,
            remain=remain,
            block_remain=block_remain,
            hasher=None if meta else hashlib.sha256(),
            keep=bytearray() if keep or stream else None,
            meta=bytearray() if meta else None,
            target=target,
            store=keep,
            stream=stream,
            cap=None if keep else self.stream_cap,
        )
        if block_remain == 0:
            self._end_body(body)
        else:
            self._body = body

    def _end_body(self, body: _Body) -> None:
        digest = body.hasher.hexdigest() if body.hasher is not None else None
        if self._pending is not None:
            self.entries.append(RawEntry(sha256=digest, **self._pending))
            self._pending = None
        if body.meta is not None:
            self._emit_meta(bytes(body.meta))
            return
        target = body.target
        if target is not None and digest is not None:
            target.size = body.size
            target.sha256 = digest
            target.entry = body.entry
            data = (
                body.whole
                if body.whole is not None
                else bytes(body.keep)
                if body.keep is not None
                else None
            )
            body.keep = body.whole = None  # one copy of the bytes while they are analysed
            target.data = data if body.store else None
            if body.stream and data is not None and self.consume is not None:
                self.consume(target, data)

    def _emit_meta(self, data: bytes) -> None:
        text = _js.buffer_to_string(data)
        kind = self._meta_type
        index = len(self.entries) - 1
        malformed: list[str] = []
        if kind in ("ExtendedHeader", "OldExtendedHeader", "GlobalExtendedHeader"):
            self._pax_records += text.count("\n") + 1
            if self._pax_records > self.limits.max_pax_records:
                raise LimitExceeded(
                    "max_pax_records",
                    self.limits.max_pax_records,
                    what="the records of the extended (PAX) headers",
                )
        if kind in ("ExtendedHeader", "OldExtendedHeader"):
            self._ex = _parse_pax(text, self._ex, malformed)
        elif kind == "GlobalExtendedHeader":
            self._gex = _parse_pax(text, self._gex, malformed)
            self._conflict(
                "a global extended header: `npm pack` never writes one, and readers disagree "
                "on which of its keys apply to later entries (node-tar ignores its path)",
                None,
                index,
                high=False,
            )
        elif kind in ("NextFileHasLongPath", "OldGnuLongPath"):
            ex = self._ex if self._ex is not None else {}
            ex["path"] = _js.strip_nul_dot_star(text)
            self._ex = ex
        elif kind == "NextFileHasLongLinkpath":
            ex = self._ex if self._ex is not None else {}
            ex["linkpath"] = _js.strip_nul_dot_star(text)
            self._ex = ex
        if malformed:
            self._conflict(
                f"{len(malformed)} malformed extended-header record(s) (wrong length prefix, "
                f"e.g. {malformed[0]!r}): node-tar skips them, other readers resynchronise "
                "differently",
                None,
                index,
                high=False,
            )

    def _conflict(self, detail: str, path: str | None, index: int, *, high: bool) -> None:
        self.anomalies.append(
            Anomaly(
                AnomalyKind.EXTENDED_HEADER_CONFLICT,
                detail,
                path,
                index,
                subject="high" if high else "medium",
            )
        )

    # -- what pacote's filter and node-tar's Unpack do ----------------------------------

    def _install(
        self,
        type_name: str,
        raw_path: str,
        linkpath: str | None,
        mode: int,
        index: int,
        base: dict[str, Any],
    ) -> tuple[EntryStatus, str, InstalledFile | None]:
        first = shorten(raw_path.split("/", 1)[0])
        self.roots[first] = self.roots.get(first, 0) + 1
        if type_name not in KNOWN_ENTRY_TYPES:
            self._note(
                AnomalyKind.UNSUPPORTED_TYPE,
                f"type {type_name} "
                f"({base['typeflag']!r}) is skipped by npm; GNU tar and bsdtar extract "
                "unknown types as regular files",
                raw_path,
                index,
            )
            return EntryStatus.UNSUPPORTED_DROPPED, f"{type_name} entries are not extracted", None
        if type_name in LINK_TYPES:
            self._note(
                AnomalyKind.LINK,
                f"{type_name} to {linkpath!r} (npm drops links)",
                raw_path,
                index,
                subject=_link_escape(raw_path, linkpath or "", type_name),
            )
            return EntryStatus.LINK_DROPPED, f"{type_name} to {linkpath!r}", None
        if type_name in ("Directory", "GNUDumpDir"):
            return EntryStatus.DIRECTORY_DROPPED, "directory entries are not extracted", None
        if type_name not in FILE_TYPES:
            self._note(
                AnomalyKind.SPECIAL_FILE, f"{type_name} entry (npm skips it)", raw_path, index
            )
            return EntryStatus.SPECIAL_DROPPED, f"{type_name} entries are not extracted", None
        # pacote: .gitignore becomes .npmignore unless a .npmignore was seen for that path
        path = raw_path
        base_name = _js.posix_basename(path)
        if base_name == ".npmignore":
            self._saw_ignores.add(path)
        elif base_name == ".gitignore":
            renamed = (
                path[: -len(".gitignore")] + ".npmignore" if path.endswith(".gitignore") else path
            )
            if renamed in self._saw_ignores:
                self._note(
                    AnomalyKind.GITIGNORE, "dropped: a .npmignore came first", raw_path, index
                )
                return (
                    EntryStatus.GITIGNORE_DROPPED,
                    "a .npmignore for this directory came earlier",
                    None,
                )
            if renamed != path:
                self._note(AnomalyKind.GITIGNORE, f"installed as {renamed!r}", raw_path, index)
            path = renamed
        first_raw = path.replace("\\", "/").split("/", 1)[0]
        if first_raw == "..":
            self._note(
                AnomalyKind.PATH_TRAVERSAL,
                "the first path component is '..': npm "
                "strips it, extractors that keep paths write outside the target "
                "directory",
                raw_path,
                index,
            )
        elif path.startswith(("/", "\\")) or (len(path) > 1 and path[1] == ":"):
            self._note(
                AnomalyKind.ABSOLUTE_PATH,
                "the path is absolute: npm strips the "
                "first component, extractors that keep paths write to that location",
                raw_path,
                index,
            )
        # node-tar Unpack[CHECKPATH] with strip: 1
        parts = path.split("/")
        parts = parts[1:]
        stripped = "/".join(parts)
        if len(parts) > MAX_DEPTH:
            self._note(
                AnomalyKind.TOO_DEEP,
                f"{len(parts)} path components (npm's limit is {MAX_DEPTH})",
                raw_path,
                index,
            )
            return EntryStatus.TOO_DEEP, f"{len(parts)} components", None
        if stripped:
            root, rest = _js.strip_absolute_path(stripped)
            if ".." in rest.replace("\\", "/").split("/"):
                self._note(
                    AnomalyKind.PATH_TRAVERSAL,
                    "a '..' component (npm refuses the entry)",
                    raw_path,
                    index,
                )
                return EntryStatus.PATH_REJECTED, "path contains '..'", None
            if root:
                self._note(
                    AnomalyKind.ABSOLUTE_PATH,
                    f"absolute path: npm strips {root!r} and installs {rest!r}",
                    raw_path,
                    index,
                )
                stripped = rest
        if linkpath:
            _, lrest = _js.strip_absolute_path(linkpath)
            lparts = lrest.replace("\\", "/").split("/")
            if ".." in lparts:
                resolved = _js.posix_normalize(
                    _js.posix_join(_js.posix_dirname(stripped), "/".join(lparts))
                )
                if resolved.startswith("../") or resolved == "..":
                    self._note(
                        AnomalyKind.PATH_TRAVERSAL,
                        f"link path {linkpath!r} escapes the package (npm refuses the entry)",
                        raw_path,
                        index,
                    )
                    return EntryStatus.PATH_REJECTED, "link path escapes the package", None
        comps = stripped.split("/")
        if "" in comps or "." in comps:
            rel = _js.posix_normalize_string(stripped, allow_above_root=False)
        else:
            rel = stripped
        if not rel:
            if len(parts) == 0 or not raw_path.strip("/").count("/"):
                self._note(
                    AnomalyKind.ROOT_FILE,
                    "a file with no directory part is dropped by npm",
                    raw_path,
                    index,
                )
            return (
                EntryStatus.ROOT_DROPPED,
                "nothing left after stripping the first path component",
                None,
            )
        if "\x00" in rel:
            self._note(
                AnomalyKind.UNWRITABLE,
                "a NUL byte in the path: Node's fs throws and npm install fails",
                raw_path,
                index,
            )
            return EntryStatus.UNWRITABLE, "the path contains a NUL byte", None
        for comp in rel.split("/"):
            if len(comp) * 4 > NAME_MAX and len(comp.encode("utf-8", "surrogatepass")) > NAME_MAX:
                self._note(
                    AnomalyKind.NAME_TOO_LONG,
                    f"a path component of "
                    f"{len(comp.encode('utf-8', 'surrogatepass'))} bytes cannot be "
                    "written (ENAMETOOLONG); npm skips the entry",
                    raw_path,
                    index,
                )
                return EntryStatus.NAME_TOO_LONG, "a path component is over 255 bytes", None
        if len(rel) * 4 >= PATH_MAX and len(rel.encode("utf-8", "surrogatepass")) >= PATH_MAX:
            self._note(
                AnomalyKind.NAME_TOO_LONG,
                "the path is longer than the file system "
                "allows (ENAMETOOLONG); npm skips the entry",
                raw_path,
                index,
            )
            return EntryStatus.NAME_TOO_LONG, "the path is over 4095 bytes", None
        return self._write(rel, mode, index, raw_path)

    def _note(
        self,
        kind: AnomalyKind,
        detail: str,
        path: str | None,
        index: int,
        subject: str | None = None,
    ) -> None:
        self.anomalies.append(Anomaly(kind, detail, path, index, subject))

    def _write(
        self, rel: str, mode: int, index: int, raw_path: str
    ) -> tuple[EntryStatus, str, InstalledFile | None]:
        """node-tar's mkdir of the parents, then lstat/rmdir/unlink and open(O_TRUNC)."""
        comps = rel.split("/")
        files = self.files
        node = self._tree
        for i, name in enumerate(comps[:-1]):
            child = node.get(name)
            if child is _FILE:
                parent = "/".join(comps[: i + 1])
                self._note(
                    AnomalyKind.CONFLICT,
                    f"{parent!r} is a file, so {rel!r} cannot be created; npm loses this entry",
                    raw_path,
                    index,
                )
                return EntryStatus.CONFLICT_LOST, f"{parent!r} is a file", None
            if child is None:
                self._directories += 1
                if self._directories > self.limits.max_directories:
                    raise LimitExceeded(
                        "max_directories",
                        self.limits.max_directories,
                        what="the number of directories the paths create",
                    )
                child = node[name] = {}
            node = child
        leaf = node.get(comps[-1])
        if leaf is not None and leaf is not _FILE:
            if leaf:
                self._note(
                    AnomalyKind.CONFLICT,
                    f"{rel!r} is a non-empty directory, so this "
                    "file cannot replace it; npm loses this entry",
                    raw_path,
                    index,
                )
                return EntryStatus.CONFLICT_LOST, f"{rel!r} is a directory", None
            self._directories -= 1  # an empty directory: the file replaces it
        node[comps[-1]] = _FILE
        existing = files.get(rel)
        if existing is not None:
            previous = self.entries[existing.entry]
            self.entries[existing.entry] = attrs.evolve(
                previous,
                status=EntryStatus.OVERWRITTEN,
                detail=f"replaced by entry {index} (the last entry for a path wins)",
            )
            self._note(
                AnomalyKind.DUPLICATE,
                f"entry {index} replaces entry {existing.entry} "
                f"for {rel!r}; the file keeps the first entry's mode",
                rel,
                index,
            )
            existing.entry = index
            return EntryStatus.INSTALLED, "replaces an earlier entry", existing
        base_mode = ((mode & 0o7777) | 0o666) & ~UMASK
        target = InstalledFile(path=rel, entry=index, tar_mode=mode, base_mode=base_mode)
        files[rel] = target
        return EntryStatus.INSTALLED, "", target

    # -- after the end-of-archive marker ------------------------------------------------

    def _hidden_block(self, block: bytes, offset: int) -> None:
        """npm stops at two zero blocks; look at what follows anyway, to report it."""
        if block.count(0) == BLOCK:
            return
        try:
            header = _decode_header(block, None, None)
        except _BadHeader:
            header = None
        if header is None or not header.cksum_valid or not header.path:
            if not self._after_eof_nonzero:
                self._after_eof_nonzero = True
                self.anomalies.append(
                    Anomaly(
                        AnomalyKind.AFTER_EOF,
                        f"non-zero data after the end-of-archive marker at byte {offset}",
                    )
                )
            return
        type_name = TYPE_NAMES[header.code] if header.code is not None else "Unsupported"
        index = self._next_index()
        size = int(header.size) if header.size is not None and math.isfinite(header.size) else 0
        self._add(
            {
                "index": index,
                "offset": offset,
                "typeflag": header.raw_flag,
                "type": type_name,
                "path": header.path,
                "size": size,
                "mode": _js.to_int32(header.mode) & 0o7777 if header.mode else None,
                "linkpath": header.linkpath or None,
                "format": header.fmt,
            },
            EntryStatus.AFTER_EOF,
            "after the end-of-archive marker: npm never reads it, other tools may",
            pending=size > 0,
        )
        self.anomalies.append(
            Anomaly(
                AnomalyKind.AFTER_EOF,
                f"a {type_name} entry after the end-of-archive marker (npm ignores it; tools that "
                "read past the marker, e.g. `tar --ignore-zeros`, extract it)",
                header.path,
                index,
            )
        )
        if size > 0:
            self._start_body(index, size, BLOCK * math.ceil(size / BLOCK), None, meta=False)


_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _link_escape(path: str, target: str, type_name: str) -> str | None:
    """Where a link would point outside the package for an extractor that keeps links:
    ``"absolute"``, ``"escapes"`` or None (hard-link targets are archive paths)."""
    if target.startswith(("/", "\\")) or (len(target) > 1 and target[1] == ":"):
        return "absolute"
    parts = target.replace("\\", "/").split("/")
    if type_name == "Link":  # relative to the archive root, first component included
        return "escapes" if ".." in parts else None
    base = path.replace("\\", "/").split("/")[:-1]
    resolved = _js.posix_normalize("/".join([*base, *parts]))
    return "escapes" if resolved.startswith("../") or resolved == ".." else None


def _c_field(raw: bytes) -> str:
    """A header text field as C tar readers see it: up to the first NUL."""
    return raw.split(b"\x00", 1)[0].decode("utf-8", "replace")


def _c_name(block: bytes, fmt: str) -> str:
    name = _c_field(block[0:100])
    if fmt == "ustar":
        prefix = _c_field(block[345:500])
        if prefix:
            return prefix + "/" + name
    return name


def _looks_like_prefix(raw: bytes) -> bool:
    """GNU headers keep times and sparse maps there (octal digits); a path has letters."""
    text = raw.split(b"\x00", 1)[0]
    return (
        len(text) > 1
        and b"/" in text
        and not text.strip(b"01234567 ").isdigit()
        and any(chr(b).isalpha() for b in text)
    )


def _int_or_none(x: float | None) -> int | None:
    if x is None or not math.isfinite(x):
        return None
    return int(x)


def _name_is_utf8(block: bytes, ex: dict[str, Any] | None) -> bool:
    """Whether the bytes npm decoded for this name were valid UTF-8 (U+FFFD otherwise)."""
    if ex is not None and ex.get("path") is not None:
        return "\ufffd" not in ex["path"]
    for off, size in ((0, 100), (345, 155)):
        raw = block[off : off + size].split(b"\x00", 1)[0]
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def collisions(paths: list[str]) -> tuple[list[list[str]], list[list[str]]]:
    """Installed paths that collide on case-insensitive or normalising file systems.

    Returns ``(case_groups, unicode_groups)``: paths equal after case folding (and that are
    not merely Unicode variants of one another), and paths equal after NFC normalisation.
    """
    first_norm: dict[str, str] = {}
    norm_groups: dict[str, list[str]] = {}
    first_fold: dict[str, str] = {}
    fold_groups: dict[str, list[str]] = {}
    for p in paths:
        ascii_ = p.isascii()
        n = p if ascii_ else unicodedata.normalize("NFC", p)
        if n in first_norm:
            norm_groups.setdefault(n, [first_norm[n]]).append(p)
        else:
            first_norm[n] = p
        f = n.lower() if ascii_ else n.casefold()
        if f in first_fold:
            fold_groups.setdefault(f, [first_fold[f]]).append(p)
        else:
            first_fold[f] = p
    unicode_groups = list(norm_groups.values())
    case_groups = [
        g for g in fold_groups.values() if len({unicodedata.normalize("NFC", p) for p in g}) > 1
    ]
    return case_groups, unicode_groups
