"""``final_answer`` in the user's namespace for the length of a run, and the answers a step gave through it.

Bound when the run starts, removed when it stops; a ``final_answer`` the user had bound is put back.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

__all__ = ["NAME", "FinalAnswer"]

NAME = "final_answer"


class FinalAnswer:
    """The ``final_answer`` function the agent's code calls, and its binding in the user namespace."""

    def __init__(self) -> None:
        self._saved: tuple[bool, Any] = (False, None)
        self.values: list[Any] = []

    def final_answer(self, value: Any = None) -> Any:
        """Finish the run with ``value`` as its answer (any Python object)."""
        self.values.append(value)
        return None

    def bind(self, ns: MutableMapping[str, Any]) -> None:
        """Bind ``final_answer`` in ``ns``, remembering a binding the user had."""
        self._saved = (NAME in ns, ns.get(NAME))
        ns[NAME] = self.final_answer

    def unbind(self, ns: MutableMapping[str, Any]) -> None:
        """Put back the user's ``final_answer``, or remove ours (a step may have rebound it: then leave that)."""
        had, value = self._saved
        if had:
            ns[NAME] = value
        elif ns.get(NAME) == self.final_answer:
            del ns[NAME]

    def clear(self) -> None:
        """Forget the answers given so far (a new step starts)."""
        self.values.clear()

    @property
    def answered(self) -> bool:
        """Whether ``final_answer`` was called since the last ``clear``."""
        return bool(self.values)

    @property
    def last(self) -> Any:
        """The latest answer given, or ``None``."""
        return self.values[-1] if self.values else None
