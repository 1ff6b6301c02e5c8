"""The plan in the live view: the review panel of ``--plan`` (edit the items or give feedback, then Run or Stop)
and the reviewer that asks through it. The checklist itself is ``html_parts.plan_html``.

As for approval, how a click reaches the busy kernel, and what happens when none can (a text prompt, or the run
ends saying why: never a hang), is ``asking.py``'s.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from ...plan import Plan, PlanDecision
from ..base import StopFlag
from ..clicks import ClickDelivery, SubshellWait, keep_on_subshell
from .asking import CLICK_NOTE, ClickPanel, PanelAsker, ignore_wait

__all__ = ["NO_SUBSHELL", "PlanPanel", "PlanReview", "WidgetPlanReviewer", "items_of"]

NO_SUBSHELL = (
    "--plan needs widget clicks while the cell runs, but this frontend sends them to the busy kernel (no comm "
    "subshell; JupyterLab >= 4.4 has one): drop --plan, or use a frontend with stdin"
)
_NUMBERING = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*+•])\s*(?:\[[ xX]\]\s*)?")


def items_of(text: str) -> tuple[str, ...]:
    """Return the plan items typed in ``text``: one per non-empty line, without numbering, bullets or boxes."""
    return tuple(item for line in text.splitlines() if (item := _NUMBERING.sub("", line).strip()))


class PlanPanel(ClickPanel):
    """Ask the user to review the plan: its items in an editor, a feedback line, Run and Stop; hidden meanwhile."""

    def __init__(self) -> None:
        import ipywidgets as w

        super().__init__()
        self.title = w.HTML()
        self.editor = w.Textarea(layout=w.Layout(width="100%", height="8em"))
        self.editor.add_class("autogpt-plan-editor")
        self.feedback = w.Text(placeholder="Feedback for the model (optional)", layout=w.Layout(width="100%"))
        self.feedback.add_class("autogpt-plan-feedback")
        self.buttons = {
            "run": w.Button(description="Run", button_style="success", icon="play", tooltip="Carry out this plan"),
            "stop": w.Button(description="Stop", button_style="danger", icon="stop", tooltip="End the run"),
        }
        for name, button in self.buttons.items():
            button.add_class(f"autogpt-plan-{name}")
            button.on_click(self._clicked(name))
        self.box = w.VBox(
            [self.title, self.editor, self.feedback, w.HBox(list(self.buttons.values()))],
            layout=w.Layout(display="none", border="1px solid var(--jp-brand-color1, #1976d2)", padding="6px"),
        )
        self._proposed: tuple[str, ...] = ()

    @property
    def widgets(self) -> list[Any]:
        """Return every widget the user can interact with (their comms must reach the kernel mid-cell)."""
        return [self.box, self.title, self.editor, self.feedback, *self.buttons.values()]

    def show(self, plan: Plan, note: str = "") -> None:
        """Show ``plan`` in the editor and reset the previous answer."""
        self._reset()
        self._proposed = plan.texts
        self.editor.value = "\n".join(f"{n}. {text}" for n, text in enumerate(plan.texts, 1))
        self.feedback.value = ""
        said = "Review the plan before any code runs" if plan.items else "The model sent no plan: write one"
        hint = f'<div style="opacity: .7;">{html.escape(note)}</div>' if note else ""
        self.title.value = (f"<b>{said}.</b> Edit the items (one per line) or give feedback, then Run; "
                            f"its code runs only if you change nothing.{hint}")
        self.box.layout.display = "flex"

    def ask(self, plan: Plan, note: str = "") -> PlanDecision:
        """Show ``plan`` and block until Run or Stop is clicked; a kernel interrupt still lands meanwhile."""
        self.show(plan, note)
        self.wait()
        return self.decision()

    def decision(self) -> PlanDecision:
        """Return the recorded answer: the edited items (``None`` when unchanged) and the feedback."""
        feedback = self.feedback.value.strip() or None
        if self._action != "run":
            return PlanDecision("stop", feedback=feedback)
        items = items_of(self.editor.value)
        return PlanDecision("run", items=None if items == self._proposed else items, feedback=feedback)


class WidgetPlanReviewer(PanelAsker[PlanPanel, Plan, PlanDecision]):
    """Ask the user to review the plan in the view's panel (implements ``Reviewing``).

    Parameters are ``PanelAsker``'s: once ``stop`` is set, the review is answered "stop" without asking.
    """

    def can_review(self) -> bool:
        """Return whether a review can be answered here: a click while the cell runs, or the fallback."""
        return self.can_ask()

    def review(self, plan: Plan) -> PlanDecision:
        """Show ``plan`` in the panel and block until Run or Stop (or ask the fallback where clicks cannot arrive).

        Raises
        ------
        RunCancelled
            When no click could reach the busy kernel and there is no fallback to ask.
        """
        if self.stop.is_set():
            return PlanDecision("stop")
        return self._ask(plan, lambda p: self.panel.ask(p, CLICK_NOTE), NO_SUBSHELL)


class PlanReview:
    """The ``--plan`` review of a live view, built only for a run that asks for one (each widget is a comm).

    Parameters are ``WidgetPlanReviewer``'s; ``can_review`` answers before anything is built.
    """

    def __init__(
        self,
        stop: StopFlag,
        delivery: ClickDelivery,
        subshell_wait: SubshellWait,
        on_wait: Callable[[bool], None] = ignore_wait,
        fallback: Callable[[Plan], PlanDecision] | None = None,
    ) -> None:
        self._parts = (stop, delivery, subshell_wait, on_wait, fallback)
        self.delivery, self.fallback = delivery, fallback
        self.panel: PlanPanel | None = None
        self.reviewer: WidgetPlanReviewer | None = None

    def can_review(self) -> bool:
        """Return whether a review can be answered here: a click while the cell runs, or the fallback."""
        return self.delivery.live or self.fallback is not None

    def attach(self, view: Any, after: Any) -> list[Any]:
        """Build the panel and put it in ``view`` below ``after`` (once); return the widgets it added.

        Their comms are kept on the frontend's subshell, so Run and Stop arrive while the cell runs.
        """
        if self.panel is not None:
            return []
        self.panel = PlanPanel()
        self.reviewer = WidgetPlanReviewer(self.panel, *self._parts)
        children = list(view.children)
        children.insert(children.index(after) + 1 if after in children else len(children), self.panel.box)
        view.children = children
        keep_on_subshell(self.panel.widgets, self.delivery)
        return self.panel.widgets

    def review(self, plan: Plan) -> PlanDecision:
        """Ask through the panel (``WidgetPlanReviewer.review``); ``attach`` must have shown it first."""
        assert self.reviewer is not None, "attach the review panel to the view before asking"
        return self.reviewer.review(plan)

    def close(self) -> None:
        """Answer a waiting review "stop" (the view's Stop button) and hide the panel."""
        if self.panel is not None:
            self.panel.cancel()
