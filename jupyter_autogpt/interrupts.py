"""Interrupt and Stop: how a run ends early, and ``drive``, which feeds a run's events to its views.

The contract
------------
A kernel interrupt (the ■ button: SIGINT, a ``KeyboardInterrupt``) or the view's Stop button ends the run at
the next safe point as ``"interrupted"``, keeping every step done so far. The user's namespace is restored,
and the run is still returned, kept as ``last_run()`` and exportable. The loop treats ``KeyboardInterrupt``
and the typed cancellation ``errors.RunCancelled`` alike.

Where each is detected, and how it travels
------------------------------------------
A **kernel interrupt** is raised wherever the main thread happens to be:

* in the model's stream or the loop's own code: the loop catches it and ends the run (``agent/loop.py``);
* in a step's code: the nested ``run_cell`` swallows it into ``error_in_exec``; the executor re-raises it
  (``execution/ipython.py``) and the loop catches it as above;
* in a renderer busy with an event: ``drive`` catches it and throws it into the loop, which ends the run at
  once. After ``RunFinished`` there is nothing left to stop: an interrupt then only cuts that renderer short;
* should the loop itself die without ``RunFinished``, ``drive`` rebuilds the run from the events it saw.

**Stop** is a ``StopRequest``, one per run, made by the session and handed to the view: a flag the Stop button
sets from a kernel thread (on ipykernel 7 clicks are handled on a comm subshell while the main thread runs the
cell; see ``ui/clicks.py``). It is read:

* by the loop at each step boundary (``Agent(should_stop=request.is_set)``), which raises ``RunCancelled``;
* by ``drive`` while the model streams a reply: after the next streamed delta it throws the request's
  ``RunCancelled`` into the loop, so a long reply is not waited for. The partial reply is dropped;
* by the approver: a step waiting for approval is answered "stop", and the loop raises ``RunCancelled``.

Stop never cuts a step's code short: the code runs to its end and the run stops at the boundary after it.
Cutting running code is what the kernel interrupt is for.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Generator, Sequence

from .errors import RunCancelled
from .events import Event, FinalAnswer, ModelDelta, ModelReplied, PlanUpdated, RunFinished, RunStarted, StepFinished
from .plan import Plan
from .redaction import redact
from .types import Run, RunStatus, Step, Usage
from .ui.base import Renderer

__all__ = ["StopRequest", "drive"]

log = logging.getLogger(__name__)

#: Why a run ended when Stop cut a streaming reply: the words it ended with when Stop was a fake interrupt.
STOPPED_MID_REPLY = "interrupted by the user"


class StopRequest:
    """The user's request to stop one run: set from any thread, read by the loop, ``drive`` and the approver."""

    def __init__(self) -> None:
        self._flag = threading.Event()

    def set(self) -> None:
        """Ask the run to stop. Safe on any thread: it only sets a flag."""
        self._flag.set()

    def is_set(self) -> bool:
        """Return whether the run was asked to stop (what ``Agent(should_stop=...)`` polls)."""
        return self._flag.is_set()

    def cancellation(self) -> RunCancelled:
        """Return the typed cancellation ``drive`` throws into a loop that is streaming a reply."""
        return RunCancelled(STOPPED_MID_REPLY)


def drive(
    events: Generator[Event, None, None], renderers: Sequence[Renderer], stop: StopRequest | None = None
) -> Run:
    """Feed every event to every renderer and return the run, ending it early as the contract above says.

    A KeyboardInterrupt that lands while a renderer is busy, or a Stop requested while the model streams
    (``stop``), is thrown into the loop, which ends the run as "interrupted" at once, so the run and its
    transcript survive wherever the interrupt strikes. A renderer that fails is dropped (logged, and closed)
    rather than allowed to break the run.
    """
    live = list(renderers)
    dropped: list[Renderer] = []
    record = _Record()
    try:
        event = next(events)
        while True:
            try:
                record.note(event)
                cancel: BaseException | None = KeyboardInterrupt() if _feed_all(live, dropped, event) else None
            except KeyboardInterrupt:
                cancel = KeyboardInterrupt()
            cancel = cancel or record.stop_due(event, stop)
            # Throw only into a loop that can still stop: after RunFinished it is done, and so is the run.
            event = events.throw(cancel) if cancel is not None and record.run is None else next(events)
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
        self.plan: Plan | None = None
        self.stop_thrown = False

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
        elif isinstance(event, PlanUpdated):
            self.plan = event.plan

    def stop_due(self, event: Event, stop: StopRequest | None) -> RunCancelled | None:
        """Return the cancellation for a Stop that came while the model streams ``event`` (once a run), else None."""
        if stop is None or self.stop_thrown or not isinstance(event, ModelDelta) or not stop.is_set():
            return None
        self.stop_thrown = True
        return stop.cancellation()

    def rebuild(self, exc: BaseException) -> bool:
        """Build the run from the events seen, ended by ``exc``; return False if it never started."""
        if self.started is None:
            return False
        if self.answer is not None:
            status: RunStatus = "finished"
            error = None
        elif isinstance(exc, (KeyboardInterrupt, RunCancelled)):
            status, error = "interrupted", str(exc) or "interrupted by the user"
        else:
            log.error("the agent loop failed", exc_info=exc)
            status, error = "failed", f"internal error: {type(exc).__name__}: {exc}"
        start = self.started
        self.run = Run(
            goal=start.goal, model=start.model, status=status, steps=tuple(self.steps),
            answer=self.answer.answer if self.answer is not None else None, usage=self.usage, id=start.run_id,
            config=start.config, started_at=start.started_at, duration=time.time() - start.started_at,
            error=redact(error) if error else None, context=start.context, plan=self.plan,
        )
        return True
