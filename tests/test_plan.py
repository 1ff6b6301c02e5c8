"""Reading a plan from the model's prose, leniently, and keeping its items' state (``jupyter_autogpt.plan``)."""

from __future__ import annotations

import pytest

from jupyter_autogpt.limits import PLAN_ITEM_CHARS, PLAN_ITEMS
from jupyter_autogpt.plan import Plan, PlanDecision, parse_plan, without_plan
from jupyter_autogpt.protocol import parse_reply

THREE = [("Load the data", False), ("Count the rows", False), ("Answer", False)]


@pytest.mark.parametrize(
    "prose",
    [
        "Plan:\n1. Load the data\n2. Count the rows\n3. Answer",
        "I will start with the data.\n\n**Plan:**\n\n1) Load the data\n2) Count the rows\n3) Answer",
        "## Plan\n- Load the data\n- Count the rows\n- Answer",
        "### My plan\n* Load the data\n* Count the rows\n* Answer\n\nFirst, the data.",
        "Plan: 1. Load the data 2. Count the rows 3. Answer",
        "PLAN：\n1. **Load the data**\n2. Count   the rows\n3. Answer",
    ],
)
def test_plans_in_the_shapes_models_write_them(prose: str) -> None:
    assert parse_plan(prose) == THREE


def test_checkbox_marks_say_which_items_are_done() -> None:
    prose = "Revised plan:\n- [x] Load the data\n- [X] Count the rows\n- [ ] Answer"
    assert parse_plan(prose) == [("Load the data", True), ("Count the rows", True), ("Answer", False)]


def test_a_numbered_list_without_a_header_is_a_plan_only_in_the_first_reply() -> None:
    prose = "I will:\n1. Load the data\n2. Count the rows\n3. Answer"
    assert parse_plan(prose, first=True) == THREE
    assert parse_plan(prose, first=False) is None  # later on, a list is just a list (say, of findings)
    assert parse_plan("Steps:\n1. only one", first=True) is None  # one item is no plan


@pytest.mark.parametrize(
    "prose",
    [
        "",
        "Let me look at the data first.",
        "My plan is to load the data and then count the rows.",  # prose about a plan, no items
        "Planning ahead:\n- one\n- two",  # "Planning" is not the header "Plan"
        "The plan worked: 1. yes",  # no header line
    ],
)
def test_prose_without_a_plan_has_none(prose: str) -> None:
    assert parse_plan(prose) is None


def test_the_last_plan_of_a_reply_wins() -> None:
    prose = "Plan:\n1. a\n2. b\n\nOn second thought.\n\nRevised plan:\n1. c\n2. d"
    assert parse_plan(prose) == [("c", False), ("d", False)]


def test_a_plan_is_bounded_in_items_and_in_each_item() -> None:
    prose = "Plan:\n" + "\n".join(f"{i}. item {i} " + "x" * 500 for i in range(1, 40))
    items = parse_plan(prose)
    assert items is not None and len(items) == PLAN_ITEMS
    assert all(len(text) <= PLAN_ITEM_CHARS for text, _ in items)


def test_a_plan_in_a_code_block_or_in_the_thinking_is_not_read() -> None:
    reply = parse_reply("<think>Plan:\n1. secret\n2. draft</think>Let me look.\n```python\n# Plan:\n# 1. x\nprint(1)\n```")
    assert parse_plan(reply.prose, first=True) is None


def test_the_current_item_ticks_and_a_finished_run_ticks_all() -> None:
    plan = Plan.of(THREE, step=1)
    assert [i.state for i in plan.items] == ["doing", "todo", "todo"]
    plan = plan.tick()
    assert [i.state for i in plan.items] == ["done", "doing", "todo"] and plan.done == 1
    assert [i.state for i in plan.finish().items] == ["done"] * 3
    assert plan.tick().tick().tick().done == 3  # ticking past the end changes nothing


def test_a_revision_keeps_what_was_done_and_counts_itself() -> None:
    plan = Plan.of(THREE, step=1).tick()
    revised = plan.revised([("Load the data", False), ("Plot the rows", False), ("Answer", False)], step=3)
    assert revised.revision == 2 and revised.step == 3 and revised.by == "model"
    assert [(i.text, i.state) for i in revised.items] == [
        ("Load the data", "done"), ("Plot the rows", "doing"), ("Answer", "todo")
    ]
    edited = revised.revised([("Only answer", False)], step=3, by="user")
    assert edited.by == "user" and edited.revision == 3 and edited.texts == ("Only answer",)


def test_the_plan_as_the_model_and_the_transcript_read_it() -> None:
    plan = Plan.of(THREE, step=1).tick()
    assert plan.numbered() == "1. [x] Load the data\n2. [ ] Count the rows\n3. [ ] Answer"
    assert plan.numbered(marks=False) == "1. Load the data\n2. Count the rows\n3. Answer"
    assert plan.to_dict() == {
        "items": [{"text": "Load the data", "state": "done"}, {"text": "Count the rows", "state": "doing"},
                  {"text": "Answer", "state": "todo"}],
        "revision": 1, "step": 1, "by": "model",
    }


def test_a_review_changed_the_plan_only_with_an_edit_or_feedback() -> None:
    assert not PlanDecision("run").changed
    assert PlanDecision("run", items=("a",)).changed and PlanDecision("run", feedback="shorter").changed
    assert PlanDecision("run", items=()).changed  # removing every item is a change too


def test_a_step_title_reads_past_the_plan() -> None:
    assert without_plan("Plan:\n1. a\n2. b\n\nFirst I look at the data.") == "First I look at the data."
