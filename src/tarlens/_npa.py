"""How npm classifies a dependency spec: a faithful port of ``npa.resolve(name, spec, where)``.

npm decides *where a dependency comes from* (the registry, a git host, an arbitrary URL, a local
file or directory) with npm-package-arg.  The answer is often not what the spec looks like:
``o/r`` and ``o/r#semver:^2`` fetch from GitHub, ``https://github.com/o/r`` is git (not a
tarball URL), ``c:foo`` is a local directory, ``git@example.com:o/r.git`` (no ``git+ssh://``)
is a local directory too, while ``foo *`` is a registry range.  This module answers exactly the
question npm answers, without running node.  Pure Python: no network, disk or subprocess.

What it mirrors (read from npm 11.19.1 on Node 20.20, as installed on the development machine):

* npm-package-arg 13.0.2 ``lib/npa.js``: ``npa()`` (used for alias sub-specs), ``resolve()``,
  ``fromFile``/``fromHostedGit``/``fromURL``/``fromAlias``/``fromRegistry``, ``setGitAttrs``,
  with POSIX semantics (``process.platform !== 'win32'``);
* hosted-git-info 9.0.3 ``fromUrl(spec, {noGitPlus: true, noCommittish: true})``: the github
  shorthand test, ``parse-url.js``'s protocol/scp-style corrections, the five hosts'
  ``extract`` functions, and the ``toString()`` templates that give npa's ``fetchSpec``
  (including the plain-object lookup quirk: a host named ``constructor``/``__proto__``/... makes
  hosted-git-info throw a ``TypeError`` that escapes npa);
* semver 7.8.5 ``valid(v, loose)`` and ``validRange(r, loose)``: the *safe* regexes of
  ``internal/re.js`` (its bounded ``{0,256}``/``{0,250}``/``{0,1}`` rewrites change what
  matches), ``SemVer``/``Comparator``/``Range`` parsing, and JavaScript number formatting
  (``+M + 1`` of a 22-digit major prints as ``1e+21``, which loose mode then drops);
* validate-npm-package-name 7.0.2 ``validForOldPackages`` (and its error messages);
* WHATWG ``new URL()`` as Node 20 (Ada) implements it: the whole basic URL parser (special and
  non-special schemes, opaque paths, ``file:`` with a base, IPv4/IPv6 hosts, percent-encode sets
  as Node 20 applies them -- ``^``/``|`` stay literal in paths -- and Ada's ``foo:/..`` quirk);
* JavaScript ``trim``/``\\s`` whitespace, ``.`` (no line terminators), ``$`` (end of input
  only), ASCII-only ``/i`` folding, ``encodeURIComponent``/``decodeURIComponent`` (``URIError``
  on lone surrogates and malformed escapes).

Every regex is linear or bounded on hostile input: semver's ``[v=\\s]*`` runs are possessive
(equivalent: the next token never starts with ``v``, ``=`` or whitespace) and the one global
regex that would rescan them from every position (``COMPARATORTRIM``) is driven by a skipping
loop; input size is bounded by :data:`MAX_SPEC_LENGTH`; punycode labels by 1000 characters.

``Spec.fetch_spec`` is npa's ``fetchSpec`` except for ``file``/``directory``: npa resolves the
path against ``where`` (and ``~/`` against the home directory); here it is the path *as written*
(the spec minus a leading, case-sensitive ``file:`` -- exactly the string npa turns into a
``file:`` URL; ``FILE:x`` is the relative path ``FILE:x`` for npa too).  :func:`_file_fetch_spec`
reproduces npa's resolved value for a given ``where`` and home directory; the differential test
checks it.

Known deviations from npa (none is reachable by realistic package.json contents):

* ``len(name) + len(spec) > MAX_SPEC_LENGTH`` is ``INVALID`` with a tarlens error; npa would
  classify it (slowly: several semver regexes are quadratic in V8).
* IDNA (UTS #46) for *non-ASCII* hosts of special URLs (``http(s)``, ``ftp``, ``ws(s)``,
  ``file``) and for the content of ``xn--`` labels is approximated: mapping by casefold + NFKC
  with the usual dot/ignored/deviation special cases, validity by Unicode general category, no
  CheckBidi/CheckJoiners.  Pure-ASCII hosts are exact.  Punycode labels over 1000 characters
  are refused (Python's codec is quadratic); Ada would accept some of them.
* Lengths are code points where JavaScript counts UTF-16 units; this only touches semver's
  256-character limit, and a non-BMP character can never be part of a valid version anyway.
* Deeply nested aliases (``npm:npm:...``, ``npm:a@npm:a@npm:...``): npa recurses per level and
  V8 throws ``RangeError: Maximum call stack size exceeded`` somewhere below 3000 levels (the
  exact depth depends on the stack); the port walks the chain iteratively and reports npa's
  logical error ("nested aliases not supported" or the innermost level's error).  Both are
  ``INVALID``; only the message differs.
* npa's ``log.warn`` for unknown ``#key:value`` git attributes is not reproduced (they are
  ignored, as npa ignores them).
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections.abc import Callable

import attrs

__all__ = [
    "MAX_SPEC_LENGTH",
    "SourceType",
    "Spec",
    "SpecType",
    "classify",
    "semver_valid",
    "semver_valid_range",
    "valid_package_name",
]

MAX_SPEC_LENGTH = 64 * 1024
"""``len(name) + len(spec)`` above this is refused (``INVALID``) before any parsing."""

_WHERE = "/tmp/where"  # noqa: S108 - only the default `where` of _file_fetch_spec


class SpecType(enum.StrEnum):
    """npa's ``type`` values, plus ``INVALID`` when npa throws."""

    VERSION = "version"
    RANGE = "range"
    TAG = "tag"
    ALIAS = "alias"
    GIT = "git"
    REMOTE = "remote"
    FILE = "file"
    DIRECTORY = "directory"
    INVALID = "invalid"


class SourceType(enum.StrEnum):
    """Where the bytes come from (what npm's install-source controls care about)."""

    REGISTRY = "registry"
    GIT = "git"
    REMOTE = "remote"
    FILE = "file"
    DIRECTORY = "directory"
    INVALID = "invalid"


@attrs.frozen
class Spec:
    """One classified dependency: ``classify(name, raw)``.

    ``fetch_spec``: npa's ``fetchSpec`` -- the trimmed spec for registry types, the normalized
    git URL without ``#...`` (``None`` for ``github:o/r``-style shortcuts, whose URL hosted-git-
    info builds later), the URL as written for ``remote``, ``None`` for ``alias``, and for
    ``file``/``directory`` the path as written (see the module docstring).  ``hosted``: the
    hosted-git-info host type, set whenever npa recognised a known git host (then git
    attributes come from the decoded fragment).  ``git_committish``/``git_range``/``git_subdir``:
    from ``#ref``, ``#semver:<range>``, ``#path:<dir>`` (``::``-separated; ``git_subdir`` gets a
    leading ``/`` like npa).  For an alias, ``alias_spec`` is the classified ``npm:<name>@<spec>``
    target (its ``raw`` is the text after ``npm:``) and ``source`` is its source (always
    ``REGISTRY``: npa rejects aliases to anything else).  ``error`` is set exactly for
    ``INVALID``.
    """

    name: str
    raw: str
    type: SpecType
    source: SourceType
    fetch_spec: str | None = None
    hosted: str | None = None
    git_committish: str | None = None
    git_range: str | None = None
    git_subdir: str | None = None
    alias_name: str | None = None
    alias_spec: Spec | None = None
    error: str | None = None


# --------------------------------------------------------------------------------------------
# JavaScript helpers
# --------------------------------------------------------------------------------------------


class _JsError(Exception):
    """An exception npa would throw; ``kind`` is the JS constructor name."""

    def __init__(self, message: str, kind: str = "Error") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


_JS_WS = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# the same set, as the inside of a regex character class
_WS_CLASS = r"\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_NOT_LINE_TERMINATOR = r"[^\n\r\u2028\u2029]"  # JavaScript's `.`
_JS_WS_RUN = re.compile(f"[{_WS_CLASS}]+")
_JS_WS_FIRST = re.compile(f"[{_WS_CLASS}]")
_MAX_SAFE_INTEGER = 2**53 - 1


def _js_trim(s: str) -> str:
    return s.strip(_JS_WS)


def _utf16_len(s: str) -> int:
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


def _js_number_to_string(x: float) -> str:
    """``String(x)`` (Number::toString) for a finite or infinite double."""
    if math.isnan(x):
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x < 0:
        return "-" + _js_number_to_string(-x)
    from decimal import Decimal  # noqa: PLC0415 - rare (numbers in specs), 2 ms to import

    sign, digit_tuple, exponent = Decimal(repr(x)).normalize().as_tuple()
    del sign
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    n = exponent + k
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    es = f"+{e}" if e >= 0 else f"-{-e}"
    if k == 1:
        return f"{digits}e{es}"
    return f"{digits[0]}.{digits[1:]}e{es}"


def _js_plus_one(decimal_digits: str) -> str:
    """``${+s + 1}`` for a string of ASCII digits."""
    return _js_number_to_string(float(decimal_digits) + 1)


_URI_UNRESERVED = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"
)


def _encode_uri_component(s: str) -> str:
    out: list[str] = []
    for ch in s:
        if ch in _URI_UNRESERVED:
            out.append(ch)
            continue
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise _JsError("URI malformed", "URIError")
        out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


