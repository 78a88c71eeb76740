"""Renderers: SARIF (against the OASIS schema), the Markdown approval note, notebook HTML and
Markdown, records and frames, the JSON schemas of `inspect`/`diff --format json`, hostile
package text in every face, golden files and bounded output for huge packages.

Golden files live in tests/golden/. After an intended change of a renderer (or of the rules
behind the example), regenerate them and review the diff:

    TARLENS_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_renderers.py -k golden
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import cmarkgfm
import jsonschema
import pytest
from cmarkgfm.cmark import Options

import tarlens
from fixtures import hostile
from fixtures import tarcraft as tc
from tarlens._engine import Confidence, Finding, Report, RuleError, Severity, all_rules
from tarlens._html import (
    diff_html,
    diff_markdown,
    manifest_html,
    manifest_markdown,
    report_html,
    report_markdown,
    to_frame,
    to_records,
)
from tarlens._markdown import approval_note, code, verdict
from tarlens._render import diff_text, diff_to_dict, inspect_text, manifest_to_dict, to_json
from tarlens._sarif import report_to_sarif

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "fixtures" / "examples"
STAGED = EXAMPLES / "greeter-1.4.1-staged.tgz"
PREVIOUS = EXAMPLES / "greeter-1.4.0.tgz"
GOLDEN = Path(__file__).resolve().parent / "golden"
#: the official OASIS SARIF 2.1.0 schema (a copy of ../shared/schemas/, so that the tests
#: run from any checkout; tests/schemas/README.md says where it comes from)
SARIF_SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"
SCHEMAS = ROOT / "src" / "tarlens" / "schema"

# -- attacker text ---------------------------------------------------------------------------

XSS = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
ANSI = "\x1b[31mred\x1b[0m\x1b]0;owned\x07"
TICKS = "a|b`c``d"
MARKUP = "$$x$$ @octocat :smile: [click](https://evil.example) www.evil.example *em* _u_ # h"

#: C0/C1 controls (tab and newline included) and bidirectional overrides
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def hostile_package() -> tuple[bytes, bytes]:
    """(previous, staged): the staged release's file names, scripts, bin, dependency names
    and specs carry HTML, Markdown, pipes, backticks and terminal escape sequences."""
    pj = {
        "name": XSS,
        "version": "1.0.1",
        "main": f"{IMG}.js",
        "scripts": {
            "postinstall": f"node '{XSS}.js' | curl `id` ``` {ANSI}",
            "preinstall": f"{IMG} || {MARKUP}\nrm -rf ~",
        },
        "bin": {IMG: f"{TICKS}.js"},
        "dependencies": {"evil|dep": f"git+https://evil.example/x.git#{XSS}"},
        "optionalDependencies": {"`tick`": f"file:../{ANSI}"},
    }
    staged = {
        "package.json": json.dumps(pj).encode(),
        f"{XSS}.js": b"x",
        f"{IMG}.js": b"y",
        f"{TICKS}.js": b"z",
        f"{ANSI}.js": b"w",
        f"lib/\u202eevil{MARKUP}.js": b"q",
        "index.js": b"module.exports = 1\n",
    }
    previous = {
        "package.json": json.dumps({"name": XSS, "version": "1.0.0"}).encode(),
        "index.js": b"module.exports = 0\n",
    }
    return tc.gzip(tc.npm_pack_style(previous)), tc.gzip(tc.npm_pack_style(staged))


@pytest.fixture(scope="module")
def example() -> tuple[tarlens.ReleaseDiff, Report]:
    d = tarlens.diff(PREVIOUS, STAGED)
    return d, tarlens.check(d.new, diff=d)


@pytest.fixture(scope="module")
def evil() -> tuple[tarlens.ReleaseDiff, Report]:
    previous, staged = hostile_package()
    d = tarlens.diff(previous, staged)
    return d, tarlens.check(d.new, diff=d)


def test_the_hostile_package_carries_its_payloads(evil: tuple[tarlens.ReleaseDiff, Report]) -> None:
    d, report = evil
    paths = {f.path for f in d.new.files}
    assert {f"{XSS}.js", f"{IMG}.js", f"{TICKS}.js", f"{ANSI}.js"} <= paths
    assert any(ANSI in f.message for f in report.findings)
    assert any(XSS in f.message for f in report.findings)


# -- SARIF ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


#: RFC 3986 relative reference made only of unreserved characters, "/" and %XX escapes
_URI = re.compile(r"(?:[A-Za-z0-9\-._~/]|%[0-9A-F]{2})+\Z")


def _sarif(
    validator: jsonschema.Draft4Validator, text: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    assert text.isascii()
    log = json.loads(text)
    validator.validate(log)
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        assert _URI.match(uri), uri
        assert not uri.startswith("/")
        assert ".." not in uri.split("/")
    return log, run


def test_sarif_of_an_inspect_validates_and_has_results(
    sarif_validator: jsonschema.Draft4Validator,
) -> None:
    m = tarlens.load(STAGED)
    report = tarlens.check(m)
    log, run = _sarif(sarif_validator, report_to_sarif(report, manifest=m))
    assert log["version"] == "2.1.0"
    driver = run["tool"]["driver"]
    assert driver["name"] == "tarlens"
    assert driver["version"] == tarlens.__version__
    assert [r["id"] for r in driver["rules"]] == [r.id for r in all_rules()]
    assert len(run["results"]) == len(report.findings) > 0
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["properties"]["package"]["name"] == "@example/greeter"


def test_sarif_of_a_diff_shows_the_staged_release_findings(
    sarif_validator: jsonschema.Draft4Validator, example: tuple[tarlens.ReleaseDiff, Report]
) -> None:
    d, report = example
    _, run = _sarif(sarif_validator, report_to_sarif(report, manifest=d.new, diff=d))
    by_rule = {r["ruleId"]: r for r in run["results"]}
    added = by_rule["SCR010"]
    assert added["level"] == "error"
    assert added["properties"]["tarlens/severity"] == "critical"
    assert added["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "package.json"
    # the lone zero block is reported on the raw entry: located where npm installs it
    zero = by_rule["ARC014"]
    where = zero["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "lib/telemetry.js"
    assert "region" not in where
    assert zero["properties"]["tarlens/path"] == "package/lib/telemetry.js"
    fingerprints = {f.fingerprint for f in report.findings}
    assert {r["partialFingerprints"]["tarlensFingerprint/v1"] for r in run["results"]} == (
        fingerprints
    )
    assert run["properties"]["previous"]["version"] == "1.4.0"


def test_sarif_is_stable_across_runs(example: tuple[tarlens.ReleaseDiff, Report]) -> None:
    d, report = example
    again = tarlens.diff(PREVIOUS, STAGED)
    first = report_to_sarif(report, manifest=d.new, diff=d)
    second = report_to_sarif(tarlens.check(again.new, diff=again), manifest=again.new, diff=again)
    assert first == second


def test_sarif_rule_metadata_for_github(example: tuple[tarlens.ReleaseDiff, Report]) -> None:
    d, report = example
    log = json.loads(
        report_to_sarif(report, manifest=d.new, diff=d, help_uri_base="https://docs.example/r/")
    )
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    expected = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
    levels = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
    levels["info"] = "note"
    for r in all_rules():
        got = rules[r.id]
        assert got["name"] == r.name
        assert got["helpUri"] == f"https://docs.example/r/{r.id}"
        assert got["properties"]["security-severity"] == expected[str(r.severity)]
        assert got["properties"]["precision"] == str(r.confidence)
        assert got["defaultConfiguration"]["level"] == levels[str(r.severity)]
        assert "security" in got["properties"]["tags"]
        if r.cwe is not None:
            assert f"external/cwe/cwe-{r.cwe}" in got["properties"]["tags"]
        assert got["shortDescription"]["text"]
        assert "## What it does" in got["help"]["markdown"]
    # the summary is the whole first paragraph, not its first line
    assert rules["SCR010"]["shortDescription"]["text"].endswith("adds or changes.")


def test_sarif_reports_crashed_rules_unknown_rules_and_suppressions(
    sarif_validator: jsonschema.Draft4Validator,
) -> None:
    m = tarlens.load(PREVIOUS)
    stray = Finding("ZZZ999", "plugin-rule", Severity.MEDIUM, Confidence.LOW, f"[x]({XSS})")
    kept = Finding("SCR001", "install-script", Severity.LOW, Confidence.HIGH, "y", "index.js", 3)
    report = Report(
        findings=(stray, kept),
        errors=(RuleError("ZZZ998", f"ValueError: {ANSI}"),),
        suppressed=((kept, f"baseline: {ANSI}"),),
    )
    _, run = _sarif(sarif_validator, report_to_sarif(report, manifest=m, rules=()))
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["ZZZ999", "SCR001"]
    first, second, suppressed = run["results"]
    assert first["partialFingerprints"]["tarlensFingerprint/v1"]  # computed when missing
    assert first["message"]["text"] == "\\[x\\](<script>alert(1)</script>)"
    assert second["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert suppressed["suppressions"][0]["kind"] == "external"
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert "\x1b" not in note["message"]["text"]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_sarif_of_a_hostile_package_is_inert(
    sarif_validator: jsonschema.Draft4Validator, evil: tuple[tarlens.ReleaseDiff, Report]
) -> None:
    d, report = evil
    _, run = _sarif(sarif_validator, report_to_sarif(report, manifest=d.new, diff=d))
    results_and_props = [run["results"], run["properties"], run["invocations"]]
    for s in _strings(results_and_props):
        assert not RAW_CONTROL.search(s), s
    texts = [r["message"]["text"] for r in run["results"]]
    assert any("<script>" in t for t in texts)  # plain text is kept, not mangled
    for t in texts:
        # every bracket is escaped (an odd number of backslashes before it)
        for m in re.finditer(r"(\\*)[\[\]]", t):
            assert len(m.group(1)) % 2 == 1, t
    for r in run["results"]:
        rendered = _render_markdown(r["message"]["markdown"])
        assert _tags(rendered) <= {"p", "code"}, rendered
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert "%1B%5B31mred%1B%5B0m%1B%5D0%3Bowned%07.js" in uris  # where npm installs it


# -- Markdown --------------------------------------------------------------------------------


def _render_markdown(text: str) -> str:
    """GitHub's cmark with tables and autolinks, raw HTML passed through (no tag filter), so
    any markup that got through would show up as a tag."""
    return cmarkgfm.markdown_to_html_with_extensions(
        text,
        options=Options.CMARK_OPT_UNSAFE,
        extensions=["table", "autolink", "strikethrough"],
    )


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self.rows: list[list[int]] = []  # per table, the cell count of each row
        self._cells = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.extend(attrs)
        if tag == "table":
            self.rows.append([])
        elif tag == "tr":
            self._cells = 0
        elif tag in ("td", "th"):
            self._cells += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self.rows[-1].append(self._cells)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html_text: str) -> _Tags:
    parser = _Tags()
    parser.feed(html_text)
    parser.close()
    return parser


def _tags(html_text: str) -> set[str]:
    return _parse(html_text).tags


MARKDOWN_TAGS = {
    "h2", "h3", "h4", "p", "strong", "em", "code", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def _assert_inert_markdown(text: str) -> _Tags:
    assert not RAW_CONTROL.search(text.replace("\n", "")), text
    parsed = _parse(_render_markdown(text))
    assert parsed.tags <= MARKDOWN_TAGS, parsed.tags - MARKDOWN_TAGS
    # only cmark's own alignment attributes, never a link, a source or a handler
    assert all(name == "align" for name, _ in parsed.attrs), parsed.attrs
    for table in parsed.rows:
        assert len(set(table)) == 1, table  # no pipe broke a row
    return parsed


def test_markdown_code_spans() -> None:
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code("a|b", table=True) == "`a\\|b`"
    assert code("a|b") == "`a|b`"
    assert code("x\ny") == "`x\\ny`"
    assert code(None) == "-"
    assert code("") == "*(empty)*"
    assert code("   ") == "*(3 spaces)*"
    assert code("x" * 300).endswith("... (100 more characters)")
    for text in (XSS, IMG, ANSI, TICKS, MARKUP, "\\|", "|\\", "` ``` `", "\\"):
        rendered = _render_markdown(f"| h |\n|---|\n| {code(text, table=True)} |\n")
        parsed = _parse(rendered)
        assert parsed.tags == {"table", "thead", "tbody", "tr", "th", "td", "code"}, rendered
        assert parsed.rows == [[1, 1]]


def test_approval_note_of_a_hostile_package_is_inert(
    evil: tuple[tarlens.ReleaseDiff, Report],
) -> None:
    d, report = evil
    for note in (
        approval_note(report, manifest=d.new, diff=d),
        approval_note(tarlens.check(d.new), manifest=d.new),
    ):
        parsed = _assert_inert_markdown(note)
        shown = "".join(parsed.text)
        assert XSS in shown  # shown as text, in a code span
        assert IMG in shown


def test_notebook_markdown_of_a_hostile_package_is_inert(
    evil: tuple[tarlens.ReleaseDiff, Report],
) -> None:
    d, report = evil
    for text in (
        manifest_markdown(d.new),
        diff_markdown(d),
        diff_markdown(d, report=report),
        report_markdown(report),
    ):
        _assert_inert_markdown(text)


def test_approval_note_content(example: tuple[tarlens.ReleaseDiff, Report]) -> None:
    d, report = example
    note = approval_note(report, manifest=d.new, diff=d)
    assert "**Verdict: do not approve.**" in note
    assert d.new.integrity in note
    assert d.old.integrity in note
    assert "#### Critical" in note
    assert "| added (install-time) | `postinstall` | - | `node lib/telemetry.js` |" in note
    assert "`greeter-native`" in note
    assert "1 added, 0 removed, 1 modified" in note
    clean = tarlens.load(PREVIOUS)
    clean_note = approval_note(tarlens.check(clean), manifest=clean)
    assert "**Verdict: approve.**" in clean_note
    assert "No findings." in clean_note


def test_verdict_follows_the_worst_severity() -> None:
    m = tarlens.load(PREVIOUS)

    def report(*severities: Severity) -> Report:
        return Report(tuple(Finding("X", "x", s, Confidence.HIGH, "m") for s in severities))

    assert verdict(report(), m) == "approve"
    assert verdict(report(Severity.LOW, Severity.INFO), m) == "approve"
    assert verdict(report(Severity.MEDIUM), m) == "look closer"
    assert verdict(report(Severity.HIGH), m) == "do not approve"
    assert verdict(report(Severity.MEDIUM), m, fail_on=Severity.MEDIUM) == "do not approve"
    assert verdict(Report((), errors=(RuleError("X", "boom"),)), m) == "look closer"
    assert verdict(report(Severity.MEDIUM), m, fail_on="medium") == "do not approve"
    assert verdict(report(Severity.CRITICAL), m, fail_on="none") == "look closer"
    assert verdict(report(Severity.CRITICAL), m, fail_on=None) == "look closer"


def test_approval_note_without_content_kinds_says_so(
    example: tuple[tarlens.ReleaseDiff, Report], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tarlens import _markdown

    d, report = example
    monkeypatch.setattr(_markdown, "file_kind", lambda _f: None)
    monkeypatch.setattr(_markdown, "has_kinds", lambda _files: False)
    note = approval_note(report, manifest=d.new, diff=d)
    assert "Content kinds were not analysed" in note


# -- HTML ------------------------------------------------------------------------------------

HTML_TAGS = {"div", "p", "strong", "code", "table", "thead", "tbody", "tr", "th", "td"}
_STYLE = re.compile(r"[a-z\-]+:[a-z0-9#\-]+(?:;[a-z\-]+:[a-z0-9#\-]+)*\Z")


def _assert_inert_html(text: str) -> _Tags:
    assert not RAW_CONTROL.search(text.replace("\n", "")), text
    parsed = _parse(text)
    assert parsed.tags <= HTML_TAGS, parsed.tags - HTML_TAGS
    for name, value in parsed.attrs:
        assert name in ("style", "class"), name
        assert value is not None
        assert _STYLE.match(value) or re.fullmatch(r"tarlens( tarlens-[a-z]+)?", value), value
    for table in parsed.rows:
        assert len(set(table)) == 1, table
    return parsed


def test_notebook_html_of_a_hostile_package_is_inert(
    evil: tuple[tarlens.ReleaseDiff, Report],
) -> None:
    d, report = evil
    for text in (
        manifest_html(d.new),
        diff_html(d),
        diff_html(d, report=report),
        report_html(report),
    ):
        parsed = _assert_inert_html(text)
        assert "&lt;script&gt;" in text
        assert "<script" not in text
        assert "<img" not in text
        assert XSS in "".join(parsed.text)  # shown as text


def test_html_content(example: tuple[tarlens.ReleaseDiff, Report]) -> None:
    d, report = example
    page = diff_html(d, report=report)
    assert "<code>lib/telemetry.js</code>" in page
    assert "critical" in page
    assert manifest_html(d.new).count("<tr>") >= len(d.new.files)
    assert f"{len(report.findings)} findings, worst critical" in report_html(report)
    assert "0 findings</p>" in report_html(Report(()))


def test_notebook_hooks(example: tuple[tarlens.ReleaseDiff, Report]) -> None:
    d, report = example
    if not hasattr(tarlens.Manifest, "_repr_html_"):
        pytest.skip("the _repr_html_/_repr_markdown_ hooks are not wired in yet")
    for obj, html_of, markdown_of in (
        (d.new, manifest_html, manifest_markdown),
        (d, diff_html, diff_markdown),
        (report, report_html, report_markdown),
    ):
        assert obj._repr_html_() == html_of(obj)  # type: ignore[attr-defined]
        assert obj._repr_markdown_() == markdown_of(obj)  # type: ignore[attr-defined]


# -- the CLI ---------------------------------------------------------------------------------


def _cli_format(fmt: str) -> None:
    from tarlens._cli import _parser

    try:
        _parser().parse_args(["inspect", "x.tgz", "--format", fmt])
    except SystemExit:
        pytest.skip(f"--format {fmt} is not wired into the CLI yet")


def test_cli_sarif(
    sarif_validator: jsonschema.Draft4Validator, capsys: pytest.CaptureFixture[str]
) -> None:
    from tarlens._cli import main

    _cli_format("sarif")
    assert main(["diff", str(PREVIOUS), str(STAGED), "--format", "sarif"]) == 1
    _, run = _sarif(sarif_validator, capsys.readouterr().out)
    assert {r["ruleId"] for r in run["results"]} >= {"SCR010", "ARC014"}
    assert main(["inspect", str(PREVIOUS), "--format", "sarif"]) == 0
    _, run = _sarif(sarif_validator, capsys.readouterr().out)
    assert run["results"] == []


def test_cli_markdown(
    example: tuple[tarlens.ReleaseDiff, Report], capsys: pytest.CaptureFixture[str]
) -> None:
    from tarlens._cli import main

    _cli_format("markdown")
    d, report = example
    assert main(["diff", str(PREVIOUS), str(STAGED), "--format", "markdown"]) == 1
    assert capsys.readouterr().out == approval_note(report, manifest=d.new, diff=d)


# -- the terminal ----------------------------------------------------------------------------


def test_text_renderers_neutralise_control_characters(
    evil: tuple[tarlens.ReleaseDiff, Report],
) -> None:
    d, report = evil
    for text in (
        inspect_text(d.new, tarlens.check(d.new)),
        diff_text(d, report),
    ):
        assert "\x1b" not in text
        assert "\x07" not in text
        assert "\u202e" not in text
        assert not RAW_CONTROL.search(text.replace("\n", ""))


# -- golden files ----------------------------------------------------------------------------


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("TARLENS_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with TARLENS_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{name} differs from the golden file; if the change is intended, regenerate with "
        "TARLENS_UPDATE_GOLDEN=1 (see this module's docstring) and review the diff"
    )


def test_golden_approval_note_of_the_example_diff(
    example: tuple[tarlens.ReleaseDiff, Report],
) -> None:
    d, report = example
    note = approval_note(report, manifest=d.new, diff=d)
    _golden(
        "example-diff-approval-note.md",
        note.replace(f"tarlens {tarlens.__version__}.", "tarlens VERSION."),
    )


def test_golden_html_of_the_example_diff(example: tuple[tarlens.ReleaseDiff, Report]) -> None:
    d, report = example
    _golden("example-diff.html", diff_html(d, report=report) + "\n")


# -- huge packages ---------------------------------------------------------------------------

HUGE = 20_000


@pytest.fixture(scope="module")
def huge() -> tuple[tarlens.ReleaseDiff, Report]:
    tree: dict[str, bytes | tuple[bytes, int]] = {
        f"lib/m{i:05d}.js": b"module.exports = %d\n" % i for i in range(HUGE)
    }
    tree["package.json"] = json.dumps({"name": "huge", "version": "1.0.1"}).encode()
    previous = {
        "package.json": json.dumps({"name": "huge", "version": "1.0.0"}).encode(),
        "index.js": b"module.exports = 0\n",
    }
    d = tarlens.diff(
        tarlens.load(tc.gzip(tc.npm_pack_style(previous))),
        tarlens.load(tc.gzip(tc.npm_pack_style(tree))),
    )
    return d, tarlens.check(d.new, diff=d)


def test_output_is_bounded_for_a_package_of_20000_files(
    huge: tuple[tarlens.ReleaseDiff, Report],
) -> None:
    d, report = huge
    assert len(d.new.files) == HUGE + 1
    note = approval_note(report, manifest=d.new, diff=d)
    assert len(note) < 30_000
    assert "more changed files" in note
    for text in (manifest_html(d.new), diff_html(d, report=report), report_html(report)):
        assert len(text) < 60_000
    assert "more files" in manifest_html(d.new)
    assert "more changed files" in diff_html(d)
    for text in (manifest_markdown(d.new), diff_markdown(d, report=report)):
        assert len(text) < 30_000
    assert len(report_to_sarif(report, manifest=d.new, diff=d)) < 1_000_000
    assert len(to_records(d.new)) == HUGE + 1  # records are data: never cut


def test_the_note_fits_a_github_comment_whatever_the_findings(
    evil: tuple[tarlens.ReleaseDiff, Report],
) -> None:
    d, _ = evil
    long = f"{XSS}|`" * 2000
    flood = Report(
        tuple(
            Finding(f"XYZ{i % 1000:03d}", "r", Severity(i % 5), Confidence.HIGH, long, long, i + 1)
            for i in range(5000)
        ),
        errors=tuple(RuleError(f"ERR{i:03d}", long) for i in range(200)),
    )
    note = approval_note(flood, manifest=d.new, diff=d)
    assert len(note) < 65_536
    assert "more critical findings" in note
    assert "findings not listed here" in note
    _assert_inert_markdown(note)
    small = approval_note(flood, manifest=d.new, diff=d, max_chars=20_000)
    assert len(small) < 21_000
    assert "#### Critical (1000)" in small  # the findings always come first
    assert "more critical findings" in small
    _assert_inert_markdown(small)
    tiny = approval_note(flood, manifest=d.new, diff=d, max_chars=6_000)
    assert len(tiny) < 7_000
    assert "_Left out to stay under 6,000 characters: " in tiny


# -- records and frames ----------------------------------------------------------------------


def test_records(example: tuple[tarlens.ReleaseDiff, Report]) -> None:
    d, report = example
    files = to_records(d.new)
    assert [r["path"] for r in files] == [f.path for f in d.new.files]
    greet = next(r for r in files if r["path"] == "bin/greet.js")
    assert greet["executable"] is True
    assert "kind" in greet
    changes = to_records(d)
    added = next(r for r in changes if r["path"] == "lib/telemetry.js")
    assert (added["status"], added["old_size"], added["new_size"]) == ("added", None, 849)
    findings = to_records(report)
    assert findings[0]["severity"] == "critical"
    assert to_records(report.findings) == findings
    assert to_records(d.new.files[0]) == files[:1]
    assert to_records([]) == []
    with pytest.raises(TypeError, match="Manifest"):
        to_records(42)
    with pytest.raises(TypeError, match="not int"):
        to_records([1])


def test_frame(example: tuple[tarlens.ReleaseDiff, Report]) -> None:
    pytest.importorskip("pandas")
    d, report = example
    frame = to_frame(report)
    assert len(frame) == len(report.findings)
    assert set(frame[frame.severity >= "high"].rule_id) == {
        f.rule_id for f in report.at_least(Severity.HIGH)
    }
    files = to_frame(d.new)
    assert int(files["size"].sum()) == d.new.unpacked_size
    assert list(to_frame(Report(())).columns)[:3] == ["rule_id", "rule", "severity"]
    assert len(to_frame(d)) == len(d.files)


def test_frame_without_pandas_names_the_extra(
    example: tuple[tarlens.ReleaseDiff, Report], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, report = example
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"tarlens\[pandas\]"):
        to_frame(report)


# -- the JSON schemas ------------------------------------------------------------------------


def _closed(schema: Any) -> Any:
    """The schema with ``additionalProperties: false`` wherever it lists properties: the
    shipped schema accepts keys it does not know (consumers must), this test does not (every
    key the output has is described)."""
    schema = copy.deepcopy(schema)
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return schema


@pytest.fixture(scope="module")
def json_validators() -> dict[str, jsonschema.Draft202012Validator]:
    out = {}
    for name in ("inspect", "diff"):
        schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        out[name] = jsonschema.Draft202012Validator(_closed(schema))
    return out


def _validate(validator: jsonschema.Draft202012Validator, data: dict[str, Any]) -> None:
    doc = json.loads(to_json(data))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_cli_json_matches_the_schemas(
    json_validators: dict[str, jsonschema.Draft202012Validator],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tarlens._cli import main

    for args, schema in (
        (["inspect", str(STAGED)], "inspect"),
        (["inspect", str(PREVIOUS)], "inspect"),
        (["diff", str(PREVIOUS), str(STAGED)], "diff"),
        (["diff", str(STAGED), str(PREVIOUS)], "diff"),
    ):
        main([*args, "--format", "json"])
        doc = json.loads(capsys.readouterr().out)
        errors = list(json_validators[schema].iter_errors(doc))
        assert not errors, (args, [e.message for e in errors[:5]])


def test_json_of_hostile_inputs_matches_the_schemas(
    json_validators: dict[str, jsonschema.Draft202012Validator],
    evil: tuple[tarlens.ReleaseDiff, Report],
) -> None:
    d, report = evil
    _validate(json_validators["inspect"], manifest_to_dict(d.new, tarlens.check(d.new)))
    _validate(json_validators["diff"], diff_to_dict(d, report))
    baseline = tarlens.load(hostile.BY_NAME["baseline"].build())
    checked = 0
    for case in hostile.light_cases():
        try:
            m = tarlens.load(case.build())
        except tarlens.TarlensError:
            continue
        _validate(json_validators["inspect"], manifest_to_dict(m, tarlens.check(m)))
        changes = tarlens.diff(baseline, m)
        _validate(json_validators["diff"], diff_to_dict(changes, tarlens.check(m, diff=changes)))
        checked += 1
    assert checked >= 50
