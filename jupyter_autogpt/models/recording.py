"""A model that keeps every complete reply of the model it wraps: what a recording of the run replays.

Only replies that streamed to their end are kept: a dropped stream that the loop asked again for, or a
request that failed, leaves nothing, so a replay gives the run's replies in the order the loop used them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..types import GenerationSettings, Message, Usage
from .base import Chunk, Model

__all__ = ["RecordingModel"]


class RecordingModel:
    """Stream ``model``'s replies unchanged and keep each complete one in ``replies``."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.id = model.id
        self.replies: list[str] = []

    def stream(self, messages: Sequence[Message], settings: GenerationSettings) -> Iterator[Chunk]:
        parts: list[str] = []
        for chunk in self.model.stream(messages, settings):
            if not isinstance(chunk, Usage):
                parts.append(chunk)
            yield chunk
        self.replies.append("".join(parts))

    def __getattr__(self, name: str) -> object:  # what else the session asks a backend (e.g. unload) is the model's
        return getattr(self.model, name)
