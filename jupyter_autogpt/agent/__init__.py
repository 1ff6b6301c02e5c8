"""The agent loop and its concerns, each in a module named for it.

- ``loop``: ``Agent.run(goal)``, the one loop, a generator of events; ``run_to_completion``.
- ``model_retry``: one complete reply, recovering from a context overflow and a dropped stream.
- ``reasks``: corrective re-asks for replies the loop cannot use yet (empty, a question, a guess).
- ``planning``: the visible plan (read from replies, ticked as steps finish) and its review under ``--plan``;
  ``plan_review``: the text-prompt reviewer and the refusal.
- ``acting``: a step's action: risk flags, approval, execution, the notes the model reads.
- ``approvals``: when a step waits for a person; the text-prompt approver.
- ``budgets``: the token, time and cost budgets; the repeat detector.
- ``state``: the run's working record and the conversation the next request is built from.
"""

from __future__ import annotations

from .approvals import Approver
from .loop import Agent, run_to_completion

__all__ = ["Agent", "Approver", "run_to_completion"]
