"""What the live view leaves in the notebook once its widgets are closed: static outputs that survive reopening."""

from __future__ import annotations

import html
from typing import Any

from ... import transcript
from ...redaction import redact
from ...safe_markdown import inert
from ...types import Run
from ..export import plain_text
from ..html_parts import run_html
from ..sanitize import clean
from ..text import markdown_transcript

__all__ = ["Snapshot", "StaticTranscript", "images_elided"]


class StaticTranscript:
    """What the view leaves in the notebook: HTML for JupyterLab, Markdown for nbconvert, a stable plain line.

    The cell's own result (the run's Markdown: answer and summary) is saved right below it, so neither is
    repeated here. Each image is stored once, in the HTML, which every frontend shows; the transcript JSON
    rides along for the labextension's "insert run as cells" command, with image payloads left out.
    """

    def __init__(self, run: Run, notes: tuple[tuple[str, str], ...] = ()) -> None:
        self.run = run
        self.notes = notes  # (level, message) of the run's notices: a replay's divergence must outlive the view

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        notes_html = "".join(
            f'<div style="opacity: .8;">[{html.escape(level)}] {html.escape(message)}</div>' for level, message in self.notes
        )
        notes_markdown = "".join(f"\n\n[{level}] {inert(message)}" for level, message in self.notes)
        return {
            transcript.MIME_TYPE: images_elided(transcript.to_dict(self.run)),
            "text/html": redact(run_html(self.run) + notes_html),
            "text/markdown": redact(markdown_transcript(self.run, answer=False) + notes_markdown),
            "text/plain": redact(plain_text(self.run)),
        }


class Snapshot:
    """What the view leaves when its run never finished: the HTML it showed last."""

    def __init__(self, body: str) -> None:
        self.body = body

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": clean(redact(self.body)), "text/plain": "<autogpt run: ended before it finished>"}


def images_elided(data: dict[str, Any]) -> dict[str, Any]:
    """Return transcript ``data`` with each image payload left out of its step outputs (not changed in place).

    For a display whose HTML already holds the images: the output keeps its text label, and its metadata
    names the image type that was left out, so the saved notebook stores each image once.
    """
    steps = []
    for step in data["steps"]:
        outputs = []
        for output in step["outputs"]:
            images = [k for k in output.get("data", {}) if k.startswith("image/")]
            if images:
                kept = {k: v for k, v in output["data"].items() if k not in images}
                kept.setdefault("text/plain", f"<{images[0]} image>")
                output = {**output, "data": kept, "metadata": {transcript.METADATA_KEY: {"elided": images}}}
            outputs.append(output)
        steps.append({**step, "outputs": outputs})
    return {**data, "steps": steps}
