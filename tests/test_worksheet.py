"""Teaching worksheets: exported from a real run, stripped by nbgrader, and the agent's solution autogrades as full marks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from jupyter_autogpt.worksheet.checks import checks

pytest.importorskip("nbgrader")
pytestmark = [pytest.mark.kernel, pytest.mark.slow]

REPLIES = [
    "First I look at the table.\n```python\nprint(sales.dtypes)\nsales.head()\n```",
    "Revenue is units times price; I add it as a column and sum it per region and year.\n```python\n"
    "sales['revenue'] = sales.units * sales.price\n"
    "rev = sales.pivot_table(index='region', columns='year', values='revenue', aggfunc='sum')\n```",
    "```python\ngrowth = rev[2025] / rev[2023] - 1 +\n```",
    "Growth is the change from the first year to the last, relative to the first.\n```python\n"
    "growth = (rev[2025] / rev[2023] - 1).sort_values(ascending=False)\n"
    "final_answer(f'{growth.index[0]} grew the most: {growth.iloc[0]:.0%}')\n```",
]
DATA = ("import pandas as pd\nsales = pd.DataFrame({'region': ['north', 'south', 'east'] * 2, 'year': [2023] * 3 + [2025] * 3,"
        " 'units': [120, 80, 40, 138, 85, 90], 'price': [9.5, 12.0, 11.0, 9.9, 12.5, 11.0]})")


def nbgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}  # nbgrader calls alembic
    return subprocess.run([sys.executable, "-m", "nbgrader", *args, "--CourseDirectory.root=.", "--force"], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=240, check=True)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a course folder whose source/lesson/lesson.ipynb was exported from a real run in a kernel."""
    root = tmp_path_factory.mktemp("course")
    (root / "replies.json").write_text(json.dumps(REPLIES))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "%load_ext jupyter_autogpt", DATA, "unrelated = 'not part of the lesson'",
        "%%autogpt --model replay:replies.json --explain\nWhich region grew the most?",
        "%autogpt export lesson.ipynb --worksheet",
    )]
    NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(root)}}).execute()
    assert "2 exercise(s)" in nb.cells[-1].outputs[0]["data"]["text/plain"]
    (root / "source" / "lesson").mkdir(parents=True)
    shutil.move(root / "lesson.ipynb", root / "source" / "lesson" / "lesson.ipynb")
    nbgrader("generate_assignment", "lesson", cwd=root)
    return root


def test_the_worksheet_is_an_nbgrader_source_notebook(course: Path) -> None:
    nb = nbformat.read(course / "source" / "lesson" / "lesson.ipynb", as_version=4)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(graded) == len(solutions) == 2 and all(c.metadata.nbgrader.locked for c in graded)
    assert all("### BEGIN SOLUTION" in c.source and "### END SOLUTION" in c.source for c in solutions)
    setup = nb.cells[1]
    assert setup.metadata.nbgrader["locked"] and "sales = pd.DataFrame" in setup.source and "unrelated" not in setup.source
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Which region grew the most?" in text and "relative to the first" in text  # the explanations
    assert "print(sales.dtypes)" not in "\n".join(c.source for c in nb.cells)  # exploration is no exercise


def test_generate_assignment_strips_the_solutions(course: Path) -> None:
    released = nbformat.read(course / "release" / "lesson" / "lesson.ipynb", as_version=4)
    sources = "\n".join(c.source for c in released.cells)
    assert "pivot_table" not in sources and "sort_values" not in sources
    assert sources.count("raise NotImplementedError()") == 2 and "assert rev.shape" in sources


def test_the_autograder_gives_the_agents_solution_full_marks_and_the_blank_sheet_none(course: Path) -> None:
    from nbgrader.api import Gradebook

    for student, version in (("agent", "source"), ("blank", "release")):
        target = course / "submitted" / student / "lesson"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(course / version / "lesson" / "lesson.ipynb", target / "lesson.ipynb")
    nbgrader("autograde", "lesson", cwd=course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        agent, blank = (gradebook.find_submission("lesson", s) for s in ("agent", "blank"))
        assert agent.max_score > 0 and agent.score == agent.max_score
        assert blank.score == 0


@pytest.mark.parametrize(
    ("value", "wrong"),
    [(3, 4), (2.5, 2.51), (float("nan"), 1.0), (True, False), ("east", "west"), ("x" * 500, "y" * 500),
     ([1, "a"], [1, "b"]), ({"a": 1}, {"a": 2})],
)
def test_each_check_accepts_the_agents_value_and_refuses_another(value, wrong) -> None:
    import hashlib
    import math

    lines = "\n".join(checks("v", value))
    exec(lines, {"math": math, "hashlib": hashlib, "v": value})
    with pytest.raises(AssertionError):
        exec(lines, {"math": math, "hashlib": hashlib, "v": wrong})


def test_frames_series_and_arrays_are_checked_by_shape_labels_and_numbers() -> None:
    import hashlib
    import math

    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}, index=["p", "q"])
    for value, wrong in ((frame, frame.assign(a=[1.0, 2.5])), (frame.a, frame.a.rename(lambda k: k + "!")),
                         (np.arange(4), np.arange(5))):
        lines = "\n".join(checks("v", value))
        exec(lines, {"math": math, "hashlib": hashlib, "v": value})
        with pytest.raises(AssertionError):
            exec(lines, {"math": math, "hashlib": hashlib, "v": wrong})
