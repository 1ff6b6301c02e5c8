"""The OpenAI backend's own HTTP client: kept connections, proxies from the environment, HTTPS, the event stream.

Real loopback servers throughout: the chat-completions server (tests/support/openai_server.py), a forward proxy
(tests/support/proxy.py), and HTTPS with a certificate made for the test by the ``openssl`` command.
"""

from __future__ import annotations

import base64
import random
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from conftest import SECRET_KEY
from jupyter_autogpt.errors import ConfigError, ModelBackendError
from jupyter_autogpt.models import complete
from jupyter_autogpt.models._sse import sse_batches, sse_data
from jupyter_autogpt.models.openai import OpenAIModel
from jupyter_autogpt.types import GenerationSettings, Message
from support.openai_server import Chunks, FakeOpenAIServer, Fault, Raw
from support.proxy import LoopbackProxy

MESSAGES = [Message("user", "hello")]
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start without the machine's proxy settings: each test sets its own."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def model_for(server: FakeOpenAIServer, **options) -> OpenAIModel:
    return OpenAIModel("gpt-test", base_url=server.base_url, api_key=SECRET_KEY, **options)


# -- the event stream, however it is cut ------------------------------------------------------------------------

STREAM = (b": a comment\r\nevent: message\r\nid: 7\r\ndata: {\"a\": 1}\r\n\r\n"
          b"data: first line\ndata:second line\n\n"
          b"retry: 10\rdata: cr only\r\r"
          b"data: [DONE]\n\n")
EVENTS = ['{"a": 1}', "first line\nsecond line", "cr only", "[DONE]"]


def test_events_are_the_same_wherever_the_stream_is_cut() -> None:
    assert list(sse_data([STREAM])) == EVENTS
    for cut in range(1, len(STREAM)):
        assert list(sse_data([STREAM[:cut], STREAM[cut:]])) == EVENTS, cut
    rng = random.Random(3)
    for _ in range(50):
        cuts = sorted(rng.sample(range(1, len(STREAM)), 6))
        pieces = [STREAM[a:b] for a, b in zip([0, *cuts], [*cuts, len(STREAM)], strict=True)]
        assert list(sse_data(pieces)) == EVENTS


def test_events_come_in_the_batches_each_read_completed() -> None:
    reads = [b"data: a\n\ndata: b\n\nda", b"ta: c\n", b"\n", b": comment\n\n"]
    assert list(sse_batches(reads)) == [["a", "b"], ["c"]]  # the cut event ends in the third read


def test_an_event_cut_off_by_the_end_of_the_stream_is_dropped() -> None:
    assert list(sse_data([b"data: whole\n\ndata: half"])) == ["whole"]


# -- connections: kept for the next request, and a stale one replaced --------------------------------------------


def test_the_connection_is_kept_for_the_next_request() -> None:
    with FakeOpenAIServer(["one reply", "another reply"], keep_alive=True) as server:
        model = model_for(server)
        assert complete(model, MESSAGES)[0] == "one reply"
        assert complete(model, MESSAGES)[0] == "another reply"
        first, second = server.requests
    assert first.client == second.client  # the same client port: one connection


def test_a_kept_connection_the_server_closed_is_replaced_without_a_retry() -> None:
    with FakeOpenAIServer(["one reply", "another reply"], keep_alive="hang-up") as server:
        model = model_for(server, max_retries=0)  # no retry of ours: the fresh connection is the client's own doing
        assert complete(model, MESSAGES)[0] == "one reply"
        assert complete(model, MESSAGES)[0] == "another reply"
        assert len(server.requests) == 2 and server.requests[0].client != server.requests[1].client


def test_an_error_event_in_the_stream_is_a_broken_stream_and_retried(openai_server) -> None:
    openai_server.queue(Raw(('{"error": {"message": "overloaded, try again"}}',)), "second try")
    assert complete(model_for(openai_server), MESSAGES)[0] == "second try"
    openai_server.default = Raw(('{"error": {"message": "overloaded, try again"}}',))
    with pytest.raises(ModelBackendError, match="broke: overloaded, try again"):
        complete(model_for(openai_server, max_retries=0), MESSAGES)


def test_reasoning_and_usage_arrive_through_the_client(openai_server) -> None:
    openai_server.queue(Chunks(({"reasoning_content": "hm"}, {"content": "ok"})))
    chunks = list(model_for(openai_server).stream(MESSAGES, GenerationSettings()))
    assert "".join(c for c in chunks if isinstance(c, str)) == "<think>hm</think>\nok"
    assert not chunks[-1].estimated


