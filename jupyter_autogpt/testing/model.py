"""A model that replays scripted replies and records what it was sent."""


from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Union

from ..models.base import Chunk, estimate_usage, token_pieces
from ..types import GenerationSettings, Message

__all__ = ["ScriptExhausted", "ScriptedModel", "token_pieces"]

#: A scripted reply: the text, an exception (instance or class) to raise instead, or a function of the
#: messages returning text.
Reply = Union[str, BaseException, type[BaseException], Callable[[Sequence[Message]], str]]


class ScriptExhausted(AssertionError):
    """The agent asked for more replies than the script holds."""


class ScriptedModel:
    """A ``Model`` that streams the given replies in order and records every request.

    Parameters
    ----------
    replies
        One entry a request: a string (streamed as token-like pieces), an exception instance or class
        (raised), or a callable taking the messages and returning the reply text.
    id
        The model id shown in runs.
    usage
        Report estimated usage at the end of each reply (as a server with ``include_usage`` would).

    Attributes
    ----------
    calls
        The messages of every request, in order.
    settings
        The generation settings of every request.
    exhausted
        True once the agent asked for a reply past the end of the script (``stream`` then raised
        ``ScriptExhausted``); ``assert_all_used`` fails from then on.
    """

    def __init__(self, replies: Sequence[Reply], id: str = "scripted", usage: bool = True) -> None:
        self.replies = list(replies)
        self.id = id
        self.usage = usage
        self.calls: list[list[Message]] = []
        self.settings: list[GenerationSettings] = []
        self.exhausted = False

    @property
    def remaining(self) -> int:
        """Return how many replies are left unused."""
        return max(0, len(self.replies) - len(self.calls))

    def stream(self, messages: Sequence[Message], settings: GenerationSettings) -> Iterator[Chunk]:
        index = len(self.calls)
        self.calls.append(list(messages))
        self.settings.append(settings)
        if index >= len(self.replies):
            self.exhausted = True
            raise ScriptExhausted(f"the agent asked for reply {index + 1}, but the script has {len(self.replies)}")
        reply = self.replies[index]
        if isinstance(reply, (BaseException, type)):
            raise reply  # an exception instance or class
        text = reply if isinstance(reply, str) else reply(messages)
        yield from token_pieces(text)
        if self.usage:
            yield estimate_usage(messages, text)

    def assert_all_used(self) -> None:
        """Raise ``AssertionError`` unless the agent asked for exactly the scripted replies.

        Fails when some replies were never requested, and when the agent asked for more than the script
        held (``exhausted``), even though that run itself ended quietly as ``"failed"``.
        """
        if self.exhausted:
            raise ScriptExhausted(
                f"the agent asked for {len(self.calls)} replies, but the script has {len(self.replies)}"
            )
        if self.remaining > 0:
            unused = self.replies[len(self.calls) :]
            raise AssertionError(f"{len(unused)} scripted repl{'y' if len(unused) == 1 else 'ies'} unused: {unused!r}")

    def last_messages(self) -> list[Message]:
        """Return the messages of the latest request."""
        if not self.calls:
            raise AssertionError("the model was never called")
        return self.calls[-1]

    def prompt_text(self, call: int = -1) -> str:
        """Return one request's messages joined as text (handy for ``in`` assertions)."""
        return "\n\n".join(f"[{m.role}]\n{m.content}" for m in self.calls[call])

