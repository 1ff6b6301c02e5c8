"""The plan in the loop (``agent/planning.py``): read from replies, ticked as steps finish, reviewed under --plan.

The loop runs for real on ``ScriptedModel`` and ``ScriptedExecutor``; reviewers are plain functions (the seam the
session fills with the widget panel, a text prompt or a refusal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from jupyter_autogpt.agent import Agent
from jupyter_autogpt.agent.plan_review import NO_REVIEWER, stdin_reviewer
from jupyter_autogpt.events import Event, PlanUpdated, RunFinished, StepFinished
from jupyter_autogpt.plan import Plan, PlanDecision
from jupyter_autogpt.testing import ScriptedExecutor, ScriptedModel
from jupyter_autogpt.types import Run, RunConfig
from support.replies import code

PLAN = "Plan:\n1. Look at x\n2. Double it\n3. Answer\n"


def run_events(replies: list[str], reviewer: Callable[[Plan], PlanDecision] | None = None,
               review: bool = False, namespace: dict | None = None) -> tuple[list[Event], ScriptedModel, ScriptedExecutor]:
    model = ScriptedModel(replies)
    executor = ScriptedExecutor({"x": 21} if namespace is None else namespace)
    agent = Agent(model, executor, RunConfig(model="scripted", plan_review=review), plan_reviewer=reviewer)
    events = list(agent.run("Double x."))
    model.assert_all_used()
    return events, model, executor


def finished(events: list[Event]) -> Run:
    last = events[-1]
    assert isinstance(last, RunFinished)
    return last.run


def plans(events: list[Event]) -> Iterator[str]:
    for event in events:
        if isinstance(event, PlanUpdated):
            yield " ".join(f"{i.state}:{i.text}" for i in event.plan.items)


def test_the_first_plan_ticks_as_steps_finish_and_all_at_the_answer() -> None:
    events, _, _ = run_events([PLAN + code("print(x)"), code("y = x * 2"), code("final_answer(y)")])
    assert list(plans(events)) == [
        "doing:Look at x todo:Double it todo:Answer",
        "done:Look at x doing:Double it todo:Answer",
        "done:Look at x done:Double it doing:Answer",
        "done:Look at x done:Double it done:Answer",
    ]
    run = finished(events)
    assert run.answer == 42 and run.plan is not None and run.plan.done == 3 and run.plan.revision == 1
    step_done = next(i for i, e in enumerate(events) if isinstance(e, StepFinished))
    tick = [i for i, e in enumerate(events) if isinstance(e, PlanUpdated)][1]
    assert step_done < tick  # the item ticks once its step has finished


def test_a_failing_step_does_not_tick_and_a_revision_keeps_what_was_done() -> None:
    revised = "Revised plan:\n1. [x] Look at x\n2. Halve it instead\n3. Answer\n"
    events, _, _ = run_events([PLAN + code("print(x)"), code("1 / 0"), revised + code("h = x / 2"),
                               code("final_answer(h)")])
    seen = list(plans(events))
    assert seen[1] == "done:Look at x doing:Double it todo:Answer"  # after step 1; step 2 failed: no tick
    assert seen[2] == "done:Look at x doing:Halve it instead todo:Answer"
    run = finished(events)
    assert run.plan is not None and run.plan.revision == 2 and run.plan.step == 3 and run.plan.done == 3


def test_a_model_that_sends_no_plan_still_works() -> None:
    events, model, _ = run_events([code("final_answer(x * 2)")])
    run = finished(events)
    assert run.status == "finished" and run.answer == 42 and run.plan is None
    assert not list(plans(events))
    assert "Plan:" in model.calls[0][0].content  # the system prompt asked for one


def test_a_restated_plan_is_no_revision() -> None:
    events, _, _ = run_events([PLAN + code("print(x)"), PLAN + code("final_answer(x * 2)")])
    run = finished(events)
    assert run.plan is not None and run.plan.revision == 1


def test_under_plan_an_unchanged_plan_runs_its_code() -> None:
    asked: list[Plan] = []

    def accept(plan: Plan) -> PlanDecision:
        asked.append(plan)
        return PlanDecision("run")

    events, _, executor = run_events([PLAN + code("print(x)"), code("final_answer(x * 2)")], accept, review=True)
    assert [p.texts for p in asked] == [("Look at x", "Double it", "Answer")]  # asked once, before the first code
    assert executor.codes == ["print(x)", "final_answer(x * 2)"]
    assert finished(events).status == "finished"


def test_under_plan_an_edit_reaches_the_model_and_the_proposed_code_does_not_run() -> None:
    def edit(plan: Plan) -> PlanDecision:
        return PlanDecision("run", items=("Look at x", "Triple it", "Answer in words"), feedback="no plots please")

    events, model, executor = run_events(
        [PLAN + code("print('proposed')"), code("final_answer(x * 3)")], edit, review=True
    )
    run = finished(events)
    assert executor.codes == ["final_answer(x * 3)"]  # the code of the reviewed reply never ran
    assert run.steps[0].skipped and run.answer == 63
    second = model.prompt_text(1)
    assert "1. Look at x\n2. Triple it\n3. Answer in words" in second and "User feedback: no plots please" in second
    assert "Your code did not run" in second
    assert run.plan is not None and run.plan.by == "user" and run.plan.texts == ("Look at x", "Triple it",
                                                                                  "Answer in words")
    assert run.plan.done == 3  # the run finished: every item of the user's plan is done


def test_under_plan_feedback_alone_keeps_the_models_plan() -> None:
    events, model, executor = run_events(
        [PLAN + code("print('proposed')"), code("final_answer(x)")],
        lambda plan: PlanDecision("run", feedback="use the median"), review=True,
    )
    assert executor.codes == ["final_answer(x)"]
    assert "User feedback: use the median" in model.prompt_text(1) and "replaces yours" not in model.prompt_text(1)
    assert finished(events).plan.by == "model"  # type: ignore[union-attr]


def test_under_plan_stop_ends_the_run_before_any_code() -> None:
    events, _, executor = run_events([PLAN + code("print(x)")], lambda plan: PlanDecision("stop"), review=True)
    run = finished(events)
    assert run.status == "interrupted" and run.error == "stopped at the plan review" and executor.codes == []


def test_under_plan_a_reply_without_a_plan_is_reviewed_with_none() -> None:
    asked: list[Plan] = []

    def write_one(plan: Plan) -> PlanDecision:
        asked.append(plan)
        return PlanDecision("run", items=("Look", "Answer"))

    _events, model, executor = run_events([code("print(x)"), code("final_answer(x)")], write_one, review=True)
    assert asked[0].items == () and executor.codes == ["final_answer(x)"]
    assert "1. Look\n2. Answer" in model.prompt_text(1)


def test_under_plan_nobody_to_ask_ends_the_run_saying_why() -> None:
    events, _, executor = run_events([PLAN + code("print(x)")], None, review=True)
    run = finished(events)
    assert run.status == "interrupted" and run.error == NO_REVIEWER and executor.codes == []


def test_without_plan_review_no_reviewer_is_asked() -> None:
    def never(plan: Plan) -> PlanDecision:
        raise AssertionError("asked without --plan")

    events, _, _ = run_events([PLAN + code("final_answer(x)")], never, review=False)
    assert finished(events).status == "finished"


def scripted_input(*answers: str) -> tuple[Callable[[str], str], list[str]]:
    prompts: list[str] = []
    queue = list(answers)

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return queue.pop(0)

    return ask, prompts


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (("",), PlanDecision("run")),
        (("y",), PlanDecision("run")),
        (("s",), PlanDecision("stop")),
        (("no",), PlanDecision("stop")),
        (("e", "1. Load", "- Count rows", ""), PlanDecision("run", items=("Load", "Count rows"))),
        (("please use the median",), PlanDecision("run", feedback="please use the median")),
    ],
)
def test_the_text_prompt_reviewer(answers: tuple[str, ...], expected: PlanDecision) -> None:
    ask, prompts = scripted_input(*answers)
    said: list[str] = []
    decision = stdin_reviewer(ask, said.append)(Plan.of([("Load", False), ("Count", False)], step=1))
    assert decision == expected
    assert said[0] == "Plan:\n  1. Load\n  2. Count" and said[-1].startswith("→ ")
    assert "[y]es / [s]top / [e]dit" in prompts[0]
