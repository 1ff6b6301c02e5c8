"""The ``%%autogpt`` / ``%autogpt`` magics: a thin adapter from cell text to a run.

Splits the line into options and goal, parses the options that ``options.py`` declares, hands the settings to
the session, and turns our typed errors into a one-line ``UsageError``. Nothing else lives here.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from . import options, subcommands
from .encoding import valid_text
from .errors import AutoGPTError
from .redaction import redact

if TYPE_CHECKING:
    from .session import Session
    from .types import Run

__all__ = ["AutoGPTMagics", "Said"]

#: A shell-like word of the options part: plain characters and quoted stretches (a lone quote too, so an
#: unbalanced one reaches the parser and becomes a one-line error rather than vanishing).
_WORD = re.compile(r"""(?:[^\s"']+|"[^"]*"|'[^']*'|["'])+""")


class Said(str):
    """A subcommand's message: a ``str`` that a cell shows as plain text, not as a quoted repr."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def _with_options(magic: Callable[..., Any]) -> Callable[..., Any]:
    """Give ``magic`` an argparse argument per declared option, before its own, and build its manual."""
    for flags, keywords in reversed(options.arguments()):
        magic = argument(*flags, **keywords)(magic)
    return magic_arguments()(magic)


@magics_class
class AutoGPTMagics(Magics):
    """Run an AutoGPT-style agent in this kernel. Configure defaults with ``%config AutoGPTMagics.<name> = ...``."""

    # One trait per configurable option (default, help, validation), derived from its declaration in options.py.
    # A class body's locals() is its namespace (PEP 667), so traitlets sees these as if written out here.
    locals().update(options.traits())

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
        return self._session

    @_with_options
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

        The model is told what you did since the last run: your own cells with a short form of their results
        and the last error you hit (``--history N``). A follow-up (``-c``) also shows it the earlier goals, their
        steps and answers; ``%config AutoGPTMagics.continue_runs = True`` makes every run one (``--new``: afresh).
        Standing instructions come from ``%config AutoGPTMagics.instructions`` and the nearest ``AGENTS.md``.
        The model's plan shows as a checklist that ticks as steps finish (``_.plan``); ``--plan`` stops for
        you to review it first.

        Usage::

            %%autogpt --model openai:gpt-4o-mini --max-steps 8
            Which region has the highest total revenue (units * price) in `sales`?

            %%autogpt -c                 # a follow-up: the model sees the earlier goal, steps and answer
            And for 2024?

            %%autogpt --plan             # review (edit) the model's plan before any code runs
            Clean `sales` and plot revenue per month.

            %autogpt --max-steps 4 what's the mean of x?   # a one-line goal, after the options

            %autogpt export run.ipynb    # the last run as a notebook (or run.json: its transcript)
            %autogpt export analysis.py  # its clean code: the steps the answer needs, re-runnable top to bottom
            %autogpt export lesson.ipynb --worksheet   # an nbgrader worksheet: exercises with autograded tests
            %autogpt undo                # restore variables the last run rebound or deleted
            %config AutoGPTMagics.recordings = "recordings"    # record every run; with
            %config AutoGPTMagics.reuse_recordings = True      # a matching cell replays (--fresh: ask again)

            %autogpt unload              # free local (transformers) models
            %autogpt last                # the last run again
            %autogpt history             # this kernel's runs: id, the run each follows up, goal, status, cost
            %autogpt help                # this manual

            %autogpt dataset export runs.jsonl [--runs PATH|kernel ...] [--only-finished] [--min-steps N]
                                         # this kernel's runs (or --runs) as fine-tuning data
            %autogpt finetune BASE runs.jsonl --output adapter/   # LoRA; then --model transformers:BASE+adapter:adapter/

        A subcommand is parsed strictly: ``export`` without a path, with an option, or a near miss such as
        ``exprot run.json`` is an error ("did you mean …?"), never a run. Any other line is a goal
        (``%autogpt help me plot x``); ``%autogpt -- WORDS`` always is. IPython expands ``{name}`` and ``$name``
        in a line magic before the goal is read; known secrets in the goal are redacted.

        Environment: OPENAI_API_KEY, OPENAI_BASE_URL, AUTOGPT_MODEL.
        """
        if cell is None and line.split(maxsplit=1)[:1] in (["dataset"], ["finetune"]):
            from .learn import commands  # the learning subcommands live there; imported only when asked for

            if commands.is_command(line):
                try:
                    return commands.run_command(line, getattr(self, "recordings", None) or None)
                except AutoGPTError as exc:
                    raise UsageError(str(exc)) from None
        if cell is None:
            found = _checked(subcommands.parse, line)
            if found is not None:
                return self._subcommand(found)
        flags, rest, explicit = self._split_options(line)
        try:
            args = parse_argstring(self.autogpt, flags)
        except ValueError as exc:  # an unbalanced quote in the options
            raise UsageError(f"cannot read the options {flags.strip()!r}: {exc}") from None
        if cell is not None and rest:
            raise UsageError(f"unexpected words after the options: {rest!r} (the cell body is the goal)")
        goal = _door(cell if cell is not None else _unquote(rest))
        if not goal:
            raise UsageError("no goal: write it in the cell body under %%autogpt (or after %autogpt on the line)")
        if not explicit:
            _checked(subcommands.check_goal, cell if cell is not None else rest, "as a cell body" if cell else "after options")
        settings = options.resolve(args, self)
        session = self.session
        _configure(session, settings.session)
        try:
            return session.run(goal, settings.config, **settings.model_options)
        except AutoGPTError as exc:
            raise UsageError(str(exc)) from None

    def _split_options(self, line: str) -> tuple[str, str, bool]:
        """Split a magic's line into its options, the raw text after them (a one-line goal), and whether ``--`` did.

        The goal starts at the first word that is neither an option nor an option's value, or after ``--``;
        it is kept as typed (apostrophes, quotes and spacing included), never shell-parsed.
        """
        takes_value, optional = options.takes_value(), options.optional_values()
        pending: str | None = None  # the option whose value the next word is
        for match in _WORD.finditer(line):
            word = match.group()
            accepts = optional.get(pending or "")
            if pending is not None and (accepts is None or accepts(word)):
                pending = None
            elif word == "--":
                return line[: match.start()], line[match.end() :].strip(), True
            elif word.startswith("-"):
                pending = _canonical(word, takes_value) if "=" not in word else None
            else:
                return line[: match.start()], line[match.start() :].strip(), False
        return line, "", False

    def _subcommand(self, found: subcommands.Subcommand) -> Any:
        name = found.name
        try:
            if name == "export":
                assert found.path is not None
                return self._export(found.path, found.worksheet)
            if name == "unload":
                return Said(f"unloaded {_free_local_models()} local model(s)")
            if name == "last":
                return _last_run() or Said("no %%autogpt run in this kernel yet")
            if name == "history":
                from .session import runs
                from .ui.history import RunHistory

                return RunHistory(runs())
            if name == "undo":
                from .session import last_undo

                undo = last_undo()
                if undo is None:
                    raise UsageError("nothing to undo: no %%autogpt run in this kernel yet")
                return Said(undo().message())
            return Said(self.autogpt.__doc__ or "")
        except AutoGPTError as exc:
            raise UsageError(str(exc)) from None

    def _export(self, path: str, worksheet: bool = False) -> Said:
        run = _last_run()
        if run is None:
            raise UsageError("nothing to export yet: run %%autogpt first")
        if worksheet:
            from .worksheet import write_worksheet

            assert self.shell is not None
            return Said(write_worksheet(run, path, self.shell.user_ns, self.shell.user_ns.get("In", [])).message())
        from . import clean_code
        from .session import earlier_runs
        from .ui import export

        earlier = earlier_runs(run)
        written = export.write(run, path, earlier)
        if path.lower().endswith(".py"):
            clean = clean_code(run)
            runs = f" (and {len(earlier)} run(s) it follows up)" if earlier else ""
            return Said(f"exported the clean code of {len(run.steps)} step(s){runs} to {written}: {clean.lines} of "
                        f"{clean.all_lines} lines, steps {', '.join(map(str, clean.kept)) or 'none'} kept")
        return Said(f"exported {len(run.steps)} step(s) to {written}")


def _checked(check: Callable[..., Any], *args: Any) -> Any:
    """Return ``check(*args)``, its ``AutoGPTError`` turned into the one-line ``UsageError`` IPython shows."""
    try:
        return check(*args)
    except AutoGPTError as exc:
        raise UsageError(str(exc)) from None


def _door(goal: str) -> str:
    """Return the goal as a run may hold it: valid Unicode, known secrets redacted, stripped.

    IPython expands ``{name}`` (and ``$name``) in a line magic before we see it, so ``%autogpt use {key}``
    arrives with the key's value in it: it would show in the live header, its saved state and the prompt.
    """
    return redact(valid_text(goal)).strip()


def _canonical(word: str, takes_value: dict[str, bool]) -> str | None:
    """Return the flag ``word`` names (maybe an unambiguous prefix, as argparse allows) when it takes a value."""
    if word in takes_value:
        return word if takes_value[word] else None
    matches = [option for option in takes_value if option.startswith(word) and word.startswith("--")]
    return matches[0] if len(matches) == 1 and takes_value[matches[0]] else None


def _configure(session: Session, settings: Mapping[str, Any]) -> None:
    """Set the session's own settings (the view) for the run about to start."""
    for name, value in settings.items():
        setattr(session, name, value)


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
