"""The documentation site builds, the example notebook runs, and every rule has its page."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
NOTEBOOK = DOCS / "notebook.ipynb"


def _gen_rule_pages() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_rule_pages", DOCS / "gen_rule_pages.py")
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "index.html").is_file()
    assert (tmp_path / "rules" / "ARC014" / "index.html").is_file()
    assert (tmp_path / "notebook.ipynb").is_file()


def test_every_listed_rule_has_a_page() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tarlens", "rules", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    ids = [r["id"] for r in json.loads(result.stdout)]
    assert ids
    missing = [i for i in ids if not (DOCS / "rules" / f"{i}.md").is_file()]
    assert not missing, "run python docs/gen_rule_pages.py"
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert all(f"rules/{i}.md" in nav for i in ids)


def test_generated_rule_pages_are_up_to_date() -> None:
    mod = _gen_rule_pages()
    pages = mod.render()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in (DOCS / "rules").glob("*.md")}
    assert set(on_disk) == set(pages), "run python docs/gen_rule_pages.py"
    stale = sorted(name for name, text in pages.items() if on_disk[name] != text)
    assert not stale, f"run python docs/gen_rule_pages.py (stale: {stale[:5]})"
    mkdocs = mod.MKDOCS.read_text(encoding="utf-8")
    assert mkdocs == mod.render_mkdocs(mkdocs), "run python docs/gen_rule_pages.py"


def test_committed_notebook_has_no_outputs() -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)


def _outputs(nb: Any, cell_id: str) -> list[Any]:
    (cell,) = [c for c in nb.cells if c.get("id") == cell_id]
    return list(cell.outputs)


# jupyter_client and jupyter_core warn about their own deprecations; not ours to fix
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("nbclient", "nbformat", "ipykernel", "matplotlib", "pandas"):
        pytest.importorskip(name)
    import nbclient
    import nbformat

    # a kernel spec that runs this interpreter, whatever else is installed
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("MPLBACKEND", "agg")

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()

    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source

    manifest = _outputs(nb, "cell-03")
    assert "<table" in manifest[0]["data"]["text/html"]

    diff_html = _outputs(nb, "cell-05")[0]["data"]["text/html"]
    assert "<table" in diff_html
    assert "lib/telemetry.js" in diff_html

    frame = _outputs(nb, "cell-08")[0]["data"]
    assert 'class="dataframe' in frame["text/html"]
    assert "ARC014" in frame["text/plain"]
    assert "SCR001" not in frame["text/plain"]  # low: filtered out

    plot = _outputs(nb, "cell-10")
    assert any("image/png" in o.get("data", {}) for o in plot)
    real = "".join(o.get("text", "") for o in _outputs(nb, "real-releases-code"))
    assert real.startswith(("4.17.20 -> 4.17.21: ", "registry unavailable, skipped")), real
