"""The composition root: picks the model, the executor and the renderers for a run, and keeps the last run.

The one module that imports concrete pieces of every layer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

from . import models, prompts
from .agent import Agent
from .errors import RunCancelled
from .events import CodeProposed, Event, RunFinished
from .execution.ipython import IPythonExecutor
from .types import Decision, Run, RunConfig
from .ui.base import Approving, Renderer, Stoppable
from .ui.text import TextRenderer

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = ["Session", "drive", "last_run"]

log = logging.getLogger(__name__)

_last: Run | None = None


def last_run() -> Run | None:
    """Return the latest run of this kernel, or ``None`` before the first."""
    return _last


def drive(events: Generator[Event, None, None], renderers: Sequence[Renderer]) -> Run:
    """Feed every event to every renderer and return the run.

    A KeyboardInterrupt that lands while a renderer is busy is thrown into the loop, which ends the run as
    "interrupted" at once, so the run and its transcript survive wherever the interrupt strikes. A renderer
    that fails is dropped (logged) rather than allowed to break the run.
    """
    live = list(renderers)
    run: Run | None = None
    try:
        event = next(events)
        while True:
            try:
                for renderer in list(live):
                    _feed(renderer, event, live)
                if isinstance(event, RunFinished):
                    run = event.run
                event = next(events)
            except KeyboardInterrupt:
                event = events.throw(KeyboardInterrupt())
    except StopIteration:
        pass
    finally:
        for renderer in live:
            _close(renderer)
    assert run is not None, "the agent loop ended without RunFinished"
    return run


def _feed(renderer: Renderer, event: Event, live: list[Renderer]) -> None:
    try:
        renderer.handle(event)
    except KeyboardInterrupt:
        raise
    except Exception:
        log.exception("renderer %r failed; it stops showing this run", renderer)
        live.remove(renderer)


def _close(renderer: Renderer) -> None:
    try:
        renderer.close()
    except Exception:
        log.exception("renderer %r failed to close", renderer)


def _stdin_approver(ask: Callable[[str], str]) -> Callable[[CodeProposed], Decision]:
    """Return an approver that asks at a text prompt (terminal IPython, or a kernel that allows stdin)."""

    def approve(proposal: CodeProposed) -> Decision:
        flags = f" (flagged: {', '.join(proposal.flags)})" if proposal.flags else ""
        answer = ask(f"\nRun step {proposal.index}{flags}? [y]es / [n]o (skip) / [s]top / or type feedback: ").strip()
        if answer.lower() in {"", "y", "yes"}:
            return Decision("run")
        if answer.lower() in {"s", "stop", "q"}:
            return Decision("stop")
        if answer.lower() in {"n", "no"}:
            return Decision("skip")
        return Decision("skip", feedback=answer)

    return approve


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
        self.last_executor: IPythonExecutor | None = None

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
        global _last
        model = model or self.build_model(config, **model_options)
        renderers = self.renderers(config)
        stop_sources = [r for r in renderers if isinstance(r, Stoppable)]
        executor = IPythonExecutor(self.shell)
        self.last_executor = executor  # %autogpt undo reaches the last run's undo log through it
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
            return _stdin_approver(input)
        if getattr(kernel, "_allow_stdin", False):
            return _stdin_approver(kernel.raw_input)
        return _refuse_approval

    def __repr__(self) -> str:
        return f"<Session view={self.view!r} last={_last!r}>"


def _refuse_approval(proposal: CodeProposed) -> Decision:
    raise RunCancelled(
        "this step needs approval, but this frontend can show neither widgets nor an input prompt: "
        "run in JupyterLab/Notebook with ipywidgets, or drop --approve / use --policy auto"
    )
