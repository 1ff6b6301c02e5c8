"""Reviewing a plan under ``--plan`` without widgets: the text prompt, and the refusal where nothing can answer.

Which reviewer asks is the session's choice, as for approvals: the widget view's panel (``ui/widgets/plan.py``)
where clicks reach the busy kernel, else the text prompt of terminal IPython or of a client that allows stdin,
else ``refuse_review``, which ends the run with a sentence saying why: a review never hangs.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import RunCancelled
from ..plan import Plan, PlanDecision

__all__ = ["NO_REVIEWER", "PlanReviewer", "refuse_review", "stdin_reviewer"]

#: Asked under ``--plan`` with the plan (maybe without items: the model sent none); answers run or stop.
PlanReviewer = Callable[[Plan], PlanDecision]

NO_REVIEWER = (
    "--plan waits for you to review the plan, but this frontend can show neither widgets nor an input prompt: "
    "run in JupyterLab/Notebook with ipywidgets or in terminal IPython, or drop --plan"
)

_RUN_WORDS = frozenset({"", "y", "yes", "r", "run", "ok", "go"})
_STOP_WORDS = frozenset({"s", "stop", "q", "quit", "n", "no"})
_EDIT_WORDS = frozenset({"e", "edit"})
#: Items a typed plan may hold at most (what ``plan.parse_plan`` keeps anyway).
_MAX_LINES = 50


def refuse_review(plan: Plan) -> PlanDecision:
    """Answer that no review can happen here (a frontend with neither widgets nor an input prompt)."""
    raise RunCancelled(NO_REVIEWER)


def _shown(plan: Plan) -> str:
    if not plan.items:
        return "The model sent no plan (you may write one: answer e)."
    return "Plan:\n" + "\n".join(f"  {n}. {item.text}" for n, item in enumerate(plan.items, 1))


def stdin_reviewer(ask: Callable[[str], str], say: Callable[[str], None] = print) -> PlanReviewer:
    """Return a reviewer asking at a text prompt (terminal IPython, or a kernel whose client allows stdin).

    Enter or ``y`` runs the plan as it is, ``s``/``n`` stops the run, ``e`` asks for a new plan one item per
    line (an empty line ends it), and any other text goes to the model as feedback. It says what it decided.
    """

    def review(plan: Plan) -> PlanDecision:
        say(_shown(plan))
        answer = ask("Run this plan? [y]es / [s]top / [e]dit the items / or type feedback: ").strip()
        word = answer.lower().strip(".!")
        if word in _RUN_WORDS:
            say("→ running the plan")
            return PlanDecision("run")
        if word in _STOP_WORDS:
            say("→ stopping the run")
            return PlanDecision("stop")
        if word in _EDIT_WORDS:
            items = _typed_items(ask)
            say(f"→ your plan ({len(items)} item(s)) goes to the model; its code does not run")
            return PlanDecision("run", items=items)
        say("→ your words go to the model as feedback; its code does not run")
        return PlanDecision("run", feedback=answer)

    return review


def _typed_items(ask: Callable[[str], str]) -> tuple[str, ...]:
    items: list[str] = []
    while len(items) < _MAX_LINES:
        line = ask(f"  item {len(items) + 1} (empty line: done): ").strip()
        if not line:
            break
        items.append(line.lstrip("-*0123456789.) ").strip() or line)
    return tuple(items)