def _is_uri_component_clean(s: str) -> bool:
    """``encodeURIComponent(s) === s`` (throws ``URIError`` like JS on lone surrogates)."""
    for ch in s:
        if ch not in _URI_UNRESERVED:
            if 0xD800 <= ord(ch) <= 0xDFFF:
                raise _JsError("URI malformed", "URIError")
            return False
    return True


_HEX = frozenset("0123456789abcdefABCDEF")


def _decode_uri_component(s: str) -> str:
    """``decodeURIComponent``: raises ``_JsError('URI malformed', 'URIError')`` like JS."""
    if "%" not in s:
        return s
    out: list[str] = []
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        if i + 2 >= n or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
            raise _JsError("URI malformed", "URIError")
        b = int(s[i + 1 : i + 3], 16)
        i += 3
        if b < 0x80:
            out.append(chr(b))
            continue
        if b & 0xE0 == 0xC0:
            count = 2
        elif b & 0xF0 == 0xE0:
            count = 3
        elif b & 0xF8 == 0xF0:
            count = 4
        else:
            raise _JsError("URI malformed", "URIError")
        octets = [b]
        for _ in range(count - 1):
            if i + 2 >= n or s[i] != "%" or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                raise _JsError("URI malformed", "URIError")
            b = int(s[i + 1 : i + 3], 16)
            if b & 0xC0 != 0x80:
                raise _JsError("URI malformed", "URIError")
            octets.append(b)
            i += 3
        try:
            out.append(bytes(octets).decode("utf-8"))
        except UnicodeDecodeError:
            raise _JsError("URI malformed", "URIError") from None
    return "".join(out)


def _js_replace_first(rx: re.Pattern[str], s: str, fn: Callable[[re.Match[str]], str]) -> str:
    """``s.replace(rx, fn)`` for a non-global regex."""
    m = rx.search(s)
    if m is None:
        return s
    return s[: m.start()] + fn(m) + s[m.end() :]


# --------------------------------------------------------------------------------------------
# validate-npm-package-name
# --------------------------------------------------------------------------------------------

_SCOPED_PACKAGE = re.compile(r"(?:@([^/]+?)[/])?([^/]+?)\Z")
_EXCLUSION_LIST = ("node_modules", "favicon.ico")


def _package_name_errors(name: str) -> list[str]:
    """validate-npm-package-name's ``errors`` (may raise ``URIError`` like JS)."""
    errors: list[str] = []
    if not name:
        errors.append("name length must be greater than zero")
    if name.startswith("."):
        errors.append("name cannot start with a period")
    if name.startswith("-"):
        errors.append("name cannot start with a hyphen")
    if name.startswith("_"):
        errors.append("name cannot start with an underscore")
    if _js_trim(name) != name:
        errors.append("name cannot contain leading or trailing spaces")
    errors.extend(
        f"{excluded} is not a valid package name"
        for excluded in _EXCLUSION_LIST
        if name.lower() == excluded
    )
    if _encode_uri_component(name) != name:
        m = _SCOPED_PACKAGE.match(name)
        if m:
            user, pkg = m.group(1), m.group(2)
            if pkg.startswith("."):
                errors.append("name cannot start with a period")
            if (
                user is not None
                and _encode_uri_component(user) == user
                and _encode_uri_component(pkg) == pkg
            ):
                return errors
        errors.append("name can only contain URL-friendly characters")
    return errors


def valid_package_name(name: str) -> bool:
    """validate-npm-package-name's ``validForOldPackages`` (False where it would throw)."""
    try:
        return not _package_name_errors(name)
    except _JsError:
        return False


# --------------------------------------------------------------------------------------------
# semver (internal/re.js safe regexes, classes/semver.js, classes/comparator.js, classes/range.js)
# --------------------------------------------------------------------------------------------

_SEMVER_MAX_LENGTH = 256
_LETTERDASHNUMBER = "[a-zA-Z0-9-]"
_SAFE_REPLACEMENTS = (("\\s", 1), ("\\d", _SEMVER_MAX_LENGTH), (_LETTERDASHNUMBER, 250))


def _make_safe(value: str) -> str:
    for token, mx in _SAFE_REPLACEMENTS:
        value = value.replace(f"{token}*", f"{token}{{0,{mx}}}")
        value = value.replace(f"{token}+", f"{token}{{1,{mx}}}")
    return value


def _js_regex_to_py(src: str) -> str:
    """Turn one of semver's JS sources into an equivalent Python pattern.

    ``\\s`` becomes JavaScript's whitespace class, ``\\d`` ``[0-9]``, ``$`` ``\\Z`` (JS ``$``
    never matches before a final newline).  ``[v=\\s]*`` is always followed by a digit,
    ``x``/``X`` or ``*`` (disjoint from the class), so making it possessive changes nothing but
    the backtracking.
    """
    src = src.replace("[v=\\s]*", f"[v={_WS_CLASS}]*+")
    src = src.replace("\\s", f"[{_WS_CLASS}]").replace("\\d", "[0-9]")
    return src.replace("$", r"\Z")


_S: dict[str, str] = {}
_S["NUMERICIDENTIFIER"] = "0|[1-9]\\d*"
_S["NUMERICIDENTIFIERLOOSE"] = "\\d+"
_S["NONNUMERICIDENTIFIER"] = f"\\d*[a-zA-Z-]{_LETTERDASHNUMBER}*"
_S["MAINVERSION"] = (
    f"({_S['NUMERICIDENTIFIER']})\\.({_S['NUMERICIDENTIFIER']})\\.({_S['NUMERICIDENTIFIER']})"
)
_S["MAINVERSIONLOOSE"] = (
    f"({_S['NUMERICIDENTIFIERLOOSE']})\\.({_S['NUMERICIDENTIFIERLOOSE']})\\."
    f"({_S['NUMERICIDENTIFIERLOOSE']})"
)
_S["PRERELEASEIDENTIFIER"] = f"(?:{_S['NONNUMERICIDENTIFIER']}|{_S['NUMERICIDENTIFIER']})"
_S["PRERELEASEIDENTIFIERLOOSE"] = f"(?:{_S['NONNUMERICIDENTIFIER']}|{_S['NUMERICIDENTIFIERLOOSE']})"
_S["PRERELEASE"] = f"(?:-({_S['PRERELEASEIDENTIFIER']}(?:\\.{_S['PRERELEASEIDENTIFIER']})*))"
_S["PRERELEASELOOSE"] = (
    f"(?:-?({_S['PRERELEASEIDENTIFIERLOOSE']}(?:\\.{_S['PRERELEASEIDENTIFIERLOOSE']})*))"
)
_S["BUILDIDENTIFIER"] = f"{_LETTERDASHNUMBER}+"
_S["BUILD"] = f"(?:\\+({_S['BUILDIDENTIFIER']}(?:\\.{_S['BUILDIDENTIFIER']})*))"
_S["FULLPLAIN"] = f"v?{_S['MAINVERSION']}{_S['PRERELEASE']}?{_S['BUILD']}?"
_S["FULL"] = f"^{_S['FULLPLAIN']}$"
_S["LOOSEPLAIN"] = f"[v=\\s]*{_S['MAINVERSIONLOOSE']}{_S['PRERELEASELOOSE']}?{_S['BUILD']}?"
_S["LOOSE"] = f"^{_S['LOOSEPLAIN']}$"
_S["GTLT"] = "((?:<|>)?=?)"
_S["XRANGEIDENTIFIERLOOSE"] = f"{_S['NUMERICIDENTIFIERLOOSE']}|x|X|\\*"
_S["XRANGEIDENTIFIER"] = f"{_S['NUMERICIDENTIFIER']}|x|X|\\*"
_S["XRANGEPLAIN"] = (
    f"[v=\\s]*({_S['XRANGEIDENTIFIER']})(?:\\.({_S['XRANGEIDENTIFIER']})"
    f"(?:\\.({_S['XRANGEIDENTIFIER']})(?:{_S['PRERELEASE']})?{_S['BUILD']}?)?)?"
)
_S["XRANGEPLAINLOOSE"] = (
    f"[v=\\s]*({_S['XRANGEIDENTIFIERLOOSE']})(?:\\.({_S['XRANGEIDENTIFIERLOOSE']})"
    f"(?:\\.({_S['XRANGEIDENTIFIERLOOSE']})(?:{_S['PRERELEASELOOSE']})?{_S['BUILD']}?)?)?"
)
_S["XRANGE"] = f"^{_S['GTLT']}\\s*{_S['XRANGEPLAIN']}$"
_S["XRANGELOOSE"] = f"^{_S['GTLT']}\\s*{_S['XRANGEPLAINLOOSE']}$"
_S["LONETILDE"] = "(?:~>?)"
_S["TILDETRIM"] = f"(\\s*){_S['LONETILDE']}\\s+"
_S["TILDE"] = f"^{_S['LONETILDE']}{_S['XRANGEPLAIN']}$"
_S["TILDELOOSE"] = f"^{_S['LONETILDE']}{_S['XRANGEPLAINLOOSE']}$"
_S["LONECARET"] = "(?:\\^)"
_S["CARETTRIM"] = f"(\\s*){_S['LONECARET']}\\s+"
_S["CARET"] = f"^{_S['LONECARET']}{_S['XRANGEPLAIN']}$"
_S["CARETLOOSE"] = f"^{_S['LONECARET']}{_S['XRANGEPLAINLOOSE']}$"
_S["COMPARATORLOOSE"] = f"^{_S['GTLT']}\\s*({_S['LOOSEPLAIN']})$|^$"
_S["COMPARATOR"] = f"^{_S['GTLT']}\\s*({_S['FULLPLAIN']})$|^$"
_S["COMPARATORTRIM"] = f"(\\s*){_S['GTLT']}\\s*({_S['LOOSEPLAIN']}|{_S['XRANGEPLAIN']})"
_S["HYPHENRANGE"] = f"^\\s*({_S['XRANGEPLAIN']})\\s+-\\s+({_S['XRANGEPLAIN']})\\s*$"
_S["HYPHENRANGELOOSE"] = f"^\\s*({_S['XRANGEPLAINLOOSE']})\\s+-\\s+({_S['XRANGEPLAINLOOSE']})\\s*$"
_S["STAR"] = "(<|>)?=?\\s*\\*"
_S["GTE0"] = "^\\s*>=\\s*0\\.0\\.0\\s*$"


