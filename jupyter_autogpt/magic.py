"""The ``%%autogpt`` / ``%autogpt`` magics: a thin adapter from cell text to a run.

Parses options, builds a ``RunConfig``, hands it to the session, and turns our typed errors into a
one-line ``UsageError``. Nothing else lives here.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
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
    from .types import Run

__all__ = ["AutoGPTMagics", "Said"]

DEFAULT_MODEL = "openai:gpt-4o-mini"
#: Subcommands taking no argument; ``export PATH`` is the other. Any other line is a goal.
BARE_SUBCOMMANDS = ("undo", "unload", "last", "help")
EXPORT_SUFFIXES = (".ipynb", ".json")
#: A shell-like word of the options part: plain characters and quoted stretches (a lone quote too, so an
#: unbalanced one reaches the parser and becomes a one-line error rather than vanishing).
_WORD = re.compile(r"""(?:[^\s"']+|"[^"]*"|'[^']*'|["'])+""")


class Said(str):
    """A subcommand's message: a ``str`` that a cell shows as plain text, not as a quoted repr."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _limit_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no limit) or more, not {value}")
    return value


def _limit_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be 0 (no limit) or more, not {text}")
    return value


@magics_class
class AutoGPTMagics(Magics):
    """Run an AutoGPT-style agent in this kernel. Configure defaults with ``%config AutoGPTMagics.<name> = ...``."""

    model = Unicode(help="Default model id, provider:model (else $AUTOGPT_MODEL, else openai:gpt-4o-mini)").tag(
        config=True
    )
    max_steps = CInt(10, min=1, help="Default hard limit on model replies per run").tag(config=True)
    timeout = CFloat(300.0, min=0.0, help="Default per-step execution timeout in seconds (0: none)").tag(config=True)
    max_time = CFloat(0.0, min=0.0, help="Default time budget of a whole run in seconds (0: none)").tag(config=True)
    max_tokens = CInt(0, min=0, help="Default token budget of a run, prompt + completion (0: none)").tag(config=True)
    max_cost = CFloat(
        0.0, min=0.0, help="Default cost budget of a run in USD, estimated from list prices (0: none)"
    ).tag(config=True)
    base_url = Unicode("", help="Default OpenAI-compatible server URL (else $OPENAI_BASE_URL)").tag(config=True)
    context_chars = CInt(12_000, min=1, help="Characters of namespace overview in the first prompt").tag(
        config=True
    )
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
    @argument("--timeout", type=_limit_float, help="Seconds one step may run before it is interrupted (default 300; 0: none)")
    @argument("--max-time", type=_limit_float, help="Seconds the whole run may take, each step included (0: none)")
    @argument("--max-tokens", type=_limit_int, help="Token budget of the run, prompt + completion (0: none)")
    @argument("--max-cost", type=_limit_float, help="Cost budget of the run in USD, estimated from list prices (0: none)")
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
        ``final_answer(value)``, replies without code, or a budget runs out (status ``max_steps``;
        ``_.error`` names the budget). The cell returns the run (``_.answer``, ``_.steps``, ``_.status``);
        ``jupyter_autogpt.last_run()`` gives it later. Interrupt the kernel to stop a run; the steps done
        are kept.

        Usage::

            %%autogpt --model openai:gpt-4o-mini --max-steps 8
            Which region has the highest total revenue (units * price) in `sales`?

            %autogpt --max-steps 4 what's the mean of x?   # a one-line goal, after the options

            %autogpt export run.ipynb    # the last run as a notebook (or run.json: its transcript)
            %autogpt undo                # restore variables the last run rebound or deleted
            %autogpt unload              # free local (transformers) models
            %autogpt last                # the last run again
            %autogpt help                # this manual

        Only these exact forms are subcommands; any other line is a goal (``%autogpt help me plot x``).

        Environment: OPENAI_API_KEY, OPENAI_BASE_URL, AUTOGPT_MODEL.
        """
        if cell is None:
            subcommand = _subcommand_of(line)
            if subcommand is not None:
                return self._subcommand(*subcommand)
        options, rest = self._split_options(line)
        try:
            args = parse_argstring(self.autogpt, options)
        except ValueError as exc:  # an unbalanced quote in the options
            raise UsageError(f"cannot read the options {options.strip()!r}: {exc}") from None
        if cell is not None and rest:
            raise UsageError(f"unexpected words after the options: {rest!r} (the cell body is the goal)")
        goal = (cell if cell is not None else _unquote(rest)).strip()
        if not goal:
            raise UsageError("no goal: write it in the cell body under %%autogpt (or after %autogpt on the line)")
        config = self._config(args)
        try:
            return self.session.run(goal, config, **({"device": args.device} if args.device else {}))
        except AutoGPTError as exc:
            raise UsageError(str(exc)) from None

    def _split_options(self, line: str) -> tuple[str, str]:
        """Split a magic's line into its options and the raw text after them (a one-line goal).

        The goal starts at the first word that is neither an option nor an option's value, or after ``--``;
        it is kept as typed (apostrophes, quotes and spacing included), never shell-parsed.
        """
        takes_value = _options_taking_values(self.autogpt.parser)
        expect_value = False
        for match in _WORD.finditer(line):
            word = match.group()
            if expect_value:
                expect_value = False
            elif word == "--":
                return line[: match.start()], line[match.end() :].strip()
            elif word.startswith("-"):
                expect_value = "=" not in word and _resolve(word, takes_value)
            else:
                return line[: match.start()], line[match.start() :].strip()
        return line, ""

    def _config(self, args: Any) -> RunConfig:
        def pick(value: Any, fallback: Any) -> Any:
            return fallback if value is None else value

        # 0 means "no limit" for every budget, on the command line as in %config.
        focus = tuple(n.strip() for n in (args.df or "").split(",") if n.strip())
        return RunConfig(
            model=args.model or self.model,
            max_steps=pick(args.max_steps, self.max_steps),
            timeout=pick(args.timeout, self.timeout) or None,
            max_time=pick(args.max_time, self.max_time) or None,
            max_tokens=pick(args.max_tokens, self.max_tokens) or None,
            max_cost=pick(args.max_cost, self.max_cost) or None,
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

    def _subcommand(self, name: str, path: str | None) -> Any:
        try:
            if name == "export":
                assert path is not None
                return self._export(path)
            if name == "unload":
                return Said(f"unloaded {_free_local_models()} local model(s)")
            if name == "last":
                return _last_run() or Said("no %%autogpt run in this kernel yet")
            if name == "undo":
                from .session import last_undo

                undo = last_undo()
                if undo is None:
                    raise UsageError("nothing to undo: no %%autogpt run in this kernel yet")
                return Said(undo().message())
            return Said(self.autogpt.__doc__ or "")
        except AutoGPTError as exc:
            raise UsageError(str(exc)) from None

    def _export(self, path: str) -> Said:
        run = _last_run()
        if run is None:
            raise UsageError("nothing to export yet: run %%autogpt first")
        from .ui import transcript

        written = transcript.export(run, path)
        return Said(f"exported {len(run.steps)} step(s) to {written}")


def _subcommand_of(line: str) -> tuple[str, str | None] | None:
    """Return ``(name, export path)`` when the whole line is a subcommand, else ``None`` (the line is a goal)."""
    words = line.split(maxsplit=1)
    if len(words) == 1 and words[0] in BARE_SUBCOMMANDS:
        return words[0], None
    if len(words) == 2 and words[0] == "export":
        try:
            paths = shlex.split(words[1])
        except ValueError:
            return None
        if len(paths) == 1 and paths[0].lower().endswith(EXPORT_SUFFIXES):
            return "export", paths[0]
    return None


def _options_taking_values(parser: argparse.ArgumentParser) -> dict[str, bool]:
    """Return each option string of ``parser`` and whether it takes a value (``--model x``, not ``--vision``)."""
    return {
        option: action.nargs != 0
        for action in parser._actions  # argparse has no public list of its actions
        for option in action.option_strings
    }


def _resolve(word: str, takes_value: dict[str, bool]) -> bool:
    """Return whether the option ``word`` (maybe an unambiguous prefix, as argparse allows) takes a value."""
    if word in takes_value:
        return takes_value[word]
    matches = [v for option, v in takes_value.items() if option.startswith(word) and word.startswith("--")]
    return len(matches) == 1 and matches[0]


def _unquote(goal: str) -> str:
    """Return ``goal`` without the quotes around it, when one pair encloses all of it (``%autogpt "…"``)."""
    if len(goal) >= 2 and goal[0] == goal[-1] and goal[0] in "\"'" and goal[0] not in goal[1:-1]:
        return goal[1:-1]
    return goal


def _last_run() -> Run | None:
    from .session import last_run

    return last_run()


def _free_local_models() -> int:
    """Free the local models loaded in this process (only if the transformers backend was ever imported)."""
    module = sys.modules.get("jupyter_autogpt.models.transformers")
    return module.unload() if module is not None else 0
