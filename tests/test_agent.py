"""The agent loop with ScriptedModel and ScriptedExecutor: no IPython, no network."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from jupyter_autogpt.agent import Agent, run_to_completion
from jupyter_autogpt.events import (
    CodeExecuted,
    CodeProposed,
    FinalAnswer,
    ModelDelta,
    Noticed,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from jupyter_autogpt.testing import ScriptedExecutor, ScriptedModel, ScriptExhausted
from jupyter_autogpt.types import Decision, GenerationSettings, Message, RunConfig
from support.replies import code


@pytest.fixture
def ns() -> dict:
    """Return the namespace the scripted executor runs the agent's code in."""
    return {}


def make_agent(ns, replies, **config) -> tuple[Agent, ScriptedModel]:
    model = ScriptedModel(replies)
    return Agent(model, ScriptedExecutor(ns), RunConfig(model="scripted", **config)), model


def test_final_answer_ends_the_run_with_any_python_object(ns) -> None:
    ns["sales"] = {"north": 3, "south": 5}
    agent, model = make_agent(ns, [code("best = max(sales, key=sales.get)\nbest"), code("final_answer({'region': best})")])
    run = run_to_completion(agent, "Which region sold most?")
    assert run.status == "finished"
    assert run.answer == {"region": "south"}
    assert [s.code for s in run.steps] == ["best = max(sales, key=sales.get)\nbest", "final_answer({'region': best})"]
    assert "south" in run.steps[0].output  # the last expression's value reached the model
    assert ns["best"] == "south"  # the code ran in the user's namespace
    model.assert_all_used()


def test_the_first_prompt_holds_goal_and_namespace(ns) -> None:
    ns["revenue_table"] = [1, 2, 3]
    agent, model = make_agent(ns, ["The answer is 6."])
    run = run_to_completion(agent, "Sum revenue_table")
    first = model.calls[0]
    assert first[0].role == "system" and "final_answer" in first[0].content
    assert "Sum revenue_table" in first[1].content and "revenue_table" in first[1].content
    assert run.status == "finished" and run.answer == "The answer is 6."


def test_errors_go_back_to_the_model_with_their_traceback_and_it_repairs(ns) -> None:
    agent, model = make_agent(ns, [code("total = undefined_name + 1"), code("total = 41 + 1"), code("final_answer(total)")])
    run = run_to_completion(agent, "compute")
    assert run.status == "finished" and run.answer == 42
    assert run.steps[0].error and "NameError" in run.steps[0].error
    repair_prompt = model.prompt_text(1)
    assert "NameError" in repair_prompt and "undefined_name" in repair_prompt and "Traceback" in repair_prompt
    assert run.steps[1].error is None


def test_max_steps_is_a_hard_limit_on_model_replies(ns) -> None:
    agent, model = make_agent(ns, [code(f"x{i} = {i}") for i in range(3)], max_steps=3)
    run = run_to_completion(agent, "never finishes")
    assert run.status == "max_steps"
    assert len(model.calls) == 3 and len(run.steps) == 3
    assert "step budget" in (run.error or "")


def test_events_arrive_in_order_and_stream_the_reply(ns) -> None:
    agent, _ = make_agent(ns, [code("print('hi')"), code("final_answer('done')")])
    events = list(agent.run("say hi"))
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "RunStarted" and kinds[-2:] == ["FinalAnswer", "RunFinished"]
    step1 = kinds[kinds.index("StepStarted") : kinds.index("StepFinished") + 1]
    assert step1[:2] == ["StepStarted", "ModelDelta"]
    assert step1[-4:] == ["ModelReplied", "CodeProposed", "CodeExecuted", "StepFinished"]
    deltas = "".join(e.text for e in events if isinstance(e, ModelDelta) and e.index == 1)
    assert deltas == code("print('hi')")
    executed = next(e for e in events if isinstance(e, CodeExecuted))
    assert executed.observation.stdout == "hi\n"
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    assert isinstance(events[-2], FinalAnswer) and events[-2].text == "done"
    assert sum(isinstance(e, StepStarted) for e in events) == sum(isinstance(e, StepFinished) for e in events) == 2


