"""Write docs/rules.md from the rule registry (`python docs/gen_rules.py`).

A test checks that the committed file equals this output, so the catalog page and the rules
cannot drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tarlens.rules import all_rules

OUT = Path(__file__).with_name("rules.md")


def render() -> str:
    lines = [
        "# Rule catalog",
        "",
        "Generated from the registry by `docs/gen_rules.py`; do not edit by hand.",
        "`tarlens rules` lists the same rules and `tarlens explain ID` prints one page.",
        "",
        "Severities follow one idea. **High** when the tarball shows npm something other than",
        "what a reviewer's tools show (a parser differential is how content is smuggled past",
        "review), or when npm would refuse the release after approval. **Medium** for things",
        "npm tolerates that `npm pack` never produces. **Low**/**info** for facts a reviewer",
        "should see that ordinary releases have too: an install script is not suspicious in",
        "itself, gaining one in a release is (the diff rules judge that).",
        "",
        "| id | name | severity | confidence | CWE | summary |",
        "|---|---|---|---|---|---|",
    ]
    rules = all_rules()
    for r in rules:
        cwe = f"CWE-{r.cwe}" if r.cwe else ""
        lines.append(
            f"| [{r.id}](#{r.id.lower()}) | `{r.name}` | {r.severity} | "
            f"{r.confidence} | {cwe} | {r.summary} |"
        )
    for r in rules:
        lines += [
            "",
            f"## {r.id}",
            "",
            f"`{r.name}`: severity **{r.severity}**, confidence "
            f"**{r.confidence}**" + (f", CWE-{r.cwe}" if r.cwe else "") + f", since {r.since}",
            "",
        ]
        body = r.doc.strip().split("\n", 1)
        lines.append(body[0])
        if len(body) > 1:
            lines.append(body[1].replace("\n## ", "\n### ").rstrip())
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
    sys.exit(0)
