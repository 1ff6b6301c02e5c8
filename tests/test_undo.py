"""The undo log: references to the bindings a run replaced, restored once, never over the user's later edits."""

from __future__ import annotations

from jupyter_autogpt.execution.undo import UndoLog


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
