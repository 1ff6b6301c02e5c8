"""A run's visible plan: its items and their state, read leniently from the model's prose (standard library only).

The system prompt asks for a short numbered plan under a ``Plan:`` line in the first reply, and for a revised one
whenever the strategy changes. Models write plans in many shapes, so reading is lenient:

* a header line (``Plan:``, ``## Plan``, ``**Revised plan:**``) followed by numbered or bulleted items, any of them
  marked done with ``[x]`` (``- [x] load the data``); a header with the items on its own line
  (``Plan: 1) load 2) count``);
* in the first reply only, a numbered list of two items or more anywhere in the prose, header or not.

A reply without a plan is fine: the run goes on without one. The state of each item is ``"todo"``, ``"doing"``
(the first unfinished item, while the run goes on) or ``"done"``; each step that runs without an error ticks the
current item, a revised plan keeps the items already done, and a finished run ticks them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from .limits import PLAN_ITEM_CHARS, PLAN_ITEMS, clip

__all__ = ["ItemState", "Plan", "PlanDecision", "PlanItem", "parse_plan", "without_plan"]

ItemState = Literal["todo", "doing", "done"]
#: Who wrote a plan's current version.
Author = Literal["model", "user"]

_HEADER = re.compile(
    r"^\s*(?:#{1,6}\s*)?[*_]{0,2}\s*(?:(?:revised|updated|new|my|the)\s+)?plan\b\s*[*_]{0,2}\s*"
    r"(?P<colon>[:：])?\s*[*_]{0,2}\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_ITEM = re.compile(r"^\s*(?P<mark>\d{1,2}[.)]|[-*+•])\s+(?:\[(?P<box>[ xX✓✔])\]\s*)?(?P<text>\S.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+\S")
_INLINE = re.compile(r"(?:^|\s)\d{1,2}[.)]\s+")


@dataclass(frozen=True)
class PlanItem:
    """One item of a plan and its state."""

    text: str
    state: ItemState = "todo"


@dataclass(frozen=True)
class Plan:
    """The latest version of a run's plan.

    Attributes
    ----------
    items
        The items in order, each with its state.
    revision
        1 for the first plan; each revision (by the model or the user) adds one.
    step
        The step whose reply wrote this version (0 before any).
    by
        Who wrote this version: ``"model"``, or ``"user"`` after a ``--plan`` review changed it.
    """

    items: tuple[PlanItem, ...] = ()
    revision: int = 1
    step: int = 0
    by: Author = "model"

    @classmethod
    def of(cls, texts: list[tuple[str, bool]], step: int, revision: int = 1, by: Author = "model",
           done_before: frozenset[str] = frozenset()) -> Plan:
        """Return a plan of ``(text, marked_done)`` items; an item already done before (same text) stays done."""
        items = tuple(PlanItem(text, "done" if done or _key(text) in done_before else "todo") for text, done in texts)
        return cls(items, revision, step, by).current()

    def current(self) -> Plan:
        """Return the plan with its first unfinished item as ``"doing"`` (and no other)."""
        items, found = [], False
        for item in self.items:
            state: ItemState = item.state if item.state == "done" else ("todo" if found else "doing")
            found = found or state == "doing"
            items.append(replace(item, state=state))
        return replace(self, items=tuple(items))

    def tick(self) -> Plan:
        """Return the plan with its current item done and the next one current."""
        items = list(self.items)
        for i, item in enumerate(items):
            if item.state != "done":
                items[i] = replace(item, state="done")
                break
        return replace(self, items=tuple(items)).current()

    def finish(self) -> Plan:
        """Return the plan with every item done (the run reached its answer)."""
        return replace(self, items=tuple(replace(i, state="done") for i in self.items))

    def revised(self, texts: list[tuple[str, bool]], step: int, by: Author = "model") -> Plan:
        """Return the next version of the plan: ``texts``, keeping the items already done."""
        done = frozenset(_key(i.text) for i in self.items if i.state == "done")
        return Plan.of(texts, step, self.revision + 1, by, done)

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(i.text for i in self.items)

    @property
    def done(self) -> int:
        return sum(i.state == "done" for i in self.items)

    def numbered(self, marks: bool = True) -> str:
        """Return the plan as numbered lines (``1. [x] …``), as the model and the text views read it."""
        box = {"done": "[x] ", "doing": "[ ] ", "todo": "[ ] "}
        return "\n".join(f"{n}. {box[i.state] if marks else ''}{i.text}" for n, i in enumerate(self.items, 1))

    def to_dict(self) -> dict[str, Any]:
        """Return the plan as transcript JSON."""
        return {"items": [{"text": i.text, "state": i.state} for i in self.items], "revision": self.revision,
                "step": self.step, "by": self.by}


@dataclass(frozen=True)
class PlanDecision:
    """A reviewer's answer to a plan under ``--plan``: run it (maybe edited, maybe with feedback) or stop."""

    action: Literal["run", "stop"]
    items: tuple[str, ...] | None = None
    feedback: str | None = None

    @property
    def changed(self) -> bool:
        """Return whether the model must hear about the review (an edit or feedback) before anything runs."""
        return self.items is not None or bool(self.feedback)


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _item(text: str) -> str:
    return clip(" ".join(text.strip().strip("*_").split()), PLAN_ITEM_CHARS)


