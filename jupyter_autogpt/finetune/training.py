"""The training loop: AdamW with warmup and linear decay, token-weighted loss on the replies, checkpoints.

An interrupt (the kernel's, or Ctrl-C) ends the loop at once: a checkpoint is written and the result says
"interrupted"; running the same fine-tune again resumes there, with the same batches and schedule.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from . import checkpoints
from .data import Batches, collate, encode_file, validation_file
from .masking import IGNORE, Encoded
from .model import Prepared, prepare
from .options import FinetuneResult, TrainOptions, fingerprint

__all__ = ["finetune"]

SUMMARY = "training.json"
ADAPTER_FILE = "adapter_model.safetensors"


def _schedule(torch: Any, optimizer: Any, options: TrainOptions, total: int) -> Any:
    warm = max(1, round(options.warmup * total)) if options.warmup else 0

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / (warm + 1)
        return max(0.0, (total - step) / max(1, total - warm))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _autocast(torch: Any, prepared: Prepared) -> Any:
    if not prepared.device.startswith("cuda"):
        return contextlib.nullcontext()
    dtype = next(p.dtype for p in prepared.model.parameters() if not p.requires_grad and p.is_floating_point())
    return torch.autocast("cuda", dtype=dtype) if dtype in (torch.bfloat16, torch.float16) else contextlib.nullcontext()


def _labelled(batch: list[Encoded]) -> int:
    # The first token of an example is never predicted (the loss shifts labels by one).
    return sum(sum(1 for label in e.labels[1:] if label != IGNORE) for e in batch)


def _step(torch: Any, prepared: Prepared, micro: list[list[Encoded]], optimizer: Any, scheduler: Any) -> tuple[float, int]:
    """Run one optimiser step over ``micro``; return its token-weighted loss and the tokens it read."""
    model, pad = prepared.model, prepared.tokenizer.pad_token_id or prepared.tokenizer.eos_token_id or 0
    total = sum(_labelled(b) for b in micro)
    loss_sum, tokens = 0.0, 0
    for batch in micro:
        share = _labelled(batch) / total
        with _autocast(torch, prepared):
            loss = model(**collate(torch, batch, pad, prepared.device)).loss
        (loss * share).backward()
        loss_sum += float(loss.detach()) * share
        tokens += sum(len(e.input_ids) for e in batch)
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss_sum, tokens


def evaluate(torch: Any, prepared: Prepared, examples: list[Encoded], batch_size: int) -> float | None:
    """Return the mean loss per reply token over ``examples`` (None without any)."""
    if not examples:
        return None
    model, pad = prepared.model, prepared.tokenizer.pad_token_id or prepared.tokenizer.eos_token_id or 0
    model.eval()
    weighted, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            batch = examples[i : i + batch_size]
            with _autocast(torch, prepared):
                loss = model(**collate(torch, batch, pad, prepared.device)).loss
            weighted += float(loss) * _labelled(batch)
            count += _labelled(batch)
    model.train()
    return weighted / max(1, count)


#: Called after each optimiser step with the step's number and loss (a live plot, a log, a stop condition:
#: raising KeyboardInterrupt there stops the fine-tune as an interrupt would, with a checkpoint).
StepCallback = Callable[[int, float], None]


def _loop(torch: Any, prepared: Prepared, batches: Batches, optimizer: Any, scheduler: Any,
          progress: checkpoints.Progress, total: int, output: Path, options: TrainOptions,
          on_step: StepCallback | None) -> str:
    from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=progress.step, desc="fine-tuning", unit="step", disable=not options.progress)
    status = "finished"
    prepared.model.train()
    try:
        while progress.step < total:
            started = time.perf_counter()
            loss, tokens = _step(torch, prepared, batches.step(torch, progress.step), optimizer, scheduler)
            progress.seconds += time.perf_counter() - started
            progress.step += 1
            progress.trained_tokens += tokens
            progress.history.append({"step": progress.step, "loss": loss, "lr": scheduler.get_last_lr()[0]})
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", tok_s=f"{progress.trained_tokens / max(progress.seconds, 1e-9):,.0f}")
            if on_step is not None:
                on_step(progress.step, loss)
            if progress.step % options.save_every == 0 and progress.step < total:
                checkpoints.save(output, prepared.model, optimizer, scheduler, progress, options.keep_checkpoints)
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        bar.close()
    checkpoints.save(output, prepared.model, optimizer, scheduler, progress, options.keep_checkpoints)
    return status


def finetune(base: str, data: str | Path, output: str | Path, options: TrainOptions | None = None, *,
             validation: str | None = None, resume: bool = True, on_step: StepCallback | None = None) -> FinetuneResult:
    """Fine-tune ``base`` with LoRA on the chat examples in ``data``; write the adapter to ``output``.

    Parameters
    ----------
    base
        A transformers chat model: a folder saved by ``save_pretrained`` or a hub id in the local cache.
    data
        Fine-tuning JSONL (``%autogpt dataset export``). Its ``.validation.jsonl`` companion, when present,
        gives the validation loss before and after.
    output
        The adapter folder: usable as ``--model transformers:BASE+adapter:OUTPUT`` and by vLLM's LoRA support.
    options
        See ``TrainOptions``.
    validation
        Another validation file, or "none".
    resume
        Continue from the newest checkpoint in ``output`` (False starts over and removes them).
    on_step
        Called after each optimiser step with its number and loss.

    Raises
    ------
    ConfigError
        When the data, the base model or the options cannot be used.
    """
    import torch

    options = options or TrainOptions()
    train_path, out = Path(data).expanduser(), Path(output).expanduser()
    if not train_path.is_file():
        raise ConfigError(f"no training data at {train_path} (write it with %autogpt dataset export {train_path.name})")
    val_path = validation_file(train_path, validation)
    stamp = fingerprint(base, [train_path, *([val_path] if val_path else [])], options)
    out.mkdir(parents=True, exist_ok=True)
    checkpoint, progress = checkpoints.latest(out, stamp, resume)
    torch.manual_seed(options.seed)
    prepared = prepare(base, options, adapter=checkpoint)
    train, dropped = encode_file(prepared.tokenizer, train_path, options.max_length)
    if not train:
        raise ConfigError(f"no example in {train_path} keeps a reply within {options.max_length} tokens: raise --max-length")
    held_out = encode_file(prepared.tokenizer, val_path, options.max_length)[0] if val_path else []
    batches = Batches(train, options.batch_size, options.gradient_accumulation, options.seed)
    total = options.max_steps or math.ceil(options.epochs * batches.steps_per_epoch)
    trainable = [p for p in prepared.model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=options.learning_rate, weight_decay=options.weight_decay)
    scheduler = _schedule(torch, optimizer, options, total)
    if checkpoint is not None:
        checkpoints.load_state(checkpoint, optimizer, scheduler)
    if progress.validation_loss_before is None:
        progress.validation_loss_before = evaluate(torch, prepared, held_out, options.batch_size)
    status = _loop(torch, prepared, batches, optimizer, scheduler, progress, total, out, options, on_step)
    after = evaluate(torch, prepared, held_out, options.batch_size)
    return _finish(out, prepared, progress, status, total, len(train), dropped, after, options)


def _finish(out: Path, prepared: Prepared, progress: checkpoints.Progress, status: str, total: int, examples: int,
            dropped: int, after: float | None, options: TrainOptions) -> FinetuneResult:
    """Save the adapter and ``training.json``; return the result."""
    prepared.model.save_pretrained(out)
    adapter = out / ADAPTER_FILE
    result = FinetuneResult(
        output=str(out.resolve()), model_id=f"transformers:{prepared.source}+adapter:{out.resolve()}",
        status="finished" if status == "finished" else "interrupted", steps=progress.step, total_steps=total,
        examples=examples, train_loss=tuple(h["loss"] for h in progress.history),
        validation_loss_before=progress.validation_loss_before, validation_loss_after=after,
        trained_tokens=progress.trained_tokens, tokens_per_second=progress.trained_tokens / max(progress.seconds, 1e-9),
        seconds=progress.seconds, adapter_bytes=adapter.stat().st_size if adapter.exists() else 0, dropped=dropped,
        history=tuple(progress.history))
    summary = {k: v for k, v in result.__dict__.items() if k != "history"}
    summary.update(base=prepared.source, quantized=prepared.quantized, device=prepared.device,
                   options=options.to_dict(), history=progress.history)
    (out / SUMMARY).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return result