class InterruptingModel:
    """A backend whose stream is cut by Ctrl-C after a few pieces, as a kernel interrupt does."""

    id = "interrupting"

    def __init__(self, before: Sequence[str]) -> None:
        self.scripted = ScriptedModel(before)

    def stream(self, messages: Sequence[Message], settings: GenerationSettings) -> Iterator[str]:
        if self.scripted.remaining:
            yield from self.scripted.stream(messages, settings)
            return
        yield "Let me "
        raise KeyboardInterrupt


def test_an_interrupt_mid_stream_keeps_the_steps_done(ns) -> None:
    model = InterruptingModel([code("kept = 'yes'")])
    run = run_to_completion(Agent(model, ScriptedExecutor(ns), RunConfig(model="x")), "g")
    assert run.status == "interrupted"
    assert [s.code for s in run.steps] == ["kept = 'yes'"]
    assert ns["kept"] == "yes" and "final_answer" not in ns


def test_an_empty_reply_gets_a_corrective_re_ask(ns) -> None:
    agent, model = make_agent(ns, ["", code("final_answer(5)")])
    events = list(agent.run("g"))
    run = events[-1].run
    assert run.status == "finished" and run.answer == 5
    assert any(isinstance(e, Noticed) for e in events)
    assert "empty" in model.prompt_text(1)


def test_a_model_repeating_failing_code_is_stopped(ns) -> None:
    agent, _ = make_agent(ns, [code("1/0")] * 5)
    run = run_to_completion(agent, "g")
    assert run.status == "failed" and "same failing code" in (run.error or "")
    assert len(run.steps) == 3


def test_token_budget_stops_the_run(ns) -> None:
    agent, model = make_agent(ns, [code("a = 1"), code("b = 2"), code("final_answer(3)")], max_tokens=10)
    run = run_to_completion(agent, "g")
    assert run.status == "max_steps" and "token budget" in (run.error or "")
    assert len(model.calls) == 1


def test_backend_failures_end_the_run_as_failed_with_the_transcript(ns) -> None:
    from jupyter_autogpt.errors import ModelBackendError

    agent, _ = make_agent(ns, [code("a = 1"), ModelBackendError("server exploded")])
    run = run_to_completion(agent, "g")
    assert run.status == "failed" and run.error == "server exploded"
    assert len(run.steps) == 1


def test_the_script_complains_when_the_agent_asks_for_more(ns) -> None:
    model = ScriptedModel([code("a = 1")])
    agent = Agent(model, ScriptedExecutor(ns), RunConfig(model="s", max_steps=3))
    run = run_to_completion(agent, "g")
    assert run.status == "failed" and "script has 1" in (run.error or "")
    with pytest.raises(ScriptExhausted):
        list(model.stream([], GenerationSettings()))


def test_approver_can_edit_skip_and_stop(ns) -> None:
    answers = iter([Decision("run", code="edited = 'by the user'"), Decision("skip", feedback="use pandas"),
                    Decision("stop")])
    seen: list[CodeProposed] = []

    def approver(proposal: CodeProposed) -> Decision:
        seen.append(proposal)
        return next(answers)

    model = ScriptedModel([code("edited = 'by the model'"), code("import os"), code("final_answer(1)")])
    agent = Agent(model, ScriptedExecutor(ns), RunConfig(model="s", approve=True), approver=approver)
    run = run_to_completion(agent, "g")
    assert [p.index for p in seen] == [1, 2, 3]
    assert ns["edited"] == "by the user"
    assert run.steps[0].code == "edited = 'by the user'"
    assert run.steps[1].skipped and "use pandas" in model.prompt_text(2)
    assert run.status == "interrupted" and len(run.steps) == 2


