"""The clean code of a run: the steps that contribute to its answer, in order, as one script that re-runs.

Failed attempts, skipped steps and purely exploratory steps are dropped by def-use analysis of the code
(``slicing``, ``names``: the standard library's ``ast``); ``final_answer(x)`` becomes ``answer = x``, printed
at the end; a header names the variables the script expects from the namespace. Given the same inputs, it
re-runs from top to bottom in a fresh kernel to the same answer. ``%autogpt export analysis.py`` writes it,
the JupyterLab extension inserts it as one cell (it rides in the transcript as ``clean``).

Built from a transcript (``transcript.to_dict``), so it is redacted like one and works on saved runs too.
Standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .slicing import Statement, parse_step, slice_steps

__all__ = ["CleanCode", "Sliced", "Statement", "of_transcript", "sliced"]


@dataclass(frozen=True)
class CleanCode:
    """A run's clean code and what was kept.

    ``code`` is the script (header included); ``expects`` the names it reads from the namespace; ``kept`` the
    indices of the steps it keeps statements of; ``dropped`` each other step with why (``"failed"``,
    ``"skipped"``, ``"exploratory"``, ``"unreadable"``); ``lines`` and ``all_lines`` count the code lines
    kept and of every executed step, blank lines and comments aside.
    """

    code: str
    expects: tuple[str, ...]
    kept: tuple[int, ...]
    dropped: tuple[tuple[int, str], ...]
    answered: bool
    lines: int
    all_lines: int

    def to_dict(self) -> dict[str, Any]:
        """Return the clean code as transcript JSON (``clean`` in ``schema/run.schema.json``)."""
        return {"code": self.code, "expects": list(self.expects), "kept": list(self.kept),
                "dropped": [{"step": i, "why": why} for i, why in self.dropped], "answered": self.answered,
                "lines": self.lines, "all_lines": self.all_lines}


def _code_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def _parsed(steps: list[dict[str, Any]]) -> tuple[list[list[Statement]], list[tuple[int, str]]]:
    parsed: list[list[Statement]] = []
    dropped: list[tuple[int, str]] = []
    modules: set[str] = set()
    for step in steps:
        if not step.get("code"):
            continue
        if step.get("skipped"):
            dropped.append((step["index"], "skipped"))
        elif step.get("error"):
            dropped.append((step["index"], "failed"))
        else:
            statements = parse_step(step["index"], step["code"], modules)
            if statements is None:
                dropped.append((step["index"], "unreadable"))
            else:
                parsed.append(statements)
    return parsed, dropped


def _answer_position(parsed: list[list[Statement]]) -> tuple[int | None, bool]:
    """Return where the answer step is among ``parsed`` and whether it computes the answer (else: prose)."""
    for position in range(len(parsed) - 1, -1, -1):
        if any(s.answer is not None for s in parsed[position]) or any("(answer := (" in s.source for s in parsed[position]):
            return position, True
    return (len(parsed) - 1 if parsed else None), False


@dataclass(frozen=True)
class Sliced:
    """The statements of the steps that ran cleanly (``kept`` marked), what failed or was skipped, the inputs.

    ``earlier`` holds the statements of the earlier runs of a follow-up's conversation, oldest first.
    """

    steps: list[list[Statement]]
    dropped: list[tuple[int, str]]
    answered: bool
    expects: list[str]
    earlier: list[list[Statement]]


def _steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in data.get("steps") or [] if isinstance(s, dict)]


def sliced(data: dict[str, Any], earlier: Sequence[dict[str, Any]] = ()) -> Sliced:
    """Return the def-use slice of the run ``data`` (a transcript dict), statement by statement.

    ``earlier`` are the transcripts of the runs a follow-up continues, oldest first: what the answer needs of
    their steps is kept too (a follow-up's code reads the variables they made).
    """
    before: list[list[Statement]] = []
    for run in earlier:
        for statements in _parsed(_steps(run))[0]:
            for statement in statements:
                statement.origin = str(run.get("id") or "an earlier run")
            before.append(statements)
    parsed, dropped = _parsed(_steps(data))
    position, answered = _answer_position(parsed)
    at = None if position is None else position + len(before)
    expects = sorted(slice_steps([*before, *parsed], at, prose=not answered))
    return Sliced(parsed, dropped, answered, expects, before)


def _earlier_body(before: list[list[Statement]], goals: dict[str, str]) -> list[str]:
    body: list[str] = []
    for statements in before:
        chosen = [s for s in statements if s.kept]
        if chosen:
            origin = chosen[0].origin
            body += [f"# run {origin} ({goals.get(origin, '')[:60]}), step {chosen[0].step}", *(s.source for s in chosen), ""]
    return body


def of_transcript(data: dict[str, Any], earlier: Sequence[dict[str, Any]] = ()) -> CleanCode:
    """Return the clean code of the run ``data`` (a transcript dict: ``transcript.to_dict`` or a saved file).

    For a follow-up, pass the transcripts of the runs it continues as ``earlier`` (oldest first): the script then
    starts with what the answer needs of their steps, so it re-runs without them.
    """
    steps = _steps(data)
    cut = sliced(data, earlier)
    parsed, dropped, answered, expects = cut.steps, list(cut.dropped), cut.answered, cut.expects
    goals = {str(run.get("id")): (str(run.get("goal") or "").strip().splitlines() or [""])[0] for run in earlier}
    body = _earlier_body(cut.earlier, goals)
    kept: list[int] = []
    for statements in parsed:
        chosen = [s for s in statements if s.kept]
        if not chosen:
            dropped.append((statements[0].step if statements else 0, "exploratory"))
            continue
        kept.append(chosen[0].step)
        body.append(f"# step {chosen[0].step}")
        body += [s.text for s in chosen]
        body.append("")
    if answered:
        body.append("print(answer)")
    header = _header(data, expects, kept, dropped, answered)
    if earlier:
        header.append(f"# Continues {len(earlier)} earlier run(s): what the answer needs of their steps comes first")
    code = "\n".join([*header, "", *body]).rstrip() + "\n"
    every = [*steps, *(s for run in earlier for s in _steps(run))]
    all_lines = sum(_code_lines(s["code"]) for s in every if s.get("code") and not s.get("skipped"))
    return CleanCode(code, tuple(expects), tuple(kept), tuple(sorted(dropped)), answered,
                     _code_lines("\n".join(body)), all_lines)


def _header(data: dict[str, Any], expects: list[str], kept: list[int], dropped: list[tuple[int, str]],
            answered: bool) -> list[str]:
    goal = (str(data.get("goal") or "").strip().splitlines() or [""])[0]
    lines = [f"# Clean code of an autogpt run: {goal[:100]}", f"# model {data.get('model', '?')} · run {data.get('id', '?')}"]
    lines.append("# Expects from your namespace: " + (", ".join(expects) if expects else "nothing (it builds all it uses)"))
    if kept:
        lines.append(f"# Keeps step(s) {', '.join(map(str, kept))}"
                     + (f"; dropped {', '.join(f'{i} ({why})' for i, why in sorted(dropped))}" if dropped else ""))
    if not answered:
        lines.append("# The answer was the model's text, written after the last step below; this code shows what it read.")
    return lines
