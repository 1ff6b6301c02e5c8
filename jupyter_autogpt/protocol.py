"""The action protocol: a reply is Markdown with at most one fenced ``python`` block.

Parsing works on the whole reply, so it is indifferent to how the stream was chunked. A reasoning model served
without a reasoning parser (Ollama, vLLM, many local models) starts its reply with its thinking, between
``<think>`` and ``</think>`` (or ``<thinking>``, ``<reasoning>``, ``<|begin_of_thought|>`` …), sometimes with the
opening tag left to the chat template. That thinking is never the action: code drafted in it never runs, and
the step is what follows it (``split_thinking``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "CODE_LANGUAGES", "Reply", "asks_user", "names_in", "parse_reply", "prose_of", "split_fences", "split_thinking",
    "tool_call_in",
]

CODE_LANGUAGES = frozenset({"", "python", "py", "python3", "ipython", "ipython3", "pycon"})

# A fence opens a line with three or more backticks (or tildes); the info string follows.
_FENCE = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$", re.MULTILINE)


@dataclass(frozen=True)
class Reply:
    """A parsed model reply.

    Attributes
    ----------
    text
        The reply as the model wrote it.
    code
        The code of the first Python block, or ``None`` when the reply has none.
    blocks
        How many Python blocks the reply held (only the first runs).
    unclosed
        Whether the code block was still open when the reply ended (a truncated reply).
    thinking
        The reasoning the reply began with (see ``split_thinking``), ``""`` when none; never parsed for code.
    """

    text: str
    code: str | None
    blocks: int = 0
    unclosed: bool = False
    thinking: str = ""

    @property
    def body(self) -> str:
        """Return the reply after its thinking: the part that holds the action and the prose."""
        return split_thinking(self.text)[1] if self.thinking else self.text

    @property
    def prose(self) -> str:
        """Return the text outside code blocks and outside the thinking, stripped."""
        return _strip_blocks(self.body).strip()


def split_fences(text: str) -> list[tuple[str | None, str, bool]]:
    """Return ``text`` as ordered pieces ``(info, body, closed)``: the one fence grammar of the package.

    ``info`` is ``None`` for text outside fences, else the block's language (first word of its info string,
    lower-cased; ``""`` when absent). A fence is three or more backticks or tildes; it closes at a line of
    the same character at least as long, or at the end of the text (``closed`` is then False).
    """
    pieces: list[tuple[str | None, str, bool]] = []
    pos = 0
    while True:
        opening = _FENCE.search(text, pos)
        if opening is None:
            break
        pieces.append((None, text[pos : opening.start()], True))
        fence = opening.group("fence")
        info = opening.group("info").strip().split(" ")[0].lower()
        body_start = opening.end() + 1
        closing = re.compile(rf"^[ \t]{{0,3}}{fence[0]}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        end = closing.search(text, body_start)
        if end is None:
            pieces.append((info, text[body_start:], False))
            return pieces
        pieces.append((info, text[body_start : end.start()], True))
        pos = end.end()
    pieces.append((None, text[pos:], True))
    return pieces


def _blocks(text: str) -> list[tuple[str, str, bool]]:
    """Return ``(info, body, closed)`` for each fenced block in ``text``."""
    return [(info, body, closed) for info, body, closed in split_fences(text) if info is not None]


def _strip_blocks(text: str) -> str:
    return "".join(body for info, body, _ in split_fences(text) if info is None)


def prose_of(text: str) -> str:
    """Return what a reply says besides its action and its thinking: the text outside fences when it holds code.

    A reply without Python code is prose through and through (a final answer may quote other fences), so
    it comes back whole after its thinking, stripped.
    """
    reply = parse_reply(text)
    return reply.prose if reply.code is not None else reply.body.strip()


def parse_reply(text: str) -> Reply:
    """Return the reply's first Python code block after its thinking (if any), and how well-formed it was."""
    thinking, body = split_thinking(text)
    python = [(code, closed) for info, code, closed in _blocks(body) if info in CODE_LANGUAGES]
    if not python:
        return Reply(text=text, code=None, thinking=thinking)
    code, closed = python[0]
    code = code.rstrip("\n")
    if not code.strip():
        return Reply(text=text, code=None, blocks=len(python), thinking=thinking)
    return Reply(text=text, code=code, blocks=len(python), unclosed=not closed, thinking=thinking)


