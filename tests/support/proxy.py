"""A loopback forward proxy: plain-HTTP requests by absolute URI, HTTPS through ``CONNECT`` tunnels.

It records what it was asked (method, target, headers) so a test can tell a request went through it, and can
demand credentials (``407`` without the right ``Proxy-Authorization``).
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["LoopbackProxy", "Seen"]


@dataclass(frozen=True)
class Seen:
    method: str
    target: str
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _admitted(self) -> bool:
        owner = self.server.owner
        owner.seen.append(Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
        if owner.authorization is None or self.headers.get("proxy-authorization") == owner.authorization:
            return True
        self.send_response(407, "Proxy Authentication Required")
        self.send_header("content-length", "0")
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        return False

    def do_POST(self) -> None:
        if not self._admitted():
            return
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k: v for k, v in self.headers.items() if not k.lower().startswith("proxy-")}
        upstream = http.client.HTTPConnection(url.hostname or "", url.port or 80, timeout=30)
        try:
            upstream.request("POST", url.path + (f"?{url.query}" if url.query else ""), body, headers)
            answer = upstream.getresponse()
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(name, value)
            self.send_header("connection", "close")
            self.end_headers()
            while chunk := answer.read1(65536):
                self.wfile.write(chunk)
                self.wfile.flush()
        except OSError:
            pass  # the client or the server went away
        finally:
            upstream.close()
            self.close_connection = True

    def do_CONNECT(self) -> None:
        if not self._admitted():
            return
        host, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=30)
        except OSError:
            self.send_error(502)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        _relay(self.connection, upstream, self.server.owner.stopped)


def _relay(client: socket.socket, upstream: socket.socket, stopped: threading.Event) -> None:
    """Copy bytes both ways until either side closes (or the proxy stops)."""
    pair = {client: upstream, upstream: client}
    try:
        while not stopped.is_set():
            ready, _, _ = select.select(list(pair), [], [], 0.05)
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                pair[sock].sendall(data)
    except OSError:
        pass
    finally:
        upstream.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackProxy


class LoopbackProxy:
    """Run a forward proxy on 127.0.0.1 until the ``with`` block ends; ``url`` is its address."""

    def __init__(self, authorization: str | None = None) -> None:
        self.authorization = authorization
        self.seen: list[Seen] = []
        self.stopped = threading.Event()
        self._httpd: _Server | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    def __enter__(self) -> LoopbackProxy:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
