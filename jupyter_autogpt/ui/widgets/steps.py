"""One step of the live view, and the throttle that keeps a fast token stream from flooding the frontend."""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any

from ...events import CodeExecuted, CodeProposed
from ...plan import without_plan
from ...protocol import prose_of
from ...types import Step
from ..html_parts import code_html, observation_html, reply_html, streaming_html
from .look import SharedLook

__all__ = ["StepView", "Throttle"]

#: At most this many updates per second per streaming widget.
MAX_RATE = 20.0


class Throttle:
    """Say when an update is due: at most ``rate`` per second, measured on ``clock``."""

    def __init__(self, rate: float = MAX_RATE, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.last = float("-inf")

    def hold(self) -> None:
        """Start an interval now: the next update waits for its end."""
        self.last = self.clock()

    def due(self) -> bool:
        """Return True (and start a new interval) when the last update is at least one interval old."""
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            return True
        return False


class StepView:
    """One step of the live view: the reply (streamed), the code, and what running it produced.

    The step is one ``HTML`` widget, a ``<details>`` entry like the static transcript's: open while it is the
    current step, closed once the next one starts. Each widget is a comm the kernel opens, updates and closes; a
    step of three widgets in a box with their own layouts and styles cost eleven comms and ~5 ms a step.
    """

    def __init__(self, index: int, look: SharedLook, throttle: Throttle | None = None) -> None:
        self.index = index
        self.reasoning = self.code = self.output = ""  # the HTML of each part
        self.title = f"Step {index} · thinking…"
        self.open = True
        self._dirty = False
        self.throttle = throttle or Throttle()
        self.throttle.hold()  # a reply streamed faster than one interval is shown once, whole, when it is proposed
        self._text: list[str] = []
        self._shown = 0
        self.widget = look.html("autogpt-step", value=self.snapshot_html(True))  # says it thinks, until a token

    @property
    def text(self) -> str:
        return "".join(self._text)

    def add_delta(self, text: str) -> bool:
        """Append streamed text; show it if the throttle allows. Return True when the widget was updated."""
        self._text.append(text)
        if self.throttle.due():
            self.flush()
            return True
        return False

    def flush(self) -> None:
        """Show every pending piece of the streamed reply."""
        if len(self._text) != self._shown:
            self._shown = len(self._text)
            self.reasoning = streaming_html(self.text)
            self._show()

    def restart(self) -> None:
        """Drop the text streamed so far: the loop is asking the model again (a ``retry`` notice)."""
        self._text, self._shown = [], 0
        self.reasoning = ""
        self._show()

    def replied(self, text: str) -> None:
        """Replace the raw stream by the rendered reply: thinking collapsed, prose (the code comes with ``proposed``)."""
        self._text, self._shown = [text], 1
        self.reasoning = reply_html(text)
        self.title = f"Step {self.index}"
        self._dirty = True  # shown with the code, proposed right after it (or by ``settle``)

    def proposed(self, event: CodeProposed) -> None:
        flags = ""
        if event.flags:
            flags = f'<div style="color: var(--jp-warn-color0, #b26b00);">⚠ {html.escape(", ".join(event.flags))}</div>'
        self.code = code_html(event.code) + flags
        self.output = '<i style="opacity: .6;">running…</i>'
        self.title = f"Step {self.index} · running…"
        self._show()

    def executed(self, event: CodeExecuted) -> None:
        self.code = code_html(event.code)
        self.output = observation_html(event.observation)
        self._dirty = True  # shown once the step is closed up, right after it finished (or by ``settle``)

    def waiting(self, what: str) -> None:
        """Say that the step waits for the user's ``what`` (``approval``, ``review``)."""
        self.output = f'<i style="opacity: .6;">waiting for your {html.escape(what)}…</i>'
        self._show()

    def finished(self, step: Step) -> None:
        if step.skipped:
            self.output = '<i style="opacity: .7;">skipped: the code did not run</i>'
            if step.code and not self.code:  # skipped at the plan review, before it was proposed to run
                self.code = code_html(step.code)
        first = without_plan(prose_of(step.reply)).splitlines()  # "Plan:" says nothing of what the step did
        gist = first[0][:60] + ("…" if len(first[0]) > 60 else "") if first else ""
        mark = " ✗" if step.error else (" (skipped)" if step.skipped else "")
        self.title = f"Step {step.index}{mark}" + (f" · {gist}" if gist else "")
        self._dirty = True

    def close_up(self) -> None:
        """Close the entry (the next step started); the user may open it again."""
        self.open = False
        self.settle()

    def settle(self) -> None:
        """Show what changed since the widget was last updated."""
        if self._dirty:
            self._show()

    def _show(self) -> None:
        # Each update is a comm message carrying the whole step: the events that follow one another with no
        # wait between them (replied -> proposed, executed -> finished -> the next step) share one.
        self.widget.value = self.snapshot_html(self.open)
        self._dirty = False

    def snapshot_html(self, open: bool = False) -> str:
        """Return what the step shows now, as a ``<details>`` entry (closed unless ``open``)."""
        parts = (("reasoning", self.reasoning), ("code", self.code), ("output", self.output))
        body = "".join(f'<div class="autogpt-step-{name}">{part}</div>' for name, part in parts if part)
        return (f"<details{' open' if open else ''}><summary><b>{html.escape(self.title)}</b></summary>"
                f"{body}</details>")

    @property
    def widgets(self) -> list[Any]:
        return [self.widget]
