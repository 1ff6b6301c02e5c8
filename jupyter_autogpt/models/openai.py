"""The OpenAI chat-completions backend: the OpenAI API and any compatible server (vLLM, Ollama, LM Studio).

``openai`` is imported when a model is built, never at ``%load_ext``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import ConfigError, ModelAuthError, ModelBackendError, ModelContextError
from ..limits import clip
from ..redaction import redact, register, url_secrets
from ..types import GenerationSettings, Message
from ._openai_wire import Assembler, Watchdog, backoff, retry_after, should_retry
from .base import Chunk, Deadline, estimate_usage

__all__ = ["OpenAIModel"]

#: Placeholder key for local servers that ignore it (Ollama, LM Studio, vLLM without --api-key).
NO_KEY = "no-key-required"
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
    """

    OPTIONS = frozenset({"base_url", "api_key", "max_retries", "request_timeout", "http_client"})

    def __init__(
        self,
        name: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        max_retries: int = 3,
        request_timeout: float | None = None,
        http_client: Any = None,
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
        try:
            import openai
        except ImportError:  # pragma: no cover - openai is a core dependency
            raise ConfigError("the openai package is missing: pip install openai") from None
        self._openai = openai
        self._client = openai.OpenAI(
            api_key=key or NO_KEY,
            base_url=self.base_url,
            max_retries=0,  # retried here, where the reply's time limit is known
            timeout=self.request_timeout,
            http_client=http_client,
        )

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
        o = self._openai
        reply = Assembler()
        parts: list[str] = []
        response, watchdog = None, None
        try:
            if deadline.expired():
                raise _Failed(self._too_late(settings))
            response = self._client.chat.completions.create(**self._request(messages, settings),
                                                            timeout=deadline.wait())
            watchdog = Watchdog(response, deadline.left())
            for event in response:
                for text in reply.feed(event):
                    parts.append(text)
                    yield text
                if deadline.expired():
                    raise _Failed(self._too_late(settings))
        except o.APIStatusError as exc:
            headers = exc.response.headers
            raise _Failed(self._translate(exc), should_retry(exc.status_code, headers), retry_after(headers)) from None
        except o.OpenAIError as exc:
            raise self._broken(exc, response is not None, settings, deadline) from None
        except ValueError as exc:  # an event that is not JSON, or not a chunk: json's and pydantic's errors
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

    def _broken(self, exc: Exception, responded: bool, settings: GenerationSettings, deadline: Deadline) -> _Failed:
        """Return the failure of a request the server did not answer, or a stream that broke."""
        if deadline.expired():
            return _Failed(self._too_late(settings))
        if not responded:  # connection refused, reset, timed out: worth another attempt
            connection = isinstance(exc, self._openai.APIConnectionError)
            return _Failed(self._translate(exc), retry=connection)
        error = ModelBackendError(f"the stream from {self._where} broke: {redact(str(exc))}", transient=True)
        return _Failed(error, retry=True)

    def _too_late(self, settings: GenerationSettings) -> ModelBackendError:
        limit = settings.time_limit or 0.0
        return ModelBackendError(f"{self._where} gave no complete reply within the reply's time limit ({limit:.1f}s)")

    def _translate(self, exc: Exception) -> ModelBackendError:
        """Return our typed error for an ``openai`` exception, with secrets removed from its text."""
        o = self._openai
        where = self._where
        detail = redact(str(exc))
        if isinstance(exc, o.AuthenticationError):
            return ModelAuthError(
                f"{where} refused the API key (401): check OPENAI_API_KEY or --base-url. Server said: {detail}"
            )
        if isinstance(exc, o.PermissionDeniedError):
            return ModelAuthError(f"{where} denied access to model {self.name!r} (403): {detail}")
        if isinstance(exc, o.NotFoundError):
            return ModelBackendError(f"{where} does not know model {self.name!r} (404): check --model. {detail}")
        if isinstance(exc, o.BadRequestError) and "context" in detail.lower() and "length" in detail.lower():
            return ModelContextError(f"the prompt is longer than {self.name}'s context window: {detail}")
        if isinstance(exc, o.RateLimitError):
            return ModelBackendError(f"{where} kept rate-limiting the requests (429) after retries: {detail}",
                                     transient=True)
        if isinstance(exc, (o.APITimeoutError, o.APIConnectionError)):
            return ModelBackendError(f"cannot reach {where} ({type(exc).__name__}): {detail}", transient=True)
        if isinstance(exc, o.APIStatusError) and exc.status_code >= 500:
            return ModelBackendError(f"{where} failed ({exc.status_code}) after retries: {detail}", transient=True)
        return ModelBackendError(f"{where} answered an error: {detail}")
