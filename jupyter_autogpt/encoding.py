"""Text that is not valid Unicode, made valid where it enters a run (standard library only).

Two kinds of broken text reach a run: a step's output with lone surrogates (a file name that is not UTF-8,
printed raw, arrives as ``\\udcXX`` through Python's ``surrogateescape``), and a model's reply whose emoji a server
split into two halves sent in separate chunks (each JSON chunk decodes to one lone surrogate). Neither can be
written as UTF-8 JSON, so a transcript, a comm message or a widget update would fail on them.

Text enters a run through two doors, the model's reply and what a step left behind (its observation and the
namespace summaries); both pass ``valid_text``/``valid_data`` there, so everything downstream encodes.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["valid_data", "valid_text"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """Return ``text`` as valid Unicode: surrogate halves paired up again, lone ones replaced by U+FFFD.

    Examples
    --------
    >>> valid_text("ok") == "ok"
    True
    >>> valid_text("\\ud83d" + "\\ude00") == "\\U0001f600"
    True
    >>> valid_text("bad \\udcff name")
    'bad \\ufffd name'
    """
    if not _SURROGATE.search(text):
        return text
    # UTF-16 with surrogatepass joins a high and a low half into one character; the rest cannot be encoded
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _SURROGATE.sub("\ufffd", joined)


def valid_data(value: Any) -> Any:
    """Return ``value`` (JSON-like: dicts, lists, strings) with every string made valid; other values as they are."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {valid_text(k) if isinstance(k, str) else k: valid_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(valid_data(v) for v in value)
    return value
