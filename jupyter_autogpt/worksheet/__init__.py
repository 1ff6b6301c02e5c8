"""A run as a teaching worksheet: ``%autogpt export lesson.ipynb --worksheet``.

The goal and the model's explanations (best with ``--explain``) as Markdown, then each step of the clean code
(``jupyter_autogpt.clean``) as an exercise in nbgrader's source format: a solution region and a locked,
autograded test cell that checks the learner's results against the values the agent's code left in this
kernel (``checks``). A locked setup cell rebuilds the data the lesson expects from the notebook's own history
(``setup``). ``nbgrader generate_assignment`` makes the learner's version; the agent's own solution passes
every test.

Export right after the run: the checks read the agent's values from the namespace as they are now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import clean, transcript
from ..clean.slicing import Statement, parse_step
from ..errors import ConfigError
from ..redaction import redact
from ..types import Run
from .checks import checks
from .notebook import Exercise, cells
from .setup import setup_code

__all__ = ["Written", "write_worksheet"]


@dataclass(frozen=True)
class Written:
    """What ``write_worksheet`` wrote."""

    path: str
    exercises: int
    points: int
    missing: tuple[str, ...]

    def message(self) -> str:
        """Return the line the magic shows."""
        missing = ", ".join(self.missing)
        note = f"; define {missing} in its setup cell (not found in this notebook's history)" if missing else ""
        return (f"exported a worksheet of {self.exercises} exercise(s), {self.points} autograded check(s), to {self.path}"
                f"{note}; `nbgrader generate_assignment` makes the learner's version")


def _last_definers(data: dict[str, Any], cut: clean.Sliced) -> dict[str, Statement]:
    """Return, for each name, the last statement that bound or changed it, failed steps included (they ran too)."""
    parsed = {statements[0].step: statements for statements in cut.steps if statements}
    last: dict[str, Statement] = {}
    for step in data["steps"]:
        if not step.get("code") or step.get("skipped"):
            continue
        statements = parsed.get(step["index"]) or parse_step(step["index"], step["code"], set()) or []
        for statement in statements:
            for name in statement.facts.defs | statement.facts.kills:
                last[name] = statement
    return last


def _exercises(run: Run, data: dict[str, Any], namespace: Mapping[str, Any]) -> list[Exercise]:
    cut = clean.sliced(data)
    last = _last_definers(data, cut)
    replies = {step["index"]: step["reply"] for step in data["steps"]}
    found = []
    for statements in cut.steps:
        kept = [s for s in statements if s.kept]
        if not kept:
            continue
        names: list[str] = []
        for statement in kept:
            imported = statement.source.lstrip().startswith(("import ", "from "))
            for name in sorted(statement.facts.defs | statement.facts.kills):
                if not imported and last.get(name) is statement and name in namespace and name not in names:
                    names.append(name)
        values = {name: namespace[name] for name in names}
        if any(s.answer is not None for s in kept):
            names.append("answer")
            values["answer"] = run.answer
        solution = "\n".join(s.text for s in kept)
        lines = [line for name in names for line in checks(name, values[name])]
        found.append(Exercise(kept[0].step, replies.get(kept[0].step, ""), solution, names, lines))
    return found


def write_worksheet(run: Run, path: str | Path, namespace: Mapping[str, Any], history: Sequence[str]) -> Written:
    """Write ``run`` as an nbgrader source notebook at ``path`` (see the module docstring).

    Raises
    ------
    ConfigError
        When the run has no step to teach, or the file cannot be written.
    """
    import nbformat

    data = transcript.to_dict(run)
    exercises = _exercises(run, data, namespace)
    if not exercises:
        raise ConfigError("nothing to teach: the run has no step that ran cleanly and contributes to its answer")
    expects = data["clean"]["expects"]
    setup, missing = setup_code(expects, list(history))
    nb = nbformat.v4.new_notebook()
    nb.cells = cells(data["goal"], setup, missing, exercises)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    target = Path(path).expanduser()
    try:
        target.write_text(redact(nbformat.writes(nb)) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}") from None
    return Written(str(target), len(exercises), sum(len(e.checks) for e in exercises), tuple(missing))
