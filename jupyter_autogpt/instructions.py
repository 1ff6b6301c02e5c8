"""Standing instructions: what the user tells every run, from ``%config`` and from an instructions file.

Two sources, both added to the system prompt (bounded by ``limits.INSTRUCTIONS_CHARS``, secrets redacted) and
shown in the run's header and transcript, so the user sees what steered the model:

* ``%config AutoGPTMagics.instructions = "..."`` (or ``ipython_config.py``): this notebook's or this user's own;
* the instructions file, ``AGENTS.md`` by default (``%config AutoGPTMagics.instructions_file``; empty: none).

Why ``AGENTS.md``: it is the plain-Markdown convention that coding agents share (OpenAI Codex, Google Jules,
Cursor, Aider, Zed, GitHub Copilot's agent and others read it), so a project's conventions ("use polars", "dates
are UTC", "never write to data/raw") are written once and steer every agent working in it, this one included.
As that convention says, the nearest file wins: it is looked up in the kernel's working directory (Jupyter starts
a notebook's kernel in the notebook's folder) and then in the folders above it, up to a repository root (a folder
holding ``.git``) or the home folder. Standard library only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .encoding import valid_text
from .limits import INSTRUCTIONS_CHARS, cut_middle
from .redaction import redact

__all__ = ["CONFIG_SOURCE", "FILE_NAME", "Instructions", "find_file", "gather"]

#: The default instructions file.
FILE_NAME = "AGENTS.md"
#: How the ``%config`` source is named in views and transcripts.
CONFIG_SOURCE = "%config AutoGPTMagics.instructions"
#: Bytes read from an instructions file at most (a huge file is cut anyway; never read it whole).
_READ_BYTES = 16 * INSTRUCTIONS_CHARS


@dataclass(frozen=True)
class Instructions:
    """The standing instructions of a run: their text as the model reads it, and where each part came from."""

    text: str = ""
    sources: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.text)

    def to_dict(self) -> dict[str, object]:
        """Return the instructions as transcript JSON."""
        return {"text": self.text, "sources": list(self.sources)}


def find_file(folder: Path, name: str = FILE_NAME) -> Path | None:
    """Return the nearest file called ``name`` in ``folder`` or above it (up to a repository root or home)."""
    if not name:
        return None
    if Path(name).is_absolute():
        return Path(name) if Path(name).is_file() else None
    home = Path.home()
    for place in (folder, *folder.parents):
        candidate = place / name
        if candidate.is_file():
            return candidate
        if (place / ".git").exists() or place == home:
            return None
    return None


def _shown(path: Path, folder: Path) -> str:
    """Return ``path`` relative to ``folder`` ("AGENTS.md", "../AGENTS.md"): no home folder in the prompt."""
    try:
        return os.path.relpath(path, folder)
    except ValueError:  # another drive
        return str(path)


def _read(path: Path) -> str:
    with path.open("rb") as handle:
        return valid_text(handle.read(_READ_BYTES).decode("utf-8", errors="replace")).strip()


def gather(configured: str, file_name: str = FILE_NAME, folder: Path | None = None) -> Instructions:
    """Return the standing instructions from ``%config`` (``configured``) and the nearest instructions file.

    The file's part comes first, the ``%config`` part after it (the more specific word last). Each is
    redacted before the whole is cut to ``INSTRUCTIONS_CHARS``; the ``%config`` part keeps at least half.
    A file that cannot be read is named in the sources with the reason, never an error.
    """
    parts: list[tuple[str, str]] = []
    folder = folder or Path.cwd()
    path = find_file(folder, file_name)
    if path is not None:
        shown = _shown(path, folder)
        try:
            parts.append((shown, _read(path)))
        except OSError as exc:
            parts.append((f"{shown} (unreadable: {exc.strerror or exc})", ""))
    own = valid_text(configured or "").strip()
    if own:
        parts.append((CONFIG_SOURCE, own))
    return _bounded([(source, redact(text)) for source, text in parts])


def _bounded(parts: list[tuple[str, str]]) -> Instructions:
    """Return the parts as one text within ``INSTRUCTIONS_CHARS``, each under a line naming its source."""
    texts = [(source, text) for source, text in parts if text]
    if not texts:
        return Instructions("", tuple(source for source, _ in parts))
    room = INSTRUCTIONS_CHARS - sum(len(source) + 8 for source, _ in texts)
    config = next((t for s, t in texts if s == CONFIG_SOURCE), "")
    config_room = min(len(config), max(room // 2, room - sum(len(t) for s, t in texts if s != CONFIG_SOURCE)))
    shown = []
    for source, text in texts:
        limit = config_room if source == CONFIG_SOURCE else max(0, room - config_room)
        shown.append(f"From {source}:\n{cut_middle(text, limit)}")
    return Instructions("\n\n".join(shown), tuple(source for source, _ in parts))
