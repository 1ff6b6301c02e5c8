"""The action protocol: a reply is Markdown with at most one fenced ``python`` block.

Parsing works on the whole reply, so it is indifferent to how the stream was chunked. A reasoning model served
without a reasoning parser (Ollama, vLLM, many local models) starts its reply with its thinking, between
``<think>`` and ``</think>`` (or ``<thinking>``, ``<reasoning>``, ``<|begin_of_thought|>`` …), sometimes with the
opening tag left to the chat template. That thinking is never the action: code drafted in it never runs, and
the step is what follows it (``split_thinking``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CODE_LANGUAGES", "Reply", "asks_user", "names_in", "parse_reply", "prose_of", "split_fences", "split_thinking",
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


# A reply that asks the user something: nobody can answer while a run goes on.
_ASKS = re.compile(
    r"\b(please (provide|specify|confirm|clarify|upload|share|tell me)|could you|can you (provide|share|clarify|tell)"
    r"|would you like|do you want|let me know|what would you prefer)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def asks_user(prose: str) -> bool:
    """Return whether ``prose`` puts a question to the user (ends with "?" or asks for input)."""
    text = prose.strip()
    return text.endswith("?") or bool(_ASKS.search(text))


def names_in(text: str, names: frozenset[str]) -> list[str]:
    """Return the identifiers of ``names`` that ``text`` mentions, in order of first mention."""
    found: list[str] = []
    for word in _WORD.findall(text):
        if word in names and word not in found:
            found.append(word)
    return found
