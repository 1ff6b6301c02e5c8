"""End to end: a tiny model fine-tuned on recorded runs of a task family solves held-out tasks it failed before,
scored by the accuracy harness (``python -m jupyter_autogpt.eval``) on the DABench layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")
pytest.importorskip("jupyter_autogpt.eval", reason="pending: the accuracy harness (issue 14) is not on this branch")

import torch

from jupyter_autogpt import dataset
from jupyter_autogpt.finetune import TrainOptions, finetune
from jupyter_autogpt.learn.gain import compare
from support.task_family import build_base, write_family, write_replies

pytestmark = [pytest.mark.slow, pytest.mark.kernel]


def test_fine_tuning_on_recorded_runs_solves_held_out_tasks_the_base_failed(tmp_path: Path) -> None:
    import subprocess
    import sys

    train, held = list(range(1, 17)), [1001, 1002, 1003]
    write_family(tmp_path / "train", train, seed=1)
    write_family(tmp_path / "held-out", held, seed=2)
    # The teacher's runs, recorded by the harness itself: a recording that solves every training task.
    replies = write_replies(tmp_path / "replies", train)
    subprocess.run([sys.executable, "-m", "jupyter_autogpt.eval", str(tmp_path / "train"), "--model",
                    f"replay:{replies}", "--transcripts", str(tmp_path / "runs"), "--jobs", "2"],
                   check=True, capture_output=True)
    data = dataset.export(tmp_path / "runs.jsonl", [tmp_path / "runs"], only_finished=True, validation=0.1)
    assert data.runs == len(train)
    base = build_base(tmp_path / "base")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tuned = finetune(str(base), data.train, tmp_path / "adapter", TrainOptions(
            learning_rate=2e-2, epochs=10, batch_size=4, rank=8, warmup=0.0, dropout=0.0, progress=False))
    finally:
        torch.set_num_threads(threads)
    assert tuned.train_loss[-1] < 0.2

    gain = compare(tmp_path / "held-out", {"base": f"transformers:{base}", "fine-tuned": tuned.model_id},
                   tmp_path / "gain", args=["--jobs", "2", "--max-steps", "1"])
    before = {t["id"]: t["correct"] for t in gain.reports["base"]["tasks"]}
    after = {t["id"]: t["correct"] for t in gain.reports["fine-tuned"]["tasks"]}
    assert sorted(before) == sorted(after) == held
    assert not any(before.values()) and all(after.values())
    assert gain.accuracy("base") == 0.0 and gain.accuracy("fine-tuned") == 1.0
    markdown = Path(gain.markdown).read_text()
    assert "| 1001 | ✘ | ✔ |" in markdown and "| accuracy | **0%** | **100%** |" in markdown
    assert gain.plot is not None and Path(gain.plot).read_bytes().startswith(b"\x89PNG")
    assert json.loads((tmp_path / "gain" / "report-fine-tuned.json").read_text())["accuracy"] == 1.0
