"""The conversation in every view: the plan's checklist and its review panel, the thread, the instructions.

The live view (widgets without a kernel, clicks from another thread as from a kernel subshell), the text view,
the static and Markdown transcripts and the exported notebook.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import nbformat
import pytest

from jupyter_autogpt.context import EarlierRun, RunContext, Thread
from jupyter_autogpt.errors import RunCancelled
from jupyter_autogpt.events import PlanUpdated, RunFinished, StepFinished, StepStarted
from jupyter_autogpt.instructions import Instructions
from jupyter_autogpt.plan import Plan, PlanDecision
from jupyter_autogpt.types import Step
from jupyter_autogpt.ui import export
from jupyter_autogpt.ui.clicks import SubshellWait
from jupyter_autogpt.ui.html_parts import run_html
from jupyter_autogpt.ui.text import TextRenderer, markdown_transcript
from jupyter_autogpt.ui.widgets import WidgetRenderer
from support.runs import a_run, started
from support.views import DEAD, WAIT, Handle, make_view

THREAD = Thread((EarlierRun("3f9a2b1c0d4e", "Which region sold the most?", "finished", "south"),), omitted=2)
STEERED = RunContext(thread=THREAD, instructions=Instructions("From AGENTS.md:\nDates are <b>UTC</b>.", ("AGENTS.md",)))
PLAN = Plan.of([("Load the data", False), ("Count <rows>", False), ("Answer", False)], step=1)


@pytest.fixture
def handle() -> Handle:
    return Handle()


def live(handle: Handle, **options: Any) -> WidgetRenderer:
    view = make_view(handle, **options)
    view.handle(replace(started(plan_review=True), context=STEERED))
    view.handle(StepStarted(1, 3))
    return view


def test_the_header_shows_the_thread_and_the_view_what_steered_the_run(handle: Handle) -> None:
    view = live(handle)
    assert "follows up run <code>3f9a2b1c0d4e</code> (Which region sold the most?)" in view.header.value
    assert "run 4 of this conversation" in view.header.value
    assert "instructions: AGENTS.md" in view.header.value
    assert "standing instructions · AGENTS.md" in view.context.value
    assert "&lt;b&gt;UTC&lt;/b&gt;" in view.context.value and "<b>UTC</b>" not in view.context.value


def test_the_checklist_ticks_as_the_plan_changes(handle: Handle) -> None:
    view = live(handle)
    view.handle(PlanUpdated(1, PLAN))
    assert view.plan.value.count("☐") == 2 and "▶ Load the data" in view.plan.value and "0/3 done" in view.plan.value
    assert "Count &lt;rows&gt;" in view.plan.value  # model text, escaped
    view.handle(PlanUpdated(1, PLAN.tick()))
    assert "☑ Load the data" in view.plan.value and "▶ Count" in view.plan.value and "1/3 done" in view.plan.value
    edited = PLAN.revised([("Only answer", False)], step=1, by="user")
    view.handle(PlanUpdated(1, edited))
    assert "edited by you" in view.plan.value and "revision 2" in view.plan.value


def review_with(view: WidgetRenderer, plan: Plan, *clicks: Callable[[], None]) -> PlanDecision:
    """Return ``view.review(plan)``, doing ``clicks`` once the panel is shown; fail instead of hanging."""
    shown = threading.Event()
    layout = view.plan_review.panel.box.layout

    def on_display(change: dict[str, Any]) -> None:
        if change["new"] == "flex":
            shown.set()

    layout.observe(on_display, names="display")
    decisions: list[PlanDecision] = []
    worker = threading.Thread(target=lambda: decisions.append(view.review(plan)), daemon=True)
    worker.start()
    try:
        assert shown.wait(WAIT), "the review panel was never shown"
        for click in clicks:
            click()
        worker.join(WAIT)
    finally:
        layout.unobserve(on_display, names="display")
        if worker.is_alive():
            view.plan_review.panel.cancel()
            worker.join(WAIT)
            pytest.fail("review() did not return after the clicks")
    return decisions[0]


def test_the_review_panel_returns_the_edited_items_and_feedback(handle: Handle) -> None:
    view = live(handle)
    panel = view.plan_review.panel
    seen: list[str] = []

    def edit() -> None:
        seen.append(panel.editor.value)
        seen.append(view.header.value)
        panel.editor.value = "1. Load the data\n2) Count the rows twice\n- [ ] Answer in words\n\n"
        panel.feedback.value = "no plots"

    decision = review_with(view, PLAN, edit, panel.buttons["run"].click)
    assert seen[0] == "1. Load the data\n2. Count <rows>\n3. Answer" and "waiting for review" in seen[1]
    assert decision == PlanDecision("run", items=("Load the data", "Count the rows twice", "Answer in words"),
                                    feedback="no plots")
    assert panel.box.layout.display == "none" and "waiting for review" not in view.header.value


def test_run_unchanged_stop_and_the_views_stop_button(handle: Handle) -> None:
    view = live(handle)
    buttons = view.plan_review.panel.buttons
    assert review_with(view, PLAN, buttons["run"].click) == PlanDecision("run")
    assert review_with(view, PLAN, buttons["stop"].click) == PlanDecision("stop")
    assert review_with(view, PLAN, view.stop_control.button.click) == PlanDecision("stop")
    assert view.review(PLAN) == PlanDecision("stop")  # once Stop was pressed, no more questions


def test_a_plan_without_items_asks_for_one(handle: Handle) -> None:
    view = live(handle)
    panel = view.plan_review.panel

    def write() -> None:
        assert "The model sent no plan" in panel.title.value and panel.editor.value == ""
        panel.editor.value = "Look\nAnswer"

    assert review_with(view, Plan(step=1), write, panel.buttons["run"].click) == PlanDecision(
        "run", items=("Look", "Answer"))


def test_where_no_click_can_arrive_the_fallback_reviews_else_a_refusal(handle: Handle) -> None:
    no_subshell = SubshellWait(found=lambda: False, grace=0.0)
    asked: list[Plan] = []

    def text_prompt(plan: Plan) -> PlanDecision:
        asked.append(plan)
        return PlanDecision("run", feedback="typed")

    view = live(handle, subshell_wait=no_subshell, fallback_reviewer=text_prompt)
    assert view.can_review() and view.review(PLAN) == PlanDecision("run", feedback="typed") and asked == [PLAN]
    assert live(Handle(), delivery=DEAD, fallback_reviewer=text_prompt).review(PLAN).feedback == "typed"
    assert not make_view(Handle(), DEAD).can_review()
    with pytest.raises(RunCancelled, match="drop --plan"):
        live(Handle(), subshell_wait=no_subshell).review(PLAN)


def steered_run() -> Any:
    run = a_run()
    return replace(run, context=STEERED, plan=PLAN.tick())


def test_the_static_transcript_keeps_the_thread_the_instructions_and_the_plan(handle: Handle) -> None:
    run = steered_run()
    page = run_html(run)
    assert "follows up run <code>3f9a2b1c0d4e</code>" in page and "standing instructions · AGENTS.md" in page
    assert "☑ Load the data" in page and "▶ Count &lt;rows&gt;" in page and "<rows>" not in page
    view = live(handle)
    view.handle(RunFinished(run))
    assert handle.updates and "☑ Load the data" in handle.updates[-1]._repr_mimebundle_()["text/html"]


def test_the_text_view_prints_the_plan_then_its_ticks() -> None:
    out = io.StringIO()
    view = TextRenderer(stream=out)
    view.handle(replace(started(), context=STEERED))
    view.handle(PlanUpdated(1, PLAN))
    view.handle(PlanUpdated(1, PLAN.tick()))
    view.handle(PlanUpdated(3, PLAN.tick().revised([("Load the data", False), ("Plot", False)], step=3)))
    text = out.getvalue()
    assert "ⓘ ↳ follows up run 3f9a2b1c0d4e (Which region sold the most?) · run 4 of this conversation" in text
    assert "ⓘ standing instructions: AGENTS.md" in text
    assert "plan:\n1. [ ] Load the data\n2. [ ] Count <rows>\n3. [ ] Answer\n" in text
    assert "✓ 1. Load the data\n" in text and "revised plan:\n1. [x] Load the data\n2. [ ] Plot\n" in text


def test_markdown_and_the_exported_notebook_keep_the_conversation() -> None:
    run = steered_run()
    markdown = markdown_transcript(run)
    assert "↳ follows up run <code>3f9a2b1c0d4e</code>" in markdown and "- [x] Load the data" in markdown
    assert "- [ ] Count &lt;rows>" in markdown and "<rows>" not in markdown and "<b>UTC" not in markdown.split("```")[0]
    notebook = export.to_notebook(run)
    head = notebook.cells[0].source
    assert "follows up run" in head and "**Plan** · 1/3 done" in head and "standing instructions" in head
    assert notebook.metadata["jupyter_autogpt"]["parent"] == "3f9a2b1c0d4e"
    nbformat.validate(notebook)


def test_a_step_skipped_at_the_review_still_shows_the_code_that_did_not_run(handle: Handle) -> None:
    view = live(handle)
    view.handle(PlanUpdated(1, PLAN))
    reply = "Plan:\n1. Load the data\n2. Answer\n\nI look first.\n```python\nprint('proposed')\n```"
    view.handle(StepFinished(Step(1, reply, "print('proposed')", "The user reviewed your plan", skipped=True)))
    step = view._step_views[0]
    assert "proposed" in step.code and "skipped: the code did not run" in step.output
    assert step.title == "Step 1 (skipped) · I look first."  # the title reads past the plan
    view.handle(StepStarted(2, 3))
    assert step.title in step.widget.value and "proposed" in step.widget.value


def test_the_review_panel_is_built_only_for_a_run_that_asks_for_it(handle: Handle) -> None:
    plain = make_view(handle)
    plain.handle(started())
    assert plain.plan_review.panel is None and plain.can_review()  # no comms for a panel nobody will see
    reviewed = live(Handle())
    panel = reviewed.plan_review.panel
    assert panel is not None and panel.box in reviewed.view.children
    children = list(reviewed.view.children)
    assert children.index(panel.box) == children.index(reviewed.plan) + 1  # right below the checklist
