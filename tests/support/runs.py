"""Runs for the UI's tests: a scripted run in a real shell, and a small run built by hand with what it showed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from jupyter_autogpt.events import (
    CodeExecuted,
    CodeProposed,
    Event,
    FinalAnswer,
    ModelDelta,
    ModelReplied,
    Noticed,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from jupyter_autogpt.session import Session
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import ImageData, Observation, Run, RunConfig, Step, Usage

__all__ = ["PNG", "REPLY", "a_run", "observation", "one_step", "scripted_run", "started"]

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
REPLY = "I will add the numbers.\n```python\nprint(1 + 1)\n```"


def scripted_run(shell: Any, replies: list[str], goal: str = "Double 21.", model_id: str = "scripted") -> Run:
    """Run ``goal`` in ``shell`` with a scripted model (no view); fail if a reply was left unused."""
    model = ScriptedModel(replies, id=model_id)
    run = Session(shell, view="none").run(goal, RunConfig(model=model_id), model=model)
    model.assert_all_used()
    return run


def followup_run(shell: Any) -> Run:
    """Return a follow-up (``continue_from="latest"``) with instructions and a plan revised once, as the jest fixture is.

    The user's cells stay out (``history=0``): which ones a test process's shell holds depends on the tests before.
    """
    session = Session(shell, view="none")
    session.run("Set x.", RunConfig(model="scripted", history=0), model=ScriptedModel([PARENT_REPLY]))
    config = RunConfig(model="scripted", continue_from="latest", instructions="Answer in one line.",
                       instructions_file="", history=0)
    model = ScriptedModel(PLAN_REPLIES)
    run = session.run("Double it.", config, model=model)
    model.assert_all_used()
    return run


PARENT_REPLY = "```python\nx = 21\nfinal_answer('x is 21')\n```"
PLAN_REPLIES = [
    "Plan:\n1. Look at x\n2. Break something\n3. Answer\n```python\nprint('x is', x)\n```",
    "Oops.\n```python\n1 / 0\n```",
    "Revised plan:\n1. [x] Look at x\n2. [x] Break something\n3. Answer without dividing\n"
    "```python\nfinal_answer(x * 2)\n```",
]


def started(model: str = "openai:gpt-4o-mini", **config: Any) -> RunStarted:
    """Return the ``RunStarted`` of a run of "Add one and one" on ``model``."""
    return RunStarted("r1", "Add one and one\nsecond line", model, RunConfig(model=model, **config), time.time())


def observation() -> Observation:
    """Return what a step showed: a line, an HTML table and a PNG."""
    table = {"text/html": "<table><tr><td>42</td></tr></table>", "text/plain": "42"}
    return Observation(stdout="2\n", displays=(table,), images=(ImageData("image/png", PNG),), duration=0.01)


def a_run(status: str = "finished", answer: Any = "The sum is **2**.") -> Run:
    """Return a one-step run that printed 2 and showed ``observation()``."""
    obs = observation()
    step = Step(1, REPLY, "print(1 + 1)", "2", None, obs, Usage(100, 20))
    return Run("Add one and one", "openai:gpt-4o-mini", status, (step,), answer, Usage(100, 20), "r1")  # type: ignore[arg-type]


def one_step() -> Iterator[Event]:
    """Yield the events of ``a_run()`` as the loop sends them, a streamed reply and a notice included."""
    usage = Usage(100, 20)
    yield started()
    yield StepStarted(1, 3)
    for piece in ("I will ", "add the numbers.\n", "```python\nprint(1 + 1)\n```"):
        yield ModelDelta(1, piece)
    yield ModelReplied(1, REPLY, usage, usage, 0.2)
    yield CodeProposed(1, "print(1 + 1)")
    yield CodeExecuted(1, "print(1 + 1)", observation())
    yield StepFinished(Step(1, REPLY, "print(1 + 1)", "2", None, observation(), usage))
    yield Noticed(1, "a retry happened", "warning")
    yield FinalAnswer("The sum is **2**.", "The sum is **2**.")
    yield RunFinished(a_run())
