"""Approval in the live view: the panel (the proposed code, Run / Edit / Skip / Stop, a feedback line) and the
approver that asks through it.

Click handlers may run on a kernel subshell thread (see ``ui/clicks.py``): they only record the answer and set
a ``threading.Event``; the main thread, blocked in ``ask``, reads it.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from typing import Any

from ...errors import RunCancelled
from ...events import CodeProposed
from ...types import Decision
from ..base import StopFlag
from ..clicks import INTERRUPT_HINT, ClickDelivery, SubshellWait

__all__ = ["ApprovalPanel", "WidgetApprover"]

NO_SUBSHELL = (
    "approval needs widget clicks while the cell runs, but this frontend sends them to the busy "
    "kernel (no comm subshell; JupyterLab >= 4.4 has one): use --policy auto, or a frontend with stdin"
)

WAIT_SECONDS = 0.1


class ApprovalPanel:
    """Ask the user whether to run a proposed step; hidden while no step waits."""

    def __init__(self) -> None:
        import ipywidgets as w

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
        self._answered = threading.Event()
        self._action: str | None = None
        self._proposed = ""

    @property
    def widgets(self) -> list[Any]:
        """Return every widget the user can interact with (their comms must reach the kernel mid-cell)."""
        return [self.editor, self.feedback, *self.buttons.values()]

    def _clicked(self, name: str) -> Any:
        def on_click(_: Any) -> None:
            if name == "edit":  # unlocking the editor is safe from any thread: one trait, one message
                self.editor.disabled = False
                return
            self._action = name
            self._answered.set()

        return on_click

    def show(self, proposal: CodeProposed, note: str = "") -> None:
        """Show ``proposal`` and reset the previous answer."""
        flags = f" · ⚠ flagged: {html.escape(', '.join(proposal.flags))}" if proposal.flags else ""
        hint = f'<div style="opacity: .7;">{html.escape(note)}</div>' if note else ""
        self._action = None
        self._answered.clear()
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
        try:
            while not self._answered.wait(WAIT_SECONDS):
                pass
        finally:
            self.box.layout.display = "none"
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

    def cancel(self) -> None:
        """Answer "stop" (the Stop button of the main view was clicked while the panel waits)."""
        self._action = "stop"
        self._answered.set()


def _unseen(waiting: bool) -> None:
    return None


class WidgetApprover:
    """Ask the user to approve each proposed step in the view's panel (implements ``Approving``).

    Parameters
    ----------
    panel
        The panel it shows and waits on.
    stop
        The run's stop request: once set, every proposal is answered "stop" without asking.
    delivery
        How clicks reach the kernel mid-cell; without a live delivery no click could answer.
    subshell_wait
        Waits for the frontend's comm subshell before asking; none means no click would arrive.
    on_wait
        Told ``True`` when the question is shown and ``False`` once it is answered (the view's status).
    fallback
        Asks instead when no click could arrive (the text prompt of a client that allows stdin), else None.
    """

    def __init__(
        self,
        panel: ApprovalPanel,
        stop: StopFlag,
        delivery: ClickDelivery,
        subshell_wait: SubshellWait,
        on_wait: Callable[[bool], None] = _unseen,
        fallback: Callable[[CodeProposed], Decision] | None = None,
    ) -> None:
        self.panel = panel
        self.stop = stop
        self.delivery = delivery
        self.subshell_wait = subshell_wait
        self.on_wait = on_wait
        self.fallback = fallback
        self._no_subshell = False  # learnt once per run: later steps go to the fallback without waiting again

    def can_approve(self) -> bool:
        """Return whether this approver can get an answer: a click while the cell runs, or its fallback."""
        return self.delivery.live or self.fallback is not None

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
        if self._no_subshell or not self.delivery.live or not self.subshell_wait():
            self._no_subshell = True
            if self.fallback is None:
                raise RunCancelled(NO_SUBSHELL)
            return self._ask_fallback(proposal, self.fallback)
        self.on_wait(True)
        try:
            return self.panel.ask(proposal, "If the buttons do not respond, " + INTERRUPT_HINT + ".")
        finally:
            self.on_wait(False)

    def _ask_fallback(self, proposal: CodeProposed, ask: Callable[[CodeProposed], Decision]) -> Decision:
        self.on_wait(True)
        try:
            return ask(proposal)
        finally:
            self.on_wait(False)
