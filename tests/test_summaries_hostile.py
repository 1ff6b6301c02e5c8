"""Hostile namespace objects: the overview degrades, stays bounded in time, and never lets one end the run.

Each class below is an object a careless user, an unlucky library or a model's earlier step could leave in the
namespace. The run must start anyway: the overview names such an object by its type, without raising, and
without waiting on it for longer than its share of the time budget.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import pytest

from jupyter_autogpt.agent import Agent, run_to_completion
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.execution.summaries import TimeBudget, describe, overview, summarize
from jupyter_autogpt.execution.variables import is_small, own_names
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import RunConfig
from support.replies import code


class ClassPropertyRaises:
    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance() consults it
        raise RuntimeError("no class for you")


class ClassPropertyLies:
    """Claims to be a DataFrame: whoever trusts ``isinstance`` runs frame code on it."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return pd.DataFrame


class ReprExits:
    def __repr__(self) -> str:
        raise SystemExit("repr said goodbye")


class ReprExitsWithLength:
    def __repr__(self) -> str:
        raise SystemExit(3)

    def __len__(self) -> int:
        raise SystemExit(4)


class ReprGeneratorExit:
    def __repr__(self) -> str:
        raise GeneratorExit


class ReprKeyboardInterrupt:
    """Raises KeyboardInterrupt itself: no SIGINT came, so it is this object's failure, not the user's interrupt."""

    def __repr__(self) -> str:
        raise KeyboardInterrupt


class ReprNotAString:
    def __repr__(self) -> Any:
        return 42


class Metaclass(type):
    def __getattribute__(cls, name: str) -> Any:
        if name in ("__module__", "__qualname__", "__name__", "__doc__"):
            raise SystemExit(f"no {name}")
        return super().__getattribute__(name)


class NamelessByMetaclass(metaclass=Metaclass):
    pass


class ListWithExitingLen(list):  # type: ignore[type-arg]
    def __len__(self) -> int:
        raise SystemExit(1)


class EqualityExits:
    def __eq__(self, other: object) -> bool:
        raise SystemExit("compared")

    __hash__ = object.__hash__


HOSTILE = {
    "class_property_raises": ClassPropertyRaises,
    "class_property_lies": ClassPropertyLies,
    "repr_exits": ReprExits,
    "repr_and_len_exit": ReprExitsWithLength,
    "repr_generator_exit": ReprGeneratorExit,
    "repr_keyboard_interrupt": ReprKeyboardInterrupt,
    "repr_not_a_string": ReprNotAString,
    "metaclass_names_raise": NamelessByMetaclass,
    "list_len_exits": lambda: ListWithExitingLen([1, 2]),
    "eq_exits": EqualityExits,
}


