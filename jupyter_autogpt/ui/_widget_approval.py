"""The approval panel: the proposed code in an editable box, Run / Edit / Skip / Stop, and a feedback line.

Click handlers may run on a kernel subshell thread (see ``clicks.py``): they only record the answer and set a
``threading.Event``; the main thread, blocked in ``ask``, reads it.
"""

from __future__ import annotations

import html
import threading
from typing import Any

from ..events import CodeProposed
from ..types import Decision

__all__ = ["ApprovalPanel"]

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
