"""The renderer seam: something that consumes a run's events."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..events import CodeProposed, Event
from ..types import Decision

__all__ = ["Approving", "Renderer", "Stoppable"]


@runtime_checkable
class Renderer(Protocol):
    """Consumes events in order. ``handle`` must not raise for a well-formed event stream."""

    def handle(self, event: Event) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Stoppable(Protocol):
    """A renderer with a Stop control; the loop polls it at step boundaries."""

    def stop_requested(self) -> bool: ...


@runtime_checkable
class Approving(Protocol):
    """A renderer that can ask the user to approve a proposed step (Run / Edit / Skip / Stop)."""

    def can_approve(self) -> bool: ...

    def approve(self, proposal: CodeProposed) -> Decision: ...
