"""The accuracy harness end to end: the real command, a fresh kernel per task, the real ``%%autogpt`` path.

The smoke set's replies are scripted stand-ins for a model (``benchmarks/smoke/recordings.py``); their code
really runs on the CSVs in the task kernels, and the report is checked against the labels file.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.eval_sets import SMOKE, Finished, harness, harness_env, question, write_set

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

#: The tasks whose scripted replies are wrong by design (recordings.py says how): 5 ignores the population
#: standard deviation, 14 answers in prose without the @name[value] format.
WRONG_BY_DESIGN = {5: "wrong std_score", 14: "no @peak_hour[…] in the answer"}


def jsonl(path: Path) -> dict[int, dict]:
    return {r["id"]: r for r in map(json.loads, path.read_text().splitlines())}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> Iterator[tuple[Finished, dict, Path]]:
    """Run the whole smoke set once, two kernels at a time, keeping the report and the transcripts."""
    out = tmp_path_factory.mktemp("smoke")
    finished = harness("benchmarks/smoke", "--model", "replay:benchmarks/smoke/replies", "--jobs", "2",
                       "--report", str(out / "report.json"), "--transcripts", str(out / "runs"))
    assert finished.rc == 0, finished.err
    yield finished, json.loads((out / "report.json").read_text()), out / "runs"


def test_the_smoke_report_agrees_with_the_labels(smoke) -> None:
    _, report, _ = smoke
    labels = {i: dict(r["common_answers"]) for i, r in jsonl(SMOKE / "da-dev-labels.jsonl").items()}
    tasks = {t["id"]: t for t in report["tasks"]}
    assert list(tasks) == list(labels)  # every task, in the questions' order
    for i, task in tasks.items():
        subs = {s["name"]: s for s in task["sub_answers"]}
        assert {n: s["expected"] for n, s in subs.items()} == labels[i]
        assert task["correct"] == all(s["correct"] for s in subs.values())
        assert task["status"] == "finished" and task["steps"] >= 3 and task["tokens"] > 0
        assert task["cost"] == 0 and task["wall_seconds"] >= task["seconds"] > 0
        if i in WRONG_BY_DESIGN:
            assert not task["correct"] and WRONG_BY_DESIGN[i] in task["failure"]
        else:
            assert task["correct"] and task["failure"] is None, task
            for name, expected in labels[i].items():  # the value the code computed in the kernel is the label's
                assert float(subs[name]["got"]) == pytest.approx(float(expected)) if _number(expected) \
                    else subs[name]["got"] == expected
    right = len(tasks) - len(WRONG_BY_DESIGN)
    assert (report["correct"], report["total"], report["accuracy"]) == (right, len(tasks), round(right / len(tasks), 4))
    assert report["complete"] and report["tokens"]["estimated"] and report["cost"] == 0


def test_the_terminal_shows_a_table_and_the_progress_of_each_task(smoke) -> None:
    finished, report, _ = smoke
    lines = finished.out.splitlines()
    assert lines[0].split() == ["id", "level", "ok", "steps", "tokens", "cost", "time", "failure"]
    assert sum(line.split()[0].isdigit() for line in lines[2:] if line.strip()) == report["total"]
    assert f"accuracy {report['correct']}/{report['total']} = {report['accuracy']:.1%}" in lines[-1]
    progress = [line for line in finished.err.splitlines() if line.startswith("[")]
    assert len(progress) == report["total"] and progress[-1].startswith(f"[{report['total']}/{report['total']}]")


def test_each_goal_carried_its_constraints_and_format_and_the_transcripts_replay(smoke, tmp_path) -> None:
    _, report, runs = smoke
    questions = jsonl(SMOKE / "da-dev-questions.jsonl")
    for i, q in questions.items():
        goal = json.loads((runs / f"{i}.json").read_text())["goal"]
        assert q["question"] in goal and q["constraints"] in goal and q["format"] in goal
    again = harness("benchmarks/smoke", "--model", f"replay:{runs}", "--tasks", "3,5,8",
                    "--report", str(tmp_path / "again.json"))
    assert again.rc == 0, again.err
    before = {t["id"]: t for t in report["tasks"]}
    for task in json.loads((tmp_path / "again.json").read_text())["tasks"]:
        assert (task["correct"], task["answer"], task["steps"]) == (
            before[task["id"]]["correct"], before[task["id"]]["answer"], before[task["id"]]["steps"])


def test_a_refused_run_stops_the_evaluation_with_the_magics_own_message(tmp_path) -> None:
    finished = harness("benchmarks/smoke", "--model", "nosuch:model", "--limit", "3", "--report",
                       str(tmp_path / "r.json"))
    assert finished.rc == 2
    assert "error: the run could not start: UsageError: unknown model 'nosuch:model'" in finished.err
    assert not (tmp_path / "r.json").exists()


def tiny_set(folder: Path, replies: dict[int, list[str]]) -> Path:
    """Write a two-task folder whose recordings are ``replies``."""
    labels = [{"id": i, "common_answers": [["value", "3"]]} for i in (1, 2)]
    write_set(folder, [question(1), question(2)], labels, {"t.csv": "a\n1\n2\n"})
    (folder / "replies").mkdir()
    for i, texts in replies.items():
        (folder / "replies" / f"{i}.json").write_text(json.dumps(texts))
    return folder


def test_a_task_that_overruns_its_time_or_lacks_a_recording_fails_with_the_reason(tmp_path) -> None:
    slow = "Waiting for the data.\n```python\nimport time\nwhile True:\n    time.sleep(0.1)\n```"
    folder = tiny_set(tmp_path / "set", {1: [slow]})
    finished = harness(str(folder), "--model", f"replay:{folder / 'replies'}", "--timeout", "3",
                       "--report", str(tmp_path / "r.json"))
    assert finished.rc == 0, finished.err
    one, two = json.loads((tmp_path / "r.json").read_text())["tasks"]
    assert not one["correct"] and one["status"] == "max_steps" and "time budget used up" in one["failure"]
    assert not two["correct"] and two["failure"] == f"no recording {folder / 'replies' / '2.json'}"
    assert two["status"] is None and two["steps"] == 0


def test_ctrl_c_stops_the_kernels_and_keeps_the_finished_tasks(tmp_path) -> None:
    quick = "Summing.\n```python\nimport pandas as pd\nfinal_answer(f\"@value[{pd.read_csv('t.csv').a.sum()}]\")\n```"
    stuck = "Waiting.\n```python\nimport time\nwhile True:\n    time.sleep(0.1)\n```"
    folder = tiny_set(tmp_path / "set", {1: [quick], 2: [stuck]})
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_autogpt.eval", str(folder), "--model", f"replay:{folder / 'replies'}",
         "--report", str(tmp_path / "r.json")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=harness_env(),
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # the progress line of task 1: task 2 is now running
        assert first.startswith("[1/2] task 1"), first
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "stopped by Ctrl-C" in err and "(stopped early: partial)" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["complete"] is False
    assert [(t["id"], t["correct"]) for t in report["tasks"]] == [(1, True)]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
