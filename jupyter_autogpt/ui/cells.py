"""Send each executed step to the JupyterLab extension, which inserts it as a real cell below the magic cell.

The channel is a Jupyter comm (target ``jupyter_autogpt.cells``, named in ``schema/run.schema.json``) opened
by the kernel at the start of each run. Messages, all JSON:

* comm open ``{"type": "run", "protocol": 1, "run_id", "goal", "model"}``: the extension finds the cell whose
  execute request is this message's parent (``parent_header.msg_id``), deletes the cells an earlier run of
  that cell inserted, and answers ``{"type": "hello", "protocol": 1, "version": ...}``.
* ``{"type": "step", "run_id", "step": <transcript step>}`` after each executed step: the extension inserts
  the step's code cell, with its outputs, tag ``autogpt-generated`` and ``metadata.jupyter_autogpt``.
* ``{"type": "finished", "run_id", "status"}`` when the run ends.

Frontends without the extension (Notebook 7 or JupyterLab without it, VS Code) close the comm because no
target is registered; nbclient/nbconvert ignore it. Nothing is inserted there — deliberately no
``set_next_input`` fallback: JupyterLab would insert only one payload, and re-runs would pile copies up;
the run stays available as ``_``, ``last_run()`` and ``%autogpt export``. The kernel learns which case it
is in from the answer (a hello, or a close without one), but only once the cell has finished — comm
messages wait behind a running cell — so the first run always sends its steps, and once a frontend has
closed the channel without a hello, later runs send only the small opening message (a probe) until a
hello comes back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal, Protocol

from ..encoding import valid_data
from ..events import Event, RunFinished, RunStarted, StepFinished
from ..redaction import redact_data
from ..transcript import COMM_TARGET, step_dict
from ..types import RunConfig

__all__ = ["PROTOCOL", "CellChannel", "Comm", "extension_status", "factory"]

log = logging.getLogger(__name__)

PROTOCOL = 1

Presence = Literal["unknown", "present", "absent"]


class Comm(Protocol):
    """The part of ``comm.base_comm.BaseComm`` the channel uses (the third-party seam)."""

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None: ...

    def close(self, data: Any = None, metadata: Any = None, buffers: Any = None, deleting: bool = False) -> None: ...

    def on_msg(self, callback: Callable[[dict[str, Any]], None] | None) -> None: ...

    def on_close(self, callback: Callable[[dict[str, Any]], None] | None) -> None: ...


CommFactory = Callable[..., Comm]


class _Presence:
    """What this kernel has learnt about the frontend extension from the answers to earlier runs."""

    def __init__(self) -> None:
        self.state: Presence = "unknown"
        self.version: str | None = None
        self._open: Comm | None = None

    def watch(self, channel: Comm) -> None:
        """Record the answer to ``channel`` (a hello, or a close without one); close the previous channel."""
        previous, self._open = self._open, channel
        if previous is not None:
            _quietly_close(previous)
        heard = {"hello": False}

        def on_msg(msg: dict[str, Any]) -> None:
            data = (msg.get("content") or {}).get("data") or {}
            if data.get("type") == "hello":
                heard["hello"] = True
                self.state, self.version = "present", str(data.get("version") or "")

        def on_close(msg: dict[str, Any]) -> None:
            if not heard["hello"]:
                self.state = "absent"
            if self._open is channel:
                self._open = None

        channel.on_msg(on_msg)
        channel.on_close(on_close)

    def close(self) -> None:
        """Close the channel still open to the frontend, if any."""
        channel, self._open = self._open, None
        if channel is not None:
            _quietly_close(channel)


_presence = _Presence()


def close() -> None:
    """Close this kernel's open cells channel (``%unload_ext jupyter_autogpt``)."""
    _presence.close()


def extension_status() -> Presence:
    """Return whether a frontend answered the cells channel: ``unknown``, ``present`` or ``absent``."""
    return _presence.state


def _quietly_close(channel: Comm) -> None:
    try:
        channel.close()
    except Exception:  # a comm whose kernel went away; nothing to tell the user
        log.debug("closing the cells channel failed", exc_info=True)


def _default_comm_factory() -> CommFactory:
    import comm  # lazily: ipykernel installs its kernel-aware factory into this module

    return comm.create_comm  # type: ignore[no-any-return]


class CellChannel:
    """A ``Renderer`` that sends each executed step to the frontend extension over a comm.

    Parameters
    ----------
    create_comm
        Opens a comm (``comm.create_comm``'s signature); the default is the kernel's.
    presence
        Where answers are recorded (tests pass their own).
    """

    def __init__(self, create_comm: CommFactory | None = None, presence: _Presence | None = None) -> None:
        self._create_comm = create_comm
        self._presence = presence or _presence
        self._channel: Comm | None = None
        self._run_id = ""
        self._send_steps = True

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._open(event)
        elif self._channel is None:
            return
        elif isinstance(event, StepFinished):
            step = event.step
            if step.code and not step.skipped and self._send_steps:
                payload = {"type": "step", "run_id": self._run_id, "step": step_dict(step)}
                self._channel.send(valid_data(redact_data(payload)))  # step_dict bounds the reply
        elif isinstance(event, RunFinished):
            self._channel.send({"type": "finished", "run_id": self._run_id, "status": event.run.status})

    def _open(self, event: RunStarted) -> None:
        create = self._create_comm or _default_comm_factory()
        self._run_id = event.run_id
        self._send_steps = self._presence.state != "absent"
        data = {"type": "run", "protocol": PROTOCOL, "run_id": event.run_id, "goal": event.goal, "model": event.model}
        self._channel = create(target_name=COMM_TARGET, data=valid_data(redact_data(data)))
        self._presence.watch(self._channel)

    def close(self) -> None:
        # The comm stays open after the run so the frontend's answer (which waits behind this cell) still
        # reaches it; the next run closes it.
        self._channel = None


def factory(config: RunConfig) -> CellChannel | None:
    """Return the cells channel for a run, or ``None`` when ``config.insert_cells`` is off."""
    return CellChannel() if config.insert_cells else None
