"""The conversation around a run: threads of follow-ups, the user's recent cells and last error, instructions.

Each is bounded by its named budget whatever goes in (``limits``), and redacted the way observations are.
``RecentWork`` reads a real ``InteractiveShell``'s history.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SECRET_KEY
from jupyter_autogpt import instructions
from jupyter_autogpt.context import (
    NotebookContext,
    RunContext,
    Thread,
    UserCell,
    earlier_run,
    notebook_text,
    thread_after,
    thread_text,
)
from jupyter_autogpt.execution.cell_history import RecentWork, is_own_work
from jupyter_autogpt.limits import INSTRUCTIONS_CHARS, NOTEBOOK_CHARS, THREAD_CHARS, THREAD_RUNS
from jupyter_autogpt.types import Observation, Run, RunConfig, Step


def a_run(n: int, parent: Run | None = None, size: int = 3_000) -> Run:
    """Return a finished run whose two steps printed ``size`` characters each, continuing ``parent``."""
    steps = tuple(
        Step(index=i, reply="Next.", code=f"print('run {n} step {i}' * 100)", output="x" * size,
             observation=Observation(stdout="x" * size))
        for i in (1, 2)
    )
    context = RunContext(thread=thread_after(parent) if parent is not None else Thread())
    return Run(goal=f"goal number {n} " + "g" * 2_000, model="m", status="finished", steps=steps,
               answer=f"answer {n} " + "a" * 5_000, id=f"run{n:08d}", config=RunConfig(), context=context)


def chain(length: int) -> Run:
    run = a_run(1)
    for n in range(2, length + 1):
        run = a_run(n, run)
    return run


def test_a_follow_up_remembers_the_earlier_run_bounded() -> None:
    record = earlier_run(a_run(1))
    assert record.id == "run00000001" and record.status == "finished"
    assert len(record.goal) <= 600 and len(record.answer) <= 800 and len(record.steps) == 2
    assert all(len(s) < 1_000 for s in record.steps)


def test_a_thread_of_any_length_remembers_a_bounded_number_of_runs() -> None:
    last = chain(30)
    thread = last.context.thread
    assert len(thread.runs) == THREAD_RUNS
    assert thread.length == 29 and thread.omitted == 29 - len(thread.runs)
    assert thread.parent == "run00000029"
    follow_up = thread_after(last)
    assert follow_up.length == 30 and len(follow_up.runs) == THREAD_RUNS and follow_up.parent == "run00000030"


def test_the_thread_text_stays_in_its_budget_newest_in_detail_older_as_a_note() -> None:
    thread = thread_after(chain(30))
    text = thread_text(thread)
    assert len(text) <= THREAD_CHARS
    assert "goal number 30" in text and "run 30 step 2" in text  # the run followed up, with its steps
    assert "answer 30" in text
    assert "goal number 1 " not in text and "earlier run(s) of this conversation omitted" in text
    assert text.index("omitted") < text.index("goal number 30")  # oldest first, like the steps of a run


def test_no_thread_no_text() -> None:
    assert thread_text(Thread()) == "" and notebook_text(NotebookContext()) == ""


def test_the_notebook_text_keeps_the_error_and_the_newest_cells_in_its_budget() -> None:
    cells = tuple(UserCell(n, f"cell_{n} = {n}\n" + "#" * 700, f"Out: {n}") for n in range(1, 30))
    trace = "Traceback (most recent call last):\n" + "  frame\n" * 2_000 + "KeyError: 'missing'"
    text = notebook_text(NotebookContext(cells, trace, 29, omitted=5))
    assert len(text) <= NOTEBOOK_CHARS
    assert "KeyError: 'missing'" in text and "In [29]" in text and "cell_1 = 1" not in text
    assert "older cell(s) not shown" in text


def test_the_users_cells_since_the_last_run_with_their_results_and_last_error(ip, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)
    work = RecentWork(ip)
    after = work.current()
    for source in (
        "%load_ext jupyter_autogpt",  # drives the extension: not the user's work
        "total = 40 + 2\nprint('total is', total)\ntotal",
        f"token = '{SECRET_KEY}'\nraise ValueError('bad token ' + token)",
        "# only a comment",
        "half = total / 2",
    ):
        ip.run_cell(source, store_history=True)
    seen = work.since(after, limit=5)
    numbers = [c.number for c in seen.cells]
    assert numbers == [after + 2, after + 3, after + 5]
    first, failing, last = seen.cells
    assert "total = 40 + 2" in first.source and "printed: total is 42" in (first.result or "")
    assert "Out: 42" in (first.result or "")
    assert failing.error is not None and failing.error.startswith("ValueError: bad token")
    assert seen.error_cell == after + 3 and seen.traceback is not None and "ValueError" in seen.traceback
    assert last.result is None and last.error is None
    everything = repr(seen)
    assert SECRET_KEY not in everything and "[REDACTED]" in everything
    assert "\x1b[" not in (seen.traceback or "")  # no terminal colours reach the model


def test_the_users_last_traceback_names_library_files_without_the_install_folder(ip) -> None:
    import sys

    work = RecentWork(ip)
    after = work.current()
    ip.run_cell("import json\njson.loads('{')", store_history=True)
    seen = work.since(after, limit=5)
    assert seen.traceback is not None and "json/decoder.py" in seen.traceback
    assert sys.base_prefix not in seen.traceback and sys.prefix not in seen.traceback


def test_history_bounds_the_cells_and_zero_means_none(ip) -> None:
    work = RecentWork(ip)
    after = work.current()
    for n in range(6):
        ip.run_cell(f"v{n} = {n}", store_history=True)
    ip.run_cell("1 / 0", store_history=True)
    two = work.since(after, limit=2)
    assert [c.source for c in two.cells] == ["v5 = 5", "1 / 0"] and two.omitted == 5
    assert two.error_cell == after + 7
    assert not work.since(after, limit=0)


def test_an_error_before_the_last_run_is_not_the_users_latest(ip) -> None:
    work = RecentWork(ip)
    ip.run_cell("1 / 0", store_history=True)
    after = work.current()
    ip.run_cell("fine = True", store_history=True)
    seen = work.since(after, limit=5)
    assert [c.source for c in seen.cells] == ["fine = True"] and seen.traceback is None


@pytest.mark.parametrize(
    ("source", "own"),
    [
        ("x = 1", True),
        ("%%autogpt -c\nAnd for 2024?", False),
        ("%autogpt history", False),
        ("%load_ext jupyter_autogpt\n%config AutoGPTMagics.history = 2", False),
        ("get_ipython().run_cell_magic('autogpt', '', 'goal')", False),
        ("%load_ext jupyter_autogpt\nimport pandas as pd", True),
        ("   \n# just a note\n", False),
    ],
)
def test_which_cells_are_the_users_own_work(source: str, own: bool) -> None:
    assert is_own_work(source) is own


# -- standing instructions --------------------------------------------------------------------------------------


def test_the_nearest_agents_md_wins_up_to_the_repository_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    notebooks = repo / "analysis" / "2024"
    notebooks.mkdir(parents=True)
    (repo / ".git").mkdir()
    (tmp_path / "AGENTS.md").write_text("outside the repository")
    assert instructions.find_file(notebooks) is None  # the search stops at the repository root
    (repo / "AGENTS.md").write_text("Use UTC.")
    assert instructions.find_file(notebooks) == repo / "AGENTS.md"
    (notebooks / "AGENTS.md").write_text("Fiscal years start in April.")
    assert instructions.find_file(notebooks) == notebooks / "AGENTS.md"
    assert instructions.find_file(notebooks, "") is None


def test_instructions_from_the_file_and_config_bounded_and_redacted(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)
    (tmp_path / ".git").mkdir()
    (tmp_path / "AGENTS.md").write_text(f"Dates are UTC. The key is {SECRET_KEY}.\n" + "More. " * 3_000)
    found = instructions.gather("Answer in French.", "AGENTS.md", tmp_path)
    assert found.sources == ("AGENTS.md", instructions.CONFIG_SOURCE)
    assert found.text.startswith("From AGENTS.md:\nDates are UTC.")
    assert found.text.endswith("From %config AutoGPTMagics.instructions:\nAnswer in French.")  # never cut away
    assert len(found.text) <= INSTRUCTIONS_CHARS and SECRET_KEY not in found.text and "[REDACTED]" in found.text


def test_no_instructions_no_text(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert not instructions.gather("", "AGENTS.md", tmp_path)
    assert instructions.gather("  ", "", tmp_path) == instructions.Instructions()


def test_an_unreadable_file_is_named_not_an_error(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "AGENTS.md").mkdir()  # a folder where the file should be: is_file() is False, so it is no file
    (tmp_path / "NOTES.md").write_bytes(b"\xff\xfe broken \xc3")
    found = instructions.gather("", "NOTES.md", tmp_path)
    assert found.sources == ("NOTES.md",) and "broken" in found.text  # undecodable bytes replaced, never raised
