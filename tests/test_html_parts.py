"""The HTML pieces shared by the live view and the static transcript (``ui/html_parts.py``), and every view's prose."""

from __future__ import annotations

import pytest

from jupyter_autogpt.events import ModelReplied, StepStarted
from jupyter_autogpt.types import Observation, Run, Step, Usage
from jupyter_autogpt.ui.html_parts import code_html, markdown_html, observation_html, run_html
from support.runs import started
from support.views import Handle, make_view


def test_markdown_converter_escapes_html_and_highlights_fences() -> None:
    out = markdown_html("# Title\n\nSome **bold** and `code` <script>x</script>\n\n- a\n- b\n\n```python\nx = 1\n```")
    assert "<h3>Title</h3>" in out and "<b>bold</b>" in out and "<code>code</code>" in out
    assert "&lt;script&gt;" in out and "<ul><li>a</li><li>b</li></ul>" in out
    assert "<span" in code_html("x = 1")


@pytest.mark.parametrize(
    "reply",
    [
        "Look at it.\n~~~python\nprint(1 + 1)\n~~~\nThen decide.",
        'Look at it.\n````python\nprint("```")\n````\nThen decide.',
        "Look at it.\n```py\nprint(1 + 1)\n```\nThen decide.",
    ],
)
def test_every_view_takes_the_prose_of_a_reply_as_the_protocol_does(reply: str) -> None:
    from jupyter_autogpt.protocol import parse_reply
    from jupyter_autogpt.ui.text import markdown_transcript

    parsed = parse_reply(reply)
    assert parsed.code is not None and parsed.prose == "Look at it.\n\nThen decide."
    view = make_view(Handle())
    view.handle(started())
    view.handle(StepStarted(1, 3))
    view.handle(ModelReplied(1, reply, Usage(1, 1), Usage(1, 1), 0.1))
    step = Step(1, reply, parsed.code, "", None, None, Usage(1, 1))
    run = Run("goal", "scripted", "finished", (step,), "done", Usage(1, 1), "r1")
    shown = {
        "live": view._step_views[0].reasoning,
        "html": run_html(run).split("</summary>", 1)[1].split("<pre", 1)[0],
        "markdown": markdown_transcript(run).split("#### Step 1", 1)[1].split("```python", 1)[0],
    }
    for where, text in shown.items():
        assert "Look at it." in text and "Then decide." in text, where
        assert "print" not in text and "~~~" not in text, where


def test_markdown_renders_tilde_and_long_fences_as_code() -> None:
    out = markdown_html("Before\n\n~~~text\na ~~~ b\n~~~\n\n````\nx = '```'\n````\n\nAfter")
    assert out.count("<pre") == 2 and "<p>Before</p>" in out and "<p>After</p>" in out
    assert "a ~~~ b" in out and "~~~</p>" not in out


def test_oversized_html_is_never_cut_mid_markup() -> None:
    from jupyter_autogpt.limits import VIEW_OUTPUT_CHARS as OUTPUT_CHARS

    table = "<table>" + "<tr><td>cell</td></tr>" * (OUTPUT_CHARS // 10) + "</table>"
    shown = observation_html(Observation(displays=({"text/html": table},)))
    assert "<table>" not in shown and "too long to show here" in shown
    small = observation_html(Observation(displays=({"text/html": "<b>ok</b>"},)))
    assert "<b>ok</b>" in small


def test_the_header_redacts_a_key_in_the_goal_before_cutting_it(monkeypatch) -> None:
    """A key expanded into a goal by IPython; at the header's cut too, no piece of it shows."""
    import time

    from jupyter_autogpt.events import RunStarted
    from jupyter_autogpt.limits import HEADER_GOAL_CHARS
    from jupyter_autogpt.types import RunConfig
    from jupyter_autogpt.ui.html_parts import header_html

    key = "tok-" + "Hh7" * 12
    monkeypatch.setenv("WAREHOUSE_TOKEN", key)
    for goal in (f"check {key} works", "x" * (HEADER_GOAL_CHARS - 10) + key):
        html = header_html(RunStarted("r", goal, "m", RunConfig(), time.time()), "running", (1, 3), Usage(), time.time())
        assert all(key[i : i + 8] not in html for i in range(len(key) - 8)), goal[:20]
