"""Recordings on disk: one JSON file per match, holding every reply the model gave and the run's transcript.

``DIR/<start of the goal>-<key>.json``::

    {"format": "jupyter-autogpt.recording", "version": 1, "key": "…", "match": {goal, model, …},
     "replies": ["…", …],              # every complete reply, in the order the model gave them
     "run": {…}}                       # the run's transcript (``transcript.to_dict``): steps, outputs, answer

``replies`` holds re-asked and corrected replies too, so a replay takes the run's exact course;
``run.steps[*].output`` is what each step showed, which a replay compares with what it shows now. Everything
written passes ``redact_data``: a recording never holds a secret. Standard library only.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..redaction import redact_data
from .divergence import observed_text
from .matching import Match, differences, key, slug

__all__ = ["FORMAT", "VERSION", "Recording", "Store"]

FORMAT = "jupyter-autogpt.recording"
VERSION = 1


@dataclass(frozen=True)
class Recording:
    """One recorded run: where it is, what it matches, the replies and the transcript."""

    path: Path
    match: Match
    replies: tuple[str, ...]
    run: dict[str, Any]

    @property
    def outputs(self) -> dict[int, str]:
        """Return what each recorded step showed (``divergence.observed_text``), by step index."""
        steps = self.run.get("steps") or []
        return {s["index"]: observed_text(s.get("outputs") or []) for s in steps if isinstance(s, dict) and "index" in s}


class Store:
    """The recordings in one folder (created when the first one is written).

    Parameters
    ----------
    folder
        The folder, e.g. ``"recordings"`` (relative to the kernel's working directory).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).expanduser()

    def path_for(self, match: Match) -> Path:
        """Return the file that holds the recording of ``match``."""
        return self.folder / f"{slug(match['goal'])}-{key(match)[:12]}.json"

    def find(self, match: Match) -> Recording | None:
        """Return the recording of ``match``, or ``None`` when there is none (or it cannot be read).

        A recording whose match spells out options at their defaults (an older version wrote them) matches too.
        """
        path = self.path_for(match)
        recording = _read(path) if path.is_file() else None
        if recording is not None and recording.match == match:
            return recording
        return next((r for r in self._same_goal(match) if not differences(match, r.match)), None)

    def near(self, match: Match) -> list[tuple[Path, list[str]]]:
        """Return the recordings of the same goal that do not match, each with how it differs."""
        found = [(r.path, differences(match, r.match)) for r in self._same_goal(match)]
        return [(path, differs) for path, differs in found if differs]

    def _same_goal(self, match: Match) -> list[Recording]:
        paths = sorted(self.folder.glob(f"{slug(match['goal'])}-*.json")) if self.folder.is_dir() else []
        recordings = [_read(path) for path in paths]
        return [r for r in recordings if r is not None and r.match.get("goal") == match["goal"]]

    def write(self, match: Match, replies: list[str], run: dict[str, Any]) -> Path:
        """Write the recording of ``match`` (replacing an older one of the same match); return its path.

        Raises
        ------
        ConfigError
            When the folder or file cannot be written.
        """
        path = self.path_for(match)
        data = redact_data({"format": FORMAT, "version": VERSION, "key": key(match), "match": match,
                            "replies": list(replies), "run": run})
        text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # written beside, then renamed: a run interrupted while saving never leaves half a recording
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".recording-", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temporary, path)
        except OSError as exc:
            raise ConfigError(f"cannot write the recording {path}: {exc.strerror or exc}") from None
        return path


def _read(path: Path) -> Recording | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    replies = data.get("replies")
    if not isinstance(replies, list) or not all(isinstance(r, str) for r in replies):
        return None
    return Recording(path, data.get("match") or {}, tuple(replies), data.get("run") or {})
