"""Broken Unicode from a step or a server becomes text that any JSON writer accepts."""

from __future__ import annotations

import json

import pytest

from jupyter_autogpt.encoding import valid_data, valid_text


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("plain ✓ text", "plain ✓ text"),
        ("\ud83d" + "\ude00 smile", "\U0001f600 smile"),  # an emoji a server split into halves
        (b"caf\xe9.csv".decode("utf-8", "surrogateescape"), "caf\ufffd.csv"),  # a non-UTF-8 file name
        ("half \ud83d at the end", "half \ufffd at the end"),
        ("\ude00 low first", "\ufffd low first"),
    ],
)
def test_text_becomes_valid_unicode(raw: str, valid: str) -> None:
    assert valid_text(raw) == valid
    json.dumps(valid_text(raw), ensure_ascii=False).encode("utf-8")


def test_nested_data_is_made_valid_and_keeps_its_shape() -> None:
    data = {"text/plain": "a\udcff", "items": ["\ud83d\ude00", 1, None], "n\udc80": (True, 2.5)}
    fixed = valid_data(data)
    assert fixed == {"text/plain": "a\ufffd", "items": ["\U0001f600", 1, None], "n\ufffd": (True, 2.5)}
    json.dumps(fixed, ensure_ascii=False).encode("utf-8")