@pytest.mark.parametrize("make", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_object_is_described_by_its_type_and_never_raises(make: Any) -> None:
    obj = make()
    ns = {"hostile": obj, "plain": [1, 2, 3]}
    if type(obj) is not ReprKeyboardInterrupt:  # summarize alone cannot tell whose a KeyboardInterrupt is
        for limit in (60, 400, 3000):
            assert 0 < len(summarize(obj, limit)) <= limit
    text = overview(ns, ["hostile", "plain"], 1500)
    assert "hostile: " in text and "plain: list, 3 items" in text  # the others are still described
    assert "hostile: " in describe(ns, ["hostile"], 500)
    assert is_small(obj) is False


class Shell:
    """The parts of a shell ``own_names`` reads."""

    def __init__(self, ns: dict[str, Any]) -> None:
        self.user_ns, self.user_ns_hidden = ns, {}


@pytest.mark.parametrize("make", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_users_names_are_listed_without_running_their_code(make: Any) -> None:
    ns = {"hostile": make(), "pd": pd}
    assert own_names(Shell(ns), modules=False) == ["hostile"]


@pytest.mark.parametrize("make", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_run_starts_and_finishes_beside_a_hostile_object(ip, make: Any) -> None:
    ip.user_ns["hostile"] = make()
    ip.user_ns["final_answer"] = EqualityExits()  # the user's own binding, compared when the run gives it back
    users = ip.user_ns["final_answer"]
    model = ScriptedModel([code("hostile2 = hostile\nfinal_answer('survived')")])
    run = run_to_completion(Agent(model, IPythonExecutor(ip), RunConfig(model="scripted")), "What is hostile?")
    assert run.status == "finished" and run.answer == "survived", run.error
    assert "hostile: " in model.prompt_text(0)  # the overview named it
    assert ip.user_ns["final_answer"] is users


class Sleeper:
    """A ``__repr__`` that waits on something that never comes (a network call, a lock)."""

    def __init__(self, seconds: float = 60.0) -> None:
        self.seconds = seconds

    def __repr__(self) -> str:
        time.sleep(self.seconds)
        return "finally"


class StubbornSleeper(Sleeper):
    """Swallows the first two interrupts, even the budget's, and goes back to sleep."""

    def __repr__(self) -> str:
        swallowed = 0
        while True:
            try:
                time.sleep(self.seconds)
            except BaseException:
                swallowed += 1
                if swallowed > 2:
                    raise


class BusyLen(list):  # type: ignore[type-arg]
    def __len__(self) -> int:
        while True:
            pass


def test_an_object_that_takes_too_long_is_cut_short_and_the_others_still_described() -> None:
    ns = {"slow": Sleeper(), "busy": BusyLen([1]), "frame": pd.DataFrame({"a": [1, 2]}), "n": 7}
    text = overview(ns, list(ns), 3000, budget=TimeBudget(each=0.2, total=5))
    assert "slow: " in text and "Sleeper (not described: describing it took longer than 0.2s)" in text
    assert "busy: " in text and "BusyLen (not described" in text
    assert "frame: pandas.DataFrame, 2 rows × 1 columns" in text
    assert "n: int = 7" in text


def test_an_object_that_swallows_the_cut_is_cut_again() -> None:
    text = describe({"stubborn": StubbornSleeper(30)}, ["stubborn"], 500, budget=TimeBudget(each=0.1, total=5))
    assert "StubbornSleeper (not described: describing it took longer than 0.1s)" in text


def test_once_the_overviews_time_is_spent_the_rest_are_named_by_type_without_running_their_code() -> None:
    ns = {f"slow{i}": Sleeper() for i in range(6)}
    text = overview(ns, list(ns), 4000, budget=TimeBudget(each=0.2, total=0.5))
    assert text.count("took longer than 0.2s") >= 2
    assert "Sleeper (not described: the 0.5s for describing variables ran out)" in text
    assert all(f"slow{i}: " in text for i in range(6))


def test_the_budget_leaves_the_sigint_handler_as_it_was() -> None:
    import signal

    before = signal.getsignal(signal.SIGINT)
    overview({"slow": Sleeper()}, ["slow"], 500, budget=TimeBudget(each=0.1, total=1))
    assert signal.getsignal(signal.SIGINT) is before


def test_a_keyboard_interrupt_an_object_raises_itself_is_not_the_users() -> None:
    text = overview({"odd": ReprKeyboardInterrupt(), "n": 1}, ["odd", "n"], 500)
    assert "odd: " in text and "KeyboardInterrupt" in text and "n: int = 1" in text


def test_the_users_recent_results_are_described_within_the_time_budget(ip) -> None:
    from jupyter_autogpt.execution.cell_history import RecentWork

    ip.run_cell("1 + 1", store_history=True)
    number = len(ip.user_ns["In"]) - 1
    outputs = getattr(ip.history_manager, "outputs", None)
    if isinstance(outputs, dict):
        outputs.pop(number, None)  # as on IPython 8, where a cell's result comes from Out
    ip.user_ns["Out"][number] = Sleeper()
    try:
        context = RecentWork(ip).since(number - 1, 5)
    finally:
        del ip.user_ns["Out"][number]
    assert "Sleeper (not described: describing it took longer than 1s)" in repr(context)