def test_organisation_and_project_headers_come_from_the_environment(openai_server, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-analytics")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-sales")
    openai_server.queue("hi")
    complete(model_for(openai_server), MESSAGES)
    headers = openai_server.requests[0].headers
    assert headers["openai-organization"] == "org-analytics" and headers["openai-project"] == "proj-sales"
    assert headers["user-agent"].startswith("jupyter-autogpt/")


def test_a_redirect_says_where_to_point_the_base_url(openai_server) -> None:
    openai_server.queue(Fault(307, "moved"))
    with pytest.raises(ModelBackendError, match=r"\(307\): redirected to .*--base-url"):
        complete(model_for(openai_server), MESSAGES)


@pytest.mark.parametrize("base_url", ["localhost:11434/v1", "ftp://example.org/v1", "http:///v1"])
def test_a_base_url_that_is_no_http_address_is_a_config_error(base_url: str) -> None:
    with pytest.raises(ConfigError, match="not an http\\(s\\) address"):
        OpenAIModel("m", base_url=base_url)


# -- proxies from the environment --------------------------------------------------------------------------------


def test_requests_go_through_the_proxy_the_environment_names(openai_server, monkeypatch) -> None:
    with LoopbackProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        openai_server.queue("through the proxy")
        assert complete(model_for(openai_server), MESSAGES)[0] == "through the proxy"
        assert [s.method for s in proxy.seen] == ["POST"]
        assert proxy.seen[0].target == openai_server.base_url + "/chat/completions"  # the absolute URI
        assert openai_server.requests[0].headers["authorization"] == f"Bearer {SECRET_KEY}"


def test_no_proxy_hosts_are_reached_directly(openai_server, monkeypatch) -> None:
    with LoopbackProxy() as proxy:
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "example.org,127.0.0.1")
        openai_server.queue("direct")
        assert complete(model_for(openai_server), MESSAGES)[0] == "direct"
        assert proxy.seen == []


def test_proxy_credentials_are_sent_and_never_shown(openai_server, monkeypatch) -> None:
    password = "pr0xy-" + "Vq7Lm2Zx9"
    wanted = "Basic " + base64.b64encode(f"analyst:{password}".encode()).decode()
    with LoopbackProxy(authorization=wanted) as proxy:
        monkeypatch.setenv("ALL_PROXY", f"http://analyst:{password}@127.0.0.1:{proxy.port}")
        openai_server.queue("authorised")
        assert complete(model_for(openai_server), MESSAGES)[0] == "authorised"
    with LoopbackProxy(authorization="Basic bm9ib2R5Om5vdGhpbmc=") as refusing:
        monkeypatch.setenv("ALL_PROXY", f"http://analyst:{password}@127.0.0.1:{refusing.port}")
        with pytest.raises(ModelBackendError) as err:
            complete(model_for(openai_server, max_retries=0), MESSAGES)
    assert "407" in str(err.value) and password not in str(err.value)
    assert wanted.split()[1] not in str(err.value)


@pytest.mark.parametrize("proxy", ["socks5://127.0.0.1:1080", "https://proxy.internal:3128"])
def test_a_proxy_this_client_cannot_speak_to_is_a_config_error(monkeypatch, proxy: str) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    with pytest.raises(ConfigError, match="only http://host:port proxies"):
        OpenAIModel("m", base_url="https://llm.internal/v1", api_key="k")


# -- HTTPS: the system's certificates, SSL_CERT_FILE, a CONNECT tunnel ---------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """Return a self-signed certificate for 127.0.0.1 and its key, made by the ``openssl`` command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def https_server(certificate: tuple[Path, Path], items: list[str]) -> FakeOpenAIServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    return FakeOpenAIServer(items, tls=context)


def test_https_trusts_the_bundle_ssl_cert_file_names(certificate, monkeypatch) -> None:
    with https_server(certificate, ["secure reply"]) as server:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        with pytest.raises(ModelBackendError, match=r"certificate verification failed.*SSL_CERT_FILE") as err:
            complete(model_for(server), MESSAGES)
        assert not err.value.transient  # a certificate that fails now fails on a retry too
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        assert complete(model_for(server), MESSAGES)[0] == "secure reply"


def test_https_goes_through_a_connect_tunnel_the_proxy_cannot_read(certificate, monkeypatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with https_server(certificate, ["tunnelled reply"]) as server, LoopbackProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"127.0.0.1:{proxy.port}")  # no scheme: http:// is meant
        assert complete(model_for(server), MESSAGES)[0] == "tunnelled reply"
        port = server.base_url.rsplit(":", 1)[1].split("/")[0]
        assert [(s.method, s.target) for s in proxy.seen] == [("CONNECT", f"127.0.0.1:{port}")]
        assert SECRET_KEY not in str(proxy.seen)  # the key travelled inside the tunnel
        assert server.requests[0].headers["authorization"] == f"Bearer {SECRET_KEY}"
