"""A conversation with your notebook, in real kernels against the loopback model server.

Follow-ups (``-c``) and a 20-run chain within the context budget; the user's own failing cell and its error in the
prompt, redacted; standing instructions from ``%config`` and ``AGENTS.md``; a plan and its revision in the view,
in ``run.plan`` and in the exported transcript; ``--plan`` answered on stdin, and refused where nothing can answer.
What the model read is what the server recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from conftest import SECRET_KEY
from jupyter_autogpt.limits import history_chars
from support import kernels
from support.kernels import code, execute, running_kernel, traffic
from support.openai_server import FakeOpenAIServer

pytestmark = pytest.mark.kernel

SALES = (
    "import pandas as pd\n"
    "sales = pd.DataFrame({'region': ['north', 'south', 'east'], 'units': [10, 4, 7], 'price': [2.5, 10.0, 3.0]})"
)
PROBE = "import jupyter_autogpt\nr = jupyter_autogpt.last_run()\n"


def run_notebook(cells: list[str], server: FakeOpenAIServer, folder: Path) -> nbformat.NotebookNode:
    """Run ``cells`` in a fresh kernel started in ``folder`` (errors allowed: a user's cell may fail on purpose)."""
    return kernels.run_notebook(cells, folder, {"OPENAI_API_KEY": SECRET_KEY, "OPENAI_BASE_URL": server.base_url},
                                allow_errors=True)


def request_text(server: FakeOpenAIServer, index: int) -> str:
    return "\n".join(m["content"] for m in server.requests[index].body["messages"] if isinstance(m["content"], str))


def request_chars(server: FakeOpenAIServer, index: int) -> int:
    return sum(len(m["content"]) for m in server.requests[index].body["messages"] if isinstance(m["content"], str))


def printed(nb: nbformat.NotebookNode, index: int) -> str:
    return "".join(o.get("text", "") for o in nb.cells[index].outputs if o.output_type == "stream")


def html_of(nb: nbformat.NotebookNode, index: int) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in nb.cells[index].outputs)


def test_a_follow_up_holds_the_earlier_goal_and_answer(openai_server, tmp_path) -> None:
    openai_server.queue(
        code("rev = (sales.units * sales.price).groupby(sales.region).sum()\nrev"),
        code("final_answer(f'{rev.idxmax()} has the most revenue')"),
        code("final_answer(f'{rev.idxmin()} has the least')"),
    )
    nb = run_notebook(["%load_ext jupyter_autogpt", SALES, "%%autogpt\nWhich region has the most revenue?",
                       "%%autogpt -c\nAnd the least?", PROBE + "print(r.parent is not None, r.answer)"],
                      openai_server, tmp_path)
    follow = request_text(openai_server, 2)
    assert "Which region has the most revenue?" in follow and "south has the most revenue" in follow
    assert "(sales.units * sales.price).groupby(sales.region).sum()" in follow  # its steps, compacted
    assert follow.index("south has the most revenue") < follow.index("And the least?")
    assert printed(nb, 4).strip() == "True east has the least"
    assert "follows up run" in html_of(nb, 3)  # the static transcript the live view left shows the thread


def test_continue_with_nothing_to_continue_says_so(openai_server, tmp_path) -> None:
    nb = run_notebook(["%load_ext jupyter_autogpt", "%%autogpt -c\nAnd for 2024?"], openai_server, tmp_path)
    said = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert said.startswith("UsageError: nothing to continue: no %%autogpt run in this kernel yet")
    assert not openai_server.requests  # nothing billed


def test_a_20_run_chain_keeps_every_request_under_the_context_budget(openai_server, tmp_path) -> None:
    runs = 20
    for n in range(runs):
        openai_server.queue(code(f"print('row {n} ' * 2_000)"), code(f"final_answer('answer {n} ' + 'a' * 3_000)"))
    cells = ["%load_ext jupyter_autogpt", "%config AutoGPTMagics.continue_runs = True"]
    cells += [f"%%autogpt --context-chars 2000\nQuestion {n}: " + "why " * 300 for n in range(runs)]
    cells.append(PROBE + "print(r.context.thread.length, len(r.context.thread.runs), len(jupyter_autogpt.runs()))")
    nb = run_notebook(cells, openai_server, tmp_path)
    assert len(openai_server.requests) == 2 * runs
    sizes = [request_chars(openai_server, i) for i in range(2 * runs)]
    assert max(sizes) <= history_chars(2000), sizes
    assert max(sizes[-10:]) <= max(sizes[10:20]) * 1.05  # bounded: the last runs' requests stop growing
    last = request_text(openai_server, 2 * runs - 2)
    assert "Question 18:" in last and "answer 18" in last and "earlier run(s) of this conversation omitted" in last
    assert "Question 0:" not in last
    thread, kept, total = printed(nb, len(cells) - 1).split()
    assert (int(thread), int(total)) == (runs - 1, runs) and int(kept) < runs - 1


