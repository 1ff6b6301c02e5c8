"""The ``%%autogpt`` / ``%autogpt`` magics: a thin adapter from cell text to a run.

Parses options, builds a ``RunConfig``, hands it to the session, and turns our typed errors into a
one-line ``UsageError``. Nothing else lives here.
"""

from __future__ import annotations

import os
import shlex
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, CFloat, CInt, Enum, Unicode, default

from .errors import AutoGPTError
from .policy import POLICIES
from .types import RunConfig

if TYPE_CHECKING:
    from .session import Session

__all__ = ["AutoGPTMagics"]

DEFAULT_MODEL = "openai:gpt-4o-mini"
SUBCOMMANDS = ("export", "undo", "unload", "last", "help")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


@magics_class
class AutoGPTMagics(Magics):
    """Run an AutoGPT-style agent in this kernel. Configure defaults with ``%config AutoGPTMagics.<name> = ...``."""

    model = Unicode(help="Default model id, provider:model (else $AUTOGPT_MODEL, else openai:gpt-4o-mini)").tag(
        config=True
    )
    max_steps = CInt(10, help="Default hard limit on model replies per run").tag(config=True)
    timeout = CFloat(300.0, help="Default per-step execution timeout in seconds (0: none)").tag(config=True)
    max_time = CFloat(0.0, help="Default time budget of a whole run in seconds (0: none)").tag(config=True)
    max_tokens = CInt(0, help="Default token budget of a run, prompt + completion (0: none)").tag(config=True)
    max_cost = CFloat(0.0, help="Default cost budget of a run in USD, estimated from list prices (0: none)").tag(
        config=True
    )
    base_url = Unicode("", help="Default OpenAI-compatible server URL (else $OPENAI_BASE_URL)").tag(config=True)
    context_chars = CInt(12_000, help="Characters of namespace overview in the first prompt").tag(config=True)
    vision = Bool(False, help="Send plots to the model as images (vision-capable models)").tag(config=True)
    explain = Bool(False, help="Teaching mode: the model explains each step in plain words").tag(config=True)
    approve = Bool(False, help="Ask before running each step").tag(config=True)
    policy = Enum(POLICIES, "auto", help="auto: run all; ask-risky: ask before flagged steps; ask-all").tag(
        config=True
    )
    insert_cells = Bool(True, help="Insert executed steps as notebook cells (JupyterLab extension)").tag(config=True)
    view = Enum(("auto", "widgets", "text", "none"), "auto", help="How a run shows its progress").tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """Return the session, built on first use so that ``%load_ext`` stays cheap."""
        if self._session is None:
            from .session import Session
            from .ui import cells

            shell = self.shell
            assert shell is not None, "AutoGPTMagics needs a shell (load it with %load_ext)"
            self._session = Session(shell)
            self._session.renderer_factories.append(cells.factory)
        self._session.view = self.view
        return self._session

    @default("model")
    def _default_model(self) -> str:
        return os.environ.get("AUTOGPT_MODEL") or DEFAULT_MODEL

    @magic_arguments()
    @argument("-m", "--model", help="Model id provider:model, e.g. openai:gpt-4o-mini, transformers:/path, replay:run.json")
    @argument("--max-steps", type=_positive_int, help="Hard limit on model replies in this run (default 10)")
    @argument("--timeout", type=float, help="Seconds a single step may run before it is interrupted (default 300; 0: none)")
    @argument("--max-time", type=float, help="Seconds the whole run may take")
    @argument("--max-tokens", type=_positive_int, help="Token budget of the run (prompt + completion)")
    @argument("--max-cost", type=float, help="Cost budget of the run in USD, estimated from list prices")
    @argument("--base-url", help="OpenAI-compatible server, e.g. http://localhost:11434/v1 (Ollama)")
    @argument("--temperature", type=float, help="Sampling temperature (default: the backend's)")
    @argument("--df", help="Comma-separated variables to focus on: shown first, with a larger budget")
    @argument("--context-chars", type=_positive_int, help="Budget of the namespace overview in characters")
    @argument("--vision", action="store_true", default=None, help="Send plots to the model as images")
    @argument("--explain", action="store_true", default=None, help="Teaching mode: explain each step in plain words")
    @argument("--approve", action="store_true", default=None, help="Ask before running each step")
    @argument("--policy", choices=POLICIES, help="When to ask: auto, ask-risky (flagged steps), ask-all")
    @argument("--no-cells", action="store_true", help="Do not insert the executed steps as notebook cells")
    @argument("--device", help="transformers: cuda, cuda:1, mps or cpu (default: the best available)")
    @argument("goal", nargs="*", help="The goal (line magic); in the cell magic the cell body is the goal")
    @line_cell_magic
    def autogpt(self, line: str = "", cell: str | None = None) -> Any:
        """Run an AutoGPT-style agent on a goal, in this kernel's namespace.

        The agent looks at your variables (dataframes first), asks the model for the next step, runs the
        Python it writes here, feeds the output or error back, and repeats until it calls
        ``final_answer(value)``, replies without code, or a budget runs out. The cell returns the run
        (``_.answer``, ``_.steps``, ``_.status``); ``jupyter_autogpt.last_run()`` gives it later.
        Interrupt the kernel to stop a run; the steps done are kept.

        Usage::

            %%autogpt --model openai:gpt-4o-mini --max-steps 8
            Which region has the highest total revenue (units * price) in `sales`?

            %autogpt export run.ipynb    # the last run as a notebook (or run.json: its transcript)
            %autogpt undo                # restore variables the last run rebound or deleted
            %autogpt unload              # free local (transformers) models

        Environment: OPENAI_API_KEY, OPENAI_BASE_URL, AUTOGPT_MODEL.
        """
        words = shlex.split(line) if line.strip() else []
        if cell is None and words and words[0] in SUBCOMMANDS:
            return self._subcommand(words[0], words[1:])
        try:
            args = parse_argstring(self.autogpt, line)
        except UsageError:
            raise
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        goal = (cell if cell is not None else " ".join(args.goal)).strip()
        if cell is not None and args.goal:
            raise UsageError(f"unexpected words after the options: {' '.join(args.goal)!r} (the cell body is the goal)")
        if not goal:
            raise UsageError("no goal: write it in the cell body under %%autogpt (or after %autogpt on the line)")
        config = self._config(args)
        try:
            return self.session.run(goal, config, **({"device": args.device} if args.device else {}))
        except AutoGPTError as exc:
            raise UsageError(str(exc)) from None

    def _config(self, args: Any) -> RunConfig:
        def pick(value: Any, fallback: Any) -> Any:
            return fallback if value is None else value

        focus = tuple(n.strip() for n in (args.df or "").split(",") if n.strip())
        return RunConfig(
            model=args.model or self.model,
            max_steps=pick(args.max_steps, self.max_steps),
            timeout=pick(args.timeout, self.timeout) or None,
            max_time=pick(args.max_time, self.max_time or None),
            max_tokens=pick(args.max_tokens, self.max_tokens or None),
            max_cost=pick(args.max_cost, self.max_cost or None),
            base_url=args.base_url or self.base_url or None,
            temperature=args.temperature,
            context_chars=pick(args.context_chars, self.context_chars),
            focus=focus,
            vision=pick(args.vision, self.vision),
            explain=pick(args.explain, self.explain),
            approve=pick(args.approve, self.approve),
            policy=pick(args.policy, self.policy),
            insert_cells=self.insert_cells and not args.no_cells,
        )

    def _subcommand(self, name: str, rest: list[str]) -> Any:
        try:
            if name == "export":
                return self._export(rest)
            if name == "unload":
                return _unload()
            if name == "last":
                return _last_run()
            if name == "undo":
                executor = self.session.last_executor
                if executor is None:
                    raise UsageError("nothing to undo: no %%autogpt run in this kernel yet")
                return executor.undo().message()
            print(self.autogpt.__doc__)
            return None
        except AutoGPTError as exc:
            raise UsageError(str(exc)) from None

    def _export(self, rest: list[str]) -> str:
        if len(rest) != 1:
            raise UsageError("usage: %autogpt export PATH.ipynb | PATH.json")
        run = _last_run()
        if run is None:
            raise UsageError("nothing to export yet: run %%autogpt first")
        from .ui import transcript

        path = transcript.export(run, rest[0])
        return f"exported {len(run.steps)} step(s) to {path}"


def _last_run() -> Any:
    from .session import last_run

    return last_run()


def _unload() -> str:
    import sys

    module = sys.modules.get("jupyter_autogpt.models.transformers")
    freed = module.unload() if module is not None else 0
    return f"unloaded {freed} local model(s)"
