"""Faults the loop survives without IPython: an interrupt right after ``final_answer``, its own bugs, broken
Unicode at the model's door, runaway replies. (The same classes on the wire: tests/test_openai_wire.py; in a
real kernel: tests/test_model_faults.py.)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence

import pytest

from jupyter_autogpt.agent import Agent, run_to_completion
from jupyter_autogpt.errors import ModelBackendError
from jupyter_autogpt.events import CodeExecuted, Noticed, RunFinished
from jupyter_autogpt.models.base import valid_chunks
from jupyter_autogpt.testing import ScriptedExecutor, ScriptedModel
from jupyter_autogpt.transcript import to_dict
from jupyter_autogpt.types import GenerationSettings, Message, Observation, RunConfig, Usage
from support.replies import code


def make_agent(ns: dict, replies: list, **config) -> tuple[Agent, ScriptedModel]:
    model = ScriptedModel(replies)
    return Agent(model, ScriptedExecutor(ns), RunConfig(model="scripted", **config)), model


# -- a step interrupted right after it called final_answer keeps the answer ----------------------------------


@pytest.mark.parametrize(
    ("src", "answer"),
    [
        ("final_answer({'rows': 3})\nraise KeyboardInterrupt", {"rows": 3}),
        ("final_answer(1)\nfinal_answer(2)\nraise KeyboardInterrupt()", 2),  # the last answer given counts
        ("final_answer(None)\nimport time\nraise KeyboardInterrupt('during the plot')", None),
        ("for i in range(3):\n    if i == 1:\n        final_answer(i * 10)\n    if i == 2:\n        raise KeyboardInterrupt",
         10),
    ],
)
def test_a_step_interrupted_after_final_answer_keeps_the_answer(src: str, answer: object) -> None:
    events = list(make_agent({}, [code(src)])[0].run("g"))
    run = events[-1].run
    assert run.status == "finished" and run.answer == answer and run.error is None
    step = run.steps[0]
    assert step.observation is not None and step.observation.error_name == "KeyboardInterrupt"
    assert "the answer is kept" in (step.error or "")
    assert any(isinstance(e, Noticed) and "interrupted after it called final_answer" in e.message for e in events)


def test_an_interrupt_without_an_answer_still_stops_the_run() -> None:
    agent, model = make_agent({}, [code("x = 1\nraise KeyboardInterrupt"), code("final_answer(0)")])
    run = run_to_completion(agent, "g")
    assert run.status == "interrupted" and run.answer is None and model.remaining == 1


def test_an_interrupt_that_lands_in_a_renderer_after_the_answering_step_keeps_the_answer() -> None:
    agent, _ = make_agent({}, [code("final_answer('kept')")])
    events = agent.run("g")
    for event in events:
        if isinstance(event, CodeExecuted):
            break
    finished = [e for e in [events.throw(KeyboardInterrupt()), *events] if isinstance(e, RunFinished)]
    assert finished[0].run.status == "finished" and finished[0].run.answer == "kept"


class NoRecordExecutor:
    """Someone else's executor: it implements the Executor protocol and records no ``final_answer`` calls."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def run(self, code: str, timeout: float | None = None) -> Observation:
        raise KeyboardInterrupt

    def overview(self, max_chars: int, focus: Sequence[str] = ()) -> str:
        return ""

    def describe(self, names: Sequence[str], max_chars: int) -> str:
        return ""

    def user_names(self) -> list[str]:
        return []

    def unseen(self, names: Sequence[str]) -> list[str]:
        return []


def test_an_executor_without_an_answer_record_ends_as_interrupted() -> None:
    model = ScriptedModel([code("final_answer(1)")])
    run = run_to_completion(Agent(model, NoRecordExecutor(), RunConfig(model="s")), "g")
    assert run.status == "interrupted"


# -- an internal error is one line in the run; the traceback goes to the log -------------------------------


def deep(n: int) -> None:
    if n == 0:
        raise RuntimeError("boom\nsecond line of the message\n  third")
    deep(n - 1)


class BuggyModel:
    """A backend with a bug: its stream raises something that is not one of our errors."""

    id = "buggy"

    def __init__(self, failure: Exception | None = None) -> None:
        self.failure = failure

    def stream(self, messages: Sequence[Message], settings: GenerationSettings) -> Iterator[str]:
        yield "Let me "
        if self.failure is not None:
            raise self.failure
        deep(5)


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        (None, "RuntimeError: boom"),
        (KeyError("column"), "KeyError: 'column'"),
        (ValueError(""), "ValueError"),
        (TypeError("x" * 5_000), "TypeError: xxx"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte\nmore"), "UnicodeDecodeError"),
    ],
)
def test_an_internal_error_is_one_line_and_its_traceback_goes_to_the_log(caplog, failure, said) -> None:
    with caplog.at_level(logging.ERROR, logger="jupyter_autogpt"):
        run = run_to_completion(Agent(BuggyModel(failure), ScriptedExecutor({}), RunConfig(model="buggy")), "g")
    error = run.error or ""
    assert run.status == "failed" and error.startswith("internal error: " + said)
    assert "\n" not in error and "Traceback" not in error and len(error) <= 500
    assert "'jupyter_autogpt' log" in error
    record = next(r for r in caplog.records if r.name == "jupyter_autogpt.agent.loop")
    assert record.exc_info is not None and record.exc_info[0] is type(failure or RuntimeError())


