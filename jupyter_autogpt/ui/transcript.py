"""A run as data: the versioned JSON transcript, its MIME bundle, and the run exported as a notebook.

The transcript's JSON schema (``schema/run.schema.json``) is the one definition shared with the JupyterLab
extension: it names the MIME type, the comm target, the cell tag and the metadata key, and both languages
read them from it. Everything written passes through ``redact_data`` first, so no secret lands in a file.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import ConfigError
from ..protocol import prose_of
from ..redaction import redact_data
from ..types import Observation, Run, Step, Usage
from .text import markdown_transcript

__all__ = [
    "CELL_TAG",
    "COMM_TARGET",
    "FORMAT",
    "METADATA_KEY",
    "MIME_TYPE",
    "VERSION",
    "export",
    "load_schema",
    "mime_bundle",
    "observation_outputs",
    "step_dict",
    "to_dict",
    "to_notebook",
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
    """Return one step as transcript JSON (not yet redacted)."""
    obs = step.observation
    return {
        "index": step.index,
        "reply": step.reply,
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


def _json_answer(run: Run) -> Any:
    """Return the answer itself when it is plain JSON, else its text (a DataFrame becomes its repr)."""
    try:
        json.dumps(run.answer, allow_nan=False)
    except (TypeError, ValueError):
        return run.answer_text()
    return run.answer


def to_dict(run: Run) -> dict[str, Any]:
    """Return ``run`` as a versioned transcript (``schema/run.schema.json``), with secrets redacted."""
    data = {
        "format": FORMAT,
        "version": VERSION,
        "generator": {"name": "jupyter-autogpt", "version": __version__},
        "id": run.id,
        "goal": run.goal,
        "model": run.model,
        "status": run.status,
        "error": run.error,
        "answer": _json_answer(run),
        "answer_text": run.answer_text(),
        "config": run.config.to_dict(),
        "usage": _usage(run.usage),
        "started_at": run.started_at,
        "duration": round(run.duration, 4) if math.isfinite(run.duration) else 0.0,
        "steps": [step_dict(s) for s in run.steps],
    }
    redacted: dict[str, Any] = redact_data(data)
    return redacted


def plain_text(run: Run) -> str:
    """Return a deterministic one-line text for ``run`` (no ids, no timings: nbval compares it)."""
    n = len(run.steps)
    answer = run.answer_text().strip().splitlines()
    short = answer[0][:80] if answer else ""
    return f"<autogpt run: {run.status}, {n} step{'s' if n != 1 else ''}" + (f": {short}>" if short else ">")


def mime_bundle(run: Run) -> dict[str, Any]:
    """Return the run as a display bundle: the transcript JSON, a Markdown transcript and a deterministic text.

    JupyterLab with the extension renders the JSON; other frontends and nbconvert show the Markdown.
    """
    return redact_data({MIME_TYPE: to_dict(run), "text/markdown": markdown_transcript(run), "text/plain": plain_text(run)})


# -- transcript -> notebook -------------------------------------------------------------------------------------


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


def _notebook_cells(data: dict[str, Any]) -> list[dict[str, Any]]:
    import nbformat

    v4 = nbformat.v4
    goal = "> " + data["goal"].strip().replace("\n", "\n> ")
    cells = [v4.new_markdown_cell(f"## AutoGPT run\n\n{goal}\n\n`{data['model']}` · {data['status']}")]
    for step in data["steps"]:
        prose = prose_of(step["reply"])
        if not step["code"]:
            continue  # a reply without code is the answer, shown last
        if prose:
            cells.append(v4.new_markdown_cell(f"**Step {step['index']}.** {prose}"))
        if step["skipped"]:
            cells.append(v4.new_markdown_cell(f"Step {step['index']} (skipped):\n\n```python\n{step['code']}\n```"))
        else:
            cells.append(nbformat.from_dict(step_cell(step, data["id"] or "run")))
    answer = data["answer_text"] or f"_(no answer: {data['status']}{' · ' + data['error'] if data['error'] else ''})_"
    if data["answer_text"] and not isinstance(data["answer"], str):
        answer = f"```\n{answer}\n```"
    cells.append(v4.new_markdown_cell(f"**Answer**\n\n{answer}"))
    return cells


def to_notebook(run: Run) -> Any:
    """Return ``run`` as a valid nbformat v4 notebook: the goal, one code cell per step, the answer."""
    import nbformat

    data = to_dict(run)
    nb = nbformat.v4.new_notebook()
    nb.cells = _notebook_cells(data)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata[METADATA_KEY] = {
        "run_id": data["id"],
        "model": data["model"],
        "status": data["status"],
        "config": data["config"],
        "usage": data["usage"],
    }
    nbformat.validate(nb)
    return nb


# -- files ------------------------------------------------------------------------------------------------------


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


def export(run: Run, path: str | Path) -> str:
    """Write ``run`` to ``path``: ``.ipynb`` as a notebook, ``.json`` as its transcript; return the path.

    Raises
    ------
    ConfigError
        When the suffix is neither, or the file cannot be written.
    """
    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    if suffix == ".ipynb":
        import nbformat

        text = nbformat.writes(to_notebook(run)) + "\n"
    elif suffix == ".json":
        text = json.dumps(to_dict(run), indent=1, ensure_ascii=False) + "\n"
    else:
        raise ConfigError(f"cannot export to {target.name!r}: use a .ipynb (notebook) or .json (transcript) path")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}") from None
    return str(target)
