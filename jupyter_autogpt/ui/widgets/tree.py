"""Close a widget together with everything it holds: children, ``layout``, ``style`` and any other widget trait.

``Widget.close`` closes one comm; a view's layouts, button styles and nested boxes are widgets of their own
and would otherwise stay registered in the kernel (and in the frontend's widget manager) for good.
"""

from __future__ import annotations

from typing import Any

__all__ = ["close_tree"]


def _held(value: Any) -> list[Any]:
    import ipywidgets as w

    if isinstance(value, w.Widget):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, w.Widget)]
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, w.Widget)]
    return []


def close_tree(root: Any) -> int:
    """Close ``root`` and every widget reachable through its synced traits; return how many were open."""
    seen: set[int] = set()
    stack, closed = [root], 0
    while stack:
        widget = stack.pop()
        if id(widget) in seen:
            continue
        seen.add(id(widget))
        for name in widget.keys:  # the synced traits: children, layout, style, ... (read before closing)
            stack += _held(getattr(widget, name, None))
        if widget.comm is not None:
            closed += 1
        widget.close()
    return closed
