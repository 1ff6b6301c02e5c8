"""Guards and recoveries at the InteractiveShell level: hooks restored, deadlines, undo, re-asks, retries."""

from __future__ import annotations

import builtins
import getpass
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import Any

import pytest

from jupyter_autogpt.agent import Agent, run_to_completion
from jupyter_autogpt.errors import ModelBackendError, ModelContextError
from jupyter_autogpt.events import Noticed
from jupyter_autogpt.execution import deadline, guards
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import Decision, GenerationSettings, Message, RunConfig


def code(src: str) -> str:
    return f"Next.\n```python\n{src}\n```"


def hooks(ip) -> tuple:
    return (sys.displayhook, builtins.input, builtins.print, getpass.getpass, signal.getsignal(signal.SIGINT),
            vars(ip).get("_showtraceback"), ip.display_trap.hook)


def agent_for(ip, replies, **config) -> tuple[Agent, ScriptedModel]:
    model = ScriptedModel(replies)
    return Agent(model, IPythonExecutor(ip), RunConfig(model="scripted", **config)), model


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


def test_flagged_steps_under_auto_run_and_are_marked(ip) -> None:
    ip.user_ns["df"] = [1, 2]
    agent, _ = agent_for(ip, [code("df = 'replaced'"), code("final_answer(df)")])
    events = list(agent.run("g"))
    run = events[-1].run
    assert run.steps[0].flags == ("rebind",) and "Flagged by the risk policy" in run.steps[0].output
    assert any(isinstance(e, Noticed) and "risk flags" in e.message for e in events)
    assert agent.executor.undo().restored == (("df", "rebound"),) and ip.user_ns["df"] == [1, 2]


def test_ask_risky_asks_only_for_flagged_steps_and_the_answer_is_not_marked_auto(ip) -> None:
    ip.user_ns["df"] = [1]
    asked = []

    def approver(proposal) -> Decision:
        asked.append(proposal.index)
        return Decision("run")

    model = ScriptedModel([code("n = 1"), code("del df"), code("final_answer(n)")])
    run = run_to_completion(Agent(model, IPythonExecutor(ip), RunConfig(policy="ask-risky"), approver=approver), "g")
    assert asked == [2] and "Flagged by the risk policy" not in run.steps[1].output


def test_a_question_back_gets_one_re_ask_and_a_second_is_the_answer(ip) -> None:
    agent, model = agent_for(ip, ["Which file should I read?", "I could not tell which file; none read?"])
    run = run_to_completion(agent, "read the data")
    assert run.status == "finished" and run.answer.startswith("I could not tell")
    assert "Nobody can answer questions" in model.prompt_text(1)
    assert "Which file should I read?" in model.prompt_text(1)


def test_a_premature_answer_is_re_asked_only_for_values_the_overview_cannot_show(ip) -> None:
    ip.user_ns["small"] = [1, 2, 3]
    ip.user_ns["big"] = list(range(100))
    agent, _ = agent_for(ip, ["6"])
    assert run_to_completion(agent, "sum small").answer == "6"
    agent, model = agent_for(ip, ["4950", code("final_answer(sum(big))")])
    run = run_to_completion(agent, "sum big")
    assert run.answer == 4950 and "before running any code" in model.prompt_text(1)


def test_a_context_overflow_is_compacted_and_retried_once(ip) -> None:
    overflow = ModelContextError("too long")
    agent, model = agent_for(ip, [code("print('z' * 5000)"), overflow, code("final_answer(1)")])
    events = list(agent.run("g"))
    assert events[-1].run.status == "finished"
    assert any(isinstance(e, Noticed) and e.level == "retry" for e in events)
    assert sum(len(m.content) for m in model.calls[2]) < sum(len(m.content) for m in model.calls[1])


class DroppingModel:
    """Streams part of a reply, then breaks like a cut connection; later requests succeed."""

    id = "dropping"

    def __init__(self, replies: Sequence[str]) -> None:
        self.scripted = ScriptedModel(replies)
        self.dropped = False

    def stream(self, messages: Sequence[Message], settings: GenerationSettings) -> Iterator[str]:
        if not self.dropped:
            self.dropped = True
            yield "Let me "
            raise ModelBackendError("the stream broke", transient=True)
        yield from self.scripted.stream(messages, settings)


def test_a_stream_dropped_mid_reply_is_retried_once_and_not_counted(ip) -> None:
    model = DroppingModel([code("final_answer(7)")])
    events = list(Agent(model, IPythonExecutor(ip), RunConfig(model="d", max_steps=1)).run("g"))
    assert events[-1].run.answer == 7
    assert [e.level for e in events if isinstance(e, Noticed)] == ["retry"]


