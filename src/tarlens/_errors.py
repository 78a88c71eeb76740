"""The errors tarlens raises on purpose.

Every one of them subclasses :class:`TarlensError`, carries the data that explains it and
says what is wrong in one sentence (``str(err)``). Anything else escaping tarlens is a bug.
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "ConfigError",
    "InputError",
    "IntegrityError",
    "LimitExceeded",
    "PackageJsonError",
    "RegistryError",
    "TarlensError",
]


def __dir__() -> list[str]:
    return __all__


class TarlensError(Exception):
    """Root of every error tarlens raises on purpose."""

    def diagnostics(self) -> str:
        """A longer, multi-line explanation for ``-v`` output (defaults to the message)."""
        return str(self)


class InputError(TarlensError, OSError):
    """The input could not be opened or read (missing file, a directory, a read error)."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"cannot read {source}: {reason}")

    def __str__(self) -> str:
        return f"cannot read {self.source}: {self.reason}"


class ArchiveError(TarlensError, ValueError):
    """The bytes are not a tarball npm could install (not tar, broken gzip, truncated data).

    ``offset`` is the byte offset where the problem was found, in the compressed input for
    container problems and in the uncompressed tar stream for tar problems, when known.
    """

    def __init__(self, message: str, *, offset: int | None = None, stream: str = "") -> None:
        self.message = message
        self.offset = offset
        self.stream = stream
        super().__init__(message)

    def __str__(self) -> str:
        if self.offset is None:
            return self.message
        return f"{self.message} (at byte {self.offset} of the {self.stream or 'input'})"


class LimitExceeded(ArchiveError):
    """A resource limit of :class:`tarlens.Limits` was hit; the input was refused on purpose."""

    def __init__(self, limit: str, value: int, *, what: str) -> None:
        self.limit = limit
        self.value = value
        self.what = what
        flag = "--" + limit.replace("_", "-")
        super().__init__(f"{what} exceeds the limit {limit}={value} (raise it with {flag})")

    def __str__(self) -> str:
        return self.message


class PackageJsonError(TarlensError, ValueError):
    """The package's own ``package.json`` is missing or cannot be parsed the way npm parses it."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class ConfigError(TarlensError, ValueError):
    """A configuration value (a limit, a flag, a policy key) is invalid; ``key`` names it."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"invalid configuration {key!r}: {reason}")


class RegistryError(TarlensError, OSError):
    """The registry could not be reached, refused the request or answered with something
    that is not a packument. ``url`` never carries credentials; ``status`` is the HTTP
    status when there was one."""

    def __init__(self, url: str, reason: str, *, status: int | None = None) -> None:
        self.url = url
        self.reason = reason
        self.status = status
        super().__init__(f"registry {url}: {reason}")

    def __str__(self) -> str:
        return f"registry {self.url}: {self.reason}"


class IntegrityError(TarlensError, ValueError):
    """Bytes are not the ones they were said to be: a tarball from the registry that does
    not match its ``dist.integrity``, a cached copy gone bad, or a staged tarball whose
    shasum is not the one ``npm stage view`` printed. Never a warning: the bytes are refused.
    """

    def __init__(self, what: str, expected: str, actual: str, *, hint: str = "") -> None:
        self.what = what
        self.expected = expected
        self.actual = actual
        self.hint = hint
        super().__init__(what)

    def __str__(self) -> str:
        text = f"{self.what}: expected {self.expected}, got {self.actual}"
        return f"{text} ({self.hint})" if self.hint else text
