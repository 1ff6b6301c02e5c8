"""The agent loop on the real IPython executor: what only a real shell shows (interrupts, timeouts, bindings)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from jupyter_autogpt.agent import Agent, run_to_completion
from jupyter_autogpt.errors import ModelBackendError, ModelContextError
from jupyter_autogpt.events import Noticed
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import Decision, GenerationSettings, Message, RunConfig
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
    import _thread
    import threading

    started = threading.Event()
    ip.user_ns["started"] = started

    def press_interrupt() -> None:  # the user presses Interrupt while the second step runs
        if started.wait(30):
            _thread.interrupt_main()

    helper = threading.Thread(target=press_interrupt, daemon=True)
    helper.start()
    busy = "started.set()\nimport time\nwhile True:\n    time.sleep(0.01)"
    agent, model = make_agent(ip, [code("before = 1"), code(busy), code("final_answer(0)")])
    run = run_to_completion(agent, "g")
    helper.join(30)
    assert run.status == "interrupted"
    assert len(run.steps) == 1 and model.remaining == 1


def test_code_that_raises_keyboardinterrupt_itself_is_a_step_error_not_the_users_interrupt(ip) -> None:
    agent, model = make_agent(ip, [code("raise KeyboardInterrupt"), code("final_answer('went on')")])
    run = run_to_completion(agent, "g")
    assert run.status == "finished" and run.answer == "went on" and model.remaining == 0
    assert run.steps[0].error is not None and "KeyboardInterrupt" in run.steps[0].error


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


def test_flagged_steps_under_auto_run_and_are_marked(ip) -> None:
    ip.user_ns["df"] = [1, 2]
    agent, _ = make_agent(ip, [code("df = 'replaced'"), code("final_answer(df)")])
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
    agent, model = make_agent(ip, ["Which file should I read?", "I could not tell which file; none read?"])
    run = run_to_completion(agent, "read the data")
    assert run.status == "finished" and run.answer.startswith("I could not tell")
    assert "Nobody can answer questions" in model.prompt_text(1)
    assert "Which file should I read?" in model.prompt_text(1)


def test_a_premature_answer_is_re_asked_only_for_values_the_overview_cannot_show(ip) -> None:
    ip.user_ns["small"] = [1, 2, 3]
    ip.user_ns["big"] = list(range(100))
    agent, _ = make_agent(ip, ["6"])
    assert run_to_completion(agent, "sum small").answer == "6"
    agent, model = make_agent(ip, ["4950", code("final_answer(sum(big))")])
    run = run_to_completion(agent, "sum big")
    assert run.answer == 4950 and "before running any code" in model.prompt_text(1)


def test_a_context_overflow_is_compacted_and_retried_once(ip) -> None:
    overflow = ModelContextError("too long")
    agent, model = make_agent(ip, [code("print('z' * 5000)"), overflow, code("final_answer(1)")])
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
    agent, model = make_agent(ip, [code(f"import os\n{answer}"), code("final_answer(os.environ['OPENAI_API_KEY'])")])
    run = run_to_completion(agent, "g")
    assert SECRET_KEY not in model.prompt_text(1) and "[REDACTED]" in model.prompt_text(1)
    assert run.answer == "[REDACTED]"


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
    agent, _ = make_agent(ip, [code("ran_before_refusal = 1\nget_ipython().ask_exit()"), code("final_answer(2)")])
    run = run_to_completion(agent, "g")
    assert run.answer == 2 and run.steps[0].observation is not None
    assert run.steps[0].observation.error_name == "Refused" and run.steps[0].flags == ("kernel",)
    assert "ran_before_refusal" not in ip.user_ns and "Nothing in this step ran" in run.steps[0].output



def test_a_user_interrupt_right_after_final_answer_keeps_the_answer(ip) -> None:
    import _thread
    import threading

    answered = threading.Event()
    ip.user_ns["answered"] = answered

    def interrupt_once_answered() -> None:  # the user presses Interrupt while the step is still busy
        if answered.wait(30):
            _thread.interrupt_main()

    helper = threading.Thread(target=interrupt_once_answered, daemon=True)
    helper.start()
    src = "final_answer({'mean': 4.2})\nanswered.set()\nimport time\nwhile True:\n    time.sleep(0.01)"
    agent, model = make_agent(ip, [code(src), code("final_answer('never asked')")])
    events = list(agent.run("g"))
    helper.join(30)
    run = events[-1].run
    assert run.status == "finished" and run.answer == {"mean": 4.2} and model.remaining == 1
    assert run.steps[0].observation is not None and run.steps[0].observation.error_name == "KeyboardInterrupt"
    assert any(isinstance(e, Noticed) and "the answer is kept" in e.message for e in events)
    assert "final_answer" not in ip.user_ns  # the run still cleaned up after itself
