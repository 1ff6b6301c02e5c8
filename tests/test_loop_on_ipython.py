"""The agent loop on the real IPython executor: what only a real shell shows (interrupts, timeouts, bindings)."""

from __future__ import annotations

from collections.abc import Sequence

from jupyter_autogpt.agent import Agent, run_to_completion
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import Message, RunConfig
from support.replies import code


def make_agent(ip, replies, **config) -> tuple[Agent, ScriptedModel]:
    model = ScriptedModel(replies)
    return Agent(model, IPythonExecutor(ip), RunConfig(model="scripted", **config)), model


def test_final_answer_is_removed_and_a_user_binding_restored(ip) -> None:
    agent, _ = make_agent(ip, [code("final_answer(1)")])
    run_to_completion(agent, "g")
    assert "final_answer" not in ip.user_ns
    ip.user_ns["final_answer"] = "the user's own"
    agent, _ = make_agent(ip, [code("final_answer(2)")])
    assert run_to_completion(agent, "g").answer == 2
    assert ip.user_ns["final_answer"] == "the user's own"


def test_an_interrupt_inside_generated_code_stops_the_run(ip) -> None:
    agent, model = make_agent(ip, [code("before = 1"), code("raise KeyboardInterrupt"), code("final_answer(0)")])
    run = run_to_completion(agent, "g")
    assert run.status == "interrupted"
    assert len(run.steps) == 1 and model.remaining == 1


def test_the_time_budget_bounds_a_single_step(ip) -> None:
    now = [0.0]

    def slow_thinker(messages: Sequence[Message]) -> str:
        now[0] = 99.7  # the model used almost all of --max-time
        return code("import time\nwhile True:\n    time.sleep(0.01)")

    model = ScriptedModel([slow_thinker, code("final_answer('in time')")])
    config = RunConfig(model="s", max_time=100, timeout=None)
    run = run_to_completion(Agent(model, IPythonExecutor(ip), config, clock=lambda: now[0]), "g")
    assert "StepTimeout" in (run.steps[0].error or "") and "0.3s timeout" in (run.steps[0].error or "")
    assert run.answer == "in time"


