"""The kernel side of the cells channel: a fake comm for the protocol, real kernels for the wire."""

from __future__ import annotations

import json
import os
import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_autogpt.session import Session
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.transcript import COMM_TARGET
from jupyter_autogpt.types import RunConfig
from jupyter_autogpt.ui import cells
from support.kernels import reply_to

SECRET = "sk-test-" + "y" * 24
REPLIES = [
    "Start.\n```python\nx = 21\nprint('x is', x)\n```",
    f"Skip me.\n```python\nprint('{SECRET}')\n```",
    "```python\nfinal_answer(x * 2)\n```",
]


class FakeComm:
    """Records what the channel sends; lets a test play the frontend's answer."""

    def __init__(self, target_name: str, data: Any) -> None:
        self.target_name, self.open_data = target_name, data
        self.sent: list[Any] = []
        self.closed = False
        self._on_msg: Any = None
        self._on_close: Any = None

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        self.sent.append(data)

    def close(self, data: Any = None, metadata: Any = None, buffers: Any = None, deleting: bool = False) -> None:
        self.closed = True

    def on_msg(self, callback: Any) -> None:
        self._on_msg = callback

    def on_close(self, callback: Any) -> None:
        self._on_close = callback

    def answer_hello(self) -> None:
        self._on_msg({"content": {"data": {"type": "hello", "protocol": 1, "version": "0.1.0"}}})

    def closed_by_frontend(self) -> None:
        self._on_close({"content": {"data": {}}})


class FakeFrontend:
    def __init__(self) -> None:
        self.comms: list[FakeComm] = []

    def __call__(self, target_name: str, data: Any = None, **_: Any) -> FakeComm:
        comm = FakeComm(target_name, data)
        self.comms.append(comm)
        return comm


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


def _run(shell: InteractiveShell, channel: cells.CellChannel) -> None:
    session = Session(shell, view="none")
    session.renderer_factories.append(lambda config: channel)
    session.run("Double 21.", RunConfig(model="scripted"), model=ScriptedModel(REPLIES))


def test_factory_follows_insert_cells() -> None:
    assert cells.factory(RunConfig(insert_cells=False)) is None
    assert isinstance(cells.factory(RunConfig()), cells.CellChannel)


def test_channel_sends_each_executed_step_redacted(shell: InteractiveShell) -> None:
    frontend, presence = FakeFrontend(), cells._Presence()
    _run(shell, cells.CellChannel(frontend, presence))
    (comm,) = frontend.comms
    assert comm.target_name == COMM_TARGET
    assert comm.open_data["type"] == "run" and comm.open_data["protocol"] == cells.PROTOCOL
    run_id = comm.open_data["run_id"]
    kinds = [m["type"] for m in comm.sent]
    assert kinds == ["step", "step", "step", "finished"]
    steps = [m["step"] for m in comm.sent[:3]]
    assert [s["index"] for s in steps] == [1, 2, 3] and all(m["run_id"] == run_id for m in comm.sent)
    assert steps[0]["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "x is 21\n"}]
    assert SECRET not in json.dumps(comm.sent) and not comm.closed
    assert comm.sent[-1]["status"] == "finished"


def test_presence_is_learnt_from_the_answer(shell: InteractiveShell) -> None:
    frontend, presence = FakeFrontend(), cells._Presence()
    _run(shell, cells.CellChannel(frontend, presence))
    assert presence.state == "unknown"
    frontend.comms[0].closed_by_frontend()  # no target registered there: no extension
    assert presence.state == "absent"
    _run(shell, cells.CellChannel(frontend, presence))
    probe = frontend.comms[1]
    assert [m["type"] for m in probe.sent] == ["finished"]  # only the probe, no step payloads
    probe.answer_hello()  # the extension is back (e.g. the notebook reopened in JupyterLab)
    probe.closed_by_frontend()
    assert presence.state == "present" and presence.version == "0.1.0"
    _run(shell, cells.CellChannel(frontend, presence))
    assert [m["type"] for m in frontend.comms[2].sent].count("step") == 3


def test_a_new_run_closes_the_previous_channel(shell: InteractiveShell) -> None:
    frontend, presence = FakeFrontend(), cells._Presence()
    _run(shell, cells.CellChannel(frontend, presence))
    _run(shell, cells.CellChannel(frontend, presence))
    assert frontend.comms[0].closed and not frontend.comms[1].closed


def test_closing_the_presence_closes_the_open_channel(shell: InteractiveShell) -> None:
    frontend, presence = FakeFrontend(), cells._Presence()
    _run(shell, cells.CellChannel(frontend, presence))
    presence.close()  # what %unload_ext does through cells.close()
    assert frontend.comms[0].closed
    presence.close()  # idempotent: nothing left open


def test_outside_a_kernel_the_default_comm_does_nothing(shell: InteractiveShell) -> None:
    _run(shell, cells.CellChannel())  # comm's DummyComm: nothing to talk to, nothing breaks


# -- real kernels ---------------------------------------------------------------------------------------------

SETUP = (
    "%load_ext jupyter_autogpt\n"
    "from jupyter_autogpt.ui import cells as _cells\n"
    "_s = get_ipython().find_magic('autogpt').__self__.session\n"
    "_s.view = 'text'\n"
    "_s.renderer_factories.append(_cells.factory) if _cells.factory not in _s.renderer_factories else None"
)


@pytest.fixture
def replay_file(tmp_path: Path) -> str:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps([r.replace(SECRET, "secret") for r in REPLIES]))
    return str(path)


