"""Recorded runs that a re-run of the same cell replays: Run All of a saved notebook, offline, with no key.

``%config AutoGPTMagics.recordings = "recordings"`` records every run in that folder (one file per match:
``store``); with ``%config AutoGPTMagics.reuse_recordings = True`` a ``%%autogpt`` cell whose goal, model and
options match a recording (``matching``) replays it: the recorded replies in order, the code run live in this
kernel, and a warning where a step shows something else than when it was recorded (``divergence``).
``--fresh`` asks the model again (and records the new run). ``--model replay:recordings/<file>.json`` is the
explicit form of the same replay.
"""

from __future__ import annotations

from .matching import MATCHED_OPTIONS, differences, key, match_of
from .replaying import Plan, RecordedReplies, RecordingWarning
from .store import Recording, Store

__all__ = [
    "MATCHED_OPTIONS", "Plan", "RecordedReplies", "Recording", "RecordingWarning", "Store", "differences", "key",
    "match_of",
]
