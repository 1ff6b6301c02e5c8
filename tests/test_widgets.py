"""The live widget view, driven by events (widgets work without a kernel; clicks are simulated)."""

from __future__ import annotations

import json
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import ipywidgets
import pytest

from jupyter_autogpt import transcript
from jupyter_autogpt.events import (
    CodeExecuted,
    CodeProposed,
    Event,
    FinalAnswer,
    ModelDelta,
    ModelReplied,
    Noticed,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from jupyter_autogpt.transcript import MIME_TYPE
from jupyter_autogpt.types import Decision, ImageData, Observation, Run, RunConfig, Step, Usage
from jupyter_autogpt.ui import clicks
from jupyter_autogpt.ui._widget_html import code_html, markdown_html
from jupyter_autogpt.ui.base import Approving, Renderer, Stoppable
from jupyter_autogpt.ui.widgets import StaticTranscript, WidgetRenderer

WAIT = 10.0  # seconds: a bound for thread hand-offs that take microseconds, so a bug fails instead of hanging
LIVE = clicks.ClickDelivery("native", "test: clicks arrive")
DEAD = clicks.ClickDelivery("none", "test: no subshells")
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
REPLY = "I will add the numbers.\n```python\nprint(1 + 1)\n```"


class Handle:
    """Records what a display showed and how it was updated (stands in for IPython's DisplayHandle)."""

    def __init__(self) -> None:
        self.shown: list[Any] = []
        self.updates: list[Any] = []

    def __call__(self, obj: Any) -> Handle:
        self.shown.append(obj)
        return self

    def update(self, obj: Any) -> None:
        self.updates.append(obj)


@pytest.fixture
def handle() -> Handle:
    return Handle()


class Ticker:
    """A monotonic clock the test advances by hand (paces throttled updates without sleeping)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def renderer(handle: Handle, delivery: clicks.ClickDelivery = LIVE, **options: Any) -> WidgetRenderer:
    return WidgetRenderer(display=handle, delivery=delivery, **options)


def open_widgets() -> int:
    """Return how many widgets the kernel side holds (each one an open comm)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the registry is deprecated as API, not removed
        return len(ipywidgets.Widget.widgets)


def started(model: str = "openai:gpt-4o-mini", **config: Any) -> RunStarted:
    return RunStarted("r1", "Add one and one\nsecond line", model, RunConfig(model=model, **config), time.time())


def observation() -> Observation:
    table = {"text/html": "<table><tr><td>42</td></tr></table>", "text/plain": "42"}
    return Observation(stdout="2\n", displays=(table,), images=(ImageData("image/png", PNG),), duration=0.01)


def a_run(status: str = "finished", answer: Any = "The sum is **2**.") -> Run:
    obs = observation()
    step = Step(1, REPLY, "print(1 + 1)", "2", None, obs, Usage(100, 20))
    return Run("Add one and one", "openai:gpt-4o-mini", status, (step,), answer, Usage(100, 20), "r1")  # type: ignore[arg-type]


def one_step() -> Iterator[Event]:
    usage = Usage(100, 20)
    yield started()
    yield StepStarted(1, 3)
    for piece in ("I will ", "add the numbers.\n", "```python\nprint(1 + 1)\n```"):
        yield ModelDelta(1, piece)
    yield ModelReplied(1, REPLY, usage, usage, 0.2)
    yield CodeProposed(1, "print(1 + 1)")
    yield CodeExecuted(1, "print(1 + 1)", observation())
    yield StepFinished(Step(1, REPLY, "print(1 + 1)", "2", None, observation(), usage))
    yield Noticed(1, "a retry happened", "warning")
    yield FinalAnswer("The sum is **2**.", "The sum is **2**.")
    yield RunFinished(a_run())


def test_renderer_implements_the_protocols(handle: Handle) -> None:
    view = renderer(handle)
    assert isinstance(view, Renderer) and isinstance(view, Stoppable) and isinstance(view, Approving)


def test_view_is_displayed_on_run_started_and_fed_by_events(handle: Handle) -> None:
    view = renderer(handle)
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
    assert "I will add the numbers." in step.reasoning.value and "```" not in step.reasoning.value
    assert "print" in step.code.value and "<span" in step.code.value  # highlighted by pygments
    assert ">2</pre>" in step.output.value and "<td>42</td>" in step.output.value
    assert f"data:image/png;base64,{PNG}" in step.output.value
    assert view.steps.titles[0].startswith("Step 1 · I will add the numbers.")
    assert "<b>2</b>" in view.answer.value
    assert "a retry happened" in view.notices.value


def test_run_finished_replaces_the_view_by_a_static_transcript(handle: Handle) -> None:
    view = renderer(handle)
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


def test_the_static_transcript_and_the_cell_result_together_show_the_run_once(handle: Handle) -> None:
    view = renderer(handle)
    for event in one_step():
        view.handle(event)
    bundle = handle.updates[0]._repr_mimebundle_()
    result = a_run()._repr_markdown_()  # the %%autogpt cell's result, saved right below the transcript
    assert "The sum is **2**." in result and "finished · 1 step" in result
    for shown in (bundle["text/html"], bundle["text/markdown"]):
        assert "The sum is" not in shown and "1 step ·" not in shown  # not repeated above the result
    assert "I will add the numbers." in bundle["text/markdown"] and "print(1 + 1)" in bundle["text/markdown"]


def test_each_image_is_saved_once(handle: Handle) -> None:
    view = renderer(handle)
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
    view = renderer(handle)
    assert open_widgets() > before + 20  # layouts, button styles and inner boxes are widgets too
    events = list(one_step())
    for event in events[:-1]:
        view.handle(event)
    view.handle(StepStarted(2, 3))  # a second step adds its own widgets
    view.handle(RunFinished(a_run()))
    view.close()
    assert open_widgets() == before


def test_an_unfinished_run_leaves_a_snapshot_then_closes(handle: Handle) -> None:
    before = open_widgets()
    view = renderer(handle)
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
    renderer(handle).close()
    assert open_widgets() == before and not handle.shown and not handle.updates


def test_streaming_is_throttled_and_flushed_on_reply(handle: Handle) -> None:
    ticker = Ticker()
    view = renderer(handle, ticker=ticker)
    view.handle(started())
    view.handle(StepStarted(1, 1))
    step = view._step_views[0]
    updates = []
    step.reasoning.observe(lambda change: updates.append(change["new"]), names="value")
    for i in range(1000):  # 1000 deltas over one second of stream
        ticker.now = i / 1000
        view.handle(ModelDelta(1, f"t{i} "))
    assert 15 <= len(updates) <= 21
    view.handle(ModelReplied(1, "".join(f"t{i} " for i in range(1000)), Usage(1, 1), Usage(1, 1), 1.0))
    assert "t999" in step.reasoning.value


def test_comm_messages_stay_bounded_for_a_fast_stream(handle: Handle, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict] = []
    original = ipywidgets.Widget._send

    def counting(self: ipywidgets.Widget, msg: dict, buffers: Any = None) -> None:
        sent.append(msg)
        original(self, msg, buffers)

    monkeypatch.setattr(ipywidgets.Widget, "_send", counting)  # the third-party comm layer, not ours
    ticker = Ticker()
    view = renderer(handle, ticker=ticker)
    view.handle(started())
    view.handle(StepStarted(1, 1))
    before = len(sent)
    for i in range(500):  # a fast stream: 500 tokens, 1 ms apart on the ticker: half a second
        ticker.now = 10 + i / 1000
        view.handle(ModelDelta(1, f"t{i} "))
    during = len(sent) - before
    assert 10 <= during <= 24 * 0.5 + 2  # reasoning at most 20/s, header at most 4/s; and it did stream


def test_stop_click_is_seen_at_step_boundaries_and_cuts_a_stream(handle: Handle) -> None:
    view = renderer(handle)
    view.handle(started())
    view.handle(StepStarted(1, 2))
    view.handle(ModelDelta(1, "thinking"))
    assert not view.stop_requested()
    clicker = threading.Thread(target=view.stop_button.click)  # as a subshell thread would
    clicker.start()
    clicker.join(timeout=10)
    assert not clicker.is_alive()
    assert view.stop_requested() and view.stop_button.disabled
    with pytest.raises(KeyboardInterrupt):
        view.handle(ModelDelta(1, " more"))
    view.handle(ModelDelta(1, " later"))  # raised once only
    view.handle(RunFinished(a_run("interrupted", None)))
    assert "interrupted" in view.header.value


def test_without_mid_cell_clicks_the_view_says_to_interrupt(handle: Handle) -> None:
    view = renderer(handle, DEAD)
    assert not view.can_approve()
    view.handle(started())
    assert "Interrupt (■)" in view.note.value and view.stop_button.layout.display == "none"


def approve_with(view: WidgetRenderer, proposal: CodeProposed, *clicks: Callable[[], None]) -> Decision:
    """Return ``view.approve(proposal)``, doing ``clicks`` once the panel is shown; fail instead of hanging.

    ``approve`` runs on a worker thread (the clicks come from this one, as from a kernel subshell); the clicks
    wait for the panel's ``display`` trait to turn on, which ``show`` does after it reset the previous answer.
    """
    shown = threading.Event()

    def on_display(change: dict[str, Any]) -> None:
        if change["new"] == "flex":
            shown.set()

    layout = view.approval.box.layout
    layout.observe(on_display, names="display")
    decisions: list[Decision] = []
    worker = threading.Thread(target=lambda: decisions.append(view.approve(proposal)), daemon=True)
    worker.start()
    try:
        if clicks:
            assert shown.wait(WAIT), "the approval panel was never shown"
        for click in clicks:
            click()
        worker.join(WAIT)
    finally:
        layout.unobserve(on_display, names="display")
        if worker.is_alive():
            view.approval.cancel()  # unblock it, then fail
            worker.join(WAIT)
            pytest.fail("approve() did not return after the clicks")
    return decisions[0]


def asking(handle: Handle) -> tuple[WidgetRenderer, CodeProposed]:
    view = renderer(handle)
    view.handle(started(approve=True))
    view.handle(StepStarted(1, 3))
    proposal = CodeProposed(1, "print('hi')", ("writes files",))
    view.handle(proposal)
    return view, proposal


def test_approval_edit_then_run_returns_the_edited_code(handle: Handle) -> None:
    view, proposal = asking(handle)
    panel = view.approval
    seen: list[tuple[str, bool]] = []

    def edit() -> None:
        seen.append((panel.editor.value, panel.editor.disabled))
        panel.buttons["edit"].click()
        seen.append((panel.editor.value, panel.editor.disabled))
        panel.editor.value = "print('edited')"
        panel.feedback.value = "use the other file"

    decision = approve_with(view, proposal, edit, panel.buttons["run"].click)
    assert seen == [("print('hi')", True), ("print('hi')", False)]
    assert decision == Decision("run", code="print('edited')", feedback="use the other file")
    assert panel.box.layout.display == "none" and "running" in view.header.value


def test_approval_run_unedited_skip_and_stop(handle: Handle) -> None:
    view, proposal = asking(handle)
    buttons = view.approval.buttons
    assert approve_with(view, proposal, buttons["run"].click) == Decision("run")
    feedback = lambda: setattr(view.approval.feedback, "value", "not now")  # noqa: E731
    assert approve_with(view, proposal, feedback, buttons["skip"].click) == Decision("skip", feedback="not now")
    assert approve_with(view, proposal, buttons["stop"].click) == Decision("stop")


def test_main_stop_button_answers_a_waiting_approval(handle: Handle) -> None:
    view, proposal = asking(handle)
    assert approve_with(view, proposal, view.stop_button.click) == Decision("stop")
    assert approve_with(view, proposal) == Decision("stop")  # later proposals stop at once


def test_approval_refuses_when_the_frontend_has_no_subshell(handle: Handle) -> None:
    from jupyter_autogpt.errors import RunCancelled

    view = renderer(handle, subshell_wait=clicks.SubshellWait(found=lambda: False, grace=0.0))
    view.handle(started(approve=True))
    view.handle(StepStarted(1, 3))
    proposal = CodeProposed(1, "print('hi')")
    view.handle(proposal)
    with pytest.raises(RunCancelled, match="--policy auto"):
        view.approve(proposal)


def test_approval_waits_for_a_subshell_that_appears(handle: Handle) -> None:
    answers, pauses = iter([False, False, True]), []
    wait = clicks.SubshellWait(found=lambda: next(answers), grace=60.0, pause=pauses.append)
    view = renderer(handle, subshell_wait=wait)
    view.handle(started(approve=True))
    view.handle(StepStarted(1, 3))
    proposal = CodeProposed(1, "print('hi')")
    view.handle(proposal)
    assert approve_with(view, proposal, view.approval.buttons["run"].click) == Decision("run")
    assert pauses == [wait.interval, wait.interval]  # asked again after each pause, never slept here


def test_markdown_converter_escapes_html_and_highlights_fences() -> None:
    out = markdown_html("# Title\n\nSome **bold** and `code` <script>x</script>\n\n- a\n- b\n\n```python\nx = 1\n```")
    assert "<h3>Title</h3>" in out and "<b>bold</b>" in out and "<code>code</code>" in out
    assert "&lt;script&gt;" in out and "<ul><li>a</li><li>b</li></ul>" in out
    assert "<span" in code_html("x = 1")


def test_a_retry_notice_drops_the_partial_stream(handle: Handle) -> None:
    view = renderer(handle)
    view.handle(started())
    view.handle(StepStarted(1, 10))
    for piece in ("half a repl", "y that broke"):
        view.handle(ModelDelta(1, piece))
    view.handle(Noticed(1, "the reply was cut off; asking again", "retry"))
    view.handle(ModelDelta(1, "fresh start"))
    view.handle(ModelReplied(1, "fresh start", Usage(1, 1), Usage(1, 1), 0.1))
    assert "fresh start" in view._step_views[0].reasoning.value
    assert "half a repl" not in view._step_views[0].reasoning.value
    assert "asking again" in view.notices.value


def test_the_text_view_says_a_partial_reply_is_discarded() -> None:
    import io

    from jupyter_autogpt.ui.text import TextRenderer

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


@pytest.mark.parametrize(
    "reply",
    [
        "Look at it.\n~~~python\nprint(1 + 1)\n~~~\nThen decide.",
        'Look at it.\n````python\nprint("```")\n````\nThen decide.',
        "Look at it.\n```py\nprint(1 + 1)\n```\nThen decide.",
    ],
)
def test_every_view_takes_the_prose_of_a_reply_as_the_protocol_does(handle: Handle, reply: str) -> None:
    from jupyter_autogpt.protocol import parse_reply
    from jupyter_autogpt.ui._widget_html import run_html
    from jupyter_autogpt.ui.text import markdown_transcript

    parsed = parse_reply(reply)
    assert parsed.code is not None and parsed.prose == "Look at it.\n\nThen decide."
    view = renderer(handle)
    view.handle(started())
    view.handle(StepStarted(1, 3))
    view.handle(ModelReplied(1, reply, Usage(1, 1), Usage(1, 1), 0.1))
    step = Step(1, reply, parsed.code, "", None, None, Usage(1, 1))
    run = Run("goal", "scripted", "finished", (step,), "done", Usage(1, 1), "r1")
    shown = {
        "live": view._step_views[0].reasoning.value,
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
    from jupyter_autogpt.ui._widget_html import observation_html

    table = "<table>" + "<tr><td>cell</td></tr>" * (OUTPUT_CHARS // 10) + "</table>"
    shown = observation_html(Observation(displays=({"text/html": table},)))
    assert "<table>" not in shown and "too long to show here" in shown
    small = observation_html(Observation(displays=({"text/html": "<b>ok</b>"},)))
    assert "<b>ok</b>" in small
