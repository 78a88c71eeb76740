"""Run the rule catalog over the incident reproductions and the ordinary release pairs.

    .venv/bin/python benchmarks/catalog.py [--real]

Prints, per incident, the worst severity and the rules at medium or above (every incident
must reach high, a plain new registry dependency medium), and per ordinary pair the worst
severity (none may reach high; at most a tenth may reach medium). ``--real`` adds the real
pairs of fixtures/ordinary.py (fetched with `npm pack` into the corpus cache).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def judge(previous: bytes | Path, new: bytes | Path) -> tuple[str, list[str]]:
    import tarlens

    d = tarlens.diff(previous, new)
    report = tarlens.check(d.new, diff=d)
    worst = report.max_severity
    loud = sorted({f"{f.rule_id}:{f.severity}" for f in report.at_least(tarlens.Severity.MEDIUM)})
    return (str(worst) if worst is not None else "none"), loud


def main() -> int:
    from fixtures import incidents, ordinary

    ap = argparse.ArgumentParser()
    ap.add_argument("--real", action="store_true")
    args = ap.parse_args()
    rank = {"none": -1, "info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
    missed = 0
    print("incidents (expected: high, or medium for a plain new registry dependency)")
    for inc in incidents.INCIDENTS:
        worst, loud = judge(inc.previous(), inc.new())
        need = 3 if inc.expect_high else 2
        ok = rank[worst] >= need
        missed += not ok
        print(f"  {'ok  ' if ok else 'MISS'} {inc.name:48} {worst:8} {' '.join(loud)[:110]}")
    pairs: list[tuple[str, str, str, list[str]]] = []
    for pair in incidents.ORDINARY_SYNTHETIC:
        worst, loud = judge(pair.previous(), pair.new())
        pairs.append(("synthetic", pair.name, worst, loud))
    if args.real:
        for old, new, _why in ordinary.PAIRS:
            worst, loud = judge(ordinary.fetch(old), ordinary.fetch(new))
            pairs.append(("real", f"{old} -> {new}", worst, loud))
    print("ordinary pairs (expected: nothing high, medium on at most a tenth)")
    for kind, name, worst, loud in pairs:
        print(f"  {kind:9} {name:48} {worst:8} {' '.join(loud)[:100]}")
    high = sum(rank[w] >= 3 for _, _, w, _ in pairs)
    medium = sum(rank[w] == 2 for _, _, w, _ in pairs)
    print(
        f"incidents missed: {missed}/{len(incidents.INCIDENTS)}; ordinary pairs: {high} high, "
        f"{medium} medium of {len(pairs)} ({medium / max(len(pairs), 1):.0%})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
