"""Measured gain: the same held-out tasks scored for several models by the accuracy harness, as a table and a plot.

::

    python -m jupyter_autogpt.learn.gain HELD_OUT/ --model base=transformers:BASE \\
        --model tuned=transformers:BASE+adapter:ADAPTER --output gain/

Each model is scored by ``python -m jupyter_autogpt.eval TASKS --model ID --report OUT.json`` (DABench-layout
tasks, the ``@name[value]`` rule); this module reads only the reports it writes (``accuracy``, and ``tasks``
with each task's ``id`` and ``correct``). ``OUTPUT/gain.md`` holds the table (one row per task, one column
per model, accuracy last) and ``OUTPUT/gain.png`` the accuracy per model.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["Comparison", "compare", "evaluate", "main", "table"]


@dataclass(frozen=True)
class Comparison:
    """The harness's reports per model label, and the files written from them."""

    reports: Mapping[str, dict[str, Any]]
    table: str
    markdown: str | None = None
    plot: str | None = None

    def accuracy(self, label: str) -> float:
        """Return the accuracy of the model called ``label``."""
        return float(self.reports[label]["accuracy"])

    def __str__(self) -> str:
        return self.table

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.table)


def _absolute(model: str) -> str:
    """Return ``model`` with local paths made absolute: the harness runs each task in a scratch folder."""
    provider, sep, name = model.partition(":")
    if provider != "transformers" or not sep:
        return model
    base, marker, adapter = name.partition("+adapter:")
    parts = [str(Path(p).expanduser().resolve()) if p and Path(p).expanduser().exists() else p for p in (base, adapter)]
    return f"{provider}:{parts[0]}" + (f"{marker}{parts[1]}" if marker else "")


def evaluate(tasks: str | Path, model: str, report: str | Path, *, args: Sequence[str] = (),
             env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Score ``model`` on the task folder ``tasks`` with the accuracy harness; return its JSON report.

    Raises
    ------
    ConfigError
        When the harness is not installed, fails, or writes no report.
    """
    if importlib.util.find_spec("jupyter_autogpt.eval") is None:
        raise ConfigError("the accuracy harness (python -m jupyter_autogpt.eval) is not part of this installation")
    out = Path(report)
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "jupyter_autogpt.eval", str(tasks), "--model", _absolute(model), "--report", str(out),
           *args]
    done = subprocess.run(cmd, capture_output=True, text=True, env=dict(env) if env is not None else None)
    if not out.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise ConfigError(f"the harness wrote no report for {model} (exit {done.returncode}): " + " / ".join(tail))
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def table(reports: Mapping[str, dict[str, Any]]) -> str:
    """Return a Markdown table: one row per task, one column per model (✔/✘), accuracy in the last row."""
    labels = list(reports)
    ids: list[str] = []
    marks: dict[str, dict[str, bool]] = {}
    for label in labels:
        for task in reports[label].get("tasks", []):
            key = str(task["id"])
            ids += [] if key in ids else [key]
            marks.setdefault(key, {})[label] = bool(task.get("correct"))
    lines = ["| task | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for key in ids:
        cells = ["✔" if marks[key].get(label) else "✘" if label in marks[key] else "–" for label in labels]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    accuracy = [f"**{reports[label].get('accuracy', 0.0):.0%}**" for label in labels]
    lines.append("| accuracy | " + " | ".join(accuracy) + " |")
    return "\n".join(lines)


def _plot(reports: Mapping[str, dict[str, Any]], path: Path, title: str) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    labels = list(reports)
    values = [100 * float(reports[label].get("accuracy", 0.0)) for label in labels]
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(labels), 3.2))
    bars = ax.bar(labels, values, color=["#9aa5b1", "#2f7ed8", "#5cb85c", "#f0ad4e"][: len(labels)] or None)
    ax.bar_label(bars, labels=[f"{v:.0f}%" for v in values])
    ax.set_ylim(0, 115)
    ax.set_ylabel("held-out accuracy (%)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def compare(tasks: str | Path, models: Mapping[str, str], output: str | Path, *, args: Sequence[str] = (),
            env: Mapping[str, str] | None = None, title: str = "before and after fine-tuning") -> Comparison:
    """Score every model (label -> id) on ``tasks``; write ``gain.md``, ``gain.png`` and the reports to ``output``."""
    if not models:
        raise ConfigError("no models to compare: pass label=provider:name pairs")
    out = Path(output).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    reports = {label: evaluate(tasks, model, out / f"report-{label}.json", args=args, env=env)
               for label, model in models.items()}
    text = table(reports)
    models_md = "\n".join(f"- {label}: `{model}`" for label, model in models.items())
    (out / "gain.md").write_text(f"# {title}\n\nTasks: `{tasks}`\n\n{models_md}\n\n{text}\n", encoding="utf-8")
    return Comparison(reports, text, str(out / "gain.md"), _plot(reports, out / "gain.png", title))


def main(argv: Sequence[str] | None = None) -> int:
    """Compare models on held-out tasks from the command line; extra arguments after ``--`` go to the harness."""
    raw = list(sys.argv[1:] if argv is None else argv)
    extra = raw[raw.index("--") + 1 :] if "--" in raw else []
    p = argparse.ArgumentParser(prog="python -m jupyter_autogpt.learn.gain", description=__doc__.split("\n\n")[0])
    p.add_argument("tasks", help="held-out tasks in the DABench layout")
    p.add_argument("--model", action="append", required=True, metavar="LABEL=ID", help="a model to score (repeat)")
    p.add_argument("--output", default="gain", help="folder for gain.md, gain.png and the reports")
    args = p.parse_args(raw[: raw.index("--")] if "--" in raw else raw)
    models = dict(m.split("=", 1) if "=" in m else (m, m) for m in args.model)
    try:
        print(compare(args.tasks, models, args.output, args=extra))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
