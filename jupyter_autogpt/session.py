"""The composition root: picks the model, the executor and the renderers for a run, and keeps the last run.

The one module that imports concrete pieces of every layer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

from . import models, prompts
from .agent import Agent
from .agent.approvals import refuse_approval, stdin_approver
from .events import CodeProposed, Event, FinalAnswer, ModelReplied, RunFinished, RunStarted, StepFinished
from .execution.ipython import IPythonExecutor
from .execution.undo import UndoReport
from .redaction import redact
from .types import Decision, Run, RunConfig, RunStatus, Step, Usage
from .ui.base import Approving, Renderer, Stoppable
from .ui.text import TextRenderer

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = ["Session", "drive", "last_run", "last_undo"]

log = logging.getLogger(__name__)

_last: Run | None = None
#: The latest run's executor: its undo log outlives the magics instance (``%reload_ext`` keeps it reachable).
_last_executor: IPythonExecutor | None = None


def last_run() -> Run | None:
    """Return the latest run of this kernel, or ``None`` before the first."""
    return _last


def last_undo() -> Callable[[], UndoReport] | None:
    """Return the undo of the latest run (restores the variables it rebound or deleted), or ``None`` before one."""
    return _last_executor.undo if _last_executor is not None else None


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


def _close(renderer: Renderer) -> None:
    try:
        renderer.close()
    except (Exception, KeyboardInterrupt):  # one renderer's close must not keep the others open or lose the run
        log.exception("renderer %r failed to close", renderer)


class Session:
    """Start runs in a shell's namespace and remember the latest.

    Parameters
    ----------
    shell
        The user's IPython shell.
    view
        ``"auto"`` (widgets in a kernel with a frontend, text in a terminal), ``"widgets"``, ``"text"`` or
        ``"none"``.
    """

    def __init__(self, shell: InteractiveShell, view: str = "auto") -> None:
        self.shell = shell
        self.view = view
        self.renderer_factories: list[Callable[[RunConfig], Renderer | None]] = []

    def build_model(self, config: RunConfig, **options: Any) -> models.Model:
        """Return the model backend for ``config`` (raises ``ConfigError`` before any run starts)."""
        return models.resolve(config.model, base_url=config.base_url, **options)

    def renderers(self, config: RunConfig) -> list[Renderer]:
        """Return the renderers for one run: the live view plus any registered extras."""
        found: list[Renderer] = []
        view = self._main_view()
        if view is not None:
            found.append(view)
        for factory in self.renderer_factories:
            extra = factory(config)
            if extra is not None:
                found.append(extra)
        return found

    def _main_view(self) -> Renderer | None:
        if self.view == "none":
            return None
        if self.view in {"auto", "widgets"} and self._has_frontend():
            try:
                from .ui.widgets import WidgetRenderer
            except ImportError:
                return TextRenderer()
            return WidgetRenderer()
        return TextRenderer()

    def _has_frontend(self) -> bool:
        return getattr(self.shell, "kernel", None) is not None

    def run(self, goal: str, config: RunConfig, *, model: models.Model | None = None, **model_options: Any) -> Run:
        """Run ``goal`` to its end and return the run; it is also kept as ``last_run()``."""
        global _last, _last_executor
        model = model or self.build_model(config, **model_options)
        renderers = self.renderers(config)
        stop_sources = [r for r in renderers if isinstance(r, Stoppable)]
        executor = IPythonExecutor(self.shell)
        _last_executor = executor  # %autogpt undo reaches the latest run's undo log through last_undo()
        agent = Agent(
            model,
            executor,
            config,
            approver=self._approver(renderers),
            should_stop=lambda: any(r.stop_requested() for r in stop_sources),
            system_prompt=prompts.system_prompt(explain=config.explain),
        )
        run = drive(agent.run(goal), renderers)
        _last = run
        return run

    def _approver(self, renderers: Sequence[Renderer]) -> Callable[[CodeProposed], Decision] | None:
        for renderer in renderers:
            if isinstance(renderer, Approving) and renderer.can_approve():
                return renderer.approve
        kernel = getattr(self.shell, "kernel", None)
        if kernel is None:
            return stdin_approver(input)
        if getattr(kernel, "_allow_stdin", False):
            return stdin_approver(kernel.raw_input)
        return refuse_approval

    def __repr__(self) -> str:
        return f"<Session view={self.view!r} last={_last!r}>"

