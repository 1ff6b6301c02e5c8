"""One step's action: flag the proposed code, ask for approval where needed, run it, and note what the model
should know about it (a malformed reply, the user's edit or feedback, risk flags, the variables it changed).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from .. import risk
from ..errors import RunCancelled
from ..events import CodeExecuted, CodeProposed, Event, Noticed
from ..execution.base import Executor, StepInterrupted
from ..execution.variables import printed_names
from ..limits import changed_variables_chars
from ..prompts import CHANGED_VARIABLES, render_observation, reply_notes
from ..protocol import Reply
from ..types import Observation, RunConfig, Step, Usage
from .approvals import Approver, decide

__all__ = ["Action", "AnswerRecord", "answer_given"]

#: What a step that answered and was then interrupted reads as (its code did not run to the end).
INTERRUPTED_AFTER_ANSWER = "KeyboardInterrupt: interrupted after final_answer() was called; the answer is kept"


@runtime_checkable
class AnswerRecord(Protocol):
    """The ``final_answer`` calls of an executor's latest ``run`` (kept when that run raised ``KeyboardInterrupt``).

    An executor that has one as its ``answer`` attribute lets a step interrupted right after it answered keep
    the answer (``IPythonExecutor`` and ``ScriptedExecutor`` do); one without it loses that answer, nothing else.
    """

    @property
    def answered(self) -> bool: ...

    @property
    def last(self) -> Any: ...


def answer_given(executor: Executor) -> tuple[bool, Any]:
    """Return whether the executor's latest ``run`` called ``final_answer``, and the last value it gave."""
    record = getattr(executor, "answer", None)
    if isinstance(record, AnswerRecord) and record.answered:
        return True, record.last
    return False, None


@dataclass(frozen=True)
class Action:
    """What runs a step's code: where it runs, under which settings, and who approves it."""

    executor: Executor
    config: RunConfig
    approver: Approver | None = None

    def user_names(self) -> frozenset[str]:
        """Return the user's variable names (for the risk policy's rebinding check)."""
        return frozenset(self.executor.user_names())

    def act(
        self, index: int, reply: Reply, usage: Usage, seconds: float, timeout: float | None
    ) -> Generator[Event, None, Step]:
        """Approve and execute ``reply``'s code as step ``index``; return the finished ``Step``."""
        assert reply.code is not None
        code = reply.code
        assessment = risk.assess(code, self.user_names())
        flags = assessment.flags
        proposal = CodeProposed(index, code, flags)
        yield proposal
        decision, asked = decide(self.config, proposal, self.approver)
        if decision.action == "stop":
            raise RunCancelled(decision.feedback or "stopped by the user before a step ran")
        notes = reply_notes(reply)
        if decision.feedback:
            notes.append(f"User feedback: {decision.feedback}")
        step = Step(index=index, reply=reply.text, code=code, usage=usage, model_seconds=seconds,
                    feedback=decision.feedback, flags=flags)
        if decision.action == "skip":
            output = "The user skipped this step; the code did not run." + "".join("\n" + n for n in notes)
            return replace(step, output=output, skipped=True)
        if decision.code is not None and decision.code != code:
            code = decision.code
            assessment = risk.assess(code, self.user_names())  # what runs is the edit, not the proposal
            flags = assessment.flags
            notes.append("The user edited your code before it ran; the code that ran:\n```python\n" + code + "\n```")
        if flags and not asked:
            yield self._flagged(index, flags, notes)
        obs = yield from self._run(index, code, assessment, timeout, notes)
        return replace(step, code=code, output=render_observation(obs, notes=notes), error=obs.error, observation=obs,
                       exec_seconds=obs.duration, flags=flags)

    def _flagged(self, index: int, flags: tuple[str, ...], notes: list[str]) -> Noticed:
        described = "; ".join(risk.FLAGS[f] for f in flags)
        notes.append(f"Flagged by the risk policy ({described}); it ran because --policy is auto.")
        return Noticed(index, f"step {index} ran with risk flags: {described} (--policy auto; "
                              "%autogpt undo restores rebound or deleted variables)", "warning")

    def _execute(self, index: int, code: str, timeout: float | None) -> Generator[Event, None, Observation]:
        """Run ``code``; an interrupt after the step called ``final_answer`` keeps the answer and ends the run."""
        try:
            return self.executor.run(code, timeout=timeout)
        except StepInterrupted as exc:  # the executor kept what the step printed and answered
            if not exc.observation.answered:
                raise
            obs = replace(exc.observation, error=INTERRUPTED_AFTER_ANSWER, error_name="KeyboardInterrupt")
        except KeyboardInterrupt:
            answered, answer = answer_given(self.executor)
            if not answered:
                raise
            obs = Observation(error=INTERRUPTED_AFTER_ANSWER, error_name="KeyboardInterrupt", answered=True, answer=answer)
        yield Noticed(index, f"step {index} was interrupted after it called final_answer(); the answer is kept",
                      "warning")
        return obs

    def _run(
        self, index: int, code: str, assessment: risk.Assessment, timeout: float | None, notes: list[str]
    ) -> Generator[Event, None, Observation]:
        if assessment.refusal is not None:  # a refused step never reaches the executor: its refusal is its observation
            obs = Observation(error=assessment.refusal, error_name="Refused")
        else:
            obs = yield from self._execute(index, code, timeout)
        if obs.changed:
            budget = changed_variables_chars(self.config.context_chars)  # what the step printed is in its output
            described = self.executor.describe(obs.changed, budget, brief=sorted(printed_names(code)))
            if described:
                notes.append(CHANGED_VARIABLES + described)
        obs = replace(obs, flags=assessment.flags)
        yield CodeExecuted(index, code, obs)
        return obs
