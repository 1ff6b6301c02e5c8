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

__all__ = ["StepView", "Throttle"]

#: At most this many updates per second per streaming widget.
MAX_RATE = 20.0


class Throttle:
    """Say when an update is due: at most ``rate`` per second, measured on ``clock``."""

    def __init__(self, rate: float = MAX_RATE, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.last = float("-inf")

    def due(self) -> bool:
        """Return True (and start a new interval) when the last update is at least one interval old."""
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            return True
        return False


class StepView:
    """The widgets of one step: the reasoning (streamed), the code, and what running it produced."""

    def __init__(self, index: int, throttle: Throttle | None = None) -> None:
        import ipywidgets as w

        self.index = index
        self.reasoning = w.HTML(layout=w.Layout(width="100%"))
        self.code = w.HTML(layout=w.Layout(width="100%"))
        self.output = w.HTML(layout=w.Layout(width="100%"))
        for part, name in ((self.reasoning, "reasoning"), (self.code, "code"), (self.output, "output")):
            part.add_class(f"autogpt-step-{name}")
        self.box = w.VBox([self.reasoning, self.code, self.output])
        self.title = f"Step {index} · thinking…"
        self.throttle = throttle or Throttle()
        self._text: list[str] = []
        self._shown = 0

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
            self.reasoning.value = streaming_html(self.text)

    def restart(self) -> None:
        """Drop the text streamed so far: the loop is asking the model again (a ``retry`` notice)."""
        self._text, self._shown = [], 0
        self.reasoning.value = ""

    def replied(self, text: str) -> None:
        """Replace the raw stream by the rendered reply: thinking collapsed, prose (the code comes with ``proposed``)."""
        self._text, self._shown = [text], 1
        self.reasoning.value = reply_html(text)
        self.title = f"Step {self.index}"

    def proposed(self, event: CodeProposed) -> None:
        flags = ""
        if event.flags:
            flags = f'<div style="color: var(--jp-warn-color0, #b26b00);">⚠ {html.escape(", ".join(event.flags))}</div>'
        self.code.value = code_html(event.code) + flags
        self.output.value = '<i style="opacity: .6;">running…</i>'
        self.title = f"Step {self.index} · running…"

    def executed(self, event: CodeExecuted) -> None:
        self.code.value = code_html(event.code)
        self.output.value = observation_html(event.observation)

    def finished(self, step: Step) -> None:
        if step.skipped:
            self.output.value = '<i style="opacity: .7;">skipped: the code did not run</i>'
            if step.code and not self.code.value:  # skipped at the plan review, before it was proposed to run
                self.code.value = code_html(step.code)
        first = without_plan(prose_of(step.reply)).splitlines()  # "Plan:" says nothing of what the step did
        gist = first[0][:60] + ("…" if len(first[0]) > 60 else "") if first else ""
        mark = " ✗" if step.error else (" (skipped)" if step.skipped else "")
        self.title = f"Step {step.index}{mark}" + (f" · {gist}" if gist else "")

    def snapshot_html(self) -> str:
        """Return what the step shows now, as a static ``<details>`` entry."""
        body = self.reasoning.value + self.code.value + self.output.value
        return f"<details><summary><b>{html.escape(self.title)}</b></summary>{body}</details>"

    @property
    def widgets(self) -> list[Any]:
        return [self.box, self.reasoning, self.code, self.output]
