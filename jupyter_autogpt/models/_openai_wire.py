"""What the chat-completions wire sends, turned into reply text; when to retry; the deadline's watchdog.

Private helpers of ``models.openai``; events arrive as parsed JSON (``_http`` reads them), any shape.

- A reasoning server (vLLM or SGLang with a reasoning parser, DeepSeek, OpenRouter, LM Studio) sends its thinking
  as ``reasoning_content``/``reasoning`` deltas beside ``content``. The reply text carries it the way a server
  without a parser would, between ``<think>`` and ``</think>`` at the start, so ``protocol.split_thinking`` sets
  it apart, the views can show it, and it is never the action. A ``<`` inside it gets a zero-width space after
  it: no text in the thinking can close it early.
- Native tool calls (``tool_calls``, the legacy ``function_call``) become ``<tool_call>{…}</tool_call>`` text,
  the form tool-calling models write when served without a tool parser, so the loop sees one kind of tool call
  and answers it with a corrective re-ask (``protocol.tool_call_in``).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import random
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import ModelBackendError
from ..types import Usage

__all__ = ["MAX_RETRY_AFTER", "Assembler", "Watchdog", "backoff", "retry_after", "should_retry"]

log = logging.getLogger(__name__)

#: The longest ``Retry-After`` honoured; a server asking for more is not retried (the ``openai`` client's rule).
MAX_RETRY_AFTER = 120.0
_GUARD = "<\u200b"  # "<" followed by a zero-width space: shows as "<", can never open or close a tag


class Assembler:
    """Collect one streamed reply: its text deltas, usage, whether the server finished it."""

    def __init__(self) -> None:
        self.thinking = False  # inside the <think> block this assembler opened
        self.content_started = False
        self.blank = ""  # whitespace content before any other content: it must not end the thinking
        self.tools: dict[int, dict[str, str]] = {}
        self.finished = False
        self.usage: Usage | None = None
        self.dropped = 0  # characters of reasoning that arrived after the content began

    def feed(self, event: Any) -> list[str]:
        """Return the text one stream event (parsed JSON) adds to the reply; fields of the wrong shape count as absent.

        A list, not a generator: a reply is hundreds of events, most of them one piece of content.
        """
        found: list[str] = []
        if not isinstance(event, dict):
            return found
        usage = event.get("usage")
        if isinstance(usage, dict):
            self.usage = Usage(_count(usage, "prompt_tokens"), _count(usage, "completion_tokens"))
        choices = event.get("choices")
        for choice in choices if isinstance(choices, list) else ():
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta")
            found += self._reasoning(_text_field(delta, "reasoning_content") or _text_field(delta, "reasoning"))
            found += self._content(_text_field(delta, "content"))
            if isinstance(delta, dict) and ("tool_calls" in delta or "function_call" in delta):
                self._tool_calls(delta)
            finish = choice.get("finish_reason")
            if finish == "content_filter":
                raise ModelBackendError("the server's content filter stopped the reply")
            self.finished = self.finished or isinstance(finish, str)
        return found

    def end(self) -> Iterator[str]:
        """Yield what closes the reply: the end of its thinking, its tool calls as text."""
        if self.thinking:
            self.thinking = False
            yield "</think>\n"
        if self.dropped:
            log.debug("dropped %d characters of reasoning sent after the reply's content", self.dropped)
        for index in sorted(self.tools):
            yield _tool_text(self.tools[index])

    def _reasoning(self, text: str | None) -> list[str]:
        if not text:
            return []
        if self.content_started:  # thinking is shown at the start of a reply; later reasoning has no place
            self.dropped += len(text)
            return []
        opened = [] if self.thinking else ["<think>"]
        self.thinking = True
        return [*opened, text.replace("<", _GUARD)]

    def _content(self, text: str | None) -> list[str]:
        if not text:
            return []
        if not self.content_started and not text.strip():
            self.blank += text
            return []
        closed = ["</think>\n"] if self.thinking else []
        self.thinking, self.content_started = False, True
        text, self.blank = self.blank + text, ""
        return [*closed, text]

    def _tool_calls(self, delta: Any) -> None:
        calls = _field(delta, "tool_calls")
        for position, call in enumerate(calls if isinstance(calls, list) else ()):
            index = _field(call, "index")
            self._tool_piece(index if type(index) is int else position, _field(call, "function"))
        self._tool_piece(-1, _field(delta, "function_call"))  # the legacy single call

    def _tool_piece(self, index: int, function: Any) -> None:
        name, arguments = _text_field(function, "name") or "", _text_field(function, "arguments") or ""
        if name or arguments:
            tool = self.tools.setdefault(index, {"name": "", "arguments": ""})
            tool["name"] += name
            tool["arguments"] += arguments


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else None


def _text_field(obj: Any, name: str) -> str | None:
    value = _field(obj, name)
    return value if isinstance(value, str) else None


def _count(usage: dict[str, Any], name: str) -> int:
    value = usage.get(name)
    return value if type(value) is int and value >= 0 else 0  # JSON's true is no count


def _tool_text(tool: Mapping[str, str]) -> str:
    try:
        arguments: Any = json.loads(tool["arguments"]) if tool["arguments"].strip() else {}
    except ValueError:
        arguments = tool["arguments"]
    return "\n<tool_call>\n" + json.dumps({"name": tool["name"], "arguments": arguments}) + "\n</tool_call>\n"


# -- retries ------------------------------------------------------------------------------------------------


def should_retry(status: int, headers: Mapping[str, str]) -> bool:
    """Return whether an HTTP error answer is worth retrying (the ``openai`` client's rules)."""
    told = headers.get("x-should-retry")
    if told in ("true", "false"):
        return told == "true"
    after = retry_after(headers)
    if after is not None and after > MAX_RETRY_AFTER:
        return False
    return status in (408, 409, 429) or status >= 500


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the seconds the server asked to wait (``Retry-After`` in seconds or as a date, ``retry-after-ms``)."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        return seconds if seconds == seconds and seconds >= 0 else None  # NaN and negatives are no answer
    when = headers.get("retry-after")
    try:
        parsed = email.utils.parsedate_tz(when) if when else None
        return None if parsed is None else max(0.0, email.utils.mktime_tz(parsed) - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def backoff(attempt: int) -> float:
    """Return the pause before retry ``attempt`` + 1: 0.5 s doubling to at most 8 s, less up to a quarter."""
    return min(8.0, 0.5 * 2**attempt) * (1 - 0.25 * random.random())


# -- the deadline's watchdog --------------------------------------------------------------------------------


class Watchdog:
    """End a response's stream when the reply's time is up, whatever the server does meanwhile.

    A stalled server leaves the reader blocked in ``recv`` (the per-read timeout can be longer than the time
    left), and one that sends keep-alive comments never lets a per-read timeout fire. Shutting the socket down
    wakes the reader: the stream ends, and ``stream`` reports the deadline. Without a socket to reach, the
    deadline is checked between events only.
    """

    def __init__(self, sock: socket.socket | None, seconds: float | None) -> None:
        self._socket = sock
        self._timer: threading.Timer | None = None
        if seconds is not None and self._socket is not None:
            self._timer = threading.Timer(seconds, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with contextlib.suppress(OSError):  # already closed: the stream ended on its own
            self._socket.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]

    def cancel(self) -> None:
        """Stop the timer (the stream ended first)."""
        if self._timer is not None:
            self._timer.cancel()

