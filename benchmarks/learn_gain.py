"""Measured gain of learning from runs, offline: a tiny model fine-tuned on recorded runs of a task family.

    python benchmarks/learn_gain.py [--train 16] [--held 6] [--epochs 10] [--output artifacts/learn-gain]

1. Writes a task family (tests/support/task_family.py: the mean of a column, a different table per task) in
   the DABench layout: training tasks and held-out tasks.
2. Records runs of the training tasks through the accuracy harness with a recording that solves them
   (``--model replay:DIR --transcripts DIR``): the "runs of a teacher".
3. Exports them as fine-tuning data (``jupyter_autogpt.dataset``), builds a tiny random model offline, and
   fine-tunes a LoRA adapter on it (``jupyter_autogpt.finetune``), on this CPU.
4. Scores the base model and the adapter on the held-out tasks with the harness (``jupyter_autogpt.learn.gain``):
   a table, a plot, and the training throughput and adapter size.

Needs the accuracy harness (``python -m jupyter_autogpt.eval``). Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def record(tasks: Path, replies: Path, transcripts: Path, jobs: int) -> float:
    """Run ``tasks`` through the harness with the solving recording; return its accuracy."""
    report = transcripts.parent / "recorded.json"
    cmd = [sys.executable, "-m", "jupyter_autogpt.eval", str(tasks), "--model", f"replay:{replies}",
           "--transcripts", str(transcripts), "--jobs", str(jobs), "--report", str(report)]
    subprocess.run(cmd, check=True, capture_output=True)
    return float(json.loads(report.read_text())["accuracy"])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train", type=int, default=16, help="training tasks (recorded runs)")
    p.add_argument("--held", type=int, default=6, help="held-out tasks")
    p.add_argument("--epochs", type=float, default=10)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--threads", type=int, default=1, help="torch threads for training")
    p.add_argument("--output", type=Path, default=Path("artifacts/learn-gain"))
    args = p.parse_args()

    import torch

    from jupyter_autogpt import dataset
    from jupyter_autogpt.finetune import TrainOptions, finetune
    from jupyter_autogpt.learn.gain import compare
    from support.task_family import build_base, write_family, write_replies

    torch.set_num_threads(args.threads)
    out = args.output.resolve()
    train_ids, held_ids = list(range(1, args.train + 1)), list(range(1001, 1001 + args.held))
    write_family(out / "train", train_ids, seed=1)
    write_family(out / "held-out", held_ids, seed=2)
    accuracy = record(out / "train", write_replies(out / "replies", train_ids), out / "runs", args.jobs)
    data = dataset.export(out / "runs.jsonl", [out / "runs"], only_finished=True, validation=0.1)
    base = build_base(out / "base")
    started = time.perf_counter()
    tuned = finetune(str(base), data.train, out / "adapter", TrainOptions(
        learning_rate=2e-2, epochs=args.epochs, batch_size=4, rank=8, warmup=0.0, dropout=0.0, progress=False),
        resume=False)
    seconds = time.perf_counter() - started
    gain = compare(out / "held-out", {"base": f"transformers:{base}", "fine-tuned": tuned.model_id}, out,
                   args=["--jobs", str(args.jobs), "--max-steps", "1"],
                   title=f"tiny model, {args.held} held-out tasks")
    print(f"recorded {args.train} runs (teacher accuracy {accuracy:.0%}); {data}")
    print(tuned)
    print(f"training: {tuned.steps} steps in {seconds:.1f} s wall ({tuned.seconds:.1f} s in steps), "
          f"{tuned.tokens_per_second:,.0f} tokens/s on {args.threads} thread(s); adapter {tuned.adapter_bytes:,} bytes")
    print(gain)
    print(f"table: {gain.markdown}  plot: {gain.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
