"""The example releases in fixtures/examples/ are what their build script produces."""

from __future__ import annotations

import pytest

import tarlens
from fixtures.examples import build


@pytest.mark.parametrize("name", sorted(build.EXAMPLES))
def test_committed_example_equals_the_builder_output(name: str) -> None:
    assert (build.HERE / name).read_bytes() == build.EXAMPLES[name]()


def test_staged_example_shows_what_the_demo_promises() -> None:
    m = tarlens.load(build.HERE / "greeter-1.4.1-staged.tgz")
    assert "lib/telemetry.js" in m
    assert [s.command for s in m.install_scripts] == ["node lib/telemetry.js"]
    (dep,) = [d for d in m.dependencies if d.name == "greeter-native"]
    assert (dep.spec.type, dep.optional) == (tarlens.SpecType.GIT, True)
    high = {f.rule_id for f in tarlens.check(m).at_least(tarlens.Severity.HIGH)}
    assert high == {"ARC014", "DEP001", "SCR015"}


def test_previous_example_is_an_ordinary_npm_pack() -> None:
    m = tarlens.load(build.HERE / "greeter-1.4.0.tgz")
    assert m.packing.like_npm_pack, m.packing.differences
    assert tarlens.check(m).at_least(tarlens.Severity.LOW) == ()
    assert m.file("bin/greet.js").mode == 0o755  # type: ignore[union-attr]
