"""Recorded runs -> fine-tuning JSONL: the requests rebuilt exactly as the model read them, split, redacted, deduplicated."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_autogpt import dataset, transcript
from jupyter_autogpt.errors import ConfigError
from jupyter_autogpt.limits import TRAINING_MESSAGE_CHARS
from jupyter_autogpt.session import Session
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import Message, Run, RunConfig
from jupyter_autogpt.ui.export import write
from support.kernels import code

SECRET = "sk-test-" + "Vb3Nq8Zr1Lp6Xw4Tc9Hm2Jd"


@pytest.fixture
def shell(ip) -> InteractiveShell:
    """Return the real shell; the names a test's runs leave behind are removed after it (``ip``)."""
    return ip


def scripted(shell: InteractiveShell, replies: list[str], goal: str = "Describe the prices.",
             **config: object) -> tuple[Run, ScriptedModel]:
    model = ScriptedModel(replies)
    run = Session(shell, view="none").run(goal, RunConfig(model="scripted", **config), model=model)  # type: ignore[arg-type]
    model.assert_all_used()
    return run, model


def wire(messages: list[Message]) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in messages]


def requests_in(example: dict) -> list[tuple[list[tuple[str, str]], str, int]]:
    """Return each trained or context reply of an example with the messages before it."""
    found = []
    messages = example["messages"]
    for i, m in enumerate(messages):
        if m["role"] == "assistant":
            found.append(([(x["role"], x["content"]) for x in messages[:i]], m["content"], m["weight"]))
    return found


def test_a_short_run_is_one_conversation_holding_every_request_exactly(shell: InteractiveShell) -> None:
    shell.user_ns["prices"] = [3, 1, 2]
    replies = ["```python\nprint(sorted(prices))\n```", code("1 / 0", "Oops."),  # compacted, step 1 reads the same
               code("final_answer(sum(prices) / len(prices))", "The mean.")]
    run, model = scripted(shell, replies)
    [example] = dataset.examples_of(transcript.to_dict(run))
    seen = requests_in({"messages": list(example.messages)})
    # Each reply follows exactly the messages of the request that produced it, as the model received them.
    expected = [(wire(call), r) for call, r in zip(model.calls, replies, strict=True)]
    assert [(before, reply) for before, reply, _ in seen] == expected
    assert "prices" in seen[0][0][1][1]  # the namespace overview of the first message is there
    # The reply whose code raised stays as context; the recovery is what is trained.
    assert [weight for *_, weight in seen] == [1, 0, 1]


def test_a_long_run_splits_where_the_history_is_compacted_and_trains_each_reply_once(shell: InteractiveShell) -> None:
    replies = [code(f"print('row {i}: ' + 'x' * 300)", f"Step {i}.") for i in range(1, 7)]
    replies.append(code("final_answer('done')"))
    run, model = scripted(shell, replies, max_steps=10)
    examples = dataset.examples_of(transcript.to_dict(run))
    assert len(examples) > 1  # older steps were compacted, so a later request does not extend the first
    trained = {}
    for example in examples:
        for before, reply, weight in requests_in({"messages": list(example.messages)}):
            assert (before, reply) in [(wire(c), r) for c, r in zip(model.calls, replies, strict=True)] or weight == 0
            if weight:
                trained[reply] = trained.get(reply, 0) + 1
    assert trained == dict.fromkeys(replies, 1)


def test_export_round_trips_through_datasets_and_splits_by_run(shell: InteractiveShell, tmp_path: Path) -> None:
    runs = []
    for i in range(24):
        shell.user_ns["n"] = i
        runs.append(scripted(shell, [code("print(n * 2)"), code("final_answer(n * 2)")], goal=f"Double n ({i}).")[0])
    report = dataset.export(tmp_path / "runs.jsonl", runs, validation=0.25)
    assert report.runs == 24 and report.train_examples + report.validation_examples == 24
    assert report.validation_examples > 0 and report.train_examples > 0
    loaded = dataset.load(report.train, cache_dir=str(tmp_path / "cache"))
    assert set(loaded) == {"train", "validation"}
    assert len(loaded["train"]) == report.train_examples
    row = loaded["train"][0]["messages"]
    assert [m["role"] for m in row] == ["system", "user", "assistant", "user", "assistant"]
    assert [m["weight"] for m in row if m["role"] == "assistant"] == [1, 1]
    manifest = json.loads(Path(report.manifest).read_text())
    splits = {}
    for entry in manifest["examples"]:
        splits.setdefault(entry["run_id"], set()).add(entry["split"])
    assert all(len(s) == 1 for s in splits.values()) and len(splits) == 24
    # The same runs give the same split on a later export with more data: no validation run leaks into training.
    again = dataset.export(tmp_path / "more.jsonl", [*runs, scripted(shell, [code("final_answer(1)")])[0]],
                           validation=0.25)
    later = {e["run_id"]: e["split"] for e in json.loads(Path(again.manifest).read_text())["examples"]}
    assert all(later[run_id] == split.pop() for run_id, split in splits.items())


