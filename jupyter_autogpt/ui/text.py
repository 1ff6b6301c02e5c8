"""Plain-text and Markdown renderings of a run: terminal IPython, nbconvert, and saved notebooks."""

from __future__ import annotations

import re
import sys
from typing import TextIO

from ..context import RunContext
from ..events import (
    CodeExecuted,
    CodeProposed,
    Event,
    FinalAnswer,
    ModelDelta,
    ModelReplied,
    Noticed,
    PlanUpdated,
    RunFinished,
    RunStarted,
    StepStarted,
)
from ..limits import VIEW_OUTPUT_CHARS, clip, clip_lines, cut_middle
from ..plan import Plan
from ..protocol import parse_reply, split_thinking
from ..redaction import redact
from ..safe_markdown import code, fence, inert, literal
from ..types import Run, Step

__all__ = ["TextRenderer", "markdown_transcript", "printable", "reply_markdown", "thinking_markdown"]

#: Terminal escapes that move the cursor, set the title or the clipboard, or start a device string; colours stay.
_ESCAPES = re.compile(
    r"\x1b\[[0-9;]*m|(\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-_]?|\r(?!\n)|[\x00-\x08\x0b-\x1f\x7f-\x9f])"
)
_CLOSING = re.compile(r"</(?:think|thinking|reasoning|thought)>|<\|end_of_thought\|>", re.IGNORECASE)
CUT_NOTE = "\n… (the rest of this reply is not shown here; the run keeps it)\n"


def printable(text: str) -> str:
    """Return ``text`` without the control characters and escapes a terminal would act on (colours kept)."""
    return _ESCAPES.sub(lambda m: "" if m.group(1) else m.group(0), text).replace("\r\n", "\n")


class _Echo:
    """One reply as the terminal shows it: thinking left out (a line says so), whole lines, at most a bound."""

    def __init__(self) -> None:
        self.text = ""
        self.start: int | None = None  # where the shown part begins; None while that is not known yet
        self.thinking = False
        self.shown = 0

    def feed(self, delta: str, final: bool = False) -> str:
        """Add ``delta`` and return what is due on the terminal now (everything, when ``final``)."""
        self.text += delta
        note = self._locate(final, len(delta))
        if self.start is None:
            return note
        end = len(self.text) if final else self.text.rfind("\n") + 1
        begin = max(self.shown, self.start)
        if end <= begin or self.shown - self.start >= VIEW_OUTPUT_CHARS:
            return note
        chunk = self.text[begin:end]
        room = VIEW_OUTPUT_CHARS - max(0, begin - self.start)
        self.shown = end
        return note + printable(chunk if len(chunk) <= room else chunk[:room] + CUT_NOTE)

    def _locate(self, final: bool, added: int) -> str:
        if self.start is not None:
            return ""
        if not self.thinking:
            head = self.text.lstrip()
            if not final and len(head) < 32 and ">" not in head:
                return ""  # "<thi" may still become a thinking tag
            if not split_thinking(head[:64])[0] or head[:1] != "<":
                self.start = 0
                return ""
            self.thinking = True
            note = "(thinking…)\n"
        else:
            note = ""
        closing = _CLOSING.search(self.text, max(0, len(self.text) - added - 24))
        if closing is not None or final:
            self.start = closing.end() if closing is not None else len(self.text)
        return note


