"""The views in real kernels: what crosses the wire (every iopub message, widget state and comm included) for a
huge answer and for a goal holding a key, and ``--approve`` answered on stdin by a client that allows it.

A kernel started through ``jupyter_client`` has no frontend: it opens no comm subshell, so the widget view
cannot be clicked, and a client that allows stdin must get the text prompt instead (VS Code, jupyter console).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.kernels import execute, printed, running_kernel, traffic

pytestmark = pytest.mark.kernel

KEY = "sk-live-" + "Wq27" * 8


@pytest.fixture(scope="module")
def kernel() -> Iterator[Any]:
    with running_kernel(PAYMENTS_API_KEY=KEY) as (_, kc):
        execute(kc, "%load_ext jupyter_autogpt\nimport os, jupyter_autogpt")
        yield kc


def replies(tmp_path: Path, *texts: str) -> Path:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(list(texts)))
    return path


def test_a_huge_answer_stays_off_the_wire_and_out_of_exports(kernel: Any, tmp_path: Path) -> None:
    path = replies(tmp_path, "Big.\n```python\nbig = 'x' * 20_000_000\nfinal_answer(big)\n```")
    messages = traffic(kernel, f"%%autogpt --model replay:{path}\nMake it big.")
    sizes = {m["msg_type"]: 0 for m in messages}
    for m in messages:
        sizes[m["msg_type"]] += len(json.dumps(m["content"]))
    assert sum(sizes.values()) < 1_000_000, sizes  # the answer is 20 MB; main sent it three times
    assert "comm_open" in sizes and "display_data" in sizes  # the live view and its static transcript were shown
    assert execute(kernel, "print(len(jupyter_autogpt.last_run().answer))").strip() == "20000000"
    for name in ("run.ipynb", "run.json"):
        execute(kernel, f"%autogpt export {tmp_path / name}")
        assert (tmp_path / name).stat().st_size < 200_000, name


def test_a_key_interpolated_into_the_goal_never_crosses_the_wire(kernel: Any, tmp_path: Path) -> None:
    path = replies(tmp_path, "```python\nfinal_answer('checked')\n```")
    messages = traffic(kernel, f"k = os.environ['PAYMENTS_API_KEY']\n%autogpt --model replay:{path} check that {{k}} works")
    wire = json.dumps([m["content"] for m in messages])
    assert "comm_open" in {m["msg_type"] for m in messages}
    assert "check that [REDACTED] works" in wire  # the header's widget state
    assert KEY not in wire
    assert execute(kernel, "print(jupyter_autogpt.last_run().goal)").strip() == "check that [REDACTED] works"


STEPS = [
    "First.\n```python\nx = 1\n```",
    "Second.\n```python\nx = 2\n```",
    "```python\nfinal_answer(x)\n```",
]


@pytest.mark.parametrize("view", ["widgets", "text"])
def test_approve_asks_on_stdin_when_the_client_allows_it(kernel: Any, tmp_path: Path, view: str) -> None:
    path = replies(tmp_path, *STEPS)
    execute(kernel, f"%config AutoGPTMagics.view = {view!r}")
    try:
        messages = traffic(kernel, f"%%autogpt --approve --model replay:{path}\nSet x.", answers=["y", "n", "yes"])
    finally:
        execute(kernel, "%config AutoGPTMagics.view = 'auto'")
    prompts = [m["content"]["prompt"] for m in messages if m["msg_type"] == "input_request"]
    assert len(prompts) == 3 and "Run step 1" in prompts[0] and "Run step 3?" in prompts[2]
    out = printed(messages)
    assert "running step 1" in out and "skipping step 2" in out
    assert ("Step 2 proposes:\n    x = 2" in out) == (view == "widgets")  # the unseen widget's code, printed
    result = execute(kernel, "r = jupyter_autogpt.last_run()\nprint(r.status, r.answer, [s.skipped for s in r.steps])")
    assert result.strip() == "finished 1 [False, True, False]"


def test_stop_typed_at_the_prompt_ends_the_run(kernel: Any, tmp_path: Path) -> None:
    path = replies(tmp_path, *STEPS)
    traffic(kernel, f"%%autogpt --approve --model replay:{path}\nSet x.", answers=["stop"])
    assert execute(kernel, "print(jupyter_autogpt.last_run().status)").strip() == "interrupted"


def test_without_stdin_approval_is_refused_with_what_to_do(kernel: Any, tmp_path: Path) -> None:
    path = replies(tmp_path, *STEPS)
    traffic(kernel, f"%%autogpt --approve --model replay:{path}\nSet x.")  # a client that allows no stdin
    status = execute(kernel, "r = jupyter_autogpt.last_run()\nprint(r.status, '|', r.error, '|', len(r.steps))")
    assert status.startswith("interrupted |") and "--policy auto" in status and "frontend with stdin" in status