def test_ask_risky_policy_asks_only_for_flagged_steps(ns) -> None:
    ns["df"] = [1, 2]
    asked: list[tuple[str, ...]] = []

    def approver(proposal: CodeProposed) -> Decision:
        asked.append(proposal.flags)
        return Decision("skip")

    model = ScriptedModel([code("n = len(df)"), code("df = None"), code("final_answer(n)")])
    run = run_to_completion(
        Agent(model, ScriptedExecutor(ns), RunConfig(model="s", policy="ask-risky"), approver=approver), "g"
    )
    assert asked == [("rebind",)]
    assert ns["df"] == [1, 2] and run.answer == 2


def test_stop_requested_ends_at_the_next_step_boundary(ns) -> None:
    flag = {"stop": False}
    model = ScriptedModel([code("flag_seen = 1"), code("final_answer(1)")])

    def stop() -> bool:
        return flag["stop"]

    agent = Agent(model, ScriptedExecutor(ns), RunConfig(model="s"), should_stop=stop)
    events = agent.run("g")
    for event in events:
        if isinstance(event, StepFinished):
            flag["stop"] = True
        if isinstance(event, RunFinished):
            run = event.run
    assert run.status == "interrupted" and len(run.steps) == 1 and model.remaining == 1


def test_prompt_history_keeps_goal_and_overview_over_long_runs(ns) -> None:
    ns["frame_of_interest"] = list(range(10))
    replies = [code(f"print('x' * 5000, {i})") for i in range(12)] + [code("final_answer(0)")]
    agent, model = make_agent(ns, replies, max_steps=13, context_chars=2000)
    run_to_completion(agent, "Long goal text here")
    sizes = [sum(len(m.content) for m in call) for call in model.calls]
    last = model.calls[-1]
    assert "Long goal text here" in last[1].content and "frame_of_interest" in last[1].content
    assert max(sizes[6:]) <= max(sizes[3:6]) * 1.2  # bounded: old outputs are compacted, not accumulated


def test_a_re_ask_continues_its_step_instead_of_starting_it_again(ns) -> None:
    ns["big_table"] = list(range(10_000))
    agent, _ = make_agent(ns, ["", "It is probably 42.", code("final_answer(len(big_table))")])
    events = list(agent.run("How long is big_table?"))
    assert [e.index for e in events if isinstance(e, StepStarted)] == [1]
    retries = [e for e in events if isinstance(e, Noticed)]
    assert [e.level for e in retries] == ["retry", "retry"] and all(e.index == 1 for e in retries)
    assert events[-1].run.answer == 10_000 and len(events[-1].run.steps) == 1


def test_a_step_whose_time_ran_out_while_the_model_wrote_it_does_not_run(ns) -> None:
    now = [0.0]

    def slowest_thinker(messages: Sequence[Message]) -> str:
        now[0] = 101.0
        return code("never_ran = 1")

    model = ScriptedModel([slowest_thinker])
    run = run_to_completion(Agent(model, ScriptedExecutor(ns), RunConfig(model="s", max_time=100),
                                  clock=lambda: now[0]), "g")
    assert run.status == "max_steps" and "time budget" in (run.error or "")
    assert "never_ran" not in ns


def test_the_rest_of_the_token_budget_caps_a_reply(ns) -> None:
    agent, model = make_agent(ns, [code("a = 1"), code("final_answer(a)")], max_tokens=900)
    run_to_completion(agent, "g")
    caps = [s.max_new_tokens for s in model.settings]
    assert caps[0] is not None and 1 <= caps[0] < 900 and caps[1] is not None and caps[1] < caps[0]
    agent, model = make_agent(ns, [code("final_answer(1)")], max_tokens=1_000_000)
    run_to_completion(agent, "g")
    assert model.settings[0].max_new_tokens is None  # never above a backend's own default
    agent, model = make_agent(ns, [code("final_answer(1)")])
    run_to_completion(agent, "g")
    assert model.settings[0].max_new_tokens is None


