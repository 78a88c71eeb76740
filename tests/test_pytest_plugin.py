"""The pytest plugin: a fresh project's tests use ``tarlens_review`` with no configuration.

The plugin is loaded with ``-p tarlens.pytest_plugin`` while the ``pytest11`` entry point is
not installed, and by the entry point once it is. Every run is a fresh pytest process, as in
a project that depends on tarlens (in-process runs would also share tarlens's rule registry
and compiled extensions with this session).
"""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from fixtures import tarcraft as tc
from tarlens.pytest_plugin import Review, assert_no_findings

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "examples"
CLEAN = EXAMPLES / "greeter-1.4.0.tgz"
STAGED = EXAMPLES / "greeter-1.4.1-staged.tgz"


def _plugin_args() -> list[str]:
    installed = any(ep.value == "tarlens.pytest_plugin" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "tarlens.pytest_plugin"]


RELEASE_CHECK = """
from tarlens.pytest_plugin import assert_no_findings

def test_release(tarlens_review):
    assert_no_findings(tarlens_review({new!r}))
"""


def test_a_clean_release_passes_in_a_fresh_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_release=RELEASE_CHECK.format(new=str(CLEAN)))
    result = pytester.runpytest_subprocess(*_plugin_args())
    result.assert_outcomes(passed=1)


def test_a_staged_release_with_high_findings_fails_readably(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_release=RELEASE_CHECK.format(new=str(STAGED)))
    result = pytester.runpytest_subprocess(*_plugin_args())
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*tarlens: * finding(s) at or above high in @example/greeter@1.4.1:",
            "*HIGH     ARC014 lone-zero-block [[]package/lib/telemetry.js[]]: a single zero block*",
        ]
    )
    # pytrace=False: the message, not a traceback into the plugin
    assert "pytest_plugin.py" not in result.stdout.str()


def test_options_give_the_tarballs_and_the_threshold(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_release="""
        def test_release(tarlens_review, assert_no_findings):
            review = tarlens_review()
            assert review.diff is not None and review.diff.old.version == "1.4.0"
            assert review.manifest.version == "1.4.1"
            assert {f.rule_id for f in review.findings} >= {"SCR010", "ARC014"}
            assert_no_findings(review)
        """
    )
    args = [*_plugin_args(), "--tarlens-new", str(STAGED), "--tarlens-previous", str(CLEAN)]
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*CRITICAL SCR010 install-script-added*"])
    assert "tarlens: reviewing" in result.stdout.str()  # the report header

    # critical findings remain above --tarlens-fail-on critical; none above "none"
    result = pytester.runpytest_subprocess(*args, "--tarlens-fail-on", "critical")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*at or above critical*", "*CRITICAL SCR010 install-script-added*"]
    )
    assert "HIGH     ARC014" not in result.stdout.str()
    result = pytester.runpytest_subprocess(*args, "--tarlens-fail-on", "none")
    result.assert_outcomes(passed=1)


def test_relative_option_paths_are_read_from_the_invocation_directory(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "rel.tgz").write_bytes(CLEAN.read_bytes())
    pytester.makepyfile(
        test_release="""
        from tarlens.pytest_plugin import assert_no_findings

        def test_release(tarlens_review):
            assert_no_findings(tarlens_review(), at_least="info")
        """
    )
    result = pytester.runpytest_subprocess(*_plugin_args(), "--tarlens-new", "rel.tgz")
    result.assert_outcomes(passed=1)


def test_config_keywords_reach_tarlens_config(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_release=f"""
        import pytest
        from tarlens.pytest_plugin import assert_no_findings

        def test_ignored(tarlens_review):
            review = tarlens_review({str(STAGED)!r}, ignore=["ARC014", "DEP001", "SCR015",
                                                              "PAY"])
            assert "ARC014" not in {{f.rule_id for f in review.findings}}

        def test_severity_override(tarlens_review):
            review = tarlens_review({str(STAGED)!r}, severity={{"ARC014": "info"}})
            (zero,) = [f for f in review.findings if f.rule_id == "ARC014"]
            assert str(zero.severity) == "info"

        def test_unknown_keyword(tarlens_review):
            with pytest.raises(TypeError, match="tarlens.Config takes"):
                tarlens_review({str(STAGED)!r}, no_such_setting=1)
        """
    )
    result = pytester.runpytest_subprocess(*_plugin_args())
    result.assert_outcomes(passed=3)


def test_without_a_tarball_the_check_is_skipped(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_release="""
        def test_release(tarlens_review):
            tarlens_review()
        """
    )
    result = pytester.runpytest_subprocess(*_plugin_args(), "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no release to review*--tarlens-new PATH*"])


def test_an_unreadable_tarball_fails_with_one_line(pytester: pytest.Pytester) -> None:
    (pytester.path / "broken.tgz").write_bytes(b"not a tarball")
    pytester.makepyfile(
        test_release="""
        def test_release(tarlens_review):
            tarlens_review("broken.tgz")
        """
    )
    result = pytester.runpytest_subprocess(*_plugin_args())
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*tarlens: error: *"])


def test_the_failure_message_neutralises_package_text(pytester: pytest.Pytester) -> None:
    ansi = "\x1b[2J\x1b]0;owned\x07"
    pj = {"name": "evil", "version": "1.0.0", "scripts": {"postinstall": f"node x.js {ansi}"}}
    data = tc.gzip(tc.npm_pack_style({"package.json": json.dumps(pj).encode(), "x.js": b"1"}))
    (pytester.path / "evil.tgz").write_bytes(data)
    pytester.makepyfile(
        test_release="""
        from tarlens.pytest_plugin import assert_no_findings

        def test_release(tarlens_review):
            assert_no_findings(tarlens_review("evil.tgz"), at_least="low")
        """
    )
    result = pytester.runpytest_subprocess(*_plugin_args())
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "postinstall: node x.js \\u001b[2J\\u001b]0;owned\\u0007" in out


def test_assert_no_findings_directly() -> None:
    import tarlens

    m = tarlens.load(STAGED)
    report = tarlens.check(m)
    with pytest.raises(pytest.fail.Exception, match="ARC014"):
        assert_no_findings(report)
    assert_no_findings(report, at_least="none")
    assert_no_findings(tarlens.check(tarlens.load(CLEAN)), at_least=tarlens.Severity.INFO)
    review = Review(report, m, fail_on="critical")
    assert review.at_least("high") == report.at_least(tarlens.Severity.HIGH)
    with pytest.raises(pytest.fail.Exception, match="at or above critical"):
        assert_no_findings(review)  # the review's own threshold


def test_tarlens_never_imports_the_plugin() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tarlens, tarlens._cli, tarlens._render, tarlens._sarif, tarlens._html, "
        "tarlens._markdown; tarlens.check(tarlens.load(sys.argv[1])); "
        "print('tarlens.pytest_plugin' in sys.modules, 'pytest' in sys.modules, "
        "'pandas' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(CLEAN)], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False", "False"]
