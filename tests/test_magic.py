"""The magics in a real InteractiveShell: options, errors as one-line UsageErrors, the returned run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from IPython.core.error import UsageError

import jupyter_autogpt


def cell(ip, line: str, body: str):
    return ip.run_cell_magic("autogpt", line, body)


def test_a_cell_runs_the_goal_and_returns_the_run(ip, replies_file, capsys) -> None:
    ip.user_ns["sales"] = {"north": 10, "south": 30}
    path = replies_file("Looking.\n```python\ntop = max(sales, key=sales.get)\n```", "```python\nfinal_answer(top)\n```")
    run = cell(ip, f"--model replay:{path} --max-steps 4", "Which region sold most?")
    assert run.status == "finished" and run.answer == "south"
    assert run.goal == "Which region sold most?"
    assert jupyter_autogpt.last_run() is run
    assert ip.user_ns["top"] == "south"
    assert run.usage.prompt_tokens > 0 and run.usage.completion_tokens > 0
    assert "south" in run._repr_markdown_() and "2 steps" in run._repr_markdown_()
    assert "step 1/4" in capsys.readouterr().out  # the text view in a terminal shell


def test_the_cell_returns_the_run_as_its_value(ip, replies_file) -> None:
    path = replies_file("The answer is 4.")
    result = ip.run_cell(f"%%autogpt --model replay:{path}\nWhat is 2+2?")
    assert result.success and result.result.answer == "The answer is 4."
    assert result.result.status == "finished"


def test_a_failing_step_is_not_an_error_of_the_cell(ip, replies_file) -> None:
    path = replies_file("```python\nraise ValueError('agent bug')\n```", "```python\nfinal_answer('fixed')\n```")
    result = ip.run_cell(f"%%autogpt --model replay:{path}\ngoal")
    assert result.success and result.error_in_exec is None
    assert "ValueError: agent bug" in result.result.steps[0].error
    assert result.result.steps[0].output.count("agent bug") >= 1


def test_a_missing_key_is_a_one_line_usage_error(ip) -> None:
    with pytest.raises(UsageError) as err:
        cell(ip, "--model openai:gpt-4o-mini", "goal")
    assert "OPENAI_API_KEY" in str(err.value) and "\n" not in str(err.value)
    assert type(err.value) is UsageError  # exactly UsageError: IPython prints one line, no traceback


@pytest.mark.parametrize(
    ("line", "body", "expected"),
    [
        ("--max-steps 0", "g", "max-steps"),
        ("--max-steps lots", "g", "max-steps"),
        ("--policy yolo", "g", "policy"),
        ("--model nonsense", "g", "unknown model"),
        ("", "   ", "no goal"),
        ("--model replay:/nonexistent/run.json", "g", "replay file not found"),
    ],
)
def test_bad_options_are_usage_errors(ip, line, body, expected) -> None:
    with pytest.raises(UsageError, match=expected):
        cell(ip, line, body)


def test_the_line_magic_takes_a_one_line_goal(ip, replies_file) -> None:
    path = replies_file("```python\nfinal_answer(6 * 7)\n```")
    run = ip.run_line_magic("autogpt", f"--model replay:{path} multiply six by seven")
    assert run.goal == "multiply six by seven" and run.answer == 42


def test_the_help_is_a_real_manual(ip) -> None:
    doc = ip.find_cell_magic("autogpt").__doc__
    for option in ("--model", "--max-steps", "--timeout", "--base-url", "--temperature", "final_answer"):
        assert option in doc


def test_export_writes_the_last_run(ip, replies_file, tmp_path) -> None:
    path = replies_file("```python\nfinal_answer(1)\n```")
    cell(ip, f"--model replay:{path}", "one")
    target = tmp_path / "run.json"
    message = ip.run_line_magic("autogpt", f"export {target}")
    assert str(target) in message
    assert json.loads(target.read_text())["steps"][0]["reply"].startswith("```python")


def test_loading_the_extension_imports_nothing_heavy() -> None:
    code = (
        "import sys, time\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "t = time.perf_counter(); ip.run_line_magic('load_ext', 'jupyter_autogpt'); dt = time.perf_counter() - t\n"
        "heavy = [m for m in ('openai', 'torch', 'transformers', 'ipywidgets', 'pandas', 'nbformat') if m in sys.modules]\n"
        "print(heavy, dt)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("[] "), out


def test_explain_mode_asks_the_model_to_teach(ip, openai_server) -> None:
    openai_server.queue("Plain answer.", "Plain answer.")
    cell(ip, f"--model openai:teacher --base-url {openai_server.base_url} --explain", "What is a DataFrame?")
    cell(ip, f"--model openai:teacher --base-url {openai_server.base_url}", "What is a DataFrame?")
    taught, plain = (r.body["messages"][0]["content"] for r in openai_server.requests)
    assert "Teaching mode" in taught and "Teaching mode" not in plain
    assert taught.startswith(plain)


def magics_of(ip):
    return ip.magics_manager.registry["AutoGPTMagics"]


def test_a_one_line_goal_keeps_its_apostrophes_and_spacing(ip, replies_file) -> None:
    path = replies_file("```python\nfinal_answer(2.5)\n```")
    run = ip.run_line_magic("autogpt", f"--model replay:{path} --max-steps 2 what's the  mean of 'x?")
    assert run.goal == "what's the  mean of 'x?" and run.answer == 2.5


def test_an_unbalanced_quote_in_the_options_is_a_one_line_usage_error(ip) -> None:
    with pytest.raises(UsageError) as err:
        ip.run_line_magic("autogpt", "--df 'sales what is it")
    assert type(err.value) is UsageError and "\n" not in str(err.value)


@pytest.mark.parametrize("goal", ["help me find the biggest region", "export the table to csv", "undo the last change",
                                  "last quarter's revenue?"])
def test_a_goal_starting_with_a_subcommand_word_is_a_goal(ip, replies_file, monkeypatch, goal) -> None:
    path = replies_file("Done.")
    monkeypatch.setattr(magics_of(ip), "model", f"replay:{path}")
    run = ip.run_line_magic("autogpt", goal)
    assert run.goal == goal and run.answer == "Done."


def test_help_returns_the_manual_rather_than_printing_it(ip, capsys) -> None:
    manual = ip.run_line_magic("autogpt", "help")
    assert capsys.readouterr().out == ""
    assert "--max-steps" in manual and "final_answer" in manual
    assert repr(manual) == str(manual)  # shown as text, not as a quoted string


def test_subcommand_messages_display_without_quotes(ip, replies_file, tmp_path) -> None:
    path = replies_file("```python\nfinal_answer(1)\n```")
    cell(ip, f"--model replay:{path}", "one")
    message = ip.run_line_magic("autogpt", f"export {tmp_path / 'run.ipynb'}")
    assert repr(message) == str(message) and message.startswith("exported 1 step(s)")
    formatted = ip.display_formatter.format(message)[0]["text/plain"]
    assert formatted == str(message)


def test_a_run_with_zero_budgets_runs(ip, replies_file) -> None:
    path = replies_file("```python\nfinal_answer('ran')\n```")
    run = cell(ip, f"--model replay:{path} --max-cost 0 --max-time 0", "g")
    assert run.status == "finished" and run.answer == "ran"


# -- subcommands parse strictly: a mistaken one is a usage error, never a (billed) run ---------------------------

MISTAKES = [
    ("export", "export needs a path"),
    ("export   ", "export needs a path"),
    ("export x.ipynb --some-flag", "no options (got --some-flag"),
    ("export --force run.json", "no options (got --force"),
    ("export analysis.py --worksheet", "--worksheet needs a .ipynb path"),
    ("export --worksheet", "export needs a path"),
    ("export notes.txt", "cannot export to 'notes.txt'"),
    ("export results", "cannot export to 'results'"),
    ("export a.json b.json", "one path, got 2 words"),
    ("export my run.ipynb", "one path, got 2 words"),
    ("undo --all", "takes no options"),
    ("last -v", "takes no options"),
    ("exprot x.json", "did you mean %autogpt export x.json?"),
    ("expotr run.ipynb", "did you mean %autogpt export run.ipynb?"),
    ("udno", "did you mean %autogpt undo?"),
    ("hlep", "did you mean %autogpt help?"),
    ("lsat", "did you mean %autogpt last?"),
    ("unlaod", "did you mean %autogpt unload?"),
    ("--max-steps 3 export run.json", "reads as the subcommand 'export'"),
    ("--model openai:gpt-4o-mini undo", "reads as the subcommand 'undo'"),
    ("-m openai:gpt-4o-mini exprot x.json", "did you mean"),
    ("dataset", "dataset needs its arguments"),
    ("dataset export", "dataset needs its arguments"),
    ("finetune --output adapter/", "finetune needs its arguments"),
    ("datset export runs.jsonl", "did you mean %autogpt dataset export runs.jsonl?"),
    ("fintune Qwen/Qwen2.5-0.5B runs.jsonl --output adapter/", "did you mean %autogpt finetune"),
]


@pytest.mark.parametrize(("line", "expected"), MISTAKES, ids=[m[0].strip() or "blank" for m in MISTAKES])
def test_a_mistaken_subcommand_is_a_usage_error_and_never_reaches_the_model(
    ip, openai_server, monkeypatch, line, expected
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-" + "k" * 24)  # a run here would be a paid one
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    with pytest.raises(UsageError) as err:
        ip.run_line_magic("autogpt", line)
    assert expected in str(err.value) and "\n" not in str(err.value) and type(err.value) is UsageError
    assert openai_server.requests == []


@pytest.mark.parametrize("body", ["undo", "export run.json", "exprot run.json"])
def test_a_cell_that_holds_only_a_subcommand_is_a_usage_error(ip, openai_server, monkeypatch, body) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-" + "k" * 24)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    with pytest.raises(UsageError, match=r"line magic|did you mean"):
        ip.run_cell_magic("autogpt", "", body)
    assert openai_server.requests == []


@pytest.mark.parametrize(
    "goal",
    ["list columns", "lost revenue?", "expert tips for pandas", "plot sales", "dataset of sales: top region?", "undo",
     "help"],
)
def test_goals_that_look_like_subcommands_still_run_when_asked_for(ip, replies_file, monkeypatch, goal) -> None:
    """Near misses shaped like goals run; ``--`` makes any line a goal."""
    path = replies_file("Done.")
    monkeypatch.setattr(magics_of(ip), "model", f"replay:{path}")
    line = f"-- {goal}" if goal in ("undo", "help") else goal
    run = ip.run_line_magic("autogpt", line)
    assert run.goal == goal and run.answer == "Done."


@pytest.mark.parametrize("line", ["help", "HELP", "--help", "-h"])
def test_help_in_its_spellings_returns_the_manual(ip, line) -> None:
    assert "--max-steps" in ip.run_line_magic("autogpt", line)


def test_export_takes_a_quoted_path_with_spaces(ip, replies_file, tmp_path) -> None:
    path = replies_file("```python\nfinal_answer(1)\n```")
    cell(ip, f"--model replay:{path}", "one")
    target = tmp_path / "my run.json"
    assert "exported 1 step(s)" in ip.run_line_magic("autogpt", f'export "{target}"')
    assert json.loads(target.read_text())["answer"] == 1


# -- the goal's door: a key IPython expanded into it, broken Unicode ------------------------------------------------


def test_a_key_interpolated_into_a_line_goal_never_leaves_the_magic(ip, openai_server, monkeypatch, capsys) -> None:
    key = "sk-live-" + "Zq81" * 8
    monkeypatch.setenv("PAYMENTS_API_KEY", key)
    ip.user_ns["k"] = key
    openai_server.queue("Done.")
    result = ip.run_cell(f"%autogpt --model openai:m --base-url {openai_server.base_url} check that {{k}} works")
    run = result.result
    assert run.goal == "check that [REDACTED] works"
    assert key not in json.dumps([r.body for r in openai_server.requests])  # nor did the model see it
    assert key not in capsys.readouterr().out and key not in run._repr_markdown_()


def test_a_goal_with_lone_surrogates_runs_and_exports(ip, replies_file, tmp_path) -> None:
    path = replies_file("Done.")
    ip.user_ns["name"] = "caf\udce9.csv"  # a file name that is not UTF-8, as os.listdir returns it
    run = ip.run_cell(f"%autogpt --model replay:{path} summarise {{name}}").result
    assert run.goal == "summarise caf\ufffd.csv"
    ip.run_line_magic("autogpt", f"export {tmp_path / 'run.json'}")
    assert json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))["goal"] == run.goal
