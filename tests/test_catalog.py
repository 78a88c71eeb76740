"""The catalog catches every compromise shape of INCIDENTS.md and stays quiet on ordinary
releases (synthetic reproductions in fixtures/incidents.py; the real pairs of
fixtures/ordinary.py are measured by benchmarks/catalog.py --real)."""

from __future__ import annotations

import pytest

import tarlens
from fixtures import incidents

#: shapes the catalog does not reach yet, with why (strict xfail: fixing one fails this list)
KNOWN_MISSES: dict[str, str] = {}


def worst(previous: bytes, new: bytes) -> tarlens.Severity | None:
    d = tarlens.diff(previous, new)
    report = tarlens.check(d.new, diff=d)
    assert not report.errors, report.errors
    return report.max_severity


@pytest.mark.parametrize(
    "incident",
    [
        pytest.param(i, marks=pytest.mark.xfail(reason=KNOWN_MISSES[i.name], strict=True))
        if i.name in KNOWN_MISSES
        else i
        for i in incidents.INCIDENTS
    ],
    ids=[i.name for i in incidents.INCIDENTS],
)
def test_incident_is_caught(incident: incidents.Incident) -> None:
    need = tarlens.Severity.HIGH if incident.expect_high else tarlens.Severity.MEDIUM
    got = worst(incident.previous(), incident.new())
    assert got is not None and got >= need, got


@pytest.mark.parametrize(
    "pair", incidents.ORDINARY_SYNTHETIC, ids=[p.name for p in incidents.ORDINARY_SYNTHETIC]
)
def test_ordinary_release_stays_quiet(pair: incidents.OrdinaryPair) -> None:
    got = worst(pair.previous(), pair.new())
    assert got is None or got <= tarlens.Severity.LOW, got
