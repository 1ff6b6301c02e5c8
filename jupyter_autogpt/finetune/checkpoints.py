"""Checkpoints of a fine-tune in ``OUTPUT/checkpoints/step-NNNNNN``: the adapter, the optimiser, the progress.

A checkpoint is written to a temporary folder and renamed into place, so an interrupted write never looks like
a checkpoint. Each records a fingerprint of the base, the data and the options: a fine-tune resumes only
the run it belongs to.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["Progress", "latest", "load_state", "save"]

FOLDER = "checkpoints"
STATE = "state.json"
TENSORS = "state.pt"


@dataclass
class Progress:
    """Where a fine-tune stands: steps done, losses so far, tokens and seconds spent."""

    fingerprint: str
    step: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    trained_tokens: int = 0
    seconds: float = 0.0
    validation_loss_before: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "step": self.step, "history": self.history,
                "trained_tokens": self.trained_tokens, "seconds": self.seconds,
                "validation_loss_before": self.validation_loss_before}


def _folders(output: Path) -> list[Path]:
    root = output / FOLDER
    found = [p for p in root.glob("step-*") if p.is_dir() and (p / STATE).is_file()] if root.is_dir() else []
    return sorted(found, key=lambda p: p.name)


def latest(output: Path, fingerprint: str, resume: bool) -> tuple[Path | None, Progress]:
    """Return the checkpoint to resume from (or None) and its progress; with ``resume`` False, clear them.

    Raises
    ------
    ConfigError
        When the checkpoints there belong to another base, data or options.
    """
    folders = _folders(output)
    if folders and not resume:
        shutil.rmtree(output / FOLDER)
        folders = []
    if not folders:
        return None, Progress(fingerprint)
    data = json.loads((folders[-1] / STATE).read_text(encoding="utf-8"))
    if data.get("fingerprint") != fingerprint:
        raise ConfigError(
            f"the checkpoints in {output / FOLDER} come from another base model, dataset or options: pass "
            "--no-resume to start over (they are removed), or choose another --output"
        )
    return folders[-1], Progress(**{k: data[k] for k in Progress.__dataclass_fields__ if k in data})


def save(output: Path, model: Any, optimizer: Any, scheduler: Any, progress: Progress, keep: int) -> Path:
    """Write a checkpoint at ``progress.step`` and keep only the newest ``keep``; return its folder."""
    import torch

    target = output / FOLDER / f"step-{progress.step:06d}"
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    rng: dict[str, Any] = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "rng": rng}, partial / TENSORS)
    (partial / STATE).write_text(json.dumps(progress.to_dict(), indent=1) + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    for old in _folders(output)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def load_state(folder: Path, optimizer: Any, scheduler: Any) -> None:
    """Restore the optimiser, the schedule and the random state saved in checkpoint ``folder``."""
    import torch

    state = torch.load(folder / TENSORS, weights_only=True, map_location="cpu")
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng"]["cpu"])
    if "cuda" in state["rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])
