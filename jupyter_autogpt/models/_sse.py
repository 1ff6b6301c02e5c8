"""Server-sent events: the ``data`` of each event in a byte stream, however the stream was cut into chunks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

__all__ = ["sse_batches", "sse_data"]

_LINES = re.compile(rb"\r\n|\r|\n")


def sse_data(chunks: Iterable[bytes]) -> Iterator[str]:
    """Yield the ``data`` of each server-sent event in ``chunks`` (lines of one event joined by newlines).

    Comments (``:``), ``event``, ``id`` and ``retry`` fields are read and dropped; an event is complete at a blank
    line, so one cut off by the end of the stream is dropped, as the SSE standard says.
    """
    for batch in sse_batches(chunks):
        yield from batch


def sse_batches(chunks: Iterable[bytes]) -> Iterator[list[str]]:
    """Yield, for each chunk of ``chunks``, the ``data`` of the events it completed (often none, or many).

    A fast server's events arrive many to a read: a reader may handle them together (one update, not one each).
    """
    data: list[str] = []
    for lines in _lines(chunks):
        batch = []
        for line in lines:
            if not line:
                if data:
                    batch.append("\n".join(data))
                    data = []
            elif line.startswith(b"data:"):
                value = line[5:]
                data.append((value[1:] if value.startswith(b" ") else value).decode("utf-8"))
        if batch:
            yield batch


def _lines(chunks: Iterable[bytes]) -> Iterator[list[bytes]]:
    """Yield the lines each chunk of ``chunks`` completed, ended by CRLF, LF or CR, wherever the chunks were cut."""
    pending = b""
    for chunk in chunks:
        buffer = pending + chunk
        held = b"\r" if buffer.endswith(b"\r") else b""  # a CR may be the first half of a CRLF
        lines = _LINES.split(buffer[: len(buffer) - len(held)])
        pending = lines.pop() + held
        yield lines
    if pending.endswith(b"\r"):
        yield _LINES.split(pending)[:-1]
