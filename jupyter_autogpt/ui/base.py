"""The renderer seams: something that consumes a run's events, can ask for approval, or sets the Stop flag."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..events import CodeProposed, Event
from ..plan import Plan, PlanDecision
from ..types import Decision

__all__ = ["Approving", "Renderer", "Reviewing", "StopFlag"]


@runtime_checkable
class Renderer(Protocol):
    """Consumes events in order. ``handle`` must not raise for a well-formed event stream."""

    def handle(self, event: Event) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Approving(Protocol):
    """A renderer that can ask the user to approve a proposed step (Run / Edit / Skip / Stop)."""

    def can_approve(self) -> bool: ...

    def approve(self, proposal: CodeProposed) -> Decision: ...


@runtime_checkable
class Reviewing(Protocol):
    """A renderer that can ask the user to review the plan under ``--plan`` (edit it or give feedback; Run / Stop)."""

    def can_review(self) -> bool: ...

    def review(self, plan: Plan) -> PlanDecision: ...


@runtime_checkable
class StopFlag(Protocol):
    """What a Stop control sets: the run's stop request (``interrupts.StopRequest``), from any thread."""

    def set(self) -> None: ...

    def is_set(self) -> bool: ...
