"""The static view: nothing while the run goes, then exactly what the live view leaves once it ends.

For notebooks whose saved outputs must be reproducible (nbval compares them with a re-execution, which the
live view's widget outputs and display updates defeat) and for frontends without widgets: one display, the
static transcript (``widgets.StaticTranscript``) with the run's notices, shown when the run ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..events import Event, Noticed, RunFinished
from ..limits import VIEW_ERROR_CHARS, cut_middle
from .widgets.static import StaticTranscript

__all__ = ["StaticView"]


class StaticView:
    """Show the static transcript of a run when it ends (a ``Renderer``).

    Parameters
    ----------
    display
        Shows an object (default: ``IPython.display.display``); tests pass a recorder.
    """

    def __init__(self, display: Callable[[Any], Any] | None = None) -> None:
        self._display = display or _ipython_display
        self.notes: list[tuple[str, str]] = []

    def handle(self, event: Event) -> None:
        if isinstance(event, Noticed) and event.level != "retry":
            self.notes.append((event.level, cut_middle(event.message, VIEW_ERROR_CHARS)))
        elif isinstance(event, RunFinished):
            self._display(StaticTranscript(event.run, tuple(self.notes)))

    def close(self) -> None:
        """Nothing to close: the view holds no widget."""


def _ipython_display(obj: Any) -> Any:
    from IPython.display import display

    return display(obj)
