"""Corrective re-asks: what the loop does with a reply it cannot use yet.

Three kinds, each a model reply that counts toward ``--max-steps``:

- an empty reply: asked again, up to ``MAX_EMPTY_REPLIES`` in a row, then the run fails;
- a reply without code that asks the user something (nobody can answer during a run): asked to decide itself;
- a reply without code that answers a question about the user's variables before any code looked at them
  (a guess): asked to look first.

The two prose re-asks happen once a run; a second such reply is taken as the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import ModelBehaviourError
from ..prompts import EMPTY_REPLY, PREMATURE_REPLY, QUESTION_REPLY
from ..protocol import Reply, asks_user, names_in
from ..types import Message, Step

__all__ = ["MAX_EMPTY_REPLIES", "Reasks"]

#: Empty replies in a row that get a corrective re-ask; the next one fails the run.
MAX_EMPTY_REPLIES = 2


class Reasks:
    """Decide the corrective message for an unusable reply, and keep count.

    Parameters
    ----------
    goal
        The run's goal (the variables it mentions are the ones an early answer would guess about).
    user_names
        The user's variable names when the run started.
    unseen
        Picks the names whose values the namespace overview cannot show in full.
    """

    def __init__(self, goal: str, user_names: frozenset[str], unseen: Callable[[list[str]], Sequence[str]]) -> None:
        self.goal = goal
        self.user_names = user_names
        self.unseen = unseen
        self.empties = 0
        self.prose_reasked = False

    def empty(self) -> list[Message]:
        """Return the correction for an empty reply; raise ``ModelBehaviourError`` past the allowed count."""
        self.empties += 1
        if self.empties > MAX_EMPTY_REPLIES:
            raise ModelBehaviourError(f"the model sent {self.empties} empty replies in a row")
        return [Message("user", EMPTY_REPLY)]

    def usable(self) -> None:
        """Note a non-empty reply (the count of empty ones in a row starts again)."""
        self.empties = 0

    def prose(self, reply: Reply, steps: Sequence[Step]) -> list[Message] | None:
        """Return the correction for a code-less reply that is not yet an answer (once a run), else ``None``."""
        if self.prose_reasked:
            return None
        nudge = self._nudge(reply, steps)
        if nudge is None:
            return None
        self.prose_reasked = True
        return [Message("assistant", reply.text), Message("user", nudge)]

    def _nudge(self, reply: Reply, steps: Sequence[Step]) -> str | None:
        if asks_user(reply.prose or reply.text):
            return QUESTION_REPLY
        mentioned = names_in(self.goal, self.user_names)
        unseen = list(self.unseen(mentioned)) if mentioned else []
        if unseen and not any(s.code for s in steps):
            return PREMATURE_REPLY.format(names=", ".join(unseen[:5]))
        return None
