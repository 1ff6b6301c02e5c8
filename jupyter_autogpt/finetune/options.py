"""The settings of a fine-tune and what it reports, as values."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigError

__all__ = ["FinetuneResult", "TrainOptions", "fingerprint"]

Quantize = Literal["auto", "4bit", "none"]


@dataclass(frozen=True)
class TrainOptions:
    """How to fine-tune: LoRA's shape, the optimiser's schedule, and where to run.

    The defaults suit a 0.5B-8B instruction model and a few hundred to a few thousand examples.

    Parameters
    ----------
    learning_rate
        AdamW's peak learning rate, reached after ``warmup`` of the steps, then decayed linearly to zero.
    epochs
        Passes over the training examples (a fraction stops midway); ``max_steps`` overrides it.
    batch_size, gradient_accumulation
        Examples per forward pass, and passes per optimiser step.
    max_length
        Tokens per example; longer ones are cut at the end (those left with no reply to learn are dropped).
    rank, alpha, dropout, target_modules
        LoRA's rank, scale (default ``2 * rank``), dropout, and the layers it adapts (peft's names, or
        ``all-linear``).
    quantize
        ``4bit`` trains QLoRA (needs bitsandbytes and a CUDA GPU); ``auto`` does when both are present.
    device, dtype
        As for the transformers backend: default the best device, bf16/fp16 on GPUs, fp32 on CPU.
    save_every, keep_checkpoints
        A checkpoint every this many optimiser steps (and at the end, and on an interrupt); how many to keep.
    gradient_checkpointing
        Trade compute for memory on long examples.
    """

    learning_rate: float = 2e-4
    epochs: float = 3.0
    batch_size: int = 4
    gradient_accumulation: int = 1
    max_length: int = 2048
    rank: int = 16
    alpha: float | None = None
    dropout: float = 0.05
    target_modules: str | tuple[str, ...] = "all-linear"
    warmup: float = 0.03
    weight_decay: float = 0.0
    max_steps: int | None = None
    seed: int = 0
    quantize: Quantize = "auto"
    device: str | None = None
    dtype: str | None = None
    gradient_checkpointing: bool = False
    save_every: int = 100
    keep_checkpoints: int = 2
    progress: bool = True

    def __post_init__(self) -> None:
        checks = [
            (self.learning_rate > 0, f"learning rate must be above 0, not {self.learning_rate}"),
            (self.epochs > 0, f"epochs must be above 0, not {self.epochs}"),
            (min(self.batch_size, self.gradient_accumulation, self.rank) >= 1,
             "batch size, gradient accumulation and rank must be 1 or more"),
            (self.max_length >= 16, f"max length must be at least 16 tokens, not {self.max_length}"),
            (0 <= self.dropout < 1 and 0 <= self.warmup < 1, "dropout and warmup must be at least 0 and below 1"),
            (self.max_steps is None or self.max_steps >= 1, "max steps must be 1 or more"),
            (self.save_every >= 1 and self.keep_checkpoints >= 1, "save_every and keep_checkpoints must be 1 or more"),
            (self.quantize in ("auto", "4bit", "none"), f"quantize must be auto, 4bit or none, not {self.quantize!r}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    @property
    def lora_alpha(self) -> float:
        """Return LoRA's scale numerator (``alpha``, default twice the rank)."""
        return self.alpha if self.alpha is not None else 2.0 * self.rank

    def to_dict(self) -> dict[str, Any]:
        """Return the options as JSON values."""
        data = dataclasses.asdict(self)
        data["target_modules"] = self.target_modules if isinstance(self.target_modules, str) else list(self.target_modules)
        return data


#: Options a resumed fine-tune may change: where it runs, how it reports, and how long it goes on (the schedule
#: then stretches to the new end).
_INCIDENTAL = ("device", "progress", "save_every", "keep_checkpoints", "epochs", "max_steps")


def fingerprint(base: str, files: list[Path], options: TrainOptions) -> str:
    """Return a hash of what decides the result: the base model, the data files' bytes, the options."""
    digest = hashlib.sha256(base.encode("utf-8"))
    for path in files:
        digest.update(path.name.encode("utf-8"))
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    decisive = {k: v for k, v in options.to_dict().items() if k not in _INCIDENTAL}
    digest.update(repr(sorted(decisive.items())).encode("utf-8"))
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class FinetuneResult:
    """What a fine-tune produced: the adapter, how far it got, the losses and the speed."""

    output: str
    model_id: str
    status: Literal["finished", "interrupted"]
    steps: int
    total_steps: int
    examples: int
    train_loss: tuple[float, ...] = ()
    validation_loss_before: float | None = None
    validation_loss_after: float | None = None
    trained_tokens: int = 0
    tokens_per_second: float = 0.0
    seconds: float = 0.0
    adapter_bytes: int = 0
    dropped: int = 0
    history: tuple[dict[str, float], ...] = field(default=(), repr=False)

    def __str__(self) -> str:
        loss = f"loss {self.train_loss[0]:.3f} -> {self.train_loss[-1]:.3f}" if self.train_loss else "no step ran"
        val = ""
        if self.validation_loss_before is not None and self.validation_loss_after is not None:
            val = f", validation {self.validation_loss_before:.3f} -> {self.validation_loss_after:.3f}"
        head = "fine-tuned" if self.status == "finished" else "interrupted (run again to resume)"
        return (f"{head}: {self.steps}/{self.total_steps} steps on {self.examples} examples, {loss}{val}, "
                f"{self.tokens_per_second:,.0f} tokens/s, adapter {self.adapter_bytes / 1e6:.2f} MB in {self.output}"
                f"\nuse it: --model {self.model_id}")

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))
