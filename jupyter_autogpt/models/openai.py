"""The OpenAI chat-completions backend: the OpenAI API and any compatible server (vLLM, Ollama, LM Studio).

``openai`` is imported when a model is built, never at ``%load_ext``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import ConfigError, ModelAuthError, ModelBackendError, ModelContextError
from ..redaction import redact, register, url_secrets
from ..types import GenerationSettings, Message, Usage
from .base import Chunk, estimate_usage

__all__ = ["OpenAIModel"]

#: Placeholder key for local servers that ignore it (Ollama, LM Studio, vLLM without --api-key).
NO_KEY = "no-key-required"


def _wire(message: Message) -> dict[str, Any]:
    if not message.images:
        return {"role": message.role, "content": message.content}
    parts: list[dict[str, Any]] = [{"type": "text", "text": message.content}]
    parts += [{"type": "image_url", "image_url": {"url": f"data:{i.mime};base64,{i.data}"}} for i in message.images]
    return {"role": message.role, "content": parts}


class _StreamBroken(Exception):
    """The response stream ended or broke before the server finished the reply."""


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
        ``Retry-After``. Retries never count as steps.
    request_timeout
        Seconds to wait for the server before a request counts as timed out.
    """

    OPTIONS = frozenset({"base_url", "api_key", "max_retries", "request_timeout", "http_client"})

    def __init__(
        self,
        name: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        max_retries: int = 3,
        request_timeout: float = 120.0,
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
        try:
            import openai
        except ImportError:  # pragma: no cover - openai is a core dependency
            raise ConfigError("the openai package is missing: pip install openai") from None
        self._openai = openai
        self._client = openai.OpenAI(
            api_key=key or NO_KEY,
            base_url=self.base_url,
            max_retries=max_retries,
            timeout=request_timeout,
            http_client=http_client,
        )

    def __repr__(self) -> str:
        return f"OpenAIModel({self.name!r}, base_url={self._where if self.base_url else None!r})"

    @property
    def _where(self) -> str:
        """Return the server's address as error text may show it (credentials in the URL redacted)."""
        return redact(self.base_url) if self.base_url else "the OpenAI API"

    def stream(self, messages: Sequence[Message], settings: GenerationSettings) -> Iterator[Chunk]:
        """Yield the reply's text deltas, then its ``Usage`` (estimated if the server sends none)."""
        attempt = 0
        while True:
            produced = False
            try:
                for chunk in self._stream_once(messages, settings):
                    produced = produced or isinstance(chunk, str)
                    yield chunk
                return
            except _StreamBroken as exc:
                # The client retries failed requests; a stream that broke before any text is retried here.
                if produced or attempt >= self.max_retries:
                    raise ModelBackendError(str(exc), transient=True) from None
                attempt += 1
                time.sleep(min(8.0, 0.5 * 2**attempt))

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

    def _stream_once(self, messages: Sequence[Message], settings: GenerationSettings) -> Iterator[Chunk]:
        parts: list[str] = []
        usage: Usage | None = None
        finished = False
        response = None
        try:
            response = self._client.chat.completions.create(**self._request(messages, settings))
            for event in response:
                if getattr(event, "usage", None):
                    u = event.usage
                    usage = Usage(u.prompt_tokens or 0, u.completion_tokens or 0)
                for choice in event.choices or ():
                    text = getattr(choice.delta, "content", None) if choice.delta else None
                    if text:
                        parts.append(text)
                        yield text
                    if choice.finish_reason == "content_filter":
                        raise ModelBackendError("the server's content filter stopped the reply")
                    finished = finished or choice.finish_reason is not None
        except self._openai.APIStatusError as exc:
            raise self._translate(exc) from None
        except self._openai.OpenAIError as exc:
            if response is None:
                raise self._translate(exc) from None  # the client already retried the request
            raise _StreamBroken(f"the stream from {self._where} broke: {redact(str(exc))}") from None
        finally:
            if response is not None:
                response.close()
        if not finished:
            raise _StreamBroken(f"the stream from {self._where} ended before the reply was complete")
        yield usage if usage is not None else estimate_usage(messages, "".join(parts))

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
