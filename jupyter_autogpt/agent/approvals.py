"""Approvals: when a proposed step waits for a person, and the answers a text prompt understands.

A step needs approval under ``--approve``, under ``--policy ask-all``, and under ``--policy ask-risky`` when the
risk policy flagged it. The approver answers with a ``Decision``: run (maybe edited), skip, or stop. Which
approver asks (the widget view's panel, a text prompt, or a refusal where nothing can answer) is the session's
choice; the widget panel lives in the UI layer.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import RunCancelled
from ..events import CodeProposed
from ..types import Decision, RunConfig

__all__ = ["Approver", "decide", "needs_approval", "refuse_approval", "stdin_approver"]

#: Asked before a step runs; answers run (maybe edited), skip or stop.
Approver = Callable[[CodeProposed], Decision]

#: Answers to the text prompt, by their first word (a ``y``/``n`` prefix counts too: "yes please", "nope").
_STOP_WORDS = frozenset({"s", "stop", "q", "quit"})
_EDIT_WORDS = frozenset({"e", "edit"})


def needs_approval(config: RunConfig, flags: tuple[str, ...]) -> bool:
    """Return whether a step with risk ``flags`` waits for a person under ``config``."""
    return config.approve or config.policy == "ask-all" or (config.policy == "ask-risky" and bool(flags))


def decide(config: RunConfig, proposal: CodeProposed, approver: Approver | None) -> tuple[Decision, bool]:
    """Return the decision on ``proposal`` and whether a person (the approver) made it.

    Raises
    ------
    RunCancelled
        When the step needs approval and there is no approver.
    """
    if not needs_approval(config, proposal.flags):
        return Decision("run"), False
    if approver is None:
        raise RunCancelled("this step needs approval but no way to ask was available")
    return approver(proposal), True


def refuse_approval(proposal: CodeProposed) -> Decision:
    """Answer no approval can be given here (a frontend with neither widgets nor an input prompt)."""
    raise RunCancelled(
        "this step needs approval, but this frontend can show neither widgets nor an input prompt: "
        "run in JupyterLab/Notebook with ipywidgets, or drop --approve / use --policy auto"
    )


def stdin_approver(ask: Callable[[str], str], say: Callable[[str], None] = print) -> Approver:
    """Return an approver that asks at a text prompt (terminal IPython, or a kernel that allows stdin).

    ``y…`` (or Enter) runs the step, ``n…`` skips it, ``s``/``stop`` ends the run; other text skips the step
    and goes to the model as feedback. Editing needs the widget view. It says what it decided.
    """

    def approve(proposal: CodeProposed) -> Decision:
        flags = f" (flagged: {', '.join(proposal.flags)})" if proposal.flags else ""
        prompt = f"\nRun step {proposal.index}{flags}? [y]es / [n]o (skip) / [s]top / or type feedback: "
        while True:
            answer = ask(prompt).strip()
            words = answer.lower().replace(",", " ").split()
            first = words[0].strip(".!") if words else ""
            if first not in _EDIT_WORDS:
                break
            say("editing is not available at a text prompt (it needs the widget view); answer y, n, s or feedback")
        return _answer(proposal.index, answer, first, len(words), say)

    return approve


def _answer(index: int, answer: str, first: str, words: int, say: Callable[[str], None]) -> Decision:
    if not first or first.startswith("y"):
        say(f"→ running step {index}")
        return Decision("run")
    if first in _STOP_WORDS:
        say("→ stopping the run")
        return Decision("stop")
    if first.startswith("n") and words == 1:
        say(f"→ skipping step {index}")
        return Decision("skip")
    say(f"→ skipping step {index}; your words go to the model as feedback")
    return Decision("skip", feedback=answer)