def test_code_edited_at_approval_is_analysed_again(ns) -> None:
    ns["df"] = [1, 2]
    model = ScriptedModel([code("n = 1"), code("final_answer(n)")])
    edits = iter([Decision("run", code="df = None\nn = 2"), Decision("run")])
    agent = Agent(model, ScriptedExecutor(ns), RunConfig(model="s", approve=True), approver=lambda p: next(edits))
    run = run_to_completion(agent, "g")
    assert run.steps[0].flags == ("rebind",) and run.steps[0].observation.flags == ("rebind",)
    assert run.answer == 2


def test_the_executor_interface_names_what_the_loop_calls() -> None:
    from jupyter_autogpt.execution.base import Executor

    assert {"user_names", "unseen"} <= set(dir(Executor))


def test_a_scripted_exception_class_is_raised(ns) -> None:
    agent, model = make_agent(ns, [code("a = 1"), KeyboardInterrupt])
    run = run_to_completion(agent, "g")
    assert run.status == "interrupted" and len(run.steps) == 1
    model.assert_all_used()


def test_a_script_that_ran_out_fails_assert_all_used(ns) -> None:
    model = ScriptedModel([code("a = 1")])
    run = run_to_completion(Agent(model, ScriptedExecutor(ns), RunConfig(model="s", max_steps=3)), "g")
    assert run.status == "failed" and model.exhausted
    with pytest.raises(ScriptExhausted, match="asked for 2 replies"):
        model.assert_all_used()


def test_a_secret_inside_a_non_string_answer_is_never_shown(ns, monkeypatch) -> None:
    secret = "k3y-" + "Zq8Lm2Xv9Tn4Bw7Ks1Hd"
    monkeypatch.setenv("MY_API_KEY", secret)
    agent, _ = make_agent(ns, [code("import os\nfinal_answer({'k': os.environ['MY_API_KEY'], 'n': 1})")])
    events = list(agent.run("g"))
    run = events[-1].run
    assert run.answer == {"k": secret, "n": 1}  # the object itself is the user's
    final = next(e for e in events if isinstance(e, FinalAnswer))
    for shown in (repr(run), run._repr_markdown_(), run.answer_text(), final.text):
        assert secret not in shown and "[REDACTED]" in shown


def test_a_budget_stop_names_its_budget_next_to_the_status(ns) -> None:
    agent, _ = make_agent(ns, [code("a = 1"), code("final_answer(3)")], max_tokens=10)
    run = run_to_completion(agent, "g")
    assert run.status == "max_steps"
    assert run.summary().startswith("max_steps (token budget used up")
    assert run.summary().count("token budget") == 1


def test_the_loop_and_its_test_doubles_run_without_ipython() -> None:
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from jupyter_autogpt.agent import Agent, run_to_completion\n"
        "from jupyter_autogpt.testing import ScriptedExecutor, ScriptedModel\n"
        "model = ScriptedModel(['```python\\nfinal_answer(x * 2)\\n```'])\n"
        "run = run_to_completion(Agent(model, ScriptedExecutor({'x': 21})), 'double x')\n"
        "print(run.status, run.answer, 'IPython' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["finished", "42", "False"]


def test_a_scripted_executor_can_return_scripted_observations() -> None:
    from jupyter_autogpt.types import Observation

    executor = ScriptedExecutor(observations=[Observation(stdout="rows: 3\n"), lambda c: Observation(answered=True,
                                                                                                      answer=c)])
    model = ScriptedModel([code("print(len(df))"), code("final_answer('three')")])
    run = run_to_completion(Agent(model, executor, RunConfig(model="s")), "count")
    assert executor.codes == ["print(len(df))", "final_answer('three')"]
    assert "rows: 3" in model.prompt_text(1) and run.answer == "final_answer('three')"
