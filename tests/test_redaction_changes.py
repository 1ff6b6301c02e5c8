"""Redaction follows the secrets as they are now: set, changed or registered after earlier texts were redacted."""

from __future__ import annotations

import os

from jupyter_autogpt.redaction import redact, register

FIRST = "tok-" + "Qm7Vz2Lx9Pc4"
SECOND = "tok-" + "Hb3Nw8Ty5Rd1"


def test_a_secret_set_after_earlier_redactions_is_redacted(monkeypatch) -> None:
    monkeypatch.delenv("REPORTING_TOKEN", raising=False)
    assert redact(f"say {FIRST}") == f"say {FIRST}"  # not a secret yet
    monkeypatch.setenv("REPORTING_TOKEN", FIRST)
    assert redact(f"say {FIRST}") == "say [REDACTED]"
    monkeypatch.setenv("REPORTING_TOKEN", SECOND)  # rotated: the new value is the secret
    assert redact(f"say {SECOND}") == "say [REDACTED]"
    monkeypatch.delenv("REPORTING_TOKEN")
    assert redact(f"say {SECOND}") == f"say {SECOND}"


def test_a_value_registered_later_is_redacted() -> None:
    value = "pw-" + "Kz4Jq8Ws2Ue6"
    assert redact(f"connect with {value}") == f"connect with {value}"
    register(value)
    assert redact(f"connect with {value}") == "connect with [REDACTED]"


def test_a_key_set_with_env_in_the_kernel_never_reaches_the_model(ip, monkeypatch) -> None:
    from jupyter_autogpt.agent import Agent, run_to_completion
    from jupyter_autogpt.execution.ipython import IPythonExecutor
    from jupyter_autogpt.testing import ScriptedModel
    from jupyter_autogpt.types import RunConfig

    monkeypatch.delenv("WAREHOUSE_API_KEY", raising=False)
    redact("warm the redaction up before the key exists")
    ip.run_line_magic("env", f"WAREHOUSE_API_KEY={FIRST}")
    try:
        model = ScriptedModel(["```python\nimport os\nprint(os.environ['WAREHOUSE_API_KEY'])\n```",
                               "```python\nfinal_answer(1)\n```"])
        run = run_to_completion(Agent(model, IPythonExecutor(ip), RunConfig(model="scripted")), "g")
    finally:
        os.environ.pop("WAREHOUSE_API_KEY", None)
    assert run.status == "finished" and FIRST not in run.steps[0].output and "[REDACTED]" in run.steps[0].output
    assert all(FIRST not in m.content for call in model.calls for m in call)