class TextRenderer:
    """Print a run's progress as it happens: the streamed reply, the code, what it printed, the answer.

    Model and step text is printed without terminal escapes (``printable``); a reasoning model's thinking is
    left out, and each reply is bounded.

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
        self._echo = _Echo()
        self._plan: Plan | None = None

    @property
    def out(self) -> TextIO:
        return self._stream or sys.stdout

    def _write(self, text: str) -> None:
        if text:
            self.out.write(text)
            self.out.flush()

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            goal = redact(event.goal.strip()).splitlines()
            self._write(f"▶ autogpt · {event.model} · goal: {printable(clip(goal[0] if goal else '', 100))}\n")
            self._write(context_lines(event.context))
        elif isinstance(event, StepStarted):
            self._echo = _Echo()
            self._write(f"\n── step {event.index}/{event.max_steps} ──\n")
        elif isinstance(event, ModelDelta) and self.stream_tokens:
            self._write(self._echo.feed(event.text))
        elif isinstance(event, ModelReplied):
            streamed = self.stream_tokens and bool(self._echo.text)
            out = self._echo.feed("", final=True) if streamed else _Echo().feed(event.text, final=True)
            self._write(out + ("\n" if out and not out.endswith("\n") else ""))
            self._echo = _Echo()
        elif isinstance(event, CodeProposed) and event.flags:
            self._write(f"⚠ flagged: {', '.join(event.flags)}\n")
        elif isinstance(event, CodeExecuted):
            self._executed(event)
        else:
            self._other(event)

    def _other(self, event: Event) -> None:
        if isinstance(event, PlanUpdated):
            self._write(plan_change(self._plan, event.plan))
            self._plan = event.plan
        elif isinstance(event, Noticed):
            partial = event.level == "retry" and self._echo.text.strip()
            if event.level == "retry":
                self._echo = _Echo()
            discarded = " (the partial reply above is discarded)" if partial else ""
            self._write(f"[{event.level}] {printable(clip(event.message, 500))}{discarded}\n")
        elif isinstance(event, FinalAnswer):
            self._write(f"\n✔ answer: {printable(clip_lines(event.text, 10))}\n")
        elif isinstance(event, RunFinished):
            self._write(f"■ {printable(event.run.summary())}\n")

    def _executed(self, event: CodeExecuted) -> None:
        obs = event.observation
        texts = (obs.stdout, obs.stderr, *(str(d.get("text/plain", "")) for d in obs.displays), obs.result or "")
        shown = "\n".join(p.rstrip("\n") for p in texts if p.strip())
        if obs.images:
            shown += f"\n[{len(obs.images)} image(s)]"
        if shown.strip():
            self._write("┆ " + printable(clip_lines(shown)).replace("\n", "\n┆ ") + "\n")
        if obs.error:
            self._write("✗ " + printable(clip_lines(obs.error, 12)).replace("\n", "\n  ") + "\n")

    def close(self) -> None:
        self._write(self._echo.feed("", final=True))
        self._echo = _Echo()


def context_lines(context: RunContext) -> str:
    """Return the lines saying what steered a run besides its goal: the run it follows up, instructions, cells seen."""
    lines = []
    if context.thread.runs:
        parent = context.thread.runs[-1]
        lines.append(f"↳ follows up run {parent.id} ({clip(' '.join(parent.goal.split()), 60)}) · "
                     f"run {context.thread.length + 1} of this conversation")
    if context.instructions:
        lines.append(f"standing instructions: {', '.join(context.instructions.sources)}")
    if context.notebook:
        seen = [f"In [{c.number}]" for c in context.notebook.cells]
        seen += [f"the error of In [{context.notebook.error_cell}]"] if context.notebook.traceback else []
        lines.append("the model sees your cells " + ", ".join(seen))
    return "".join(f"ⓘ {printable(line)}\n" for line in lines)


def plan_change(before: Plan | None, after: Plan) -> str:
    """Return what the terminal prints when the plan changes: the whole checklist when its items changed, else
    the items just ticked."""
    if before is not None and before.texts == after.texts:
        ticked = [f"✓ {n}. {item.text}" for n, (was, item) in enumerate(zip(before.items, after.items, strict=True), 1)
                  if item.state == "done" and was.state != "done"]
        return "".join(printable(t) + "\n" for t in ticked)
    title = "plan" if before is None else ("plan, edited by you" if after.by == "user" else "revised plan")
    return printable(f"{title}:\n" + after.numbered()) + "\n"


def context_markdown(context: RunContext) -> list[str]:
    """Return Markdown pieces for the run this one follows up and the standing instructions (collapsed)."""
    pieces = []
    if context.thread.runs:
        parent = context.thread.runs[-1]
        goal = clip(" ".join(parent.goal.split()), 80)
        pieces.append(f"↳ follows up run {code(parent.id)} ({literal(goal)}) · run {context.thread.length + 1} of "
                      "this conversation")
    if context.instructions:
        sources = literal(", ".join(context.instructions.sources))
        pieces.append(f"<details><summary>standing instructions · {sources}</summary>"
                      + fence(context.instructions.text, "text") + "</details>")
    return pieces


def plan_markdown(plan: Plan) -> str:
    """Return the plan as a Markdown task list (model text inert): ``- [x]`` for the items done."""
    edited = " · edited by you" if plan.by == "user" else ""
    rows = [f"- [{'x' if i.state == 'done' else ' '}] {inert(i.text)}" for i in plan.items] or ["_(no items)_"]
    return f"**Plan** · {plan.done}/{len(plan.items)} done{edited}\n\n" + "\n".join(rows)


def thinking_markdown(thinking: str) -> str:
    """Return a reasoning model's thinking as a collapsed ``<details>`` in Markdown (never as prose)."""
    if not thinking.strip():
        return ""
    body = fence(cut_middle(thinking.strip("\n"), VIEW_OUTPUT_CHARS), "text")
    return f"<details><summary>thinking · {len(thinking):,} characters</summary>{body}</details>"


def reply_markdown(reply: str) -> list[str]:
    """Return what a reply says as inert Markdown pieces: its thinking collapsed, then its prose (bounded)."""
    parsed = parse_reply(reply)
    prose = parsed.prose if parsed.code is not None else parsed.body.strip()
    pieces = [thinking_markdown(parsed.thinking), inert(cut_middle(prose, VIEW_OUTPUT_CHARS))]
    return [p for p in pieces if p]


def _step_markdown(step: Step) -> str:
    parts = [f"#### Step {step.index}", *reply_markdown(step.reply)]
    if step.code:
        parts.append(fence(step.code, "python").strip("\n"))
        if step.skipped:
            parts.append("_(skipped: the code did not run)_")
        elif step.output.strip():
            parts.append("<details><summary>output</summary>" + fence(clip_lines(step.output, 40), "text") + "</details>")
    return "\n\n".join(parts)


def markdown_transcript(run: Run, steps: bool = True, answer: bool = True) -> str:
    """Return a static Markdown transcript of ``run``: goal, steps, and (with ``answer``) the answer and a summary.

    Model text goes in inert (``safe_markdown``): a frontend renders it as text, never as HTML or a script.
    Leave the answer out where the run's own result, shown right below, holds it (the widget view's leftover).
    """
    goal = inert(cut_middle(run.goal.strip(), VIEW_OUTPUT_CHARS))
    parts = [f"**autogpt** · {code(run.model)} · {literal(run.status)}", *context_markdown(run.context),
             "> " + goal.replace("\n", "\n> ")]
    if run.plan is not None:
        parts.append(plan_markdown(run.plan))
    if steps:
        parts += [_step_markdown(s) for s in run.steps]
    if not answer:
        return "\n\n".join(parts)
    answer_text = run.answer_text()
    if answer_text:
        shown = inert(answer_text) if run.answer_is_text else fence(answer_text).strip("\n")
        parts.append("**Answer**\n\n" + shown)
    parts.append(f"<sub>{literal(run.summary())}</sub>")
    return "\n\n".join(parts)
