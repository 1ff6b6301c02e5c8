"""Guards around a step on a real InteractiveShell: hooks and builtins restored, deadlines, cleanup under interrupts."""

from __future__ import annotations

import builtins
import getpass
import signal
import sys
import threading
from types import FrameType
from typing import Any

import pytest

from jupyter_autogpt.agent import Agent, run_to_completion
from jupyter_autogpt.execution import deadline, guards
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import RunConfig
from support.replies import code


def hooks(ip) -> tuple:
    return (sys.displayhook, builtins.input, builtins.print, getpass.getpass, signal.getsignal(signal.SIGINT),
            vars(ip).get("_showtraceback"), ip.display_trap.hook)


def test_a_step_that_breaks_builtins_and_the_interrupt_handler_is_repaired(ip) -> None:
    before = hooks(ip)
    executor = IPythonExecutor(ip)
    obs = executor.run("import builtins, signal\nbuiltins.print = None\nsignal.signal(signal.SIGINT, signal.SIG_IGN)")
    assert hooks(ip) == before
    assert "replaced builtins print" in obs.stderr and "SIGINT handler" in obs.stderr


class BrokenDeadline(deadline.Deadline):
    """A deadline that fails as it starts, inside the guarded region: a fault in our own code."""

    def __enter__(self) -> deadline.Deadline:
        raise RuntimeError("injected")


def test_a_failure_inside_the_guarded_region_restores_every_hook(ip) -> None:
    before = hooks(ip)
    model = ScriptedModel([code("never = 1")])
    agent = Agent(model, IPythonExecutor(ip, deadline=BrokenDeadline), RunConfig(model="scripted"))
    run = run_to_completion(agent, "g")
    assert run.status == "failed" and "injected" in (run.error or "")
    assert hooks(ip) == before and "final_answer" not in ip.user_ns and "never" not in ip.user_ns


def test_deadline_interrupts_loops_and_escalates_past_swallowed_interrupts(ip) -> None:
    executor = IPythonExecutor(ip)
    swallow = "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except KeyboardInterrupt:\n        pass"
    obs = executor.run(swallow, timeout=0.3)
    assert obs.error_name == "StepTimeout" and "caught the interrupt" in (obs.error or "")
    assert executor.run("print('still fine')").stdout == "still fine\n"


#: The modules of the step's guards: the hook guard, the deadline, and the cleanup both share.
CLEANUP_FILES = frozenset({guards.__file__, deadline.__file__})


def cleaning_up(frame: FrameType | None) -> bool:
    """Return whether ``frame`` runs inside a guard's ``__exit__`` or ``close`` (directly or in what they call)."""
    while frame is not None:
        if frame.f_code.co_filename in CLEANUP_FILES and frame.f_code.co_name in {"__exit__", "close"}:
            return True
        frame = frame.f_back
    return False


class InterruptAt:
    """A real trace function that raises ``exc`` at the ``at``-th line the guards run while cleaning up.

    Every line of ``CLEANUP_FILES`` that runs inside a guard's ``__exit__`` or ``close`` counts (the deadline's,
    the hook guard's and the executor's second-chance ``close`` calls), so stepping ``at`` from 0 lands the
    interrupt on each of them in turn, as a SIGINT or an asynchronous ``StepTimeout`` could. (The timeout's
    wording, also in ``deadline.py``, runs after the deadline has closed, where no ``StepTimeout`` can land.)
    """

    def __init__(self, at: int, exc: type[BaseException]) -> None:
        self.at, self.exc = at, exc
        self.lines, self.fired = 0, False

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename not in CLEANUP_FILES:
            return None
        return self.line if cleaning_up(frame) else None

    def line(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.lines += 1
            if self.lines - 1 == self.at:
                self.fired = True
                raise self.exc()
        return self.line


def live_deadline_timers() -> list[threading.Timer]:
    """Return the deadline timers that could still fire (not cancelled, not done)."""
    return [
        t for t in threading.enumerate()
        if isinstance(t, threading.Timer) and isinstance(getattr(t.function, "__self__", None), deadline.Deadline)
        and not t.finished.is_set()
    ]


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, deadline.StepTimeout])
def test_an_interrupt_landing_anywhere_in_the_cleanup_still_restores_every_hook_and_stops_the_deadline(
    ip, interrupt: type[BaseException]
) -> None:
    before = hooks(ip)
    executor = IPythonExecutor(ip)
    at = 0
    while True:
        inject = InterruptAt(at, interrupt)
        sys.settrace(inject)
        try:
            obs = executor.run(f"cleaned_up = {at}", timeout=60)
        except KeyboardInterrupt:
            assert interrupt is KeyboardInterrupt and inject.fired  # the user's interrupt still ends the run
        else:
            # a StepTimeout is never the agent's to catch: wherever it lands, it is this step's observation
            assert not inject.fired or (interrupt is deadline.StepTimeout and obs.error_name == "StepTimeout"), at
        finally:
            sys.settrace(None)
        assert hooks(ip) == before, f"a hook stayed ours after an interrupt at cleanup line {at}"
        assert live_deadline_timers() == [], f"the deadline kept a timer after an interrupt at cleanup line {at}"
        if not inject.fired:
            break
        at += 1
    assert at > 20 and ip.user_ns["cleaned_up"] == at  # every line was hit; the last run had no interrupt
    assert executor.run("1 / 0").error_name == "ZeroDivisionError"


