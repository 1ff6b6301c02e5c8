"""The action protocol: a reply is Markdown with at most one fenced ``python`` block.

Parsing works on the whole reply, so it is indifferent to how the stream was chunked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CODE_LANGUAGES", "Reply", "asks_user", "names_in", "parse_reply", "truncate_middle"]

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
    """

    text: str
    code: str | None
    blocks: int = 0
    unclosed: bool = False

    @property
    def prose(self) -> str:
        """Return the text outside code blocks, stripped."""
        return _strip_blocks(self.text).strip()


def _blocks(text: str) -> list[tuple[str, str, bool]]:
    """Return ``(info, body, closed)`` for each fenced block in ``text``."""
    found: list[tuple[str, str, bool]] = []
    pos = 0
    while True:
        opening = _FENCE.search(text, pos)
        if opening is None:
            return found
        fence = opening.group("fence")
        body_start = opening.end() + 1
        closing = re.compile(rf"^[ \t]{{0,3}}{fence[0]}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        end = closing.search(text, body_start)
        info = opening.group("info").strip().split(" ")[0].lower()
        if end is None:
            found.append((info, text[body_start:], False))
            return found
        found.append((info, text[body_start : end.start()], True))
        pos = end.end()


def _strip_blocks(text: str) -> str:
    out, pos = [], 0
    for match in _FENCE.finditer(text):
        if match.start() < pos:
            continue
        out.append(text[pos : match.start()])
        fence = match.group("fence")
        closing = re.compile(rf"^[ \t]{{0,3}}{fence[0]}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        end = closing.search(text, match.end() + 1)
        pos = len(text) if end is None else end.end()
    out.append(text[pos:])
    return "".join(out)


def parse_reply(text: str) -> Reply:
    """Return the reply's first Python code block (if any) and how well-formed it was."""
    python = [(body, closed) for info, body, closed in _blocks(text) if info in CODE_LANGUAGES]
    if not python:
        return Reply(text=text, code=None)
    body, closed = python[0]
    code = body.rstrip("\n")
    if not code.strip():
        return Reply(text=text, code=None, blocks=len(python))
    return Reply(text=text, code=code, blocks=len(python), unclosed=not closed)


def truncate_middle(text: str, limit: int) -> str:
    """Return ``text`` cut in the middle to about ``limit`` characters, saying how much was removed."""
    if len(text) <= limit:
        return text
    head = max(0, limit * 2 // 3)
    tail = max(0, limit - head)
    removed = len(text) - head - tail
    lines = text[head : len(text) - tail].count("\n")
    note = f"\n... [{removed:,} characters, {lines:,} lines cut] ...\n"
    return text[:head] + note + (text[-tail:] if tail else "")


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
