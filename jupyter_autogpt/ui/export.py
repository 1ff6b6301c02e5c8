"""A run written out: as a notebook, as a transcript file, and as the display bundle of a cell's output.

The transcript format itself (``jupyter_autogpt.transcript``) is value-level; this module adds what needs the
UI's libraries (nbformat) or touches files. Everything written passes through ``redact_data`` first, so no
secret lands in a file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import clean
from ..errors import ConfigError
from ..limits import VIEW_OUTPUT_CHARS, cut_middle
from ..redaction import redact_data
from ..safe_markdown import code, fence, inert, literal
from ..transcript import METADATA_KEY, MIME_TYPE, step_cell, to_dict
from ..types import Run
from .text import context_markdown, markdown_transcript, plan_markdown, reply_markdown

__all__ = ["mime_bundle", "plain_text", "to_notebook", "write"]


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


def _notebook_cells(data: dict[str, Any], prose_answer: bool, extras: list[str]) -> list[dict[str, Any]]:
    """Return the notebook's cells: model text in Markdown cells goes in inert (``safe_markdown``), bounded.

    ``extras`` follow the goal in the first cell: the run this one follows up, instructions, the plan.
    """
    import nbformat

    v4 = nbformat.v4
    goal = "> " + inert(cut_middle(data["goal"].strip(), VIEW_OUTPUT_CHARS)).replace("\n", "\n> ")
    head = "\n\n".join(["## AutoGPT run", goal, f"{code(data['model'])} · {literal(data['status'])}", *extras])
    cells = [v4.new_markdown_cell(head)]
    for step in data["steps"]:
        if not step["code"]:
            continue  # a reply without code is the answer, shown last
        said = reply_markdown(step["reply"])
        if said:
            cells.append(v4.new_markdown_cell(f"**Step {step['index']}.** " + "\n\n".join(said)))
        if step["skipped"]:
            cells.append(v4.new_markdown_cell(f"Step {step['index']} (skipped):" + fence(step["code"], "python")))
        else:
            cells.append(nbformat.from_dict(step_cell(step, data["id"] or "run")))
    cells.append(v4.new_markdown_cell("**Answer**\n\n" + _answer_markdown(data, prose_answer)))
    return cells


def _answer_markdown(data: dict[str, Any], prose: bool) -> str:
    text = data["answer_text"]
    if not text:
        error = f" · {data['error']}" if data["error"] else ""
        return f"_(no answer: {literal(data['status'] + error)})_"
    return inert(text) if prose else fence(text).strip("\n")


def to_notebook(run: Run) -> Any:
    """Return ``run`` as a valid nbformat v4 notebook: the goal, one code cell per step, the answer."""
    import nbformat

    data = to_dict(run)
    nb = nbformat.v4.new_notebook()
    extras = context_markdown(run.context) + ([plan_markdown(run.plan)] if run.plan is not None else [])
    nb.cells = _notebook_cells(data, run.answer_is_text, redact_data(extras))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata[METADATA_KEY] = {
        "run_id": data["id"],
        "model": data["model"],
        "status": data["status"],
        "config": data["config"],
        "usage": data["usage"],
        **({"parent": data["parent"]} if "parent" in data else {}),
    }
    nbformat.validate(nb)
    return nb


def write(run: Run, path: str | Path, earlier: Sequence[Run] = ()) -> str:
    """Write ``run`` to ``path``: ``.ipynb`` as a notebook, ``.json`` as its transcript, ``.py`` as its clean code.

    ``earlier`` are the runs a follow-up continues, oldest first: its clean code starts with what it needs of them.

    Return the path written.

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
    elif suffix == ".py":
        text = clean.of_transcript(to_dict(run), [to_dict(r) for r in earlier]).code
    else:
        raise ConfigError(f"cannot export to {target.name!r}: use a .ipynb (notebook), .json (transcript) or .py "
                          "(clean code) path")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}") from None
    return str(target)
