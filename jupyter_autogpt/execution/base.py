"""The seam between the agent loop and the place code runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ..types import Observation

__all__ = ["Executor", "StepInterrupted"]


class StepInterrupted(KeyboardInterrupt):
    """The user interrupted the kernel while a step ran; what the step did until then travels with the interrupt.

    Still a ``KeyboardInterrupt``: whoever stops a run on one stops it on this. The loop may read
    ``observation`` to keep the step, and the answer when the step called ``final_answer`` before the interrupt
    (``observation.answered``, ``observation.answer``). Code that raises ``KeyboardInterrupt`` itself, with no
    interrupt from the user, is an error of the step instead (see ``execution.signals``).

    Attributes
    ----------
    observation
        What the step printed, showed and answered before the interrupt (redacted and bounded like any other).
    """

    def __init__(self, observation: Observation) -> None:
        super().__init__()
        self.observation = observation


@runtime_checkable
class Executor(Protocol):
    """Runs the agent's code and describes the namespace it runs in.

    ``start`` makes ``final_answer`` available; ``stop`` restores the namespace as it was (our names
    removed, hooks restored) and must be safe to call after any failure. ``user_names`` lists the user's
    variables (the risk assessment's rebinding check reads it); ``unseen`` picks the names whose values the
    overview cannot show in full (an answer about them before any code ran is a guess).
    """

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def run(self, code: str, timeout: float | None = None) -> Observation: ...

    def overview(self, max_chars: int, focus: Sequence[str] = ()) -> str: ...

    def describe(self, names: Sequence[str], max_chars: int, brief: Sequence[str] = ()) -> str: ...

    def user_names(self) -> list[str]: ...

    def unseen(self, names: Sequence[str]) -> list[str]: ...
