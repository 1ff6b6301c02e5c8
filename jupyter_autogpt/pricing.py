"""What a run's tokens cost: a small price table for common hosted models (standard library only).

Prices are US dollars per one million tokens, ``(input, output)``, as the providers listed them in 2025.
They drift: treat every figure as an estimate for ``--max-cost`` and for display, never as a bill. Add or
correct a model at runtime with ``set_price("openai:my-model", 1.0, 4.0)``. Local backends
(``transformers:``) and test doubles (``replay:``, ``scripted``) cost nothing; a model that is not in the
table (e.g. a model served by Ollama or vLLM under its own name) has an unknown price: ``None``.
"""

from __future__ import annotations

from .types import Usage

__all__ = ["FREE_PROVIDERS", "PRICES", "estimate_cost", "price_of", "set_price", "shown_cost"]

#: USD per 1M tokens, (input, output). Longest matching prefix wins, so dated snapshots
#: (``gpt-4o-mini-2024-07-18``) find their family's price.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-4": (30.00, 60.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o1": (15.00, 60.00),
    "o1-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
}

#: Backends that run locally or replay text: their tokens are free.
FREE_PROVIDERS = frozenset({"transformers", "replay", "scripted"})


def set_price(model_id: str, input_per_million: float, output_per_million: float) -> None:
    """Record the price of ``model_id`` (with or without its ``provider:`` prefix), in USD per 1M tokens."""
    if input_per_million < 0 or output_per_million < 0:
        raise ValueError("prices cannot be negative")
    PRICES[_name(model_id)] = (float(input_per_million), float(output_per_million))


def price_of(model_id: str) -> tuple[float, float] | None:
    """Return ``(input, output)`` USD per 1M tokens for ``model_id``, ``(0, 0)`` if local, ``None`` if unknown."""
    provider = model_id.split(":", 1)[0] if ":" in model_id else model_id
    if provider in FREE_PROVIDERS:
        return (0.0, 0.0)
    name = _name(model_id)
    matches = [key for key in PRICES if name == key or name.startswith(key + "-")]
    if not matches:
        return None
    return PRICES[max(matches, key=len)]


def estimate_cost(model_id: str, usage: Usage) -> float | None:
    """Return the estimated cost of ``usage`` in USD, or ``None`` when the model's price is unknown.

    Prices go by model name wherever the model is served: an OpenAI model behind a proxy is estimated at
    OpenAI's list price, and a model under its own name on Ollama or vLLM has no price (``None``).

    Examples
    --------
    >>> estimate_cost("openai:gpt-4o-mini", Usage(1_000_000, 1_000_000))
    0.75
    """
    price = price_of(model_id)
    if price is None:
        return None
    cost = (usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]) / 1_000_000
    return round(cost, 10)


def shown_cost(model_id: str, usage: Usage) -> float | None:
    """Return the cost of ``usage`` to display: the estimate in USD, or ``None`` where it is free or unknown.

    A local model's run shows no price at all rather than "$0.0000"; budgets use ``estimate_cost``, which says
    0.0 for them.
    """
    if model_id.partition(":")[0] in FREE_PROVIDERS:
        return None
    return estimate_cost(model_id, usage)


def _name(model_id: str) -> str:
    # "openai:gpt-4o" -> "gpt-4o"; a served name may hold colons itself ("llama3.1:8b"), so split once
    return (model_id.split(":", 1)[1] if model_id.startswith("openai:") else model_id).strip().lower()
