"""Click delivery (``ui/clicks.py``): the ipykernel gate, the comm override, and the wait for a subshell."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_autogpt.ui import clicks
from support.views import LIVE


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
    assert clicks.delivery_for(version, subshells).mode == mode


def test_keep_on_subshell_overrides_only_in_override_mode() -> None:
    class Comm:
        def _reply_subshell_for(self, data: Any, default: Any) -> Any:
            return None  # ipykernel 7.4: back to the main thread

    class Widget:
        def __init__(self) -> None:
            self.comm = Comm()

    widgets = [Widget(), Widget()]
    assert clicks.keep_on_subshell(widgets, LIVE) == 0
    assert widgets[0].comm._reply_subshell_for({}, "sub-1") is None
    assert clicks.keep_on_subshell(widgets, clicks.ClickDelivery("override", "")) == 2
    assert widgets[0].comm._reply_subshell_for({}, "sub-1") == "sub-1"


def test_router_sees_a_click_before_dispatch() -> None:
    class Widget:
        def __init__(self) -> None:
            self.comm = type("Comm", (), {"_reply_subshell_for": lambda self, data, default: None})()

    button, other = Widget(), Widget()
    seen: list[str] = []
    clicks.keep_on_subshell([button, other], clicks.ClickDelivery("override", ""), {button: lambda: seen.append("x")})
    click = {"method": "custom", "content": {"event": "click"}}
    assert button.comm._reply_subshell_for({"method": "update", "state": {}}, "s") == "s" and not seen
    assert button.comm._reply_subshell_for(click, "s") == "s" and seen == ["x"]
    assert other.comm._reply_subshell_for(click, None) is None and seen == ["x"]


def test_no_kernel_means_no_mid_cell_clicks() -> None:
    assert not clicks.click_delivery().live
    assert clicks.frontend_uses_subshells() is None


class Clock:
    """A monotonic clock that moves only when the wait pauses (so no test sleeps)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def test_the_subshell_wait_asks_again_until_one_opens() -> None:
    clock, answers = Clock(), iter([False, False, True])
    wait = clicks.SubshellWait(found=lambda: next(answers), grace=3.0, interval=0.05, clock=clock, pause=clock.pause)
    assert wait() is True and clock.pauses == [0.05, 0.05]


def test_the_subshell_wait_gives_up_after_its_grace() -> None:
    clock = Clock()
    wait = clicks.SubshellWait(found=lambda: False, grace=1.0, interval=0.25, clock=clock, pause=clock.pause)
    assert wait() is False and clock.pauses == [0.25] * 4 and clock.now == 1.0


@pytest.mark.parametrize("found", [True, None])
def test_the_subshell_wait_does_not_wait_when_it_need_not(found: bool | None) -> None:
    clock = Clock()
    assert clicks.SubshellWait(found=lambda: found, clock=clock, pause=clock.pause)() is True and not clock.pauses
