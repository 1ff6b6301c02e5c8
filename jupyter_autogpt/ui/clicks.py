"""Deliver widget clicks to the kernel while the cell that shows them is still running.

Three things live here: which delivery this kernel allows (``click_delivery``), the override that keeps our
comms on their subshell (``keep_on_subshell``), and the wait for the frontend to open that subshell
(``SubshellWait``). The widgets only ask; the version gates and the polling are this module's.

JupyterLab (4.4+) sends widget comm messages to a kernel *subshell* thread, so a click can be handled while the
main thread runs the ``%%autogpt`` cell. Whether that works depends on ipykernel:

* 6.x: no subshells; clicks wait until the cell ends (use the kernel interrupt, which always works);
* 7.0–7.3: clicks are handled on the subshell with no help;
* 7.4–7.x: ``BaseComm._reply_subshell_for`` routes a comm's messages back to the thread that last *sent* on it
  (the busy main thread). We override that hook on our own widgets' comms only, so their messages stay on the
  subshell they were addressed to. The handlers then run on that thread: they must only set flags.

The risk, plainly: ``_reply_subshell_for`` is a private ipykernel hook with no stability promise. A release
may rename it, change its signature or drop it, and then the override silently does nothing (clicks queue
behind the cell again) or raises inside the kernel's message routing (``_Router`` swallows its own errors,
but not a changed call). So the override is gated to the range it was tested on: ipykernel >= 7.4 and < 8
(tested: 7.4.0), and only where the kernel reports subshell support. Any other version gets no override and
the view tells the user to use the kernel interrupt instead, which always works. Widen the range only after
running ``tests/browser/test_widgets_browser.py`` against the new version.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "INTERRUPT_HINT",
    "ClickDelivery",
    "SubshellWait",
    "click_delivery",
    "delivery_for",
    "frontend_uses_subshells",
    "keep_on_subshell",
]

Mode = Literal["override", "native", "none"]

INTERRUPT_HINT = "use Interrupt (■) to stop"


@dataclass(frozen=True)
class ClickDelivery:
    """How clicks reach this kernel mid-cell: ``mode`` and a sentence saying why."""

    mode: Mode
    reason: str

    @property
    def live(self) -> bool:
        """Return True when a click can be handled while the cell still runs."""
        return self.mode != "none"


def _version_tuple(text: str) -> tuple[int, int]:
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits or 0))
    padded = [*parts, 0, 0]
    return padded[0], padded[1]


def delivery_for(version: str, supports_subshells: bool) -> ClickDelivery:
    """Return the click delivery of an ipykernel ``version`` (pure; the gate the tests pin)."""
    major, minor = _version_tuple(version)
    if major < 7:
        return ClickDelivery("none", f"ipykernel {version} has no subshells: clicks wait for the cell to end")
    if major >= 8:
        return ClickDelivery("none", f"ipykernel {version} is untested for mid-cell clicks")
    if not supports_subshells:
        return ClickDelivery("none", "this kernel does not support subshells: clicks wait for the cell to end")
    if minor >= 4:
        return ClickDelivery("override", f"ipykernel {version}: our comms are kept on the frontend's subshell")
    return ClickDelivery("native", f"ipykernel {version}: clicks arrive on the frontend's subshell")


def _kernel() -> Any:
    """Return the running ipykernel kernel, or None (plain Python, terminal IPython)."""
    if "ipykernel" not in sys.modules:
        return None
    try:
        from ipykernel.kernelbase import Kernel
    except ImportError:
        return None
    return Kernel.instance() if Kernel.initialized() else None


def click_delivery() -> ClickDelivery:
    """Return how clicks reach the current kernel mid-cell."""
    kernel = _kernel()
    if kernel is None:
        return ClickDelivery("none", "no kernel: widgets cannot receive clicks")
    import ipykernel

    return delivery_for(ipykernel.__version__, bool(getattr(kernel, "_supports_kernel_subshells", False)))


def frontend_uses_subshells() -> bool | None:
    """Return whether a frontend opened a subshell on this kernel (None when it cannot be told).

    JupyterLab opens one per comm target when the first widget appears; a frontend that never does (VS Code,
    a headless client) sends clicks to the busy main thread.
    """
    kernel = _kernel()
    thread = getattr(kernel, "shell_channel_thread", None)
    manager = getattr(thread, "manager", None)
    if manager is None:
        return None
    try:
        return bool(manager.list_subshell())
    except Exception:  # a private API: never let it break a run
        return None


@dataclass(frozen=True)
class SubshellWait:
    """Wait up to ``grace`` seconds for the frontend to open its comm subshell, asking ``found`` every ``interval``.

    JupyterLab opens the subshell when the first widget appears, a moment after the view is shown, so an
    approval asked at once may come before it. ``clock`` and ``pause`` are the seams a test replaces.
    """

    found: Callable[[], bool | None] = frontend_uses_subshells
    grace: float = 3.0
    interval: float = 0.05
    clock: Callable[[], float] = time.monotonic
    pause: Callable[[float], None] = time.sleep

    def __call__(self) -> bool:
        """Return True once a subshell is open (or cannot be told), False when ``grace`` ran out without one."""
        deadline = self.clock() + self.grace
        while True:
            found = self.found()
            if found is None or found:
                return True
            if self.clock() >= deadline:
                return False
            self.pause(self.interval)


class _Router:
    """A comm's ``_reply_subshell_for``: keep its messages on their subshell, and see clicks early.

    It runs on the kernel's shell-channel thread before the message is dispatched, so a click is noticed even
    when the dispatch itself fails (on ipykernel 7.4 a subshell message raises while IPython's
    ``capture_output`` holds the display publisher). ``on_click`` must only set a flag.
    """

    def __init__(self, on_click: Callable[[], None] | None = None) -> None:
        self.on_click = on_click

    def __call__(self, data: Any, default: Any) -> Any:
        if self.on_click is not None and _is_click(data):
            with contextlib.suppress(Exception):  # never break the kernel's message routing
                self.on_click()
        return default


def _is_click(data: Any) -> bool:
    if not isinstance(data, dict) or data.get("method") != "custom":
        return False
    content = data.get("content")
    return isinstance(content, dict) and content.get("event") == "click"


def keep_on_subshell(
    widgets: Iterable[Any],
    delivery: ClickDelivery,
    on_click: Mapping[Any, Callable[[], None]] | None = None,
) -> int:
    """Keep the comm messages of ``widgets`` on the subshell the frontend sent them to; return how many.

    Only needed (and only done) in ``override`` mode. ``on_click`` maps a button to a flag-setting callback
    called as soon as its click reaches the kernel (see ``_Router``).
    """
    if delivery.mode != "override":
        return 0
    early = on_click or {}
    done = 0
    for widget in widgets:
        comm = getattr(widget, "comm", None)
        if comm is not None and hasattr(comm, "_reply_subshell_for"):
            comm._reply_subshell_for = _Router(early.get(widget))
            done += 1
    return done