def test_every_run_error_is_one_line() -> None:
    model = ScriptedModel([ModelBackendError("the server said:\n<html>\n<body>502 Bad Gateway</body>\n</html>")])
    run = run_to_completion(Agent(model, ScriptedExecutor({}), RunConfig(model="s")), "g")
    assert run.status == "failed" and "\n" not in (run.error or "") and "502 Bad Gateway" in (run.error or "")


# -- broken Unicode at the model's door -----------------------------------------------------------------------

GRIN, HI, LO = "\U0001f600", "\ud83d", "\ude00"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # three emoji joined by ZWJ
HALVES = FAMILY.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def utf16_halves(text: str) -> list[str]:
    """Return ``text`` as single UTF-16 code units, each a one-character string (how a JSON chunker splits)."""
    raw = text.encode("utf-16-le")
    return [raw[i : i + 2].decode("utf-16-le", "surrogatepass") for i in range(0, len(raw), 2)]


@pytest.mark.parametrize(
    ("chunks", "joined"),
    [
        (["ok ", HI, LO, " done"], f"ok {GRIN} done"),  # an emoji split between two chunks
        (["ok " + HI, LO + " done"], f"ok {GRIN} done"),  # halves at the chunk edges
        ([HI, Usage(1, 1)], "\ufffd"),  # a high half that never met its low half
        ([LO + "start"], "\ufffdstart"),  # a low half with no high half
        ([HI + HI, LO], f"\ufffd{GRIN}"),  # two highs, one low
        (utf16_halves(FAMILY), FAMILY),  # a ZWJ family, one UTF-16 unit a chunk
        (["name: caf\udce9.csv"], "name: caf\ufffd.csv"),  # surrogateescape from a non-UTF-8 name
        (["plain text", " only"], "plain text only"),
    ],
)
def test_valid_chunks_join_split_surrogates_and_replace_lone_ones(chunks: list, joined: str) -> None:
    out = list(valid_chunks(iter(chunks)))
    text = "".join(c for c in out if isinstance(c, str))
    assert text == joined
    text.encode("utf-8")  # encodable: no surrogate left
    assert [c for c in out if isinstance(c, Usage)] == [c for c in chunks if isinstance(c, Usage)]


class ChunkModel:
    """A backend that sends exactly the given chunks (a server splitting an emoji into halves)."""

    id = "chunks"

    def __init__(self, *replies: list[str]) -> None:
        self.replies = list(replies)

    def stream(self, messages: Sequence[Message], settings: GenerationSettings) -> Iterator[str]:
        yield from self.replies.pop(0)


def test_an_emoji_split_by_the_server_reaches_the_run_whole_and_the_transcript_encodes() -> None:
    reply = [*utf16_halves("Done ✅ " + GRIN + "\n```python\nfinal_answer('"), *utf16_halves(FAMILY), "')\n```"]
    run = run_to_completion(Agent(ChunkModel(reply), ScriptedExecutor({}), RunConfig(model="chunks")), "g")
    assert run.status == "finished" and run.answer == FAMILY
    assert GRIN in run.steps[0].reply
    json.dumps(to_dict(run), ensure_ascii=False).encode("utf-8")


# -- a runaway reply is not re-sent whole --------------------------------------------------------------------


@pytest.mark.parametrize(
    "huge",
    [
        "Reasoning. " * 30_000 + "\n```python\nn = 3\n```",  # 330k characters of prose before the code
        "Plan.\n```python\nn = 3\nnotes = '''" + "z" * 300_000 + "'''\n```",  # 300k of code
        "<think>" + "t" * 300_000 + "</think>\n```python\nn = 3\n```",  # 300k of thinking
        "Plan.\n```python\nn = 3\n```\n" + "Afterword. " * 30_000,  # 330k after the code
    ],
)
def test_a_300k_reply_is_not_re_sent_whole_in_the_next_request(huge: str) -> None:
    agent, model = make_agent({}, [huge, code("final_answer(n)")])
    run = run_to_completion(agent, "g")
    assert run.status == "finished" and run.answer == 3
    assert len(model.calls[1][-2].content) <= 6_000  # the reply as the history re-sends it
    assert sum(len(m.content) for m in model.calls[1]) < 20_000
    assert run.steps[0].reply == huge  # the record keeps it as written
