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