#: Opening and closing markers of a reasoning model's thinking, as served without a reasoning parser.
_THINK_TAGS = {"think": "</think>", "thinking": "</thinking>", "reasoning": "</reasoning>", "thought": "</thought>"}
_OPENING = re.compile(r"\A\s*(?:<(?P<tag>think|thinking|reasoning|thought)>|(?P<bot><\|begin_of_thought\|>))",
                      re.IGNORECASE)
_CLOSING = re.compile(r"</(?:think|thinking|reasoning|thought)>|<\|end_of_thought\|>", re.IGNORECASE)


def split_thinking(text: str) -> tuple[str, str]:
    """Return ``(thinking, rest)``: the reasoning a reply starts with, and what follows it.

    Recognised: a reply that opens with a thinking tag (closed or not: a reply cut off while thinking is all
    thinking), several such blocks in a row, and a closing tag with no opening one outside any code block (the
    chat template opened it; the thinking may hold drafted code). Anything else is no thinking: ``("", text)``.
    When in doubt the split errs towards thinking: a step taken for thinking is asked again, while thinking
    taken for a step would run code the model may have rejected.

    Examples
    --------
    >>> split_thinking("<think>maybe x = 1?</think>\\nDone.")
    ('maybe x = 1?', '\\nDone.')
    >>> split_thinking("It needs a loop.\\n</think>\\nAnswer: 3")
    ('It needs a loop.\\n', '\\nAnswer: 3')
    """
    thoughts: list[str] = []
    rest = text
    while (opening := _OPENING.match(rest)) is not None:
        closer = _THINK_TAGS[opening.group("tag").lower()] if opening.group("tag") else "<|end_of_thought|>"
        end = rest.lower().find(closer.lower(), opening.end())
        if end < 0:
            return "\n\n".join([*thoughts, rest[opening.end():]]).strip("\n"), ""
        thoughts.append(rest[opening.end():end])
        rest = rest[end + len(closer):]
    if not thoughts:
        for closing in _CLOSING.finditer(text):
            if split_fences(text[: closing.start()])[-1][0] is None:  # outside any code block
                return text[: closing.start()], text[closing.end():]
    return "\n\n".join(t.strip("\n") for t in thoughts), rest


