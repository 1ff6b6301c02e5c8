"""Keep secrets out of everything a run shows or saves (standard library only).

A secret is the value of an environment variable whose name says it is one (``*_KEY``, ``*TOKEN*``,
``*SECRET*``, ``*PASSWORD*``), any value registered with ``register``, text shaped like a well-known
API key, or the credentials a URL carries (``https://user:pass@host``, ``?api-key=...``, ``&sig=...``).
Values are read when redacting, so a key set after ``%load_ext`` is covered too.

A known secret is removed in pieces too: any run of ``SECRET_PIECE_CHARS`` or more characters of it (the head or
the tail another cut left, e.g. a table cell pandas shortened) becomes ``[REDACTED]``, so two cut ends never
add up to the secret. Whoever cuts text should still redact first (``limits``' cuts then never split a secret).
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["REDACTED", "SECRET_PIECE_CHARS", "redact", "redact_data", "register", "url_secrets"]

REDACTED = "[REDACTED]"
#: The shortest run of a known secret's characters that is redacted on its own (secrets are 8 characters or more).
SECRET_PIECE_CHARS = 8
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
#: The secrets found last, with what they were found from: a copy of the environment's raw mapping and how many
#: values were registered. A run redacts ~200 texts; decoding and matching every variable's name for each one
#: cost ~0.1 ms a call, and the environment rarely changes in between.
_found: tuple[dict[Any, Any], int, list[str]] | None = None


def register(secret: str | None) -> None:
    """Treat ``secret`` as a secret from now on (e.g. a key passed in code rather than the environment)."""
    if secret and len(secret) >= 8:
        _registered.add(secret)


def _secrets() -> list[str]:
    """Return the known secrets, longest first: the environment's as it is now, and the registered ones."""
    global _found
    raw = getattr(os.environ, "_data", None)  # what os.environ writes through to (CPython): compared, not decoded
    found = _found
    if found is not None and raw is not None and found[1] == len(_registered) and found[0] == raw:
        return found[2]
    values = {v for k, v in os.environ.items() if _NAME.search(k) and v and len(v) >= 8}
    secrets = sorted(values | _registered, key=len, reverse=True)
    _found = (dict(raw) if raw is not None else {}, len(_registered), secrets)
    return secrets


def redact(text: str) -> str:
    """Return ``text`` with every known secret and key-shaped token replaced by ``[REDACTED]``."""
    if not text:
        return text
    secrets = _secrets()
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _without_pieces(text, secrets)
    if "://" in text or "=" in text:
        text = _QUERY.sub(lambda m: m.group(1) + REDACTED, _USERINFO.sub(REDACTED + "@", text))
    return _SHAPES.sub(REDACTED, text)


def _without_pieces(text: str, secrets: list[str]) -> str:
    """Return ``text`` with every run of ``SECRET_PIECE_CHARS`` or more characters of a secret replaced."""
    spans: list[tuple[int, int]] = []
    k = SECRET_PIECE_CHARS
    for secret in secrets:
        for piece in {secret[i : i + k] for i in range(len(secret) - k + 1)}:
            at = text.find(piece)
            while at >= 0:
                spans.append((at, at + k))
                at = text.find(piece, at + 1)
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(spans):  # overlapping pieces are one longer piece
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, last = [], 0
    for start, end in merged:
        out += [text[last:start], REDACTED]
        last = end
    return "".join([*out, text[last:]])


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
