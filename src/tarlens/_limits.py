"""Resource limits for reading a tarball.

The defaults are generous: the largest real packages pass (next@15.0.0 is 123 MB of tar and
6,721 files; typescript ships single 9 MB files). They exist so that a bomb (gigabytes of
zeros, 200,000-deep JSON, hundreds of thousands of entries) is refused in seconds and in
bounded memory instead of exhausting the machine.
"""

from __future__ import annotations

import attrs

from tarlens._errors import ConfigError, LimitExceeded

__all__ = ["Limits"]

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(attribute.name, f"must be a positive integer, not {value!r}")


@attrs.frozen(kw_only=True)
class Limits:
    """How much of a tarball tarlens is willing to read.

    Every limit is a hard refusal: hitting one raises :class:`tarlens.LimitExceeded`
    (the CLI exits 2). Override any of them by keyword, e.g.
    ``tarlens.load(path, limits=Limits(max_tar_bytes=4 * GiB))``.
    """

    #: Bytes of compressed input (the ``.tgz`` itself).
    max_input_bytes: int = attrs.field(default=1 * GiB, validator=_positive)
    #: Bytes of uncompressed tar stream, including anything after the end-of-archive marker.
    max_tar_bytes: int = attrs.field(default=1 * GiB, validator=_positive)
    #: Declared size of any one entry that npm would install.
    max_file_bytes: int = attrs.field(default=1 * GiB, validator=_positive)
    #: Tar headers of any kind (files, links, PAX records, ...), hidden ones included. The
    #: largest real package measured, @mui/icons-material 5.16.7, has 31,843.
    max_entries: int = attrs.field(default=80_000, validator=_positive)
    #: Bytes of the paths and link targets the tar headers name, summed over the tarball
    #: (each is kept, for the entry, the file it installs and its anomalies): next@15.0.0
    #: names 0.4 MiB; 80,000 entries of 4 KiB paths would name 320 MiB.
    max_path_bytes: int = attrs.field(default=16 * MiB, validator=_positive)
    #: Records of the extended (PAX) headers, summed over the tarball: each is parsed in
    #: Python, some 1.3 microseconds a record (the 150 million tiny ones of 1 GiB, over
    #: three minutes; a million, about a second and a half).
    #: ``npm pack`` writes one or two, for names over 100 bytes; other tools write a few for
    #: every entry (at most 40,000 headers of ``max_entries`` can be PAX headers).
    max_pax_records: int = attrs.field(default=1_000_000, validator=_positive)
    #: Directories that the installed paths imply (npm creates each). npm@10.9.0 has 633;
    #: without a bound, 80,000 entries a thousand directories deep would make 80 million.
    max_directories: int = attrs.field(default=100_000, validator=_positive)
    #: Size of a ``package.json`` (the package's own and bundled ones) or ``npm-shrinkwrap.json``.
    max_package_json_bytes: int = attrs.field(default=8 * MiB, validator=_positive)
    #: Nesting depth of arrays and objects in those JSON files.
    max_json_depth: int = attrs.field(default=256, validator=_positive)
    #: Values (objects, arrays, strings, numbers, literals) in one of those JSON files,
    #: bounded from above before parsing by its commas, colons and opening brackets: each
    #: parsed value costs Python up to some 200 bytes, so 8 MiB of ``[[],[],...`` would
    #: take 600 MiB. An 8 MiB ``npm-shrinkwrap.json`` holds about 300,000.
    max_json_values: int = attrs.field(default=500_000, validator=_positive)
    #: Bytes of one file that the content analysis reads (kinds, signals); longer files are
    #: judged by their head.
    max_analyzed_bytes: int = attrs.field(default=16 * MiB, validator=_positive)
    #: How many bundled ``node_modules/**/package.json`` files are parsed.
    max_bundled_manifests: int = attrs.field(default=10_000, validator=_positive)
    #: Bytes of bundled ``package.json`` files and secret-looking files whose contents are
    #: kept in memory for the manifest, summed over the tarball (the package's own
    #: ``package.json`` and ``npm-shrinkwrap.json`` always are). npm@10.9.0 keeps 0.3 MiB.
    max_kept_bytes: int = attrs.field(default=32 * MiB, validator=_positive)
    #: Bytes of code the signal scan reads in one tarball, summed over the files it scans
    #: (each counted up to ``max_analyzed_bytes``). Scanning costs up to half a microsecond
    #: a byte on code made of nothing but tiny literals, so this bounds the time a tarball
    #: of many such entry points can take (about two minutes at the default), where real
    #: packages scan well under it: ``--signals all`` reads 54 MiB of next@15.0.0.
    max_scanned_bytes: int = attrs.field(default=256 * MiB, validator=_positive)
    #: Code signals kept for one tarball, summed over its files (each file keeps at most
    #: 100 a signal name). A signal costs some 300 bytes with its value, and a file of URLs
    #: yields two for every 100 bytes; ``--signals all`` finds 3,917 in next@15.0.0.
    max_signals: int = attrs.field(default=100_000, validator=_positive)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The names of every limit, for command-line flags and configuration files."""
        return tuple(a.name for a in attrs.fields(cls))


class ScanBudget:
    """What is left of ``Limits.max_scanned_bytes`` and ``max_signals`` for one tarball."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._scanned = 0
        self._signals = 0

    def charge(self, size: int) -> None:
        """Count ``size`` bytes about to be scanned; refuse them beyond the limit."""
        self._scanned += size
        if self._scanned > self._limits.max_scanned_bytes:
            raise LimitExceeded(
                "max_scanned_bytes",
                self._limits.max_scanned_bytes,
                what=f"the code the signal scan would read ({self._scanned} bytes)",
            )

    def keep(self, signals: int) -> None:
        """Count ``signals`` found; refuse to keep more than the limit."""
        self._signals += signals
        if self._signals > self._limits.max_signals:
            raise LimitExceeded(
                "max_signals",
                self._limits.max_signals,
                what="the code signals found in the tarball",
            )
