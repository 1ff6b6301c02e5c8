"""Rebuild what the model read and wrote in a recorded run: a transcript becomes chat training examples.

A run is a series of requests. Each request is the system prompt, the first message (the goal and the
namespace overview) and the history of the steps so far, rendered by ``prompts.build_messages`` within the
run's history budget: the newest steps in full, older ones compacted, the oldest folded into a note. So a
short run is one growing conversation, and every request is a prefix of the next; once a long run starts
compacting, a request no longer extends the one before. Each example here is such a chain of requests: a
new example starts where the prefix breaks, with the replies it repeats as context (``weight`` 0) and only
the new replies trained on (``weight`` 1, the OpenAI fine-tuning format's own marker).

The system prompt and the first message come from the transcript's ``prompt`` (written since transcripts
record it); the steps' replies and observations are the transcript's own ``reply`` and ``output``, the very
text the model read. What the loop sends but does not record is left out: a corrective re-ask within a step
(the reply it produced is kept, in the request it completed), the tighter budget after a context overflow,
and images (examples are text only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..limits import TRAINING_MESSAGE_CHARS, cut_middle, history_chars
from ..prompts import build_messages
from ..protocol import parse_reply
from ..redaction import redact
from ..types import Message, Observation, Step

__all__ = ["FORMAT", "Example", "Unusable", "examples_of", "is_transcript"]

#: The transcript format this module reads (``schema/run.schema.json``), and the versions it knows.
FORMAT = "jupyter-autogpt.run"
KNOWN_VERSIONS = (1,)
#: The default ``--context-chars`` of a run, for transcripts whose config lacks it.
DEFAULT_CONTEXT_CHARS = 12_000


class Unusable(ValueError):
    """A transcript that cannot become training examples; the message says why, for the export's report."""


@dataclass(frozen=True)
class Example:
    """One training conversation: messages as OpenAI fine-tuning dicts (assistant turns carry ``weight``)."""

    messages: tuple[dict[str, Any], ...]

    @property
    def trained_replies(self) -> int:
        """Return how many assistant turns are trained on (``weight`` 1)."""
        return sum(1 for m in self.messages if m["role"] == "assistant" and m.get("weight") == 1)


def is_transcript(data: Any) -> bool:
    """Return whether ``data`` is a run transcript (of any version)."""
    return isinstance(data, dict) and data.get("format") == FORMAT


def _step(data: dict[str, Any]) -> Step:
    """Return a transcript step as the ``Step`` that ``build_messages`` renders (what the model read of it)."""
    obs = data.get("observation")
    observation = Observation(changed=tuple(obs.get("changed") or ())) if isinstance(obs, dict) else None
    return Step(
        index=int(data["index"]),
        reply=str(data.get("reply") or ""),
        code=data.get("code"),
        output=str(data.get("output") or ""),
        error=data.get("error"),
        observation=observation,
        skipped=bool(data.get("skipped")),
        feedback=data.get("feedback"),
    )


def _trained(step: Step, train_on_errors: bool) -> bool:
    """Return whether the reply of ``step`` is worth learning: not declined, edited, or (by default) failing."""
    if step.skipped:
        return False  # the user declined it
    if step.code is not None and parse_reply(step.reply).code != step.code:
        return False  # the user edited the code before it ran: the proposal was not what they wanted
    return train_on_errors or not step.error


def _head(data: dict[str, Any]) -> tuple[str, Message]:
    if not is_transcript(data):
        raise Unusable("not a run transcript")
    if data.get("version") not in KNOWN_VERSIONS:
        raise Unusable(f"transcript version {data.get('version')!r} is newer than this jupyter-autogpt reads")
    prompt = data.get("prompt")
    if not isinstance(prompt, dict) or not prompt.get("system") or not prompt.get("first"):
        raise Unusable("the transcript does not record the prompt the model read (written by an older version)")
    return str(prompt["system"]), Message("user", str(prompt["first"]))


def _wire(message: Message, weight: int | None = None) -> dict[str, Any]:
    """Return ``message`` as a bounded, redacted fine-tuning dict; a reply cut to fit is not trained on."""
    content = redact(message.content)
    bounded = cut_middle(content, TRAINING_MESSAGE_CHARS)
    wire: dict[str, Any] = {"role": message.role, "content": bounded}
    if message.role == "assistant":
        wire["weight"] = 0 if bounded != content else (1 if weight is None else weight)
    return wire


def _same(a: Sequence[Message], b: Sequence[Message]) -> bool:
    return len(a) == len(b) and all(x.role == y.role and x.content == y.content for x, y in zip(a, b, strict=True))


def examples_of(data: dict[str, Any], *, train_on_errors: bool = False) -> list[Example]:
    """Return the training examples of one transcript: its requests and replies, chained while they extend.

    Parameters
    ----------
    data
        A run transcript (``%autogpt export run.json``, a recording, or ``transcript.to_dict(run)``).
    train_on_errors
        Also train on replies whose code raised (by default they stay as context, with the error the model
        then fixed: the example teaches the recovery, not the mistake).

    Raises
    ------
    Unusable
        When ``data`` is not a transcript this version reads, or does not record the prompt.
    """
    system, first = _head(data)
    steps = [_step(s) for s in data.get("steps") or () if isinstance(s, dict)]
    config = data.get("config")
    context = config.get("context_chars") if isinstance(config, dict) else None
    budget = history_chars(int(context or DEFAULT_CONTEXT_CHARS))
    chains: list[list[tuple[Message, int]]] = []
    for k, step in enumerate(steps):
        request = build_messages(system, first, steps[:k], budget)
        reply = (Message("assistant", step.reply), int(_trained(step, train_on_errors)))
        chain = chains[-1] if chains else None
        if chain is not None and _same(request[: len(chain)], [m for m, _ in chain]):
            chain.extend((m, 0) for m in request[len(chain) :])
            chain.append(reply)
        else:
            chains.append([*((m, 0) for m in request), reply])
    found = [Example(tuple(_wire(m, w) for m, w in chain)) for chain in chains]
    return [e for e in found if e.trained_replies]
