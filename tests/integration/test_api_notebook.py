"""docs/examples/api.ipynb runs (nbclient, a kernel of this Python) and its result object's metrics
equal the summary.json of the run it made."""

import ast
import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "docs" / "examples" / "api.ipynb"


def test_notebook_runs_and_its_metrics_are_the_summary(tmp_path, monkeypatch):
    # a kernel spec of this very Python (the venv's), found through JUPYTER_PATH: no other
    # installed "python3" kernel can be picked instead
    spec = tmp_path / "jupyter" / "kernels" / "sim-venv"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "sim", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    # run in a scratch directory that has the repository's configs/, so results/ lands there
    work = tmp_path / "work"
    work.mkdir()
    (work / "configs").symlink_to(ROOT / "configs")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, kernel_name="sim-venv", timeout=600, resources={"metadata": {"path": str(work)}}
    ).execute()
    (cell,) = [c for c in notebook.cells if "metrics" in c.metadata.get("tags", [])]
    shown = ast.literal_eval(cell.outputs[0]["data"]["text/plain"])
    summary = json.loads((work / "results" / "bilayer_333K" / "summary.json").read_text())
    assert shown == summary["metrics"]
    assert summary["overrides"][0] == "physics.temperature=333.15"
    assert summary["status"] == "ok"


def test_readme_shows_the_notebook_code():
    """README's "Python API" example is the notebook's code (after its chdir cell), cell by cell."""
    readme = (ROOT / "README.md").read_text().split("## Python API", 1)[1]
    block = readme.split("```python\n", 1)[1].split("```", 1)[0]
    cells = [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    assert block.strip() == "\n\n".join(cells[1:]).strip()
