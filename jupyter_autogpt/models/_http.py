"""A lean HTTP/1.1 client for one job: POST a JSON request and read the server-sent events that answer it.

Private to ``models.openai``; the standard library only (``http.client``, ``ssl``, ``json``), which a kernel
has imported already. Why not the ``openai`` SDK: importing it cost ~0.9 s, which the first request of a
kernel's first run waited for, and it built pydantic objects for every streamed chunk (~0.5 ms each, ~70 a step).

What it keeps of that SDK's transport (tests/test_openai_*.py prove each):
- one idle connection kept for the next request (keep-alive), and one fresh attempt when a reused connection
  turns out to have been closed by the server before any answer came;
- HTTPS with the system's certificates (``SSL_CERT_FILE``/``SSL_CERT_DIR`` honoured; ``certifi``'s bundle
  where the system has none);
- proxies from ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` and ``NO_PROXY`` (``_proxy.py``);
- every wait bounded (connect, the answer's headers, each read): ``RequestTimeout``;
- the events' ``data`` fields, ``[DONE]`` ending the stream, in the batches one read brought (``sse_batches``).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from ._proxy import Proxy, proxy_for
from ._sse import sse_batches

__all__ = ["Client", "ConnectionFailed", "RequestTimeout", "Response", "StatusError", "TransportError"]

#: The most of an error answer's body that is read (its message is all we show).
ERROR_BODY_BYTES = 65_536
#: How long the rest of a finished stream (the chunked body's end) may take before the connection is dropped.
DRAIN_SECONDS = 0.5
_READ = 65_536


class TransportError(Exception):
    """No usable answer: the connection failed or broke (``retry``: another attempt may succeed)."""

    retry = True


class RequestTimeout(TransportError):
    """A wait for the server (to connect, to answer, for the next bytes) lasted longer than allowed."""


class ConnectionFailed(TransportError):
    """The connection could not be made, or it broke."""


class StatusError(Exception):
    """The server answered with an HTTP error: its status, headers (lower-case names) and message."""

    def __init__(self, status: int, headers: Mapping[str, str], message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status, self.headers, self.message = status, dict(headers), message


class Client:
    """Send requests to one server (``base_url``), keeping one idle connection for the next request.

    Parameters
    ----------
    base_url
        ``http(s)://host[:port]/prefix``; request paths are appended to it.
    headers
        Sent with every request (authorization, user agent).
    """

    def __init__(self, base_url: str, headers: Mapping[str, str]) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) address: {base_url!r}")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")
        self.query = f"?{parts.query}" if parts.query else ""
        self.proxy: Proxy | None = proxy_for(parts.scheme, self.host)
        authority = self.host if ":" not in self.host else f"[{self.host}]"
        default_port = self.port == (443 if self.https else 80)
        self.headers = {"Host": authority if default_port else f"{authority}:{self.port}", **headers}
        if self.proxy is not None and not self.https and self.proxy.authorization:
            self.headers["Proxy-Authorization"] = self.proxy.authorization
        self._idle: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()

    def target(self, path: str) -> str:
        """Return the request target for ``path``: absolute through a plain-HTTP proxy, else the path."""
        local = f"{self.prefix}{path}{self.query}"
        if self.proxy is not None and not self.https:
            return f"http://{self.headers['Host']}{local}"
        return local

    def post(self, path: str, payload: Any, timeout: float | None) -> Response:
        """Send ``payload`` as JSON to ``path`` and return the answer once its headers arrived.

        Raises
        ------
        StatusError
            When the server answered with a status of 300 or more.
        TransportError
            When no answer came (``RequestTimeout``, ``ConnectionFailed``).
        """
        body = _json_bytes(payload)
        headers = {**self.headers, "Content-Type": "application/json", "Content-Length": str(len(body))}
        conn, reused = self._take(timeout)
        try:
            raw, sock = _send(conn, self.target(path), body, headers, stale_ok=reused)
        except _Stale:  # a kept connection the server had closed meanwhile: once more, on a fresh one
            conn, _ = self._take(timeout, fresh=True)
            raw, sock = _send(conn, self.target(path), body, headers, stale_ok=False)
        if raw.status >= 300:
            raise _status_error(raw, conn)
        return Response(raw, conn, sock, self._give_back)

    def _take(self, timeout: float | None, fresh: bool = False) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            conn, self._idle = (None, self._idle) if fresh else (self._idle, None)
        if conn is not None:
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            return conn, True
        return self._connection(timeout), False

    def _connection(self, timeout: float | None) -> http.client.HTTPConnection:
        proxy = self.proxy
        if not self.https:
            host, port = (proxy.host, proxy.port) if proxy is not None else (self.host, self.port)
            return http.client.HTTPConnection(host, port, timeout=timeout)
        if proxy is None:
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=tls_context())
        conn = http.client.HTTPSConnection(proxy.host, proxy.port, timeout=timeout, context=tls_context())
        tunnel = {"Proxy-Authorization": proxy.authorization} if proxy.authorization else None
        conn.set_tunnel(self.host, self.port, headers=tunnel)
        return conn

    def _give_back(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            previous, self._idle = self._idle, conn
        if previous is not None:
            previous.close()

    def close(self) -> None:
        """Close the idle connection."""
        with self._lock:
            conn, self._idle = self._idle, None
        if conn is not None:
            conn.close()


class Response:
    """A streamed answer: its ``data`` events (``events``), the socket a watchdog may shut, ``close``."""

    def __init__(
        self, raw: http.client.HTTPResponse, conn: http.client.HTTPConnection, sock: socket.socket | None,
        give_back: Callable[[http.client.HTTPConnection], None],
    ) -> None:
        self.raw, self.conn, self._give_back = raw, conn, give_back
        self.socket = sock  # read before getresponse: an answer that closes the connection takes it from conn
        self.headers = {k.lower(): v for k, v in raw.getheaders()}
        self._complete = False

    def batches(self) -> Iterator[list[str]]:
        """Yield the events' ``data`` until ``[DONE]``, those one read brought together (bad bytes: ValueError)."""
        try:
            for batch in sse_batches(self._chunks()):
                done = next((i for i, data in enumerate(batch) if data.startswith("[DONE]")), None)
                if done is not None:
                    yield from [batch[:done]] if done else []
                    self._complete = self._drain()
                    return
                yield batch
            self._complete = True
        except TimeoutError:
            raise RequestTimeout("Request timed out: the server sent nothing for too long") from None
        except (OSError, http.client.HTTPException) as exc:
            raise ConnectionFailed(f"Connection error: {exc or type(exc).__name__}") from None

    def _chunks(self) -> Iterator[bytes]:
        return iter(lambda: self.raw.read1(_READ), b"")  # what each read brought, until the body's end

    def _drain(self) -> bool:
        """Read what follows ``[DONE]`` (the body's end) so the connection can serve the next request."""
        if self.raw.will_close:
            return False
        try:
            if self.socket is not None:
                self.socket.settimeout(DRAIN_SECONDS)
            return not self.raw.read(ERROR_BODY_BYTES) or self.raw.isclosed()
        except (OSError, http.client.HTTPException):
            return False

    def close(self) -> None:
        """Release the connection: kept for the next request when this answer was read to its end."""
        if self._complete and self.raw.isclosed() and not self.raw.will_close:
            self._give_back(self.conn)
        else:
            self.raw.close()
            self.conn.close()


