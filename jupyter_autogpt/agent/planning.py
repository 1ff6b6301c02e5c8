"""The run's visible plan: read from the model's replies, ticked as steps finish, and reviewed under ``--plan``.

The system prompt asks for a plan in the first reply and a revised one when the strategy changes
(``prompts.PLAN_PROMPT``); ``plan.parse_plan`` reads it leniently, and a model that sends none still works.
Every change goes out as a ``PlanUpdated`` event: a new or revised plan, an item ticked by a step that ran
without an error, every item ticked when the run reaches its answer.

Under ``--plan`` the first reply that proposes code waits for the user's review before the code runs (the
reviewer is the session's choice, as for approvals: the widget panel, a text prompt, or a refusal). Run as it
is, and the code runs; edited items or feedback go to the model instead, and the code does not run; Stop
ends the run as "interrupted".
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

from ..errors import RunCancelled
from ..events import Event, PlanUpdated
from ..plan import Plan, parse_plan
from ..prompts import plan_review_note
from ..protocol import Reply
from ..types import Step
from .plan_review import PlanReviewer, refuse_review

__all__ = ["PlanReviewer", "Planning"]


class Planning:
    """The plan of one run, and its review.

    Parameters
    ----------
    review
        Whether the first reply with code waits for the user's review (``--plan``).
    reviewer
        Who reviews (``plan_review``); without one a review ends the run with ``plan_review.NO_REVIEWER``.
    """

    def __init__(self, review: bool = False, reviewer: PlanReviewer | None = None) -> None:
        self.plan: Plan | None = None
        self.review_due = review
        self.reviewer = reviewer

    def replied(self, index: int, reply: Reply) -> Iterator[Event]:
        """Read a plan, or a revision of it, from a reply that proposes code."""
        found = parse_plan(reply.prose, first=self.plan is None and index == 1)
        if not found:
            return
        if self.plan is None:
            plan = Plan.of(found, index)
        elif [_key(t) for t, _ in found] == [_key(t) for t in self.plan.texts]:  # the same plan, restated
            plan = Plan.of(found, self.plan.step, self.plan.revision, self.plan.by,
                           frozenset(_key(i.text) for i in self.plan.items if i.state == "done"))
        else:
            plan = self.plan.revised(found, index)
        yield from self._set(index, plan)

    def review(self, index: int, reply: Reply) -> Generator[Event, None, str | None]:
        """Under ``--plan``, ask for the review once; return the note the model reads when the user changed it.

        ``None`` means the code runs as proposed.

        Raises
        ------
        RunCancelled
            When the user stops the run, or nobody can review.
        """
        if not self.review_due:
            return None
        self.review_due = False
        reviewer = self.reviewer or refuse_review
        decision = reviewer(self.plan or Plan(step=index))
        if decision.action == "stop":
            raise RunCancelled(decision.feedback or "stopped at the plan review")
        if not decision.changed:
            return None
        if decision.items is not None:
            pairs = [(text, False) for text in decision.items]
            edited = self.plan.revised(pairs, index, by="user") if self.plan else Plan.of(pairs, index, by="user")
            yield from self._set(index, edited)
        plan = self.plan.numbered(marks=False) if self.plan and decision.items is not None else ""
        return plan_review_note(decision, plan)

    def finished(self, step: Step, answered: bool) -> Iterator[Event]:
        """Tick the current item after a step that ran without an error; every item when the run answered."""
        if self.plan is None:
            return
        if answered:
            yield from self._set(step.index, self.plan.finish())
        elif step.code and not step.error and not step.skipped:
            yield from self._set(step.index, self.plan.tick())

    def _set(self, index: int, plan: Plan) -> Iterator[Event]:
        if plan != self.plan:
            self.plan = plan
            yield PlanUpdated(index, plan)


def _key(text: str) -> str:
    return " ".join(text.lower().split())
