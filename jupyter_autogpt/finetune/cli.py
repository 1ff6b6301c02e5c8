"""The command line of a fine-tune, shared by ``python -m jupyter_autogpt.finetune`` and ``%autogpt finetune``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from ..errors import ConfigError
from .options import TrainOptions

__all__ = ["parse", "parser"]

_DEFAULTS = TrainOptions()


class _Parser(argparse.ArgumentParser):
    """An argparse parser that raises ``ConfigError`` instead of exiting (a kernel must not exit)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise ConfigError(f"{self.prog}: {message} (see {self.prog} --help)")

    def exit(self, status: int = 0, message: str | None = None) -> Any:  # type: ignore[override]
        raise ConfigError(message or self.format_help())


def parser(prog: str = "python -m jupyter_autogpt.finetune") -> argparse.ArgumentParser:
    """Return the parser of a fine-tune's arguments."""
    p = _Parser(prog=prog, description="LoRA fine-tune of a transformers chat model on exported runs "
                "(%autogpt dataset export). The adapter works as --model transformers:BASE+adapter:OUTPUT.")
    p.add_argument("base", help="the base chat model: a save_pretrained folder or a hub id in the local cache")
    p.add_argument("data", help="training JSONL; its .validation.jsonl companion is used when present")
    p.add_argument("--output", "-o", required=True, help="the adapter folder (checkpoints go in OUTPUT/checkpoints)")
    p.add_argument("--validation", help="another validation JSONL, or 'none'")
    p.add_argument("--learning-rate", "--lr", type=float, default=_DEFAULTS.learning_rate, help="peak learning rate")
    p.add_argument("--epochs", type=float, default=_DEFAULTS.epochs, help="passes over the data")
    p.add_argument("--max-steps", type=int, help="optimiser steps (overrides --epochs)")
    p.add_argument("--batch-size", type=int, default=_DEFAULTS.batch_size, help="examples per forward pass")
    p.add_argument("--gradient-accumulation", type=int, default=_DEFAULTS.gradient_accumulation,
                   help="forward passes per optimiser step")
    p.add_argument("--max-length", type=int, default=_DEFAULTS.max_length, help="tokens per example (cut at the end)")
    p.add_argument("--rank", "-r", type=int, default=_DEFAULTS.rank, help="LoRA rank")
    p.add_argument("--alpha", type=float, help="LoRA alpha (default: twice the rank)")
    p.add_argument("--dropout", type=float, default=_DEFAULTS.dropout, help="LoRA dropout")
    p.add_argument("--target-modules", default=_DEFAULTS.target_modules, help="layers to adapt: all-linear, or q_proj,v_proj,...")
    p.add_argument("--warmup", type=float, default=_DEFAULTS.warmup, help="share of steps warming up")
    p.add_argument("--quantize", choices=("auto", "4bit", "none"), default="auto",
                   help="4bit: QLoRA (CUDA + bitsandbytes); auto: when both are present")
    p.add_argument("--device", help="cuda, cuda:1, mps or cpu (default: the best present)")
    p.add_argument("--dtype", help="float32, float16 or bfloat16 (default: bf16/fp16 on GPUs, fp32 on CPU)")
    p.add_argument("--gradient-checkpointing", action="store_true", help="save memory on long examples")
    p.add_argument("--save-every", type=int, default=_DEFAULTS.save_every, help="a checkpoint every N steps")
    p.add_argument("--seed", type=int, default=_DEFAULTS.seed, help="data order and LoRA initialisation")
    p.add_argument("--no-resume", action="store_true", help="start over, removing OUTPUT's checkpoints")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def parse(argv: Sequence[str], prog: str = "python -m jupyter_autogpt.finetune") -> tuple[dict[str, Any], TrainOptions]:
    """Return the call's arguments (base, data, output, validation, resume) and its ``TrainOptions``.

    Raises
    ------
    ConfigError
        When the arguments are malformed or an option is out of range.
    """
    args = parser(prog).parse_args(list(argv))
    options = TrainOptions(
        learning_rate=args.learning_rate, epochs=args.epochs, batch_size=args.batch_size,
        gradient_accumulation=args.gradient_accumulation, max_length=args.max_length, rank=args.rank,
        alpha=args.alpha, dropout=args.dropout, target_modules=args.target_modules, warmup=args.warmup,
        max_steps=args.max_steps, seed=args.seed, quantize=args.quantize, device=args.device, dtype=args.dtype,
        gradient_checkpointing=args.gradient_checkpointing, save_every=args.save_every, progress=not args.no_progress,
    )
    call = {"base": args.base, "data": args.data, "output": args.output, "validation": args.validation,
            "resume": not args.no_resume}
    return call, options
