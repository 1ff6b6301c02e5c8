"""Secrets in pieces: no text the model reads holds a piece of a known secret, whoever cut it and wherever.

The overview used to cut strings first and redact whole values after, so a key held in a dataframe reached
the model as a head and a tail that together made it. Now every cut in the summaries redacts first, and
``redact`` itself removes any run of ``SECRET_PIECE_CHARS`` characters of a known secret that a cut elsewhere
(pandas shortening a cell, ``reprlib`` keeping both ends) left behind.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import SECRET_KEY
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.execution.summaries import describe, overview, summarize
from jupyter_autogpt.redaction import REDACTED, SECRET_PIECE_CHARS, redact, register

#: A secret registered in code rather than the environment (a database password, say).
REGISTERED = "Pa55-w0rd-for-the-warehouse-db-9f3k2"


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)
    register(REGISTERED)


def pieces(text: str, secret: str = SECRET_KEY) -> list[str]:
    """Return every run of ``SECRET_PIECE_CHARS`` characters of ``secret`` found in ``text``."""
    k = SECRET_PIECE_CHARS
    return [secret[i : i + k] for i in range(len(secret) - k + 1) if secret[i : i + k] in text]


CUTS = {
    "head": SECRET_KEY[:20] + "...",
    "tail": "..." + SECRET_KEY[-12:],
    "middle": "x" + SECRET_KEY[5:25] + "y",
    "head and tail": f"{SECRET_KEY[:15]}…{SECRET_KEY[-15:]}",
    "split by a line break": SECRET_KEY[:17] + "\n" + SECRET_KEY[17:],
    "in a URL": f"https://api.example.com/v1?key={SECRET_KEY[:30]}&x=1",
    "twice overlapping": SECRET_KEY[:16] + " and " + SECRET_KEY[8:30],
    "registered, head": REGISTERED[:12] + "…",
    "registered, tail": "…" + REGISTERED[-9:],
}


@pytest.mark.parametrize("text", CUTS.values(), ids=CUTS.keys())
def test_redact_removes_every_piece_of_a_known_secret(text: str) -> None:
    cleaned = redact(text)
    assert pieces(cleaned) == [] and pieces(cleaned, REGISTERED) == []
    assert REDACTED in cleaned


def test_redact_leaves_short_runs_and_ordinary_text_alone() -> None:
    short = SECRET_KEY[-(SECRET_PIECE_CHARS - 1) :]
    text = f"total 42 rows; ids {short}; https://example.com/a?b=c"
    assert redact(text) == text


class Settings:
    """An object whose repr holds the key (a client, a config)."""

    def __repr__(self) -> str:
        return f"Settings(endpoint='https://api.example.com', api_key={SECRET_KEY!r}, retries=3)"


def holders() -> dict[str, Any]:
    """Return the places a user's namespace can hold the key, each cut somewhere when described."""
    return {
        "object_frame": pd.DataFrame({"name": ["a", "b"], "key": [SECRET_KEY, "short"]}),
        "string_frame": pd.DataFrame({"key": pd.array([SECRET_KEY, "x"], dtype="string")}),
        "wide_cell_frame": pd.DataFrame({"note": [f"token={SECRET_KEY} for the nightly job"] * 3}),
        "column_named": pd.DataFrame({SECRET_KEY: [1, 2]}),
        "indexed": pd.Series([1, 2], index=[SECRET_KEY, "other"]),
        "categories": pd.Series(pd.Categorical([SECRET_KEY, "x", SECRET_KEY])),
        "series": pd.Series([SECRET_KEY, "y"], name="creds"),
        "long_string": "log line\n" * 500 + SECRET_KEY + "\nmore\n" * 500,
        "bare": SECRET_KEY,
        "registered": f"db password {REGISTERED}",
        "nested": {"service": {"auth": {"token": SECRET_KEY}}, "n": 1},
        "listed": ["a", ("b", SECRET_KEY)],
        "array": np.array([SECRET_KEY, "z"]),
        "settings": Settings(),
        "bytes": SECRET_KEY.encode(),
    }


@pytest.mark.parametrize("name", holders().keys())
@pytest.mark.parametrize("chars", [120, 400, 2_000])
def test_no_summary_holds_a_piece_of_a_secret_at_any_budget(name: str, chars: int) -> None:
    obj = holders()[name]
    texts = [summarize(obj, chars), overview({name: obj}, [name], chars), describe({name: obj}, [name], chars)]
    for text in texts:
        assert pieces(text) == [] and pieces(text, REGISTERED) == [], text


def test_the_overview_the_model_reads_holds_no_piece_of_any_secret(ip) -> None:
    ip.user_ns.update(holders())
    executor = IPythonExecutor(ip)
    for chars in (600, 3_000, 12_000):
        text = executor.overview(chars)
        assert pieces(text) == [] and pieces(text, REGISTERED) == [], text
    assert "object_frame: pandas.DataFrame" in executor.overview(12_000)


def test_what_a_step_prints_shows_and_answers_holds_no_piece_of_a_secret(ip) -> None:
    ip.user_ns.update(holders())
    executor = IPythonExecutor(ip)
    executor.start()
    try:
        obs = executor.run(
            "import os\nk = os.environ['OPENAI_API_KEY']\nprint(k[:20])\nprint(k[-14:])\n"
            "display(object_frame)\nfinal_answer('key starts ' + k[:18])\nraise ValueError('bad ' + k[4:30])"
        )
    finally:
        executor.stop()
    for text in (obs.stdout, obs.stderr, obs.error or "", str(obs.displays), str(obs.answer)):
        assert pieces(text) == [], text
