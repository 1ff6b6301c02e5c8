"""The one seam every model backend implements: ``stream(messages, settings)``."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Protocol, Union, runtime_checkable

from ..types import GenerationSettings, Message, Usage

__all__ = ["Chunk", "Model", "complete", "estimate_tokens", "estimate_usage", "token_pieces"]

#: What ``Model.stream`` yields: text deltas, and one ``Usage`` at the end (if the backend knows it).
Chunk = Union[str, Usage]


@runtime_checkable
class Model(Protocol):
    """A chat model backend.

    ``stream`` yields the reply as text deltas, then (optionally) one ``Usage``. It raises
    ``ModelBackendError`` (or a subclass) for failures it could not recover from, and must release its
    resources (connections, generation threads) when the consumer stops early or is interrupted.
    """

    id: str

    def stream(self, messages: Sequence[Message], settings: GenerationSettings) -> Iterator[Chunk]: ...


def estimate_tokens(text: str) -> int:
    """Return a rough token count (about four characters a token), for servers that report none."""
    return max(1, (len(text) + 3) // 4) if text else 0


def estimate_usage(messages: Sequence[Message], reply: str) -> Usage:
    """Return an estimated ``Usage`` for a request and its reply."""
    prompt = sum(estimate_tokens(m.content) + 4 for m in messages)
    return Usage(prompt, estimate_tokens(reply), estimated=True)


def complete(model: Model, messages: Sequence[Message], settings: GenerationSettings | None = None) -> tuple[str, Usage]:
    """Return the whole reply and its usage, consuming ``model.stream``."""
    parts: list[str] = []
    usage: Usage | None = None
    for chunk in model.stream(messages, settings or GenerationSettings()):
        if isinstance(chunk, Usage):
            usage = chunk
        else:
            parts.append(chunk)
    text = "".join(parts)
    return text, usage if usage is not None else estimate_usage(messages, text)


_PIECES = re.compile(r"\s+|\w+|[^\w\s]+")


def token_pieces(text: str) -> list[str]:
    """Split ``text`` the way a tokenizer might: words, runs of whitespace, runs of punctuation."""
    return _PIECES.findall(text)
