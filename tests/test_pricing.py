"""List prices per model and the cost estimates built on them."""

from __future__ import annotations

from jupyter_autogpt import pricing
from jupyter_autogpt.types import Usage


def test_prices_match_dated_snapshots_and_unknown_models_have_none() -> None:
    assert pricing.estimate_cost("openai:gpt-4o-mini", Usage(1_000_000, 1_000_000)) == 0.75
    assert pricing.price_of("openai:gpt-4o-mini-2024-07-18") == pricing.PRICES["gpt-4o-mini"]
    assert pricing.price_of("gpt-4o-2024-08-06") == pricing.PRICES["gpt-4o"]
    assert pricing.estimate_cost("transformers:/models/tiny", Usage(10**9, 10**9)) == 0.0
    assert pricing.estimate_cost("openai:llama3.1:8b", Usage(10, 10)) is None
    pricing.set_price("openai:llama3.1:8b", 1.0, 2.0)
    try:
        assert pricing.estimate_cost("openai:llama3.1:8b", Usage(500_000, 500_000)) == 1.5
    finally:
        del pricing.PRICES["llama3.1:8b"]
