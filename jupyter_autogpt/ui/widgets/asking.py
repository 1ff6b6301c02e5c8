"""What the live view's questions share (approval of a step, review of the plan): a panel that waits for a click,
and the asker that decides whether to ask through it, through a fallback, or not at all.

Click handlers may run on a kernel subshell thread (see ``ui/clicks.py``): they only record the answer and set a
``threading.Event``; the main thread, blocked in ``ClickPanel.wait``, reads it. Where no click can reach the busy
kernel the asker asks its fallback (the text prompt of a client that allows stdin) or ends the run saying why:
never a hang.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ...errors import RunCancelled
from ..base import StopFlag
from ..clicks import INTERRUPT_HINT, ClickDelivery, SubshellWait

__all__ = ["CLICK_NOTE", "ClickPanel", "PanelAsker", "ignore_wait"]

WAIT_SECONDS = 0.1
CLICK_NOTE = "If the buttons do not respond, " + INTERRUPT_HINT + "."

Panel = TypeVar("Panel")  # the panel, or what returns it (the view builds the approval panel at its first question)
Question = TypeVar("Question")
Answer = TypeVar("Answer")


def ignore_wait(waiting: bool) -> None:
    """Do nothing with the news that a question waits (the default ``on_wait``)."""
    return None


class ClickPanel:
    """A panel of buttons that records which one was clicked first; its ``box`` is hidden while nothing waits."""

    box: Any

    def __init__(self) -> None:
        self._answered = threading.Event()
        self._action: str | None = None

    def _clicked(self, name: str) -> Callable[[Any], None]:
        def on_click(_: Any) -> None:
            self._action = name
            self._answered.set()

        return on_click

    def _reset(self) -> None:
        self._action = None
        self._answered.clear()

    def wait(self) -> None:
        """Block until a button is clicked (a kernel interrupt still lands meanwhile), then hide the panel."""
        try:
            while not self._answered.wait(WAIT_SECONDS):
                pass
        finally:
            self.box.layout.display = "none"

    def cancel(self) -> None:
        """Answer "stop" (the Stop button of the main view was clicked while the panel waits)."""
        self._action = "stop"
        self._answered.set()


class PanelAsker(Generic[Panel, Question, Answer]):
    """Ask a question in a panel when a click can reach the busy kernel, else ask the fallback.

    Parameters
    ----------
    panel
        The panel it shows and waits on.
    stop
        The run's stop request: once set, every question is answered "stop" without asking.
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
        panel: Panel,
        stop: StopFlag,
        delivery: ClickDelivery,
        subshell_wait: SubshellWait,
        on_wait: Callable[[bool], None] = ignore_wait,
        fallback: Callable[[Question], Answer] | None = None,
    ) -> None:
        self.panel = panel
        self.stop = stop
        self.delivery = delivery
        self.subshell_wait = subshell_wait
        self.on_wait = on_wait
        self.fallback = fallback
        self._no_subshell = False  # learnt once per run: later questions go to the fallback without waiting again

    def can_ask(self) -> bool:
        """Return whether an answer can come: a click while the cell runs, or the fallback."""
        return self.delivery.live or self.fallback is not None

    def _ask(self, question: Question, by_click: Callable[[Question], Answer], no_subshell: str) -> Answer:
        """Ask ``question`` by click (or the fallback), the view's status saying so meanwhile.

        Raises
        ------
        RunCancelled
            With ``no_subshell`` when no click could reach the busy kernel and there is no fallback to ask.
        """
        ask = by_click
        if self._no_subshell or not self.delivery.live or not self.subshell_wait():
            self._no_subshell = True
            if self.fallback is None:
                raise RunCancelled(no_subshell)
            ask = self.fallback
        self.on_wait(True)
        try:
            return ask(question)
        finally:
            self.on_wait(False)
