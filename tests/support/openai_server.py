"""A real loopback HTTP server speaking the chat-completions wire format (JSON and SSE), faults on demand.

The OpenAI backend is pointed at it through ``base_url``, so its HTTP client, retries, streaming and error
mapping are exercised for real. Kernels started by tests reach it through ``OPENAI_BASE_URL``.

Each request takes the next scripted item:
- a ``str``: the reply, streamed as token-like pieces (or a JSON body when ``stream`` is false);
- ``Fault(status, ...)``: an HTTP error answer (optionally with ``Retry-After``);
- ``Drop(after=N)``: the connection is cut after N pieces of the stream;
- ``Slow(text, delay)``: the reply streamed with a pause between pieces (for interrupts);
- ``Chunks(deltas)``: each delta (``{"content": …}``, ``{"reasoning_content": …}``, ``{"tool_calls": […]}``) sent
  as it is, one event each: split surrogates, reasoning and tool calls exactly as a server sends them;
- ``Stall(text, after)``: N pieces of the reply, then silence, the connection held open until the server stops
  (``keepalive`` sends an SSE comment every that many seconds meanwhile; ``headers=False`` stalls before them);
- ``Raw(lines)``: the SSE ``data:`` lines as they are (malformed events; a surrogate goes out as invalid UTF-8);
- a callable taking the request body and returning one of the above.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Union

from jupyter_autogpt.testing import token_pieces

__all__ = ["Chunks", "Drop", "FakeOpenAIServer", "Fault", "Raw", "Slow", "Stall"]


@dataclass(frozen=True)
class Fault:
    status: int
    message: str = "scripted failure"
    code: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Drop:
    text: str = "partial reply that never ends"
    after: int = 0


@dataclass(frozen=True)
class Slow:
    text: str
    delay: float = 0.05


@dataclass(frozen=True)
class NoUsage:
    text: str


@dataclass(frozen=True)
class Chunks:
    deltas: tuple[dict[str, Any], ...]
    finish_reason: str = "stop"

    @property
    def text(self) -> str:
        return "".join(d.get("content") or "" for d in self.deltas)


@dataclass(frozen=True)
class Stall:
    text: str = "a reply that stops half way"
    after: int = 0
    keepalive: float | None = None
    headers: bool = True


@dataclass(frozen=True)
class Raw:
    lines: tuple[str, ...]
    text: str = ""


Item = Union[str, Fault, Drop, Slow, NoUsage, Chunks, Stall, Raw, Callable[[dict[str, Any]], Any]]


@dataclass
class Recorded:
    body: dict[str, Any]
    headers: dict[str, str]
    path: str
    client: tuple[Any, ...] = ()  # the client's (host, port): one port for requests sent over one kept connection
    at: float = field(default_factory=time.monotonic)
    #: When the request arrived by the wall clock (comparable with other processes' clocks, e.g. a kernel's).
    wall: float = field(default_factory=time.time)
    #: When the answer was written out (``time.monotonic``): ``done - at`` is the server's time on the request.
    done: float | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    #: Send each streamed piece at once, as real servers do (uvicorn sets TCP_NODELAY): with Nagle's algorithm a
    #: piece written while the previous one is unacknowledged waits for the client's delayed ACK, ~40 ms a reply.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        owner = self.server.owner
        recorded = Recorded(body, {k.lower(): v for k, v in self.headers.items()}, self.path, tuple(self.client_address))
        owner.record(recorded)
        try:
            self._answer(owner, body)
        finally:
            recorded.done = time.monotonic()

    def _answer(self, owner: FakeOpenAIServer, body: dict[str, Any]) -> None:
        if not self.path.endswith("/chat/completions"):
            return self._error(Fault(404, f"no route {self.path}"))
        item = owner.next_item(body)
        while callable(item) and not isinstance(item, str):
            item = item(body)
        try:
            if isinstance(item, Fault):
                self._error(item)
            elif isinstance(item, Stall) and not item.headers:
                owner.released.wait()
            elif body.get("stream"):
                self._stream(item, body)
            else:
                self._json(item, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (an interrupt): nothing to answer

    def _error(self, fault: Fault) -> None:
        payload = json.dumps({"error": {"message": fault.message, "type": "scripted", "code": fault.code}}).encode()
        self.send_response(fault.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        if fault.retry_after is not None:
            self.send_header("retry-after", str(fault.retry_after))
        self.end_headers()
        self.wfile.write(payload)

    def _json(self, item: Any, body: dict[str, Any]) -> None:
        text = getattr(item, "text", item)
        payload = json.dumps({
            "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": body.get("model", "m"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": _usage(body, text),
        }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _stream(self, item: Any, body: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        kept = self.server.owner.keep_alive
        if kept:
            self.send_header("transfer-encoding", "chunked")
            self.close_connection = kept == "hang-up"  # closed after the answer without saying so: a stale connection
        else:
            self.send_header("connection", "close")
        self.end_headers()
        text = getattr(item, "text", item)
        delay = item.delay if isinstance(item, Slow) else 0.0
        deltas = item.deltas if isinstance(item, Chunks) else [{"content": p} for p in token_pieces(text)]
        for i, delta in enumerate(deltas):
            if isinstance(item, (Drop, Stall)) and i >= item.after:
                return self._cut(item)
            self._event({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}, body)
            if delay:
                time.sleep(delay)
        if isinstance(item, Stall):  # all of the text, then silence instead of the end
            return self._cut(item)
        if isinstance(item, Raw):
            self._write("".join(f"data: {line}\n\n" for line in item.lines).encode("utf-8", "surrogatepass"))
        finish = item.finish_reason if isinstance(item, Chunks) else "stop"
        self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}, body)
        wants_usage = (body.get("stream_options") or {}).get("include_usage")
        if wants_usage and not isinstance(item, NoUsage) and self.server.owner.send_usage:
            self._event({"choices": [], "usage": _usage(body, text)}, body)
        self._write(b"data: [DONE]\n\n")
        if self.server.owner.keep_alive:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _cut(self, item: Drop | Stall) -> None:
        self.wfile.flush()
        if isinstance(item, Drop):
            self.connection.shutdown(2)  # cut the stream mid-way, like a dying proxy
            return
        released = self.server.owner.released
        while not released.wait(item.keepalive):  # silence (or only comments) until the server stops
            self._write(b": keep-alive\n\n")
            self.wfile.flush()

    def _event(self, data: dict[str, Any], body: dict[str, Any]) -> None:
        data = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0,
                "model": body.get("model", "m"), **data}
        self._write(f"data: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()

    def _write(self, data: bytes) -> None:
        """Write part of a streamed body (as one chunk of a chunked body when the connection is kept)."""
        if self.server.owner.keep_alive:
            data = f"{len(data):x}\r\n".encode() + data + b"\r\n"
        self.wfile.write(data)


def _usage(body: dict[str, Any], text: str) -> dict[str, int]:
    prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4 + 1
    completion = len(token_pieces(text))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FakeOpenAIServer


class FakeOpenAIServer:
    """Serve scripted chat completions on 127.0.0.1 until the ``with`` block ends.

    Parameters
    ----------
    items
        What successive requests receive (see the module docstring).
    default
        What requests receive once the script is used up (``None``: a 500 fault saying so).
    send_usage
        Send a usage chunk when the client asks for one (``False`` mimics servers that never do).
    keep_alive
        Stream chunked and keep the connection for the next request (``True``), or stream chunked and then close
        it without saying so (``"hang-up"``: the client's kept connection is stale); ``False``: ``connection:
        close`` after every stream.
    tls
        Serve HTTPS with this server-side context (the address becomes ``https://127.0.0.1:PORT/v1``).
    """

    def __init__(
        self, items: Iterable[Item] = (), default: Item | None = None, send_usage: bool = True,
        keep_alive: bool | str = False, tls: ssl.SSLContext | None = None,
    ) -> None:
        self.items: list[Item] = list(items)
        self.default = default
        self.send_usage = send_usage
        self.keep_alive = keep_alive
        self.tls = tls
        self.requests: list[Recorded] = []
        self.released = threading.Event()  # set when the server stops: stalled answers end
        self._lock = threading.Lock()
        self._arrived = threading.Condition()
        self._served = 0
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def record(self, request: Recorded) -> None:
        with self._arrived:
            self.requests.append(request)
            self._arrived.notify_all()

    def wait_for_requests(self, count: int, timeout: float = 30.0) -> bool:
        """Block until ``count`` requests have arrived (or ``timeout`` passes); return whether they did."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.requests) >= count, timeout)

    def next_item(self, body: dict[str, Any]) -> Item:
        with self._lock:
            if self._served < len(self.items):
                item = self.items[self._served]
                self._served += 1
                return item
        if self.default is not None:
            return self.default
        return Fault(500, "the test server's script is used up")

    def queue(self, *items: Item) -> None:
        """Append more scripted items."""
        with self._lock:
            self.items.extend(items)

    @property
    def remaining(self) -> int:
        return len(self.items) - self._served

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "the server is not running"
        host, port = self._httpd.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}/v1"

    def start(self) -> FakeOpenAIServer:
        self.released.clear()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        if self.tls is not None:
            self._httpd.socket = self.tls.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
