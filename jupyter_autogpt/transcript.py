"""The run transcript format: a run as versioned JSON that every layer may read (standard library only).

The JSON schema (``schema/run.schema.json``) is the one definition shared with the JupyterLab extension: it
names the MIME type, the comm target, the cell tag and the metadata key, and both languages read them from it.
This module holds the format and its version, those constants, a run and a step as transcript dicts (secrets
redacted), what a step showed as nbformat v4 outputs, a step as the code cell the extension inserts,
validation, and reading a transcript back (the replies a replay needs). Writing files, notebook export and
the run's display bundle belong to the UI (``ui/export.py``).
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

from . import clean
from ._version import __version__
from .answers import answer_json
from .encoding import valid_data
from .limits import TRANSCRIPT_REPLY_CHARS, cut_middle
from .redaction import redact_data
from .types import Observation, Run, Step, Usage

__all__ = [
    "CELL_TAG",
    "COMM_TARGET",
    "FORMAT",
    "METADATA_KEY",
    "MIME_TYPE",
    "VERSION",
    "load_schema",
    "observation_outputs",
    "replies",
    "step_cell",
    "step_dict",
    "to_dict",
    "validate",
]

FORMAT = "jupyter-autogpt.run"
VERSION = 1


@cache
def load_schema() -> dict[str, Any]:
    """Return the transcript's JSON schema (shared with the JupyterLab extension)."""
    text = resources.files("jupyter_autogpt").joinpath("schema", "run.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


MIME_TYPE: str = load_schema()["x-mime-type"]
COMM_TARGET: str = load_schema()["x-comm-target"]
CELL_TAG: str = load_schema()["x-cell-tag"]
METADATA_KEY: str = load_schema()["x-metadata-key"]


# -- observation -> nbformat outputs --------------------------------------------------------------------------


def observation_outputs(obs: Observation | None) -> list[dict[str, Any]]:
    """Return what a step showed as nbformat v4 outputs: streams, displays, images, the value, the error."""
    if obs is None:
        return []
    outputs: list[dict[str, Any]] = []
    for name, text in (("stdout", obs.stdout), ("stderr", obs.stderr)):
        if text:
            outputs.append({"output_type": "stream", "name": name, "text": text})
    displays, labels = _split_placeholders(obs.displays, len(obs.images))
    for bundle in displays:
        outputs.append({"output_type": "display_data", "data": dict(bundle), "metadata": {}})
    for image, label in zip(obs.images, labels, strict=True):
        data = {image.mime: image.data, "text/plain": label or f"<{image.mime} image>"}
        outputs.append({"output_type": "display_data", "data": data, "metadata": {}})
    if obs.result is not None:
        outputs.append(
            {"output_type": "execute_result", "data": {"text/plain": obs.result}, "metadata": {}, "execution_count": None}
        )
    if obs.error:
        outputs.append(_error_output(obs.error, obs.error_name))
    return outputs


def _split_placeholders(displays: tuple[dict[str, Any], ...], images: int) -> tuple[list[dict[str, Any]], list[str]]:
    """Pair images with the text-only ``<Figure ...>`` reprs the executor kept apart from them.

    The executor stores an image display as an image plus a display of its remaining text; a frontend shows
    such a display as the image alone, so the placeholder text goes back into the image's bundle.
    """
    kept: list[dict[str, Any]] = []
    labels: list[str] = []
    for bundle in displays:
        text = bundle.get("text/plain")
        placeholder = isinstance(text, str) and set(bundle) == {"text/plain"} and text.startswith("<")
        if placeholder and len(labels) < images and str(text).rstrip().endswith(">"):
            labels.append(str(text))
        else:
            kept.append(bundle)
    return kept, labels + [""] * (images - len(labels))


def _error_output(error: str, error_name: str | None) -> dict[str, Any]:
    lines = error.rstrip().splitlines() or [error]
    name = error_name or "Error"
    last = lines[-1]
    value = last.split(":", 1)[1].strip() if last.startswith(name + ":") else last
    return {"output_type": "error", "ename": name, "evalue": value, "traceback": lines}


# -- run -> transcript dict -------------------------------------------------------------------------------------


def _usage(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "estimated": usage.estimated,
    }


def step_dict(step: Step) -> dict[str, Any]:
    """Return one step as transcript JSON (not yet redacted; a huge reply cut in the middle)."""
    obs = step.observation
    return {
        "index": step.index,
        "reply": cut_middle(step.reply, TRANSCRIPT_REPLY_CHARS),
        "code": step.code,
        "skipped": step.skipped,
        "output": step.output,
        "error": step.error,
        "feedback": step.feedback,
        "flags": list(step.flags),
        "usage": _usage(step.usage),
        "model_seconds": round(step.model_seconds, 4),
        "exec_seconds": round(step.exec_seconds, 4),
        "observation": None
        if obs is None
        else {
            "duration": round(obs.duration, 4),
            "answered": obs.answered,
            "error_name": obs.error_name,
            "changed": list(obs.changed),
        },
        "outputs": observation_outputs(obs),
    }


def _prompt(run: Run) -> dict[str, str] | None:
    """Return the system prompt and first message the model read (the head of every request), if any was sent.

    With the steps, they are what ``jupyter_autogpt.dataset`` needs to rebuild each request the model answered.
    """
    head = run.messages[:2]
    if len(head) < 2 or head[0].role != "system" or head[1].role != "user":
        return None
    return {"system": head[0].content, "first": head[1].content}


def _conversation(run: Run) -> dict[str, Any]:
    """Return what steered the run besides its goal, each key only when there is something to say.

    ``parent`` and ``thread``: the run it follows up and the earlier runs of its conversation (``--continue``);
    ``instructions``: standing instructions and their sources; ``notebook``: which of the user's cells (and whose
    error) the model saw; ``plan``: the last version of the plan, with each item's state.
    """
    context = run.context
    found: dict[str, Any] = {}
    if context.thread.runs:
        found.update(parent=context.thread.parent, thread=context.thread.to_dict())
    if context.instructions:
        found["instructions"] = context.instructions.to_dict()
    if context.notebook:
        found["notebook"] = {"cells": [c.number for c in context.notebook.cells],
                             "error_cell": context.notebook.error_cell if context.notebook.traceback else None}
    if run.plan is not None:
        found["plan"] = run.plan.to_dict()
    return found


def to_dict(run: Run) -> dict[str, Any]:
    """Return ``run`` as a versioned transcript (``schema/run.schema.json``): redacted, bounded, valid Unicode.

    The answer is itself when it is small plain JSON, else its bounded text (``answers``); ``run.answer`` keeps it.
    """
    data = {
        "format": FORMAT,
        "version": VERSION,
        "generator": {"name": "jupyter-autogpt", "version": __version__},
        "id": run.id,
        "goal": run.goal,
        "model": run.model,
        "status": run.status,
        "error": run.error,
        "answer": answer_json(run.answer, run.answer_text()),
        "answer_text": run.answer_text(),
        "config": run.config.to_dict(),
        "usage": _usage(run.usage),
        "started_at": run.started_at,
        "duration": round(run.duration, 4) if math.isfinite(run.duration) else 0.0,
        "steps": [step_dict(s) for s in run.steps],
    }
    if prompt := _prompt(run):
        data["prompt"] = prompt
    data.update(_conversation(run))
    redacted: dict[str, Any] = valid_data(redact_data(data))  # the goal was typed by a user: any text at all
    redacted["clean"] = clean.of_transcript(redacted).to_dict()  # built from the redacted steps: nothing new to redact
    return redacted


def step_cell(step: dict[str, Any], run_id: str, parent: str | None = None) -> dict[str, Any]:
    """Return the code cell (nbformat v4 dict) for one executed transcript step.

    The JupyterLab extension builds the same cell from the same step (``stepToCell`` in ``labextension/src/cells.ts``).
    """
    marker: dict[str, Any] = {"run_id": run_id, "step": step["index"]}
    if parent:
        marker["parent"] = parent
    return {
        "cell_type": "code",
        "id": f"autogpt-{run_id}-{step['index']}"[:64],
        "execution_count": None,
        "metadata": {METADATA_KEY: marker, "tags": [CELL_TAG]},
        "source": step["code"] or "",
        "outputs": step["outputs"],
    }


# -- reading a transcript back ----------------------------------------------------------------------------------


def validate(data: dict[str, Any]) -> None:
    """Check ``data`` against the transcript schema (fully with ``jsonschema`` when installed).

    Raises
    ------
    ValueError
        When ``data`` is not a transcript this version can read.
    """
    try:
        import jsonschema
    except ImportError:
        _minimal_check(data)
        return
    try:
        jsonschema.validate(data, load_schema())
    except jsonschema.ValidationError as exc:
        raise ValueError(f"not a valid run transcript: {exc.message}") from None


def _minimal_check(data: dict[str, Any]) -> None:
    required = load_schema()["required"]
    missing = [k for k in required if k not in data]
    if missing or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ValueError(f"not a valid run transcript (missing {missing}, format/version {data.get('format')!r})")
    if not all(isinstance(s, dict) and isinstance(s.get("reply"), str) for s in data["steps"]):
        raise ValueError("not a valid run transcript: every step needs a reply string")


def replies(data: Any) -> list[str]:
    """Return the model replies recorded in ``data``: a transcript's ``steps[*].reply``, or a list of strings.

    This is all a replay reads, so a hand-written JSON list of replies replays as well as an exported run; a
    recording (``recordings/*.json``) gives every reply it kept, re-asked ones included.

    Raises
    ------
    ValueError
        When ``data`` holds no replies.
    """
    if isinstance(data, dict) and isinstance(data.get("replies"), list):
        data = data["replies"]
    elif isinstance(data, dict):
        data = [s.get("reply", "") for s in data.get("steps", []) if isinstance(s, dict)]
    if not isinstance(data, list) or not all(isinstance(r, str) for r in data) or not data:
        raise ValueError("expected a run transcript or a JSON list of strings")
    return data