def _items_after(lines: list[str]) -> list[tuple[str, bool]]:
    """Return the list items that start ``lines`` (a blank line may come first), up to the first other line."""
    found: list[tuple[str, bool]] = []
    for line in lines:
        match = _ITEM.match(line)
        if match:
            found.append((_item(match.group("text")), (match.group("box") or " ") != " "))
        elif line.strip() or found:
            break
    return [f for f in found if f[0]]


def _inline(rest: str) -> list[tuple[str, bool]]:
    pieces = [p for p in _INLINE.split(" " + rest) if p.strip()]
    return [(_item(p), False) for p in pieces] if len(pieces) >= 2 else []


def _header(line: str) -> re.Match[str] | None:
    """Return the match of a plan header: ``Plan`` alone on its line, or ``Plan:`` followed by its items."""
    header = _HEADER.match(line)
    return header if header and (header.group("colon") or not header.group("rest").strip()) else None


def _headed(lines: list[str]) -> list[tuple[str, bool]] | None:
    """Return the items under the last plan header in ``lines`` (the latest version a reply wrote), or None."""
    found = None
    for i, line in enumerate(lines):
        header = _header(line)
        if header is None:
            continue
        rest = header.group("rest").strip()
        items = _inline(rest) if rest else _items_after(lines[i + 1 :])
        if items:
            found = items
    return found


def _numbered(lines: list[str]) -> list[tuple[str, bool]] | None:
    for i, line in enumerate(lines):
        if _NUMBERED.match(line):
            items = _items_after(lines[i:])
            if len(items) >= 2:
                return items
    return None


def parse_plan(prose: str, first: bool = False) -> list[tuple[str, bool]] | None:
    """Return the plan ``prose`` holds as ``(item, marked_done)`` pairs, or ``None`` when it holds none.

    Parameters
    ----------
    prose
        A reply's prose: its text outside code blocks and thinking (``protocol.Reply.prose``).
    first
        Whether this is the run's first reply: there a numbered list without a header is a plan too.
    """
    lines = prose.splitlines()
    items = _headed(lines) or (_numbered(lines) if first else None)
    return items[:PLAN_ITEMS] if items else None


def without_plan(prose: str) -> str:
    """Return ``prose`` without its plan header and items (what a step's one-line title should read instead)."""
    kept = []
    for line in prose.splitlines():
        if _header(line) or _ITEM.match(line):
            continue
        kept.append(line)
    return "\n".join(kept).strip()
