"""The agent loop: one generator of events, from the goal to the final answer.

It knows the ``Model`` and ``Executor`` interfaces only: no IPython, no widgets, no vendor SDK. Streaming and
non-streaming are the same loop; a caller that wants only the result consumes it (``run_to_completion``).
Each concern of a step has its own module: ``model_retry`` (one complete reply), ``reasks`` (replies it
cannot use yet), ``planning`` (the visible plan and its review), ``acting`` (approval, execution, notes),
``budgets`` (tokens, time, cost), ``state``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Generator, Iterator

from ..context import RunContext
from ..errors import AutoGPTError, BudgetExceeded, RunCancelled
from ..events import Event, FinalAnswer, Noticed, RunFinished, RunStarted, StepFinished, StepStarted
from ..execution.base import Executor
from ..limits import history_chars
from ..models.base import Model
from ..prompts import SYSTEM_PROMPT, first_message, with_repeat_note
from ..protocol import parse_reply
from ..types import Run, RunConfig, Step
from .acting import Action, answer_given
from .approvals import Approver
from .budgets import Budgets, check_repeats
from .model_retry import ask
from .planning import Planning, PlanReviewer
from .reasks import Reasks
from .state import Conversation, RunState, internal_error

__all__ = ["Agent", "run_to_completion"]

log = logging.getLogger(__name__)


class Agent:
    """Run a goal to an answer: ask the model, execute its code, feed back what happened.

    Parameters
    ----------
    model
        The backend that writes each step.
    executor
        Where the code runs (the user's namespace, in a notebook).
    config
        Budgets and settings of the run.
    approver
        Asked before each step that needs approval (``config.approve`` or the risk ``config.policy``).
    should_stop
        Polled at step boundaries; returning True ends the run as "interrupted" (the Stop button).
    system_prompt
        Replaces the built-in system prompt.
    clock
        Monotonic clock of the time budget.
    context
        The conversation around the run: the thread it continues and the user's recent cells open the first
        message; its instructions are already in ``system_prompt`` (the run records them).
    plan_reviewer
        Asked to review the plan before the first code runs, under ``config.plan_review`` (``--plan``).
    """

    def __init__(
        self,
        model: Model,
        executor: Executor,
        config: RunConfig | None = None,
        *,
        approver: Approver | None = None,
        should_stop: Callable[[], bool] | None = None,
        system_prompt: str = SYSTEM_PROMPT,
        clock: Callable[[], float] = time.monotonic,
        context: RunContext | None = None,
        plan_reviewer: PlanReviewer | None = None,
    ) -> None:
        self.model = model
        self.executor = executor
        self.config = config or RunConfig(model=getattr(model, "id", "model"))
        self.action = Action(executor, self.config, approver)
        self.should_stop = should_stop or (lambda: False)
        self.system_prompt = system_prompt
        self.clock = clock
        self.context = context or RunContext()
        self.plan_reviewer = plan_reviewer

    def run(self, goal: str) -> Generator[Event, None, None]:
        """Yield the events of one run of ``goal``; the last one is always ``RunFinished``.

        Whatever fails (the model, the code, our own code, an interrupt), the executor is stopped (the
        user's namespace and hooks restored) and the run so far, its steps and messages, is kept.
        """
        state = RunState(uuid.uuid4().hex[:12], goal, self.config, self.clock(), time.time(), context=self.context,
                         planning=Planning(self.config.plan_review, self.plan_reviewer))
        started = False
        try:
            yield RunStarted(state.run_id, goal, self.model.id, self.config, state.started_wall, self.context)
            started = True
            self.executor.start()
            yield from self._loop(state)
        except KeyboardInterrupt as exc:
            self._interrupted(state, exc)
        except RunCancelled as exc:
            state.end("interrupted", str(exc) or "interrupted by the user")
        except BudgetExceeded as exc:
            state.end("max_steps", str(exc))
        except AutoGPTError as exc:
            state.end("failed", str(exc))
        except Exception as exc:  # a bug of ours or of a backend: one line for the cell, the traceback to the log
            log.error("agent run %s failed", state.run_id, exc_info=exc)
            state.end("failed", internal_error(exc))
        finally:
            if started:
                self._stop_executor(state)
        run = state.freeze(self.model.id, self.clock() - state.started)
        if state.status == "finished":
            try:
                yield FinalAnswer(run.answer, run.answer_text())
            except KeyboardInterrupt:  # the answer is in: an interrupt while it is shown changes nothing
                log.debug("interrupt while the final answer was shown; the run is kept as finished")
        yield RunFinished(run)

    def _interrupted(self, state: RunState, exc: KeyboardInterrupt) -> None:
        """End the run after the user's interrupt, keeping an answer the last step gave just before it."""
        answered, answer = answer_given(self.executor)
        if answered:
            state.end("finished", answer=answer)
        else:
            state.end("interrupted", str(exc) or "interrupted by the user")

    def _stop_executor(self, state: RunState) -> None:
        """Stop the executor; an interrupt during the stop gets one more try (the namespace must be restored)."""
        try:
            try:
                self.executor.stop()
            except KeyboardInterrupt:
                self.executor.stop()
        except (Exception, KeyboardInterrupt) as exc:  # restoring must not hide the run's own outcome
            log.exception("executor failed to stop")
            note = f"cleanup failed: {type(exc).__name__}: {exc}"
            state.error = (state.error + "; " if state.error else "") + note

    def _warn_unpriced(self, budgets: Budgets) -> Iterator[Event]:
        if self.config.max_cost is not None and not budgets.priced():
            yield Noticed(0, f"the price of {self.model.id} is unknown, so --max-cost cannot be enforced; "
                             "use --max-tokens (or jupyter_autogpt.pricing.set_price)", "warning")

    def _conversation(self, goal: str) -> Conversation:
        overview = self.executor.overview(self.config.context_chars, self.config.focus)
        return Conversation(self.system_prompt, first_message(goal, overview, self.context),
                            history_chars(self.config.context_chars), self.config.vision)

    def _loop(self, state: RunState) -> Iterator[Event]:
        cfg = self.config
        reasks = Reasks(state.goal, self.action.user_names(), lambda names: self.executor.unseen(names))
        conversation = self._conversation(state.goal)
        budgets = Budgets(cfg, self.model.id, state.started)
        yield from self._warn_unpriced(budgets)
        shown = 0  # the step whose StepStarted went out: a re-ask continues it rather than starting it again
        while True:
            if self.should_stop():
                raise RunCancelled("stopped by the user")
            budgets.check(state.usage, self.clock())
            if state.requests >= cfg.max_steps:
                state.end("max_steps", f"step budget used up ({cfg.max_steps} model replies)")
                return
            index = len(state.steps) + 1
            if index != shown:
                shown = index
                yield StepStarted(index, cfg.max_steps)
            step = yield from self._step(state, conversation, reasks, budgets, index)
            if step is None:
                continue  # a corrective re-ask: the same step asks again
            state.steps.append(with_repeat_note(state.steps, step))
            yield StepFinished(state.steps[-1])
            yield from state.planning.finished(step, state.status == "finished")
            if state.status == "finished":
                return
            check_repeats(state.steps)

    def _step(
        self, state: RunState, conversation: Conversation, reasks: Reasks, budgets: Budgets, index: int
    ) -> Generator[Event, None, Step | None]:
        """Run step ``index``: ask, then act or answer; return the step, or ``None`` after a corrective re-ask."""
        text, usage, seconds = yield from ask(self.model, conversation, state, budgets, index, self.clock)
        reply = parse_reply(text)
        unusable = reasks.unusable(reply)
        if unusable is not None:
            what, conversation.correction = unusable
            yield Noticed(index, f"the model sent {what}; asking again", "retry")
            return None
        if reply.code is None:
            correction = reasks.prose(reply, state.steps)
            if correction is not None:
                conversation.correction = correction
                yield Noticed(index, "the model replied without code too early; asking it to go on", "retry")
                return None
            state.end("finished", answer=reply.prose or reply.body.strip())
            return Step(index=index, reply=text, usage=usage, model_seconds=seconds)
        yield from state.planning.replied(index, reply)
        reviewed = yield from state.planning.review(index, reply)
        if reviewed is not None:  # the user changed the plan: the model hears it before anything runs
            return Step(index=index, reply=text, code=reply.code, output=reviewed, skipped=True, usage=usage,
                        model_seconds=seconds)
        step = yield from self.action.act(index, reply, usage, seconds, budgets.step_timeout(self.clock()))
        if step.observation is not None and step.observation.answered:
            state.end("finished", answer=step.observation.answer)
        return step


def run_to_completion(agent: Agent, goal: str) -> Run:
    """Run ``goal`` without rendering anything and return the ``Run``."""
    run: Run | None = None
    for event in agent.run(goal):
        if isinstance(event, RunFinished):
            run = event.run
    assert run is not None
    return run
