"""The line magic's subcommands, parsed strictly: a mistaken subcommand must never start a (billed) run.

``%autogpt export PATH [--worksheet]``, ``undo``, ``unload``, ``last``, ``history`` and ``help`` (also
``-h``/``--help``); the learning ones, ``dataset export`` and ``finetune``, run in ``learn.commands`` and reach
this module only when that declined them. Whether a line is a subcommand or a goal is decided by its *shape*:

* a line that starts with a subcommand's name (any case) and goes on with nothing, options or a path is that
  subcommand, parsed strictly: ``export`` without a path, with two paths, with a suffix other than ``.ipynb`` /
  ``.json`` / ``.py``, with an option other than ``--worksheet`` (for a ``.ipynb``), or any other subcommand
  with an option, is a usage error;
* a line of that shape whose first word is a near miss of a name (``exprot x.json``, ``udno``, ``hlep``,
  ``fintune base runs.jsonl``) is a usage error that says "did you mean …?";
* anything else is a goal: ``%autogpt help me plot x``, ``%autogpt export the table to csv``, and always
  ``%autogpt -- WORDS``.

Standard library only; errors are ``ConfigError`` (the user's), which the magic shows as one line.
"""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass

from .errors import ConfigError

__all__ = ["EXPORT_SUFFIXES", "LEARNING", "NAMES", "WORKSHEET", "Subcommand", "check_goal", "parse"]

NAMES = ("export", "undo", "unload", "last", "history", "help")
#: Subcommands of ``learn.commands``: a line of their shape that it declined is incomplete, never a goal.
LEARNING = {
    "dataset": "%autogpt dataset export runs.jsonl [--runs PATH|kernel ...] [--only-finished] [--min-steps N]",
    "finetune": "%autogpt finetune BASE runs.jsonl --output adapter/ [options]",
}
EXPORT_SUFFIXES = (".ipynb", ".json", ".py")
#: The one option ``export`` takes: a notebook as an nbgrader worksheet.
WORKSHEET = "--worksheet"
_HELP_FLAGS = ("-h", "--help")


@dataclass(frozen=True)
class Subcommand:
    """A subcommand to run: its name and, for ``export``, the path (and whether it is a worksheet)."""

    name: str
    path: str | None = None
    worksheet: bool = False


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an unbalanced quote: words as typed
        return text.split()


def _pathlike(word: str) -> bool:
    return any(c in word for c in "./\\~") and " " not in word.strip()


def _optionlike(word: str) -> bool:
    return word.startswith("-") and len(word) > 1


def _shaped(args: list[str]) -> bool:
    """Return whether the words after a subcommand's name read as its arguments (options, paths), not prose."""
    return all(_optionlike(a) or _pathlike(a) or a == "export" for a in args)


def _export(args: list[str]) -> Subcommand | None:
    """Return the export of ``args`` (the words after ``export``), None when they read as a goal."""
    usage = ("%autogpt export run.ipynb (the run as a notebook), run.json (its transcript), analysis.py (its clean "
             "code) or lesson.ipynb --worksheet (an nbgrader worksheet)")
    worksheet = WORKSHEET in args
    args = [a for a in args if a != WORKSHEET]
    if not args:
        raise ConfigError(f"export needs a path: {usage}")
    options = [a for a in args if _optionlike(a)]
    if options:
        raise ConfigError(f"export takes a path and no options (got {' '.join(options)}; a .ipynb takes {WORKSHEET}): {usage}")
    if len(args) > 1:
        if not any(_pathlike(a) or a.lower().endswith(EXPORT_SUFFIXES) for a in args):
            return None  # "export the table to csv" is a goal
        raise ConfigError(f"export takes one path, got {len(args)} words ({' '.join(args)}); quote a path with spaces")
    if not args[0].lower().endswith(EXPORT_SUFFIXES):
        raise ConfigError(f"cannot export to {args[0]!r}: {usage}")
    if worksheet and not args[0].lower().endswith(".ipynb"):
        raise ConfigError(f"a worksheet is a notebook: {WORKSHEET} needs a .ipynb path, not {args[0]!r}")
    return Subcommand("export", args[0], worksheet)


def _exact(name: str, args: list[str]) -> Subcommand | None:
    if name == "export":
        return _export(args)
    if not args:
        return Subcommand(name)
    options = [a for a in args if _optionlike(a)]
    if len(options) == len(args):
        raise ConfigError(f"%autogpt {name} takes no options (got {' '.join(options)})")
    return None  # "undo the last change", "help me plot x": goals


def _learning(name: str, args: list[str]) -> None:
    """Refuse a learning subcommand that ``learn.commands`` declined, when its words read as arguments."""
    if _shaped(args):
        raise ConfigError(f"%autogpt {name} needs its arguments: {LEARNING[name]} (%autogpt help has every option)")


def _near_miss(words: list[str], line: str) -> None:
    """Raise "did you mean" for a line shaped like a subcommand whose first word is misspelt."""
    if "\n" in line.strip() or not _shaped(words[1:]):
        return
    close = difflib.get_close_matches(words[0].lower(), [*NAMES, *LEARNING], n=1, cutoff=0.75)
    if close:
        meant = " ".join([close[0], *words[1:]])
        raise ConfigError(
            f"{words[0]!r} is not a subcommand: did you mean %autogpt {meant}? "
            f"(to run the line as a goal, write %autogpt -- {line.strip()})"
        )


def parse(line: str) -> Subcommand | None:
    """Return the subcommand ``line`` asks for, or ``None`` when the line is a goal.

    Raises
    ------
    ConfigError
        When the line is a subcommand used wrongly, or a near miss of one ("did you mean …?").
    """
    words = _words(line)
    if not words or (line.lstrip().startswith(("--", '"', "'")) and words[0] not in _HELP_FLAGS):
        return None
    if len(words) == 1 and words[0] in _HELP_FLAGS:
        return Subcommand("help")
    name = words[0].lower()
    if name in NAMES:
        return _exact(name, words[1:])
    if name in LEARNING:
        _learning(name, words[1:])
        return None
    _near_miss(words, line)
    return None


def check_goal(goal: str, where: str) -> None:
    """Refuse a goal that is a subcommand (or a near miss of one) given where no subcommand is read.

    ``where`` says why it is read as a goal ("after options", "as a cell body"): ``%autogpt --max-steps 3
    export run.json`` or a ``%%autogpt`` cell holding only ``undo`` is a mistake, not a task for a model.
    """
    if "\n" in goal.strip():
        return
    try:
        found = parse(goal)
    except ConfigError as exc:
        raise ConfigError(f"{exc} [the line was read {where}]") from None
    if found is not None:
        raise ConfigError(
            f"{goal.strip()!r} {where} reads as the subcommand {found.name!r}, which takes no run options "
            f"and is a line magic: write %autogpt {goal.strip()} (or %autogpt -- {goal.strip()} for a goal)"
        )
