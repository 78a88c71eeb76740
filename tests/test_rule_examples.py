"""Every rule fires on its bad example and stays silent on its good one."""

from __future__ import annotations

import pytest

import tarlens
from fixtures.rule_examples import EXAMPLES, Example
from tarlens._config import config_from_mapping
from tarlens.rules import all_rules

RULES = [r.id for r in all_rules()]


def test_every_rule_has_examples() -> None:
    assert set(RULES) == set(EXAMPLES)


def test_registry_rules_are_skipped_without_metadata() -> None:
    needs = [r for r in all_rules() if r.needs_registry]
    assert needs
    example = EXAMPLES[needs[0].id][0]
    previous = tarlens.load(example.previous()) if example.previous else None
    report = tarlens.check(tarlens.load(example.new()), previous=previous, select=["REG"])
    assert report.findings == ()
    assert set(report.skipped) == {r.id for r in needs}


def fires(rule_id: str, example: Example) -> bool:
    m = tarlens.load(example.new())
    previous = tarlens.load(example.previous()) if example.previous else None
    config = config_from_mapping(example.config)
    registry = example.registry() if example.registry else None
    report = tarlens.check(m, previous=previous, config=config, select=[rule_id], registry=registry)
    assert not report.errors, report.errors
    return any(f.rule_id == rule_id for f in report.findings)


@pytest.mark.parametrize("rule_id", RULES)
def test_bad_example_fires(rule_id: str) -> None:
    assert fires(rule_id, EXAMPLES[rule_id][0])


@pytest.mark.parametrize("rule_id", RULES)
def test_good_example_is_silent(rule_id: str) -> None:
    assert not fires(rule_id, EXAMPLES[rule_id][1])
