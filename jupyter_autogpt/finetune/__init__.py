"""Fine-tune a local transformers model on your own runs: LoRA (QLoRA on a GPU with bitsandbytes) with peft.

::

    python -m jupyter_autogpt.finetune BASE runs.jsonl --output adapter/      # or, in a notebook:
    %autogpt finetune BASE runs.jsonl --output adapter/

    from jupyter_autogpt.finetune import TrainOptions, finetune
    result = finetune("Qwen/Qwen2.5-0.5B-Instruct", "runs.jsonl", "adapter/", TrainOptions(epochs=2))

The loss falls on the assistant turns only (``masking``). The adapter folder is what ``peft`` saves, so it is
usable as ``--model transformers:BASE+adapter:adapter/`` and servable by vLLM's LoRA support (README.md).
Importing this package is cheap: torch, transformers and peft load when a fine-tune starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .options import FinetuneResult, TrainOptions

__all__ = ["FinetuneResult", "TrainOptions", "finetune"]

if TYPE_CHECKING:
    from pathlib import Path


def finetune(base: str, data: str | Path, output: str | Path, options: TrainOptions | None = None,
             **kwargs: Any) -> FinetuneResult:
    """Fine-tune ``base`` on ``data`` into the adapter folder ``output`` (see ``training.finetune``)."""
    from .training import finetune as _finetune

    return _finetune(base, data, output, options, **kwargs)
