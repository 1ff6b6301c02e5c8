"""Refusals made while a step runs: the error the step's code gets, and the notes the model reads.

The static assessment (``risk``) refuses what it can read in a step's code before anything runs. What it
cannot read, a computed name (``getattr(os, "_e" + "xit")``), ``exec``, text handed to the shell, a module's
``__dict__``, is refused by the run-time guard at the call itself: the call raises ``RefusedCall`` (worded
by ``risk.refusals.runtime_refusal_text``), and the model reads a note even if the code caught the error.
"""

from __future__ import annotations

from typing import NoReturn

from ..risk.refusals import runtime_refusal_text

__all__ = ["RefusalLog", "RefusedCall"]


class RefusedCall(RuntimeError):
    """Raised in a step's code by a call the run-time guard refused (it would end, replace or wipe the session)."""


class RefusalLog:
    """What the run-time guard refused during one step, for the model's notes.

    Attributes
    ----------
    refused
        ``(what, why)`` of each refusal, in order.
    """

    def __init__(self) -> None:
        self.refused: list[tuple[str, str]] = []

    def refuse(self, what: str, why: str) -> NoReturn:
        """Record the refusal of ``what`` and raise ``RefusedCall`` in the caller."""
        __tracebackhide__ = True  # IPython leaves this frame out of the traceback the model reads
        self.refused.append((what, why))
        raise RefusedCall(runtime_refusal_text(what, why))

    def enter(self) -> None:
        """Start a step with nothing refused."""
        self.refused.clear()

    def close(self) -> None:
        """Keep the refusals for ``notes`` (nothing to restore)."""

    @property
    def notes(self) -> list[str]:
        """Return one note listing what was refused, or none."""
        if not self.refused:
            return []
        listed = "; ".join(f"`{what}` ({why})" for what, why in dict.fromkeys(self.refused))
        return [f"Note: refused while the step ran: {listed}. Nothing of that kind can run in a step."]
