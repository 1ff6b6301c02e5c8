"""The text view (``ui/text.py``): what terminal IPython and nbconvert show of a run."""

from __future__ import annotations

import io

from jupyter_autogpt.events import ModelDelta, ModelReplied, Noticed, StepStarted
from jupyter_autogpt.types import Usage
from jupyter_autogpt.ui.text import TextRenderer


def test_the_text_view_says_a_partial_reply_is_discarded() -> None:
    out = io.StringIO()
    text = TextRenderer(stream=out)
    for event in (
        StepStarted(1, 3),
        ModelDelta(1, "half a repl"),
        Noticed(1, "cut off; asking again", "retry"),
        ModelDelta(1, "whole reply\n"),
        ModelReplied(1, "whole reply\n", Usage(), Usage(), 0.0),
    ):
        text.handle(event)
    assert "discarded" in out.getvalue() and "half a repl" not in out.getvalue()


def test_the_text_view_prints_no_escape_a_terminal_would_act_on() -> None:
    """Model and step text that sets the clipboard, retitles the window, moves the cursor or rewrites a line."""
    from jupyter_autogpt.events import CodeExecuted, FinalAnswer
    from jupyter_autogpt.types import Observation

    tricks = [
        "\x1b]52;c;cm0gLXJmIH4=\x07",  # OSC 52: write to the clipboard
        "\x1b]0;owned\x07",  # window title
        "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",  # a hyperlink hiding its target
        "\x1b[2J\x1b[H",  # clear the screen
        "\x1b[1A\x1b[2K",  # up one line, erase it
        "safe\rSPOOF",  # carriage return over a line
        "\x9b31m",  # an 8-bit CSI
        "\x1bP+q544e\x1b\\",  # a device control string
        "\x07\x08\x00",  # bell, backspace, NUL
    ]
    out = io.StringIO()
    text = TextRenderer(stream=out)
    joined = "".join(tricks)
    text.handle(StepStarted(1, 3))
    text.handle(ModelDelta(1, f"Reply {joined}\nmore\n"))
    text.handle(ModelReplied(1, f"Reply {joined}\nmore\n", Usage(), Usage(), 0.0))
    text.handle(CodeExecuted(1, "print()", Observation(stdout=f"out {joined}\n", error=f"err {joined}")))
    text.handle(Noticed(1, f"note {joined}", "warning"))
    text.handle(FinalAnswer(joined, f"answer {joined}"))
    printed = out.getvalue()
    assert "\x1b" not in printed.replace("\x1b[31m", "").replace("\x1b[0m", "")
    assert not any(c in printed for c in "\r\x07\x08\x00\x9b")
    assert "Reply" in printed and "link" in printed and "SPOOF" in printed  # the words stay, the escapes go


def test_colours_in_step_output_survive_in_the_terminal() -> None:
    from jupyter_autogpt.events import CodeExecuted
    from jupyter_autogpt.types import Observation

    out = io.StringIO()
    TextRenderer(stream=out).handle(CodeExecuted(1, "x", Observation(stdout="\x1b[31mred\x1b[0m\n")))
    assert "\x1b[31mred\x1b[0m" in out.getvalue()
