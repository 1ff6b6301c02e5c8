"""The action protocol: a reply is Markdown with at most one fenced python block, whatever the chunking."""

from __future__ import annotations

import pytest

from jupyter_autogpt.models.base import token_pieces
from jupyter_autogpt.protocol import (
    asks_user,
    names_in,
    parse_reply,
    prose_of,
    split_fences,
    split_thinking,
    tool_call_in,
)


def test_the_first_python_block_is_the_action_and_the_rest_is_prose() -> None:
    reply = parse_reply("Count the rows first.\n```python\nlen(df)\n```\nThen we will see.")
    assert reply.code == "len(df)"
    assert reply.blocks == 1 and not reply.unclosed
    assert reply.prose == "Count the rows first.\n\nThen we will see."


@pytest.mark.parametrize(("fence", "closing"), [("```python", "```"), ("``` py", "```"), ("~~~python3", "~~~"),
                                                ("````ipython", "````"), ("```", "```")])
def test_python_blocks_are_recognised_under_every_spelling(fence: str, closing: str) -> None:
    assert parse_reply(f"Go.\n{fence}\nx = 1\n{closing}\n").code == "x = 1"


def test_blocks_in_other_languages_are_not_actions() -> None:
    reply = parse_reply("The output looks like this:\n```text\nx = 1\n```\nDone: 42.")
    assert reply.code is None and reply.blocks == 0
    assert prose_of(reply.text) == reply.text.strip()  # a reply without code is prose through and through


def test_only_the_first_of_several_blocks_runs_and_the_count_is_kept() -> None:
    reply = parse_reply("```python\na = 1\n```\n```python\nb = 2\n```")
    assert reply.code == "a = 1" and reply.blocks == 2


def test_an_unclosed_block_still_runs_and_says_so() -> None:
    reply = parse_reply("Here:\n```python\nprint('cut off')")
    assert reply.code == "print('cut off')" and reply.unclosed


def test_an_empty_block_is_no_action() -> None:
    assert parse_reply("```python\n\n```").code is None


def test_a_longer_fence_holds_a_shorter_one_inside() -> None:
    text = "````python\ns = '''\n```\n'''\n````"
    assert parse_reply(text).code == "s = '''\n```\n'''"


def test_fence_parsing_is_indifferent_to_how_the_stream_was_chunked() -> None:
    text = "Thinking.\n```python\nfor i in range(3):\n    print(i)\n```\nok"
    rebuilt = "".join(token_pieces(text))
    assert rebuilt == text and split_fences(rebuilt) == split_fences(text)
    assert [info for info, _, _ in split_fences(text)] == [None, "python", None]


@pytest.mark.parametrize(
    ("prose", "asks"),
    [
        ("Which column holds the revenue?", True),
        ("Which column should I use?", True),
        ("Could you upload the file so I can continue.", True),
        ("Please provide the file path.", True),
        ("Let me know if you want a plot.", True),
        ("The answer is 42.", False),
        ("Revenue grew 12% in the north.", False),
        ("Revenue is highest in the south (40.0).", False),
    ],
)
def test_a_question_to_the_user_is_recognised(prose: str, asks: bool) -> None:
    assert asks_user(prose) is asks


def test_names_are_found_in_order_of_first_mention() -> None:
    names = frozenset({"sales", "costs", "unused"})
    assert names_in("Compare `costs` with sales, then costs again", names) == ["costs", "sales"]


def test_names_in_finds_namespace_names_in_the_goal() -> None:
    assert names_in("Plot `sales` by region, then sales again", frozenset({"sales", "region", "df"})) == [
        "sales", "region"]


# -- reasoning models: the thinking is never the action -------------------------------------------------------

DRAFT = "```python\nimport shutil\nshutil.rmtree('data')\n```"


@pytest.mark.parametrize(
    "reply",
    [
        f"<think>Maybe wipe it:\n{DRAFT}\nNo, never.</think>\nLook first.\n```python\nprint(len(df))\n```",
        f"<THINKING>{DRAFT}</THINKING>\n\nLook first.\n```python\nprint(len(df))\n```",
        f"<|begin_of_thought|>{DRAFT}<|end_of_thought|>Look first.\n```python\nprint(len(df))\n```",
        f"Wipe it?\n{DRAFT}\nno.\n</think>\nLook first.\n```python\nprint(len(df))\n```",  # template opened it
        f"<think>a</think><think>{DRAFT}</think>Look first.\n```python\nprint(len(df))\n```",
    ],
)
def test_code_drafted_in_the_thinking_never_runs_the_step_follows_it(reply: str) -> None:
    parsed = parse_reply(reply)
    assert parsed.code == "print(len(df))" and parsed.blocks == 1
    assert "rmtree" in parsed.thinking and "rmtree" not in parsed.prose
    assert parsed.prose == "Look first." and prose_of(reply) == "Look first."


def test_a_reply_cut_off_while_thinking_has_no_action_and_no_prose() -> None:
    parsed = parse_reply(f"<think>First I will\n{DRAFT}")
    assert parsed.code is None and parsed.prose == "" and prose_of(parsed.text) == ""
    assert "rmtree" in parsed.thinking