# A reply that asks the user something: nobody can answer while a run goes on. Questions end with the question
# mark of their script (Latin, CJK full-width, Arabic, Armenian, Ethiopic, Greek …) or ask for input in words.
_QUESTION_MARKS = "?\uff1f\u061f\u055e\u1367\u2e2e\u2047\u2048\u2049\ufe56\u037e"
_CLOSERS = " \t\r\n*_~)]}>\"'\u201d\u2019\u00bb\u203a\u300d\u300f\uff09\u3011\u3009\u300b"
_GREEK_QUESTION = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff][^.!;]*;$")  # Greek writes "?" as ";"
_ASKS = re.compile(
    r"\b(please (provide|specify|confirm|clarify|upload|share|tell me)|could you|can you (provide|share|clarify|tell)"
    r"|would you like|do you want|let me know|what would you prefer"
    r"|bitte (geben|teilen|nennen|bestätigen|sagen|laden) sie|(könnten|können) sie (mir|uns|bitte)"
    r"|lassen sie (mich|uns) wissen|sag mir bescheid|pourriez-vous|veuillez (préciser|fournir|indiquer|confirmer)"
    r"|dites-moi|faites-moi savoir|(podría|puede)s? (proporcionar|indicar|confirmar|aclarar|compartir|decirme)"
    r"|por favor,? (proporcione|indique|confirme|aclare|comparta)|avísame|hágame saber"
    r"|(poderia|pode) (fornecer|indicar|confirmar|esclarecer)|por favor,? (forneça|indique|confirme|esclareça)"
    r"|me diga|avise-me|potresti (fornire|indicare|confermare|specificare)|per favore,? (fornisci|indica|conferma)"
    r"|fammi sapere|(kunt u|kun je) (mij|me|aangeven|bevestigen)|laat (me|mij) weten"
    r"|пожалуйста,? (уточните|укажите|предоставьте|подтвердите)|не могли бы вы|сообщите мне|дайте знать)\b"
    r"|请(提供|告诉|确认|说明|指定|上传)|請(提供|告訴|確認|說明|指定)|您希望|你希望|能否提供|[吗嗎呢][。．]?$"
    r"|教えてください|ご指定ください|ご確認ください|提供してください|いただけますか|(です|ます|ません|でしょう)か[。．]?$"
    r"|알려\s?주세요|제공해\s?주세요|확인해\s?주세요|원하시나요|주시겠어요|(습니까|까요|나요)[.。]?$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def asks_user(prose: str) -> bool:
    """Return whether ``prose`` puts a question to the user, in any language: it ends with a question mark (of any
    script, before closing quotes, brackets, emphasis or an emoji) or asks for input in words.

    Examples
    --------
    >>> asks_user("¿Qué columna debo usar?"), asks_user("应该使用哪一列？"), asks_user("The mean is 4.2.")
    (True, True, False)
    """
    text = prose.strip()
    end = len(text)
    while end and (text[end - 1] in _CLOSERS or _decoration(text[end - 1])):
        end -= 1
    last = text[:end]
    return (bool(last) and last[-1] in _QUESTION_MARKS) or bool(_GREEK_QUESTION.search(last)) \
        or bool(_ASKS.search(last))


def _decoration(char: str) -> bool:
    """Return whether ``char`` may follow a question mark without ending the question: an emoji, a modifier."""
    return unicodedata.category(char) in ("So", "Mn", "Cf") or (unicodedata.category(char) == "Sk" and char not in "`^")


# A tool call instead of an action: markers of the tool-call formats models write when served without a tool
# parser (Hermes/Qwen, Mistral, Llama 3.1, DeepSeek, Kimi, XML invokes), and tool-call JSON.
_TOOL_MARKER = re.compile(
    r"<\|?(?:tool_calls?|function_calls?|tool_use)\|?>|\[TOOL_CALLS\]|<\|python_tag\|>|<function=[\w.-]+>"
    r"|<[|\uff5c]tool\u2581calls\u2581begin[|\uff5c]>|<\|tool_calls_section_begin\|>|<invoke name=\"",
)
_TOOL_NAME = re.compile(r'"name"\s*:\s*"(?P<json>[^"]{1,80})"|<function=(?P<fn>[\w.-]+)>|<invoke name="(?P<xml>[\w.-]+)"')


def tool_call_in(reply: Reply) -> str | None:
    """Return the tool ``reply`` calls instead of acting (its name, or ``"a tool"``), or ``None``.

    A reply is a tool call when its body holds a tool-call marker, or when its code block, a JSON block or the
    whole of its text is tool-call JSON (``{"name": …, "arguments": …}``, ``{"tool_calls": […]}``,
    ``{"function": {"name": …}}``, or a list of them). Thinking is never looked at.
    """
    if reply.code is not None:
        return _json_tool(reply.code, whole=True)
    body = reply.body
    marker = _TOOL_MARKER.search(body)
    if marker is not None:
        named = _TOOL_NAME.search(body, marker.start())
        return next((n for n in named.groups() if n), "a tool") if named else "a tool"
    for info, text, _ in split_fences(body):
        found = _json_tool(text) if info in (None, "json", "tool_call", "tool_code") else None
        if found is not None:
            return found
    return None


def _json_tool(text: str, whole: bool = False) -> str | None:
    """Return the tool named by the JSON in ``text`` (all of it when ``whole``, else its outermost braces)."""
    text = text.strip()
    start = 0 if whole else min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    end = len(text) if whole else max(text.rfind("}"), text.rfind("]")) + 1
    if start < 0 or not text:
        return None
    try:
        data = json.loads(text[start:end])
    except ValueError:
        return None
    return _tool_name(data)


def _tool_name(data: object) -> str | None:
    if isinstance(data, list):
        return next((name for name in map(_tool_name, data[:8]) if name), None)
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("tool_calls"), list):
        return _tool_name(data["tool_calls"]) or "a tool"
    function = data.get("function")
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return str(function["name"])
    if isinstance(data.get("name"), str) and ("arguments" in data or "parameters" in data):
        return str(data["name"])
    return None


def names_in(text: str, names: frozenset[str]) -> list[str]:
    """Return the identifiers of ``names`` that ``text`` mentions, in order of first mention."""
    found: list[str] = []
    for word in _WORD.findall(text):
        if word in names and word not in found:
            found.append(word)
    return found
