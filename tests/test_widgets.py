"""The live widget view, driven by events (widgets work without a kernel; clicks are simulated)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import ipywidgets
import pytest

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
from jupyter_autogpt.types import Decision, ImageData, Observation, Run, RunConfig, Step, Usage
from jupyter_autogpt.ui import stop
from jupyter_autogpt.ui._widget_html import code_html, estimate_cost, markdown_html
from jupyter_autogpt.ui._widget_steps import Throttle
from jupyter_autogpt.ui.base import Approving, Renderer, Stoppable
from jupyter_autogpt.ui.transcript import MIME_TYPE
from jupyter_autogpt.ui.widgets import StaticTranscript, WidgetRenderer

LIVE = stop.ClickDelivery("native", "test: clicks arrive")
DEAD = stop.ClickDelivery("none", "test: no subshells")
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


def renderer(handle: Handle, delivery: stop.ClickDelivery = LIVE) -> WidgetRenderer:
    return WidgetRenderer(display=handle, delivery=delivery)


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
    assert "<details>" in bundle["text/html"] and "The sum is <b>2</b>." in bundle["text/html"]
    assert f"base64,{PNG}" in bundle["text/html"]
    assert "**Answer**" in bundle["text/markdown"]
    view.close()
    assert view.view.comm is None  # closed: the static output replaced it


def test_view_is_kept_when_the_run_never_finished(handle: Handle) -> None:
    view = renderer(handle)
    view.handle(started())
    view.close()
    assert view.view.comm is not None and not handle.updates


def test_streaming_is_throttled_and_flushed_on_reply(handle: Handle) -> None:
    view = renderer(handle)
    view.handle(started())
    view.handle(StepStarted(1, 1))
    step = view._step_views[0]
    now = [0.0]
    step.throttle = Throttle(20, clock=lambda: now[0])
    updates = []
    step.reasoning.observe(lambda change: updates.append(change["new"]), names="value")
    for i in range(1000):  # 1000 deltas over one second of stream
        now[0] = i / 1000
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

    monkeypatch.setattr(ipywidgets.Widget, "_send", counting)
    view = renderer(handle)
    view.handle(started())
    view.handle(StepStarted(1, 1))
    before, t0 = len(sent), time.monotonic()
    for i in range(500):  # a fast stream: 500 tokens at ~1 ms each
        view.handle(ModelDelta(1, f"t{i} "))
        time.sleep(0.001)
    seconds = time.monotonic() - t0
    during = len(sent) - before
    print(f"\n500 deltas in {seconds:.2f} s -> {during} comm messages ({during / seconds:.0f}/s)")
    assert during <= 24 * seconds + 2  # reasoning at most 20/s, header at most 4/s


def test_stop_click_is_seen_at_step_boundaries_and_cuts_a_stream(handle: Handle) -> None:
    view = renderer(handle)
    view.handle(started())
    view.handle(StepStarted(1, 2))
    view.handle(ModelDelta(1, "thinking"))
    assert not view.stop_requested()
    threading.Thread(target=view.stop_button.click).start()  # as a subshell thread would
    for _ in range(50):
        if view.stop_requested():
            break
        time.sleep(0.01)
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


def click_later(*actions: Any, delay: float = 0.05) -> threading.Thread:
    def go() -> None:
        time.sleep(delay)
        for action in actions:
            action()

    thread = threading.Thread(target=go)
    thread.start()
    return thread


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

    def edit() -> None:
        assert panel.editor.value == "print('hi')" and panel.editor.disabled
        panel.buttons["edit"].click()
        assert not panel.editor.disabled
        panel.editor.value = "print('edited')"
        panel.feedback.value = "use the other file"

    thread = click_later(edit, panel.buttons["run"].click)
    decision = view.approve(proposal)
    thread.join()
    assert decision == Decision("run", code="print('edited')", feedback="use the other file")
    assert panel.box.layout.display == "none" and "running" in view.header.value


def test_approval_run_unedited_skip_and_stop(handle: Handle) -> None:
    view, proposal = asking(handle)
    buttons = view.approval.buttons
    click_later(buttons["run"].click).join(0)
    assert view.approve(proposal) == Decision("run")
    click_later(lambda: setattr(view.approval.feedback, "value", "not now"), buttons["skip"].click)
    assert view.approve(proposal) == Decision("skip", feedback="not now")
    click_later(buttons["stop"].click)
    assert view.approve(proposal) == Decision("stop")


def test_main_stop_button_answers_a_waiting_approval(handle: Handle) -> None:
    view, proposal = asking(handle)
    click_later(view.stop_button.click)
    assert view.approve(proposal) == Decision("stop")
    assert view.approve(proposal) == Decision("stop")  # later proposals stop at once


def test_approval_refuses_when_the_frontend_has_no_subshell(handle: Handle, monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_autogpt.errors import RunCancelled
    from jupyter_autogpt.ui import widgets

    monkeypatch.setattr(widgets, "frontend_uses_subshells", lambda: False)
    monkeypatch.setattr(widgets, "SUBSHELL_GRACE", 0.1)
    view, proposal = asking(handle)
    with pytest.raises(RunCancelled, match="--policy auto"):
        view.approve(proposal)


@pytest.mark.parametrize(
    ("version", "subshells", "mode"),
    [
        ("6.29.5", False, "none"),
        ("7.0.0", True, "native"),
        ("7.3.4", True, "native"),
        ("7.4.0", True, "override"),
        ("7.9.1rc1", True, "override"),
        ("7.4.0", False, "none"),
        ("8.0.0", True, "none"),
    ],
)
def test_click_delivery_is_gated_by_ipykernel_version(version: str, subshells: bool, mode: str) -> None:
    assert stop.delivery_for(version, subshells).mode == mode


def test_keep_on_subshell_overrides_only_in_override_mode() -> None:
    class Comm:
        def _reply_subshell_for(self, data: Any, default: Any) -> Any:
            return None  # ipykernel 7.4: back to the main thread

    class Widget:
        def __init__(self) -> None:
            self.comm = Comm()

    widgets = [Widget(), Widget()]
    assert stop.keep_on_subshell(widgets, LIVE) == 0
    assert widgets[0].comm._reply_subshell_for({}, "sub-1") is None
    assert stop.keep_on_subshell(widgets, stop.ClickDelivery("override", "")) == 2
    assert widgets[0].comm._reply_subshell_for({}, "sub-1") == "sub-1"


def test_router_sees_a_click_before_dispatch() -> None:
    class Widget:
        def __init__(self) -> None:
            self.comm = type("Comm", (), {"_reply_subshell_for": lambda self, data, default: None})()

    button, other = Widget(), Widget()
    clicks: list[str] = []
    stop.keep_on_subshell([button, other], stop.ClickDelivery("override", ""), {button: lambda: clicks.append("x")})
    click = {"method": "custom", "content": {"event": "click"}}
    assert button.comm._reply_subshell_for({"method": "update", "state": {}}, "s") == "s" and not clicks
    assert button.comm._reply_subshell_for(click, "s") == "s" and clicks == ["x"]
    assert other.comm._reply_subshell_for(click, None) is None and clicks == ["x"]


def test_no_kernel_means_no_mid_cell_clicks() -> None:
    assert not stop.click_delivery().live
    assert stop.frontend_uses_subshells() is None


def test_cost_estimates_only_for_known_openai_prices() -> None:
    usage = Usage(1_000_000, 1_000_000)
    assert estimate_cost("openai:gpt-4o-mini-2024-07-18", usage) == pytest.approx(0.75)
    assert estimate_cost("openai:gpt-4o", usage) == pytest.approx(12.5)
    assert estimate_cost("openai:llama3", usage) is None
    assert estimate_cost("openai:gpt-4o", usage, RunConfig(base_url="http://localhost:11434/v1")) is None
    assert estimate_cost("replay:x.json", usage) is None


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
    for event in (StepStarted(1, 3), ModelDelta(1, "half a repl"), Noticed(1, "cut off; asking again", "retry"),
                  ModelDelta(1, "whole reply\n"), ModelReplied(1, "whole reply\n", Usage(), Usage(), 0.0)):
        text.handle(event)
    assert "discarded" in out.getvalue() and "half a repl" not in out.getvalue()
