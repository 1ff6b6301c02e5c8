"""The learning subcommands of ``%autogpt``: ``dataset export`` and ``finetune``.

The magic hands a line here only when it starts with one of these words; everything else stays a goal.
Errors are our typed errors: the magic turns them into one-line ``UsageError``s.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from ..errors import ConfigError

__all__ = ["USAGE", "is_command", "run_command"]

USAGE = """\
%autogpt dataset export runs.jsonl [--runs PATH|kernel ...] [--only-finished] [--min-steps N]
                                   [--validation 0.1] [--train-on-errors]
%autogpt finetune BASE runs.jsonl --output adapter/ [--epochs 3 --lr 2e-4 --batch-size 4 --max-length 2048
                                   --rank 16 ...]   (then --model transformers:BASE+adapter:adapter/)"""


def is_command(line: str) -> bool:
    """Return whether ``line`` is a learning subcommand (``dataset export …``, ``finetune …``), not a goal."""
    words = line.split()
    if words[:2] == ["dataset", "export"]:
        return len(words) >= 3
    return bool(words) and words[0] == "finetune" and any(w.endswith(".jsonl") for w in words[1:])


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # type: ignore[override]
        raise ConfigError(f"{self.prog}: {message}\nusage:\n{USAGE}")


def _export_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="%autogpt dataset export", add_help=False)
    p.add_argument("path")
    p.add_argument("--runs", nargs="+", default=None, help="transcripts, notebooks, folders, or 'kernel'")
    p.add_argument("--only-finished", action="store_true")
    p.add_argument("--min-steps", type=int, default=0)
    p.add_argument("--validation", type=float, default=0.1)
    p.add_argument("--train-on-errors", action="store_true")
    return p


def _sources(runs: list[str] | None, recordings: str | None) -> list[Any]:
    """Return what to export: ``--runs`` (``kernel`` is this kernel's runs), else this kernel's runs + recordings."""
    from ..session import runs as kernel_runs

    if runs is None:
        return [*kernel_runs(), *([recordings] if recordings else [])]
    found: list[Any] = []
    for item in runs:
        found += kernel_runs() if item == "kernel" else [item]
    return found


def _export(words: list[str], recordings: str | None) -> Any:
    from .. import dataset

    args = _export_parser().parse_args(words)
    return dataset.export(args.path, _sources(args.runs, recordings), only_finished=args.only_finished,
                          min_steps=args.min_steps, validation=args.validation, train_on_errors=args.train_on_errors)


def _finetune(words: list[str]) -> Any:
    from ..finetune import finetune
    from ..finetune.cli import parse

    call, options = parse(words, prog="%autogpt finetune")
    base = call.pop("base").removeprefix("transformers:")
    return finetune(base, call.pop("data"), call.pop("output"), options, **call)


def run_command(line: str, recordings: str | None = None) -> Any:
    """Run the learning subcommand on ``line``; return what the cell shows.

    Raises
    ------
    ConfigError
        When the line is malformed or the command cannot run (the message says how to fix it).
    """
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise ConfigError(f"cannot read {line!r}: {exc}") from None
    if words[0] == "dataset":
        return _export(words[2:], recordings)
    return _finetune(words[1:])
