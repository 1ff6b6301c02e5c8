"""The OpenAI chat-completions backend: the OpenAI API and any compatible server (vLLM, Ollama, LM Studio).

It speaks the wire format itself (``_http``: a lean client on the standard library; ``_openai_wire``: the
events turned into reply text, retries, the deadline), so no SDK is imported and no object is built per chunk.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

from .._version import __version__
from ..errors import ConfigError, ModelAuthError, ModelBackendError, ModelContextError
from ..limits import clip
from ..redaction import redact, register, url_secrets
from ..types import GenerationSettings, Message
from ._http import Client, StatusError, TransportError
from ._openai_wire import Assembler, Watchdog, backoff, retry_after, should_retry
from .base import Chunk, Deadline, estimate_usage

__all__ = ["OpenAIModel"]

#: Placeholder key for local servers that ignore it (Ollama, LM Studio, vLLM without --api-key).
NO_KEY = "no-key-required"
#: Where requests go without ``--base-url`` or ``OPENAI_BASE_URL``.
OPENAI_API = "https://api.openai.com/v1"
#: Seconds to wait for a server's next bytes unless ``--request-timeout`` says otherwise.
DEFAULT_REQUEST_TIMEOUT = 120.0


def _wire(message: Message) -> dict[str, Any]:
    if not message.images:
        return {"role": message.role, "content": message.content}
    parts: list[dict[str, Any]] = [{"type": "text", "text": message.content}]
    parts += [{"type": "image_url", "image_url": {"url": f"data:{i.mime};base64,{i.data}"}} for i in message.images]
    return {"role": message.role, "content": parts}


class _Failed(Exception):
    """One attempt failed: the error to raise, whether another attempt may succeed, and when to make it."""

    def __init__(self, error: ModelBackendError, retry: bool = False, after: float | None = None) -> None:
        super().__init__(str(error))
        self.error, self.retry, self.after = error, retry, after


class OpenAIModel:
    """Stream chat completions from an OpenAI-compatible server.

    Parameters
    ----------
    name
        The server's model name (``gpt-4o-mini``, ``llama3.1:8b`` ...).
    base_url
        The server's ``/v1`` address; default ``OPENAI_BASE_URL``, else the OpenAI API.
    api_key
        Default ``OPENAI_API_KEY``. Local servers (a ``base_url``) need none.
    max_retries
        Retries of transient faults (429, 5xx, timeouts, dropped connections), with backoff that honours
        ``Retry-After``. Retries never count as steps, and never outlast a request's ``time_limit``.
    request_timeout
        Seconds to wait for the server's next bytes before a request counts as timed out.

    Proxies come from ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` and ``NO_PROXY``; ``OPENAI_ORG_ID`` and
    ``OPENAI_PROJECT_ID`` are sent as the OpenAI API's organisation and project headers.
    """

    OPTIONS = frozenset({"base_url", "api_key", "max_retries", "request_timeout"})

    def __init__(
        self,
        name: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        max_retries: int = 3,
        request_timeout: float | None = None,
    ) -> None:
        self.name = name
        self.id = f"openai:{name}"
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key and not self.base_url:
            raise ConfigError(
                "no OpenAI API key: set OPENAI_API_KEY (e.g. %env OPENAI_API_KEY=...), or point --base-url "
                "at an OpenAI-compatible server, or pass --model transformers:PATH for a local model"
            )
        register(key)
        for secret in url_secrets(self.base_url):  # https://user:pass@host/v1, ...?api-key=...
            register(secret)
        self.max_retries = max_retries
        self.request_timeout = request_timeout or DEFAULT_REQUEST_TIMEOUT
        self._client = _client(self.base_url or OPENAI_API, key or NO_KEY)

    def __repr__(self) -> str:
        return f"OpenAIModel({self.name!r}, base_url={self._where if self.base_url else None!r})"

    @property
    def _where(self) -> str:
        """Return the server's address as error text may show it (credentials in the URL redacted)."""
        return redact(self.base_url) if self.base_url else "the OpenAI API"

    def stream(self, messages: Sequence[Message], settings: GenerationSettings) -> Iterator[Chunk]:
        """Yield the reply's text deltas, then its ``Usage`` (estimated if the server sends none).

        Transient faults before any text are retried up to ``max_retries`` times, honouring ``Retry-After``;
        no wait and no retry outlasts ``settings.time_limit``.
        """
        deadline = Deadline.after(settings.time_limit, self.request_timeout)
        attempt = 0
        while True:
            produced = False
            try:
                for chunk in self._stream_once(messages, settings, deadline):
                    produced = produced or isinstance(chunk, str)
                    yield chunk
                return
            except _Failed as failure:
                if produced or not failure.retry or attempt >= self.max_retries:
                    raise failure.error from None
                wait = backoff(attempt) if failure.after is None else failure.after
                left = deadline.left()
                if left is not None and wait >= left:
                    raise type(failure.error)(f"{failure.error} (not retried: the {wait:.1f}s wait would outlast the "
                                              f"reply's time limit)", transient=failure.error.transient) from None
                attempt += 1
                time.sleep(wait)

    def _request(self, messages: Sequence[Message], settings: GenerationSettings) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.name,
            "messages": [_wire(m) for m in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        optional = {
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "max_tokens": settings.max_new_tokens,
            "seed": settings.seed,
            "stop": list(settings.stop[:4]) or None,
        }
        request.update({k: v for k, v in optional.items() if v is not None})
        return request

    def _stream_once(
        self, messages: Sequence[Message], settings: GenerationSettings, deadline: Deadline
    ) -> Iterator[Chunk]:
        reply = Assembler()
        parts: list[str] = []
        response, watchdog = None, None
        try:
            if deadline.expired():
                raise _Failed(self._too_late(settings))
            response = self._client.post("/chat/completions", self._request(messages, settings), deadline.wait())
            watchdog = Watchdog(response.socket, deadline.left())
            for batch in response.batches():  # the events read together make one piece: one update, not one each
                texts: list[str] = []
                for data in batch:
                    event = json.loads(data)
                    if isinstance(event, dict) and event.get("error"):
                        raise self._stream_error(event["error"])
                    texts += reply.feed(event)
                if texts:
                    parts.append("".join(texts))
                    yield parts[-1]
                if deadline.expired():
                    raise _Failed(self._too_late(settings))
        except StatusError as exc:
            raise _Failed(self._translate(exc), should_retry(exc.status, exc.headers), retry_after(exc.headers)) from None
        except TransportError as exc:
            raise self._broken(exc, response is not None, settings, deadline) from None
        except ValueError as exc:  # an event that is not JSON, or not UTF-8
            raise _Failed(ModelBackendError(f"{self._where} sent a malformed stream event: {clip(redact(str(exc)), 300)}",
                                            transient=True), retry=True) from None
        finally:
            if watchdog is not None:
                watchdog.cancel()
            if response is not None:
                response.close()
        self._check_ended(reply.finished, settings, deadline)
        for text in reply.end():
            parts.append(text)
            yield text
        yield reply.usage if reply.usage is not None else estimate_usage(messages, "".join(parts))

    def _check_ended(self, finished: bool, settings: GenerationSettings, deadline: Deadline) -> None:
        """Raise the failure of a stream that ended before the server finished the reply (or the time did)."""
        if deadline.expired():  # the watchdog ended it
            raise _Failed(self._too_late(settings))
        if not finished:
            raise _Failed(ModelBackendError(f"the stream from {self._where} ended before the reply was complete",
                                            transient=True), retry=True)

    def _broken(self, exc: TransportError, responded: bool, settings: GenerationSettings,
                deadline: Deadline) -> _Failed:
        """Return the failure of a request the server did not answer, or a stream that broke."""
        if deadline.expired():
            return _Failed(self._too_late(settings))
        detail = redact(str(exc))
        if not responded:  # connection refused, reset, timed out: worth another attempt (a bad certificate is not)
            error = ModelBackendError(f"cannot reach {self._where} ({type(exc).__name__}): {detail}",
                                      transient=exc.retry)
            return _Failed(error, retry=exc.retry)
        return _Failed(ModelBackendError(f"the stream from {self._where} broke: {detail}", transient=True), retry=True)

    def _stream_error(self, error: Any) -> _Failed:
        """Return the failure an error event in the stream stands for (a server that failed mid-reply)."""
        message = error.get("message") if isinstance(error, dict) else None
        said = message if isinstance(message, str) and message else "an error occurred during streaming"
        error_text = f"the stream from {self._where} broke: {clip(redact(said), 300)}"
        return _Failed(ModelBackendError(error_text, transient=True), retry=True)

    def _too_late(self, settings: GenerationSettings) -> ModelBackendError:
        limit = settings.time_limit or 0.0
        return ModelBackendError(f"{self._where} gave no complete reply within the reply's time limit ({limit:.1f}s)")

    def _translate(self, exc: StatusError) -> ModelBackendError:
        """Return our typed error for an HTTP error answer, with secrets removed from its text."""
        where, status = self._where, exc.status
        detail = redact(clip(exc.message, 1000))
        if status == 401:
            return ModelAuthError(
                f"{where} refused the API key (401): check OPENAI_API_KEY or --base-url. Server said: {detail}"
            )
        if status == 403:
            return ModelAuthError(f"{where} denied access to model {self.name!r} (403): {detail}")
        if status == 404:
            return ModelBackendError(f"{where} does not know model {self.name!r} (404): check --model. {detail}")
        if status == 400 and "context" in detail.lower() and "length" in detail.lower():
            return ModelContextError(f"the prompt is longer than {self.name}'s context window: {detail}")
        if status == 429:
            return ModelBackendError(f"{where} kept rate-limiting the requests (429) after retries: {detail}",
                                     transient=True)
        if status >= 500:
            return ModelBackendError(f"{where} failed ({status}) after retries: {detail}", transient=True)
        return ModelBackendError(f"{where} answered an error ({status}): {detail}")


def _client(base_url: str, key: str) -> Client:
    """Return the HTTP client for ``base_url``, sending ``key`` and the OpenAI API's optional headers."""
    headers = {"Authorization": f"Bearer {key}", "Accept": "text/event-stream",
               "User-Agent": f"jupyter-autogpt/{__version__}"}
    for header, variable in (("OpenAI-Organization", "OPENAI_ORG_ID"), ("OpenAI-Project", "OPENAI_PROJECT_ID")):
        if os.environ.get(variable):
            headers[header] = os.environ[variable]
    try:
        return Client(base_url, headers)
    except ValueError:
        raise ConfigError(f"--base-url {redact(base_url)!r} is not an http(s) address: use e.g. "
                          "http://localhost:11434/v1") from None