def _safe_re(name: str) -> re.Pattern[str]:
    return re.compile(_js_regex_to_py(_make_safe(_S[name])))


class _LazyPatterns(dict[str, "re.Pattern[str]"]):
    """Compiled on first use: most packages need a handful of these, and compiling all of
    them costs every ``tarlens`` run 25 ms of start-up."""

    def __missing__(self, name: str) -> re.Pattern[str]:
        pattern = self[name] = _safe_re(name)
        return pattern


_RE = _LazyPatterns()
# range.js strips build metadata with the *unbounded* source regex (global)
_BUILDSTRIP = re.compile(_js_regex_to_py(_S["BUILD"]))
_ALL_DIGITS = re.compile(r"[0-9]+\Z")
_V_EQ_WS = frozenset("v=" + _JS_WS)


class _SemverError(Exception):
    pass


def _semver_parse(version: str, loose: bool) -> str:
    """``new SemVer(version, loose).version``; raises :class:`_SemverError`."""
    if _utf16_len(version) > _SEMVER_MAX_LENGTH:
        raise _SemverError(f"version is longer than {_SEMVER_MAX_LENGTH} characters")
    m = _RE["LOOSE" if loose else "FULL"].search(_js_trim(version))
    if m is None:
        raise _SemverError(f"Invalid Version: {version}")
    parts = [int(m.group(i)) for i in (1, 2, 3)]
    if any(p > _MAX_SAFE_INTEGER for p in parts):
        raise _SemverError("Invalid version component")
    out = f"{parts[0]}.{parts[1]}.{parts[2]}"
    if m.group(4):
        ids: list[str] = []
        for ident in m.group(4).split("."):
            if _ALL_DIGITS.match(ident) and int(ident) < _MAX_SAFE_INTEGER:
                ids.append(str(int(ident)))
            else:
                ids.append(ident)
        out += "-" + ".".join(ids)
    return out


def semver_valid(version: str, loose: bool = False) -> str | None:
    """node-semver ``valid(version, loose)``: the normalized version, or None."""
    try:
        return _semver_parse(version, loose)
    except _SemverError:
        return None


def _is_x(ident: str | None) -> bool:
    return not ident or ident.lower() == "x" or ident == "*"


def _replace_tilde(comp: str, loose: bool) -> str:
    def fn(m: re.Match[str]) -> str:
        big, minor, patch, pre = m.group(1), m.group(2), m.group(3), m.group(4)
        if _is_x(big):
            return ""
        if _is_x(minor):
            return f">={big}.0.0 <{_js_plus_one(big)}.0.0-0"
        if _is_x(patch):
            return f">={big}.{minor}.0 <{big}.{_js_plus_one(minor)}.0-0"
        if pre:
            return f">={big}.{minor}.{patch}-{pre} <{big}.{_js_plus_one(minor)}.0-0"
        return f">={big}.{minor}.{patch} <{big}.{_js_plus_one(minor)}.0-0"

    return _js_replace_first(_RE["TILDELOOSE" if loose else "TILDE"], comp, fn)


def _replace_caret(comp: str, loose: bool) -> str:
    def fn(m: re.Match[str]) -> str:
        big, minor, patch, pre = m.group(1), m.group(2), m.group(3), m.group(4)
        if _is_x(big):
            return ""
        if _is_x(minor):
            return f">={big}.0.0 <{_js_plus_one(big)}.0.0-0"
        if _is_x(patch):
            if big == "0":
                return f">={big}.{minor}.0 <{big}.{_js_plus_one(minor)}.0-0"
            return f">={big}.{minor}.0 <{_js_plus_one(big)}.0.0-0"
        low = f">={big}.{minor}.{patch}-{pre}" if pre else f">={big}.{minor}.{patch}"
        if big == "0":
            if minor == "0":
                return f"{low} <{big}.{minor}.{_js_plus_one(patch)}-0"
            return f"{low} <{big}.{_js_plus_one(minor)}.0-0"
        return f"{low} <{_js_plus_one(big)}.0.0-0"

    return _js_replace_first(_RE["CARETLOOSE" if loose else "CARET"], comp, fn)


def _replace_xrange(comp: str, loose: bool) -> str:
    comp = _js_trim(comp)

    def fn(m: re.Match[str]) -> str:
        ret = m.group(0)
        gtlt: str = m.group(1)
        big: str = m.group(2)
        minor: str | None = m.group(3)
        patch: str | None = m.group(4)
        if (_is_x(big) and not _is_x(minor)) or (_is_x(minor) and patch and not _is_x(patch)):
            return comp
        x_big = _is_x(big)
        x_minor = x_big or _is_x(minor)
        x_patch = x_minor or _is_x(patch)
        any_x = x_patch
        if gtlt == "=" and any_x:
            gtlt = ""
        pr = ""
        if x_big:
            return "<0.0.0-0" if gtlt in (">", "<") else "*"
        if gtlt and any_x:
            m_s: str = "0" if x_minor else str(minor)
            p_s = "0"
            big_s = big
            if gtlt == ">":
                gtlt = ">="
                if x_minor:
                    big_s = _js_plus_one(big)
                    m_s = "0"
                    p_s = "0"
                else:
                    m_s = _js_plus_one(str(minor))
                    p_s = "0"
            elif gtlt == "<=":
                gtlt = "<"
                if x_minor:
                    big_s = _js_plus_one(big)
                else:
                    m_s = _js_plus_one(str(minor))
            if gtlt == "<":
                pr = "-0"
            return f"{gtlt}{big_s}.{m_s}.{p_s}{pr}"
        if x_minor:
            return f">={big}.0.0{pr} <{_js_plus_one(big)}.0.0-0"
        if x_patch:
            return f">={big}.{minor}.0{pr} <{big}.{_js_plus_one(str(minor))}.0-0"
        return ret

    return _js_replace_first(_RE["XRANGELOOSE" if loose else "XRANGE"], comp, fn)


def _hyphen_replace(m: re.Match[str]) -> str:
    frm, f_big, f_min, f_pat, _f_pre = (m.group(i) for i in (1, 2, 3, 4, 5))
    to, t_big, t_min, t_pat, t_pre = (m.group(i) for i in (7, 8, 9, 10, 11))
    if _is_x(f_big):
        frm = ""
    elif _is_x(f_min):
        frm = f">={f_big}.0.0"
    elif _is_x(f_pat):
        frm = f">={f_big}.{f_min}.0"
    else:
        frm = f">={frm}"
    if _is_x(t_big):
        to = ""
    elif _is_x(t_min):
        to = f"<{_js_plus_one(t_big)}.0.0-0"
    elif _is_x(t_pat):
        to = f"<{t_big}.{_js_plus_one(t_min)}.0-0"
    elif t_pre:
        to = f"<={t_big}.{t_min}.{t_pat}-{t_pre}"
    else:
        to = f"<={to}"
    return _js_trim(f"{frm} {to}")


def _comparator_trim(s: str) -> str:
    """``s.replace(re[COMPARATORTRIM], '$1$2$3')`` in linear time.

    A match attempt at ``i`` consumes an optional space, ``<``/``>``, ``=``, a space, then the
    (possessive) run of ``[v=\\s]`` up to its end ``k`` and tries the tail there; so when it
    fails, every start inside that run fails the same way, and the scan may jump to ``k`` (or
    ``k - 1`` when that is whitespace: ``(\\s?)`` + ``<`` may start a match there).
    """
    rx = _RE["COMPARATORTRIM"]
    n = len(s)
    out: list[str] = []
    last = 0
    i = 0
    while i < n:
        m = rx.match(s, i)
        if m is not None and m.end() > m.start():
            out.append(s[last : m.start()])
            out.append(m.group(1) + m.group(2) + m.group(3))
            last = i = m.end()
            continue
        j = i + 1 if s[i] in "<>" else i
        k = j
        while k < n and s[k] in _V_EQ_WS:
            k += 1
        nxt = k - 1 if k - 1 > i and s[k - 1] in _JS_WS else k
        i = max(nxt, i + 1)
    out.append(s[last:])
    return "".join(out)


def _parse_comparator(comp: str, loose: bool) -> str:
    comp = _RE["BUILD"].sub("", comp, count=1)
    comp = " ".join(_replace_caret(c, loose) for c in _JS_WS_RUN.split(_js_trim(comp)))
    comp = " ".join(_replace_tilde(c, loose) for c in _JS_WS_RUN.split(_js_trim(comp)))
    comp = " ".join(_replace_xrange(c, loose) for c in _JS_WS_RUN.split(comp))
    return _RE["STAR"].sub("", _js_trim(comp), count=1)


_NULL_SET = "<0.0.0-0"


