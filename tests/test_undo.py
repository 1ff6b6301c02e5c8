"""Undo after a run: the log of replaced bindings, and undo targeting the run's own changes.

The log keeps references, restored once, never over the user's later edits. A nested ``%%autogpt`` through
``run_cell`` used to start, and ``%autogpt undo`` then targeted the inner run: now every route to a nested agent
is refused inside the step, so the latest run, and its undo, stay the outer's.
"""

from __future__ import annotations

import pytest

from jupyter_autogpt.execution.undo import UndoLog
from jupyter_autogpt.session import last_run, last_undo
from support.replies import code
from support.runs import scripted_run


def test_the_undo_log_keeps_references_and_skips_later_user_edits() -> None:
    ns = {"df": [1], "x": 2, "later": "a"}
    original = ns["df"]
    log = UndoLog()
    log.begin(ns)
    log.before_step(ns)
    ns["df"], ns["later"] = [9], "b"
    del ns["x"]
    ns["new"] = 1
    assert sorted(log.after_step(ns)) == ["df", "later", "x"]
    log.finish(ns, ns)
    ns["later"] = "the user's own edit"
    report = log.undo(ns)
    assert ns["df"] is original and ns["x"] == 2 and ns["later"] == "the user's own edit"
    assert report.restored == (("df", "rebound"), ("x", "deleted")) and report.skipped == ("later",)
    assert "new" in report.message() and "In-place" in report.message()
    assert "nothing to undo" in log.undo(ns).message()


NESTED = {
    "run_cell": "get_ipython().run_cell('%%autogpt\\nan inner goal')",
    "run_cell_magic": "get_ipython().run_cell_magic('auto' + 'gpt', '', 'an inner goal')",
    "run_line_magic": "get_ipython().run_line_magic('autogpt', 'an inner goal')",
    "the magics' class": ("get_ipython().magics_manager.registry['AutoGPTMagics']"
                          ".autogpt('--model openai:gpt-4o-mini --base-url http://127.0.0.1:9/v1 go')"),
    "a session of its own": (
        "from jupyter_autogpt.session import Session\nfrom jupyter_autogpt.testing import ScriptedModel\n"
        "from jupyter_autogpt.types import RunConfig\n"
        "Session(get_ipython(), view='none').run('inner', RunConfig(model='s'), model=ScriptedModel(['x = 1']))"
    ),
}


@pytest.mark.parametrize("nested", NESTED.values(), ids=NESTED.keys())
def test_a_nested_agent_is_refused_and_undo_restores_the_outer_runs_changes(ip, monkeypatch, nested: str) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-a-key-for-the-nested-route")  # the inner run gets as far as it can
    ip.user_ns["mine"] = original = {"v": 1}
    ip.user_ns["kept"] = "untouched"
    run = scripted_run(ip, [code("mine = 'clobbered'\ndel kept"), code(nested), code("final_answer('outer done')")])
    assert run.status == "finished" and run.answer == "outer done" and last_run() is run
    assert "would start an agent inside this agent's step" in (run.steps[1].error or "") + run.steps[1].output
    undo = last_undo()
    assert undo is not None
    report = undo()
    assert ip.user_ns["mine"] is original and ip.user_ns["kept"] == "untouched"
    assert dict(report.restored) == {"mine": "rebound", "kept": "deleted"}


def test_a_wipe_is_put_back_as_the_step_found_the_namespace_and_undo_sees_the_rest(ip) -> None:
    ip.user_ns["mine"], ip.user_ns["other"] = original, other = [1, 2, 3], {"k": 1}
    run = scripted_run(ip, [code("other = None"), code("mine = None\ngetattr(globals(), 'cl' + 'ear')()"),
                            code("final_answer(1)")])
    assert run.status == "finished" and "wiped the user's namespace" in run.steps[1].output
    assert ip.user_ns["mine"] is original and ip.user_ns["other"] is None  # as the wiping step found them
    undo = last_undo()
    assert undo is not None and dict(undo().restored) == {"other": "rebound"}
    assert ip.user_ns["other"] is other
