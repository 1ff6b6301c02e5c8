"""Task folders in the DABench dev layout, and the accuracy harness run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ROOT", "SMOKE", "Finished", "harness", "harness_env", "question", "write_set"]

ROOT = Path(__file__).resolve().parent.parent.parent
SMOKE = ROOT / "benchmarks" / "smoke"


@dataclass(frozen=True)
class Finished:
    """What a run of the command left: its exit status and its two streams."""

    rc: int
    out: str
    err: str


def harness_env() -> dict[str, str]:
    """Return the environment for the command: this checkout's package first on the path."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def harness(*args: str, timeout: float = 300) -> Finished:
    """Run ``python -m jupyter_autogpt.eval ARGS`` from the repository root and return how it ended."""
    done = subprocess.run([sys.executable, "-m", "jupyter_autogpt.eval", *args], capture_output=True, text=True,
                          cwd=ROOT, env=harness_env(), timeout=timeout)
    return Finished(done.returncode, done.stdout, done.stderr)


def write_set(folder: Path, questions: list[dict], labels: list[dict], tables: dict[str, str]) -> Path:
    """Write a task folder in the DABench dev layout and return it."""
    (folder / "da-dev-tables").mkdir(parents=True)
    (folder / "da-dev-questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    (folder / "da-dev-labels.jsonl").write_text("".join(json.dumps(lab) + "\n" for lab in labels))
    for name, text in tables.items():
        (folder / "da-dev-tables" / name).write_text(text)
    return folder


def question(i: int, file_name: str = "t.csv", **extra: object) -> dict:
    """Return a DABench-style question record on ``file_name`` (``extra`` overrides its fields)."""
    return {"id": i, "question": f"Question {i}?", "concepts": ["Summary Statistics"], "constraints": "Round to 2.",
            "format": "@value[v] where v is a number.", "file_name": file_name, "level": "easy", **extra}
