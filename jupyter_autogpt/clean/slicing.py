"""Slice a run's steps to the statements its answer depends on (backward def-use over top-level statements).

The answer step (the one that called ``final_answer``, else the last step that ran cleanly when the answer was
prose) is kept whole, less its pure displays; ``final_answer(x)`` becomes ``answer = x``. Going back through
the steps that ran without error, a statement is kept when it binds or changes a name that a kept statement
after it reads; a fresh binding of a name ends the search for older ones. Failed and skipped steps are never
kept; a step left with no statement was exploratory.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from ..risk.syntax import python_source
from .names import Facts, facts

__all__ = ["PROVIDED", "Statement", "parse_step", "slice_for", "slice_steps"]

#: Names a kernel provides that a clean script does not need to be given.
PROVIDED = frozenset(dir(builtins)) | {"display", "get_ipython", "final_answer", "In", "Out", "_", "__", "___"}


@dataclass
class Statement:
    """One top-level statement of a step: its source lines and def-use facts."""

    step: int
    source: str
    facts: Facts
    answer: str | None = None  # for ``final_answer(x)``: the source of ``x``
    kept: bool = False
    origin: str = ""  # for a statement of an earlier run of the conversation: which run (its id)

    @property
    def text(self) -> str:
        """Return the statement as the clean code writes it: ``final_answer(x)`` as ``answer = x``."""
        if self.answer is None:
            return self.source
        # x may span lines (implicit concatenation inside the call's parentheses): keep it parenthesised
        return f"answer = ({self.answer})" if "\n" in self.answer else f"answer = {self.answer}"


def _lines(code: str, node: ast.stmt) -> str:
    """Return the source of ``node`` with the comment lines right above it (IPython lines as typed)."""
    lines = code.splitlines()
    start = node.lineno - 1
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    return "\n".join(lines[start : node.end_lineno])


def _answer_of(code: str, node: ast.stmt) -> str | None:
    value = node.value if isinstance(node, ast.Expr) else None
    if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "final_answer"
            and len(value.args) == 1 and not value.keywords):
        return ast.get_source_segment(code, value.args[0])
    return None


def _nested_answers(code: str, source: str, node: ast.stmt) -> str:
    """Return ``source`` with each ``final_answer(x)`` inside it written ``(answer := (x))``."""
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id == "final_answer" and len(n.args) == 1]
    if not calls:
        return source
    edited = source
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset), reverse=True):
        argument = ast.get_source_segment(code, call.args[0]) or "None"
        whole = ast.get_source_segment(code, call) or ""
        edited = edited.replace(whole, f"(answer := ({argument}))", 1)
    return edited


def parse_step(index: int, code: str, modules: set[str]) -> list[Statement] | None:
    """Return the statements of one step's code (``None`` when it cannot be parsed); add its imports to ``modules``."""
    parsed = python_source(code)
    try:  # model code: any text at all, nested deeper than the parser or our visitor can follow
        tree = ast.parse(parsed)
        found = []
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules |= {a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"}
            source = _lines(code, node)
            answer = _answer_of(parsed, node)
            if answer is None:
                source = _nested_answers(parsed, source, node)
            found.append(Statement(index, source, facts(node, frozenset(modules)), answer))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return found


def slice_steps(steps: list[list[Statement]], answer_step: int | None, prose: bool) -> set[str]:
    """Mark the statements the answer depends on as ``kept``; return the names the kept code needs from outside.

    ``steps`` are the parsed steps that ran cleanly, in order; ``answer_step`` is the position of the answer
    step in ``steps`` (``None``: nothing to slice from); with ``prose`` the answer step's displays are kept too.
    """
    if answer_step is None:
        return set()
    needed: set[str] = set()
    for statement in reversed(steps[answer_step]):
        if prose or not statement.facts.display or statement.answer is not None:
            statement.kept = True
            needed = (needed - statement.facts.kills) | statement.facts.uses
    slice_for(steps[:answer_step], needed)
    return _expected([s for step in steps for s in step if s.kept])


def slice_for(steps: list[list[Statement]], needed: set[str]) -> set[str]:
    """Mark the statements of ``steps`` that ``needed`` names depend on as ``kept``; return what they need from outside."""
    needed = set(needed)
    for step in reversed(steps):
        for statement in reversed(step):
            if statement.facts.defs & needed:
                statement.kept = True
                needed = (needed - statement.facts.kills) | statement.facts.uses
    return _expected([s for step in steps for s in step if s.kept])


def _expected(kept: list[Statement]) -> set[str]:
    defined: set[str] = set()
    expected: set[str] = set()
    for statement in kept:
        expected |= statement.facts.uses - defined - PROVIDED
        defined |= statement.facts.defs | statement.facts.kills
        if statement.answer is not None:
            defined.add("answer")
    return expected

