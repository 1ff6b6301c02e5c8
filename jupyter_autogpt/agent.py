"""The agent loop: one generator of events, from the goal to the final answer.

It knows the ``Model`` and ``Executor`` interfaces only: no IPython, no widgets, no vendor SDK.
Streaming and non-streaming are the same loop; a caller that wants only the result consumes it.
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace

from . import policy
from .budgets import RunState, check_repeats
from .errors import (
    AutoGPTError,
    BudgetExceeded,
    ModelBackendError,
    ModelBehaviourError,
    ModelContextError,
    RunCancelled,
)
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
from .limits import changed_variables_chars, cut_middle, history_chars, overflow_message_chars
from .models.base import Model, estimate_usage
from .pricing import estimate_cost
from .prompts import (
    EMPTY_REPLY,
    PREMATURE_REPLY,
    QUESTION_REPLY,
    SYSTEM_PROMPT,
    build_messages,
    first_message,
    render_observation,
    reply_notes,
    with_repeat_note,
)
from .protocol import Reply, asks_user, names_in, parse_reply
from .types import Decision, GenerationSettings, Message, Run, RunConfig, Step, Usage

__all__ = ["Agent", "Approver", "run_to_completion"]

log = logging.getLogger(__name__)

#: Asked before a step runs (``--approve`` or a risk policy); answers run (maybe edited), skip or stop.
Approver = Callable[[CodeProposed], Decision]

#: A complete reply: its text, what it cost, and how long it took.
_Reply = tuple[str, Usage, float]

#: Empty replies in a row that get a corrective re-ask; prose re-asks (a question, an answer before any code
#: ran) get one per run. Every re-ask is a model reply and counts toward ``max_steps``.
MAX_EMPTY_REPLIES = 2


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

    def run(self, goal: str) -> Generator[Event, None, None]:
        """Yield the events of one run of ``goal``; the last one is always ``RunFinished``.

        Whatever fails (the model, the code, our own code, an interrupt), the executor is stopped (the
        user's namespace and hooks restored) and the run so far, its steps and messages, is kept.
        """
        state = RunState(uuid.uuid4().hex[:12], goal, self.config, self.clock(), time.time())
        state.budget = history_chars(self.config.context_chars)
        started = False
        try:
            yield RunStarted(state.run_id, goal, self.model.id, self.config, state.started_wall)
            started = True
            self.executor.start()
            state.users = self.executor_names()
            overview = self.executor.overview(self.config.context_chars, self.config.focus)
            yield from self._warn_unpriced()
            yield from self._loop(state, first_message(goal, overview))
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
            if started:
                self._stop_executor(state)
        run = state.freeze(self.model.id, self.clock() - state.started)
        if state.status == "finished":
            try:
                yield FinalAnswer(run.answer, run.answer_text())
            except KeyboardInterrupt:  # the answer is in: an interrupt while it is shown changes nothing
                log.debug("interrupt while the final answer was shown; the run is kept as finished")
        yield RunFinished(run)

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

    def _warn_unpriced(self) -> Iterator[Event]:
        if self.config.max_cost is not None and estimate_cost(self.model.id, Usage()) is None:
            yield Noticed(0, f"the price of {self.model.id} is unknown, so --max-cost cannot be enforced; "
                             "use --max-tokens (or jupyter_autogpt.pricing.set_price)", "warning")

    # -- the loop ---------------------------------------------------------------------------------------

    def _loop(self, state: RunState, first: Message) -> Iterator[Event]:
        cfg = self.config
        empties = 0
        shown = 0  # the step whose StepStarted went out: a re-ask continues it rather than starting it again
        while True:
            if self.should_stop():
                raise RunCancelled("stopped by the user")
            state.check_budgets(self.model.id, self.clock())
            if state.requests >= cfg.max_steps:
                state.status, state.error = "max_steps", f"step budget used up ({cfg.max_steps} model replies)"
                return
            index = len(state.steps) + 1
            if index != shown:
                shown = index
                yield StepStarted(index, cfg.max_steps)
            reply, usage, seconds = yield from self._ask(state, index, first)
            parsed = parse_reply(reply)
            if not reply.strip():
                empties += 1
                if empties > MAX_EMPTY_REPLIES:
                    raise ModelBehaviourError(f"the model sent {empties} empty replies in a row")
                state.correction = [Message("user", EMPTY_REPLY)]
                yield Noticed(index, "the model sent an empty reply; asking again", "retry")
                continue
            empties = 0
            if parsed.code is None:
                nudge = self._prose_nudge(state, parsed)
                if nudge is not None:
                    state.correction = [Message("assistant", reply), Message("user", nudge)]
                    yield Noticed(index, "the model replied without code too early; asking it to go on", "retry")
                    continue
                step = Step(index=index, reply=reply, usage=usage, model_seconds=seconds)
                state.steps.append(step)
                state.status, state.answer = "finished", parsed.prose or reply.strip()
                yield StepFinished(step)
                return
            step = yield from self._act(state, index, parsed, usage, seconds)
            state.steps.append(with_repeat_note(state.steps, step))
            yield StepFinished(state.steps[-1])
            if step.observation is not None and step.observation.answered:
                state.status, state.answer = "finished", step.observation.answer
                return
            check_repeats(state.steps)

    def _prose_nudge(self, state: RunState, reply: Reply) -> str | None:
        """Return a corrective message for a code-less reply that is not yet an answer (once a run), else None."""
        if state.prose_reasked:
            return None
        if asks_user(reply.prose or reply.text):
            state.prose_reasked = True
            return QUESTION_REPLY
        mentioned = self._unseen(names_in(state.goal, state.users))
        if mentioned and not any(s.code for s in state.steps):
            state.prose_reasked = True
            return PREMATURE_REPLY.format(names=", ".join(mentioned[:5]))
        return None

    def _unseen(self, names: list[str]) -> list[str]:
        """Return the names whose values the namespace overview cannot show in full."""
        return list(self.executor.unseen(names)) if names else []

    def _messages(self, state: RunState, first: Message) -> list[Message]:
        messages = build_messages(self.system_prompt, first, state.steps, state.budget, self.config.vision)
        messages += state.correction
        if state.compacted:  # after a context overflow even the newest step and the overview are cut
            limit = overflow_message_chars(state.budget)
            messages = [m if m.role == "system" else replace(m, content=cut_middle(m.content, limit))
                        for m in messages]
        return messages

    def _ask(self, state: RunState, index: int, first: Message) -> Generator[Event, None, _Reply]:
        """Stream one reply, recovering once from a context overflow and once from a dropped stream.

        Returns ``(text, usage, seconds)`` as the generator's value. Only a complete reply counts toward
        ``max_steps``; the backend's own HTTP retries are invisible here.
        """
        dropped = False
        while True:
            messages = self._messages(state, first)
            parts: list[str] = []
            try:
                result = yield from self._stream(state, index, messages, parts)
            except ModelContextError as exc:
                if state.compacted:
                    raise ModelContextError(f"{exc} (even after compacting the history: lower --context-chars "
                                            "or use a model with a longer context)") from None
                state.compacted, state.budget = True, state.budget // 2
                yield Noticed(index, "the prompt did not fit the model's context; compacting harder and retrying",
                              "retry")
                continue
            except ModelBackendError as exc:
                if not (exc.transient and parts) or dropped:
                    raise
                dropped = True  # a stream cut mid-reply: ask again once; renderers drop the partial text
                yield Noticed(index, f"the reply was cut off ({exc}); asking again", "retry")
                continue
            state.correction = []
            return result

    def _stream(
        self, state: RunState, index: int, messages: list[Message], parts: list[str]
    ) -> Generator[Event, None, _Reply]:
        settings = GenerationSettings(temperature=self.config.temperature,
                                      max_new_tokens=state.reply_cap(messages))
        started = self.clock()
        usage: Usage | None = None
        for chunk in self.model.stream(messages, settings):
            if isinstance(chunk, Usage):
                usage = chunk
            elif chunk:
                parts.append(chunk)
                yield ModelDelta(index, chunk)
        text = "".join(parts)
        usage = usage or estimate_usage(messages, text)
        state.requests += 1
        state.usage = state.usage + usage
        state.messages = [*messages, Message("assistant", text)]
        seconds = self.clock() - started
        yield ModelReplied(index, text, usage, state.usage, seconds)
        return text, usage, seconds

    def _act(
        self, state: RunState, index: int, reply: Reply, usage: Usage, seconds: float
    ) -> Generator[Event, None, Step]:
        """Approve and execute the reply's code; return the finished ``Step``."""
        assert reply.code is not None
        code = reply.code
        flags = tuple(policy.analyze(code, self.executor_names()))
        proposal = CodeProposed(index, code, flags)
        yield proposal
        decision, asked = self._decide(proposal)
        if decision.action == "stop":
            raise RunCancelled(decision.feedback or "stopped by the user before a step ran")
        notes = reply_notes(reply)
        if decision.feedback:
            notes.append(f"User feedback: {decision.feedback}")
        if decision.action == "skip":
            output = "The user skipped this step; the code did not run." + "".join("\n" + n for n in notes)
            return Step(index=index, reply=reply.text, code=code, output=output, usage=usage, model_seconds=seconds,
                        skipped=True, feedback=decision.feedback, flags=flags)
        if decision.code is not None and decision.code != code:
            code = decision.code
            flags = tuple(policy.analyze(code, self.executor_names()))  # what runs is the edit, not the proposal
            notes.append("The user edited your code before it ran; the code that ran:\n```python\n" + code + "\n```")
        if flags and not asked:
            described = "; ".join(policy.FLAGS[f] for f in flags)
            notes.append(f"Flagged by the risk policy ({described}); it ran because --policy is auto.")
            yield Noticed(index, f"step {index} ran with risk flags: {described} (--policy auto; "
                                 "%autogpt undo restores rebound or deleted variables)", "warning")
        obs = self.executor.run(code, timeout=state.step_timeout(self.clock()))
        if obs.changed:
            described = self.executor.describe(obs.changed, changed_variables_chars(self.config.context_chars))
            if described:
                notes.append("Changed variables:\n" + described)
        obs = replace(obs, flags=flags)
        yield CodeExecuted(index, code, obs)
        output = render_observation(obs, notes=notes)
        return Step(index=index, reply=reply.text, code=code, output=output, error=obs.error, observation=obs,
                    usage=usage, model_seconds=seconds, exec_seconds=obs.duration, feedback=decision.feedback,
                    flags=flags)

    def executor_names(self) -> frozenset[str]:
        """Return the user's variable names (for the policy's rebinding check)."""
        return frozenset(self.executor.user_names())

    def _decide(self, proposal: CodeProposed) -> tuple[Decision, bool]:
        """Return the decision on a proposed step and whether a person (the approver) made it."""
        cfg = self.config
        ask = cfg.approve or cfg.policy == "ask-all" or (cfg.policy == "ask-risky" and proposal.flags)
        if not ask:
            return Decision("run"), False
        if self.approver is None:
            raise RunCancelled("this step needs approval but no way to ask was available")
        return self.approver(proposal), True


def run_to_completion(agent: Agent, goal: str) -> Run:
    """Run ``goal`` without rendering anything and return the ``Run``."""
    run: Run | None = None
    for event in agent.run(goal):
        if isinstance(event, RunFinished):
            run = event.run
    assert run is not None
    return run

