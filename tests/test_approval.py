"""Approval in the live view (``ui/widgets/approval.py``): Run / Edit / Skip / Stop, clicked from another thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from jupyter_autogpt.errors import RunCancelled
from jupyter_autogpt.events import CodeProposed, StepStarted
from jupyter_autogpt.types import Decision
from jupyter_autogpt.ui.clicks import SubshellWait
from jupyter_autogpt.ui.widgets import WidgetRenderer
from support.runs import started
from support.views import DEAD, WAIT, Handle, make_view


@pytest.fixture
def handle() -> Handle:
    return Handle()


def approve_with(view: WidgetRenderer, proposal: CodeProposed, *clicks: Callable[[], None]) -> Decision:
    """Return ``view.approve(proposal)``, doing ``clicks`` once the panel is shown; fail instead of hanging.

    ``approve`` runs on a worker thread (the clicks come from this one, as from a kernel subshell); the clicks
    wait for the panel's ``display`` trait to turn on, which ``show`` does after it reset the previous answer.
    """
    shown = threading.Event()

    def on_display(change: dict[str, Any]) -> None:
        if change["new"] == "flex":
            shown.set()

    layout = view.approval.box.layout
    layout.observe(on_display, names="display")
    decisions: list[Decision] = []
    worker = threading.Thread(target=lambda: decisions.append(view.approve(proposal)), daemon=True)
    worker.start()
    try:
        if clicks:
            assert shown.wait(WAIT), "the approval panel was never shown"
        for click in clicks:
            click()
        worker.join(WAIT)
    finally:
        layout.unobserve(on_display, names="display")
        if worker.is_alive():
            view.approval.cancel()  # unblock it, then fail
            worker.join(WAIT)
            pytest.fail("approve() did not return after the clicks")
    return decisions[0]


def asking(handle: Handle, **options: Any) -> tuple[WidgetRenderer, CodeProposed]:
    view = make_view(handle, **options)
    view.handle(started(approve=True))
    view.handle(StepStarted(1, 3))
    proposal = CodeProposed(1, "print('hi')", ("writes files",))
    view.handle(proposal)
    return view, proposal


def test_approval_edit_then_run_returns_the_edited_code(handle: Handle) -> None:
    view, proposal = asking(handle)
    panel = view.approval
    seen: list[tuple[str, bool]] = []

    def edit() -> None:
        seen.append((panel.editor.value, panel.editor.disabled))
        panel.buttons["edit"].click()
        seen.append((panel.editor.value, panel.editor.disabled))
        panel.editor.value = "print('edited')"
        panel.feedback.value = "use the other file"

    decision = approve_with(view, proposal, edit, panel.buttons["run"].click)
    assert seen == [("print('hi')", True), ("print('hi')", False)]
    assert decision == Decision("run", code="print('edited')", feedback="use the other file")
    assert panel.box.layout.display == "none" and "running" in view.header.value


def test_approval_run_unedited_skip_and_stop(handle: Handle) -> None:
    view, proposal = asking(handle)
    buttons = view.approval.buttons
    assert approve_with(view, proposal, buttons["run"].click) == Decision("run")
    feedback = lambda: setattr(view.approval.feedback, "value", "not now")  # noqa: E731
    assert approve_with(view, proposal, feedback, buttons["skip"].click) == Decision("skip", feedback="not now")
    assert approve_with(view, proposal, buttons["stop"].click) == Decision("stop")


def test_main_stop_button_answers_a_waiting_approval(handle: Handle) -> None:
    view, proposal = asking(handle)
    assert approve_with(view, proposal, view.stop_control.button.click) == Decision("stop")
    assert approve_with(view, proposal) == Decision("stop")  # later proposals stop at once


def test_the_view_shows_that_it_waits_for_approval(handle: Handle) -> None:
    view, proposal = asking(handle)
    seen: list[tuple[str, str]] = []

    def look() -> None:
        seen.append((view.header.value, view._step_views[0].output))

    assert approve_with(view, proposal, look, view.approval.buttons["run"].click) == Decision("run")
    assert "waiting for approval" in seen[0][0] and "waiting for your approval" in seen[0][1]
    children = list(view.view.children)  # built at the first question, right below the steps
    assert children.index(view.approval.box) == children.index(view.steps) + 1
    assert "waiting for approval" not in view.header.value


def test_approval_refuses_when_the_frontend_has_no_subshell(handle: Handle) -> None:
    view, proposal = asking(handle, subshell_wait=SubshellWait(found=lambda: False, grace=0.0))
    with pytest.raises(RunCancelled, match="--policy auto"):
        view.approve(proposal)


def test_approval_waits_for_a_subshell_that_appears(handle: Handle) -> None:
    answers, pauses = iter([False, False, True]), []
    wait = SubshellWait(found=lambda: next(answers), grace=60.0, pause=pauses.append)
    view, proposal = asking(handle, subshell_wait=wait)
    assert approve_with(view, proposal, view.approval.buttons["run"].click) == Decision("run")
    assert pauses == [wait.interval, wait.interval]  # asked again after each pause, never slept here


def test_without_mid_cell_clicks_there_is_no_approval(handle: Handle) -> None:
    assert not make_view(handle, DEAD).can_approve()
    assert make_view(handle).can_approve()


def test_where_no_click_can_arrive_the_fallback_asks_and_the_wait_is_learnt_once(handle: Handle) -> None:
    waits: list[bool] = []

    def found() -> bool:
        waits.append(False)
        return False

    asked: list[int] = []

    def text_prompt(proposal: CodeProposed) -> Decision:
        asked.append(proposal.index)
        assert "waiting for approval" in view.header.value  # the view says the run waits for an answer
        return Decision("skip", feedback="not that")

    view, proposal = asking(handle, subshell_wait=SubshellWait(found=found, grace=0.0), fallback_approver=text_prompt)
    assert view.approve(proposal) == Decision("skip", feedback="not that")
    assert view.approve(CodeProposed(2, "x = 2")) == Decision("skip", feedback="not that")
    assert asked == [1, 2] and len(waits) == 1  # the subshell wait is paid once a run, not once a step
    assert view.approval.box.layout.display == "none" and "waiting for approval" not in view.header.value


def test_a_view_without_mid_cell_clicks_approves_through_its_fallback(handle: Handle) -> None:
    view = make_view(handle, DEAD, fallback_approver=lambda proposal: Decision("run"))
    view.handle(started(approve=True))
    view.handle(StepStarted(1, 3))
    assert view.can_approve() and view.approve(CodeProposed(1, "x = 1")) == Decision("run")
