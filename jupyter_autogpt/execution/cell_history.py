"""The user's own cells, read from IPython's input history (``In``): what they worked on most recently.

The executor ranks the user's variables by it, so the overview the model reads starts with what the user
just assigned. Read through ``shell.transform_cell`` (IPython syntax becomes Python) and parsed with
``ast``; nothing here imports IPython.
"""

from __future__ import annotations

import ast
from typing import Any

from .. import risk

__all__ = ["RECENT_CELLS", "CellHistory"]

#: How many of the user's latest cells are read.
RECENT_CELLS = 50


class CellHistory:
    """The input history of ``shell``, parsed once per new cell.

    Parameters
    ----------
    shell
        The user's IPython shell (its ``user_ns["In"]`` and ``transform_cell``).
    """

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self._cache: tuple[int, list[str]] = (-1, [])

    def recently_assigned(self) -> list[str]:
        """Return the names the user's recent cells bound, newest cell first (each name once)."""
        history = self.shell.user_ns.get("In", [])
        if not isinstance(history, list):
            return []
        if self._cache[0] == len(history):
            return self._cache[1]
        seen: list[str] = []
        for source in reversed(history[-RECENT_CELLS:]):
            try:
                tree = ast.parse(self.shell.transform_cell(source))
            except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
                continue
            seen.extend(sorted(risk.rebound_names(tree) - set(seen)))
        self._cache = (len(history), seen)
        return seen
