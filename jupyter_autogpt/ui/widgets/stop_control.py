"""The Stop button: a click sets the run's stop request, on whatever thread the click arrives.

What happens next is ``jupyter_autogpt/interrupts.py``'s: the loop reads the request at each step boundary,
and ``drive`` throws the typed cancellation into a streaming reply. On ipykernel 7 the click is handled on a
kernel subshell thread while the main thread runs the cell (see ``ui/clicks.py``), so it only sets flags.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..base import StopFlag

__all__ = ["StopControl"]


def _nothing() -> None:
    return None


class StopControl:
    """The view's Stop button, bound to the run's stop request.

    Parameters
    ----------
    stop
        The flag a click sets (the run's ``interrupts.StopRequest``).
    on_stop
        Called right after the flag is set, on the same thread (e.g. to answer a waiting approval with
        "stop"): it must only set flags too.
    """

    def __init__(self, stop: StopFlag, on_stop: Callable[[], None] = _nothing) -> None:
        import ipywidgets as w

        self.stop = stop
        self.on_stop = on_stop
        self.button = w.Button(description="Stop", icon="stop", button_style="danger", tooltip="End the run")
        self.button.add_class("autogpt-stop")
        self.button.on_click(self._clicked)

    @property
    def requested(self) -> bool:
        """Return whether the run was asked to stop."""
        return self.stop.is_set()

    def request(self) -> None:
        """Ask the run to stop; safe on any kernel thread (subshell or shell channel): it only sets flags."""
        self.stop.set()
        self.on_stop()

    def hide(self) -> None:
        """Hide the button (the run ended, or clicks cannot reach the kernel while it runs)."""
        self.button.layout.display = "none"

    def _clicked(self, _: Any) -> None:
        # May run on a kernel subshell thread: set flags, touch only this button.
        self.request()
        with self.button.hold_sync():
            self.button.description = "Stopping…"
            self.button.disabled = True