def test_the_users_failing_cell_and_its_error_reach_the_prompt_redacted(openai_server, tmp_path) -> None:
    openai_server.queue(code("final_answer('the column is spelt region')"), code("final_answer('none')"))
    cells = [
        "%load_ext jupyter_autogpt",
        SALES,
        "import os\nkey = os.environ['OPENAI_API_KEY']\nprint('using', key)",
        "by_region = sales.groupby('regoin').units.sum()",
        "%%autogpt\nWhy does the cell above fail?",
        "%%autogpt --history 0\nAnything else?",
    ]
    run_notebook(cells, openai_server, tmp_path)
    first = request_text(openai_server, 0)
    assert "What the user did since the last run" in first
    assert "by_region = sales.groupby('regoin').units.sum()" in first
    assert "The last error the user hit (In [4])" in first and "KeyError" in first and "regoin" in first
    assert "printed: using [REDACTED]" in first
    assert "print('using', key)" in first and "%load_ext" not in first
    everything = json.dumps([r.body for r in openai_server.requests])
    assert SECRET_KEY not in everything and "\\u001b[" not in everything
    assert "What the user did" not in request_text(openai_server, 1)  # --history 0: nothing of the user's cells


def test_instructions_from_config_and_agents_md_reach_the_system_prompt(openai_server, tmp_path) -> None:
    (tmp_path / "AGENTS.md").write_text(f"# Conventions\nMoney is in euros. The staging key is {SECRET_KEY}.\n")
    openai_server.queue(code("final_answer(round(12.345, 2))"))
    cells = ["%load_ext jupyter_autogpt", "%config AutoGPTMagics.instructions = 'Round money to cents.'",
             "%%autogpt\nHow much is 12.345?", PROBE + "print(r.context.instructions.sources)",
             f"%autogpt export {tmp_path / 'run.json'}"]
    nb = run_notebook(cells, openai_server, tmp_path)
    system = openai_server.requests[0].body["messages"][0]["content"]
    assert "Standing instructions from the user" in system
    assert "From AGENTS.md:\n# Conventions\nMoney is in euros." in system and "Round money to cents." in system
    assert SECRET_KEY not in system and "[REDACTED]" in system
    assert printed(nb, 3).strip() == "('AGENTS.md', '%config AutoGPTMagics.instructions')"
    assert "standing instructions · AGENTS.md, %config AutoGPTMagics.instructions" in html_of(nb, 2)
    saved = json.loads((tmp_path / "run.json").read_text())
    assert "Money is in euros." in saved["instructions"]["text"] and SECRET_KEY not in json.dumps(saved)


def test_a_plan_and_its_revision_show_in_the_view_the_run_and_the_transcript(openai_server, tmp_path) -> None:
    openai_server.queue(
        "Plan:\n1. Look at sales\n2. Compute revenue per region\n3. Answer\n```python\nsales.head()\n```",
        code("rev = (sales.units * sales.price).groupby(sales.region).sum()\nrev"),
        "Revised plan:\n1. [x] Look at sales\n2. [x] Compute revenue per region\n3. Check the units too\n4. Answer\n"
        "```python\nsales.units.sum()\n```",
        code("final_answer(rev.idxmax())"),
    )
    cells = ["%load_ext jupyter_autogpt", SALES, "%%autogpt\nWhich region has the most revenue?",
             PROBE + "print(r.plan.revision, [(i.text, i.state) for i in r.plan.items])",
             f"%autogpt export {tmp_path / 'run.json'}"]
    nb = run_notebook(cells, openai_server, tmp_path)
    assert printed(nb, 3).strip() == (
        "2 [('Look at sales', 'done'), ('Compute revenue per region', 'done'), ('Check the units too', 'done'), "
        "('Answer', 'done')]"
    )
    view = html_of(nb, 2)
    assert "☑ Check the units too" in view and "revision 2" in view and "4/4 done" in view
    saved = json.loads((tmp_path / "run.json").read_text())
    assert saved["plan"]["revision"] == 2 and [i["text"] for i in saved["plan"]["items"]][2] == "Check the units too"
    assert all(i["state"] == "done" for i in saved["plan"]["items"])


@pytest.fixture
def kernel(openai_server) -> Iterator[Any]:
    with running_kernel(OPENAI_API_KEY=SECRET_KEY, OPENAI_BASE_URL=openai_server.base_url) as (_, kc):
        execute(kc, "%load_ext jupyter_autogpt\nx = 21")
        yield kc


def test_plan_asks_on_stdin_and_the_edited_plan_reaches_the_model(kernel, openai_server) -> None:
    openai_server.queue("Plan:\n1. Look at x\n2. Answer\n```python\nprint('the proposed code ran')\n```",
                        code("final_answer(x * 3)"))
    messages = traffic(kernel, "%%autogpt --plan\nWhat is x tripled?",
                       answers=["e", "Look at x twice", "Answer in words", ""])
    prompts = [m["content"]["prompt"] for m in messages if m["msg_type"] == "input_request"]
    assert prompts[0].startswith("Run this plan?") and len(prompts) == 4
    shown = "".join(m["content"].get("text", "") for m in messages if m["msg_type"] == "stream")
    assert "Plan:\n  1. Look at x\n  2. Answer" in shown and "the proposed code ran" not in shown
    second = request_text(openai_server, 1)
    assert "1. Look at x twice\n2. Answer in words" in second and "Your code did not run" in second
    assert execute(kernel, PROBE + "print(r.answer, r.plan.by, r.steps[0].skipped)").strip() == "63 user True"


def test_plan_where_nothing_can_answer_is_refused_not_a_hang(openai_server, tmp_path) -> None:
    openai_server.queue("Plan:\n1. Look\n2. Answer\n```python\nprint('ran')\n```")
    nb = run_notebook(["%load_ext jupyter_autogpt", "%%autogpt --plan\nA goal", PROBE + "print(r.status, r.error)"],
                      openai_server, tmp_path)
    status = printed(nb, 2)
    assert status.startswith("interrupted") and "drop --plan" in status
    assert "ran" not in printed(nb, 1)
