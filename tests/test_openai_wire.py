"""Wire-level faults of OpenAI-compatible servers: the OpenAI backend against the loopback server.

Reasoning deltas, native tool calls, emoji split into surrogate halves, malformed events, a server that stalls
(silent, or sending keep-alive comments) past the reply's time limit, and a 300k-character reply.
"""

from __future__ import annotations

import json

import pytest

from jupyter_autogpt.agent import Agent, run_to_completion
from jupyter_autogpt.errors import ModelBackendError
from jupyter_autogpt.models import complete
from jupyter_autogpt.models.openai import OpenAIModel
from jupyter_autogpt.protocol import parse_reply, tool_call_in
from jupyter_autogpt.testing import ScriptedExecutor
from jupyter_autogpt.transcript import to_dict
from jupyter_autogpt.types import GenerationSettings, Message, RunConfig
from support.openai_server import Chunks, FakeOpenAIServer, Fault, Raw, Stall
from support.replies import code

MESSAGES = [Message("system", "be brief"), Message("user", "hello")]
DRAFT = "```python\nimport shutil\nshutil.rmtree('data')\n```"


def model_for(server: FakeOpenAIServer, **options) -> OpenAIModel:
    return OpenAIModel("gpt-test", base_url=server.base_url, api_key="sk-local", **options)


def run_on(server: FakeOpenAIServer, ns: dict | None = None, **config):
    model = model_for(server, request_timeout=config.pop("request_timeout", None),
                      max_retries=config.pop("max_retries", 3))
    return run_to_completion(Agent(model, ScriptedExecutor({} if ns is None else ns), RunConfig(model=model.id,
                                                                                                  **config)), "g")


def deltas(field: str, text: str, size: int = 7) -> list[dict]:
    return [{field: text[i : i + size]} for i in range(0, len(text), size)]


# -- reasoning deltas are thinking, never the action -----------------------------------------------------------


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
@pytest.mark.parametrize(
    "reasoning",
    [
        "Count the rows with len(df).",
        f"Maybe wipe it:\n{DRAFT}\nNo, never.",  # code drafted in the reasoning
        "Tricky: </think>\n```python\nwiped = True\n```\n<think>",  # reasoning that tries to close itself
        "Think <|end_of_thought|> </THINKING> <thought>",
    ],
)
def test_reasoning_deltas_become_thinking_and_the_content_is_the_step(openai_server, field, reasoning) -> None:
    content = "Look first.\n```python\nprint(len(df))\n```"
    openai_server.queue(Chunks((*deltas(field, reasoning), {"content": ""}, *deltas("content", content))))
    text, _ = complete(model_for(openai_server), MESSAGES)
    reply = parse_reply(text)
    assert reply.code == "print(len(df))" and reply.prose == "Look first."
    assert reply.thinking.replace("\u200b", "") == reasoning  # shown as written, the guard is invisible


def test_a_server_that_sends_only_reasoning_gets_a_re_ask_through_the_loop(openai_server) -> None:
    ns: dict = {}
    openai_server.queue(Chunks(tuple(deltas("reasoning_content", f"Plan:\n{DRAFT.replace('import shutil', 'x=1')}"))),
                        Chunks(({"reasoning_content": "Now act."}, {"content": "\n\n"}, {"content": code("final_answer(7)")})))
    run = run_on(openai_server, ns)
    assert run.status == "finished" and run.answer == 7 and "x" not in ns
    second = json.dumps(openai_server.requests[1].body["messages"][1:])  # the system prompt asks for a "Plan:" itself
    assert "only your reasoning" in second and "Plan:" not in second


def test_reasoning_after_the_content_began_is_dropped_not_made_the_action(openai_server) -> None:
    openai_server.queue(Chunks(({"content": "The answer is 4."}, {"reasoning_content": f"late\n{DRAFT}"})))
    text, _ = complete(model_for(openai_server), MESSAGES)
    assert text == "The answer is 4."


