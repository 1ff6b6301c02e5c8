"""List prices per model, the cost estimates built on them, and the cost a view shows."""

from __future__ import annotations

import pytest

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


def test_cost_estimates_only_for_known_openai_prices() -> None:
    usage = Usage(1_000_000, 1_000_000)
    assert pricing.shown_cost("openai:gpt-4o-mini-2024-07-18", usage) == pytest.approx(0.75)
    assert pricing.shown_cost("openai:gpt-4o", usage) == pytest.approx(12.5)
    assert pricing.shown_cost("openai:llama3", usage) is None
    assert pricing.shown_cost("openai:llama3.1:8b", usage) is None  # a model under its own name on Ollama: no price
    assert pricing.shown_cost("replay:x.json", usage) is None


def test_a_free_model_shows_no_cost_while_budgets_count_it_as_zero() -> None:
    usage = Usage(10**9, 10**9)
    assert pricing.shown_cost("transformers:/models/tiny", usage) is None
    assert pricing.estimate_cost("transformers:/models/tiny", usage) == 0.0
