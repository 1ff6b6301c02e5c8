"""Where recorded runs come from: transcript files, recordings, folders of them, and saved notebooks.

A folder is searched recursively for ``.json`` transcripts and ``.ipynb`` notebooks (a notebook keeps each
run's transcript in the output of its ``%%autogpt`` cell, under the transcript's MIME type). Other JSON in a
folder is passed over quietly; a file named explicitly that holds no run is reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..recordings.store import FORMAT as RECORDING
from .conversation import is_transcript

__all__ = ["Problem", "Recorded", "mime_type", "read_paths"]


@dataclass(frozen=True)
class Recorded:
    """One run's transcript and where it was found (a file, a notebook cell, this kernel)."""

    data: dict[str, Any]
    origin: str


@dataclass(frozen=True)
class Problem:
    """Something that was passed over, and why."""

    origin: str
    reason: str


@cache
def mime_type() -> str:
    """Return the transcript's MIME type, as the shared schema names it."""
    text = resources.files("jupyter_autogpt").joinpath("schema", "run.schema.json").read_text(encoding="utf-8")
    return str(json.loads(text)["x-mime-type"])


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"cannot read it: {exc}") from None


def _from_notebook(path: Path, data: Any) -> Iterator[Recorded]:
    cells = data.get("cells") if isinstance(data, dict) else None
    for number, cell in enumerate(cells or (), start=1):
        for output in cell.get("outputs") or () if isinstance(cell, dict) else ():
            bundle = output.get("data") if isinstance(output, dict) else None
            found = bundle.get(mime_type()) if isinstance(bundle, dict) else None
            if isinstance(found, dict) and is_transcript(found):
                yield Recorded(found, f"{path}#cell{number}")


def _from_file(path: Path, named: bool) -> tuple[list[Recorded], list[Problem]]:
    try:
        data = _load_json(path)
    except ValueError as exc:
        return [], [Problem(str(path), str(exc))]
    if isinstance(data, dict) and data.get("format") == RECORDING and isinstance(data.get("run"), dict):
        data = data["run"]  # a recording (%config AutoGPTMagics.recordings) keeps its run's transcript
    if path.suffix.lower() == ".ipynb":
        found = list(_from_notebook(path, data))
    else:
        found = [Recorded(data, str(path))] if is_transcript(data) else []
    if not found and named:
        return [], [Problem(str(path), "holds no run transcript (write one with %autogpt export run.json)")]
    return found, []


def _files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)  # .ipynb_checkpoints
        if path.is_file() and not hidden and path.suffix.lower() in (".json", ".ipynb"):
            yield path


def read_paths(paths: Iterable[str | Path]) -> tuple[list[Recorded], list[Problem]]:
    """Return the runs recorded in ``paths`` (files or folders) and what was passed over.

    Raises
    ------
    ConfigError
        When a path does not exist.
    """
    found: list[Recorded] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise ConfigError(f"no such file or folder: {path} (pass transcripts, notebooks or a recordings folder)")
        for file, named in ((path, True),) if path.is_file() else ((f, False) for f in _files(path)):
            runs, passed = _from_file(file, named)
            found += runs
            problems += passed
    return found, problems
