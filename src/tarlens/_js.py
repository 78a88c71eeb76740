"""Small, exact re-implementations of the JavaScript and Node.js behaviour npm relies on.

npm decides what a tarball installs with JavaScript string functions (``Buffer.toString``,
``String.prototype.replace`` with ``/\\0.*/``, ``parseInt``, ``Number``) and Node's ``path``
module (``posix.normalize``, ``posix.basename``, ``win32.parse`` used by node-tar to strip
absolute roots even on Linux). Python's look-alikes differ in small ways that an attacker
can aim at, so the reader uses these instead.
"""

from __future__ import annotations

import math
import re

__all__: list[str] = []  # private module

# JavaScript's `.` does not match these; `\s`/`trim()` strip exactly the whitespace below.
_LINE_TERMINATORS = "\n\r\u2028\u2029"
_JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"  # noqa: E501
_NUL_DOT_STAR = re.compile("\x00[^\n\r\u2028\u2029]*")
_OCTAL_PREFIX = re.compile(r"[+-]?[0-7]+")
_DECIMAL_PREFIX = re.compile(r"[+-]?[0-9]+")
_JS_NUMBER = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\Z")
_JS_RADIX_NUMBER = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)\Z")

MAX_SAFE_INTEGER = 2**53 - 1


def buffer_to_string(data: bytes) -> str:
    """``Buffer.prototype.toString('utf8')``: invalid bytes become U+FFFD (maximal subparts)."""
    return data.decode("utf-8", "replace")


def strip_nul_dot_star(s: str) -> str:
    """``s.replace(/\\0.*/, '')``: drop the first NUL and what follows it up to a line break."""
    return _NUL_DOT_STAR.sub("", s, count=1)


def strip_nul_dot_star_dollar(s: str) -> str:
    """``s.replace(/\\0.*$/, '')``: the first NUL that no line break follows, and the rest."""
    last_break = max(s.rfind(c) for c in _LINE_TERMINATORS)
    i = s.find("\x00", last_break + 1)
    return s if i < 0 else s[:i]


def trim(s: str) -> str:
    """``String.prototype.trim``."""
    return s.strip(_JS_WHITESPACE)


def parse_int(s: str, radix: int) -> float:
    """``parseInt(s, radix)`` for radix 8 and 10: leading digits, or NaN."""
    s = s.lstrip(_JS_WHITESPACE)
    pattern = _OCTAL_PREFIX if radix == 8 else _DECIMAL_PREFIX
    m = pattern.match(s)
    if m is None:
        return math.nan
    return float(int(m.group(0), radix))


def to_number(s: str) -> float:
    """``Number(s)`` / unary ``+s`` for a string."""
    s = trim(s)
    if s == "":
        return 0.0
    if _JS_RADIX_NUMBER.match(s):
        return float(int(s, 0))
    if _JS_NUMBER.match(s):
        return float(s.replace("Infinity", "inf"))
    return math.nan


def to_int32(x: float) -> int:
    """ECMAScript ToInt32, the coercion behind ``|`` and ``&``."""
    if math.isnan(x) or math.isinf(x):
        return 0
    n = int(x) & 0xFFFFFFFF
    return n - 0x1_0000_0000 if n >= 0x8000_0000 else n


def posix_normalize_string(path: str, allow_above_root: bool) -> str:
    """Node's internal ``normalizeString`` for ``/``."""
    out: list[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out and out[-1] != "..":
                out.pop()
            elif allow_above_root:
                out.append("..")
            continue
        out.append(seg)
    return "/".join(out)


def posix_normalize(path: str) -> str:
    """``path.posix.normalize`` (keeps a trailing slash, unlike :func:`posixpath.normpath`)."""
    if not path:
        return "."
    is_absolute = path.startswith("/")
    trailing = path.endswith("/")
    path = posix_normalize_string(path, not is_absolute)
    if not path:
        if is_absolute:
            return "/"
        return "./" if trailing else "."
    if trailing:
        path += "/"
    return "/" + path if is_absolute else path


def posix_join(*parts: str) -> str:
    """``path.posix.join``."""
    joined = "/".join(p for p in parts if p)
    return posix_normalize(joined) if joined else "."


def posix_basename(path: str) -> str:
    """``path.posix.basename`` (trailing slashes ignored)."""
    stripped = path.rstrip("/")
    if not stripped:
        return ""
    return stripped.rsplit("/", 1)[-1]


def posix_dirname(path: str) -> str:
    """``path.posix.dirname``."""
    if not path:
        return "."
    has_root = path.startswith("/")
    end = -1
    matched_slash = True
    for i in range(len(path) - 1, 0, -1):
        if path[i] == "/":
            if not matched_slash:
                end = i
                break
        else:
            matched_slash = False
    if end == -1:
        return "/" if has_root else "."
    if has_root and end == 1:
        return "//"
    return path[:end]


def _is_sep(c: str) -> bool:
    return c in "/\\"


def win32_root(path: str) -> str:
    """The ``root`` of ``path.win32.parse(path)`` (Node 20)."""
    n = len(path)
    if n == 0:
        return ""
    c = path[0]
    if n == 1:
        return path if _is_sep(c) else ""
    root_end = 0
    if _is_sep(c):
        root_end = 1
        if _is_sep(path[1]):
            j = 2
            last = j
            while j < n and not _is_sep(path[j]):
                j += 1
            if j < n and j != last:
                last = j
                while j < n and _is_sep(path[j]):
                    j += 1
                if j < n and j != last:
                    last = j
                    while j < n and not _is_sep(path[j]):
                        j += 1
                    if j == n:
                        root_end = j
                    elif j != last:
                        root_end = j + 1
    elif c.isascii() and c.isalpha() and path[1] == ":":
        if n <= 2:
            return path
        root_end = 2
        if _is_sep(path[2]):
            if n == 3:
                return path
            root_end = 3
    return path[:root_end]


def win32_is_absolute(path: str) -> bool:
    """``path.win32.isAbsolute``."""
    n = len(path)
    if n == 0:
        return False
    c = path[0]
    return _is_sep(c) or (
        n > 2 and c.isascii() and c.isalpha() and path[1] == ":" and _is_sep(path[2])
    )


def strip_absolute_path(path: str) -> tuple[str, str]:
    """node-tar's ``stripAbsolutePath``: ``(removed_root, rest)``, using win32 rules on every OS."""
    if not path or (path[0] not in "/\\" and (len(path) < 2 or path[1] != ":")):
        return "", path  # no win32 root is possible
    removed = ""
    root = win32_root(path)
    while win32_is_absolute(path) or root:
        cut = "/" if path.startswith("/") and path[:4] != "//?/" else root
        if not cut:  # cannot happen for Node's parse; guard against an endless loop anyway
            break
        path = path[len(cut) :]
        removed += cut
        root = win32_root(path)
    return removed, path
