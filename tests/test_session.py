"""The composition root: driving renderers through interrupts, the text-prompt approver, undo and unload."""

from __future__ import annotations

import pytest

import jupyter_autogpt
from jupyter_autogpt import session as session_module
from jupyter_autogpt.agent.approvals import stdin_approver
from jupyter_autogpt.events import CodeProposed, Event, FinalAnswer, RunFinished, RunStarted, StepFinished
from jupyter_autogpt.session import Session, last_run
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import RunConfig


def code(src: str) -> str:
    return f"Next.\n```python\n{src}\n```"


class Recorder:
    """A renderer that keeps what it saw, and is Ctrl-C'd (or fails) while it handles one kind of event."""

    def __init__(self, interrupt_on: type | None = None, fail_on: type | None = None) -> None:
        self.seen: list[Event] = []
        self.interrupt_on = interrupt_on
        self.fail_on = fail_on
        self.closed = False

    def handle(self, event: Event) -> None:
        self.seen.append(event)
        if self.interrupt_on is not None and isinstance(event, self.interrupt_on):
            self.interrupt_on = None  # one Ctrl-C
            raise KeyboardInterrupt
        if self.fail_on is not None and isinstance(event, self.fail_on):
            raise RuntimeError("renderer bug")

    def close(self) -> None:
        self.closed = True


def run_with(ip, renderer: Recorder, replies: list[str]):
    shell_session = Session(ip, view="none")
    shell_session.renderer_factories.append(lambda config: renderer)
    return shell_session.run("g", RunConfig(model="scripted"), model=ScriptedModel(replies))


@pytest.mark.parametrize("moment", [FinalAnswer, RunFinished])
def test_an_interrupt_while_the_answer_is_shown_keeps_the_finished_run(ip, moment) -> None:
    renderer = Recorder(interrupt_on=moment)
    run = run_with(ip, renderer, [code("kept_value = 7"), code("final_answer(kept_value)")])
    assert run.status == "finished" and run.answer == 7 and len(run.steps) == 2
    assert last_run() is run
    assert isinstance(renderer.seen[-1], RunFinished) and renderer.closed
    assert "final_answer" not in ip.user_ns


def test_an_interrupt_as_the_run_starts_ends_it_as_interrupted(ip) -> None:
    renderer = Recorder(interrupt_on=RunStarted)
    run = run_with(ip, renderer, [code("final_answer(1)")])
    assert run.status == "interrupted" and run.steps == ()
    assert last_run() is run and renderer.closed
    assert "final_answer" not in ip.user_ns


def test_an_interrupt_mid_run_is_thrown_into_the_loop_and_keeps_the_steps(ip) -> None:
    renderer = Recorder(interrupt_on=StepFinished)
    run = run_with(ip, renderer, [code("first_step = 1"), code("final_answer(2)")])
    assert run.status == "interrupted" and [s.code for s in run.steps] == ["first_step = 1"]
    assert last_run() is run


def test_a_failing_renderer_is_dropped_and_still_closed(ip) -> None:
    failing, steady = Recorder(fail_on=StepFinished), Recorder()
    shell_session = Session(ip, view="none")
    shell_session.renderer_factories += [lambda config: failing, lambda config: steady]
    run = shell_session.run("g", RunConfig(model="s"), model=ScriptedModel([code("final_answer(3)")]))
    assert run.answer == 3 and isinstance(steady.seen[-1], RunFinished)
    assert not any(isinstance(e, RunFinished) for e in failing.seen)
    assert failing.closed and steady.closed


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