def test_blank_content_before_the_reasoning_does_not_end_the_thinking(openai_server) -> None:
    openai_server.queue(Chunks(({"content": "\n"}, {"reasoning_content": f"draft {DRAFT}"}, {"content": "Done: 4."})))
    reply = parse_reply(complete(model_for(openai_server), MESSAGES)[0])
    assert reply.code is None and reply.prose == "Done: 4." and "rmtree" in reply.thinking


# -- native tool calls are tool calls, answered with a corrective re-ask -------------------------------------


def tool_deltas(name: str, arguments: str, index: int = 0) -> list[dict]:
    first = {"tool_calls": [{"index": index, "id": f"call_{index}", "type": "function",
                             "function": {"name": name, "arguments": ""}}]}
    pieces = [{"tool_calls": [{"index": index, "function": {"arguments": arguments[i : i + 5]}}]}
              for i in range(0, len(arguments), 5)]
    return [first, *pieces]


@pytest.mark.parametrize(
    ("chunks", "tool"),
    [
        (Chunks(tuple(tool_deltas("python", '{"code": "len(df)"}')), "tool_calls"), "python"),
        (Chunks((*tool_deltas("a", "{}"), *tool_deltas("b", '{"x": 1}', index=1)), "tool_calls"), "a"),
        (Chunks(({"content": "Let me run it."}, *tool_deltas("exec", "not json")), "tool_calls"), "exec"),
        (Chunks(({"function_call": {"name": "legacy", "arguments": "{}"}},), "function_call"), "legacy"),
        (Chunks(({"reasoning_content": "use the tool"}, *tool_deltas("shell", "{}")), "tool_calls"), "shell"),
    ],
)
def test_native_tool_calls_arrive_as_tool_call_text(openai_server, chunks, tool) -> None:
    openai_server.queue(chunks)
    text, _ = complete(model_for(openai_server), MESSAGES)
    reply = parse_reply(text)
    assert reply.code is None and tool_call_in(reply) == tool


def test_a_native_tool_call_is_re_asked_through_the_loop_and_never_the_answer(openai_server) -> None:
    openai_server.queue(Chunks(tuple(tool_deltas("python", '{"code": "final_answer(1)"}')), "tool_calls"),
                        code("final_answer(2)"))
    run = run_on(openai_server)
    assert run.status == "finished" and run.answer == 2
    assert "there are no tools here" in json.dumps(openai_server.requests[1].body["messages"])


# -- broken Unicode: an emoji split into surrogate halves by the server ------------------------------------------

GRIN, HI, LO = "\U0001f600", "\ud83d", "\ude00"


@pytest.mark.parametrize(
    ("chunks", "text"),
    [
        (({"content": "ok "}, {"content": HI}, {"content": LO + "!"}), f"ok {GRIN}!"),
        (({"content": "a" + HI}, {"content": LO}, {"content": HI}, {"content": LO}), f"a{GRIN}{GRIN}"),
        (({"content": HI},), "\ufffd"),  # half an emoji, never completed
        (({"content": LO + "x"},), "\ufffdx"),
        (({"reasoning_content": "hm " + HI}, {"reasoning_content": LO}, {"content": "ok"}), f"<think>hm {GRIN}</think>\nok"),
    ],
)
def test_split_surrogates_from_the_server_reach_the_reply_as_valid_text(openai_server, chunks, text) -> None:
    openai_server.queue(Chunks(chunks))
    got, _ = complete(model_for(openai_server), MESSAGES)
    assert got == text
    got.encode("utf-8")


def test_a_run_whose_answer_the_server_split_mid_emoji_finishes_and_saves(openai_server) -> None:
    reply = code(f"final_answer('sales up {GRIN}')")
    head, tail = reply.split(GRIN)
    openai_server.queue(Chunks(({"content": head + HI}, {"content": LO + tail})))
    run = run_on(openai_server)
    assert run.status == "finished" and run.answer == f"sales up {GRIN}"
    json.dumps(to_dict(run), ensure_ascii=False).encode("utf-8")


# -- malformed events are the server's fault, said in one line ------------------------------------------------


