"""The main job: the demo notebook runs end to end, offline, in a real kernel."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.kernel

EXAMPLES = Path(__file__).resolve().parent.parent / "example_notebooks"


def test_the_demo_notebook_answers_offline(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(EXAMPLES / "demo.ipynb", as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(EXAMPLES)}}).execute()
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    status, answer = "".join(o.text for o in nb.cells[-1].outputs).strip().split("\n", 1)
    assert status == "finished | 3 steps"
    assert answer.startswith("**east** had the highest revenue growth: 135%")
    saved = nbformat.writes(nb)
    assert "revenue growth" in saved  # the static transcript survives in the saved notebook
