"""The live ipywidgets view of a run: progress, streamed reasoning, code, outputs, and where Stop and approval sit.

Fed only by events. Shown when the run starts (before any step captures output); when the run ends, the
display is replaced by a static HTML/Markdown transcript, its notices kept, and every widget of the view is
closed (layouts and styles too: each is a comm). JupyterLab renders a widget-view output whose model is gone as
"Error displaying widget: model not found" (the widget mime type outranks any fallback in the same bundle), so
only a static output survives reopening the notebook. A run that never reached its end leaves a static
snapshot of what the view showed, so closing the widgets never blanks the output.

The Stop button (``stop_control.py``), the approver (``approval.py``), the plan's review (``plan.py``) and click
delivery (``ui/clicks.py``) are parts it holds and lays out; what they do is theirs.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import Any

from ...events import (
    CodeExecuted,
    CodeProposed,
    Event,
    FinalAnswer,
    ModelDelta,
    ModelReplied,
    Noticed,
    PlanUpdated,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from ...limits import VIEW_ERROR_CHARS, cut_middle
from ...plan import Plan, PlanDecision
from ...types import Decision, Run, Usage
from ..base import StopFlag
from ..clicks import INTERRUPT_HINT, ClickDelivery, SubshellWait, click_delivery, keep_on_subshell
from ..html_parts import context_html, header_html, markdown_html, plan_html, pre
from .approval import ApprovalPanel, WidgetApprover
from .look import SharedLook
from .plan import PlanReview
from .static import Snapshot, StaticTranscript
from .steps import StepView, Throttle
from .stop_control import StopControl
from .tree import close_tree

__all__ = ["WidgetRenderer"]


class WidgetRenderer:
    """Render a run as live ipywidgets; implements ``Renderer`` and (through its approver) ``Approving``.

    Parameters
    ----------
    display
        Shows an object with a display id and returns a handle with ``update`` (default:
        ``IPython.display.display(obj, display_id=True)``); tests pass a recorder.
    delivery
        How clicks reach the kernel mid-cell (default: found from the running ipykernel).
    stop
        The run's stop request, which the Stop button sets (default: a flag of its own).
    clock
        Wall clock for the elapsed time.
    ticker
        Monotonic clock that paces updates of a streaming reply (at most ``MAX_RATE`` per second).
    subshell_wait
        Says whether the frontend opened a comm subshell, waiting a little for it; approval needs one.
    fallback_approver
        Asks when no click can reach the kernel (the text prompt of a client that allows stdin).
    fallback_reviewer
        Reviews the plan (``--plan``) when no click can reach the kernel, likewise.
    """

    def __init__(
        self,
        *,
        display: Callable[[Any], Any] | None = None,
        delivery: ClickDelivery | None = None,
        stop: StopFlag | None = None,
        clock: Callable[[], float] = time.time,
        ticker: Callable[[], float] = time.monotonic,
        subshell_wait: SubshellWait | None = None,
        fallback_approver: Callable[[CodeProposed], Decision] | None = None,
        fallback_reviewer: Callable[[Plan], PlanDecision] | None = None,
    ) -> None:
        self._display = display or _ipython_display
        self.delivery = delivery or click_delivery()
        self.clock = clock
        self.ticker = ticker
        self.subshell_wait = subshell_wait or SubshellWait()
        stop = stop if stop is not None else threading.Event()
        self._approval: ApprovalPanel | None = None
        self.approver = WidgetApprover(lambda: self.approval, stop, self.delivery, self.subshell_wait,
                                       self._waiting_for("approval"), fallback_approver)
        self.plan_review = PlanReview(stop, self.delivery, self.subshell_wait, self._waiting_for("review"),
                                      fallback_reviewer)
        self.stop_control = StopControl(stop, on_stop=self._cancel_questions)
        self._build()
        self._step_views: list[StepView] = []
        self._handle: Any = None
        self._start: RunStarted | None = None
        self._shown, self._status, self._step = False, "starting", (0, 0)
        self._usage = Usage()
        self._header_throttle = Throttle(4.0, clock=ticker)
        self._notes: list[str] = []
        self._kept: list[tuple[str, str]] = []  # the notices (level, text) its static transcript keeps
        self.run: Run | None = None
        self.finalized = False

    def _build(self) -> None:
        """Lay out the view: header, Stop, notes, context, the plan and its review, steps, approval, the answer."""
        import ipywidgets as w

        look = self.look = SharedLook()  # each layout and style is a comm: the view's plain parts share them
        self.header, self.answer = look.html(), look.html("autogpt-answer", full_width=False)
        self.note, self.context, self.plan, self.notices = (look.html(full_width=False) for _ in range(4))
        self.steps = w.VBox(layout=look.plain)
        top = w.HBox([self.header, self.stop_control.button], layout=w.Layout(align_items="flex-start"))
        parts = [top, self.note, self.context, self.plan, self.steps, self.notices, self.answer]
        self.view = w.VBox(parts, layout=w.Layout(border_left="3px solid #1976d2", padding="2px 8px"))
        self.view.add_class("autogpt-view")
        self._widgets: list[Any] = [self.view, top, self.header, self.note, self.stop_control.button, self.steps,
                                     self.notices, self.answer, self.context, self.plan]

    @property
    def approval(self) -> ApprovalPanel:
        """Return the approval panel, built below the steps at the first question (a run that never asks, as with
        ``--policy auto``, never opens its ~16 widgets, each a comm)."""
        if self._approval is None:
            self._approval = ApprovalPanel.below(self.view, self.steps, self.delivery)
            self._widgets += [self._approval.box, self._approval.title, *self._approval.widgets]
        return self._approval

    # -- Approving, through the approver ----------------------------------------------------------------------

    def can_approve(self) -> bool:
        return self.approver.can_approve()

    def approve(self, proposal: CodeProposed) -> Decision:
        """Show ``proposal`` with Run / Edit / Skip / Stop and block until one is clicked."""
        return self.approver.approve(proposal)

    def can_review(self) -> bool:
        return self.plan_review.can_review()

    def review(self, plan: Plan) -> PlanDecision:
        """Show ``plan`` for review with Run / Stop and block until one is clicked (``--plan``)."""
        self._widgets += self.plan_review.attach(self.view, self.plan)
        return self.plan_review.review(plan)

    def _cancel_questions(self) -> None:
        if self._approval is not None:
            self._approval.cancel()
        self.plan_review.close()

    def _waiting_for(self, what: str) -> Callable[[bool], None]:
        """Return what tells the view a question (``approval``, ``review``) is shown (True) or answered (False)."""

        def waiting(shown: bool) -> None:
            self._set_status(f"waiting for {what}" if shown else "running")
            if shown:
                self._current().waiting(what)

        return waiting

    # -- Renderer -------------------------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        """Update the view for ``event``."""
        if self.stop_control.requested and self._status == "running":
            self._status = "stopping…"
        if isinstance(event, ModelDelta):
            self._delta(event)
        elif isinstance(event, RunStarted):
            self._started(event)
        elif isinstance(event, StepStarted):
            self._step_started(event)
        elif isinstance(event, ModelReplied):
            self._usage = event.total_usage  # shown with the code proposed next, or when the step or run ends
            self._current().replied(event.text)
        elif isinstance(event, CodeProposed):
            self._current().proposed(event)
            self._render_header()
        elif isinstance(event, CodeExecuted):
            self._current().executed(event)
        elif isinstance(event, StepFinished):
            self._current().finished(event.step)
        elif isinstance(event, Noticed):
            if event.level == "retry" and self._step_views:
                self._current().restart()
            self._notice(event)
        elif isinstance(event, PlanUpdated):
            self.plan.value = plan_html(event.plan)
        elif isinstance(event, FinalAnswer):
            body = markdown_html(event.text) if issubclass(type(event.answer), str) else pre(event.text)
            self.answer.value = f"<div><b>Answer</b></div>{body}"
        elif isinstance(event, RunFinished):
            self._finished(event.run)

    def _delta(self, event: ModelDelta) -> None:
        view = self._current()
        if view.add_delta(event.text) and self._header_throttle.due():
            self._render_header()
        if self.stop_control.requested:
            view.flush()  # drive stops the run after this delta (interrupts.py): show all that streamed

    def _started(self, event: RunStarted) -> None:
        self._start, self._status = event, "running"
        self.context.value = context_html(event.context)
        if event.config.plan_review:  # built only when asked for: each widget is a comm
            self._widgets += self.plan_review.attach(self.view, self.plan)
        if not self.delivery.live:
            self.stop_control.hide()
            self._set_note(f"{self.delivery.reason}: {INTERRUPT_HINT}.")
        self._render_header()
        self._handle = self._display(self.view)
        self._shown = True
        keep_on_subshell(self._widgets, self.delivery, {self.stop_control.button: self.stop_control.request})

    def _step_started(self, event: StepStarted) -> None:
        self._step = (event.index, event.max_steps)
        view = StepView(event.index, self.look, Throttle(clock=self.ticker))
        if self._step_views:
            self._step_views[-1].close_up()  # only the current step stays open
        self._step_views.append(view)
        self.steps.children = [*self.steps.children, view.widget]
        self._widgets += view.widgets
        if self.delivery.live and event.index == 2 and self.subshell_wait.found() is False:
            self._set_note(f"This frontend delivers clicks only after the cell ends: {INTERRUPT_HINT}.")
        self._render_header()

    def _current(self) -> StepView:
        if not self._step_views:  # a well-formed stream starts a step first; stay robust anyway
            self._step_started(StepStarted(1, self._step[1] or 1))
        return self._step_views[-1]

    def _notice(self, event: Noticed) -> None:
        color = "var(--jp-warn-color0, #b26b00)" if event.level != "info" else "inherit"
        text = cut_middle(event.message, VIEW_ERROR_CHARS)
        self._kept += [(event.level, text)] if event.level != "retry" else []  # a retry is over once answered
        self.notices.value += f'<div style="color: {color};">[{html.escape(event.level)}] {html.escape(text)}</div>'

    def _set_note(self, text: str) -> None:
        if text not in self._notes:
            self._notes.append(text)
            self.note.value = "".join(f'<div style="opacity: .75;">ⓘ {html.escape(n)}</div>' for n in self._notes)

    def _set_status(self, status: str) -> None:
        self._status = status
        self._render_header()

    def _render_header(self) -> None:
        self.header.value = header_html(self._start, self._status, self._step, self._usage, self.clock())

    def _finished(self, run: Run) -> None:
        self.run = run
        for view in self._step_views:
            view.flush()
            view.settle()  # when the view cannot be replaced, it stays: it must show how the run ended
        self._usage, self._status = run.usage, run.status
        with self.view.hold_sync():
            self._render_header()
            self.stop_control.hide()  # the approval panel hid itself once answered (``ClickPanel.wait``)
        if self._shown:
            self._leave(StaticTranscript(run, tuple(self._kept)))

    def _leave(self, static: Any) -> None:
        """Put ``static`` where the view is shown (or below it, when that display cannot be updated)."""
        update = getattr(self._handle, "update", None)
        if callable(update):
            update(static)
        else:
            self._display(static)
        self.finalized = True

    def _snapshot_html(self) -> str:
        steps = "".join(view.snapshot_html() for view in self._step_views)
        body = self.header.value + self.note.value + self.context.value + self.plan.value + steps
        body += self.notices.value + self.answer.value
        return f'<div class="autogpt-transcript" style="border-left: 3px solid #ef6c00; padding: 2px 10px;">{body}</div>'

    def close(self) -> None:
        """Close every widget of the view (each is a comm) once a static output has taken its place.

        A view shown for a run that never finished is first replaced by a snapshot of what it showed. If that
        replacement fails, the widgets stay open: the user keeps seeing the live view rather than a blank.
        """
        if self._shown and not self.finalized:
            self._leave(Snapshot(self._snapshot_html()))
        close_tree(self.view)
        self._widgets = []


def _ipython_display(obj: Any) -> Any:
    from IPython.display import display

    return display(obj, display_id=True)