def test_secrets_never_reach_the_training_data(shell: InteractiveShell, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SERVICE_API_KEY", SECRET)
    run, _ = scripted(shell, [code("import os; print(os.environ['SERVICE_API_KEY'])"), code(f"final_answer('{SECRET}')")])
    report = dataset.export(tmp_path / "d.jsonl", [run], validation=0)
    text = Path(report.train).read_text()
    assert SECRET not in text and "[REDACTED]" in text


def test_oversized_messages_are_bounded_and_a_cut_reply_is_not_trained(shell: InteractiveShell) -> None:
    run, _ = scripted(shell, [code("print(1)"), code("final_answer(2)")])
    data = transcript.to_dict(run)
    data["steps"][0]["output"] = "y" * (3 * TRAINING_MESSAGE_CHARS)
    data["steps"][1]["reply"] = "z" * (2 * TRAINING_MESSAGE_CHARS) + "\n```python\nfinal_answer(2)\n```"
    [example] = dataset.examples_of(data)
    assert all(len(m["content"]) <= TRAINING_MESSAGE_CHARS for m in example.messages)
    assert [m["weight"] for m in example.messages if m["role"] == "assistant"] == [1, 0]


def test_sources_files_folders_notebooks_deduplicated(shell: InteractiveShell, tmp_path: Path) -> None:
    run, _ = scripted(shell, [code("final_answer(7)")], goal="Seven.")
    other, _ = scripted(shell, [code("final_answer(8)")], goal="Eight.")
    folder = tmp_path / "recordings"
    (folder / ".ipynb_checkpoints").mkdir(parents=True)
    write(run, folder / "a.json")
    write(run, folder / ".ipynb_checkpoints" / "a-checkpoint.json")
    (folder / "settings.json").write_text('{"theme": "dark"}')
    nb = nbformat.v4.new_notebook()
    output = nbformat.v4.new_output("display_data", data={transcript.MIME_TYPE: transcript.to_dict(other)})
    nb.cells = [nbformat.v4.new_code_cell("%%autogpt\nEight.", outputs=[output])]
    nbformat.write(nb, tmp_path / "analysis.ipynb")
    report = dataset.export(tmp_path / "d.jsonl", [folder, tmp_path / "analysis.ipynb", folder / "a.json"], validation=0)
    assert report.runs == 2 and report.train_examples == 2 and report.duplicates == 1
    lines = Path(report.train).read_text().splitlines()
    assert {json.loads(line)["messages"][-1]["content"] for line in lines} == {code("final_answer(7)"), code("final_answer(8)")}


def test_filters_and_unusable_transcripts_are_reported(shell: InteractiveShell, tmp_path: Path) -> None:
    done, _ = scripted(shell, [code("print(1)"), code("final_answer(1)")])
    short, _ = scripted(shell, [code("final_answer(1)")], goal="Short.")
    stopped, _ = scripted(shell, [code("print(2)")], goal="Stopped.", max_steps=1)
    old = transcript.to_dict(done)
    del old["prompt"]
    old["id"] = "old"
    report = dataset.export(tmp_path / "d.jsonl", [done, short, stopped, old], only_finished=True, min_steps=2,
                            validation=0)
    assert report.runs == 1
    reasons = " | ".join(p.reason for p in report.skipped)
    assert "not finished (max_steps)" in reasons and "fewer than 2 step(s)" in reasons and "older version" in reasons


def test_bad_input_gets_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"use a \.jsonl path"):
        dataset.export(tmp_path / "d.csv", [])
    with pytest.raises(ConfigError, match="no such file or folder"):
        dataset.export(tmp_path / "d.jsonl", [tmp_path / "missing"])
    with pytest.raises(ConfigError, match="no training examples"):
        dataset.export(tmp_path / "d.jsonl", [])
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read it"):
        dataset.export(tmp_path / "d.jsonl", [tmp_path / "x.json"])
    assert not (tmp_path / "d.jsonl").exists()


def test_the_magic_exports_this_kernels_runs(ip, replies_file, tmp_path: Path) -> None:
    from IPython.core.error import UsageError

    from jupyter_autogpt import last_run
    from jupyter_autogpt.learn.commands import is_command

    first = replies_file(code("print(6 * 7)"), code("final_answer(42)"), name="a.json")
    second = replies_file(code("final_answer('x')"), name="b.json")
    ip.run_cell(f"%autogpt --model replay:{first} What is six times seven.")
    ip.run_cell(f"%autogpt --model replay:{second} Say x.")
    recorded = tmp_path / "recorded.json"
    latest = last_run()
    assert latest is not None and latest.goal == "Say x."
    write(latest, recorded)
    report = ip.run_line_magic("autogpt", f"dataset export {tmp_path / 'd.jsonl'} --validation 0")
    assert report.runs >= 2 and Path(report.train).is_file()
    goals = [json.loads(line)["messages"][1]["content"] for line in Path(report.train).read_text().splitlines()]
    assert any("six times seven" in g for g in goals) and any("Say x." in g for g in goals)
    only = ip.run_line_magic("autogpt", f"dataset export {tmp_path / 'e.jsonl'} --runs {recorded} --validation 0")
    assert only.runs == 1
    with pytest.raises(UsageError, match=r"use a \.jsonl path"):
        ip.run_line_magic("autogpt", f"dataset export {tmp_path / 'd.csv'}")
    with pytest.raises(UsageError, match="--min-steps: invalid int value"):
        ip.run_line_magic("autogpt", f"dataset export {tmp_path / 'd.jsonl'} --min-steps many")
    # Only the exact forms are subcommands: any other line stays a goal.
    assert not is_command("dataset of sales: which region sells most?")
    assert not is_command("finetune the plot's colours")
