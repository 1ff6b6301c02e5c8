"""Fine-tuning data: JSONL chat examples read, encoded with assistant-only labels, and batched in a fixed order.

The order of every epoch follows from the seed alone, so a resumed fine-tune sees the batches the
interrupted one would have seen.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .masking import IGNORE, Encoded, encode

__all__ = ["Batches", "encode_file", "read_examples", "validation_file"]


def read_examples(path: Path) -> list[list[dict[str, Any]]]:
    """Return the conversations of a fine-tuning JSONL file (``{"messages": [...]}`` per line).

    Raises
    ------
    ConfigError
        When the file is missing or a line is not a chat example.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the training data {path}: {exc.strerror or exc}") from None
    found = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            messages = json.loads(line)["messages"]
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"{path}:{number} is not a chat example ({{\"messages\": [...]}} per line)") from None
        if not isinstance(messages, list) or not all(isinstance(m, dict) and {"role", "content"} <= set(m)
                                                     for m in messages):
            raise ConfigError(f"{path}:{number}: each message needs a role and a content")
        found.append(messages)
    return found


def validation_file(train: Path, given: str | None) -> Path | None:
    """Return the validation file: ``given`` ("none" for none), else the export's companion if it exists."""
    if given is not None:
        if given.lower() == "none":
            return None
        path = Path(given).expanduser()
        if not path.is_file():
            raise ConfigError(f"no validation file at {path}")
        return path
    stem = train.name[: -len(".jsonl")] if train.name.endswith(".jsonl") else train.stem
    companion = train.with_name(stem + ".validation.jsonl")
    return companion if companion.is_file() else None


def encode_file(tokenizer: Any, path: Path, max_length: int) -> tuple[list[Encoded], int]:
    """Return the encoded examples of ``path`` that keep a reply to learn, and how many were dropped."""
    kept, dropped = [], 0
    for messages in read_examples(path):
        encoded = encode(tokenizer, messages, max_length)
        if encoded.trained_tokens:
            kept.append(encoded)
        else:
            dropped += 1  # every reply lay beyond max_length, or none was trained
    return kept, dropped


@dataclass(frozen=True)
class Batches:
    """The micro-batches of each optimiser step, in an order fixed by the seed."""

    examples: Sequence[Encoded]
    batch_size: int
    accumulation: int
    seed: int

    @property
    def micro_per_epoch(self) -> int:
        return math.ceil(len(self.examples) / self.batch_size)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.micro_per_epoch / self.accumulation)

    def step(self, torch: Any, index: int) -> list[list[Encoded]]:
        """Return the micro-batches of optimiser step ``index`` (0-based, counted over all epochs)."""
        epoch, within = divmod(index, self.steps_per_epoch)
        order = torch.randperm(len(self.examples), generator=torch.Generator().manual_seed(self.seed + epoch)).tolist()
        first = within * self.accumulation
        micro = range(first, min(first + self.accumulation, self.micro_per_epoch))
        return [[self.examples[i] for i in order[m * self.batch_size : (m + 1) * self.batch_size]] for m in micro]


def collate(torch: Any, batch: Sequence[Encoded], pad_id: int, device: str) -> dict[str, Any]:
    """Return right-padded ``input_ids``, ``attention_mask`` and ``labels`` tensors for ``batch``."""
    width = max(len(e.input_ids) for e in batch)
    ids = [list(e.input_ids) + [pad_id] * (width - len(e.input_ids)) for e in batch]
    labels = [list(e.labels) + [IGNORE] * (width - len(e.labels)) for e in batch]
    mask = [[1] * len(e.input_ids) + [0] * (width - len(e.input_ids)) for e in batch]
    return {name: torch.tensor(value, device=device) for name, value in
            (("input_ids", ids), ("attention_mask", mask), ("labels", labels))}
