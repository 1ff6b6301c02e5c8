"""The composition root: picks the model, the executor and the renderers for a run, and keeps the last run.

The one module that imports concrete pieces of every layer.
"""

from __future__ import annotations

import textwrap
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from . import instructions, models, prompts
from .agent import Agent
from .agent.approvals import Approver, refuse_approval, stdin_approver
from .agent.plan_review import PlanReviewer, refuse_review, stdin_reviewer
from .context import RunContext, Thread, thread_after
from .errors import ConfigError
from .events import CodeProposed
from .execution.cell_history import RecentWork
from .execution.ipython import IPythonExecutor
from .execution.undo import UndoReport
from .interrupts import StopRequest, drive
from .limits import clip_lines
from .recordings import Plan
from .types import Decision, Run, RunConfig
from .ui.base import Approving, Renderer, Reviewing
from .ui.text import TextRenderer

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = ["Session", "earlier_runs", "find_run", "last_run", "last_undo", "runs"]

_last: Run | None = None
#: This kernel's latest runs, oldest first (``%autogpt dataset export`` reads them); bounded, as answers can be big.
KEPT_RUNS = 100
_runs: deque[Run] = deque(maxlen=KEPT_RUNS)
#: The latest run's executor: its undo log outlives the magics instance (``%reload_ext`` keeps it reachable).
_last_executor: IPythonExecutor | None = None
#: The cell (``In[n]``) of the latest run: the user's own cells after it are "what they did since".
_last_cell = 0


def last_run() -> Run | None:
    """Return the latest run of this kernel, or ``None`` before the first."""
    return _last


def runs() -> list[Run]:
    """Return this kernel's runs (at most ``KEPT_RUNS``, the latest), oldest first."""
    return list(_runs)


def earlier_runs(run: Run) -> list[Run]:
    """Return the runs ``run`` follows up, oldest first, as far back as this kernel keeps them."""
    chain: list[Run] = []
    parent = run.parent
    while parent and all(parent != r.id for r in (run, *chain)):
        found = next((r for r in _runs if r.id == parent), None)
        if found is None:
            break
        chain.append(found)
        parent = found.parent
    return chain[::-1]


def find_run(ref: str) -> Run | None:
    """Return this kernel's run ``ref`` names: ``"latest"``, an id, or an id's unique start (4 characters or more).

    Raises
    ------
    ConfigError
        When ``ref`` names no kept run, or more than one.
    """
    if ref == "latest":
        return _last
    found = [r for r in _runs if r.id == ref] or [r for r in _runs if len(ref) >= 4 and r.id.startswith(ref)]
    if len(found) == 1:
        return found[0]
    kept = f"this kernel's last {KEPT_RUNS} runs" if len(_runs) == KEPT_RUNS else "this kernel's runs"
    if not found:
        raise ConfigError(f"no run {ref!r} among {kept}: %autogpt history lists them")
    raise ConfigError(f"{ref!r} starts {len(found)} run ids: give more of it (%autogpt history lists them)")


def last_undo() -> Callable[[], UndoReport] | None:
    """Return the undo of the latest run (restores the variables it rebound or deleted), or ``None`` before one."""
    return _last_executor.undo if _last_executor is not None else None


