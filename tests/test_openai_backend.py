"""The OpenAI backend against a real loopback server speaking the chat-completions wire format."""

from __future__ import annotations

import pytest

from conftest import SECRET_KEY
from jupyter_autogpt.errors import ConfigError, ModelAuthError, ModelBackendError, ModelContextError
from jupyter_autogpt.models import complete, resolve
from jupyter_autogpt.models.openai import OpenAIModel
from jupyter_autogpt.redaction import redact
from jupyter_autogpt.types import GenerationSettings, ImageData, Message, Usage
from support.openai_server import Drop, FakeOpenAIServer, Fault, NoUsage, Raw, Slow

MESSAGES = [Message("system", "be brief"), Message("user", "hello")]


def model_for(server: FakeOpenAIServer, **options) -> OpenAIModel:
    return OpenAIModel("gpt-test", base_url=server.base_url, api_key=SECRET_KEY, **options)


def test_streams_deltas_and_reports_server_usage(openai_server) -> None:
    openai_server.queue(Slow("Hello there, analyst!", delay=0.02))  # pieces that arrive one by one
    chunks = list(model_for(openai_server).stream(MESSAGES, GenerationSettings(temperature=0.2)))
    text = "".join(c for c in chunks if isinstance(c, str))
    assert text == "Hello there, analyst!"
    assert sum(isinstance(c, str) for c in chunks) > 3  # really streamed, piece by piece
    usage = chunks[-1]
    assert isinstance(usage, Usage) and not usage.estimated and usage.completion_tokens > 0
    body = openai_server.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["model"] == "gpt-test" and body["temperature"] == 0.2
    assert body["messages"] == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello"}]
    assert openai_server.requests[0].headers["authorization"] == f"Bearer {SECRET_KEY}"


def test_events_that_arrive_together_are_one_piece(openai_server) -> None:
    import json

    words = [f"word{i} " for i in range(40)]
    events = [json.dumps({"choices": [{"index": 0, "delta": {"content": w}, "finish_reason": None}]}) for w in words]
    openai_server.queue(Raw(tuple(events)))  # forty events in one write: they reach the client together
    chunks = list(model_for(openai_server).stream(MESSAGES, GenerationSettings()))
    pieces = [c for c in chunks if isinstance(c, str)]
    assert "".join(pieces) == "".join(words) and len(pieces) < 10  # one update each read, not one per token


def test_estimates_usage_when_the_server_sends_none(openai_server) -> None:
    openai_server.queue(NoUsage("short reply"))
    text, usage = complete(model_for(openai_server), MESSAGES)
    assert text == "short reply" and usage.estimated and usage.prompt_tokens > 0


def test_transient_faults_are_retried(openai_server) -> None:
    openai_server.queue(Fault(500), Fault(429, retry_after=0), Fault(503), "recovered")
    text, _ = complete(model_for(openai_server), MESSAGES)
    assert text == "recovered" and len(openai_server.requests) == 4


def test_a_stream_dropped_before_any_text_is_retried(openai_server) -> None:
    openai_server.queue(Drop(after=0), "second try")
    text, _ = complete(model_for(openai_server), MESSAGES)
    assert text == "second try"


def test_a_stream_dropped_mid_reply_is_a_transient_backend_error(openai_server) -> None:
    openai_server.queue(Drop("one two three four", after=3))
    with pytest.raises(ModelBackendError) as err:
        complete(model_for(openai_server), MESSAGES)
    assert err.value.transient


def test_persistent_server_errors_end_with_a_clear_message(openai_server) -> None:
    openai_server.default = Fault(502, "bad gateway")
    with pytest.raises(ModelBackendError, match="failed \\(502\\)") as err:
        complete(model_for(openai_server, max_retries=1), MESSAGES)
    assert len(openai_server.requests) == 2 and err.value.transient


def test_auth_errors_say_what_to_fix_and_never_show_the_key(openai_server) -> None:
    openai_server.queue(Fault(401, f"Incorrect API key provided: {SECRET_KEY}"))
    with pytest.raises(ModelAuthError) as err:
        complete(model_for(openai_server), MESSAGES)
    message = str(err.value)
    assert "OPENAI_API_KEY" in message and SECRET_KEY not in message and "[REDACTED]" in message
    assert SECRET_KEY not in repr(model_for(openai_server))


def test_context_length_errors_are_typed(openai_server) -> None:
    openai_server.queue(Fault(400, "This model's maximum context length is 8192 tokens", "context_length_exceeded"))
    with pytest.raises(ModelContextError):
        complete(model_for(openai_server), MESSAGES)


