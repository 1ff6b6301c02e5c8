"""The user's own cells, read from IPython's input history (``In``): what they worked on most recently.

The executor ranks the user's variables by it, so the overview the model reads starts with what the user
just assigned (``CellHistory``). The first message of a run tells the model what the user did since the last
run: their cells, a short form of their results (``Out``) and the last error they hit (``RecentWork``).
Read through ``shell.transform_cell`` (IPython syntax becomes Python) and parsed with ``ast``; nothing here
imports IPython.
"""

from __future__ import annotations

import ast
import re
import sys
import traceback
from typing import Any

from .. import risk
from ..context import NotebookContext, UserCell
from ..limits import CELL_RESULT_CHARS, CELL_SOURCE_CHARS, TRACEBACK_CHARS
from .observation import clean, traceback_text
from .summaries.budget import TimeBudget
from .summaries.dispatch import brief

__all__ = ["RECENT_CELLS", "CellHistory", "RecentWork", "is_own_work"]

#: How many of the user's latest cells are read.
RECENT_CELLS = 50


class CellHistory:
    """The input history of ``shell``, parsed once per new cell.

    Parameters
    ----------
    shell
        The user's IPython shell (its ``user_ns["In"]`` and ``transform_cell``).
    """

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self._cache: tuple[int, list[str]] = (-1, [])

    def recently_assigned(self) -> list[str]:
        """Return the names the user's recent cells bound, newest cell first (each name once)."""
        history = self.shell.user_ns.get("In", [])
        if not isinstance(history, list):
            return []
        if self._cache[0] == len(history):
            return self._cache[1]
        seen: list[str] = []
        for source in reversed(history[-RECENT_CELLS:]):
            try:
                tree = ast.parse(self.shell.transform_cell(source))
            except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
                continue
            seen.extend(sorted(risk.rebound_names(tree) - set(seen)))
        self._cache = (len(history), seen)
        return seen


#: A cell that only drives this extension (a run, a subcommand, loading or configuring it): not the user's work.
_OURS = re.compile(
    r"^\s*(?:%%?autogpt\b|%(?:re)?load_ext\s+jupyter_autogpt\b|%config\s+AutoGPTMagics\b"
    r"|get_ipython\(\)\.run_(?:cell|line)_magic\('autogpt'"
    r"|get_ipython\(\)\.run_line_magic\('(?:re)?load_ext', 'jupyter_autogpt'"
    r"|get_ipython\(\)\.run_line_magic\('config', [\"']AutoGPTMagics)",
    re.IGNORECASE,
)
_CELL_LABEL = re.compile(r"In\[(\d+)\]")


