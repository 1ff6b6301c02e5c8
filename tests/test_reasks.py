"""Corrective re-asks in the loop: replies that are no step and no answer yet (ScriptedModel, ScriptedExecutor).

Reasoning models whose reply holds only thinking, models that answer with a tool call (native ones arrive as
``<tool_call>`` text from the OpenAI backend: tests/test_openai_wire.py), and questions to the user in any language.
"""

from __future__ import annotations

import pytest

from jupyter_autogpt.agent import Agent
from jupyter_autogpt.events import Noticed
from jupyter_autogpt.prompts import THINKING_ONLY_REPLY
from jupyter_autogpt.testing import ScriptedExecutor, ScriptedModel
from jupyter_autogpt.types import RunConfig
from support.replies import code

DRAFT = "```python\nwiped = True\nfinal_answer('drafted in the thinking')\n```"


def run_with(ns: dict, replies: list[str], **config):
    model = ScriptedModel(replies)
    events = list(Agent(model, ScriptedExecutor(ns), RunConfig(model="scripted", **config)).run("Count the rows."))
    return events[-1].run, model, [e for e in events if isinstance(e, Noticed)]


# -- reasoning models: a reply that holds only thinking is not an answer -------------------------------------


@pytest.mark.parametrize(
    "thinking_only",
    [
        "<think>The frame has rows; I should count them with len().</think>",
        f"<think>Maybe:\n{DRAFT}\nthen answer.</think>\n\n",  # drafted code, nothing after it
        f"<think>Let me plan.\n{DRAFT}\nAnd then I",  # cut off while thinking (the length limit)
        "<thinking>Plan: count.</thinking><reasoning>Still planning.</reasoning>",
        "<|begin_of_thought|>Counting rows needs len(df).<|end_of_thought|>",
        f"Counting needs len.\n{DRAFT}\n</think>\n",  # the chat template opened the thinking
    ],
)
def test_a_reply_of_only_thinking_is_asked_again_and_never_taken_as_the_answer(thinking_only: str) -> None:
    ns: dict = {}
    run, model, notices = run_with(ns, [thinking_only, code("final_answer(3)")])
    assert run.status == "finished" and run.answer == 3
    assert "wiped" not in ns  # code drafted in the thinking never ran
    assert THINKING_ONLY_REPLY in model.prompt_text(1)
    assert [n.level for n in notices] == ["retry"] and "only its reasoning" in notices[0].message
    model.assert_all_used()


def test_thinking_only_replies_in_a_row_end_the_run_with_what_to_do() -> None:
    run, model, _ = run_with({}, ["<think>hmm</think>", "<think>hmm again</think>", "<think>still</think>"])
    assert run.status == "failed" and "unusable replies in a row" in (run.error or "")
    assert "only its reasoning" in (run.error or "") and "--max-tokens" in (run.error or "")
    model.assert_all_used()


def test_thinking_is_not_re_sent_in_later_requests() -> None:
    marker = "PRIVATE-CHAIN-OF-THOUGHT"
    first = f"<think>{marker} " + "weighing options. " * 2_000 + "</think>\nCount them.\n```python\nn = 3\n```"
    run, model, _ = run_with({}, [first, code("final_answer(n)")])
    assert run.answer == 3
    later = model.prompt_text(1)
    assert marker not in later and "weighing options" not in later
    assert "Count them." in later and "n = 3" in later  # what the step did is still there
    assert marker in run.steps[0].reply  # the record keeps the reply as written


def test_an_answer_after_the_thinking_is_the_answer_without_it() -> None:
    run, model, _ = run_with({}, ["<think>It is 4 because 2 + 2.</think>\n\nThe answer is **4**."])
    assert run.status == "finished" and run.answer == "The answer is **4**."
    model.assert_all_used()


# -- tool calls: there are no tools, only code ----------------------------------------------------------


@pytest.mark.parametrize(
    "tool_call",
    [
        '<tool_call>\n{"name": "python", "arguments": {"code": "len(df)"}}\n</tool_call>',
        '{"name": "execute_python", "arguments": {"code": "print(1)"}}',
        '```json\n{"tool_calls": [{"type": "function", "function": {"name": "run", "arguments": "{}"}}]}\n```',
        '```python\n{"name": "python", "parameters": {"code": "wiped = True"}}\n```',
        '[TOOL_CALLS] [{"name": "pandas_query", "arguments": {"q": "rows"}}]',
        "<think>I'll use the tool.</think><function=python>{\"code\": \"1\"}</function>",
    ],
)
def test_a_tool_call_gets_a_corrective_re_ask_and_is_never_the_answer(tool_call: str) -> None:
    ns: dict = {}
    run, model, notices = run_with(ns, [tool_call, code("final_answer(3)")])
    assert run.status == "finished" and run.answer == 3 and len(run.steps) == 1
    assert "wiped" not in ns
    assert "there are no tools here" in model.prompt_text(1)
    assert "a tool call" in notices[0].message and notices[0].level == "retry"
    model.assert_all_used()


def test_a_model_that_keeps_calling_tools_fails_the_run_saying_why() -> None:
    call = '<tool_call>{"name": "python", "arguments": {}}</tool_call>'
    run, model, _ = run_with({}, [call, call, call])
    assert run.status == "failed" and "a tool call (python)" in (run.error or "") and "tool use" in (run.error or "")
    model.assert_all_used()


def test_a_usable_reply_between_unusable_ones_starts_the_count_again() -> None:
    call = '{"name": "python", "arguments": {}}'
    run, model, _ = run_with({}, [call, "", code("x = 1"), "<think>hm</think>", call, code("final_answer(x)")])
    assert run.status == "finished" and run.answer == 1
    model.assert_all_used()


# -- a question in another language is a question ----------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ["¿Qué hoja del libro debo usar?", "使用哪个文件？", "Welche Spalte meinen Sie?", "Bitte geben Sie die Datei an.",
     "どの列を使いますか。", "Quelle feuille dois-je utiliser ?"],
)
def test_a_question_to_the_user_in_another_language_gets_the_re_ask(question: str) -> None:
    run, model, _ = run_with({}, [question, code("final_answer('sheet 1')")])
    assert run.answer == "sheet 1"
    assert "Nobody can answer questions" in model.prompt_text(1) and question in model.prompt_text(1)
