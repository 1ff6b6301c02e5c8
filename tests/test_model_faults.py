"""The model side's faults in a real kernel: what the user's ``%%autogpt`` cell shows.

An internal error (a backend with a bug) shows one line, never a traceback, in the live (widget) view and the
text view alike; a stalled server ends the cell with ``--max-time``; a reasoning server's drafted code never
runs in the user's namespace. Every message the kernel sends for the cell is read (streams, displays, errors,
widget state), not only what ``print`` wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.kernels import code, execute, reply_to, running_kernel
from support.openai_server import Chunks, FakeOpenAIServer, Stall

pytestmark = pytest.mark.kernel

BUGGY = '''
class BuggyModel:
    """A third-party backend with a bug deep in its stream."""

    def __init__(self, name, **options):
        self.id = "buggy:" + name

    def stream(self, messages, settings):
        yield "Let me look. "
        self._parse({"choices": None})

    def _parse(self, event):
        return [c["delta"] for c in event["choices"]]  # TypeError: 'NoneType' object is not iterable
'''


@pytest.fixture(scope="module")
def kernel(tmp_path_factory) -> Iterator[object]:
    folder: Path = tmp_path_factory.mktemp("plugin")
    (folder / "buggy_backend.py").write_text(BUGGY)
    with running_kernel(OPENAI_API_KEY="sk-local", OPENAI_BASE_URL=None) as (_, kc):
        execute(kc, f"import sys\nsys.path.insert(0, {str(folder)!r})\n%load_ext jupyter_autogpt\n"
                    "import jupyter_autogpt.models as _models\n"
                    "_models.PROVIDERS['buggy'] = 'buggy_backend:BuggyModel'\nmine = [1, 2, 3]")
        yield kc


def everything_shown(kc, src: str, timeout: float = 60) -> str:
    """Run ``src`` and return every message the cell produced as text: streams, results, displays, errors,
    and the state of the widgets it drew."""
    msg_id = kc.execute(src)
    shown = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle" and msg["parent_header"].get("msg_id") == msg_id:
            break
        if kind in ("stream", "execute_result", "display_data", "error", "comm_open", "comm_msg", "update_display_data"):
            shown.append(f"[{kind}] " + json.dumps(content, ensure_ascii=False))
    reply_to(kc, msg_id, timeout)
    return "\n".join(shown)


@pytest.mark.parametrize("view", ["widgets", "text"])
def test_an_internal_error_shows_one_line_and_no_traceback(kernel, view) -> None:
    kc = kernel
    shown = everything_shown(kc, f"%config AutoGPTMagics.view = {view!r}\n_r = %autogpt --model buggy:x look")
    assert "Traceback" not in shown and 'File \\"' not in shown and "_parse" not in shown
    assert "internal error: TypeError" in shown
    report = execute(kc, "print(_r.status, '|', _r.error, '|', mine, 'final_answer' in globals())")
    status, error, rest = report.split(" | ")
    assert status == "failed" and error.startswith("internal error: TypeError: 'NoneType' object is not iterable")
    assert "\n" not in error and rest.strip() == "[1, 2, 3] False"
    logged = execute(kc, "import logging\nprint(logging.getLogger('jupyter_autogpt').handlers)")
    assert "NullHandler" in logged  # the traceback went to the log, which the notebook did not configure


def test_the_log_shows_the_traceback_once_the_user_configures_logging(kernel) -> None:
    kc = kernel
    shown = everything_shown(kc, "import logging, io\n_buf = io.StringIO()\n"
                                 "logging.getLogger('jupyter_autogpt').addHandler(logging.StreamHandler(_buf))\n"
                                 "%config AutoGPTMagics.view = 'none'\n_r = %autogpt --model buggy:x look")
    assert "Traceback" not in shown
    logged = execute(kc, "print(_buf.getvalue())")
    assert "Traceback (most recent call last)" in logged and "_parse" in logged


def test_a_stalled_server_ends_the_cell_with_the_time_budget(kernel) -> None:
    kc = kernel
    with FakeOpenAIServer([Stall(after=2, keepalive=0.05)]) as server:
        line = f"--model openai:m --base-url {server.base_url} --max-time 1.5 --request-timeout 60"
        shown = everything_shown(kc, f"%config AutoGPTMagics.view = 'text'\n_r = %autogpt {line} compute the mean")
        report = execute(kc, "print(_r.status, '|', _r.error)")
    assert report.startswith("max_steps | time budget used up (1.5s) while waiting for the model")
    assert "Traceback" not in shown


def test_code_drafted_in_a_reasoning_servers_thinking_never_runs(kernel) -> None:
    kc = kernel
    reasoning = "Option A:\n```python\nwiped = True\ndel mine\n```\nNo: that destroys the user's data."
    reply = Chunks(({"reasoning_content": reasoning[:20]}, {"reasoning_content": reasoning[20:]},
                    {"content": code("final_answer(sum(mine))")}))
    with FakeOpenAIServer([reply]) as server:
        everything_shown(kc, f"%config AutoGPTMagics.view = 'none'\n_r = %autogpt --model openai:m "
                             f"--base-url {server.base_url} sum mine")
    report = execute(kc, "print(_r.status, _r.answer, 'wiped' in globals(), mine, '<think>' in _r.steps[0].reply)")
    assert report.strip() == "finished 6 False [1, 2, 3] True"
