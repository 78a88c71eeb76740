"""For rule authors: the registry decorator and the values a rule works with.

A rule is a pure function that takes a :class:`Release` and yields :class:`Evidence`::

    from tarlens.rules import Confidence, Evidence, Release, Severity, rule

    @rule(id="XYZ001", name="readme-missing", severity=Severity.LOW,
          confidence=Confidence.HIGH)
    def readme_missing(release: Release):
        \"\"\"The package ships no README.

        ## What it does
        Reports a release without a README file.

        ## Why is this risky
        It is not; it is an example.

        ## Example
        A tarball with only ``package.json`` and ``index.js``.
        \"\"\"
        if not any(f.path.lower().startswith("readme") for f in release.manifest.files):
            yield Evidence("no README in the package")
"""

from tarlens._engine import (
    SECTIONS,
    Confidence,
    Evidence,
    Finding,
    Release,
    Report,
    Rule,
    RuleError,
    Severity,
    all_rules,
    get_rule,
    rule,
)

__all__ = [
    "SECTIONS",
    "Confidence",
    "Evidence",
    "Finding",
    "Release",
    "Report",
    "Rule",
    "RuleError",
    "Severity",
    "all_rules",
    "get_rule",
    "rule",
]


def __dir__() -> list[str]:
    return __all__
