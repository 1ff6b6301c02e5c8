"""Approval in the live view: the panel (the proposed code, Run / Edit / Skip / Stop, a feedback line) and the
approver that asks through it.

How a click reaches the busy kernel, and what happens when none can, is ``asking.py``'s.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from ...events import CodeProposed
from ...types import Decision
from ..clicks import ClickDelivery, keep_on_subshell
from .asking import CLICK_NOTE, ClickPanel, PanelAsker

__all__ = ["ApprovalPanel", "WidgetApprover"]

NO_SUBSHELL = (
    "approval needs widget clicks while the cell runs, but this frontend sends them to the busy "
    "kernel (no comm subshell; JupyterLab >= 4.4 has one): use --policy auto, or a frontend with stdin"
)


class ApprovalPanel(ClickPanel):
    """Ask the user whether to run a proposed step; hidden while no step waits."""

    @classmethod
    def below(cls, view: Any, after: Any, delivery: ClickDelivery) -> ApprovalPanel:
        """Return a new panel put in ``view`` right below ``after``, its comms kept on the frontend's subshell."""
        panel = cls()
        children = list(view.children)
        children.insert(children.index(after) + 1, panel.box)
        view.children = children
        keep_on_subshell(panel.widgets, delivery)
        return panel

    def __init__(self) -> None:
        import ipywidgets as w

        super().__init__()
        self.title = w.HTML()
        self.editor = w.Textarea(layout=w.Layout(width="100%", height="10em"), disabled=True)
        self.editor.add_class("autogpt-editor")
        self.feedback = w.Text(placeholder="Feedback for the model (optional)", layout=w.Layout(width="100%"))
        self.buttons = {
            "run": w.Button(description="Run", button_style="success", icon="play", tooltip="Run this code"),
            "edit": w.Button(description="Edit", icon="pencil", tooltip="Edit the code, then press Run"),
            "skip": w.Button(description="Skip", button_style="warning", icon="forward", tooltip="Do not run it"),
            "stop": w.Button(description="Stop", button_style="danger", icon="stop", tooltip="End the run"),
        }
        for name, button in self.buttons.items():
            button.add_class(f"autogpt-approve-{name}")
            button.on_click(self._clicked(name))
        self.box = w.VBox(
            [self.title, self.editor, self.feedback, w.HBox(list(self.buttons.values()))],
            layout=w.Layout(display="none", border="1px solid var(--jp-warn-color1, #f9a825)", padding="6px"),
        )
        self._proposed = ""

    @property
    def widgets(self) -> list[Any]:
        """Return every widget the user can interact with (their comms must reach the kernel mid-cell)."""
        return [self.editor, self.feedback, *self.buttons.values()]

    def _clicked(self, name: str) -> Callable[[Any], None]:
        if name != "edit":
            return super()._clicked(name)

        def unlock(_: Any) -> None:  # unlocking the editor is safe from any thread: one trait, one message
            self.editor.disabled = False

        return unlock

    def show(self, proposal: CodeProposed, note: str = "") -> None:
        """Show ``proposal`` and reset the previous answer."""
        flags = f" · ⚠ flagged: {html.escape(', '.join(proposal.flags))}" if proposal.flags else ""
        hint = f'<div style="opacity: .7;">{html.escape(note)}</div>' if note else ""
        self._reset()
        self._proposed = proposal.code
        with self.editor.hold_sync():
            self.editor.value = proposal.code
            self.editor.disabled = True
        self.feedback.value = ""
        self.title.value = f"<b>Run step {proposal.index}?</b>{flags}{hint}"
        self.box.layout.display = "flex"

    def ask(self, proposal: CodeProposed, note: str = "") -> Decision:
        """Show ``proposal`` and block until a button is clicked; a kernel interrupt still lands meanwhile."""
        self.show(proposal, note)
        self.wait()
        return self.decision()

    def decision(self) -> Decision:
        """Return the recorded answer as a ``Decision``."""
        feedback = self.feedback.value.strip() or None
        if self._action == "run":
            edited = self.editor.value if self.editor.value != self._proposed else None
            return Decision("run", code=edited, feedback=feedback)
        if self._action == "skip":
            return Decision("skip", feedback=feedback)
        return Decision("stop", feedback=feedback)


class WidgetApprover(PanelAsker[Callable[[], ApprovalPanel], CodeProposed, Decision]):
    """Ask the user to approve each proposed step in the view's panel (implements ``Approving``).

    Parameters are ``PanelAsker``'s, but ``panel`` returns the panel: the view builds it at the first question
    (each of its ~16 widgets is a comm). Once ``stop`` is set, every proposal is answered "stop" without asking.
    """

    def can_approve(self) -> bool:
        """Return whether this approver can get an answer: a click while the cell runs, or its fallback."""
        return self.can_ask()

    def approve(self, proposal: CodeProposed) -> Decision:
        """Show ``proposal`` with Run / Edit / Skip / Stop and block until one is clicked (or ask the fallback).

        Raises
        ------
        RunCancelled
            When the frontend opened no comm subshell, so no click could reach the busy kernel, and there is
            no fallback to ask.
        """
        if self.stop.is_set():
            return Decision("stop")
        return self._ask(proposal, lambda p: self.panel().ask(p, CLICK_NOTE), NO_SUBSHELL)
