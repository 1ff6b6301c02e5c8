"""One complete model reply, streamed, with the loop's own recoveries.

The backends retry failed requests themselves (rate limits, 5xx, timeouts); what is left reaches the loop:

- the prompt did not fit the model's context: compact the conversation harder and ask again, once;
- a stream cut off mid-reply: ask again, once (renderers drop the partial text on the ``retry`` notice).

Only a complete reply counts toward ``--max-steps``. Each request may take what is left of ``--max-time``
(``GenerationSettings.time_limit``); a backend that gave up because that ran out ends the run on its time
budget. The model's text enters the run here, made valid Unicode (``models.base.valid_chunks``).
"""

from __future__ import annotations

from collections.abc import Callable, Generator

from ..errors import ModelBackendError, ModelContextError
from ..events import Event, ModelDelta, ModelReplied, Noticed
from ..models.base import Model, estimate_usage, valid_chunks
from ..types import GenerationSettings, Message, Usage
from .budgets import Budgets
from .state import Conversation, RunState

__all__ = ["Reply", "ask"]

#: A complete reply: its text, what it cost, and how long it took.
Reply = tuple[str, Usage, float]


def ask(
    model: Model,
    conversation: Conversation,
    state: RunState,
    budgets: Budgets,
    index: int,
    clock: Callable[[], float],
) -> Generator[Event, None, Reply]:
    """Stream one reply for step ``index``, recovering once from a context overflow and once from a dropped stream.

    Returns ``(text, usage, seconds)`` as the generator's value.
    """
    dropped = False
    while True:
        messages = conversation.messages(state.steps)
        parts: list[str] = []
        try:
            result = yield from _stream(model, messages, parts, state, budgets, index, clock)
        except ModelContextError as exc:
            if not conversation.compact():
                raise ModelContextError(f"{exc} (even after compacting the history: lower --context-chars "
                                        "or use a model with a longer context)") from None
            yield Noticed(index, "the prompt did not fit the model's context; compacting harder and retrying", "retry")
            continue
        except ModelBackendError as exc:
            budgets.check_wait(clock())  # the wait ended with the time budget: that, not the backend, ends the run
            if not (exc.transient and parts) or dropped:
                raise
            dropped = True
            yield Noticed(index, f"the reply was cut off ({exc}); asking again", "retry")
            continue
        conversation.correction = []
        return result


def _stream(
    model: Model,
    messages: list[Message],
    parts: list[str],
    state: RunState,
    budgets: Budgets,
    index: int,
    clock: Callable[[], float],
) -> Generator[Event, None, Reply]:
    started = clock()
    settings = GenerationSettings(temperature=state.config.temperature,
                                  max_new_tokens=budgets.reply_cap(state.usage, messages),
                                  time_limit=budgets.time_left(started))
    usage: Usage | None = None
    for chunk in valid_chunks(model.stream(messages, settings)):
        if isinstance(chunk, Usage):
            usage = chunk
        elif chunk:
            parts.append(chunk)
            yield ModelDelta(index, chunk)
    text = "".join(parts)
    usage = usage or estimate_usage(messages, text)
    state.replied(messages, text, usage)
    seconds = clock() - started
    yield ModelReplied(index, text, usage, state.usage, seconds)
    return text, usage, seconds
