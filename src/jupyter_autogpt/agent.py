"""The agent loop: one generator of events, from the goal to the final answer.

It knows the ``Model`` and ``Executor`` interfaces only: no IPython, no widgets, no vendor SDK.
Streaming and non-streaming are the same loop; a caller that wants only the result consumes it.
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from . import policy
from .errors import AutoGPTError, BudgetExceeded, ModelBehaviourError, RunCancelled
from .events import (
    CodeExecuted,
    CodeProposed,
    Event,
    FinalAnswer,
    ModelDelta,
    ModelReplied,
    Noticed,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from .execution.base import Executor
from .models.base import Model, estimate_usage
from .prompts import SYSTEM_PROMPT, build_messages, first_message, render_observation
from .protocol import Reply, parse_reply
from .types import Decision, GenerationSettings, Message, Run, RunConfig, RunStatus, Step, Usage

__all__ = ["Agent", "Approver", "run_to_completion"]

log = logging.getLogger(__name__)

#: Asked before a step runs (``--approve`` or a risk policy); answers run (maybe edited), skip or stop.
Approver = Callable[[CodeProposed], Decision]

MAX_CORRECTIONS = 2
MAX_REPEATS = 3


@dataclass
class _State:
    """The mutable record of a run in progress; ``freeze`` turns it into a ``Run``."""

    run_id: str
    goal: str
    config: RunConfig
    started: float
    started_wall: float
    messages: list[Message] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    usage: Usage = Usage()
    requests: int = 0
    status: RunStatus = "failed"
    answer: Any = None
    error: str | None = None

    def freeze(self, model_id: str, duration: float) -> Run:
        return Run(
            goal=self.goal,
            model=model_id,
            status=self.status,
            steps=tuple(self.steps),
            answer=self.answer,
            usage=self.usage,
            id=self.run_id,
            config=self.config,
            started_at=self.started_wall,
            duration=duration,
            error=self.error,
            messages=tuple(self.messages),
        )


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
    ) -> None:
        self.model = model
        self.executor = executor
        self.config = config or RunConfig(model=getattr(model, "id", "model"))
        self.approver = approver
        self.should_stop = should_stop or (lambda: False)
        self.system_prompt = system_prompt
        self.clock = clock

    def run(self, goal: str) -> Iterator[Event]:
        """Yield the events of one run of ``goal``; the last one is always ``RunFinished``."""
        state = _State(uuid.uuid4().hex[:12], goal, self.config, self.clock(), time.time())
        yield RunStarted(state.run_id, goal, self.model.id, self.config, state.started_wall)
        try:
            self.executor.start()
            overview = self.executor.overview(self.config.context_chars, self.config.focus)
            first = first_message(goal, overview)
            yield from self._loop(state, first)
        except (KeyboardInterrupt, RunCancelled) as exc:
            state.status = "interrupted"
            state.error = str(exc) or "interrupted by the user"
        except BudgetExceeded as exc:
            state.status, state.error = "max_steps", str(exc)
        except AutoGPTError as exc:
            state.status, state.error = "failed", str(exc)
        except Exception as exc:  # a bug of ours or of a backend: the run ends, its transcript survives
            log.exception("agent run failed")
            state.status = "failed"
            state.error = f"internal error: {type(exc).__name__}: {exc}"
            state.error += "\n" + "".join(traceback.format_exception(exc)[-3:])
        finally:
            self.executor.stop()
        run = state.freeze(self.model.id, self.clock() - state.started)
        if state.status == "finished":
            yield FinalAnswer(run.answer, run.answer_text())
        yield RunFinished(run)

    # -- the loop ---------------------------------------------------------------------------------------

    def _loop(self, state: _State, first: Message) -> Iterator[Event]:
        cfg = self.config
        corrections = 0
        while True:
            if self.should_stop():
                raise RunCancelled("stopped by the user")
            self._check_budgets(state)
            if state.requests >= cfg.max_steps:
                state.status, state.error = "max_steps", f"step budget used up ({cfg.max_steps} model replies)"
                return
            index = len(state.steps) + 1
            messages = build_messages(self.system_prompt, first, state.steps, self._budget_chars(), cfg.vision)
            if corrections:
                messages.append(Message("user", _CORRECTION))
            yield StepStarted(index, cfg.max_steps)
            reply, usage, seconds = yield from self._ask(state, index, messages)
            parsed = parse_reply(reply)
            if not reply.strip() and corrections < MAX_CORRECTIONS:
                corrections += 1
                yield Noticed(index, "the model sent an empty reply; asking again", "warning")
                continue
            if not reply.strip():
                raise ModelBehaviourError(f"the model sent {corrections + 1} empty replies in a row")
            corrections = 0
            if parsed.code is None:
                step = Step(index, reply, usage=usage, model_seconds=seconds)
                state.steps.append(step)
                state.status, state.answer = "finished", parsed.prose or reply.strip()
                yield StepFinished(step)
                return
            step = yield from self._act(state, index, parsed, usage, seconds)
            state.steps.append(step)
            yield StepFinished(step)
            if step.observation is not None and step.observation.answered:
                state.status, state.answer = "finished", step.observation.answer
                return
            self._check_repeats(state.steps)

    def _ask(self, state: _State, index: int, messages: list[Message]) -> Iterator[Event]:
        """Stream one reply; return ``(text, usage, seconds)`` as the generator's value."""
        cfg = self.config
        settings = GenerationSettings(temperature=cfg.temperature)
        started = self.clock()
        state.requests += 1
        parts: list[str] = []
        usage: Usage | None = None
        for chunk in self.model.stream(messages, settings):
            if isinstance(chunk, Usage):
                usage = chunk
            elif chunk:
                parts.append(chunk)
                yield ModelDelta(index, chunk)
        text = "".join(parts)
        usage = usage or estimate_usage(messages, text)
        state.usage = state.usage + usage
        state.messages = [*messages, Message("assistant", text)]
        seconds = self.clock() - started
        yield ModelReplied(index, text, usage, state.usage, seconds)
        return text, usage, seconds

    def _act(self, state: _State, index: int, reply: Reply, usage: Usage, seconds: float) -> Iterator[Event]:
        """Approve and execute the reply's code; return the finished ``Step``."""
        assert reply.code is not None
        code = reply.code
        flags = tuple(policy.analyze(code, self.executor_names()))
        proposal = CodeProposed(index, code, flags)
        yield proposal
        decision = self._decide(proposal)
        if decision.action == "stop":
            raise RunCancelled(decision.feedback or "stopped by the user before a step ran")
        notes = _reply_notes(reply)
        if decision.feedback:
            notes.append(f"User feedback: {decision.feedback}")
        if decision.action == "skip":
            output = "The user skipped this step; the code did not run." + "".join("\n" + n for n in notes)
            return Step(index, reply.text, code, output, None, None, usage, seconds, 0.0, True, decision.feedback, flags)
        if decision.code is not None and decision.code != code:
            code = decision.code
            notes.append("The user edited your code before it ran; the code that ran:\n```python\n" + code + "\n```")
        obs = self.executor.run(code, timeout=self.config.timeout)
        if obs.changed:
            described = self.executor.describe(obs.changed, max(500, self.config.context_chars // 4))
            if described:
                notes.append("Changed variables:\n" + described)
        obs = replace(obs, flags=flags)
        yield CodeExecuted(index, code, obs)
        output = render_observation(obs, notes=notes)
        return Step(
            index, reply.text, code, output, obs.error, obs, usage, seconds, obs.duration, False, decision.feedback, flags
        )

    def executor_names(self) -> frozenset[str]:
        """Return the user's variable names (for the policy's rebinding check), if the executor knows them."""
        names = getattr(self.executor, "user_names", None)
        return frozenset(names()) if callable(names) else frozenset()

    def _decide(self, proposal: CodeProposed) -> Decision:
        cfg = self.config
        ask = cfg.approve or cfg.policy == "ask-all" or (cfg.policy == "ask-risky" and proposal.flags)
        if not ask:
            return Decision("run")
        if self.approver is None:
            raise RunCancelled("this step needs approval but no way to ask was available")
        return self.approver(proposal)

    def _budget_chars(self) -> int:
        return max(4 * self.config.context_chars, 24_000)

    def _check_budgets(self, state: _State) -> None:
        cfg = self.config
        if cfg.max_tokens is not None and state.usage.total_tokens >= cfg.max_tokens:
            raise BudgetExceeded(f"token budget used up ({state.usage.total_tokens:,} of {cfg.max_tokens:,})")
        elapsed = self.clock() - state.started
        if cfg.max_time is not None and elapsed >= cfg.max_time:
            raise BudgetExceeded(f"time budget used up ({elapsed:.0f}s of {cfg.max_time:g}s)")

    @staticmethod
    def _check_repeats(steps: list[Step]) -> None:
        tail = steps[-MAX_REPEATS:]
        if len(tail) == MAX_REPEATS and all(s.error and s.code == tail[0].code for s in tail):
            raise ModelBehaviourError(
                f"the model proposed the same failing code {MAX_REPEATS} times in a row; "
                "try a clearer goal or another model"
            )


_CORRECTION = (
    "Your last reply was empty. Reply with one short thought and one ```python code block, "
    "or with the final answer in plain Markdown."
)


def _reply_notes(reply: Reply) -> list[str]:
    notes = []
    if reply.blocks > 1:
        notes.append(f"Note: your reply had {reply.blocks} code blocks; only the first ran. Send one block per reply.")
    if reply.unclosed:
        notes.append("Note: your code block was not closed (the reply may have been cut); it ran as received.")
    return notes


def run_to_completion(agent: Agent, goal: str) -> Run:
    """Run ``goal`` without rendering anything and return the ``Run``."""
    run: Run | None = None
    for event in agent.run(goal):
        if isinstance(event, RunFinished):
            run = event.run
    assert run is not None
    return run

