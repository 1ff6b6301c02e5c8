"""Recorded runs -> deduplicated chat examples, split by run, written as OpenAI fine-tuning JSONL.

``PATH.jsonl`` holds the training examples, ``PATH.validation.jsonl`` the validation ones (absent when no run
falls there), ``PATH.manifest.json`` where each line came from and what was passed over. Each line is
``{"messages": [{"role", "content"[, "weight"]}, ...]}``: what OpenAI's fine-tuning API takes, and what
``datasets.load_dataset("json", ...)`` reads. A run goes wholly to one split, chosen by a hash of its id, so a
run stays in its split when the data grows and no validation run leaks into training on a later export.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import ConfigError
from .conversation import Example, Unusable, examples_of
from .sources import Problem, Recorded

__all__ = ["ExportOptions", "ExportReport", "companions", "export_examples"]

MANIFEST_FORMAT = "jupyter-autogpt.dataset"


@dataclass(frozen=True)
class ExportOptions:
    """Which runs become examples, and how they are split.

    Parameters
    ----------
    only_finished
        Keep only runs that ended with an answer (status ``finished``).
    min_steps
        Keep only runs with at least this many steps.
    validation
        The share of runs held out for validation (0 to 1), chosen by a stable hash of each run's id.
    train_on_errors
        Also train on replies whose code raised (by default they are context only).
    """

    only_finished: bool = False
    min_steps: int = 0
    validation: float = 0.1
    train_on_errors: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.validation < 1:
            raise ConfigError(f"validation share must be at least 0 and below 1, not {self.validation}")
        if self.min_steps < 0:
            raise ConfigError(f"min_steps must be 0 or more, not {self.min_steps}")


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote and passed over."""

    train: str
    validation: str | None
    manifest: str
    runs: int
    train_examples: int
    validation_examples: int
    duplicates: int = 0
    skipped: tuple[Problem, ...] = field(default=())

    def __str__(self) -> str:
        parts = [f"{self.train_examples} training example(s) -> {self.train}"]
        if self.validation:
            parts.append(f"{self.validation_examples} validation -> {self.validation}")
        line = f"exported {self.runs} run(s): " + ", ".join(parts)
        if self.duplicates:
            line += f"; {self.duplicates} duplicate(s) dropped"
        if self.skipped:
            reasons = sorted({p.reason for p in self.skipped})
            line += f"; {len(self.skipped)} passed over ({'; '.join(reasons[:3])})"
        return line

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def companions(path: str | Path) -> tuple[Path, Path]:
    """Return the validation and manifest files that go with training file ``path``."""
    train = Path(path)
    stem = train.name[: -len(".jsonl")] if train.name.endswith(".jsonl") else train.stem
    return train.with_name(stem + ".validation.jsonl"), train.with_name(stem + ".manifest.json")


def _in_validation(key: str, share: float) -> bool:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _keep(data: dict[str, Any], options: ExportOptions) -> str | None:
    """Return why the run is filtered out, or None to keep it."""
    if options.only_finished and data.get("status") != "finished":
        return f"not finished ({data.get('status')})"
    if len(data.get("steps") or ()) < options.min_steps:
        return f"fewer than {options.min_steps} step(s)"
    return None


def _line(example: Example) -> str:
    return json.dumps({"messages": list(example.messages)}, ensure_ascii=False, sort_keys=True)


def _collect(runs: Sequence[Recorded], options: ExportOptions) -> tuple[list[dict[str, Any]], list[Problem], int]:
    """Return one row per kept example (its line, split and provenance), what was passed over, duplicates."""
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    seen_runs: set[str] = set()
    seen_lines: set[str] = set()
    duplicates = 0
    for recorded in runs:
        data = recorded.data
        why = _keep(data, options)
        try:
            examples = [] if why else examples_of(data, train_on_errors=options.train_on_errors)
        except Unusable as exc:
            why = str(exc)
        if why:
            problems.append(Problem(recorded.origin, why))
            continue
        lines = [_line(e) for e in examples]
        key = str(data.get("id") or hashlib.sha256("\n".join(lines).encode()).hexdigest())
        if key in seen_runs:
            duplicates += 1
            continue
        seen_runs.add(key)
        split = "validation" if _in_validation(key, options.validation) else "train"
        for index, line in enumerate(lines):
            if line in seen_lines:
                duplicates += 1
                continue
            seen_lines.add(line)
            rows.append({"line": line, "split": split, "run_id": key, "segment": index, "source": recorded.origin,
                         "status": data.get("status"), "steps": len(data.get("steps") or ())})
    return rows, problems, duplicates


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so a failed write never leaves half a dataset."""
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def export_examples(path: str | Path, runs: Sequence[Recorded], options: ExportOptions = ExportOptions(),
                    passed_over: Sequence[Problem] = ()) -> ExportReport:
    """Write the examples of ``runs`` to ``path`` (``.jsonl``) and its companions; return the report.

    Raises
    ------
    ConfigError
        When ``path`` does not end in ``.jsonl``, no run gives an example, or a file cannot be written.
    """
    train = Path(path).expanduser()
    if train.suffix.lower() != ".jsonl":
        raise ConfigError(f"cannot export a dataset to {train.name!r}: use a .jsonl path")
    rows, problems, duplicates = _collect(runs, options)
    problems = [*passed_over, *problems]
    if rows and not any(r["split"] == "train" for r in rows):
        for row in rows:  # too few runs for a split: every one of them trains
            row["split"] = "train"
    if not rows:
        reasons = "; ".join(sorted({p.reason for p in problems})[:3]) or "no runs were given"
        raise ConfigError(f"no training examples: {reasons}. Run %%autogpt first, or pass --runs with transcripts")
    validation, manifest = companions(train)
    by_split = {s: [r for r in rows if r["split"] == s] for s in ("train", "validation")}
    _write(train, "".join(r["line"] + "\n" for r in by_split["train"]))
    if by_split["validation"]:
        _write(validation, "".join(r["line"] + "\n" for r in by_split["validation"]))
    elif validation.exists():
        validation.unlink()  # a stale file from an earlier export would be read as this one's validation split
    for split in by_split.values():
        for number, row in enumerate(split, start=1):
            row["line"] = number
    meta = {"format": MANIFEST_FORMAT, "version": 1, "generator": {"name": "jupyter-autogpt", "version": __version__},
            "options": asdict(options), "train": train.name,
            "validation": validation.name if by_split["validation"] else None, "examples": rows,
            "passed_over": [asdict(p) for p in problems], "duplicates": duplicates}
    _write(manifest, json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    return ExportReport(str(train), str(validation) if by_split["validation"] else None, str(manifest),
                        len({r["run_id"] for r in rows}), len(by_split["train"]), len(by_split["validation"]),
                        duplicates, tuple(problems))