def test_an_answer_after_the_thinking_is_the_answer_without_it() -> None:
    reply = "<think>The mean is 4, I computed it above.</think>\n\nThe mean is **4**."
    assert parse_reply(reply).code is None and prose_of(reply) == "The mean is **4**."


def test_thinking_tags_inside_code_are_just_code() -> None:
    reply = "Parse it.\n```python\ntext = '<think>keep</think>'\nprint(text)\n```"
    assert split_thinking(reply) == ("", reply)
    assert parse_reply(reply).code == "text = '<think>keep</think>'\nprint(text)"


def test_a_stray_closing_tag_after_code_errs_towards_not_running_it() -> None:
    parsed = parse_reply("Step.\n```python\nprint(1)\n```\n</think>\n")
    assert parsed.code is None and "print(1)" in parsed.thinking


# -- a question in any language is a question ---------------------------------------------------------------

QUESTIONS = [
    "¿Qué columna contiene los ingresos?",  # Spanish
    "Quelle colonne dois-je utiliser ?",  # French, a space before the mark
    "Welche Datei soll ich laden? 🙂",  # German, an emoji after the mark
    "Quale foglio devo usare?**",  # Italian, emphasis after the mark
    "应该使用哪一列？",  # Chinese, full-width mark
    "你想用哪个文件吗。",  # Chinese question particle, full stop
    "どのファイルを使いますか。",  # Japanese: か。 ends a question
    "어떤 열을 사용할까요?",  # Korean
    "Какой столбец использовать?",  # Russian
    "ما هو العمود المطلوب؟",  # Arabic question mark
    "Ποια στήλη να χρησιμοποιήσω;",  # Greek: ";" is its question mark
    "Bitte geben Sie den Dateipfad an.",  # German request, no mark
    "Pourriez-vous préciser le fichier.",  # French request
    "Por favor, indique la hoja que debo usar.",  # Spanish request
    "请提供文件路径。",  # Chinese request
    "ファイル名を教えてください。",  # Japanese request
    "Пожалуйста, уточните имя файла.",  # Russian request
    "Laat me weten welke kolom je bedoelt.",  # Dutch request
]
STATEMENTS = [
    "La media es 4,2.", "平均值是4.2。", "Der Umsatz stieg um 12 %.", "Le total est de 42 €.", "合計は42です。",
    "Средний доход 4,2.", "The ratio is 3:1;", "Die Werte könnten sie beeinflussen.", "Η μέση τιμή είναι 4.",
    "매출은 42입니다.", "final: `x?`", "La empresa podría crecer.",
]


@pytest.mark.parametrize("prose", QUESTIONS)
def test_a_question_in_another_language_is_a_question(prose: str) -> None:
    assert asks_user(prose)


@pytest.mark.parametrize("prose", STATEMENTS)
def test_an_answer_in_another_language_is_not_a_question(prose: str) -> None:
    assert not asks_user(prose)


# -- tool calls are not actions ---------------------------------------------------------------------------

CALL = '{"name": "python", "arguments": {"code": "df.describe()"}}'


@pytest.mark.parametrize(
    ("reply", "tool"),
    [
        (f"<tool_call>\n{CALL}\n</tool_call>", "python"),  # Hermes / Qwen without a tool parser
        (f"I will run it.\n<tool_call>{CALL}</tool_call>", "python"),
        (f"[TOOL_CALLS] [{CALL}]", "python"),  # Mistral
        ('<|python_tag|>{"name": "run_code", "parameters": {"src": "1"}}', "run_code"),  # Llama 3.1
        ('<function=execute>{"code": "print(1)"}</function>', "execute"),  # Llama 3.1 custom tools
        ("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>shell", "a tool"),  # DeepSeek
        ('<function_calls><invoke name="bash"><parameter name="cmd">ls</parameter></invoke></function_calls>',
         "bash"),
        (CALL, "python"),  # bare tool-call JSON
        (f"```json\n{CALL}\n```", "python"),
        ('{"tool_calls": [{"id": "c1", "type": "function", "function": {"name": "calc", "arguments": "{}"}}]}', "calc"),
        ('[{"name": "a", "arguments": {}}, {"name": "b", "arguments": {}}]', "a"),
        (f"```python\n{CALL}\n```", "python"),  # tool-call JSON in a python block is no step either
        ('<think>use a tool?</think>{"function": {"name": "lookup", "arguments": "{}"}}', "lookup"),
    ],
)
def test_tool_calls_written_as_text_are_recognised(reply: str, tool: str) -> None:
    assert tool_call_in(parse_reply(reply)) == tool


@pytest.mark.parametrize(
    "reply",
    [
        "The answer is 42.",
        '```python\nconfig = {"name": "north", "arguments": 3}\nprint(config)\n```',  # a dict assignment: code
        'The result is `{"name": "Alice", "age": 3}`.',
        '```json\n{"mean": 4.2, "rows": 120}\n```',
        "<think>I could emit <tool_call> here, but no.</think>\nThe total is 7.",  # only in the thinking
        "Use `tool_calls` in the API to call functions.",
    ],
)
def test_answers_and_code_are_not_tool_calls(reply: str) -> None:
    assert tool_call_in(parse_reply(reply)) is None
