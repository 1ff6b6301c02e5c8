"""Interrupts: ``drive`` feeds a run's events to its views and makes sure an interrupt never loses the run.

A kernel interrupt (the ■ button: SIGINT, a ``KeyboardInterrupt``) ends the run at the next safe point as
``"interrupted"``, keeping every step done so far:

* in the model's stream or the loop's own code: the loop catches it and ends the run (``agent.py``);
* in a step's code: the nested ``run_cell`` swallows it into ``error_in_exec``; the executor re-raises it
  (``execution/ipython.py``) and the loop catches it as above;
* in a renderer busy with an event: ``drive`` catches it and throws it into the loop, which ends the run at
  once. After ``RunFinished`` there is nothing left to stop: an interrupt then only cuts that renderer short;
* should the loop itself die without ``RunFinished``, ``drive`` rebuilds the run from the events it saw.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Sequence

from .events import Event, FinalAnswer, ModelReplied, RunFinished, RunStarted, StepFinished
from .redaction import redact
from .types import Run, RunStatus, Step, Usage
from .ui.base import Renderer

__all__ = ["drive"]

log = logging.getLogger(__name__)


def drive(events: Generator[Event, None, None], renderers: Sequence[Renderer]) -> Run:
    """Feed every event to every renderer and return the run.

    A KeyboardInterrupt that lands while a renderer is busy is thrown into the loop, which ends the run as
    "interrupted" at once, so the run and its transcript survive wherever the interrupt strikes. Once the
    loop has sent ``RunFinished`` there is nothing left to stop: an interrupt then only cuts that renderer
    short. Should the loop itself die without ``RunFinished``, the run is rebuilt from the events it sent.
    A renderer that fails is dropped (logged, and closed) rather than allowed to break the run.
    """
    live = list(renderers)
    dropped: list[Renderer] = []
    record = _Record()
    try:
        event = next(events)
        while True:
            try:
                record.note(event)
                interrupted = _feed_all(live, dropped, event)
            except KeyboardInterrupt:
                interrupted = True
            # Throw only into a loop that can still stop: after RunFinished it is done, and so is the run.
            event = events.throw(KeyboardInterrupt()) if interrupted and record.run is None else next(events)
    except StopIteration:
        pass
    except (KeyboardInterrupt, Exception) as exc:  # the loop broke its promise of a RunFinished
        if record.run is None and not record.rebuild(exc):
            raise
    finally:
        _close_loop(events)
        for renderer in live + dropped:
            _close(renderer)
    if record.run is None:
        raise RuntimeError("the agent loop ended without RunFinished")
    return record.run


def _feed_all(live: list[Renderer], dropped: list[Renderer], event: Event) -> bool:
    """Give ``event`` to each live renderer; return whether an interrupt landed in one of them.

    The renderers after an interrupted one skip this event: they see the events the stopping loop sends
    next (or, after ``RunFinished``, nothing more).
    """
    for renderer in list(live):
        try:
            renderer.handle(event)
        except KeyboardInterrupt:
            return True
        except Exception:
            log.exception("renderer %r failed; it stops showing this run", renderer)
            live.remove(renderer)
            dropped.append(renderer)
    return False


def _close_loop(events: Generator[Event, None, None]) -> None:
    """Close the loop's generator (a no-op once it ended): a loop abandoned midway still restores the namespace."""
    try:
        events.close()
    except (Exception, KeyboardInterrupt):
        log.exception("the agent loop failed to close")


def _close(renderer: Renderer) -> None:
    try:
        renderer.close()
    except (Exception, KeyboardInterrupt):  # one renderer's close must not keep the others open or lose the run
        log.exception("renderer %r failed to close", renderer)


class _Record:
    """What ``drive`` learnt from the events: the run, or enough to rebuild it if the loop dies first."""

    def __init__(self) -> None:
        self.run: Run | None = None
        self.started: RunStarted | None = None
        self.steps: list[Step] = []
        self.usage = Usage()
        self.answer: FinalAnswer | None = None

    def note(self, event: Event) -> None:
        if isinstance(event, RunFinished):
            self.run = event.run
        elif isinstance(event, RunStarted):
            self.started = event
        elif isinstance(event, StepFinished):
            self.steps.append(event.step)
        elif isinstance(event, ModelReplied):
            self.usage = event.total_usage
        elif isinstance(event, FinalAnswer):
            self.answer = event

    def rebuild(self, exc: BaseException) -> bool:
        """Build the run from the events seen, ended by ``exc``; return False if it never started."""
        if self.started is None:
            return False
        if self.answer is not None:
            status: RunStatus = "finished"
            error = None
        elif isinstance(exc, KeyboardInterrupt):
            status, error = "interrupted", "interrupted by the user"
        else:
            log.error("the agent loop failed", exc_info=exc)
            status, error = "failed", f"internal error: {type(exc).__name__}: {exc}"
        start = self.started
        self.run = Run(
            goal=start.goal, model=start.model, status=status, steps=tuple(self.steps),
            answer=self.answer.answer if self.answer is not None else None, usage=self.usage, id=start.run_id,
            config=start.config, started_at=start.started_at, duration=time.time() - start.started_at,
            error=redact(error) if error else None,
        )
        return True
