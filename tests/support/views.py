"""The live view under test: a display that records, a clock moved by hand, click deliveries, open widgets."""

from __future__ import annotations

import warnings
from typing import Any

import ipywidgets

from jupyter_autogpt.ui.clicks import ClickDelivery
from jupyter_autogpt.ui.widgets import WidgetRenderer

__all__ = ["DEAD", "LIVE", "WAIT", "Handle", "Ticker", "make_view", "open_widgets"]

WAIT = 10.0  # seconds: a bound for thread hand-offs that take microseconds, so a bug fails instead of hanging
LIVE = ClickDelivery("native", "test: clicks arrive")
DEAD = ClickDelivery("none", "test: no subshells")


class Handle:
    """Records what a display showed and how it was updated (stands in for IPython's DisplayHandle)."""

    def __init__(self) -> None:
        self.shown: list[Any] = []
        self.updates: list[Any] = []

    def __call__(self, obj: Any) -> Handle:
        self.shown.append(obj)
        return self

    def update(self, obj: Any) -> None:
        self.updates.append(obj)


class Ticker:
    """A monotonic clock the test advances by hand (paces throttled updates without sleeping)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_view(handle: Handle, delivery: ClickDelivery = LIVE, **options: Any) -> WidgetRenderer:
    """Return a live view that shows itself on ``handle``, with clicks delivered as ``delivery`` says."""
    return WidgetRenderer(display=handle, delivery=delivery, **options)


def open_widgets() -> int:
    """Return how many widgets the kernel side holds (each one an open comm)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the registry is deprecated as API, not removed
        return len(ipywidgets.Widget.widgets)
