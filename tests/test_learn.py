"""Task generation: a teacher proposes questions about the user's frames, the agent runs them in throwaway
kernels, and only the runs whose answers the teacher's own checks confirm become training data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from jupyter_autogpt import learn
from jupyter_autogpt.errors import ConfigError, ModelBehaviourError
from jupyter_autogpt.learn.tasks import Task, check_refusal, parse_tasks
from jupyter_autogpt.learn.verify import agree
from support.kernels import code
from support.openai_server import FakeOpenAIServer

SALES = pd.DataFrame({"region": ["North", "South", "North", "East"], "price": [2.5, 4.25, 3.0, 1.75],
                      "units": [10, 3, 7, 4]})
PROPOSALS = [
    {"question": "What is the highest `price` in `sales`? Round to 2 decimals.", "name": "max_price",
     "check": "answer = round(float(sales['price'].max()), 2)"},
    {"question": "How many rows does `sales` have?", "name": "rows", "check": "answer = len(sales)"},
    {"question": "Which region of `sales` sells the most units?", "name": "region",
     "check": "answer = sales.groupby('region')['units'].sum().idxmax()"},
    {"question": "List the files here.", "name": "files", "check": "import subprocess\nanswer = subprocess.run(['ls'])"},
]


def analyst(body: dict[str, Any]) -> str:
    """Answer like a teacher (proposals) or an agent: right on two questions, wrong on the row count."""
    messages = body["messages"]
    if "You write exercises" in messages[0]["content"]:
        return "Here they are:\n```json\n" + json.dumps(PROPOSALS) + "\n```"
    goal = messages[1]["content"]
    if "highest `price`" in goal:
        return code("final_answer(round(float(sales['price'].max()), 2))", "The maximum.")
    if "How many rows" in goal:
        return code("final_answer(len(sales) + 1)", "Count them.")  # wrong on purpose
    if len(messages) == 2:
        return code("print(sales.groupby('region')['units'].sum())", "Total units per region.")
    return "North sells the most units (17)."


@pytest.mark.kernel
def test_generate_keeps_only_runs_the_teachers_checks_confirm(tmp_path: Path, monkeypatch) -> None:
    with FakeOpenAIServer(default=analyst) as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-" + "k" * 24)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        report = learn.generate({"sales": SALES}, teacher="openai:gpt-4o-mini", n=4, output=tmp_path / "learn")
    by_question = {o.question.split("?")[0]: o for o in report.outcomes}
    assert [o.verified for o in report.outcomes] == [True, False, True]
    assert by_question["How many rows does `sales` have"].reason == "differs from the reference"
    assert by_question["How many rows does `sales` have"].reference == "4"
    assert report.refused and "runs a subprocess" in report.refused[0][1]
    assert report.dataset is not None and report.dataset.runs == 2
    lines = Path(report.dataset.train).read_text().splitlines()
    lines += Path(report.dataset.validation).read_text().splitlines() if report.dataset.validation else []
    conversations = [json.loads(line)["messages"] for line in lines]
    # The observations are what the kernel printed, and the first message shows the frame by its name.
    assert any("North    17" in m["content"] for c in conversations for m in c if m["role"] == "user")
    assert all("`sales`" in c[1]["content"] or "sales" in c[1]["content"] for c in conversations)
    rows = [json.loads(line) for line in (tmp_path / "learn" / "tasks.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and rows[-1]["refused"]
    assert SALES["units"].tolist() == [10, 3, 7, 4]  # the user's frame is untouched
    asked = [json.dumps(r.body) for r in server.requests if "You write exercises" not in json.dumps(r.body)]
    assert asked and not any("What the user did" in a or "answer = " in a for a in asked)  # no earlier task's check


def test_answers_agree_by_value_not_by_form() -> None:
    assert agree(4.2, 4.2000001)[0] and agree("The mean is 3.50.", 3.5)[0] and agree(3.46, 3.4567)[0]
    assert agree("@max_price[4.25]", 4.25)[0] and agree("North sells the most.", "North")[0]
    assert agree(pd.Series([1, 2]), [1, 2])[0] and agree([1.0, 2.0], pd.Series([1, 2]))[0]
    assert agree("yes", True)[0] and agree(SALES.copy(), SALES)[0]
    assert not agree(5, 4)[0] and not agree("Northern", "North")[0] and not agree(None, 1)[0]
    assert not agree(3, 3.4567)[0] and not agree(3.4, 3.4567)[0] and not agree([1, 2, 3], [1, 2])[0] and not agree("no", True)[0]


def test_proposals_are_parsed_and_unsafe_checks_refused() -> None:
    tasks = parse_tasks("```json\n" + json.dumps([*PROPOSALS, PROPOSALS[0], {"question": "no check"}, 3]) + "\n```")
    assert [t.name for t in tasks] == ["max_price", "rows", "region", "files"]
    assert check_refusal(tasks[0].check) is None
    assert "subprocess" in (check_refusal(tasks[3].check) or "")
    assert "network" in (check_refusal("import urllib.request\nanswer = urllib.request.urlopen('http://x')") or "")
    assert "does not parse" in (check_refusal("answer = (") or "")
    with pytest.raises(ModelBehaviourError, match="no JSON list"):
        parse_tasks("I cannot help with that.")


def test_bad_input_gets_a_clear_error(tmp_path: Path) -> None:
    from jupyter_autogpt.testing import ScriptedModel

    with pytest.raises(ConfigError, match="no dataframes given"):
        learn.generate({}, teacher="openai:gpt-4o-mini")
    with pytest.raises(ConfigError, match="pass model="):
        learn.generate({"sales": SALES}, teacher=ScriptedModel([]))
    unsafe = [Task("List files.", "files", "import os\nanswer = os.remove('x')")]
    with pytest.raises(ConfigError, match="no usable question"):
        learn.generate({"sales": SALES}, teacher="openai:gpt-4o-mini", tasks=unsafe, output=tmp_path)


def test_gain_passes_local_models_to_the_harness_by_absolute_path(tmp_path: Path, monkeypatch) -> None:
    from jupyter_autogpt.learn.gain import _absolute, table

    (tmp_path / "base").mkdir()
    (tmp_path / "adapter").mkdir()
    monkeypatch.chdir(tmp_path)
    # The harness starts each task's kernel in a scratch folder, where a relative path would point nowhere.
    assert _absolute("transformers:base+adapter:adapter") == f"transformers:{tmp_path / 'base'}+adapter:{tmp_path / 'adapter'}"
    assert _absolute("transformers:org/model+adapter:adapter") == f"transformers:org/model+adapter:{tmp_path / 'adapter'}"
    assert _absolute("openai:gpt-4o-mini") == "openai:gpt-4o-mini"
    reports = {"base": {"accuracy": 0.5, "tasks": [{"id": 1, "correct": True}, {"id": 2, "correct": False}]},
               "tuned": {"accuracy": 1.0, "tasks": [{"id": 1, "correct": True}, {"id": 2, "correct": True}]}}
    assert table(reports).splitlines()[2:] == ["| 1 | ✔ | ✔ |", "| 2 | ✘ | ✔ |", "| accuracy | **50%** | **100%** |"]