def _comparator_value(comp: str, loose: bool) -> str:
    """``new Comparator(comp, loose).value``; raises :class:`_SemverError`."""
    comp = " ".join(_JS_WS_RUN.split(_js_trim(comp)))
    m = _RE["COMPARATORLOOSE" if loose else "COMPARATOR"].search(comp)
    if m is None:
        raise _SemverError(f"Invalid comparator: {comp}")
    operator = m.group(1) or ""
    if operator == "=":
        operator = ""
    if not m.group(2):
        return ""
    return operator + _semver_parse(m.group(2), loose)


def _parse_range(rng: str, loose: bool) -> list[str]:
    rng = _BUILDSTRIP.sub("", rng)
    rng = _js_replace_first(
        _RE["HYPHENRANGELOOSE" if loose else "HYPHENRANGE"], rng, _hyphen_replace
    )
    rng = _comparator_trim(rng)
    rng = _RE["TILDETRIM"].sub(lambda m: m.group(1) + "~", rng)
    rng = _RE["CARETTRIM"].sub(lambda m: m.group(1) + "^", rng)
    joined = " ".join(_parse_comparator(c, loose) for c in rng.split(" "))
    range_list = [_RE["GTE0"].sub("", _js_trim(c), count=1) for c in _JS_WS_RUN.split(joined)]
    if loose:
        range_list = [c for c in range_list if _RE["COMPARATORLOOSE"].search(c)]
    values = [_comparator_value(c, loose) for c in range_list]
    range_map: dict[str, None] = {}
    for v in values:
        if v == _NULL_SET:
            return [v]
        range_map[v] = None
    if len(range_map) > 1 and "" in range_map:
        del range_map[""]
    return list(range_map)


def _range_string(rng: str, loose: bool) -> str:
    """``new Range(rng, loose).range``; raises :class:`_SemverError`."""
    raw = _JS_WS_RUN.sub(" ", _js_trim(rng))
    sets = [c for c in (_parse_range(_js_trim(r), loose) for r in raw.split("||")) if c]
    if not sets:
        raise _SemverError(f"Invalid SemVer Range: {raw}")
    if len(sets) > 1:
        first = sets[0]
        sets = [c for c in sets if c[0] != _NULL_SET]
        if not sets:
            sets = [first]
        elif len(sets) > 1:
            for c in sets:
                if len(c) == 1 and c[0] == "":
                    sets = [c]
                    break
    return "||".join(" ".join(c) for c in sets)


def semver_valid_range(range_: str, loose: bool = False) -> str | None:
    """node-semver ``validRange(range, loose)``: the normalized range (``'*'`` for any)."""
    try:
        return _range_string(range_, loose) or "*"
    except _SemverError:
        return None


# --------------------------------------------------------------------------------------------
# WHATWG URL (Node 20 / Ada)
# --------------------------------------------------------------------------------------------

_SPECIAL_PORTS: dict[str, int | None] = {
    "ftp": 21,
    "file": None,
    "http": 80,
    "https": 443,
    "ws": 80,
    "wss": 443,
}
_ASCII_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ASCII_DIGITS = frozenset("0123456789")
_ASCII_ALNUM = _ASCII_ALPHA | _ASCII_DIGITS
_SCHEME_CHARS = _ASCII_ALNUM | frozenset("+-.")

_FRAGMENT_SET = frozenset(' "<>`')
_QUERY_SET = frozenset(' "#<>')
_SPECIAL_QUERY_SET = _QUERY_SET | frozenset("'")
_PATH_SET = _QUERY_SET | frozenset("?`{}")  # Node 20: ^ and | stay literal
_USERINFO_SET = _PATH_SET | frozenset("/:;=@[\\]^|")
_FORBIDDEN_HOST = frozenset("\x00\t\n\r #/:<>?@[\\]^|")
_FORBIDDEN_DOMAIN = _FORBIDDEN_HOST | frozenset(chr(c) for c in range(0x20)) | frozenset("%\x7f")


def _pct_encode(c: str, encode_set: frozenset[str]) -> str:
    o = ord(c)
    if o < 0x20 or o > 0x7E or c in encode_set:
        return "".join(f"%{b:02X}" for b in c.encode("utf-8"))
    return c


def _pct_encode_str(s: str, encode_set: frozenset[str]) -> str:
    return "".join(_pct_encode(c, encode_set) for c in s)


