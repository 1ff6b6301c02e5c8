"""One run's use of the recordings: replay a matching recording, or record the run; say where a replay differs.

``Plan.for_run`` decides, before the run, from the folder (``%config AutoGPTMagics.recordings``), whether
recordings are reused (``reuse_recordings``, unless ``--fresh``) and the run's match (``matching``). The
session then asks it for the model (the recorded replies, or the live model wrapped so that its replies are
kept), passes the loop's events through ``events`` (the replay's notices) and hands it the finished run
(``save``).
"""

from __future__ import annotations

import warnings
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import transcript
from ..errors import ConfigError, ModelBehaviourError
from ..events import Event
from ..models.base import Chunk, Model, estimate_usage, token_pieces
from ..models.recording import RecordingModel
from ..types import GenerationSettings, Message, Run, RunConfig
from .divergence import watch
from .matching import Match, match_of
from .store import Recording, Store

__all__ = ["Plan", "RecordedReplies", "RecordingWarning"]

#: Runs that end so are recorded; an interrupted or failed run would replace a good recording with a broken one.
RECORDED_STATUSES = ("finished", "max_steps")


class RecordingWarning(UserWarning):
    """A recording could not be written; the run itself is kept."""


class RecordedReplies:
    """Give a recording's replies in order, one per request, as the model did when it was recorded."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.id = f"replay:{recording.path.as_posix()}"
        self.position = 0

    def stream(self, messages: Sequence[Message], settings: GenerationSettings) -> Iterator[Chunk]:
        replies = self.recording.replies
        if self.position >= len(replies):
            raise ModelBehaviourError(
                f"the recording {self.recording.path} ran out after {len(replies)} replies: this run went another "
                "way than the recorded one (see the notices); run the cell with --fresh to ask the model again"
            )
        text = replies[self.position]
        self.position += 1
        yield from token_pieces(text)
        yield estimate_usage(messages, text)


@dataclass
class Plan:
    """What the recordings do for one run (see the module docstring)."""

    store: Store | None
    match: Match
    recording: Recording | None = None
    recorder: RecordingModel | None = None
    reuse: bool = False

    @classmethod
    def for_run(cls, folder: str | None, reuse: bool, goal: str, config: RunConfig) -> Plan:
        """Return the plan of a run of ``goal``: no recordings without ``folder``; a replay when one matches."""
        if not folder:
            return cls(None, match_of(goal, config))
        store, match = Store(folder), match_of(goal, config)
        return cls(store, match, store.find(match) if reuse else None, reuse=reuse)

    @property
    def replaying(self) -> bool:
        return self.recording is not None

    def replay_model(self) -> Model | None:
        """Return the recorded replies as the run's model, or ``None`` when the run asks a live model."""
        return RecordedReplies(self.recording) if self.recording is not None else None

    def recording_model(self, model: Model) -> Model:
        """Return ``model`` wrapped so its replies are kept, when this run is to be recorded."""
        if self.store is None or self.replaying:
            return model
        self.recorder = RecordingModel(model)
        return self.recorder

    def miss(self) -> str:
        """Return why no recording was reused, for an error that stops the live run (``""`` when not asked)."""
        if self.store is None or self.replaying or not self.reuse:
            return ""
        near = self.store.near(self.match)
        if not near:
            return f" (no recording in {self.store.folder} matches this goal)"
        path, differs = near[0]
        return f" (the recording {path} has this goal but does not match: {'; '.join(differs)})"

    def events(self, events: Generator[Event, None, None]) -> Generator[Event, None, None]:
        """Return the run's events, with a replay's notices added."""
        if self.recording is None:
            return events
        recorded = self.recording.match.get("model") or "a model"
        opening = (f"replaying {self.recording.path.as_posix()} (recorded from {recorded}): the code runs here, "
                   "the model's replies are the recorded ones; --fresh asks the model again")
        return watch(events, self.recording.outputs, opening)

    def save(self, run: Run) -> Path | None:
        """Record ``run`` when it was live, recordings are on, and it ended well; return the file written."""
        if self.store is None or self.recorder is None or run.status not in RECORDED_STATUSES:
            return None
        if not self.recorder.replies:
            return None
        try:
            return self.store.write(self.match, self.recorder.replies, transcript.to_dict(run))
        except ConfigError as exc:
            warnings.warn(f"{exc}; the run itself is kept (last_run())", RecordingWarning, stacklevel=2)
            return None
