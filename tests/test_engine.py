"""The rule registry: metadata is validated, crashes are reported, selection works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import tarlens
from tarlens import _engine
from tarlens.rules import Confidence, Evidence, Release, Severity, all_rules, rule
from tests.conftest import pack, pj

DOC = """Summary line.

## What it does
x

## Why is this risky
y

## Example
z
"""


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    all_rules()  # make sure the built-ins are registered before we copy
    monkeypatch.setattr(_engine, "_REGISTRY", dict(_engine._REGISTRY))


def test_every_builtin_rule_is_documented_and_well_formed() -> None:
    rules = all_rules()
    assert len(rules) >= 40
    assert len({r.id for r in rules}) == len(rules)
    assert len({r.name for r in rules}) == len(rules)
    for r in rules:
        for section in ("What it does", "Why is this risky", "Example"):
            assert r.section(section), (r.id, section)
        assert r.summary and not r.summary.endswith(":")


def test_registry_rejects_bad_metadata(scratch_registry: None) -> None:
    def f(release: Release) -> Iterator[Evidence]:
        yield from ()

    f.__doc__ = DOC
    with pytest.raises(ValueError, match="not three capitals"):
        rule(id="x1", name="ok-name", severity=Severity.LOW, confidence=Confidence.LOW)(f)
    with pytest.raises(ValueError, match="kebab-case"):
        rule(id="XYZ001", name="Bad_Name", severity=Severity.LOW, confidence=Confidence.LOW)(f)
    with pytest.raises(ValueError, match="already used"):
        rule(id="ARC001", name="other-name", severity=Severity.LOW, confidence=Confidence.LOW)(f)
    f.__doc__ = "no sections"
    with pytest.raises(ValueError, match="sections"):
        rule(id="XYZ002", name="undocumented", severity=Severity.LOW, confidence=Confidence.LOW)(f)


def test_a_crashing_rule_is_an_error_of_the_run_not_silence(scratch_registry: None) -> None:
    def boom(release: Release) -> Iterator[Evidence]:
        raise RuntimeError("kaboom")

    boom.__doc__ = DOC
    rule(id="XYZ900", name="always-crashes", severity=Severity.LOW, confidence=Confidence.LOW)(boom)
    report = tarlens.check(tarlens.load(pack({})))
    assert [(e.rule_id, e.message) for e in report.errors] == [("XYZ900", "RuntimeError: kaboom")]


def test_rules_needing_a_previous_release_are_skipped(scratch_registry: None) -> None:
    def needs(release: Release) -> Iterator[Evidence]:
        yield Evidence("never")

    needs.__doc__ = DOC
    rule(
        id="XYZ901",
        name="needs-previous",
        severity=Severity.HIGH,
        confidence=Confidence.LOW,
        needs_previous=True,
    )(needs)
    report = tarlens.check(tarlens.load(pack({})))
    assert "XYZ901" in report.skipped
    assert not [f for f in report.findings if f.rule_id == "XYZ901"]


def test_select_and_ignore_by_id_prefix_and_name() -> None:
    m = tarlens.load(pack({"package.json": pj(scripts={"postinstall": "node i.js"}), "i.js": b""}))
    assert {f.rule_id for f in tarlens.check(m).findings} >= {"SCR001"}
    assert not tarlens.check(m, ignore=["SCR"]).findings
    assert not tarlens.check(m, ignore=["install-script"]).findings
    assert {f.rule_id for f in tarlens.check(m, select=["SCR001"]).findings} == {"SCR001"}


def test_severity_parsing_and_order() -> None:
    assert Severity.parse("High") is Severity.HIGH
    assert Severity.INFO < Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL
    with pytest.raises(tarlens.ConfigError):
        Severity.parse("urgent")


def test_docs_rules_page_is_generated_from_the_registry() -> None:
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "docs" / "gen_rules.py"
    spec = importlib.util.spec_from_file_location("gen_rules", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.OUT.read_text(encoding="utf-8") == mod.render(), "run python docs/gen_rules.py"


def test_third_party_rules_load_through_the_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scratch_registry: None
) -> None:
    """A plugin distribution declares `[project.entry-points."tarlens.rules"]`; tarlens
    imports the module, whose @rule decorators register the rules."""
    (tmp_path / "acme_rules.py").write_text(
        "from tarlens.rules import Confidence, Evidence, Severity, rule\n\n"
        "@rule(id='ACM001', name='acme-readme-missing', severity=Severity.LOW,\n"
        "      confidence=Confidence.HIGH)\n"
        "def readme_missing(release):\n"
        "    '''No README.\n\n## What it does\nx\n\n## Why is this risky\ny\n\n## Example\nz\n'''\n"
        "    if 'README.md' not in release.manifest:\n"
        "        yield Evidence('no README.md')\n"
    )
    dist = tmp_path / "acme_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-rules\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[tarlens.rules]\nacme = acme_rules\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(_engine, "_PLUGINS_LOADED", False)
    report = tarlens.check(tarlens.load(pack({})))
    assert "ACM001" in {f.rule_id for f in report.findings}


def test_a_broken_plugin_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scratch_registry: None
) -> None:
    dist = tmp_path / "broken-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[tarlens.rules]\nbroken = no_such_module_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(_engine, "_PLUGINS_LOADED", False)
    with pytest.raises(tarlens.ConfigError, match="no_such_module_xyz"):
        all_rules()
    monkeypatch.setattr(_engine, "_PLUGINS_LOADED", True)
