"""Replay a recorded run without any model: ``replay:run.json``.

Reads a transcript written by ``%autogpt export run.json`` (or a JSON list of reply strings) through
``jupyter_autogpt.transcript`` and streams its model replies in order — for teaching sessions and demos with
no API key and no network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from .. import transcript
from ..errors import ConfigError, ModelBehaviourError
from ..types import GenerationSettings, Message
from .base import Chunk, estimate_usage, token_pieces

__all__ = ["ReplayModel", "load_replies"]


def load_replies(path: str | Path) -> list[str]:
    """Return the model replies recorded in ``path`` (a transcript or a JSON list of strings)."""
    file = Path(path).expanduser()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"replay file not found: {file} (write one with `%autogpt export {file.name}`)") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read replay file {file}: {exc}") from None
    try:
        return transcript.replies(data)
    except ValueError as exc:
        raise ConfigError(f"{file} holds no replies: {exc}") from None


class ReplayModel:
    """Stream recorded replies in order, one per request (at once: ``request_timeout`` has nothing to bound)."""

    OPTIONS: frozenset[str] = frozenset({"request_timeout"})

    def __init__(self, path: str, request_timeout: float | None = None) -> None:
        self.path = path
        self.id = f"replay:{path}"
        self.replies = load_replies(path)
        self.position = 0

    def stream(self, messages: Sequence[Message], settings: GenerationSettings) -> Iterator[Chunk]:
        if self.position >= len(self.replies):
            raise ModelBehaviourError(
                f"the recording {self.path} has only {len(self.replies)} replies and the run asked for more"
            )
        text = self.replies[self.position]
        self.position += 1

        yield from token_pieces(text)
        yield estimate_usage(messages, text)
