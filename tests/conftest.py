"""Shared fixtures: a real IPython shell, a loopback OpenAI-compatible server, a clean environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

from support.openai_server import FakeOpenAIServer  # noqa: E402

SECRET_KEY = "sk-test-" + "q7Zr2Lm9Xv4Tn8Bw6Ks3Hd5Jf1Gp0Yc"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test without the user's model settings leaking in."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AUTOGPT_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ip() -> Iterator[object]:
    """Return the process's real ``InteractiveShell`` with the extension loaded and a clean namespace."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_autogpt")
    before = set(shell.user_ns)
    yield shell
    for name in set(shell.user_ns) - before:
        del shell.user_ns[name]


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    """Return a running loopback chat-completions server (stopped after the test)."""
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def replies_file(tmp_path: Path):
    """Return a function writing a JSON list of replies for ``--model replay:PATH``."""
    import json

    def write(*replies: str, name: str = "replies.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(list(replies)))
        return path

    return write