def is_own_work(source: str) -> bool:
    """Return whether ``source`` is the user's own work: not empty, not a cell that only drives this extension."""
    lines = [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return bool(lines) and not source.lstrip().startswith("%%autogpt") and not all(_OURS.match(ln) for ln in lines)


class RecentWork:
    """What the user did in ``shell`` since a run: their cells, a short form of what each showed, the last error.

    IPython 9 keeps each cell's outputs and exception (``history_manager.outputs`` / ``.exceptions``); on older
    IPython a cell's result comes from ``Out`` and the last error from ``sys.last_value``. Everything passes the
    redaction that observations pass (``observation.clean``) and its bound in ``limits``. The agent's steps never
    appear: they are not stored in ``In``, and what they raised belongs to the ``%%autogpt`` cell.

    Parameters
    ----------
    shell
        The user's IPython shell (``user_ns["In"]``, ``Out``, ``history_manager``, ``compile`` and
        ``InteractiveTB``, all read duck-typed).
    """

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.manager = getattr(shell, "history_manager", None)
        self._budget = TimeBudget()  # opened by ``since`` around the descriptions of the cells' results

    def _sources(self) -> list[str]:
        """Return the cells as typed (``%magics`` kept), else as ``In`` holds them (transformed to Python)."""
        parsed = self.shell.user_ns.get("In")
        parsed = parsed if isinstance(parsed, list) else []
        raw = getattr(self.manager, "input_hist_raw", None)
        return raw if isinstance(raw, list) and len(raw) == len(parsed) else parsed

    def current(self) -> int:
        """Return the number of the cell running now (the latest one outside a cell): a run's place in ``In``."""
        return max(0, len(self._sources()) - 1)

    def since(self, after: int, limit: int) -> NotebookContext:
        """Return the user's cells after ``In[after]`` (the last run's cell; 0: none yet), the newest ``limit``.

        ``limit`` 0 means nothing at all, the last error included (``--history 0``).
        """
        sources = self._sources()
        if limit <= 0 or not sources:
            return NotebookContext()
        numbers = [n for n in range(max(after + 1, 1), len(sources)) if _text(sources[n]) and is_own_work(sources[n])]
        errors = {n: e for n in numbers if (e := self._error(n)) is not None}
        last = max(errors, default=None)
        with TimeBudget() as self._budget:  # an Out value's __repr__ is the user's code: it may sleep
            cells = tuple(self._cell(n, sources[n], errors.get(n)) for n in numbers[-limit:])
        shown = traceback_text(errors[last][1], TRACEBACK_CHARS) if last is not None else None
        return NotebookContext(cells, shown, last, max(0, len(numbers) - limit))

    def forget_step_outputs(self) -> None:
        """Drop what the agent's steps printed from IPython's record of the *next* cell.

        IPython files a nested cell's printed output under the execution count it reads when the nested cell
        starts, which is already the number of the user's next cell: left there, the agent's prints would show
        as that cell's output in the next run's context (and in ``%notebook``).
        """
        outputs = getattr(self.manager, "outputs", None)
        if isinstance(outputs, dict):
            outputs.pop(len(self._sources()), None)

    def _cell(self, number: int, source: str, error: tuple[str, str] | None) -> UserCell:
        shown = self._shown(number)
        return UserCell(number, clean(source.strip("\n"), CELL_SOURCE_CHARS),
                        clean(shown, CELL_RESULT_CHARS) if shown else None, error[0] if error else None)

    def _shown(self, number: int) -> str:
        """Return what cell ``number`` showed: printed text, displays, its value (``Out``), in a few words."""
        outputs = getattr(self.manager, "outputs", None)
        if isinstance(outputs, dict) and outputs.get(number):
            return "; ".join(p for p in (_output_text(o) for o in outputs[number]) if p)
        out = self.shell.user_ns.get("Out")
        if isinstance(out, dict) and number in out:
            value = out[number]
            return "Out: " + self._budget.describe(value, lambda: brief(value, CELL_RESULT_CHARS))
        return ""

    def _error(self, number: int) -> tuple[str, str] | None:
        """Return the one-line error and the traceback of cell ``number`` if it raised, else ``None``."""
        stored = getattr(self.manager, "exceptions", None)
        if isinstance(stored, dict):
            found = stored.get(number)
            if not isinstance(found, dict):
                return None
            line = f"{found.get('ename', 'Error')}: {found.get('evalue', '')}".splitlines()[0]
            return clean(line, CELL_RESULT_CHARS), "\n".join(map(str, found.get("traceback") or [line]))
        exc = getattr(sys, "last_value", None)  # IPython 8: only the last error is known, and whose it is
        if not isinstance(exc, BaseException) or self._cell_of(exc) != number:
            return None
        return clean(f"{type(exc).__name__}: {exc}".splitlines()[0], CELL_RESULT_CHARS), self._traceback(exc)

    def _cell_of(self, exc: BaseException) -> int | None:
        """Return the cell (``In[n]``) ``exc`` was raised from: the outermost frame that is a cell."""
        names = [exc.filename] if isinstance(exc, SyntaxError) and exc.filename else []
        tb = exc.__traceback__
        while tb is not None:
            names.append(tb.tb_frame.f_code.co_filename)
            tb = tb.tb_next
        label_of: Any = getattr(getattr(self.shell, "compile", None), "format_code_name", None)
        for name in names if callable(label_of) else ():
            label = label_of(name)
            match = _CELL_LABEL.fullmatch(label[1]) if label else None
            if match:
                return int(match.group(1))
        return None

    def _traceback(self, exc: BaseException) -> str:
        """Return ``exc``'s traceback as IPython shows it (cells named ``In[n]``), else as Python formats it."""
        try:
            return "\n".join(self.shell.InteractiveTB.structured_traceback(type(exc), exc, exc.__traceback__))
        except Exception:  # a formatter of another shell, or one that fails: the plain traceback still helps
            return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _output_text(output: Any) -> str:
    """Return one recorded output in a few words: ``printed: …``, ``displayed: …``, ``Out: …``."""
    kind, bundle = getattr(output, "output_type", ""), getattr(output, "bundle", None)
    if not isinstance(bundle, dict):
        return ""
    if kind in ("out_stream", "err_stream"):
        text = "".join(map(str, bundle.get("stream") or [])).strip()
        return f"{'printed' if kind == 'out_stream' else 'stderr'}: {text}" if text else ""
    plain = str(bundle.get("text/plain", "")).strip()
    if kind == "execute_result":
        return f"Out: {plain}"
    images = [m for m in bundle if str(m).startswith("image/")]
    return f"displayed: {plain}" + (f" [{images[0]}]" if images else "") if plain or images else ""


def _text(source: Any) -> bool:
    return isinstance(source, str) and bool(source.strip())