class Session:
    """Start runs in a shell's namespace and remember the latest.

    Parameters
    ----------
    shell
        The user's IPython shell.
    view
        ``"auto"`` (widgets in a kernel with a frontend, text in a terminal), ``"widgets"``, ``"text"``,
        ``"static"`` (only the static transcript, when the run ends) or ``"none"``.
    recordings
        Folder where runs are recorded (``""``: none); ``reuse_recordings`` replays a matching one unless
        ``fresh`` (see ``jupyter_autogpt.recordings``).
    """

    def __init__(
        self, shell: InteractiveShell, view: str = "auto", recordings: str = "", reuse_recordings: bool = False
    ) -> None:
        self.shell = shell
        self.view = view
        self.recordings = recordings
        self.reuse_recordings = reuse_recordings
        self.fresh = False
        self.renderer_factories: list[Callable[[RunConfig], Renderer | None]] = []

    def build_model(self, config: RunConfig, **options: Any) -> models.Model:
        """Return the model backend for ``config`` (raises ``ConfigError`` before any run starts)."""
        return models.resolve(config.model, base_url=config.base_url, **options)

    def renderers(self, config: RunConfig, stop: StopRequest | None = None) -> list[Renderer]:
        """Return the renderers for one run: the live view (its Stop button sets ``stop``) plus any extras."""
        found: list[Renderer] = []
        view = self._main_view(stop)
        if view is not None:
            found.append(view)
        for factory in self.renderer_factories:
            extra = factory(config)
            if extra is not None:
                found.append(extra)
        return found

    def _main_view(self, stop: StopRequest | None = None) -> Renderer | None:
        if self.view == "none":
            return None
        if self.view == "static":
            from .ui.static_view import StaticView

            return StaticView()
        if self.view in {"auto", "widgets"} and self._has_frontend():
            try:
                from .ui.widgets import WidgetRenderer
            except ImportError:
                return TextRenderer()
            text_prompt = self._text_approver()
            return WidgetRenderer(stop=stop, fallback_approver=_showing_code(text_prompt) if text_prompt else None,
                                  fallback_reviewer=self._text_reviewer())
        return TextRenderer()

    def _has_frontend(self) -> bool:
        return getattr(self.shell, "kernel", None) is not None

    def run(self, goal: str, config: RunConfig, *, model: models.Model | None = None, **model_options: Any) -> Run:
        """Run ``goal`` to its end and return the run; it is also kept as ``last_run()``.

        ``config`` says which earlier run it continues (``continue_from``, ``continue_runs``, ``new``), how many
        of the user's recent cells the model sees (``history``) and the standing instructions; a ``--continue``
        that names no run raises ``ConfigError`` before anything starts.
        """
        global _last, _last_executor, _last_cell
        executor = IPythonExecutor(self.shell)  # first: it refuses a run started from inside a step's code
        context = self.context(config)
        plan = Plan.for_run(self.recordings, self.reuse_recordings and not self.fresh, goal, config)
        model = plan.recording_model(plan.replay_model() or model or self._live_model(plan, config, model_options))
        work = RecentWork(self.shell)
        cell = work.current()  # this run's cell: the user's cells after it are what they did "since the last run"
        stop = StopRequest()  # the view's Stop button sets it; the loop and drive read it (see interrupts.py)
        renderers = self.renderers(config, stop)
        _last_executor = executor  # %autogpt undo reaches the latest run's undo log through last_undo()
        agent = Agent(
            model,
            executor,
            config,
            approver=self._approver(renderers),
            should_stop=stop.is_set,
            system_prompt=prompts.system_prompt(explain=config.explain, instructions=context.instructions.text),
            context=context,
            plan_reviewer=self._reviewer(renderers) if config.plan_review else None,
        )
        try:
            run = drive(plan.events(agent.run(goal)), renderers, stop)
        finally:
            work.forget_step_outputs()
        _last, _last_cell = run, cell
        _runs.append(run)
        plan.save(run)
        return run

    def context(self, config: RunConfig) -> RunContext:
        """Return the conversation around a run of ``config``: its thread, the user's recent cells, instructions."""
        recent = RecentWork(self.shell).since(_last_cell, config.history)
        standing = instructions.gather(config.instructions, config.instructions_file)
        return RunContext(self.thread(config), recent, standing)

    def thread(self, config: RunConfig) -> Thread:
        """Return the thread a run of ``config`` continues (empty for a fresh run).

        Raises
        ------
        ConfigError
            For ``--continue`` with ``--new``, with no run in this kernel yet, or naming no run.
        """
        if config.new and config.continue_from:
            raise ConfigError("--continue and --new contradict each other: give one of them")
        ref = None if config.new else config.continue_from or ("latest" if config.continue_runs else None)
        parent = find_run(ref) if ref else None
        if parent is None and config.continue_from:
            raise ConfigError("nothing to continue: no %%autogpt run in this kernel yet (drop -c/--continue)")
        return thread_after(parent) if parent is not None else Thread()

    def _live_model(self, plan: Plan, config: RunConfig, options: dict[str, Any]) -> models.Model:
        """Return the live model; when it cannot be built, say also why no recording stood in for it."""
        try:
            return self.build_model(config, **options)
        except ConfigError as exc:
            raise ConfigError(f"{exc}{plan.miss()}") from None

    def _approver(self, renderers: Sequence[Renderer]) -> Callable[[CodeProposed], Decision] | None:
        """Return who approves steps: the view (its panel, or its text prompt where clicks cannot arrive), else
        the text prompt of a client that allows stdin, else a refusal that says why."""
        for renderer in renderers:
            if isinstance(renderer, Approving) and renderer.can_approve():
                return renderer.approve
        return self._text_approver() or refuse_approval

    def _reviewer(self, renderers: Sequence[Renderer]) -> PlanReviewer:
        """Return who reviews the plan under ``--plan``: as for approvals, the view, a text prompt or a refusal."""
        for renderer in renderers:
            if isinstance(renderer, Reviewing) and renderer.can_review():
                return renderer.review
        return self._text_reviewer() or refuse_review

    def _text_reviewer(self) -> PlanReviewer | None:
        kernel = getattr(self.shell, "kernel", None)
        if kernel is None:
            return stdin_reviewer(input)
        if getattr(kernel, "_allow_stdin", False):
            return stdin_reviewer(kernel.raw_input)
        return None

    def _text_approver(self) -> Approver | None:
        """Return an approver asking on stdin: terminal IPython, or a kernel whose client allows stdin (now)."""
        kernel = getattr(self.shell, "kernel", None)
        if kernel is None:
            return stdin_approver(input)
        if getattr(kernel, "_allow_stdin", False):  # ipykernel records it per execute request
            return stdin_approver(kernel.raw_input)
        return None

    def __repr__(self) -> str:
        return f"<Session view={self.view!r} last={_last!r}>"


def _showing_code(approve: Approver, say: Callable[[str], None] = print) -> Approver:
    """Return ``approve`` that first prints the proposed code: the widget view that would show it may be unseen."""

    def ask(proposal: CodeProposed) -> Decision:
        say(f"Step {proposal.index} proposes:\n" + textwrap.indent(clip_lines(proposal.code, 40), "    "))
        return approve(proposal)

    return ask
