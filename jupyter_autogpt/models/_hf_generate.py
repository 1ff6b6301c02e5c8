"""Streaming ``generate`` in a worker thread that stops when its consumer does.

Private helpers of ``models.transformers``. Facts this is built on (see ARCHITECTURE.md, ENVIRONMENT-NOTES.md):
- ``generate`` keeps running after its consumer stops unless a StoppingCriteria tells it to: ours reads a
  ``threading.Event`` that the consumer sets in a ``finally``.
- If ``generate`` raises inside its thread, a queue consumer would wait forever: the thread records the error,
  ends the stream, and the consumer re-raises it as ``ModelBackendError``.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
from collections.abc import Generator, Sequence
from typing import Any

from ..errors import ModelBackendError
from .base import Deadline

__all__ = ["THREAD_NAME", "Detokenizer", "StopScanner", "generate_tokens"]

log = logging.getLogger(__name__)

THREAD_NAME = "jupyter-autogpt-generate"
#: How long the consumer waits for the thread after asking it to stop (one decode step, or a long prefill).
JOIN_SECONDS = 5.0
#: How long it waits after the reply ran out of time: the run goes on, the thread stops at its next token.
TIMED_OUT_JOIN_SECONDS = 0.5
_END = object()


@functools.lru_cache(maxsize=1)
def _classes() -> tuple[type, type]:
    """Return our streamer and stopping-criteria classes, built on transformers' bases at first use."""
    import torch
    from transformers import StoppingCriteria
    from transformers.generation.streamers import BaseStreamer

    class QueueStreamer(BaseStreamer):
        """Put each new token id on a queue; the first ``put`` is the prompt and is skipped."""

        def __init__(self) -> None:
            self.tokens: queue.SimpleQueue[Any] = queue.SimpleQueue()
            self._prompt_seen = False

        def put(self, value: Any) -> None:
            if not self._prompt_seen:
                self._prompt_seen = True
                return
            for token in value.reshape(-1).tolist():
                self.tokens.put(token)

        def end(self) -> None:
            self.tokens.put(_END)

    class EventStop(StoppingCriteria):
        """Stop every sequence once ``event`` is set (the consumer stopped or was interrupted)."""

        def __init__(self, event: threading.Event) -> None:
            self.event = event

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)

    return QueueStreamer, EventStop


def _worker(model: Any, kwargs: dict[str, Any], streamer: Any, failure: list[BaseException]) -> None:
    try:
        model.generate(**kwargs)
    except BaseException as exc:  # any failure must reach the consumer, or it would wait forever
        failure.append(exc)
    finally:
        streamer.end()


def generate_tokens(model: Any, kwargs: dict[str, Any], deadline: Deadline | None = None) -> Generator[int, None, None]:
    """Yield the token ids ``model.generate(**kwargs)`` produces, one by one, from a worker thread.

    Closing the iterator (or an exception in the consumer, e.g. KeyboardInterrupt) stops generation at the
    next token and joins the thread briefly. With a ``deadline`` the wait for each token is bounded by its
    stall limit and by the time left: a prefill that never ends, or a reply still going at the end, raises.

    Raises
    ------
    ModelBackendError
        When ``generate`` raised (the original exception is its ``__cause__``), or the deadline passed.
    """
    streamer_class, stop_class = _classes()
    streamer, event = streamer_class(), threading.Event()
    failure: list[BaseException] = []
    criteria = [*kwargs.pop("stopping_criteria", ()), stop_class(event)]
    thread = threading.Thread(
        target=_worker,
        args=(model, {**kwargs, "streamer": streamer, "stopping_criteria": criteria}, streamer, failure),
        name=THREAD_NAME,
        daemon=True,  # a stuck prefill must not keep the interpreter alive at exit
    )
    thread.start()
    join, deadline = JOIN_SECONDS, deadline or Deadline()
    try:
        while (token := _next(streamer.tokens, deadline)) is not _END:
            yield token
    except ModelBackendError:
        join = TIMED_OUT_JOIN_SECONDS  # the thread may be stuck in one long forward: do not wait it out
        raise
    finally:
        event.set()
        thread.join(join)
        if thread.is_alive():
            log.warning("the generation thread is still running; it stops after its current model call")
    if failure:
        exc = failure[0]
        raise ModelBackendError(f"the local model failed while generating: {type(exc).__name__}: {exc}") from exc


def _next(tokens: queue.SimpleQueue[Any], deadline: Deadline) -> Any:
    """Return the next token (or the end), waiting no longer than ``deadline`` allows."""
    if deadline.expired():
        raise ModelBackendError("the local model did not finish its reply within the reply's time limit")
    wait = deadline.wait()
    try:
        return tokens.get(timeout=wait)
    except queue.Empty:
        if deadline.expired():
            raise ModelBackendError("the local model did not finish its reply within the reply's time limit") from None
        raise ModelBackendError(f"the local model produced no token for {wait:g}s (--request-timeout)") from None


class Detokenizer:
    """Turn token ids into text deltas, holding back incomplete characters (byte-level BPE splits UTF-8).

    Decoding a window that starts a few tokens back keeps tokenizer-dependent spacing right (SentencePiece
    drops a leading space when a piece is decoded alone).
    """

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self._prefix = 0
        self._read = 0

    def _decode(self, ids: Sequence[int]) -> str:
        text: str = self.tokenizer.decode(ids, skip_special_tokens=True)
        return text

    def push(self, token: int) -> str:
        """Add one token; return the new text it completes (often empty)."""
        self.ids.append(token)
        before = self._decode(self.ids[self._prefix : self._read])
        after = self._decode(self.ids[self._prefix :])
        if len(after) <= len(before) or after.endswith("\ufffd"):
            return ""
        self._prefix, self._read = self._read, len(self.ids)
        return after[len(before) :]

    def flush(self) -> str:
        """Return whatever text is still held back at the end."""
        before = self._decode(self.ids[self._prefix : self._read])
        after = self._decode(self.ids[self._prefix :])
        self._prefix = self._read = len(self.ids)
        return after[len(before) :] if len(after) > len(before) else ""


class StopScanner:
    """Cut a stream of text at the first stop sequence, holding back text that may start one."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = tuple(s for s in stops if s)
        self.pending = ""
        self.stopped = False

    def feed(self, delta: str) -> str:
        """Return the part of ``delta`` (with held-back text) that is safe to emit; set ``stopped`` at a stop."""
        if not self.stops:
            return delta
        self.pending += delta
        hits = [i for i in (self.pending.find(s) for s in self.stops) if i >= 0]
        if hits:
            self.stopped = True
            out, self.pending = self.pending[: min(hits)], ""
            return out
        hold = max((n for s in self.stops for n in range(1, len(s)) if self.pending.endswith(s[:n])), default=0)
        out, self.pending = self.pending[: len(self.pending) - hold], self.pending[len(self.pending) - hold :]
        return out

    def flush(self) -> str:
        """Return the held-back text at the end of the stream (it did not become a stop sequence)."""
        out, self.pending = self.pending, ""
        return out
