"""Follow-ups through the magic: ``-c/--continue [RUN_ID]``, ``--new``, ``continue_runs``, ``%autogpt history``.

A real ``InteractiveShell`` and the loopback chat-completions server (the OpenAI backend's own client), so what the
model reads is what the server recorded.
"""

from __future__ import annotations

import json

import pytest
from IPython.core.error import UsageError

from conftest import SECRET_KEY
from jupyter_autogpt.ui.history import RunHistory
from support.replies import code


@pytest.fixture
def server(openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    return openai_server


def request_text(server, index: int = -1) -> str:
    """Return the text of the request ``index``: every message, joined."""
    return "\n".join(m["content"] for m in server.requests[index].body["messages"] if isinstance(m["content"], str))


def test_a_follow_up_sees_the_earlier_goal_its_steps_and_its_answer(ip, server) -> None:
    server.queue(code("rev = {'north': 25, 'south': 40}\nprint(rev)"), code("final_answer('south, with 40')"))
    first = ip.run_cell_magic("autogpt", "", "Which region sold the most?")
    server.queue(code("final_answer('north, with 25')"))
    follow = ip.run_cell_magic("autogpt", "-c", "And the least?")
    assert follow.parent == first.id and follow.context.thread.length == 1
    seen = request_text(server)
    assert "Which region sold the most?" in seen and "south, with 40" in seen
    assert "rev = {'north': 25, 'south': 40}" in seen  # its steps, compacted
    assert seen.index("Which region sold the most?") < seen.index("And the least?")  # the new goal comes last
    server.queue(code("final_answer(1)"))
    fresh = ip.run_cell_magic("autogpt", "", "Unrelated.")
    assert fresh.parent is None and "Which region" not in request_text(server)


@pytest.mark.parametrize("form", ["-c {id} Then halve it", "--continue={id} Then halve it", "-c {prefix} Then halve it"])
def test_the_line_magic_names_the_run_it_follows_up(ip, server, form: str) -> None:
    server.queue(code("final_answer(42)"), code("final_answer(1)"))
    named = ip.run_cell_magic("autogpt", "", "The answer?")
    ip.run_cell_magic("autogpt", "", "Another question")
    server.queue(code("final_answer(21)"))
    run = ip.run_line_magic("autogpt", form.format(id=named.id, prefix=named.id[:6]))
    assert run.goal == "Then halve it" and run.parent == named.id


def test_words_after_c_are_the_goal_unless_they_read_as_a_run_id(ip, server) -> None:
    server.queue(code("final_answer(2023)"))
    latest = ip.run_cell_magic("autogpt", "", "Which year?")
    server.queue(code("final_answer(2024)"))
    run = ip.run_line_magic("autogpt", "-c 2024 and the next one")  # digits only: a year, not an id
    assert run.goal == "2024 and the next one" and run.parent == latest.id
    server.queue(code("final_answer('ok')"))
    run = ip.run_line_magic("autogpt", "-c add a decade")  # letters only: words, not an id
    assert run.goal == "add a decade"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("-c --new", "--continue and --new contradict each other"),
        ("-c 0123456789ab", "no run '0123456789ab'"),
        ("--continue=zz", "no run 'zz'"),
    ],
)
def test_a_follow_up_that_cannot_be_is_a_usage_error_before_any_request(ip, server, line: str, message: str) -> None:
    server.queue(code("final_answer(1)"))
    ip.run_cell_magic("autogpt", "", "Something to follow up")
    before = len(server.requests)
    with pytest.raises(UsageError, match=message):
        ip.run_cell_magic("autogpt", line, "A follow-up")
    assert len(server.requests) == before


def test_continue_runs_makes_follow_ups_the_default_and_new_starts_afresh(ip, server) -> None:
    server.queue(code("final_answer(1)"), code("final_answer(2)"), code("final_answer(3)"))
    first = ip.run_cell_magic("autogpt", "", "One")
    try:
        ip.run_line_magic("config", "AutoGPTMagics.continue_runs = True")
        second = ip.run_cell_magic("autogpt", "", "Two")
        third = ip.run_cell_magic("autogpt", "--new", "Three")
    finally:
        ip.run_line_magic("config", "AutoGPTMagics.continue_runs = False")
    assert second.parent == first.id and third.parent is None


def test_history_lists_this_kernels_runs_with_their_threads(ip, server) -> None:
    server.queue(code("final_answer(1)"), code("final_answer(2)"))
    first = ip.run_cell_magic("autogpt", "", f"Count the rows with key {SECRET_KEY}")
    second = ip.run_cell_magic("autogpt", "-c", "And the columns?")
    shown = ip.run_line_magic("autogpt", "history")
    assert isinstance(shown, RunHistory)
    rows = {row[0]: row for row in shown.rows()}
    assert rows[second.id][1:5] == (first.id, "And the columns?", "finished", "1")
    assert rows[first.id][2] == "Count the rows with key [REDACTED]"
    text, page = repr(shown), shown._repr_html_()
    assert "follows up" in text and second.id in text and SECRET_KEY not in text + page
    assert "<script" not in page and page.count("<tr>") == len(shown.runs) + 1


def test_the_manual_and_the_transcript_show_the_thread(ip, server, tmp_path) -> None:
    manual = ip.run_line_magic("autogpt", "help")
    for flag in ("-c", "--continue", "--new", "--history", "--plan", "%autogpt history"):
        assert flag in manual
    server.queue(code("final_answer(1)"), code("final_answer(2)"))
    first = ip.run_cell_magic("autogpt", "", "First")
    ip.run_cell_magic("autogpt", "-c", "Second")
    ip.run_line_magic("autogpt", f"export {tmp_path / 'run.json'}")
    data = json.loads((tmp_path / "run.json").read_text())
    assert data["parent"] == first.id and data["thread"]["runs"][-1]["goal"] == "First"
