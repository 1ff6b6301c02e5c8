"""HTML injection from model text: every view, HTML or Markdown, of every hostile input is inert.

The inputs are ``support.hostile.HOSTILE`` (links with quotes, ``javascript:``/``data:`` URLs, entity tricks, raw
``<script>``/``<iframe>``/``<svg onload>``, nested fences …). Each one goes in as a reply's prose, a reply's
thinking, a step's displayed HTML and Markdown, printed output, a notice and the final answer; what comes out
of the live view, the static transcript, the run's own Markdown, the display bundle and the exported notebook
is checked by a parser. ``tests/browser/test_hostile_browser.py`` checks the same in JupyterLab + Chromium.
"""

from __future__ import annotations

import ipywidgets as w
import pytest

from jupyter_autogpt.events import (
    CodeExecuted,
    CodeProposed,
    FinalAnswer,
    ModelDelta,
    ModelReplied,
    Noticed,
    RunFinished,
    StepFinished,
    StepStarted,
)
from jupyter_autogpt.types import Observation, Run, Step, Usage
from jupyter_autogpt.ui import export
from jupyter_autogpt.ui.html_parts import markdown_html, observation_html, reply_html, run_html, streaming_html
from jupyter_autogpt.ui.sanitize import clean
from jupyter_autogpt.ui.text import markdown_transcript
from jupyter_autogpt.ui.widgets.static import Snapshot, StaticTranscript
from support.hostile import HOSTILE, assert_inert, render_markdown, visible_text
from support.runs import started
from support.views import Handle, make_view

CASES = pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))


def hostile_run(text: str, answer: object = None) -> Run:
    reply = f"{text}\n```python\nshow()\n```\n{text}"
    obs = Observation(stdout=text, displays=({"text/html": text}, {"text/markdown": text}), duration=0.1)
    steps = (Step(1, reply, "show()", text, None, obs, Usage(1, 1)), Step(2, text, None, "", None, None, Usage(1, 1)))
    return Run(text, "scripted", "finished", steps, text if answer is None else answer, Usage(2, 2), "r1")


def html_values(root: object) -> list[str]:
    """Return the value of every HTML widget reachable from ``root``."""
    found, stack = [], [root]
    while stack:
        widget = stack.pop()
        if isinstance(widget, w.HTML):
            found.append(widget.value)
        stack += list(getattr(widget, "children", ()))
    return found


@CASES
def test_every_html_piece_of_hostile_text_is_inert(text: str) -> None:
    run = hostile_run(text)
    obs = run.steps[0].observation
    assert obs is not None
    pieces = {
        "markdown": markdown_html(text),
        "reply": reply_html(run.steps[0].reply),
        "streaming": streaming_html(text),
        "thinking": reply_html(f"<think>{text}</think>\n{text}"),
        "observation": observation_html(obs),
        "static transcript": run_html(run),
        "bundle": StaticTranscript(run)._repr_mimebundle_()["text/html"],
        "snapshot": Snapshot(f"<div>{text}</div>")._repr_mimebundle_()["text/html"],
        "sanitiser": clean(text),
    }
    for where, html in pieces.items():
        assert_inert(html, where)


@CASES
def test_the_live_view_stays_inert_at_every_event(text: str) -> None:
    run = hostile_run(text)
    step = run.steps[0]
    assert step.observation is not None
    handle = Handle()
    view = make_view(handle)
    events = [started(), StepStarted(1, 3), *(ModelDelta(1, step.reply[i : i + 7]) for i in range(0, len(step.reply), 7))]
    events += [ModelReplied(1, step.reply, Usage(1, 1), Usage(1, 1), 0.1), CodeProposed(1, text, (text,))]
    events += [CodeExecuted(1, text, step.observation), StepFinished(step), Noticed(1, text, "warning")]
    events += [FinalAnswer(text, run.answer_text()), RunFinished(run)]
    for event in events:
        view.handle(event)
        for value in html_values(view.view):
            assert_inert(value, type(event).__name__)
    final = handle.updates[-1]._repr_mimebundle_()
    assert_inert(final["text/html"], "the static transcript the view leaves")


@CASES
def test_every_markdown_view_of_hostile_text_renders_inert(text: str) -> None:
    import nbformat

    run = hostile_run(text)
    markdowns = {
        "run result": run._repr_markdown_(),
        "transcript": markdown_transcript(run),
        "bundle": export.mime_bundle(run)["text/markdown"],
        "static": StaticTranscript(run)._repr_mimebundle_()["text/markdown"],
        "repr answer": hostile_run(text, answer=[text])._repr_markdown_(),
    }
    notebook = export.to_notebook(run)
    nbformat.validate(notebook)
    for i, notebook_cell in enumerate(notebook.cells):
        if notebook_cell.cell_type == "markdown":
            markdowns[f"notebook cell {i}"] = notebook_cell.source
    for where, markdown in markdowns.items():
        assert_inert(render_markdown(markdown), where)


@pytest.mark.parametrize("name", ["img-onerror", "script", "javascript-link", "quote-breakout", "code-span-breakout"])
def test_hostile_text_is_shown_as_written(name: str) -> None:
    """Inert is not erased: the reader still sees what the model wrote, as text."""
    text = HOSTILE[name]
    visible = {
        "markdown": visible_text(render_markdown(Run("g", "m", "finished", answer=text)._repr_markdown_())),
        "html": visible_text(markdown_html(text)),
    }
    core = text.strip("`*").replace("\\", "")
    for where, shown in visible.items():
        assert core in shown, (where, shown)


def test_what_a_reader_needs_survives_the_sanitiser() -> None:
    pd = pytest.importorskip("pandas")
    table = pd.DataFrame({"region": ["north", "south"], "sales": [10, 30]})._repr_html_()
    shown = observation_html(Observation(displays=({"text/html": table},)))
    assert '<table border="1" class="dataframe">' in shown and "<td>30</td>" in shown
    link = markdown_html("Read [the docs](https://pandas.pydata.org/docs/?a=1&b=2).")
    assert 'href="https://pandas.pydata.org/docs/?a=1&amp;b=2"' in link and 'rel="noopener noreferrer"' in link
    assert "color:" in markdown_html("```python\ndef f(): return 1\n```")  # highlighting's inline colours
    md = render_markdown(Run("g", "m", "finished", answer="See [docs](https://x.org) and `a<b`, **bold**.")._repr_markdown_())
    assert '<a href="https://x.org">docs</a>' in md and "<strong>bold</strong>" in md
    assert "<code>a&lt;b</code>" in md and "a<b" in visible_text(md)
