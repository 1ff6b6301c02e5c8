"""The action protocol: a reply is Markdown with at most one fenced ``python`` block.

Parsing works on the whole reply, so it is indifferent to how the stream was chunked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CODE_LANGUAGES", "Reply", "asks_user", "names_in", "parse_reply", "prose_of", "split_fences"]

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
    """Return what a reply says besides its action: the text outside fences when it holds Python code.

    A reply without Python code is prose through and through (a final answer may quote other fences), so
    it comes back whole, stripped.
    """
    reply = parse_reply(text)
    return reply.prose if reply.code is not None else text.strip()


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
