"""Recordings: a cell's run is recorded, a matching re-run replays it offline, and says where the data changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SECRET_KEY
from jupyter_autogpt import recordings
from jupyter_autogpt.recordings.divergence import first_difference
from jupyter_autogpt.types import RunConfig
from support.openai_server import Drop, FakeOpenAIServer

LOOK = "Let me look.\n```python\nprint(len(prices), sum(prices))\n```"
ANSWER = "The mean.\n```python\nmean = sum(prices) / len(prices)\nfinal_answer(round(mean, 2))\n```"
GOAL = "What is the mean of `prices`?"


@pytest.fixture
def recorded(ip, tmp_path, monkeypatch):
    """Return the magics with recordings on in ``tmp_path/recordings`` (reuse on), restored afterwards."""
    magics = ip.magics_manager.registry["AutoGPTMagics"]
    before = (magics.recordings, magics.reuse_recordings)
    magics.recordings, magics.reuse_recordings = str(tmp_path / "recordings"), True
    monkeypatch.setenv("OPENAI_API_KEY", "sk-unused-by-the-loopback-server")
    yield magics
    magics.recordings, magics.reuse_recordings = before


def run_live(ip, server: FakeOpenAIServer, goal: str = GOAL, options: str = ""):
    return ip.run_cell_magic("autogpt", f"--model openai:gpt-4o-mini --base-url {server.base_url} {options}", goal)


def test_a_recorded_run_replays_with_the_server_stopped(ip, recorded, tmp_path, capsys) -> None:
    ip.user_ns["prices"] = [2.0, 4.0, 9.0]
    with FakeOpenAIServer([LOOK, ANSWER]) as server:
        live = run_live(ip, server)
        url = server.base_url
    assert live.status == "finished" and live.answer == 5.0
    files = list((tmp_path / "recordings").glob("*.json"))
    assert [f.name[:-18] for f in files] == ["what-is-the-mean-of-prices"]
    ip.user_ns.pop("mean")
    replayed = ip.run_cell_magic("autogpt", f"--model openai:gpt-4o-mini --base-url {url}", GOAL)
    assert replayed.status == "finished" and replayed.answer == live.answer
    assert replayed.model == f"replay:{files[0].as_posix()}"
    assert ip.user_ns["mean"] == 5.0  # the code ran again, here
    assert [s.code for s in replayed.steps] == [s.code for s in live.steps]
    out = capsys.readouterr().out
    assert "[info] replaying" in out and "[warning]" not in out


def test_a_replay_says_where_the_data_changed(ip, recorded, capsys) -> None:
    ip.user_ns["prices"] = [2.0, 4.0, 9.0]
    with FakeOpenAIServer([LOOK, ANSWER]) as server:
        run_live(ip, server)
    ip.user_ns["prices"] = [2.0, 4.0, 9.0, 5.0]
    capsys.readouterr()
    with FakeOpenAIServer() as stopped:  # any request would fail: the replay must not send one
        replayed = run_live(ip, stopped)
        assert stopped.requests == []
    assert replayed.status == "finished" and replayed.answer == 5.0
    out = capsys.readouterr().out
    assert "[warning] step 1 shows something else than when it was recorded (did the data change?): " \
           "recorded '3 15.0', now '4 20.0'" in out


def test_fresh_asks_the_model_again_and_records_the_new_run(ip, recorded, tmp_path) -> None:
    ip.user_ns["prices"] = [1.0, 3.0]
    with FakeOpenAIServer([ANSWER]) as server:
        run_live(ip, server)
    with FakeOpenAIServer([LOOK, ANSWER]) as server:
        again = run_live(ip, server, options="--fresh")
        assert len(server.requests) == 2
    assert again.model == "openai:gpt-4o-mini" and len(again.steps) == 2
    [file] = (tmp_path / "recordings").glob("*.json")
    assert len(json.loads(file.read_text())["replies"]) == 2  # the newer run replaced the older recording


def test_options_that_change_what_the_model_sees_do_not_match(ip, recorded, tmp_path) -> None:
    ip.user_ns["prices"] = [1.0, 3.0]
    with FakeOpenAIServer([ANSWER]) as server:
        run_live(ip, server, options="--max-steps 4")
    with FakeOpenAIServer() as stopped:
        assert run_live(ip, stopped, options="--max-steps 9 --timeout 20").model.startswith("replay:")
    with FakeOpenAIServer([ANSWER, ANSWER]) as server:
        assert run_live(ip, server, options="--explain").model == "openai:gpt-4o-mini"
        assert run_live(ip, server, options="--df prices").model == "openai:gpt-4o-mini"
    assert len(list((tmp_path / "recordings").glob("*.json"))) == 3


def test_without_a_key_a_near_miss_is_explained(ip, recorded, monkeypatch) -> None:
    from IPython.core.error import UsageError

    ip.user_ns["prices"] = [1.0, 3.0]
    with FakeOpenAIServer([ANSWER]) as server:
        run_live(ip, server)
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(UsageError) as error:
        ip.run_cell_magic("autogpt", "--model openai:gpt-4o-mini --vision", GOAL)
    message = str(error.value)
    assert "OPENAI_API_KEY" in message and "has this goal but does not match: vision: recorded False, now True" in message


def test_a_replay_that_runs_out_fails_with_what_to_do(ip, recorded) -> None:
    ip.user_ns["prices"] = [1.0, 3.0]
    with FakeOpenAIServer([ANSWER]) as server:
        run_live(ip, server)
    ip.user_ns["prices"] = []  # the recorded answer now raises ZeroDivisionError: the run needs another reply
    with FakeOpenAIServer() as stopped:
        replayed = run_live(ip, stopped)
    assert replayed.status == "failed"
    assert "ran out after 1 replies" in replayed.error and "--fresh" in replayed.error


def test_re_asked_replies_are_recorded_and_replayed_in_order(ip, recorded, tmp_path) -> None:
    ip.user_ns["prices"] = [1.0, 3.0]
    with FakeOpenAIServer([Drop(after=2), "", ANSWER]) as server:  # a dropped stream, an empty reply, the answer
        live = run_live(ip, server)
    [file] = (tmp_path / "recordings").glob("*.json")
    assert json.loads(file.read_text())["replies"] == ["", ANSWER]
    with FakeOpenAIServer() as stopped:
        replayed = run_live(ip, stopped)
    assert (replayed.status, replayed.answer) == (live.status, live.answer) == ("finished", 2.0)


def test_a_recording_never_holds_a_secret(ip, recorded, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SERVICE_API_KEY", SECRET_KEY)
    reply = f"Using {SECRET_KEY}.\n```python\nimport os\nprint(os.environ['SERVICE_API_KEY'])\nfinal_answer('ok')\n```"
    with FakeOpenAIServer([reply]) as server:
        run_live(ip, server, goal="Print the service key.")
    [file] = (tmp_path / "recordings").glob("*.json")
    text = file.read_text()
    assert SECRET_KEY not in text and "[REDACTED]" in text


def test_the_recording_replays_explicitly_as_a_model(ip, recorded, tmp_path) -> None:
    ip.user_ns["prices"] = [1.0, 3.0]
    with FakeOpenAIServer([LOOK, ANSWER]) as server:
        run_live(ip, server)
    [file] = (tmp_path / "recordings").glob("*.json")
    recorded.recordings = ""
    run = ip.run_cell_magic("autogpt", f"--model replay:{file}", "anything")
    assert run.answer == 2.0 and len(run.steps) == 2


def test_the_match_is_goal_model_and_what_the_model_sees() -> None:
    base = recordings.match_of("  Plot x.  \n", RunConfig(model="openai:a", max_steps=3))
    assert base == recordings.match_of("Plot x.", RunConfig(model="openai:a", max_steps=9, timeout=2, approve=True))
    for changed in ({"model": "openai:b"}, {"explain": True}, {"vision": True}, {"context_chars": 5},
                    {"focus": ("df",)}, {"temperature": 0.2}):
        other = recordings.match_of("Plot x.", RunConfig(**{"model": "openai:a", **changed}))
        assert recordings.key(other) != recordings.key(base)
        assert len(recordings.differences(other, base)) == 1
    assert base == {"goal": "Plot x.", "model": "openai:a"}  # options at their defaults stay out of the match


def test_an_unreadable_recording_is_no_match(tmp_path: Path) -> None:
    store = recordings.Store(tmp_path)
    match = recordings.match_of("Plot x.", RunConfig())
    store.path_for(match).write_text("{ not json")
    assert store.find(match) is None


@pytest.mark.parametrize(
    ("recorded", "live", "said"),
    [
        ("a\nb\n", "a\nb", None),
        ("a\nb", "a\nc", "recorded 'b', now 'c'"),
        ("a\nb", "a", "it ends after 1 line(s); the recording went on with 'b'"),
        ("a", "a\nb", "it goes on after the recorded 1 line(s) with 'b'"),
    ],
)
def test_the_first_difference_is_named(recorded, live, said) -> None:
    assert first_difference(recorded, live) == said


def test_a_recording_that_spells_out_default_options_still_matches(tmp_path: Path) -> None:
    store = recordings.Store(tmp_path)
    match = recordings.match_of("Plot x.", RunConfig(model="openai:a"))
    older = {**match, "explain": False, "vision": False, "context_chars": 12_000, "focus": [], "temperature": None}
    (tmp_path / "plot-x-0123456789ab.json").write_text(json.dumps(
        {"format": "jupyter-autogpt.recording", "version": 1, "match": older, "replies": ["Done."], "run": {}}))
    found = store.find(match)
    assert found is not None and found.replies == ("Done.",)
    assert store.find(recordings.match_of("Plot x.", RunConfig(model="openai:a", vision=True))) is None


def test_training_data_reads_the_runs_a_recordings_folder_holds(ip, recorded, tmp_path) -> None:
    from jupyter_autogpt.dataset.sources import read_paths

    ip.user_ns["prices"] = [1.0, 3.0]
    with FakeOpenAIServer([LOOK, ANSWER]) as server:
        live = run_live(ip, server)
    runs, problems = read_paths([tmp_path / "recordings"])
    assert problems == [] and [r.data["id"] for r in runs] == [live.id]
