"""tarlens: see exactly what is in an npm release tarball before you approve it.

``npm stage publish`` uploads a release that nobody can install until a maintainer runs
``npm stage approve``. tarlens reads the staged ``.tgz`` the way npm would install it and
tells the maintainer what is really in it: every file, the install-time scripts, every
dependency and where it comes from, and every trick in the archive itself.

>>> import tarlens
>>> manifest = tarlens.load("fixtures/examples/staged.tgz")  # doctest: +SKIP
>>> [s.command for s in manifest.install_scripts]  # doctest: +SKIP
['node scripts/setup.js']
>>> report = tarlens.check(manifest)  # doctest: +SKIP
>>> [f.rule_id for f in report.findings if f.severity >= tarlens.Severity.HIGH]  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Allow",
    "Anomaly",
    "AnomalyKind",
    "ArchiveError",
    "Baseline",
    "Bin",
    "BundledPackage",
    "ChangeStatus",
    "Confidence",
    "Config",
    "ConfigError",
    "Dependency",
    "EntryStatus",
    "File",
    "FileChange",
    "Finding",
    "InputError",
    "LimitExceeded",
    "Limits",
    "Manifest",
    "PackageJsonError",
    "Policy",
    "RawEntry",
    "ReleaseDiff",
    "Report",
    "Rule",
    "ScanError",
    "ScanErrorKind",
    "ScanResult",
    "Script",
    "ScriptWhen",
    "Severity",
    "Shrinkwrap",
    "ShrinkwrapEntry",
    "SourceType",
    "Spec",
    "SpecType",
    "TarlensError",
    "TextChange",
    "__version__",
    "check",
    "classify_spec",
    "diff",
    "load",
    "load_config",
    "rules",
    "scan_dask",
    "scan_many",
    "to_frame",
    "to_records",
]

# Public names are imported lazily so that `tarlens --version` starts fast.
_LAZY = {
    "Anomaly": "tarlens._anomaly",
    "AnomalyKind": "tarlens._anomaly",
    "ArchiveError": "tarlens._errors",
    "ConfigError": "tarlens._errors",
    "InputError": "tarlens._errors",
    "LimitExceeded": "tarlens._errors",
    "PackageJsonError": "tarlens._errors",
    "TarlensError": "tarlens._errors",
    "Limits": "tarlens._limits",
    "Bin": "tarlens._manifest",
    "BundledPackage": "tarlens._manifest",
    "Dependency": "tarlens._manifest",
    "File": "tarlens._manifest",
    "Manifest": "tarlens._manifest",
    "Script": "tarlens._manifest",
    "ScriptWhen": "tarlens._manifest",
    "Shrinkwrap": "tarlens._manifest",
    "ShrinkwrapEntry": "tarlens._manifest",
    "EntryStatus": "tarlens._tar",
    "RawEntry": "tarlens._tar",
    "SourceType": "tarlens._npa",
    "Spec": "tarlens._npa",
    "SpecType": "tarlens._npa",
    "load": "tarlens._reader",
    "Confidence": "tarlens._engine",
    "Finding": "tarlens._engine",
    "Report": "tarlens._engine",
    "Rule": "tarlens._engine",
    "Severity": "tarlens._engine",
    "check": "tarlens._engine",
    "ChangeStatus": "tarlens._diff",
    "FileChange": "tarlens._diff",
    "ReleaseDiff": "tarlens._diff",
    "TextChange": "tarlens._diff",
    "diff": "tarlens._diff",
    "Allow": "tarlens._config",
    "Baseline": "tarlens._config",
    "Config": "tarlens._config",
    "Policy": "tarlens._config",
    "load_config": "tarlens._config",
    "ScanError": "tarlens._scan",
    "ScanErrorKind": "tarlens._scan",
    "ScanResult": "tarlens._scan",
    "scan_dask": "tarlens._scan",
    "scan_many": "tarlens._scan",
    "to_frame": "tarlens._html",
    "to_records": "tarlens._html",
}
_RENAMED = {"classify_spec": ("tarlens._npa", "classify")}

if TYPE_CHECKING:
    from tarlens import rules
    from tarlens._anomaly import Anomaly, AnomalyKind
    from tarlens._config import Allow, Baseline, Config, Policy, load_config
    from tarlens._diff import ChangeStatus, FileChange, ReleaseDiff, TextChange, diff
    from tarlens._engine import Confidence, Finding, Report, Rule, Severity, check
    from tarlens._errors import (
        ArchiveError,
        ConfigError,
        InputError,
        LimitExceeded,
        PackageJsonError,
        TarlensError,
    )
    from tarlens._html import to_frame, to_records
    from tarlens._limits import Limits
    from tarlens._manifest import (
        Bin,
        BundledPackage,
        Dependency,
        File,
        Manifest,
        Script,
        ScriptWhen,
        Shrinkwrap,
        ShrinkwrapEntry,
    )
    from tarlens._npa import SourceType, Spec, SpecType
    from tarlens._npa import classify as classify_spec
    from tarlens._reader import load
    from tarlens._scan import ScanError, ScanErrorKind, ScanResult, scan_dask, scan_many
    from tarlens._tar import EntryStatus, RawEntry


def __getattr__(name: str) -> Any:
    import importlib  # noqa: PLC0415

    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _RENAMED:
        module, attr = _RENAMED[name]
        value = getattr(importlib.import_module(module), attr)
    elif name == "rules":
        value = importlib.import_module("tarlens.rules")
    else:
        raise AttributeError(f"module 'tarlens' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
