"""The accuracy harness without kernels: loading a DABench-layout folder, scoring, the goal text, the CLI's errors,
and the smoke set's generator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_autogpt.eval.cli import main
from jupyter_autogpt.eval.goal import goal_of
from jupyter_autogpt.eval.scoring import extract, matches, score
from jupyter_autogpt.eval.tasks import DatasetError, load_tasks, select
from support.eval_sets import SMOKE, question, write_set

# -- scoring ----------------------------------------------------------------------------------------------------


def test_answers_are_read_in_the_closed_form_and_the_last_repeat_wins() -> None:
    text = "First try @mean[3.1], then @std[ 0.5 ] and finally @mean[3.25]. Not an answer: @bad [1]"
    assert extract(text) == {"mean": "3.25", "std": " 0.5 "}


@pytest.mark.parametrize(
    ("got", "expected", "same"),
    [
        ("North", "North", True),
        (" North ", "North", True),
        ("'North'", "North", True),
        ("north", "North", False),  # text is exact, as in DABench
        ("12.3", "12.30", True),  # numbers compare as numbers
        ("0.1234", "0.12", False),  # unrounded is not the asked rounding
        ("1e2", "100", True),
        ("nan", "nan", True),  # equal as text
        ("nan", "1.0", False),
        ("", "0", False),
    ],
)
def test_a_value_matches_exactly_or_as_a_number_within_the_tolerance(got: str, expected: str, same: bool) -> None:
    assert matches(got, expected) is same


def test_the_tolerance_is_the_callers() -> None:
    assert not matches("0.124", "0.12")
    assert matches("0.124", "0.12", tolerance=0.005)


def test_a_question_counts_only_when_every_sub_answer_is_right_and_the_reason_names_the_misses() -> None:
    labels = [("mean", "60.56"), ("std", "18.66"), ("n", "200")]
    right = score("@mean[60.56] @std[18.660] @n[200]", labels)
    assert right.correct and right.reason is None
    verdict = score("@mean[60.56] @std[18.70] @count[200]", labels)
    assert not verdict.correct
    assert [s.correct for s in verdict.subs] == [True, False, False]
    assert verdict.reason == "no @n[…] in the answer (found @mean, @std, @count); wrong std: 18.70 (expected 18.66)"
    assert score("The answer is 42.", [("x", "42")]).reason == "no @x[…] in the answer"


# -- loading ----------------------------------------------------------------------------------------------------


def test_the_smoke_set_loads_like_the_dabench_dev_set() -> None:
    tasks = load_tasks(SMOKE)
    assert len(tasks) >= 12
    assert [t.id for t in tasks] == list(range(1, len(tasks) + 1))
    first = tasks[0]
    assert first.table == SMOKE / "da-dev-tables" / first.file_name and first.table.is_file()
    assert first.labels and first.level and first.concepts and first.constraints
    assert [t.id for t in select(tasks, ["3", "1"], limit=None)] == [1, 3]
    assert [t.id for t in select(tasks, [], limit=2)] == [1, 2]


def test_a_folder_that_breaks_the_layout_gets_an_error_naming_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no task folder"):
        load_tasks(tmp_path / "absent")
    with pytest.raises(DatasetError, match=r"da-dev-questions\.jsonl is missing"):
        load_tasks(tmp_path)

    bad = write_set(tmp_path / "bad", [question(1)], [{"id": 1, "common_answers": [["value", "1"]]}], {})
    (bad / "da-dev-questions.jsonl").write_text(json.dumps(question(1)) + "\n{not json\n")
    with pytest.raises(DatasetError, match=r"da-dev-questions.jsonl:2: not JSON"):
        load_tasks(bad)

    unlabelled = write_set(tmp_path / "unlabelled", [question(1), question(2), question(3)],
                           [{"id": 2, "common_answers": [["value", "1"]]}], {"t.csv": "a\n1\n"})
    with pytest.raises(DatasetError, match=r"2 question\(s\) have no label .*: id 1, 3"):
        load_tasks(unlabelled)

    no_table = write_set(tmp_path / "no_table", [question(1, "gone.csv")],
                         [{"id": 1, "common_answers": [["value", "1"]]}], {})
    with pytest.raises(DatasetError, match=r"1 table\(s\) missing from .*da-dev-tables: gone.csv"):
        load_tasks(no_table)

    escaping = write_set(tmp_path / "escaping", [question(1, "../secret.csv")],
                         [{"id": 1, "common_answers": [["value", "1"]]}], {})
    with pytest.raises(DatasetError, match="not a file in da-dev-tables"):
        load_tasks(escaping)


def test_an_unknown_task_id_is_an_error_not_a_smaller_measurement() -> None:
    with pytest.raises(DatasetError, match="no task with id 99"):
        select(load_tasks(SMOKE), ["1", "99"])


# -- the goal ---------------------------------------------------------------------------------------------------


def test_the_goal_gives_the_model_the_question_constraints_file_and_format_but_never_the_labels() -> None:
    task = select(load_tasks(SMOKE), ["2"])[0]
    goal = goal_of(task)
    for part in (task.question, task.constraints, task.format, f"`{task.file_name}`"):
        assert part in goal
    assert 'final_answer("@top_region[…] @top_region_revenue[…]")' in goal
    assert all(value not in goal for _, value in task.labels)


# -- the command line -------------------------------------------------------------------------------------------


def test_the_command_line_refuses_bad_input_before_starting_any_kernel(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path / "absent"), "--model", "replay:x"]) == 2
    assert "error: no task folder at" in capsys.readouterr().err

    assert main([str(SMOKE)]) == 2
    assert "no model: pass --model" in capsys.readouterr().err

    assert main([str(SMOKE), "--model", "gpt-4o-mini"]) == 2
    assert "needs a provider: openai:NAME" in capsys.readouterr().err

    assert main([str(SMOKE), "--model", "openai:gpt-4o-mini"]) == 2  # conftest clears OPENAI_API_KEY
    assert "no OpenAI API key: export OPENAI_API_KEY" in capsys.readouterr().err

    assert main([str(SMOKE), "--model", f"replay:{tmp_path / 'nowhere'}"]) == 2
    assert "no recordings at" in capsys.readouterr().err

    assert main([str(SMOKE), "--model", f"replay:{tmp_path}"]) == 2
    assert "holds no recording for these tasks" in capsys.readouterr().err

    assert main([str(SMOKE), "--model", "replay:x.json", "--tasks", "1,40-41"]) == 2
    assert "no task with id 40, 41" in capsys.readouterr().err

    assert main([str(SMOKE), "--model", f"replay:{SMOKE / 'replies'}", "--kernel", "no-such-kernel"]) == 2
    assert "no kernel named 'no-such-kernel'" in capsys.readouterr().err


def test_the_help_is_the_manual() -> None:
    out = subprocess.run([sys.executable, "-m", "jupyter_autogpt.eval", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for option in ("--model", "--jobs", "--report", "--max-steps", "--timeout", "--base-url", "--tasks", "--limit",
                   "--tolerance", "--transcripts", "--fail-under"):
        assert option in out


# -- the smoke set ----------------------------------------------------------------------------------------------


def test_the_smoke_set_is_exactly_what_its_generator_writes(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SMOKE / "make_smoke.py"), "--out", str(tmp_path)], check=True)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written, "the generator wrote nothing"
    for rel in written:
        assert (SMOKE / rel).read_bytes() == (tmp_path / rel).read_bytes(), f"{rel} differs: rerun make_smoke.py"
    questions = [json.loads(line)["id"] for line in (tmp_path / "da-dev-questions.jsonl").read_text().splitlines()]
    assert sorted(int(p.stem) for p in (tmp_path / "replies").glob("*.json")) == questions


def test_the_report_never_holds_a_credential(monkeypatch) -> None:
    from jupyter_autogpt.eval.report import build
    from jupyter_autogpt.eval.runner import Settings, TaskResult
    from jupyter_autogpt.eval.scoring import score

    key = "sk-" + "live" * 6
    monkeypatch.setenv("OPENAI_API_KEY", key)
    task = load_tasks(SMOKE)[0]
    result = TaskResult(task, score("", task.labels), status="failed", failure=f"the server refused key {key}")
    settings = Settings(model="openai:gpt-4o-mini", base_url="https://bob:hunter2-pass@llm.example/v1?api-key=xyz")
    text = json.dumps(build([result], settings, "set", 1.0, 1))
    assert key not in text and "hunter2-pass" not in text and "api-key=xyz" not in text
    assert "[REDACTED]" in text


def test_each_task_gets_its_own_recording_and_local_paths_become_absolute(tmp_path: Path, monkeypatch) -> None:
    from jupyter_autogpt.eval.runner import model_for

    tasks = load_tasks(SMOKE)
    monkeypatch.chdir(SMOKE.parent.parent)  # as a user runs it from the repository root
    assert model_for(tasks[1], "replay:benchmarks/smoke/replies") == f"replay:{SMOKE / 'replies' / '2.json'}"
    assert model_for(tasks[1], f"replay:{tmp_path}") is None  # this folder holds no 2.json
    assert model_for(tasks[0], "replay:benchmarks/smoke/replies/7.json") == f"replay:{SMOKE / 'replies' / '7.json'}"
    assert model_for(tasks[0], "transformers:benchmarks") == f"transformers:{SMOKE.parent}"
    assert model_for(tasks[0], "transformers:Qwen/Qwen2.5-0.5B") == "transformers:Qwen/Qwen2.5-0.5B"
    assert model_for(tasks[0], "openai:llama3.1:8b") == "openai:llama3.1:8b"