def test_max_cost_stops_a_priced_model_and_warns_for_an_unknown_price(ip) -> None:
    model = ScriptedModel([code("a_cost = 1"), code("final_answer(1)")], id="openai:gpt-4o")
    run = run_to_completion(Agent(model, IPythonExecutor(ip), RunConfig(max_cost=1e-6)), "g")
    assert run.status == "max_steps" and "cost budget" in (run.error or "")
    model = ScriptedModel([code("final_answer(1)")], id="openai:my-local-llm")
    events = list(Agent(model, IPythonExecutor(ip), RunConfig(max_cost=1.0)).run("g"))
    assert any(isinstance(e, Noticed) and "cannot be enforced" in e.message for e in events)


@pytest.mark.parametrize("answer", ["os.environ['OPENAI_API_KEY']", "{'k': os.environ['OPENAI_API_KEY']}"])
def test_secrets_are_redacted_from_answers_and_results(ip, monkeypatch, answer: str) -> None:
    from conftest import SECRET_KEY

    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)
    agent, model = agent_for(ip, [code(f"import os\n{answer}"), code("final_answer(os.environ['OPENAI_API_KEY'])")])
    run = run_to_completion(agent, "g")
    assert SECRET_KEY not in model.prompt_text(1) and "[REDACTED]" in model.prompt_text(1)
    assert run.answer == "[REDACTED]"


def test_displays_keep_only_types_a_saved_notebook_renders_and_are_bounded(ip) -> None:
    from jupyter_autogpt.execution.outputs import RICH_CHARS

    widget = {"model_id": "abc123", "version_major": 2, "version_minor": 0}
    obs = IPythonExecutor(ip).run(
        "from IPython.display import publish_display_data as show\n"
        f"show({{'text/plain': 'IntSlider(value=1)', 'application/vnd.jupyter.widget-view+json': {widget!r}}})\n"
        f"show({{'text/plain': 'Figure()', 'application/vnd.plotly.v1+json': {{'y': list(range({RICH_CHARS}))}}}})\n"
        f"show({{'text/html': '<b>' + 'x' * {RICH_CHARS} + '</b>'}})\n"
        "show({'application/vnd.custom+json': {'k': 1}, 'application/json': [1, 2], 'image/svg+xml': '<svg/>',"
        " 'application/javascript': 'alert(1)', 'text/markdown': '**hi**'})\n"
    )
    slider, figure, html, small = obs.displays
    assert slider == {"text/plain": "IntSlider(value=1)"}  # the widget's view needs this kernel: dropped
    assert set(figure) == {"text/plain"} and figure["text/plain"].startswith("Figure()\n[application/vnd.plotly")
    assert set(html) == {"text/plain"} and "text/html output of" in html["text/plain"]
    assert set(small) == {"application/vnd.custom+json", "application/json", "image/svg+xml", "text/markdown"}
    assert sum(len(str(d)) for d in obs.displays) < 2_000


def test_a_refused_step_under_ask_risky_is_asked_about_and_recorded_with_its_flag(ip) -> None:
    asked = []

    def approver(proposal) -> Decision:
        asked.append(proposal.flags)
        return Decision("run")

    # an alias of a kernel killer that does nothing on a terminal shell, should the refusal ever regress
    model = ScriptedModel([code("shell = get_ipython()\nshell.ask_exit()"), code("final_answer('alive')")])
    run = run_to_completion(Agent(model, IPythonExecutor(ip), RunConfig(policy="ask-risky"), approver=approver), "g")
    assert asked == [("kernel",)] and run.answer == "alive"
    step = run.steps[0]
    assert step.flags == ("kernel",) and step.observation is not None and step.observation.error_name == "Refused"
    assert "Refused before running: `get_ipython.ask_exit(...)`" in step.output


def test_a_refused_step_never_reaches_the_executor_and_nothing_in_it_runs(ip) -> None:
    agent, _ = agent_for(ip, [code("ran_before_refusal = 1\nget_ipython().ask_exit()"), code("final_answer(2)")])
    run = run_to_completion(agent, "g")
    assert run.answer == 2 and run.steps[0].observation is not None
    assert run.steps[0].observation.error_name == "Refused" and run.steps[0].flags == ("kernel",)
    assert "ran_before_refusal" not in ip.user_ns and "Nothing in this step ran" in run.steps[0].output

