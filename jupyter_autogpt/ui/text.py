"""Plain-text and Markdown renderings of a run: terminal IPython, nbconvert, and saved notebooks."""

from __future__ import annotations

import sys
from typing import TextIO

from ..events import (
    CodeExecuted,
    CodeProposed,
    Event,
    FinalAnswer,
    ModelDelta,
    ModelReplied,
    Noticed,
    RunFinished,
    RunStarted,
    StepStarted,
)
from ..limits import clip_lines
from ..protocol import prose_of
from ..types import Run, Step

__all__ = ["TextRenderer", "markdown_transcript"]



class TextRenderer:
    """Print a run's progress as it happens: the streamed reply, the code, what it printed, the answer.

    Parameters
    ----------
    stream
        Where to write (default: ``sys.stdout`` at the time of each write, so captures see it).
    stream_tokens
        Echo the model's reply as it streams (otherwise print it whole once it is complete).
    """

    def __init__(self, stream: TextIO | None = None, stream_tokens: bool = True) -> None:
        self._stream = stream
        self.stream_tokens = stream_tokens
        self._pending = ""  # streamed text is written a line at a time, not a token at a time

    @property
    def out(self) -> TextIO:
        return self._stream or sys.stdout

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._write(f"▶ autogpt · {event.model} · goal: {event.goal.strip().splitlines()[0][:100]}\n")
        elif isinstance(event, StepStarted):
            self._write(f"\n── step {event.index}/{event.max_steps} ──\n")
        elif isinstance(event, ModelDelta) and self.stream_tokens:
            self._pending += event.text
            if "\n" in self._pending:
                done, _, self._pending = self._pending.rpartition("\n")
                self._write(done + "\n")
        elif isinstance(event, ModelReplied):
            text = self._pending if self.stream_tokens else event.text
            self._pending = ""
            if text:
                self._write(text.rstrip("\n") + "\n")
        elif isinstance(event, CodeProposed) and event.flags:
            self._write(f"⚠ flagged: {', '.join(event.flags)}\n")
        elif isinstance(event, CodeExecuted):
            self._executed(event)
        elif isinstance(event, Noticed):
            discarded = " (the partial reply above is discarded)" if event.level == "retry" and self._pending else ""
            if event.level == "retry":
                self._pending = ""
            self._write(f"[{event.level}] {event.message}{discarded}\n")
        elif isinstance(event, FinalAnswer):
            self._write(f"\n✔ answer: {clip_lines(event.text, 10)}\n")
        elif isinstance(event, RunFinished):
            self._write(f"■ {event.run.summary()}\n")

    def _executed(self, event: CodeExecuted) -> None:
        obs = event.observation
        texts = (obs.stdout, obs.stderr, *(str(d.get("text/plain", "")) for d in obs.displays), obs.result or "")
        shown = "\n".join(p.rstrip("\n") for p in texts if p.strip())
        if obs.images:
            shown += f"\n[{len(obs.images)} image(s)]"
        if shown.strip():
            self._write("┆ " + clip_lines(shown).replace("\n", "\n┆ ") + "\n")
        if obs.error:
            self._write("✗ " + clip_lines(obs.error, 12).replace("\n", "\n  ") + "\n")

    def close(self) -> None:
        if self._pending:
            self._write(self._pending + "\n")
            self._pending = ""


def _step_markdown(step: Step) -> str:
    parts = [f"#### Step {step.index}"]
    prose = prose_of(step.reply)
    if prose:
        parts.append(prose)
    if step.code:
        label = " (skipped)" if step.skipped else ""
        parts.append(f"```python\n{step.code}\n```{label}")
        if step.output.strip():
            parts.append("<details><summary>output</summary>\n\n```text\n" + clip_lines(step.output, 40) + "\n```\n</details>")
    return "\n\n".join(parts)


def markdown_transcript(run: Run, steps: bool = True, answer: bool = True) -> str:
    """Return a static Markdown transcript of ``run``: goal, steps, and (with ``answer``) the answer and a summary.

    Leave the answer out where the run's own result, shown right below, holds it (the widget view's leftover).
    """
    parts = [f"**autogpt** · `{run.model}` · {run.status}", "> " + run.goal.strip().replace("\n", "\n> ")]
    if steps:
        parts += [_step_markdown(s) for s in run.steps]
    if not answer:
        return "\n\n".join(parts)
    answer_text = run.answer_text()
    if answer_text:
        shown = answer_text if isinstance(run.answer, str) else f"```\n{answer_text}\n```"
        parts.append("**Answer**\n\n" + shown)
    parts.append(f"<sub>{run.summary()}</sub>")
    return "\n\n".join(parts)
