"""Text from a model (or a user) made safe to put into Markdown that a frontend renders (standard library only).

A Markdown output is rendered by JupyterLab, nbconvert or GitHub, and JupyterLab renders the output of a cell
it just ran as *trusted*: raw HTML in it runs (``<img onerror=…>``, even ``<script>``), and a
``[link](javascript:…)`` is a click away. No sanitiser runs there that we control, so the Markdown we write
must already be inert. The rule is an allow-list, not a hunt for bad input:

* no ``<`` and no ``&`` of the text survives as itself (``&lt;`` / ``&amp;``): no raw HTML, no autolink, no
  entity trick (``&#106;avascript:``);
* no ``[`` survives (``&#91;``) except in an inline link to an ``http``/``https``/``mailto`` URL that is not an
  image: reference links, link definitions, images and every other scheme become text;
* inline code becomes ``<code>`` written by us, its text escaped character by character, and fenced code is
  written in a fence of our own, longer than any backtick run inside, so no line of the text can close it.

Everything else (emphasis, headings, lists, tables, bare ``https://`` links) renders as the model meant it.
"""

from __future__ import annotations

import re

from .protocol import split_fences

__all__ = ["code", "fence", "inert", "literal"]

#: Characters that mean something inline to Markdown, HTML or a math renderer, written as numeric references.
_SPECIAL = frozenset("\\`*_[]<>&$~|#")
#: An inline code span: a backtick run, then the shortest text up to a run of the same length (no blank line).
_SPAN = re.compile(r"(?<!`)(`+)(?!`)((?:(?!\n[ \t]*\n).)+?)(?<!`)\1(?!`)", re.DOTALL)
_URL = r"(?:https?://|mailto:)[^\s()<>\"'`\\\[\]]+"
_LINK = re.compile(r"(?<![!\\])\[([^\[\]\n`]{1,500})\]\((" + _URL + r")\)")
_INFO = re.compile(r"[^A-Za-z0-9_+-]")


def literal(text: str) -> str:
    """Return ``text`` so that Markdown shows exactly it: every special character as a numeric reference."""
    return "".join(f"&#{ord(c)};" if c in _SPECIAL else c for c in text.replace("\r", ""))


def code(text: str) -> str:
    """Return ``text`` as inline code that no character of it can end or turn into markup."""
    body = text.replace("\n", " ")
    if len(body) > 2 and body[0] == body[-1] == " " and body.strip():
        body = body[1:-1]  # the one space CommonMark strips from each side of a code span
    return f"<code>{literal(body)}</code>"


def fence(body: str, info: str = "") -> str:
    """Return ``body`` as a fenced code block set apart by blank lines, in a fence no line of it can close."""
    runs = [len(r) for r in re.findall(r"`+", body)]
    ticks = "`" * max(3, max(runs, default=0) + 1)
    return f"\n\n{ticks}{_INFO.sub('', info)[:30]}\n{body.rstrip(chr(10))}\n{ticks}\n\n"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("[", "&#91;")


def _text(text: str) -> str:
    """Escape prose outside code, keeping the inline links the allow-list accepts."""
    out, pos = [], 0
    for link in _LINK.finditer(text):
        out.append(_escape(text[pos : link.start()]))
        out.append(f"[{_escape(link.group(1))}]({link.group(2).replace('&', '&amp;')})")
        pos = link.end()
    out.append(_escape(text[pos:]))
    return "".join(out)


def _prose(text: str) -> str:
    out, pos = [], 0
    for span in _SPAN.finditer(text):
        out.append(_text(text[pos : span.start()]))
        out.append(code(span.group(2)))
        pos = span.end()
    out.append(_text(text[pos:]))
    return "".join(out)


def inert(text: str) -> str:
    """Return Markdown ``text`` (a reply's prose, an answer, a goal) as Markdown that cannot run or load anything.

    Examples
    --------
    >>> inert('See <img src=x onerror=alert(1)> and [docs](https://pandas.pydata.org).')
    'See &lt;img src=x onerror=alert(1)> and [docs](https://pandas.pydata.org).'
    >>> inert('[x](javascript:alert(1)) and `a<b`')
    '&#91;x](javascript:alert(1)) and <code>a&#60;b</code>'
    """
    parts = []
    for info, body, _ in split_fences(text):
        parts.append(_prose(body) if info is None else fence(body, info))
    return "".join(parts).strip("\n")
