"""Which proxy a model request goes through: the usual environment variables, read the way ``urllib`` reads them.

``HTTPS_PROXY`` for https addresses, ``HTTP_PROXY`` for http ones, ``ALL_PROXY`` for both (lower-case names too,
and they win); ``NO_PROXY`` lists the hosts reached directly (``localhost,.internal,10.0.0.1``, ``*`` for all).
The proxy itself is spoken to over plain HTTP (``http://[user:password@]host:port``): an https address is
reached through a ``CONNECT`` tunnel, so the proxy never sees the request or the key. Credentials in the proxy's
URL are sent as ``Proxy-Authorization`` and are secrets: they never reach an error text.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..errors import ConfigError
from ..redaction import redact, register, url_secrets

__all__ = ["Proxy", "proxy_for"]

_NAMES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


@dataclass(frozen=True)
class Proxy:
    """A proxy to connect to, and the ``Proxy-Authorization`` value its URL's credentials make (if any)."""

    host: str
    port: int
    authorization: str | None = None


def proxy_for(scheme: str, host: str) -> Proxy | None:
    """Return the proxy the environment names for ``scheme://host``, or ``None`` to connect directly.

    Raises
    ------
    ConfigError
        When the proxy's URL is not one this client can speak to (SOCKS, or a proxy reached over https).
    """
    if not any(name.lower() in _NAMES for name in os.environ):
        return None  # the common case, without importing urllib.request
    import urllib.request

    proxies = urllib.request.getproxies_environment()
    if urllib.request.proxy_bypass_environment(host, proxies):  # type: ignore[attr-defined]  # not in typeshed
        return None
    url = proxies.get(scheme) or proxies.get("all")
    return parse_proxy(url) if url else None


def parse_proxy(url: str) -> Proxy:
    """Return the ``Proxy`` that ``url`` (``[http://][user:password@]host[:port]``) names."""
    for secret in url_secrets(url if "://" in url else f"http://{url}"):
        register(secret)
    parts = urlsplit(url if "://" in url else f"http://{url}")
    try:
        port = parts.port or 80
    except ValueError:  # a port that is not a number
        port = 0
    if parts.scheme != "http" or not parts.hostname or not port:
        raise ConfigError(
            f"proxy {redact(url)!r} (from the *_PROXY environment variables): only http://host:port proxies are "
            "supported (https addresses go through them in a CONNECT tunnel); set HTTPS_PROXY=http://..., or add "
            "the model server's host to NO_PROXY"
        )
    authorization = None
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        authorization = "Basic " + base64.b64encode(credentials).decode("ascii")
        register(authorization.split(" ", 1)[1])
    return Proxy(parts.hostname, port, authorization)
