"""When a ``%%autogpt`` cell matches a recording: the same goal, model and the options that change what the model sees.

A recording is reused for a run whose *match* equals the recorded one:

* ``goal``: the goal text, with surrounding whitespace and each line's trailing spaces ignored;
* ``model``: the model id asked for (``openai:gpt-4o-mini``), not the server behind it;
* the options that change the model's input or sampling: ``explain`` (the system prompt), ``vision`` (images
  in the messages), ``context_chars`` (how much of the namespace overview it reads), ``focus`` (``--df``),
  ``temperature``, and the conversation's (``continue_from``, ``continue_runs``, ``new``, ``history``,
  ``instructions``, ``instructions_file``, ``plan_review``), each only where it differs from its default, so
  a recording keeps matching when a new option arrives with a default that leaves things as they were.

Budgets (``--max-steps``, ``--timeout``, ``--max-time``, ``--max-tokens``, ``--max-cost``), approval, cell
insertion and the view do not change what the model is asked, so they do not prevent a match. The data does
not either: a replay runs the recorded code on today's data, and says where an observation differs.

Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from ..types import RunConfig

__all__ = ["MATCHED_OPTIONS", "Match", "differences", "key", "match_of", "slug"]

#: The ``RunConfig`` fields that take part in a match, besides the goal (see the module docstring); a field
#: this version's ``RunConfig`` lacks, or one at its default, is left out (the model never is).
MATCHED_OPTIONS: tuple[str, ...] = (
    "model", "explain", "vision", "context_chars", "focus", "temperature",
    "continue_from", "continue_runs", "new", "history", "instructions", "instructions_file", "plan_review",
)

Match = dict[str, Any]


def _goal(goal: str) -> str:
    return "\n".join(line.rstrip() for line in goal.strip().splitlines())


def match_of(goal: str, config: RunConfig) -> Match:
    """Return what a recording of ``goal`` run with ``config`` is matched on, as JSON-compatible values."""
    settings, defaults = config.to_dict(), RunConfig().to_dict()
    chosen = {name: settings[name] for name in MATCHED_OPTIONS if name in settings and settings[name] != defaults[name]}
    return {"goal": _goal(goal), "model": config.model, **chosen}


def key(match: Match) -> str:
    """Return the hex digest that names a match: equal matches, equal keys."""
    text = json.dumps(match, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def differences(wanted: Match, recorded: Match) -> list[str]:
    """Return how ``recorded`` differs from ``wanted``, one phrase per field (``"model: openai:gpt-4o, not …"``)."""
    defaults = RunConfig().to_dict()
    found = []
    for name in ("goal", *MATCHED_OPTIONS):
        was, now = recorded.get(name, defaults.get(name)), wanted.get(name, defaults.get(name))
        if was != now:
            found.append("the goal differs" if name == "goal" else f"{name}: recorded {was!r}, now {now!r}")
    return found


def slug(goal: str, width: int = 40) -> str:
    """Return a file-name-safe start of ``goal``: lower-case words joined by ``-`` (``"run"`` when none)."""
    words = re.findall(r"[a-z0-9]+", goal.lower())
    text = "-".join(words)[:width].rstrip("-")
    return text or "run"