@pytest.fixture
def kernel() -> Iterator[Any]:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _execute(kc: Any, code: str) -> tuple[str, list[dict[str, Any]]]:
    """Run ``code``; return its request id and every iopub message it caused."""
    msg_id = kc.execute(code)
    seen: list[dict[str, Any]] = []
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=60)
        except queue.Empty:
            raise AssertionError(f"no idle status after {code!r}; saw {[m['msg_type'] for m in seen]}") from None
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        seen.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            reply = reply_to(kc, msg_id, timeout=10)
            assert reply["content"]["status"] == "ok", reply["content"]
            return msg_id, seen


@pytest.mark.kernel
def test_real_kernel_speaks_the_protocol(kernel: Any, replay_file: str) -> None:
    _execute(kernel, SETUP)
    msg_id, msgs = _execute(kernel, f"%%autogpt --model replay:{replay_file}\nDouble 21.")
    opens = [m for m in msgs if m["msg_type"] == "comm_open" and m["content"]["target_name"] == COMM_TARGET]
    assert len(opens) == 1  # (the live widget view may open comms of its own)
    assert opens[0]["parent_header"]["msg_id"] == msg_id  # how the extension finds the calling cell
    comm_id = opens[0]["content"]["comm_id"]
    data = [m["content"]["data"] for m in msgs if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id]
    assert [d["type"] for d in data] == ["step", "step", "step", "finished"]
    # Play a frontend without the extension: it closes the comm; later runs send only the probe.
    kernel.shell_channel.send(kernel.session.msg("comm_close", {"comm_id": comm_id, "data": {}}))
    _, msgs = _execute(kernel, "from jupyter_autogpt.ui import cells; print(cells.extension_status())")
    assert any(m["msg_type"] == "stream" and "absent" in m["content"]["text"] for m in msgs)
    _, msgs = _execute(kernel, f"%%autogpt --model replay:{replay_file}\nDouble 21.")
    (probe,) = [m for m in msgs if m["msg_type"] == "comm_open" and m["content"]["target_name"] == COMM_TARGET]
    probe_id = probe["content"]["comm_id"]
    data = [m["content"]["data"] for m in msgs if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == probe_id]
    assert [d["type"] for d in data] == ["finished"]


@pytest.mark.kernel
def test_without_the_extension_a_notebook_runs_unharmed(tmp_path: Path, replay_file: str) -> None:
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell(f"%%autogpt --model replay:{replay_file}\nDouble 21."),
        nbformat.v4.new_code_cell("_.answer"),
    ]
    NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert len(nb.cells) == 3  # nothing inserted, nothing broken
    assert all(o["output_type"] != "error" for c in nb.cells for o in c.outputs)
    assert nb.cells[2].outputs[0]["data"]["text/plain"] == "42"
