"""Keep secrets out of everything a run shows or saves (standard library only).

A secret is the value of an environment variable whose name says it is one (``*_KEY``, ``*TOKEN*``,
``*SECRET*``, ``*PASSWORD*``), any value registered with ``register``, text shaped like a well-known
API key, or the credentials a URL carries (``https://user:pass@host``, ``?api-key=...``, ``&sig=...``).
Values are read when redacting, so a key set after ``%load_ext`` is covered too.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["REDACTED", "redact", "redact_data", "register", "url_secrets"]

REDACTED = "[REDACTED]"
_NAME = re.compile(r"(API_?KEY|_KEY$|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)", re.IGNORECASE)
_SHAPES = re.compile(
    r"\b(sk-[A-Za-z0-9_\-]{16,}|hf_[A-Za-z0-9]{20,}|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|xox[abp]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16})\b"
)
#: Query parameters whose value is a credential (``?api-key=``, ``&sig=`` of a signed URL ...).
_QUERY_NAMES = ("key", "api-key", "api_key", "apikey", "token", "access_token", "access-token", "sig", "password",
                "secret", "client_secret")
_QUERY = re.compile(r"([?&;](?:" + "|".join(map(re.escape, _QUERY_NAMES)) + r")=)[^&;#\s\"'<>]+", re.IGNORECASE)
#: The userinfo of a URL (``scheme://user:password@host``): everything between ``://`` and the host's ``@``.
_USERINFO = re.compile(r"(?<=://)[^/?#@\s\"'<>]+@")
_registered: set[str] = set()


def register(secret: str | None) -> None:
    """Treat ``secret`` as a secret from now on (e.g. a key passed in code rather than the environment)."""
    if secret and len(secret) >= 8:
        _registered.add(secret)


def _secrets() -> list[str]:
    found = {v for k, v in os.environ.items() if _NAME.search(k) and v and len(v) >= 8}
    return sorted(found | _registered, key=len, reverse=True)


def redact(text: str) -> str:
    """Return ``text`` with every known secret and key-shaped token replaced by ``[REDACTED]``."""
    if not text:
        return text
    for secret in _secrets():
        if secret in text:
            text = text.replace(secret, REDACTED)
    if "://" in text or "=" in text:
        text = _QUERY.sub(lambda m: m.group(1) + REDACTED, _USERINFO.sub(REDACTED + "@", text))
    return _SHAPES.sub(REDACTED, text)


def url_secrets(url: str | None) -> list[str]:
    """Return the credentials ``url`` carries: its user name and password, and credential query values."""
    if not url:
        return []
    parsed = urlsplit(url)
    raw = {parsed.username, parsed.password, *(v for k, v in parse_qsl(parsed.query) if k.lower() in _QUERY_NAMES)}
    found = {s for s in raw if s}
    return sorted(found | {unquote(s) for s in found})  # as written in the URL, and as a server may echo it


def redact_data(value: Any) -> Any:
    """Return ``value`` (JSON-like: dicts, lists, strings) with every string redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_data(v) for v in value)
    return value
