"""A progress bar on stderr: redrawn in place on a terminal, one line per finished task elsewhere (CI logs)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .runner import TaskResult

__all__ = ["Progress", "can_write"]

_WIDTH = 24


def can_write(stream: TextIO, text: str) -> bool:
    """Return whether ``stream``'s encoding can write ``text`` (a terminal in the C locale may not)."""
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


class Progress:
    """Show how many of ``total`` tasks are done, how many are right, and the time so far.

    Parameters
    ----------
    total
        How many tasks will run.
    stream
        Where to write (default ``sys.stderr``, so the table on stdout stays clean for a pipe).
    live
        Redraw one line in place; default: whether ``stream`` is a terminal.
    """

    def __init__(self, total: int, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.marks = ("█░✓✗" if can_write(self.stream, "█░✓✗") else "#-+x")
        self.done = 0
        self.correct = 0
        self.started = time.monotonic()
        if self.live:
            self._draw("")

    def update(self, result: TaskResult) -> None:
        """Count ``result`` and show it."""
        self.done += 1
        self.correct += result.correct
        mark = self.marks[2] if result.correct else self.marks[3]
        if self.live:
            self._draw(f"task {result.task.key} {mark}")
        else:
            width = len(str(self.total))
            self.stream.write(
                f"[{self.done:>{width}}/{self.total}] task {result.task.key} {mark} "
                f"({result.steps} steps, {result.wall_seconds:.1f}s){': ' + result.failure if result.failure else ''}\n"
            )
            self.stream.flush()

    def close(self) -> None:
        """End the bar's line (on a terminal), so what follows starts on a fresh line."""
        if self.live:
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, last: str) -> None:
        filled = round(_WIDTH * self.done / self.total) if self.total else _WIDTH
        bar = self.marks[0] * filled + self.marks[1] * (_WIDTH - filled)
        elapsed = int(time.monotonic() - self.started)
        line = f"\r{bar} {self.done}/{self.total} · {self.correct} right · {elapsed // 60}:{elapsed % 60:02d}"
        self.stream.write(line + (f" · {last}" if last else "") + "\033[K")
        self.stream.flush()
