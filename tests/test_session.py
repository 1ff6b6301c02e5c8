"""The composition root: the text-prompt approver, undo and unload (driving renderers: test_interrupts.py)."""

from __future__ import annotations

import pytest

import jupyter_autogpt
from jupyter_autogpt import session as session_module
from jupyter_autogpt.agent.approvals import stdin_approver
from jupyter_autogpt.events import CodeProposed


@pytest.mark.parametrize(
    ("typed", "action", "feedback", "said"),
    [
        ("", "run", None, "running step 2"),
        ("yes please", "run", None, "running step 2"),
        ("Y", "run", None, "running step 2"),
        ("nope", "skip", None, "skipping step 2"),
        ("no, use pandas instead", "skip", "no, use pandas instead", "feedback"),
        ("use pandas instead", "skip", "use pandas instead", "feedback"),
        ("stop", "stop", None, "stopping"),
    ],
)
def test_the_text_prompt_understands_yes_no_and_feedback(typed, action, feedback, said) -> None:
    told: list[str] = []
    approve = stdin_approver(lambda prompt: typed, told.append)
    decision = approve(CodeProposed(2, "x = 1"))
    assert (decision.action, decision.feedback) == (action, feedback)
    assert said in told[-1]


def test_the_text_prompt_says_editing_needs_the_widgets_and_asks_again() -> None:
    answers, told = iter(["e", "y"]), []
    approve = stdin_approver(lambda prompt: next(answers), told.append)
    assert approve(CodeProposed(1, "x = 1")).action == "run"
    assert "editing is not available" in told[0] and "running step 1" in told[1]


def test_undo_survives_reloading_the_extension(ip, replies_file) -> None:
    ip.user_ns["precious"] = [1, 2, 3]
    path = replies_file("```python\nprecious = None\n```", "```python\nfinal_answer('done')\n```")
    run = ip.run_cell_magic("autogpt", f"--model replay:{path}", "spoil it")
    assert run.status == "finished" and ip.user_ns["precious"] is None
    ip.run_line_magic("reload_ext", "jupyter_autogpt")
    message = ip.run_line_magic("autogpt", "undo")
    assert "restored 1 variable(s): precious (rebound)" in message
    assert ip.user_ns["precious"] == [1, 2, 3]
    assert jupyter_autogpt.last_run() is run and session_module.last_undo() is not None


def test_unloading_the_extension_forgets_the_magics_instance(ip) -> None:
    manager = ip.magics_manager
    assert "AutoGPTMagics" in manager.registry
    ip.run_line_magic("unload_ext", "jupyter_autogpt")
    try:
        assert "AutoGPTMagics" not in manager.registry
        assert "autogpt" not in manager.magics["line"] and "autogpt" not in manager.magics["cell"]
    finally:
        ip.run_line_magic("load_ext", "jupyter_autogpt")
    assert "AutoGPTMagics" in manager.registry


def test_unloading_the_extension_frees_local_models(ip, tmp_path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from jupyter_autogpt.models import _hf_load, resolve
    from support.tiny_models import build_random_model

    resolve(f"transformers:{build_random_model(tmp_path)}")
    assert _hf_load.cached_count() == 1
    ip.run_line_magic("unload_ext", "jupyter_autogpt")
    ip.run_line_magic("load_ext", "jupyter_autogpt")
    assert _hf_load.cached_count() == 0
