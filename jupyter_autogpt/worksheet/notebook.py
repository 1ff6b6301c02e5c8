"""The worksheet as a notebook in nbgrader's source format: the goal, a locked setup, then per step an explanation,
a solution cell (``### BEGIN SOLUTION`` … ``### END SOLUTION``) and a locked, autograded test cell.

``nbgrader generate_assignment`` turns it into the learner's version (solutions stripped); ``nbgrader
autograde``/``validate`` run the tests, which compare the learner's values with the agent's (``checks``).
"""

from __future__ import annotations

from typing import Any

from ..limits import VIEW_OUTPUT_CHARS, cut_middle
from ..protocol import parse_reply
from ..safe_markdown import code, inert

__all__ = ["Exercise", "cells"]

SCHEMA_VERSION = 3


def _cell(kind: str, source: str, grade_id: str | None = None, **nbgrader: Any) -> Any:
    import nbformat

    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    if grade_id is not None:
        flags = {"grade": False, "solution": False, "locked": False, **nbgrader}
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": SCHEMA_VERSION, **flags}
    return cell


class Exercise:
    """One step of the run as an exercise: what the model said, its kept code, the checks of its results."""

    def __init__(self, index: int, reply: str, solution: str, names: list[str], checks: list[str]) -> None:
        self.index = index
        self.reply = reply
        self.solution = solution
        self.names = names
        self.checks = checks

    def cells(self, number: int) -> list[Any]:
        parsed = parse_reply(self.reply)
        said = inert(cut_middle(parsed.prose.strip(), VIEW_OUTPUT_CHARS)) if parsed.prose.strip() else ""
        task = ("Compute " + ", ".join(code(n) for n in self.names) + "; the test below compares "
                + ("it" if len(self.names) == 1 else "them") + " with the agent's.") if self.names else "Run the step."
        text = f"## Exercise {number}\n\n" + (f"{said}\n\n" if said else "") + f"**Your task:** {task}"
        solution = f"### BEGIN SOLUTION\n{self.solution.rstrip()}\n### END SOLUTION"
        test = "# Checks your result against the agent's (locked: it is graded)\nimport hashlib\nimport math\n\n"
        test += "\n".join(self.checks) + "\nprint('Exercise passed')"
        return [
            _cell("markdown", text),
            _cell("code", solution, f"step-{self.index}", solution=True),
            _cell("code", test, f"step-{self.index}-test", grade=True, locked=True, points=len(self.checks)),
        ]


def cells(goal: str, setup: str, missing: list[str], exercises: list[Exercise]) -> list[Any]:
    """Return the worksheet's cells."""
    intro = (f"# Worksheet\n\n> {inert(cut_middle(goal.strip(), VIEW_OUTPUT_CHARS)).replace(chr(10), chr(10) + '> ')}\n\n"
             f"Run the setup cell, then solve the {len(exercises)} exercise(s) in order: write your code where it says "
             "so, and run the test below it. Each test compares your results with those of an AutoGPT run that "
             "solved this task step by step.")
    note = f"\n# Define before the exercises (not found in the notebook's history): {', '.join(missing)}" if missing else ""
    setup_cell = _cell("code", f"# Setup: the data of this lesson{note}\n{setup}".rstrip(), "setup", locked=True)
    found = [_cell("markdown", intro), setup_cell]
    for number, exercise in enumerate(exercises, start=1):
        found += exercise.cells(number)
    return found