def tls_context() -> ssl.SSLContext:
    """Return the TLS context of HTTPS connections: built once per ``SSL_CERT_FILE``/``SSL_CERT_DIR`` setting
    (loading the certificates takes ~60 ms), so a bundle named after the first request still counts."""
    where = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _TLS.get(where)
    if context is None:
        context = ssl.create_default_context()  # reads SSL_CERT_FILE and SSL_CERT_DIR
        if not any(where) and not _system_store():
            try:
                import certifi  # a Python without a system store (some containers, python.org builds)
            except ImportError:
                pass
            else:
                context.load_verify_locations(certifi.where())
        _TLS[where] = context
    return context


_TLS: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def _system_store() -> bool:
    paths = ssl.get_default_verify_paths()
    return bool((paths.cafile and os.path.isfile(paths.cafile))
                or (paths.capath and os.path.isdir(paths.capath) and os.listdir(paths.capath)))


def _json_bytes(payload: Any) -> bytes:
    try:
        return json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: sent escaped rather than as invalid UTF-8
        return json.dumps(payload).encode("ascii")


class _Stale(Exception):
    """A kept connection was closed by the server before it answered."""


def _send(
    conn: http.client.HTTPConnection, target: str, body: bytes, headers: Mapping[str, str], stale_ok: bool
) -> tuple[http.client.HTTPResponse, socket.socket | None]:
    """Send one request; return the answer's head and the socket. Failures to connect or to hear back become ours.

    ``stale_ok``: ``conn`` was kept from an earlier request, so a closed connection means "try a fresh one".
    """
    try:
        conn.request("POST", target, body, dict(headers))
        sock = conn.sock if isinstance(conn.sock, socket.socket) else None
        return conn.getresponse(), sock
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
        conn.close()
        if stale_ok:
            raise _Stale from None
        raise ConnectionFailed(f"Connection error: {exc or type(exc).__name__}") from None
    except TimeoutError:
        conn.close()
        raise RequestTimeout("Request timed out: no answer in time") from None
    except ssl.SSLCertVerificationError as exc:
        conn.close()
        failure = ConnectionFailed(f"TLS certificate verification failed ({exc.verify_message}): set SSL_CERT_FILE "
                                   "to the CA bundle that signs the server's certificate")
        failure.retry = False
        raise failure from None
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        raise ConnectionFailed(f"Connection error: {exc or type(exc).__name__}") from None


def _status_error(raw: http.client.HTTPResponse, conn: http.client.HTTPConnection) -> StatusError:
    """Return the error an HTTP error answer stands for, with the server's own message; close the connection."""
    headers = {k.lower(): v for k, v in raw.getheaders()}
    try:
        body = raw.read(ERROR_BODY_BYTES)
    except (OSError, http.client.HTTPException):
        body = b""
    finally:
        conn.close()
    message = body.decode("utf-8", "replace").strip()
    try:
        error = json.loads(message).get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        code = error.get("code")
        message = error["message"] + (f" ({code})" if isinstance(code, str) and code else "")
    elif isinstance(error, str):
        message = error
    if 300 <= raw.status < 400:
        message = f"redirected to {headers.get('location', '?')}: point --base-url at that address"
    return StatusError(raw.status, headers, message or raw.reason)