def test_unknown_model_names_the_model(openai_server) -> None:
    openai_server.queue(Fault(404, "model not found"))
    with pytest.raises(ModelBackendError, match="gpt-test"):
        complete(model_for(openai_server), MESSAGES)


def test_a_missing_key_is_a_config_error_that_says_what_to_set() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        resolve("openai:gpt-4o-mini")


def test_a_local_server_needs_no_key_and_env_base_url_is_honoured(openai_server, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    openai_server.queue("local model says hi")
    model = resolve("openai:llama3.1:8b")
    assert model.id == "openai:llama3.1:8b"
    assert complete(model, MESSAGES)[0] == "local model says hi"
    assert openai_server.requests[0].body["model"] == "llama3.1:8b"


def test_images_are_sent_as_content_parts(openai_server) -> None:
    openai_server.queue("I see a plot")
    message = Message("user", "look", images=(ImageData("image/png", "iVBORw0KGgo="),))
    complete(model_for(openai_server), [message])
    content = openai_server.requests[0].body["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "look"}
    assert content[1]["image_url"]["url"] == "data:image/png;base64,iVBORw0KGgo="


def test_unknown_providers_list_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"openai:.*transformers:.*replay:"):
        resolve("gpt-4o-mini")


def test_options_that_do_not_apply_to_a_backend_are_refused(tmp_path) -> None:
    replies = tmp_path / "r.json"
    replies.write_text('["hi"]')
    with pytest.raises(ConfigError, match="--device does not apply to openai: models"):
        resolve("openai:gpt-4o-mini", base_url="http://127.0.0.1:9/v1", device="cuda")
    with pytest.raises(ConfigError, match="--base-url does not apply to replay: models"):
        resolve(f"replay:{replies}", base_url="http://127.0.0.1:9/v1")
    assert resolve(f"replay:{replies}", base_url=None).id == f"replay:{replies}"  # unset options are fine


def test_credentials_in_base_url_never_reach_error_text_or_repr(openai_server) -> None:
    password, token = "hunter2-" + "Zq8sWx3Kp", "tok-" + "Lm4Vb7Nc1Qa9"
    host = openai_server.base_url.split("://", 1)[1]
    base_url = f"http://analyst:{password}@{host}?api-key={token}"
    openai_server.queue(Fault(404, f"no such model at {base_url}"))
    model = OpenAIModel("gpt-test", base_url=base_url, api_key=SECRET_KEY, max_retries=0)
    with pytest.raises(ModelBackendError) as err:
        complete(model, MESSAGES)
    shown = str(err.value) + repr(model)
    assert password not in shown and token not in shown and "[REDACTED]" in shown
    assert redact(f"the server said {password} and {token}") == "the server said [REDACTED] and [REDACTED]"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("see https://bob:s3cret@example.org/v1 now", "see https://[REDACTED]@example.org/v1 now"),
        ("https://ghp-token@github.com/org/repo.git", "https://[REDACTED]@github.com/org/repo.git"),
        ("GET /v1?api-key=abc&model=x", "GET /v1?api-key=[REDACTED]&model=x"),
        ("u?key=1&token=2;sig=3&Password=4&access_token=5", "u?key=[REDACTED]&token=[REDACTED];sig=[REDACTED]"
         "&Password=[REDACTED]&access_token=[REDACTED]"),
        ("https://example.org/path?page=2#key=x", "https://example.org/path?page=2#key=x"),
        ("mail me at user@example.org, key = 3", "mail me at user@example.org, key = 3"),
    ],
)
def test_urls_lose_their_userinfo_and_credential_parameters(text: str, kept: str) -> None:
    assert redact(text) == kept


def test_a_transcript_of_a_run_against_a_url_with_credentials_holds_none(ip) -> None:
    import json

    from jupyter_autogpt.agent import Agent, run_to_completion
    from jupyter_autogpt.execution.ipython import IPythonExecutor
    from jupyter_autogpt.testing import ScriptedModel
    from jupyter_autogpt.transcript import to_dict
    from jupyter_autogpt.types import RunConfig

    base_url = "https://alice:" + "pw-" + "Rt5Yu8Io2" + "@llm.internal/v1?api_key=" + "k-" + "Gh6Jk9Lz3"
    config = RunConfig(model="scripted", base_url=base_url)
    run = run_to_completion(Agent(ScriptedModel(["```python\nfinal_answer(1)\n```"]), IPythonExecutor(ip), config), "g")
    saved = json.dumps(to_dict(run))
    assert "Rt5Yu8Io2" not in saved and "Gh6Jk9Lz3" not in saved
    assert "https://[REDACTED]@llm.internal/v1?api_key=[REDACTED]" in saved
