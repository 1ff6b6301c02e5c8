"""Interrupt and Stop (``interrupts.py``): a run ends early as "interrupted", keeping its steps, wherever it is cut."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from jupyter_autogpt.agent import Agent
from jupyter_autogpt.errors import RunCancelled
from jupyter_autogpt.events import Event, FinalAnswer, ModelDelta, RunFinished, RunStarted, StepFinished, StepStarted
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.interrupts import StopRequest, drive
from jupyter_autogpt.session import Session, last_run
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import RunConfig
from support.replies import code
from support.runs import a_run, started
from support.views import WAIT, Handle, make_view


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


# -- Stop -------------------------------------------------------------------------------------------------------


def test_a_stop_click_while_the_model_streams_throws_the_typed_cancellation_once() -> None:
    """The Stop button cuts a streaming reply: ``drive`` throws ``RunCancelled`` into the loop, after a delta only."""
    request = StopRequest()
    view = make_view(Handle(), stop=request)
    thrown: list[BaseException] = []

    def click() -> None:  # as a kernel subshell thread would, while the main thread runs the loop
        clicker = threading.Thread(target=view.stop_control.button.click)
        clicker.start()
        clicker.join(WAIT)

    def loop() -> Iterator[Event]:
        yield started()
        yield StepStarted(1, 2)
        yield ModelDelta(1, "thinking")
        click()
        yield StepStarted(1, 2)  # not a streamed delta: nothing is thrown here
        try:
            yield ModelDelta(1, " more")
        except RunCancelled as exc:
            thrown.append(exc)
        yield ModelDelta(1, " later")  # thrown once only
        yield RunFinished(a_run("interrupted", None))

    run = drive(loop(), [view], request)
    assert [type(exc) for exc in thrown] == [RunCancelled] and str(thrown[0]) == "interrupted by the user"
    assert run.status == "interrupted" and "interrupted" in view.header.value


def test_stop_while_the_model_streams_ends_the_run_interrupted_keeping_the_steps(ip) -> None:
    request = StopRequest()

    class StopOnSecondStep(Recorder):
        def handle(self, event: Event) -> None:
            super().handle(event)
            if isinstance(event, ModelDelta) and event.index == 2:
                request.set()  # the user clicks Stop as the second reply streams in

    model = ScriptedModel([code("first_done = 1"), code("second_done = 2"), code("final_answer(3)")])
    agent = Agent(model, IPythonExecutor(ip), RunConfig(model="s"), should_stop=request.is_set)
    recorder = StopOnSecondStep()
    run = drive(agent.run("g"), [recorder], request)
    assert run.status == "interrupted" and run.error == "interrupted by the user"
    assert [s.code for s in run.steps] == ["first_done = 1"] and ip.user_ns["first_done"] == 1
    assert "second_done" not in ip.user_ns and model.remaining == 1  # the second reply was cut, never run
    assert isinstance(recorder.seen[-1], RunFinished) and recorder.closed


def test_a_loop_that_lets_the_cancellation_escape_still_returns_its_steps() -> None:
    request = StopRequest()
    request.set()

    def loop() -> Iterator[Event]:
        yield started()
        yield StepFinished(a_run().steps[0])
        yield ModelDelta(2, "an unfinished reply")  # the cancellation is thrown here and not caught
        yield RunFinished(a_run())

    run = drive(loop(), [], request)
    assert run.status == "interrupted" and run.error == "interrupted by the user" and len(run.steps) == 1
