"""The layouts and the style that the widgets of one view share.

Every ``Layout`` and ``HTMLStyle`` is a widget of its own, a comm the kernel opens and later closes: an ``HTML``
built with its own layout and style costs three comms, about five times one that shares them (ipywidgets lets
any number of widgets share a layout or a style). A view builds one ``SharedLook``; its steps' widgets use it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SharedLook"]


class SharedLook:
    """One full-width layout, one plain layout and one HTML style, for every widget of a view that needs no other."""

    def __init__(self) -> None:
        import ipywidgets as w
        from ipywidgets.widgets.widget_string import HTMLStyle

        self.full_width = w.Layout(width="100%")
        self.plain = w.Layout()
        self.style = HTMLStyle()

    def html(self, *classes: str, full_width: bool = True, value: str = "") -> Any:
        """Return an ``HTML`` widget showing ``value``, with the shared layout and style and ``classes``.

        What it shows and its classes travel with the comm's opening: set afterwards, each is one more message.
        """
        import ipywidgets as w

        layout = self.full_width if full_width else self.plain
        return w.HTML(value, layout=layout, style=self.style, _dom_classes=classes)
