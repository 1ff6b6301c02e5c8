"""The token, time and cost budgets of a run, and the repeat detector."""

from __future__ import annotations

import pytest

from jupyter_autogpt.agent.budgets import DEFAULT_REPLY_TOKENS, Budgets, check_repeats
from jupyter_autogpt.errors import BudgetExceeded, ModelBehaviourError
from jupyter_autogpt.types import Message, RunConfig, Step, Usage


def budgets(model: str = "openai:gpt-4o-mini", **config: object) -> Budgets:
    return Budgets(RunConfig(model=model, **config), model, started=100.0)  # type: ignore[arg-type]


def test_no_budget_never_stops_a_run() -> None:
    budgets().check(Usage(10**9, 10**9), now=10**6)


@pytest.mark.parametrize(
    ("config", "usage", "now", "names"),
    [
        ({"max_tokens": 1_000}, Usage(600, 400), 100.0, "token budget used up (1,000 of 1,000)"),
        ({"max_time": 30}, Usage(), 131.0, "time budget used up (31s of 30s)"),
        ({"max_cost": 0.01}, Usage(10_000_000, 0), 100.0, "cost budget used up (about $1.5000 of $0.01"),
    ],
)
def test_each_budget_stops_the_run_naming_itself(config: dict, usage: Usage, now: float, names: str) -> None:
    with pytest.raises(BudgetExceeded, match=names.replace("(", r"\(").replace(")", r"\)").replace("$", r"\$")):
        budgets(**config).check(usage, now)


def test_an_unpriced_model_cannot_enforce_a_cost_budget() -> None:
    assert not budgets("openai:my-llama", max_cost=0.01).priced()
    budgets("openai:my-llama", max_cost=0.01).check(Usage(10**9, 10**9), 100.0)  # unknown price: no stop
    assert budgets("transformers:/m").priced()


def test_the_rest_of_the_token_budget_caps_a_reply_only_below_the_default() -> None:
    messages = [Message("user", "x" * 400)]
    cap = budgets(max_tokens=500).reply_cap(Usage(100, 100), messages)
    assert cap is not None and 1 <= cap < 300
    assert budgets(max_tokens=10**6).reply_cap(Usage(), messages) is None
    assert budgets().reply_cap(Usage(), messages) is None
    assert DEFAULT_REPLY_TOKENS > 0


def test_a_step_gets_the_timeout_cut_to_what_is_left_of_the_time_budget() -> None:
    assert budgets(timeout=300).step_timeout(now=150.0) == 300
    assert budgets(timeout=300, max_time=60).step_timeout(now=130.0) == pytest.approx(30.0)
    assert budgets(timeout=5, max_time=60).step_timeout(now=130.0) == 5
    with pytest.raises(BudgetExceeded, match="before the step's code ran"):
        budgets(max_time=60).step_timeout(now=161.0)


def test_three_identical_failing_steps_end_the_run() -> None:
    failing = [Step(i, "r", "1/0", error="ZeroDivisionError") for i in range(1, 4)]
    with pytest.raises(ModelBehaviourError, match="same failing code 3 times"):
        check_repeats(failing)
    check_repeats(failing[:2])
    check_repeats([*failing[:2], Step(3, "r", "1/0")])  # the third one worked
    check_repeats([*failing[:2], Step(3, "r", "2/0", error="ZeroDivisionError")])  # different code


def test_a_request_may_take_what_is_left_of_the_time_budget() -> None:
    assert budgets().time_left(now=10**6) is None
    assert budgets(max_time=60).time_left(now=130.0) == pytest.approx(30.0)
    assert budgets(max_time=60).time_left(now=500.0) == 0.0


def test_a_wait_that_ended_with_the_time_budget_is_a_budget_stop() -> None:
    budgets(max_time=60).check_wait(now=159.0)  # time left: the backend's own error stands
    budgets().check_wait(now=10**6)
    with pytest.raises(BudgetExceeded, match=r"time budget used up \(60s\) while waiting for the model"):
        budgets(max_time=60).check_wait(now=160.0)
