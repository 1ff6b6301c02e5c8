"""The live widget view (``ui/widgets/``): driven by events, left behind as static outputs, and its Stop button.

Widgets work without a kernel; clicks are simulated. Approval is ``test_approval.py``, click delivery
``test_clicks.py``, the HTML pieces ``test_html_parts.py``.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import ipywidgets
import pytest

from jupyter_autogpt import transcript
from jupyter_autogpt.events import ModelDelta, ModelReplied, Noticed, RunFinished, StepStarted
from jupyter_autogpt.interrupts import StopRequest
from jupyter_autogpt.transcript import MIME_TYPE
from jupyter_autogpt.types import Usage
from jupyter_autogpt.ui.base import Approving, Renderer, StopFlag
from jupyter_autogpt.ui.widgets import StaticTranscript, WidgetRenderer
from support.runs import PNG, REPLY, a_run, one_step, started
from support.views import DEAD, LIVE, WAIT, Handle, Ticker, make_view, open_widgets


@pytest.fixture
def handle() -> Handle:
    return Handle()


def test_renderer_implements_the_protocols(handle: Handle) -> None:
    request = StopRequest()
    view = make_view(handle, stop=request)
    assert isinstance(view, Renderer) and isinstance(view, Approving)
    assert isinstance(request, StopFlag) and view.stop_control.stop is request  # its Stop button sets the run's


def test_view_is_displayed_on_run_started_and_fed_by_events(handle: Handle) -> None:
    view = make_view(handle)
    events = list(one_step())
    view.handle(events[0])
    assert handle.shown == [view.view]
    assert "Add one and one" in view.header.value and "openai:gpt-4o-mini" in view.header.value
    assert "running" in view.header.value
    for event in events[1:-1]:
        view.handle(event)
    assert "step 1/3" in view.header.value
    assert "100 in / 20 out tokens" in view.header.value and "≈$0.0000" in view.header.value
    step = view._step_views[0]
    assert "I will add the numbers." in step.reasoning and "```" not in step.reasoning
    assert "print" in step.code and "<span" in step.code  # highlighted by pygments
    assert ">2</pre>" in step.output and "<td>42</td>" in step.output
    assert f"data:image/png;base64,{PNG}" in step.output
    assert step.title.startswith("Step 1 · I will add the numbers.")
    assert "<b>2</b>" in view.answer.value
    assert "a retry happened" in view.notices.value


def test_run_finished_replaces_the_view_by_a_static_transcript(handle: Handle) -> None:
    view = make_view(handle)
    for event in one_step():
        view.handle(event)
    assert "finished" in view.header.value
    assert len(handle.updates) == 1 and isinstance(handle.updates[0], StaticTranscript)
    bundle = handle.updates[0]._repr_mimebundle_()
    assert bundle["text/plain"] == "<autogpt run: finished, 1 step: The sum is **2**.>"  # no ids or timings: nbval
    assert bundle[MIME_TYPE]["steps"][0]["code"]  # the transcript JSON rides along for the labextension
    html = bundle["text/html"]
    assert "<details>" in html and "I will add the numbers." in html and "print" in html and "<td>42</td>" in html
    assert "finished" in html and "≈$0.0000" in html
    view.close()
    assert view.view.comm is None  # closed: the static output replaced it


def test_the_static_transcript_keeps_the_runs_notices_but_not_its_retries(handle: Handle) -> None:
    view = make_view(handle)
    for event in one_step():
        if isinstance(event, RunFinished):  # a replay's warning must outlive the live view (Run All, unwatched)
            view.handle(Noticed(1, "step 1 shows something else than when it was recorded", "warning"))
            view.handle(Noticed(1, "the model sent nothing; asking again", "retry"))
        view.handle(event)
    bundle = handle.updates[0]._repr_mimebundle_()
    assert "[warning] step 1 shows something else than when it was recorded" in bundle["text/html"]
    assert "[warning] step 1 shows something else than when it was recorded" in bundle["text/markdown"]
    assert "a retry happened" in bundle["text/html"]  # one_step's own notice is a warning, kept too
    assert "asking again" not in bundle["text/html"] + bundle["text/markdown"]
    view.close()


def test_the_static_transcript_and_the_cell_result_together_show_the_run_once(handle: Handle) -> None:
    view = make_view(handle)
    for event in one_step():
        view.handle(event)
    bundle = handle.updates[0]._repr_mimebundle_()
    result = a_run()._repr_markdown_()  # the %%autogpt cell's result, saved right below the transcript
    assert "The sum is **2**." in result and "finished · 1 step" in result
    for shown in (bundle["text/html"], bundle["text/markdown"]):
        assert "The sum is" not in shown and "1 step ·" not in shown  # not repeated above the result
    assert "I will add the numbers." in bundle["text/markdown"] and "print(1 + 1)" in bundle["text/markdown"]


def test_each_image_is_saved_once(handle: Handle) -> None:
    view = make_view(handle)
    for event in one_step():
        view.handle(event)
    bundle = handle.updates[0]._repr_mimebundle_()
    saved = json.dumps(bundle)
    assert saved.count(PNG) == 1 and f"data:image/png;base64,{PNG}" in bundle["text/html"]
    image_output = bundle[MIME_TYPE]["steps"][0]["outputs"][-1]
    assert set(image_output["data"]) == {"text/plain"}
    assert image_output["metadata"] == {"jupyter_autogpt": {"elided": ["image/png"]}}
    transcript.validate(bundle[MIME_TYPE])


def test_a_finished_run_leaves_no_widget_open(handle: Handle) -> None:
    before = open_widgets()
    view = make_view(handle)
    assert open_widgets() > before + 10  # layouts, button styles and inner boxes are widgets too
    events = list(one_step())
    for event in events[:-1]:
        view.handle(event)
    view.handle(StepStarted(2, 3))  # a second step adds its own widgets
    view.handle(RunFinished(a_run()))
    assert view._approval is None  # never asked: the approval panel's widgets were never built
    view.close()
    assert open_widgets() == before


def test_an_unfinished_run_leaves_a_snapshot_then_closes(handle: Handle) -> None:
    before = open_widgets()
    view = make_view(handle)
    view.handle(started())
    view.handle(StepStarted(1, 3))
    view.handle(ModelReplied(1, REPLY, Usage(1, 1), Usage(1, 1), 0.1))
    view.close()  # e.g. the loop broke off without RunFinished
    assert len(handle.updates) == 1  # the user sees what the view showed, not a blank output
    bundle = handle.updates[0]._repr_mimebundle_()
    assert "Add one and one" in bundle["text/html"] and "I will add the numbers." in bundle["text/html"]
    assert "ended before it finished" in bundle["text/plain"]
    assert view.view.comm is None and open_widgets() == before


def test_a_display_that_cannot_be_updated_gets_the_transcript_below() -> None:
    shown: list[Any] = []
    view = WidgetRenderer(display=lambda obj: shown.append(obj), delivery=LIVE)  # returns no handle
    for event in one_step():
        view.handle(event)
    view.close()
    assert [type(obj) for obj in shown] == [ipywidgets.VBox, StaticTranscript] and view.view.comm is None


def test_a_view_never_shown_just_closes(handle: Handle) -> None:
    before = open_widgets()
    make_view(handle).close()
    assert open_widgets() == before and not handle.shown and not handle.updates


def test_streaming_is_throttled_and_flushed_on_reply(handle: Handle) -> None:
    ticker = Ticker()
    view = make_view(handle, ticker=ticker)
    view.handle(started())
    view.handle(StepStarted(1, 1))
    step = view._step_views[0]
    updates = []
    step.widget.observe(lambda change: updates.append(change["new"]), names="value")
    for i in range(1000):  # 1000 deltas over one second of stream
        ticker.now = i / 1000
        view.handle(ModelDelta(1, f"t{i} "))
    assert 15 <= len(updates) <= 21
    view.handle(ModelReplied(1, "".join(f"t{i} " for i in range(1000)), Usage(1, 1), Usage(1, 1), 1.0))
    assert "t999" in step.reasoning


def test_comm_messages_stay_bounded_for_a_fast_stream(handle: Handle, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict] = []
    original = ipywidgets.Widget._send

    def counting(self: ipywidgets.Widget, msg: dict, buffers: Any = None) -> None:
        sent.append(msg)
        original(self, msg, buffers)

    monkeypatch.setattr(ipywidgets.Widget, "_send", counting)  # the third-party comm layer, not ours
    ticker = Ticker()
    view = make_view(handle, ticker=ticker)
    view.handle(started())
    view.handle(StepStarted(1, 1))
    before = len(sent)
    for i in range(500):  # a fast stream: 500 tokens, 1 ms apart on the ticker: half a second
        ticker.now = 10 + i / 1000
        view.handle(ModelDelta(1, f"t{i} "))
    during = len(sent) - before
    assert 10 <= during <= 24 * 0.5 + 2  # reasoning at most 20/s, header at most 4/s; and it did stream


def test_a_stop_click_sets_the_runs_request_from_another_thread(handle: Handle) -> None:
    request, ticker = StopRequest(), Ticker()
    view = make_view(handle, stop=request, ticker=ticker)
    view.handle(started())
    view.handle(StepStarted(1, 2))
    view.handle(ModelDelta(1, "thinking"))
    assert not request.is_set()
    clicker = threading.Thread(target=view.stop_control.button.click)  # as a subshell thread would
    clicker.start()
    clicker.join(timeout=WAIT)
    assert not clicker.is_alive()
    assert request.is_set() and view.stop_control.button.disabled
    assert view.stop_control.button.description == "Stopping…"
    view.handle(ModelDelta(1, " more"))  # the view only shows it: drive throws the cancellation (test_interrupts.py)
    assert "thinking more" in view._step_views[0].reasoning  # all that streamed, throttle or not
    ticker.now += 1.0  # the next delta may update the header
    view.handle(ModelDelta(1, " still"))
    assert "stopping…" in view.header.value
    view.handle(RunFinished(a_run("interrupted", None)))
    assert "interrupted" in view.header.value and view.stop_control.button.layout.display == "none"


def test_without_mid_cell_clicks_the_view_says_to_interrupt(handle: Handle) -> None:
    view = make_view(handle, DEAD)
    assert not view.can_approve()
    view.handle(started())
    assert "Interrupt (■)" in view.note.value and view.stop_control.button.layout.display == "none"


def test_a_retry_notice_drops_the_partial_stream(handle: Handle) -> None:
    view = make_view(handle)
    view.handle(started())
    view.handle(StepStarted(1, 10))
    for piece in ("half a repl", "y that broke"):
        view.handle(ModelDelta(1, piece))
    view.handle(Noticed(1, "the reply was cut off; asking again", "retry"))
    view.handle(ModelDelta(1, "fresh start"))
    view.handle(ModelReplied(1, "fresh start", Usage(1, 1), Usage(1, 1), 0.1))
    assert "fresh start" in view._step_views[0].reasoning
    assert "half a repl" not in view._step_views[0].reasoning
    assert "asking again" in view.notices.value


def test_only_the_current_step_is_open_and_each_step_is_one_widget(handle: Handle) -> None:
    view = make_view(handle)
    events = list(one_step())
    view.handle(events[0])
    view.handle(events[1])
    first = view._step_views[0]
    updates: list[str] = []
    first.widget.observe(lambda change: updates.append(change["new"]), names="value")
    for event in events[2:-1]:
        view.handle(event)
    assert first.widget.value.startswith("<details open>")  # the step running now is open
    before = open_widgets()
    view.handle(StepStarted(2, 3))
    assert open_widgets() == before + 1  # a step is one HTML widget sharing the view's layout and style
    assert first.widget.value.startswith("<details>") and "I will add the numbers." in first.widget.value
    assert first.title.startswith("Step 1 · ") and first.title in first.widget.value  # shown as it finished
    assert len(updates) == 2  # each a comm message with the whole step: running (the stream was faster than one
    # update interval: shown whole with its code), then done
    assert view._step_views[1].widget.value.startswith("<details open>")
    assert list(view.steps.children) == [first.widget, view._step_views[1].widget]