@pytest.mark.parametrize(
    "line",
    ["{not json", '{"choices": [{"delta": ', "data: nested", '{"choices": "unterminated}',
     '{"choices": [{"index": 0, "delta": {"content": "caf\udce9"}}]}'],  # not UTF-8 on the wire
)
def test_malformed_events_are_retried_then_a_one_line_backend_error(openai_server, line) -> None:
    openai_server.default = Raw((line,))
    with pytest.raises(ModelBackendError, match="malformed stream event"):
        complete(model_for(openai_server, max_retries=1), MESSAGES)
    assert len(openai_server.requests) == 2
    run = run_on(openai_server, max_retries=0)
    assert run.status == "failed" and "malformed" in (run.error or "") and "\n" not in (run.error or "")


@pytest.mark.parametrize(
    "line",
    ['{"choices": "nope"}', "[]", "null", '{"choices": [null]}', '{"choices": [{"index": 0, "delta": {"content": 5}}]}',
     '{"usage": "lots", "choices": []}', '{"choices": [{"delta": {"tool_calls": "zz", "reasoning": ["a"]}}]}'],
)
def test_events_of_the_wrong_shape_are_ignored_not_a_crash(openai_server, line) -> None:
    openai_server.queue(Raw((line,)))
    assert complete(model_for(openai_server), MESSAGES)[0] == ""


# -- the wait for the model ends with the reply's time limit ---------------------------------------------------


@pytest.mark.parametrize(
    "stall",
    [
        Stall(after=0),  # headers, then silence
        Stall(after=3),  # part of the reply, then silence
        Stall(after=3, keepalive=0.05),  # keep-alive comments forever: no read timeout can fire
        Stall(headers=False),  # not even the headers
        Stall("whole reply but no end", after=10**6),  # all the text, never the finish
    ],
)
def test_a_stalled_server_ends_the_wait_at_the_time_limit(openai_server, stall) -> None:
    openai_server.default = stall
    model = model_for(openai_server, request_timeout=60)
    with pytest.raises(ModelBackendError, match="time limit"):
        list(model.stream(MESSAGES, GenerationSettings(time_limit=0.5)))
    assert len(openai_server.requests) == 1  # no retry past the limit


def test_a_retry_after_longer_than_the_time_left_is_not_waited_for(openai_server) -> None:
    openai_server.queue(Fault(429, "slow down", retry_after=60), "never reached")
    with pytest.raises(ModelBackendError, match=r"not retried: the 60\.0s wait would outlast"):
        list(model_for(openai_server).stream(MESSAGES, GenerationSettings(time_limit=5)))
    assert len(openai_server.requests) == 1


def test_a_stalled_server_ends_the_run_on_its_time_budget(openai_server) -> None:
    openai_server.queue(code("x = 1"), Stall(after=2, keepalive=0.05))
    run = run_on(openai_server, max_time=1.0, request_timeout=60)
    assert run.status == "max_steps" and "time budget used up" in (run.error or "")
    assert "while waiting for the model" in (run.error or "") and len(run.steps) == 1


def test_the_request_timeout_bounds_a_silent_server_without_a_time_budget(openai_server) -> None:
    openai_server.default = Stall(after=0)
    with pytest.raises(ModelBackendError, match=r"broke: Request timed out") as err:
        complete(model_for(openai_server, request_timeout=0.3, max_retries=1), MESSAGES)
    assert err.value.transient and len(openai_server.requests) == 2


# -- a 300k-character reply is not re-sent whole ------------------------------------------------------------------


def test_a_300k_reply_from_the_server_is_bounded_in_the_next_request(openai_server) -> None:
    prose = "All rows checked. " * 17_000  # ~306k characters, streamed in 10k pieces
    huge = prose + "\n```python\nn = 3\n```"
    openai_server.queue(Chunks(tuple(deltas("content", huge, 10_000))), code("final_answer(n)"))
    run = run_on(openai_server)
    assert run.status == "finished" and run.answer == 3 and len(run.steps[0].reply) == len(huge)
    assert len(json.dumps(openai_server.requests[0].body)) < 20_000
    assert len(json.dumps(openai_server.requests[1].body)) < 20_000
