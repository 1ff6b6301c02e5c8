"""A reasoning model's thinking in every view: collapsed (a closed ``<details>``), never shown as prose.

Replies of our own: thinking that drafts code the model then rejects, several thinking blocks, thinking only
(cut off), a closing tag the chat template opened, and a ``<|begin_of_thought|>`` variant.
"""

from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest

from jupyter_autogpt.events import ModelDelta, ModelReplied, StepStarted
from jupyter_autogpt.types import Run, Step, Usage
from jupyter_autogpt.ui import export
from jupyter_autogpt.ui.html_parts import reply_html, run_html, streaming_html
from jupyter_autogpt.ui.text import TextRenderer, markdown_transcript
from support.runs import started
from support.views import Handle, make_view

DRAFT = "wipe_everything()"
REPLIES = {
    "drafted-code": (
        f"<think>Maybe\n```python\n{DRAFT}\n```\nNo, too risky.</think>\nI will count rows.\n```python\nprint(len(df))\n```"
    ),
    "two-blocks": f"<think>first {DRAFT}</think><thinking>second thought</thinking>\nI will count rows.",
    "template-opened": f"The user wants rows; {DRAFT} would be wrong.\n</think>\nI will count rows.",
    "begin-of-thought": f"<|begin_of_thought|>plan: {DRAFT}<|end_of_thought|>\nI will count rows.",
}


class _Outside(HTMLParser):
    """Collect the text outside the thinking boxes (a ``<details>`` whose summary says "thinking"), and whether
    any thinking box is open."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict] = [{"text": [], "thinking": False}]
        self.in_summary, self.opened = False, False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "details":
            self.frames.append({"text": [], "thinking": False, "open": any(n == "open" for n, _ in attrs)})
        self.in_summary |= tag == "summary"

    def handle_endtag(self, tag: str) -> None:
        self.in_summary &= tag != "summary"
        if tag == "details" and len(self.frames) > 1:
            frame = self.frames.pop()
            self.opened |= frame["thinking"] and frame["open"]
            if not frame["thinking"]:
                self.frames[-1]["text"] += frame["text"]

    def handle_data(self, data: str) -> None:
        if self.in_summary and data.strip().startswith("thinking"):
            self.frames[-1]["thinking"] = True
        self.frames[-1]["text"].append(data)


def outside_details(html: str) -> tuple[str, bool]:
    parser = _Outside()
    parser.feed(html)
    return "".join(parser.frames[0]["text"]), parser.opened


@pytest.mark.parametrize("reply", list(REPLIES.values()), ids=list(REPLIES))
def test_thinking_is_collapsed_in_every_html_and_markdown_view(reply: str) -> None:
    step = Step(1, reply, "print(len(df))", "", None, None, Usage(1, 1))
    run = Run("count rows", "scripted", "finished", (step,), "42", Usage(1, 1), "r1")
    view = make_view(Handle())
    view.handle(started())
    view.handle(StepStarted(1, 3))
    view.handle(ModelReplied(1, reply, Usage(1, 1), Usage(1, 1), 0.1))
    shown = {
        "live": view._step_views[0].reasoning,
        "html": reply_html(reply),
        "static": run_html(run),
        "markdown": markdown_transcript(run),
        "notebook": "".join(c.source for c in export.to_notebook(run).cells),
    }
    for where, html in shown.items():
        prose, opened = outside_details(html)
        assert "I will count rows." in prose, where
        assert DRAFT not in prose and "<think" not in prose and "thought|>" not in prose, where
        assert DRAFT in html and "thinking ·" in html and not opened, where  # there, collapsed


def test_a_stream_still_thinking_shows_only_a_collapsed_thinking() -> None:
    html = streaming_html(f"<think>still going {DRAFT}")
    prose, opened = outside_details(html)
    assert "thinking…" in html and DRAFT not in prose and not opened
    later, _ = outside_details(streaming_html(f"<think>{DRAFT}</think>\nNow the step"))
    assert "Now the step" in later and DRAFT not in later


def test_the_text_view_leaves_the_thinking_out() -> None:
    out = io.StringIO()
    text = TextRenderer(stream=out)
    reply = REPLIES["drafted-code"]
    text.handle(StepStarted(1, 3))
    for i in range(0, len(reply), 5):  # chunks that split the tags themselves
        text.handle(ModelDelta(1, reply[i : i + 5]))
    text.handle(ModelReplied(1, reply, Usage(), Usage(), 0.0))
    printed = out.getvalue()
    assert "(thinking…)" in printed and "I will count rows." in printed and "print(len(df))" in printed
    assert DRAFT not in printed and "too risky" not in printed