def _pct_decode_bytes(s: str) -> bytes:
    data = s.encode("utf-8")
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        if b == 0x25 and i + 2 < n and chr(data[i + 1]) in _HEX and chr(data[i + 2]) in _HEX:
            out.append(int(data[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(b)
            i += 1
    return bytes(out)


@attrs.define
class _URL:
    scheme: str = ""
    username: str = ""
    password: str = ""
    host: str | None = None
    port: int | None = None
    path: list[str] | str = attrs.Factory(list)
    query: str | None = None
    fragment: str | None = None

    @property
    def special(self) -> bool:
        return self.scheme in _SPECIAL_PORTS

    @property
    def protocol(self) -> str:
        return self.scheme + ":"

    @property
    def hostname(self) -> str:
        return self.host or ""

    @property
    def host_and_port(self) -> str:
        """The ``host`` getter (hostname plus ``:port``)."""
        if self.host is None:
            return ""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def pathname(self) -> str:
        if isinstance(self.path, str):
            return self.path
        return "".join("/" + seg for seg in self.path)

    @property
    def hash(self) -> str:
        return "#" + self.fragment if self.fragment else ""

    def href(self, exclude_fragment: bool = False) -> str:
        out = self.scheme + ":"
        if self.host is not None:
            out += "//"
            if self.username or self.password:
                out += self.username
                if self.password:
                    out += ":" + self.password
                out += "@"
            out += self.host
            if self.port is not None:
                out += f":{self.port}"
        elif isinstance(self.path, list) and len(self.path) > 1 and self.path[0] == "":
            out += "/."
        out += self.pathname
        if self.query is not None:
            out += "?" + self.query
        if not exclude_fragment and self.fragment is not None:
            out += "#" + self.fragment
        return out

    def clear_hash(self) -> None:
        """``url.hash = ''`` (strips trailing spaces of an opaque path, like Node 20)."""
        self.fragment = None
        if isinstance(self.path, str) and self.query is None:
            self.path = self.path.rstrip(" ")


def _is_windows_drive_letter(s: str, normalized: bool = False) -> bool:
    return len(s) == 2 and s[0] in _ASCII_ALPHA and (s[1] == ":" if normalized else s[1] in ":|")


def _starts_with_windows_drive_letter(cps: str, pointer: int) -> bool:
    rest = cps[pointer:]
    return (
        len(rest) >= 2
        and _is_windows_drive_letter(rest[:2])
        and (len(rest) == 2 or rest[2] in "/\\?#")
    )


def _shorten_path(url: _URL) -> None:
    path = url.path
    assert isinstance(path, list)
    if url.scheme == "file" and len(path) == 1 and _is_windows_drive_letter(path[0], True):
        return
    if path:
        path.pop()


_SINGLE_DOT = frozenset({".", "%2e"})
_DOUBLE_DOT = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})


class _URLError(Exception):
    pass


def _ipv4_number(s: str) -> int | None:
    if not s:
        return None
    radix = 10
    if len(s) >= 2 and s[0] == "0" and s[1] in "xX":
        s = s[2:]
        radix = 16
    elif len(s) >= 2 and s[0] == "0":
        s = s[1:]
        radix = 8
    if not s:
        return 0
    allowed = {10: "0123456789", 16: "0123456789abcdefABCDEF", 8: "01234567"}[radix]
    if any(c not in allowed for c in s):
        return None
    s = s.lstrip("0") or "0"
    if len(s) > 40:  # far above 2**32 in any radix; keeps int() under Python's digit limit
        return 1 << 160
    return int(s, radix)


def _ends_in_a_number(s: str) -> bool:
    parts = s.split(".")
    if parts[-1] == "":
        if len(parts) == 1:
            return False
        parts.pop()
    last = parts[-1]
    if last and all(c in _ASCII_DIGITS for c in last):
        return True
    return _ipv4_number(last) is not None


def _ipv4_parse(s: str) -> str:
    parts = s.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        raise _URLError
    numbers: list[int] = []
    for part in parts:
        num = _ipv4_number(part)
        if num is None:
            raise _URLError
        numbers.append(num)
    if any(num > 255 for num in numbers[:-1]):
        raise _URLError
    if numbers[-1] >= 256 ** (5 - len(numbers)):
        raise _URLError
    ipv4 = numbers[-1]
    for i, num in enumerate(numbers[:-1]):
        ipv4 += num * 256 ** (3 - i)
    return ".".join(str((ipv4 >> sh) & 0xFF) for sh in (24, 16, 8, 0))


def _ipv6_parse(s: str) -> str:
    address = [0] * 8
    piece = 0
    compress: int | None = None
    p = 0
    n = len(s)

    def c_at(i: int) -> str:
        return s[i] if i < n else ""

    if c_at(p) == ":":
        if c_at(p + 1) != ":":
            raise _URLError
        p += 2
        piece += 1
        compress = piece
    while c_at(p):
        if piece == 8:
            raise _URLError
        if c_at(p) == ":":
            if compress is not None:
                raise _URLError
            p += 1
            piece += 1
            compress = piece
            continue
        value = length = 0
        while length < 4 and c_at(p) and c_at(p) in _HEX:
            value = value * 16 + int(c_at(p), 16)
            p += 1
            length += 1
        if c_at(p) == ".":
            if length == 0:
                raise _URLError
            p -= length
            if piece > 6:
                raise _URLError
            seen = 0
            while c_at(p):
                v4: int | None = None
                if seen > 0:
                    if c_at(p) == "." and seen < 4:
                        p += 1
                    else:
                        raise _URLError
                if not c_at(p) or c_at(p) not in _ASCII_DIGITS:
                    raise _URLError
                while c_at(p) and c_at(p) in _ASCII_DIGITS:
                    num = int(c_at(p))
                    if v4 is None:
                        v4 = num
                    elif v4 == 0:
                        raise _URLError
                    else:
                        v4 = v4 * 10 + num
                    if v4 > 255:
                        raise _URLError
                    p += 1
                assert v4 is not None
                address[piece] = address[piece] * 0x100 + v4
                seen += 1
                if seen in (2, 4):
                    piece += 1
            if seen != 4:
                raise _URLError
            break
        if c_at(p) == ":":
            p += 1
            if not c_at(p):
                raise _URLError
        elif c_at(p):
            raise _URLError
        address[piece] = value
        piece += 1
    if compress is not None:
        swaps = piece - compress
        piece = 7
        while piece != 0 and swaps > 0:
            j = compress + swaps - 1
            address[piece], address[j] = address[j], address[piece]
            piece -= 1
            swaps -= 1
    elif piece != 8:
        raise _URLError
    # serialize: compress the first longest run (length > 1) of zero pieces
    best_start, best_len = -1, 1
    i = 0
    while i < 8:
        if address[i] == 0:
            j = i
            while j < 8 and address[j] == 0:
                j += 1
            if j - i > best_len:
                best_start, best_len = i, j - i
            i = j
        else:
            i += 1
    out = ""
    ignore0 = False
    for idx in range(8):
        if ignore0 and address[idx] == 0:
            continue
        ignore0 = False
        if idx == best_start:
            out += "::" if idx == 0 else ":"
            ignore0 = True
            continue
        out += f"{address[idx]:x}"
        if idx != 7:
            out += ":"
    return f"[{out}]"


# UTS #46 approximations for non-ASCII hosts
_IDNA_DOTS = frozenset("\u3002\uff0e\uff61")
_IDNA_IGNORED = frozenset(
    "\u00ad\u034f\u180b\u180c\u180d\u180f\u200b\u2060\ufeff"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)
_IDNA_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")
_IDNA_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
_MAX_PUNYCODE_LABEL = 1000


def _uts46_map(s: str) -> str:
    out: list[str] = []
    for ch in s:
        if ch in _IDNA_DOTS:
            out.append(".")
        elif ch in _IDNA_IGNORED:
            continue
        elif ch in _IDNA_DEVIATIONS or ord(ch) < 0x80:
            out.append(ch.lower() if ord(ch) < 0x80 else ch)
        else:
            out.append(unicodedata.normalize("NFKC", ch.casefold()))
    return unicodedata.normalize("NFC", "".join(out))


def _idna_label_ok(label: str) -> bool:
    if not label:
        return True
    if unicodedata.category(label[0]).startswith("M"):
        return False
    if unicodedata.normalize("NFC", label) != label or _uts46_map(label) != label:
        return False
    return all(
        ord(c) < 0x80
        or c in "\u200c\u200d"
        or (c != "\ufffd" and unicodedata.category(c) not in _IDNA_BAD_CATEGORIES)
        for c in label
    )


def _domain_to_ascii(domain: str) -> str:
    mapped = domain.lower() if domain.isascii() else _uts46_map(domain)
    labels: list[str] = []
    for label in mapped.split("."):
        if label.startswith("xn--"):
            if not label.isascii() or len(label) > _MAX_PUNYCODE_LABEL:
                raise _URLError
            try:
                decoded = label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                raise _URLError from None
            if not decoded or not _idna_label_ok(decoded):
                raise _URLError
            labels.append(label)
        elif label.isascii():
            labels.append(label)
        else:
            if len(label) > _MAX_PUNYCODE_LABEL or not _idna_label_ok(label):
                raise _URLError
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
    result = ".".join(labels)
    if not result:
        raise _URLError
    return result


def _host_parse(s: str, is_opaque: bool) -> str:
    if s.startswith("["):
        if not s.endswith("]"):
            raise _URLError
        return _ipv6_parse(s[1:-1])
    if is_opaque:
        if any(c in _FORBIDDEN_HOST for c in s):
            raise _URLError
        return _pct_encode_str(s, frozenset())
    domain = _pct_decode_bytes(s).decode("utf-8", "replace")
    ascii_domain = _domain_to_ascii(domain)
    if any(c in _FORBIDDEN_DOMAIN for c in ascii_domain):
        raise _URLError
    if _ends_in_a_number(ascii_domain):
        return _ipv4_parse(ascii_domain)
    return ascii_domain


class _St(enum.Enum):
    SCHEME_START = enum.auto()
    SCHEME = enum.auto()
    NO_SCHEME = enum.auto()
    SPECIAL_RELATIVE_OR_AUTHORITY = enum.auto()
    PATH_OR_AUTHORITY = enum.auto()
    RELATIVE = enum.auto()
    RELATIVE_SLASH = enum.auto()
    SPECIAL_AUTHORITY_SLASHES = enum.auto()
    SPECIAL_AUTHORITY_IGNORE_SLASHES = enum.auto()
    AUTHORITY = enum.auto()
    HOST = enum.auto()
    PORT = enum.auto()
    FILE = enum.auto()
    FILE_SLASH = enum.auto()
    FILE_HOST = enum.auto()
    PATH_START = enum.auto()
    PATH = enum.auto()
    OPAQUE_PATH = enum.auto()
    QUERY = enum.auto()
    FRAGMENT = enum.auto()


_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _url_parse(raw: str, base: _URL | None = None) -> _URL:
    """The WHATWG basic URL parser (no state override); raises :class:`_URLError`."""
    s = _LONE_SURROGATE.sub("\ufffd", raw).strip(_C0_OR_SPACE)
    s = s.replace("\t", "").replace("\n", "").replace("\r", "")
    url = _URL()
    state = _St.SCHEME_START
    buf = ""
    at_seen = in_brackets = password_seen = False
    # accumulators kept in lists: `attr += piece` would be quadratic on hostile input
    user_parts: list[str] = []
    pass_parts: list[str] = []
    frag_parts: list[str] = []
    opaque_parts: list[str] = []
    in_opaque_path = False
    p = 0
    n = len(s)
    while True:
        c = s[p] if p < n else ""  # "" is EOF
        if state is _St.SCHEME_START:
            if c and c in _ASCII_ALPHA:
                buf += c.lower()
                state = _St.SCHEME
            else:
                state = _St.NO_SCHEME
                p -= 1
        elif state is _St.SCHEME:
            if c and c in _SCHEME_CHARS:
                buf += c.lower()
            elif c == ":":
                url.scheme = buf
                buf = ""
                if url.scheme == "file":
                    state = _St.FILE
                elif url.special and base is not None and base.scheme == url.scheme:
                    state = _St.SPECIAL_RELATIVE_OR_AUTHORITY
                elif url.special:
                    state = _St.SPECIAL_AUTHORITY_SLASHES
                elif s[p + 1 : p + 2] == "/":
                    state = _St.PATH_OR_AUTHORITY
                    p += 1
                else:
                    url.path = ""
                    in_opaque_path = True
                    state = _St.OPAQUE_PATH
            else:
                buf = ""
                state = _St.NO_SCHEME
                p = -1
        elif state is _St.NO_SCHEME:
            if base is None or (isinstance(base.path, str) and c != "#"):
                raise _URLError
            if isinstance(base.path, str) and c == "#":
                url.scheme = base.scheme
                url.path = base.path
                url.query = base.query
                url.fragment = ""
                state = _St.FRAGMENT
            elif base.scheme != "file":
                state = _St.RELATIVE
                p -= 1
            else:
                state = _St.FILE
                p -= 1
        elif state is _St.SPECIAL_RELATIVE_OR_AUTHORITY:
            if c == "/" and s[p + 1 : p + 2] == "/":
                state = _St.SPECIAL_AUTHORITY_IGNORE_SLASHES
                p += 1
            else:
                state = _St.RELATIVE
                p -= 1
        elif state is _St.PATH_OR_AUTHORITY:
            if c == "/":
                state = _St.AUTHORITY
            else:
                state = _St.PATH
                p -= 1
        elif state is _St.RELATIVE:
            assert base is not None
            url.scheme = base.scheme
            if c == "/" or (url.special and c == "\\"):
                state = _St.RELATIVE_SLASH
            else:
                url.username, url.password = base.username, base.password
                url.host, url.port = base.host, base.port
                url.path = list(base.path)
                url.query = base.query
                if c == "?":
                    url.query = ""
                    state = _St.QUERY
                elif c == "#":
                    url.fragment = ""
                    state = _St.FRAGMENT
                elif c:
                    url.query = None
                    _shorten_path(url)
                    state = _St.PATH
                    p -= 1
        elif state is _St.RELATIVE_SLASH:
            assert base is not None
            if url.special and c in ("/", "\\"):
                state = _St.SPECIAL_AUTHORITY_IGNORE_SLASHES
            elif c == "/":
                state = _St.AUTHORITY
            else:
                url.username, url.password = base.username, base.password
                url.host, url.port = base.host, base.port
                state = _St.PATH
                p -= 1
        elif state is _St.SPECIAL_AUTHORITY_SLASHES:
            if c == "/" and s[p + 1 : p + 2] == "/":
                state = _St.SPECIAL_AUTHORITY_IGNORE_SLASHES
                p += 1
            else:
                state = _St.SPECIAL_AUTHORITY_IGNORE_SLASHES
                p -= 1
        elif state is _St.SPECIAL_AUTHORITY_IGNORE_SLASHES:
            if c not in ("/", "\\"):
                state = _St.AUTHORITY
                p -= 1
        elif state is _St.AUTHORITY:
            if c == "@":
                if at_seen:
                    buf = "%40" + buf
                at_seen = True
                for cp in buf:
                    if cp == ":" and not password_seen:
                        password_seen = True
                        continue
                    enc = _pct_encode(cp, _USERINFO_SET)
                    (pass_parts if password_seen else user_parts).append(enc)
                buf = ""
            elif c in ("", "/", "?", "#") or (url.special and c == "\\"):
                if at_seen and buf == "":
                    raise _URLError
                p -= len(buf) + 1
                buf = ""
                state = _St.HOST
            else:
                buf += c
        elif state is _St.HOST:
            if c == ":" and not in_brackets:
                if buf == "":
                    raise _URLError
                url.host = _host_parse(buf, not url.special)
                buf = ""
                state = _St.PORT
            elif c in ("", "/", "?", "#") or (url.special and c == "\\"):
                p -= 1
                if url.special and buf == "":
                    raise _URLError
                url.host = _host_parse(buf, not url.special) if buf else ""
                buf = ""
                state = _St.PATH_START
            else:
                if c == "[":
                    in_brackets = True
                elif c == "]":
                    in_brackets = False
                buf += c
        elif state is _St.PORT:
            if c and c in _ASCII_DIGITS:
                buf += c
            elif c in ("", "/", "?", "#") or (url.special and c == "\\"):
                if buf:
                    digits = buf.lstrip("0") or "0"
                    port = int(digits) if len(digits) <= 5 else 1 << 20
                    if port > 65535:
                        raise _URLError
                    url.port = None if _SPECIAL_PORTS.get(url.scheme, -1) == port else port
                    buf = ""
                state = _St.PATH_START
                p -= 1
            else:
                raise _URLError
        elif state is _St.FILE:
            url.scheme = "file"
            url.host = ""
            if c in ("/", "\\") and c:
                state = _St.FILE_SLASH
            elif base is not None and base.scheme == "file":
                url.host = base.host
                url.path = list(base.path)
                url.query = base.query
                if c == "?":
                    url.query = ""
                    state = _St.QUERY
                elif c == "#":
                    url.fragment = ""
                    state = _St.FRAGMENT
                elif c:
                    url.query = None
                    if not _starts_with_windows_drive_letter(s, p):
                        _shorten_path(url)
                    else:
                        url.path = []
                    state = _St.PATH
                    p -= 1
            else:
                state = _St.PATH
                p -= 1
        elif state is _St.FILE_SLASH:
            if c in ("/", "\\") and c:
                state = _St.FILE_HOST
            else:
                if base is not None and base.scheme == "file":
                    url.host = base.host
                    bpath = base.path
                    if (
                        not _starts_with_windows_drive_letter(s, p)
                        and isinstance(bpath, list)
                        and bpath
                        and _is_windows_drive_letter(bpath[0], True)
                    ):
                        assert isinstance(url.path, list)
                        url.path.append(bpath[0])
                state = _St.PATH
                p -= 1
        elif state is _St.FILE_HOST:
            if c in ("", "/", "\\", "?", "#"):
                p -= 1
                if _is_windows_drive_letter(buf):
                    state = _St.PATH
                elif buf == "":
                    url.host = ""
                    state = _St.PATH_START
                else:
                    host = _host_parse(buf, False)
                    url.host = "" if host == "localhost" else host
                    buf = ""
                    state = _St.PATH_START
            else:
                buf += c
        elif state is _St.PATH_START:
            if url.special:
                state = _St.PATH
                if c not in ("/", "\\") or not c:
                    p -= 1
            elif c == "?":
                url.query = ""
                state = _St.QUERY
            elif c == "#":
                url.fragment = ""
                state = _St.FRAGMENT
            elif c:
                state = _St.PATH
                if c != "/":
                    p -= 1
        elif state is _St.PATH:
            slashy = c == "/" or (url.special and c == "\\")
            if c in ("", "?", "#") or slashy:
                path = url.path
                assert isinstance(path, list)
                low = buf.lower()
                if low in _DOUBLE_DOT:
                    # Node 20 (Ada): a final ".." that pops nothing leaves a non-special
                    # URL's path empty ("foo:/.." -> "foo:"); the spec would give "foo:/"
                    was_empty = not path
                    _shorten_path(url)
                    if not slashy and not (was_empty and not url.special):
                        path.append("")
                elif low in _SINGLE_DOT:
                    if not slashy:
                        path.append("")
                else:
                    if url.scheme == "file" and not path and _is_windows_drive_letter(buf):
                        buf = buf[0] + ":"
                    path.append(buf)
                buf = ""
                if c == "?":
                    url.query = ""
                    state = _St.QUERY
                elif c == "#":
                    url.fragment = ""
                    state = _St.FRAGMENT
            else:
                buf += _pct_encode(c, _PATH_SET)
        elif state is _St.OPAQUE_PATH:
            if c == "?":
                url.query = ""
                state = _St.QUERY
            elif c == "#":
                url.fragment = ""
                state = _St.FRAGMENT
            elif c:
                opaque_parts.append(_pct_encode(c, frozenset()))
        elif state is _St.QUERY:
            if c in ("", "#"):
                qset = _SPECIAL_QUERY_SET if url.special else _QUERY_SET
                url.query = (url.query or "") + _pct_encode_str(buf, qset)
                buf = ""
                if c == "#":
                    url.fragment = ""
                    state = _St.FRAGMENT
            else:
                buf += c
        elif state is _St.FRAGMENT and c:
            frag_parts.append(_pct_encode(c, _FRAGMENT_SET))
        if p >= n:
            break
        p += 1
    if at_seen:
        url.username = "".join(user_parts)
        url.password = "".join(pass_parts)
    if in_opaque_path:
        url.path = "".join(opaque_parts)
    if url.fragment is not None:
        url.fragment += "".join(frag_parts)
    return url


def _safe_url(raw: str, base: _URL | None = None) -> _URL | None:
    try:
        return _url_parse(raw, base)
    except _URLError:
        return None


# --------------------------------------------------------------------------------------------
# hosted-git-info fromUrl(spec, {noGitPlus: true, noCommittish: true})
# --------------------------------------------------------------------------------------------


@attrs.frozen
class _HostDef:
    protocols: tuple[str, ...]
    domain: str


_HOSTS: dict[str, _HostDef] = {
    "github": _HostDef(("git:", "http:", "git+ssh:", "git+https:", "ssh:", "https:"), "github.com"),
    "bitbucket": _HostDef(("git+ssh:", "git+https:", "ssh:", "https:"), "bitbucket.org"),
    "gitlab": _HostDef(("git+ssh:", "git+https:", "ssh:", "https:"), "gitlab.com"),
    "gist": _HostDef(("git:", "git+ssh:", "git+https:", "ssh:", "https:"), "gist.github.com"),
    "sourcehut": _HostDef(("git+ssh:", "https:"), "git.sr.ht"),
}
_BY_SHORTCUT = {f"{name}:": name for name in _HOSTS}
_BY_DOMAIN = {h.domain: name for name, h in _HOSTS.items()}
# GitHost.#protocols: name (default representation) and whether auth is kept
_PROTOCOLS: dict[str, tuple[str | None, bool]] = {
    "git+ssh:": ("sshurl", False),
    "ssh:": ("sshurl", False),
    "git+https:": ("https", True),
    "git:": (None, True),
    "http:": (None, True),
    "https:": (None, True),
    "git+http:": (None, True),
    **{f"{name}:": (name, False) for name in _HOSTS},
}
# byDomain is a plain object: these host names hit Object.prototype, hosted-git-info then reads
# `undefined.protocols` and the TypeError escapes npa.
_OBJECT_PROTOTYPE_KEYS = frozenset(
    {
        "constructor",
        "__defineGetter__",
        "__defineSetter__",
        "hasOwnProperty",
        "__lookupGetter__",
        "__lookupSetter__",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toString",
        "valueOf",
        "__proto__",
        "toLocaleString",
    }
)
_GITHOST_METHODS = frozenset({"ssh", "sshurl", "https", "git", "shortcut", "path", "tarball"})


@attrs.frozen
class _Hosted:
    type: str
    user: str | None
    auth: str | None
    project: str
    committish: str | None
    default: str

    def fetch_spec(self) -> str | None:
        """npa: ``shortcut`` -> null, else ``hosted.toString()`` (noGitPlus, noCommittish)."""
        if self.default == "shortcut":
            return None
        rep = self.default if self.default in _GITHOST_METHODS else "sshurl"
        domain = _HOSTS[self.type].domain
        user = "null" if self.user is None else self.user
        auth = f"{self.auth}@" if self.auth else ""
        if self.type == "gist":
            result = {
                "https": f"git+https://{domain}/{self.project}.git",
                "git": f"git://{domain}/{self.project}.git",
            }.get(rep, f"git+ssh://git@{domain}/{self.project}.git")
        elif rep == "https":
            if self.type == "sourcehut":
                result = f"https://{domain}/{user}/{self.project}"
            else:
                result = f"git+https://{auth}{domain}/{user}/{self.project}.git"
        elif rep == "git":  # only github reaches this (the others refuse git:)
            result = f"git://{auth}{domain}/{user}/{self.project}.git"
        else:
            result = f"git+ssh://git@{domain}/{user}/{self.project}.git"
        return result[4:] if result.startswith("git+") else result


def _is_github_shorthand(arg: str) -> bool:
    first_hash = arg.find("#")
    first_slash = arg.find("/")
    second_slash = arg.find("/", first_slash + 1)
    first_colon = arg.find(":")
    first_space = _JS_WS_FIRST.search(arg)
    first_at = arg.find("@")
    space_only_after_hash = first_space is None or (
        first_hash > -1 and first_space.start() > first_hash
    )
    at_only_after_hash = first_at == -1 or (first_hash > -1 and first_at > first_hash)
    colon_only_after_hash = first_colon == -1 or (first_hash > -1 and first_colon > first_hash)
    second_slash_only_after_hash = second_slash == -1 or (
        first_hash > -1 and second_slash > first_hash
    )
    has_slash = first_slash > 0
    if first_hash > -1:
        does_not_end_with_slash = first_hash == 0 or arg[first_hash - 1] != "/"
    else:
        does_not_end_with_slash = not arg.endswith("/")
    does_not_start_with_dot = not arg.startswith(".")
    return (
        space_only_after_hash
        and has_slash
        and does_not_end_with_slash
        and does_not_start_with_dot
        and at_only_after_hash
        and colon_only_after_hash
        and second_slash_only_after_hash
    )


def _last_index_of_before(s: str, char: str, before: str) -> int:
    start = s.find(before)
    if start > -1:
        return s.rfind(char, 0, start + 1)
    return s.rfind(char)


def _correct_protocol(arg: str) -> str:
    first_colon = arg.find(":")
    proto = arg[: first_colon + 1]
    if proto in _PROTOCOLS:
        return arg
    if first_colon > -1 and arg[first_colon : first_colon + 3] == "://":
        return arg
    first_at = arg.find("@")
    if first_at > -1:
        if first_at > first_colon:
            return f"git+ssh://{arg}"
        return arg
    return f"{arg[: first_colon + 1]}//{arg[first_colon + 1 :]}"


def _correct_url(giturl: str) -> str:
    first_at = _last_index_of_before(giturl, "@", "#")
    last_colon = _last_index_of_before(giturl, ":", "#")
    if last_colon > first_at:
        giturl = giturl[:last_colon] + "/" + giturl[last_colon + 1 :]
    if _last_index_of_before(giturl, ":", "#") == -1 and "//" not in giturl:
        giturl = f"git+ssh://{giturl}"
    return giturl


def _parse_git_url(giturl: str) -> _URL | None:
    with_protocol = _correct_protocol(giturl)
    return _safe_url(with_protocol) or _safe_url(_correct_url(with_protocol))


def _js_split_limit(s: str, sep: str, limit: int) -> list[str | None]:
    parts: list[str | None] = list(s.split(sep)[:limit])
    parts.extend([None] * (limit - len(parts)))
    return parts


def _extract(host: str, url: _URL) -> tuple[str | None, str, str | None] | None:
    """The host's ``extract(url)``: (user, project, committish) before decoding.

    A ``None`` committish is JavaScript's ``undefined`` (``/o/r/tree`` on github), which
    ``decodeURIComponent`` turns into the string ``"undefined"``.
    """
    hash_ = url.hash[1:]
    if host == "github":
        _, user, project, type_, committish = _js_split_limit(url.pathname, "/", 5)
        if type_ and type_ != "tree":
            return None
        if not type_:
            committish = hash_
        if project and project.endswith(".git"):
            project = project[:-4]
        if not user or not project:
            return None
        return user, project, committish
    if host == "gitlab":
        path = url.pathname[1:]
        if "/-/" in path or "/archive.tar.gz" in path:
            return None
        segments = path.split("/")
        project = segments.pop()
        if project.endswith(".git"):
            project = project[:-4]
        user = "/".join(segments)
        if not user or not project:
            return None
        return user, project, hash_
    _, user, project, aux = _js_split_limit(url.pathname, "/", 4)
    if host == "gist":
        if aux == "raw":
            return None
        if not project:
            if not user:
                return None
            project = user
            user = None
        if project.endswith(".git"):
            project = project[:-4]
        return user, project, hash_
    if (host == "bitbucket" and aux == "get") or (host == "sourcehut" and aux == "archive"):
        return None
    if project and project.endswith(".git"):
        project = project[:-4]
    if not user or not project:
        return None
    return user, project, hash_


def _hosted_from_url(giturl: str) -> _Hosted | None:
    if not giturl:
        return None
    corrected = f"github:{giturl}" if _is_github_shorthand(giturl) else giturl
    parsed = _parse_git_url(corrected)
    if parsed is None:
        return None
    shortcut = _BY_SHORTCUT.get(parsed.protocol)
    hostname = parsed.hostname
    domain_key = hostname[4:] if hostname.startswith("www.") else hostname
    by_domain = _BY_DOMAIN.get(domain_key)
    if not shortcut and by_domain is None and domain_key in _OBJECT_PROTOTYPE_KEYS:
        raise _JsError("Cannot read properties of undefined (reading 'protocols')", "TypeError")
    host_name = shortcut or by_domain
    if not host_name:
        return None
    auth: str | None = None
    proto_info = _PROTOCOLS.get(parsed.protocol)
    if proto_info and proto_info[1] and (parsed.username or parsed.password):
        auth = parsed.username + (f":{parsed.password}" if parsed.password else "")
    try:
        if shortcut:
            pathname = parsed.pathname[1:] if parsed.pathname.startswith("/") else parsed.pathname
            first_at = pathname.find("@")
            if first_at > -1:
                pathname = pathname[first_at + 1 :]
            last_slash = pathname.rfind("/")
            user: str | None
            if last_slash > -1:
                user = _decode_uri_component(pathname[:last_slash]) or None
                project = _decode_uri_component(pathname[last_slash + 1 :])
            else:
                user = None
                project = _decode_uri_component(pathname)
            if project.endswith(".git"):
                project = project[:-4]
            committish = _decode_uri_component(parsed.hash[1:]) if parsed.hash else None
            default = "shortcut"
        else:
            if parsed.protocol not in _HOSTS[host_name].protocols:
                return None
            segments = _extract(host_name, parsed)
            if segments is None:
                return None
            raw_user, raw_project, raw_committish = segments
            user = _decode_uri_component(raw_user) if raw_user else raw_user
            project = _decode_uri_component(raw_project)
            committish = _decode_uri_component(
                "undefined" if raw_committish is None else raw_committish
            )
            default = (proto_info[0] if proto_info else None) or parsed.protocol[:-1]
    except _JsError as e:
        if e.kind == "URIError":
            return None
        raise
    return _Hosted(host_name, user, auth, project, committish or None, default)


# --------------------------------------------------------------------------------------------
# npm-package-arg
# --------------------------------------------------------------------------------------------

_IS_URL = re.compile(r"(?:git[+])?[a-z]+:", re.IGNORECASE | re.ASCII)
_IS_GIT = re.compile(rf"[^@]+@[^:.]+\.[^:]+:{_NOT_LINE_TERMINATOR}+\Z", re.IGNORECASE | re.ASCII)
_IS_FILE_TYPE = re.compile(r"[.](?:tgz|tar\.gz|tar)\Z", re.IGNORECASE | re.ASCII)
_IS_PORT_NUMBER = re.compile(r":[0-9]+(?:/|\Z)", re.IGNORECASE | re.ASCII)
_IS_POSIX_FILE = re.compile(r"(?:[.]|~[/]|[/]|[a-zA-Z]:)")
_GIT_SSH_SCP = re.compile(
    rf"git\+ssh://([^:#]+:[^#]+(?:\.git)?)(?:#({_NOT_LINE_TERMINATOR}*))?\Z",
    re.IGNORECASE | re.ASCII,
)
_GIT_FILE_DRIVE = re.compile(r"git\+file://[a-z]:", re.IGNORECASE | re.ASCII)
_GIT_PROTOCOLS = frozenset(
    {"git:", "git+http:", "git+https:", "git+rsync:", "git+ftp:", "git+file:", "git+ssh:"}
)


@attrs.define
class _Result:
    raw: str
    raw_spec: str
    name: str | None = None
    type: str = ""
    registry: bool = False
    fetch_spec: str | None = None
    git_committish: str | None = None
    git_range: str | None = None
    git_subdir: str | None = None
    hosted: str | None = None
    sub: _Result | None = None


def _set_git_attrs(res: _Result, committish: str | None) -> None:
    if not committish:
        res.git_committish = None
        return
    for part in committish.split("::"):
        if ":" not in part:
            if res.git_range:
                raise _JsError("cannot override existing semver range with a committish")
            if res.git_committish:
                raise _JsError("cannot override existing committish with a second committish")
            res.git_committish = part
            continue
        key, value = part.split(":")[:2]
        if key == "semver":
            if res.git_committish:
                raise _JsError("cannot override existing committish with a semver range")
            if res.git_range:
                raise _JsError("cannot override existing semver range with a second semver range")
            res.git_range = _decode_uri_component(value)
            continue
        if key == "path":
            if res.git_subdir:
                raise _JsError("cannot override existing path with a second path")
            res.git_subdir = f"/{value}"
            continue
        # npa: log.warn('npm-package-arg', `ignoring unknown key "${name}"`)


def _is_file_spec(spec: str) -> bool:
    if not spec:
        return False
    if spec.lower().startswith("file:"):
        return True
    return _IS_POSIX_FILE.match(spec) is not None


def _from_file(res: _Result) -> _Result:
    res.type = "file" if _IS_FILE_TYPE.search(res.raw_spec) else "directory"
    spec = res.raw_spec
    res.fetch_spec = spec[5:] if spec.startswith("file:") else spec
    return res


def _from_hosted_git(res: _Result, hosted: _Hosted) -> _Result:
    res.type = "git"
    res.hosted = hosted.type
    res.fetch_spec = hosted.fetch_spec()
    _set_git_attrs(res, hosted.committish)
    return res


def _from_url(res: _Result) -> _Result:
    raw_spec = res.raw_spec
    if raw_spec.startswith("git+ssh:"):
        m = _GIT_SSH_SCP.match(raw_spec)
        if m and not _IS_PORT_NUMBER.search(m.group(1)):
            res.type = "git"
            _set_git_attrs(res, m.group(2))
            res.fetch_spec = m.group(1)
            return res
    elif raw_spec.startswith("git+file://"):
        raw_spec = raw_spec.replace("\\", "/")
    parsed = _safe_url(raw_spec)
    if parsed is None:
        raise _JsError("Invalid URL", "TypeError")
    protocol = parsed.protocol
    if protocol in _GIT_PROTOCOLS:
        res.type = "git"
        _set_git_attrs(res, parsed.hash[1:])
        if protocol == "git+file:" and _GIT_FILE_DRIVE.match(raw_spec):
            res.fetch_spec = f"git+file://{parsed.host_and_port.lower()}:{parsed.pathname}"
        else:
            parsed.clear_hash()
            res.fetch_spec = parsed.href()
        if res.fetch_spec.startswith("git+"):
            res.fetch_spec = res.fetch_spec[4:]
    elif protocol in ("http:", "https:"):
        res.type = "remote"
        res.fetch_spec = res.raw_spec
    else:
        raise _JsError(f'Unsupported URL Type "{protocol}": {raw_spec}')
    return res


def _is_alias_spec(spec: str) -> bool:
    return spec.lower().startswith("npm:")


def _from_alias(res: _Result) -> _Result:
    """``fromAlias``, with npa's recursion through nested aliases unrolled.

    npa evaluates ``npm:<arg>`` as ``npa(arg)``; when that is itself an alias it recurses
    (validating each level's name on the way down) and the level *above* the innermost alias
    throws "nested aliases not supported" once the innermost one has been checked.  The loop
    keeps that order without Python recursion (a 64 KiB ``npm:npm:...`` chain is 16k levels;
    V8 gives up with "Maximum call stack size exceeded" somewhere below 3000).
    """
    arg = res.raw_spec[4:]
    nested = False
    while True:
        name, spec = _npa_split(arg)
        if _is_file_spec(spec) or not _is_alias_spec(spec):
            break
        if name:
            _check_name(name, arg)
        arg = spec[4:]
        nested = True
    sub = _resolve(name, spec, arg)  # not an alias (the loop consumed those): no recursion
    if not sub.registry:
        raise _JsError("aliases only work for registry deps")
    if not sub.name:
        raise _JsError("aliases must have a name")
    if nested:
        raise _JsError("nested aliases not supported")
    res.sub = sub
    res.registry = True
    res.type = "alias"
    res.fetch_spec = None
    return res


def _from_registry(res: _Result) -> _Result:
    res.registry = True
    spec = _js_trim(res.raw_spec)
    res.fetch_spec = spec
    if semver_valid(spec, True):
        res.type = "version"
    elif semver_valid_range(spec, True):
        res.type = "range"
    else:
        if not _is_uri_component_clean(spec):
            raise _JsError(
                f'Invalid tag name "{spec}" of package "{res.raw}": Tags may not have any '
                "characters that encodeURIComponent encodes."
            )
        res.type = "tag"
    return res


def _check_name(name: str, raw: str) -> None:
    """``Result.setName``: throws for names that are not valid even for old packages."""
    errors = _package_name_errors(name)
    if errors:
        raise _JsError(f'Invalid package name "{name}" of package "{raw}": {"; ".join(errors)}.')


def _resolve(name: str | None, spec: str, arg: str | None = None) -> _Result:
    if arg is None:
        arg = f"{name}@{spec}" if name else spec
    res = _Result(raw=arg, raw_spec=spec)
    if name:
        _check_name(name, arg)
        res.name = name
    if _is_file_spec(spec):
        return _from_file(res)
    if _is_alias_spec(spec):
        return _from_alias(res)
    hosted = _hosted_from_url(spec)
    if hosted is not None:
        return _from_hosted_git(res, hosted)
    if spec and _IS_URL.match(spec):
        return _from_url(res)
    if spec and ("/" in spec or _IS_FILE_TYPE.search(spec)):
        return _from_file(res)
    return _from_registry(res)


def _npa_split(arg: str) -> tuple[str | None, str]:
    """The (name, spec) that ``npa(arg, where)`` hands to ``resolve`` for a string ``arg``."""
    name_ends_at = arg.find("@", 1)
    name_part = arg[:name_ends_at] if name_ends_at > 0 else arg
    name: str | None = None
    if _IS_URL.match(arg):
        spec = arg
    elif _IS_GIT.match(arg):
        spec = f"git+ssh://{arg}"
    elif not name_part.startswith("@") and ("/" in name_part or _IS_FILE_TYPE.search(name_part)):
        spec = arg
    elif name_ends_at > 0:
        name = name_part
        spec = arg[name_ends_at + 1 :] or "*"
    elif not _package_name_errors(arg):
        name = arg
        spec = "*"
    else:
        spec = arg
    return name, spec


# --------------------------------------------------------------------------------------------
# file: resolution (what npa puts in fetchSpec for file/directory specs)
# --------------------------------------------------------------------------------------------

_FILE_PATH_CHARS = {
    "\0": "%00",
    "\t": "%09",
    "\n": "%0A",
    "\r": "%0D",
    " ": "%20",
    '"': "%22",
    "#": "%23",
    "%": "%25",
    "?": "%3F",
    "[": "%5B",
    "\\": "%5C",
    "]": "%5D",
    "^": "%5E",
    "|": "%7C",
    "~": "%7E",
}
_FILE_DOUBLE_SLASH_HOST = re.compile(r"file://[^/]")
_FILE_DOT_PREFIX = re.compile(r"/{1,3}\.\.?(?:/|\Z)")
_FILE_SLASHES = re.compile(r"file:/{1,3}")
_HOME_PREFIX = re.compile(r"/~(?:/|\Z)")


def _path_to_file_url(s: str) -> str:
    result = "".join(_FILE_PATH_CHARS.get(c, c) for c in s)
    return result if result.startswith("file:") else f"file:{result}"


def _node_path_resolve(*paths: str) -> str:
    """Node's ``path.posix.resolve`` for arguments that include an absolute path."""
    resolved = ""
    for p in reversed(paths):
        if not p:
            continue
        resolved = f"{p}/{resolved}"
        if p.startswith("/"):
            break
    assert resolved.startswith("/")
    out: list[str] = []
    for seg in resolved.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    return "/" + "/".join(out)


def _file_fetch_spec(raw_spec: str, where: str = _WHERE, home: str = "/root") -> str:
    """npa's ``fetchSpec`` for a file/directory spec resolved from ``where`` (POSIX)."""
    raw = _path_to_file_url(raw_spec)
    if raw.startswith("file:/"):
        if _FILE_DOUBLE_SLASH_HOST.match(raw):
            raw = f"file:/{raw[5:]}"
        if _FILE_DOT_PREFIX.match(raw[5:]):
            raw = _FILE_SLASHES.sub("file:", raw, count=1)
    base = _url_parse(f"{_path_to_file_url(_node_path_resolve(where))}/")
    resolved_url = _url_parse(raw, base)
    spec_url = _url_parse(raw)
    spec_path = _decode_uri_component(spec_url.pathname)
    resolved_path = _decode_uri_component(resolved_url.pathname)
    if _HOME_PREFIX.match(spec_path):
        resolved_path = _node_path_resolve(home, spec_path[3:])
    return _node_path_resolve(where, resolved_path)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------

_SOURCE_OF = {
    "version": SourceType.REGISTRY,
    "range": SourceType.REGISTRY,
    "tag": SourceType.REGISTRY,
    "alias": SourceType.REGISTRY,
    "git": SourceType.GIT,
    "remote": SourceType.REMOTE,
    "file": SourceType.FILE,
    "directory": SourceType.DIRECTORY,
}


def _to_spec(name: str, raw: str, res: _Result) -> Spec:
    alias_spec = None
    alias_name = None
    if res.sub is not None:
        alias_name = res.sub.name
        alias_spec = _to_spec(res.sub.name or "", res.raw_spec[4:], res.sub)
    source = alias_spec.source if alias_spec is not None else _SOURCE_OF[res.type]
    return Spec(
        name=name,
        raw=raw,
        type=SpecType(res.type),
        source=source,
        fetch_spec=res.fetch_spec,
        hosted=res.hosted,
        git_committish=res.git_committish,
        git_range=res.git_range,
        git_subdir=res.git_subdir,
        alias_name=alias_name,
        alias_spec=alias_spec,
    )


def _invalid(name: str, spec: str, error: str) -> Spec:
    return Spec(name=name, raw=spec, type=SpecType.INVALID, source=SourceType.INVALID, error=error)


def classify(name: str, spec: str) -> Spec:
    """Classify dependency ``name`` declared as ``spec`` exactly like npm (``npa.resolve``).

    Never raises for string input: where npa throws, the result is ``INVALID`` with npa's
    message in ``error``.
    """
    if len(name) + len(spec) > MAX_SPEC_LENGTH:
        return _invalid(
            name, spec, f"tarlens: dependency spec longer than {MAX_SPEC_LENGTH} characters"
        )
    try:
        res = _resolve(name or None, spec)
    except _JsError as e:
        return _invalid(name, spec, e.message)
    return _to_spec(name, spec, res)
