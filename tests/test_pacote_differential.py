"""Differential test: tarlens's installed view equals what the real pacote writes.

For every crafted case in ``fixtures/hostile.py`` and for real packages fetched with
``npm pack``, the bytes are handed both to tarlens and to the pacote bundled with this
machine's npm (``tests/oracle``). Where pacote installs, tarlens must list exactly the same
files (path, size, sha256, mode). Where pacote fails, tarlens must either refuse the input
(a ``TarlensError``) or say that npm would refuse it (``Manifest.npm_refuses``).
"""

from __future__ import annotations

import pytest

import tarlens
from fixtures import hostile
from tests.corpus import npm_pack, registry_integrity
from tests.oracle.pacote import OracleResult, node_available, pacote_install

needs_node = [
    pytest.mark.npm,
    pytest.mark.skipif(not node_available(), reason="node/npm (pacote) not available"),
]

LIGHT = [c for c in hostile.CASES if not c.heavy]


def ours(m: tarlens.Manifest) -> dict[str, tuple[int, str, int]]:
    return {f.path: (f.size, f.sha256, f.mode) for f in m.files}


def theirs(result: OracleResult) -> dict[str, tuple[int, str, int]]:
    return {p: (f.size, f.sha256, f.mode) for p, f in result.files.items()}


def compare(data: bytes, result: OracleResult, what: str) -> tarlens.Manifest | None:
    try:
        m = tarlens.load(data)
    except (tarlens.PackageJsonError, tarlens.LimitExceeded):
        # pacote only extracts; reading package.json (and refusing bombs) is tarlens's own
        # decision, taken on purpose (the issue: no or invalid package.json is exit 2)
        return None
    except tarlens.TarlensError as exc:
        refusal: tarlens.TarlensError | None = exc
    else:
        refusal = None
    if refusal is not None:
        assert not result.ok, f"{what}: pacote installs it but tarlens refused: {refusal}"
        return None
    if result.ok:
        assert not m.npm_refuses, f"{what}: pacote installs it, tarlens says {m.npm_refuses}"
        assert ours(m) == theirs(result), what
    else:
        assert m.npm_refuses, f"{what}: pacote failed ({result.error}) but tarlens did not say so"
    return m


@pytest.mark.parametrize("case", LIGHT, ids=[c.name for c in LIGHT])
@needs_node[0]
@needs_node[1]
def test_crafted_case_matches_pacote(case: hostile.Case) -> None:
    data = case.build()
    result = pacote_install(data, filename=case.filename)
    assert not result.escaped, "pacote wrote outside its destination?"
    compare(data, result, case.name)


# -- real packages ---------------------------------------------------------------------

REAL = [
    "lodash@4.17.21",
    "esbuild@0.24.0",
    "@esbuild/linux-x64@0.24.0",
    "npm@10.9.0",
    "@types/node@22.9.0",
    "typescript@5.6.3",
    "fsevents@2.3.3",
    "sharp@0.33.5",
    "node-gyp-build@4.8.4",
    "core-js@3.39.0",
]


@pytest.mark.registry
@needs_node[0]
@needs_node[1]
@pytest.mark.parametrize("spec", REAL)
def test_real_package_matches_pacote_and_the_registry(spec: str) -> None:
    path = npm_pack(spec)
    data = path.read_bytes()
    result = pacote_install(data, timeout=300)
    assert result.ok, result.error
    m = compare(data, result, spec)
    assert m is not None
    assert m.integrity == registry_integrity(spec)
    assert m.packing.like_npm_pack or m.packing.differences  # always explained


@pytest.mark.parametrize("name", sorted(hostile.EXPECTED), ids=sorted(hostile.EXPECTED))
def test_crafted_case_matches_the_recorded_pacote_result(name: str) -> None:
    """The same comparison against pacote's results recorded in fixtures/hostile.py.

    This runs without node, so the npm differential holds on any machine; the live test
    above re-checks the recording against the real pacote wherever node is present.
    """
    expected = hostile.EXPECTED[name]
    recorded = OracleResult(
        ok=expected.ok,
        error=expected.error,
        files=expected.files,
    )
    compare(hostile.BY_NAME[name].build(), recorded, name)
