"""Interrupts (``interrupts.py``): a run ends early as "interrupted", keeping its steps, wherever it is cut."""

from __future__ import annotations

import pytest

from jupyter_autogpt.events import Event, FinalAnswer, RunFinished, RunStarted, StepFinished
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


# -- a kernel interrupt that lands in a renderer ----------------------------------------------------------------


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
