"""End to end in real kernels: nbclient notebooks and a kernel interrupt, against the loopback server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import nbformat
import pytest

from conftest import SECRET_KEY
from support import kernels
from support.kernels import code, execute, interrupt_until_replied, reply_to, running_kernel
from support.openai_server import FakeOpenAIServer, Slow

pytestmark = pytest.mark.kernel

SALES = (
    "import pandas as pd\n"
    "sales = pd.DataFrame({'region': ['north', 'south', 'east', 'west'], 'units': [10, 4, 7, 1],\n"
    "                      'price': [2.5, 10.0, 3.0, 4.0]})"
)


def run_notebook(cells: list[str], server: FakeOpenAIServer, tmp_path) -> nbformat.NotebookNode:
    return kernels.run_notebook(cells, tmp_path, {"OPENAI_API_KEY": SECRET_KEY, "OPENAI_BASE_URL": server.base_url},
                                timeout=120)


def outputs_of(nb: nbformat.NotebookNode, index: int) -> str:
    return json.dumps(nb.cells[index].outputs)


def test_a_goal_runs_in_the_users_kernel_end_to_end(openai_server, tmp_path) -> None:
    openai_server.queue(
        code("rev = (sales.units * sales.price).groupby(sales.region).sum()\nrev.sort_values()", "Compute revenue."),
        code("import os\nprint(os.environ['OPENAI_API_KEY'])\n1/0", "Oops."),
        code("best = rev.idxmax()\nfinal_answer(f'{best} has the highest revenue ({rev.max():.1f})')"),
    )
    goal = (
        "%%autogpt --model openai:gpt-4o-mini --max-steps 5\n"
        "Which region has the highest total revenue (units * price) in `sales`?"
    )
    report = "import jupyter_autogpt\nr = jupyter_autogpt.last_run()\nprint(r.status, '|', r.answer, '|', len(r.steps))"
    held = "print(type(Out[3]).__name__, sorted(sales.columns))"
    nb = run_notebook(["%load_ext jupyter_autogpt", SALES, goal, report, held], openai_server, tmp_path)
    assert "error" not in {o.output_type for c in nb.cells for o in c.outputs}  # a failing step is the agent's business
    assert nb.cells[3].outputs[0].text.strip() == "finished | south has the highest revenue (40.0) | 3"
    assert nb.cells[4].outputs[0].text.strip() == "Run ['price', 'region', 'units']"  # Out[n] holds the run
    first = "\n".join(m["content"] for m in openai_server.requests[0].body["messages"] if isinstance(m["content"], str))
    for fact in ("sales", "region", "units", "price", "int64", "float64"):
        assert fact in first
    assert "(4, 3)" in first or "4 rows" in first
    third = json.dumps(openai_server.requests[2].body)
    assert "ZeroDivisionError" in third and "[REDACTED]" in third and SECRET_KEY not in third
    assert SECRET_KEY not in nbformat.writes(nb)


def test_usage_is_counted_from_the_server(openai_server, tmp_path) -> None:
    openai_server.queue(code("final_answer(len(sales))"))
    nb = run_notebook(["%load_ext jupyter_autogpt", SALES, "%%autogpt --max-steps 2\nHow many rows?",
                       "r = _\nprint(r.answer, r.usage.prompt_tokens > 0, r.usage.completion_tokens > 0, r.usage.estimated)"],
                      openai_server, tmp_path)
    assert nb.cells[3].outputs[0].text.strip() == "4 True True False"
    assert openai_server.requests[0].body["model"] == "gpt-4o-mini"  # the documented default model


@pytest.fixture
def kernel(openai_server) -> Iterator[tuple[object, object]]:
    with running_kernel(OPENAI_API_KEY=SECRET_KEY, OPENAI_BASE_URL=openai_server.base_url) as (km, kc):
        yield km, kc


def test_a_kernel_interrupt_mid_stream_stops_the_run_and_keeps_the_kernel(kernel, openai_server) -> None:
    km, kc = kernel
    openai_server.queue(code("done_before = 'kept'"), Slow("thinking " * 400, delay=0.02))
    execute(kc, "%load_ext jupyter_autogpt\nmine = [1, 2, 3]")
    msg_id = kc.execute("%%autogpt --max-steps 5\nA goal that takes a while")
    assert openai_server.wait_for_requests(2, timeout=60)  # the second reply is streaming now
    km.interrupt_kernel()
    reply = reply_to(kc, msg_id, timeout=30)
    assert reply["content"]["status"] == "ok"
    printed = execute(kc, "import jupyter_autogpt\nr = jupyter_autogpt.last_run()\n"
                             "print(r.status, len(r.steps), done_before, mine, 'final_answer' in dir())")
    assert printed.strip() == "interrupted 1 kept [1, 2, 3] False"


def test_an_interrupt_inside_a_step_stops_the_run(kernel, openai_server) -> None:
    km, kc = kernel
    step = (
        "import os, time, urllib.request\n"
        "try:\n"  # tell the test the step is running: a request the server records (and answers 404)
        "    urllib.request.urlopen(urllib.request.Request(os.environ['OPENAI_BASE_URL'] + '/marker', data=b'{}'))\n"
        "except Exception:\n"
        "    pass\n"
        "for _ in range(600):\n"
        "    time.sleep(0.05)"
    )
    openai_server.queue(code(step), code("final_answer('never')"))
    execute(kc, "%load_ext jupyter_autogpt")
    msg_id = kc.execute("%%autogpt\nslow goal")
    assert openai_server.wait_for_requests(2, timeout=60)
    assert openai_server.requests[1].path.endswith("/marker")
    reply = interrupt_until_replied(km, kc, msg_id, wait=3)
    assert reply["content"]["status"] == "ok"
    printed = execute(kc, "import jupyter_autogpt\nr = jupyter_autogpt.last_run()\nprint(r.status)\nprint(r.steps)")
    assert printed.split("\n", 1)[0] == "interrupted", printed
    assert openai_server.remaining == 1 and len(openai_server.requests) == 2  # no further step was requested
