"""Attributes and mapping items replaced for the length of a step, and put back after it.

The one mechanism behind every replacement a step's guard makes: ``input``/``getpass``, the process-ending
functions of ``os``/``signal``/``faulthandler`` (``execution.killers``), the shell's routes to refused magics
(``execution.shell_routes``) and the process-starting functions (``execution.children``). A step that replaced
one of them again (``os._exit = print``) gets the original back, and the model reads a note saying so.

Closing survives an interrupt landing inside it (see ``execution.guards``): each entry is restored before it
is forgotten, so a second pass restores what the first could not, and never reports an entry twice.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

__all__ = ["MISSING", "Patches", "current"]

#: Marks an attribute or item that did not exist before the step (restoring it deletes it).
MISSING: Any = object()


def current(owner: Any, name: str) -> Any:
    """Return ``owner``'s own binding of ``name`` (a mapping item, or an entry of ``vars(owner)``), or ``MISSING``."""
    if isinstance(owner, MutableMapping):
        return owner.get(name, MISSING)
    return vars(owner).get(name, MISSING)


def _bind(owner: Any, name: str, value: Any) -> None:
    if isinstance(owner, MutableMapping):
        if value is MISSING:
            owner.pop(name, None)
        else:
            owner[name] = value
    elif value is MISSING:
        if name in vars(owner):
            delattr(owner, name)
    else:
        setattr(owner, name, value)


class Patches:
    """Replacements made when a step starts and undone when it ends.

    Parameters
    ----------
    what
        How the note for the model names these bindings ("process functions", "shell routes" ...).

    Attributes
    ----------
    notes
        What the step had replaced again and was put back, filled on ``close``.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.notes: list[str] = []
        self._table: list[tuple[Any, str, Any]] = []
        self._saved: list[tuple[Any, str, Any, Any]] = []

    def add(self, owner: Any, name: str, replacement: Any) -> None:
        """Replace ``owner.name`` (or ``owner[name]`` for a mapping) with ``replacement`` when the step starts."""
        self._table.append((owner, name, replacement))

    def __len__(self) -> int:
        return len(self._table)

    def enter(self) -> None:
        """Make every replacement, remembering what each replaced."""
        for owner, name, replacement in self._table:
            self._saved.append((owner, name, replacement, current(owner, name)))
            _bind(owner, name, replacement)

    def close(self) -> None:
        """Put back every original (idempotent; safe to call again after an interrupt cut it short)."""
        changed: list[str] = []
        while self._saved:
            owner, name, replacement, original = self._saved[-1]
            now = current(owner, name)
            if now is not replacement and now is not original:
                changed.append(name)
            _bind(owner, name, original)
            self._saved.pop()  # only once restored: a pass cut short before this line restores it again
        if changed:
            names = ", ".join(dict.fromkeys(reversed(changed)))
            self.notes.append(f"Note: the step replaced {self.what} {names}; the originals were restored.")
