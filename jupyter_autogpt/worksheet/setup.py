"""The worksheet's setup cell: the learner's own cells that build what the lesson expects, from the history.

The clean code names the variables it expects (``sales``); the statements of the user's input history
(``In``: IPython syntax already spelled as Python) that those names depend on are sliced out the same way as
the run's steps, so a worksheet starts from the same data in a fresh kernel.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..clean.slicing import Statement, parse_step, slice_for

__all__ = ["setup_code"]

_AGENT_CELLS = ("run_cell_magic('autogpt'", 'run_cell_magic("autogpt"', "run_line_magic('autogpt'",
                'run_line_magic("autogpt"')


def setup_code(expects: Sequence[str], history: Sequence[str]) -> tuple[str, list[str]]:
    """Return the code that defines ``expects`` from ``history``, and the names it could not find there."""
    modules: set[str] = set()
    cells: list[list[Statement]] = []
    for number, source in enumerate(history):
        if not isinstance(source, str) or not source.strip() or any(m in source for m in _AGENT_CELLS):
            continue
        parsed = parse_step(number, source, modules)
        if parsed:
            cells.append(parsed)
    outside = slice_for(cells, set(expects))
    defined = {name for cell in cells for s in cell if s.kept for name in s.facts.defs | s.facts.kills}
    missing = sorted((set(expects) - defined) | outside)
    code = "\n".join(s.source for cell in cells for s in cell if s.kept)
    return code, missing
