"""The one seam every model backend implements: ``stream(messages, settings)``."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, Union, runtime_checkable

from ..encoding import valid_text
from ..types import GenerationSettings, Message, Usage

__all__ = [
    "Chunk", "Deadline", "Model", "complete", "estimate_tokens", "estimate_usage", "token_pieces", "valid_chunks",
]

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
    for chunk in valid_chunks(model.stream(messages, settings or GenerationSettings())):
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


def valid_chunks(chunks: Iterable[Chunk]) -> Iterator[Chunk]:
    """Yield ``chunks`` with every text delta valid Unicode: the model's door into a run.

    A server that splits an emoji into its UTF-16 halves sends each half in its own JSON chunk, and each decodes
    to a lone surrogate. A high half at the end of a delta is held back and joined with the low half that opens
    the next one; halves that never pair up become U+FFFD. Closing this iterator closes ``chunks``.
    """
    held = ""
    try:
        for chunk in chunks:
            if not isinstance(chunk, str):
                if held:
                    yield valid_text(held)
                    held = ""
                yield chunk
                continue
            text = held + chunk
            held = text[-1] if text and "\ud800" <= text[-1] <= "\udbff" else ""
            text = valid_text(text[: len(text) - len(held)])
            if text:
                yield text
        if held:
            yield valid_text(held)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


@dataclass(frozen=True)
class Deadline:
    """When one reply must be complete, and how long a backend may wait for the model's next output.

    ``end`` is a ``time.monotonic()`` instant (``None``: no end); ``stall`` is the longest wait for the next
    bytes or token (``None``: no limit). Backends build one with ``Deadline.after`` at the start of ``stream``.
    """

    end: float | None = None
    stall: float | None = None

    @classmethod
    def after(cls, seconds: float | None, stall: float | None = None) -> Deadline:
        """Return the deadline ``seconds`` from now (the reply's ``time_limit``), with ``stall`` as the wait bound."""
        return cls(None if seconds is None else time.monotonic() + max(0.0, seconds), stall)

    def left(self) -> float | None:
        """Return the seconds left (never below 0), or ``None`` without an end."""
        return None if self.end is None else max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        """Return whether the end has passed."""
        return self.end is not None and time.monotonic() >= self.end

    def wait(self) -> float | None:
        """Return how long the next wait for the model may last: the stall bound, cut to what is left."""
        left = self.left()
        if left is None:
            return self.stall
        return left if self.stall is None else min(left, self.stall)
