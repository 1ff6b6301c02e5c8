"""Undo for a run: put back the user's variables that its steps rebound or deleted.

The log keeps references, never copies: before each step it notes which object each of the user's names
(those bound when the run started) points to, and after the step it keeps the old reference of every
name the step rebound or deleted. Comparing bindings, rather than reading the code, also catches
``globals()[name] = ...``, ``exec`` and magics that static analysis cannot see.

What it cannot undo: changes made *inside* an object (``df.drop(columns=..., inplace=True)``,
``lst.append(x)``, ``d[k] = v``), since the old reference points to the same, changed object; files
written or deleted; and names the run created (they are reported, not removed).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

__all__ = ["IN_PLACE_CAVEAT", "UndoLog", "UndoReport"]

IN_PLACE_CAVEAT = (
    "In-place changes (df.drop(..., inplace=True), list.append, d[k] = v) cannot be undone this way: "
    "undo restores bindings, not object contents."
)
_MISSING = object()


@dataclass(frozen=True)
class UndoReport:
    """What ``UndoLog.undo`` did: names restored (with how the run had changed them), skipped, created."""

    restored: tuple[tuple[str, str], ...] = ()
    skipped: tuple[str, ...] = ()
    created: tuple[str, ...] = ()

    def message(self) -> str:
        """Return a short report for the user."""
        if not self.restored and not self.skipped:
            text = "nothing to undo: the last run rebound or deleted none of your variables."
        else:
            parts = [f"{name} ({how})" for name, how in self.restored]
            text = f"restored {len(parts)} variable(s): {', '.join(parts) or '-'}."
            if self.skipped:
                text += f" Left alone (you changed them after the run): {', '.join(self.skipped)}."
        if self.created:
            text += f" The run also created {', '.join(self.created)} (kept; `del` them if unwanted)."
        return f"{text} {IN_PLACE_CAVEAT}"


class UndoLog:
    """References to the bindings a run replaced, so ``undo`` can restore them once."""

    def __init__(self) -> None:
        self._names: frozenset[str] = frozenset()
        self._before: dict[str, Any] = {}
        self._originals: dict[str, Any] = {}
        self._left: dict[str, Any] = {}
        self._created: tuple[str, ...] = ()

    def begin(self, user_names: Iterable[str]) -> None:
        """Start a run: ``user_names`` are the user's own names (the only ones undo restores)."""
        self._names = frozenset(user_names)
        self._originals, self._left, self._created = {}, {}, ()

    def before_step(self, ns: MutableMapping[str, Any]) -> None:
        """Note the object each user name points to now (references only, cheap)."""
        self._before = {n: ns[n] for n in self._names if n in ns and n not in self._originals}

    def after_step(self, ns: MutableMapping[str, Any]) -> list[str]:
        """Keep the old reference of each user name the step rebound or deleted; return those names."""
        changed = [n for n, v in self._before.items() if ns.get(n, _MISSING) is not v]
        for name in changed:
            self._originals[name] = self._before[name]
        self._before = {}
        return changed

    def finish(self, ns: MutableMapping[str, Any], run_names: Iterable[str]) -> None:
        """End the run: remember what it left bound, to detect later edits by the user."""
        self._left = {n: ns.get(n, _MISSING) for n in self._originals}
        self._created = tuple(sorted(set(run_names) - self._names))

    @property
    def pending(self) -> tuple[str, ...]:
        """Return the names ``undo`` would restore."""
        return tuple(sorted(self._originals))

    def undo(self, ns: MutableMapping[str, Any]) -> UndoReport:
        """Restore the run's rebound and deleted user names in ``ns`` (once), unless the user rebound them since."""
        restored, skipped = [], []
        for name in sorted(self._originals):
            if name in self._left and ns.get(name, _MISSING) is not self._left[name]:
                skipped.append(name)
                continue
            how = "deleted" if name not in ns else "rebound"
            ns[name] = self._originals[name]
            restored.append((name, how))
        report = UndoReport(tuple(restored), tuple(skipped), self._created)
        self._originals, self._left = {}, {}
        return report
