"""Corrective re-asks: what the loop does with a reply it cannot use yet.

Each kind is a model reply that counts toward ``--max-steps``:

- an unusable reply: empty, only thinking (a reasoning model that never got to the action), or a tool call
  (native, or tool-call JSON written as text; there are no tools, only code): asked again, up to
  ``MAX_EMPTY_REPLIES`` such replies in a row, then the run fails saying which kind it was;
- a reply without code that asks the user something (nobody can answer during a run): asked to decide itself;
- a reply without code that answers a question about the user's variables before any code looked at them
  (a guess): asked to look first.

The two prose re-asks happen once a run; a second such reply is taken as the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import ModelBehaviourError
from ..prompts import EMPTY_REPLY, PREMATURE_REPLY, QUESTION_REPLY, THINKING_ONLY_REPLY, TOOL_CALL_REPLY, past_reply
from ..protocol import Reply, asks_user, names_in, tool_call_in
from ..types import Message, Step

__all__ = ["MAX_EMPTY_REPLIES", "Reasks"]

#: Unusable replies (empty, only thinking, a tool call) in a row that get a corrective re-ask; the next one
#: fails the run.
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

    def unusable(self, reply: Reply) -> tuple[str, list[Message]] | None:
        """Return what is wrong with a reply that is no step and no answer, and its correction; else ``None``.

        Raises
        ------
        ModelBehaviourError
            Past ``MAX_EMPTY_REPLIES`` unusable replies in a row.
        """
        tool = tool_call_in(reply)
        if tool is not None:
            found = (f"a tool call ({tool}) instead of code", TOOL_CALL_REPLY.format(name=tool),
                     "if the server forces tool use, turn that off")
        elif not reply.body.strip() and reply.thinking.strip():
            found = ("only its reasoning", THINKING_ONLY_REPLY, "a larger --max-tokens may leave room for the action")
        elif not reply.body.strip():
            found = ("an empty reply", EMPTY_REPLY, "try another model")
        else:
            self.empties = 0
            return None
        self.empties += 1
        if self.empties > MAX_EMPTY_REPLIES:
            raise ModelBehaviourError(f"the model sent {self.empties} unusable replies in a row (the last one: "
                                      f"{found[0]}); {found[2]}")
        return found[0], [Message("user", found[1])]

    def prose(self, reply: Reply, steps: Sequence[Step]) -> list[Message] | None:
        """Return the correction for a code-less reply that is not yet an answer (once a run), else ``None``."""
        if self.prose_reasked:
            return None
        nudge = self._nudge(reply, steps)
        if nudge is None:
            return None
        self.prose_reasked = True
        return [Message("assistant", past_reply(reply.text)), Message("user", nudge)]

    def _nudge(self, reply: Reply, steps: Sequence[Step]) -> str | None:
        if asks_user(reply.prose or reply.body):
            return QUESTION_REPLY
        mentioned = names_in(self.goal, self.user_names)
        unseen = list(self.unseen(mentioned)) if mentioned else []
        if unseen and not any(s.code for s in steps):
            return PREMATURE_REPLY.format(names=", ".join(unseen[:5]))
        return None
