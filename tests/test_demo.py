"""The main job: the quickstart runs end to end, offline, in a real kernel; every example's clean code re-runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from jupyter_autogpt.clean import of_transcript
from support.kernels import execute, running_kernel

pytestmark = pytest.mark.kernel

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "example_notebooks"


def test_the_main_job_runs_the_quickstart_offline(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "run_demo.py")], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    status, answer = done.stdout.strip().split("\n")[:2]
    assert status == "finished | 3 steps"
    assert answer.startswith("**east** had the highest revenue growth: 125%")


def _inputs(notebook: Path, goal: str) -> str:
    """Return the code cells of ``notebook`` before the ``%%autogpt`` cell of ``goal``: the run's inputs."""
    nb = nbformat.read(notebook, as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.source.startswith("%%autogpt") and goal.split()[0] in cell.source:
            return "\n".join(cells)
        if "%" not in cell.source:
            cells.append(cell.source)
    raise AssertionError(f"no %%autogpt cell of {goal!r} in {notebook.name}")


RECORDINGS = sorted((EXAMPLES / "recordings").glob("*.json"))


def _earlier(run: dict) -> list[dict]:
    """Return the recorded runs that ``run`` follows up (``-c``), oldest first."""
    recorded = {r["id"]: r for r in (json.loads(p.read_text())["run"] for p in RECORDINGS)}
    chain = []
    while run.get("parent") in recorded:
        run = recorded[run["parent"]]
        chain.insert(0, run)
    return chain


@pytest.mark.parametrize("recording", RECORDINGS, ids=[p.stem[:30] for p in RECORDINGS])
def test_the_clean_code_of_each_example_run_re_runs_in_a_fresh_kernel(recording: Path) -> None:
    run = json.loads(recording.read_text())["run"]
    earlier = _earlier(run)
    first = earlier[0] if earlier else run  # a follow-up's inputs are those of its conversation's first run
    notebook = next(p for p in EXAMPLES.glob("*.ipynb") if first["goal"].split("\n")[0] in p.read_text())
    clean = of_transcript(run, earlier)
    assert clean.answered and clean.lines <= clean.all_lines
    with running_kernel() as (_, kc):
        printed = execute(kc, f"import os\nos.chdir({str(EXAMPLES)!r})\n" + _inputs(notebook, first["goal"]), timeout=120)
        assert "ERROR:" not in printed, printed
        printed = execute(kc, clean.code, timeout=120)
    assert printed.rstrip().endswith(run["answer_text"].rstrip()), printed
