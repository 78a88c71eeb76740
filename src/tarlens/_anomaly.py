"""Anomalies: facts the reader and the model noticed, before any rule judges them."""

from __future__ import annotations

import enum
import hashlib

import attrs

#: longest text a path, link target or detail is kept at: a tar entry may name a path of up
#: to 1 MiB (node-tar's limit on an extended header), and 400 such entries in a 2 MB tgz
#: made 400 MB of paths, kept twice, rendered twice (3.8 GiB, 20 s)
MAX_SHOWN = 8192


def _marked(text: str, longest: int, head: int) -> str:
    """``text``, or when it is over ``longest`` characters its first ``head`` and a mark with
    its length and a digest (two different long texts stay different)."""
    if len(text) <= longest:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{text[:head]}…[{len(text)} characters, sha256 {digest}…]"


def shorten(text: str) -> str:
    """A path, link target or detail kept at most :data:`MAX_SHOWN` characters long."""
    return _marked(text, MAX_SHOWN, 4096)


def shorten_optional(text: str | None) -> str | None:
    return None if text is None else shorten(text)


def shorten_name(name: str | None) -> str | None:
    """An owner name (32 bytes in a ustar header, any length in a PAX record: 600 headers
    naming 500 KB owners took 1.2 GiB) over 256 characters: its first 64 and a mark."""
    return None if name is None else _marked(name, 256, 64)


__all__: list[str] = []  # private module; re-exported by tarlens


class AnomalyKind(enum.StrEnum):
    """Oddities the reader saw; the rule engine turns them into findings."""

    PATH_TRAVERSAL = "path-traversal"
    ABSOLUTE_PATH = "absolute-path"
    LINK = "link"
    SPECIAL_FILE = "special-file"
    UNSUPPORTED_TYPE = "unsupported-type"
    DUPLICATE = "duplicate"
    SPECIAL_MODE = "special-mode"
    WORLD_WRITABLE = "world-writable"
    MULTIPLE_ROOTS = "multiple-roots"
    UNUSUAL_ROOT = "unusual-root"
    CASE_COLLISION = "case-collision"
    UNICODE_COLLISION = "unicode-collision"
    NON_UTF8_NAME = "non-utf8-name"
    AFTER_EOF = "after-eof"
    LONE_ZERO_BLOCK = "lone-zero-block"
    BAD_CHECKSUM = "bad-checksum"
    INVALID_HEADER = "invalid-header"
    LINKPATH_ON_FILE = "linkpath-on-file"
    TOO_DEEP = "too-deep"
    ROOT_FILE = "root-file"
    CONFLICT = "conflict"
    NAME_TOO_LONG = "name-too-long"
    UNWRITABLE = "unwritable"
    GITIGNORE = "gitignore"
    NUL_IN_NAME = "nul-in-name"
    META_IGNORED = "meta-ignored"
    NO_EOF_MARKER = "no-eof-marker"
    TRAILING_DATA = "trailing-data"
    COMPRESSION_RATIO = "compression-ratio"
    ZSTD = "zstd"
    UNCOMPRESSED = "uncompressed"
    DIRECTORY_WITH_BODY = "directory-with-body"
    SIZE_UNREADABLE = "size-unreadable"
    EXTENDED_HEADER_CONFLICT = "extended-header-conflict"
    NAME_AMBIGUOUS = "name-ambiguous"
    CONTROL_CHARACTERS = "control-characters"
    # package.json and the manifest built from it
    JSON_DUPLICATE_KEY = "json-duplicate-key"
    JSON_BOM = "json-bom"
    JSON_NOT_UTF8 = "json-not-utf8"
    INVALID_FIELD = "invalid-field"
    BIN_MISSING = "bin-missing"
    BIN_SANITIZED = "bin-sanitized"
    BUNDLED_MISSING = "bundled-missing"
    UNDECLARED_NODE_MODULES = "undeclared-node-modules"
    NESTED_MANIFEST_UNREADABLE = "nested-manifest-unreadable"
    SHRINKWRAP = "shrinkwrap"


@attrs.frozen
class Anomaly:
    kind: AnomalyKind
    detail: str = attrs.field(converter=shorten)
    path: str | None = attrs.field(default=None, converter=shorten_optional)
    entry: int | None = None
    #: a machine-readable subject where the kind has one (a JSON pointer for duplicate keys)
    subject: str | None = None
