"""``final_answer`` in the user's namespace for the length of a run, and the answers a step gave through it.

Bound when the run starts, removed when it stops; a ``final_answer`` the user had bound is put back. A step that
rebinds or deletes it (``def final_answer(x): ...``) gets ours back after the step, and a note: its answers
would otherwise never reach the run, and the model's function would be left in the user's namespace.

The answers a step gave are kept in order (``values``), so an answer given just before an interrupt survives it
(``execution.base.StepInterrupted`` carries it to the loop).
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
        self._bound = self.final_answer  # one bound method, compared by identity (never by a user's __eq__)
        self._active = False

    def final_answer(self, value: Any = None) -> Any:
        """Finish the run with ``value`` as its answer (any Python object)."""
        self.values.append(value)
        return None

    def bind(self, ns: MutableMapping[str, Any]) -> None:
        """Bind ``final_answer`` in ``ns``, remembering a binding the user had."""
        self._saved = (NAME in ns, ns.get(NAME))
        ns[NAME] = self._bound
        self._active = True

    def repair(self, ns: MutableMapping[str, Any]) -> list[str]:
        """Bind ours again if a step rebound or deleted ``final_answer``; return the note for the model."""
        if not self._active or ns.get(NAME) is self._bound:  # not bound: an executor used without a run
            return []
        ns[NAME] = self._bound
        return ["Note: the step rebound or deleted `final_answer`; the run's own was restored. "
                "Call final_answer(value) to finish; never define it."]

    def unbind(self, ns: MutableMapping[str, Any]) -> None:
        """Put back the user's ``final_answer``, or remove the run's (whatever a step bound there is the model's)."""
        had, value = self._saved
        self._active = False
        if had:
            ns[NAME] = value
        else:
            ns.pop(NAME, None)

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
