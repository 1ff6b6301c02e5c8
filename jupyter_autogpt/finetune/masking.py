"""Chat examples -> token ids and labels, with the loss on the assistant turns only.

The conversation is rendered once with the tokenizer's chat template, exactly as the transformers backend
renders a request. Each trained assistant turn is located in that text by rendering the conversation up to
it twice: with the generation prompt (what the model is given) and with the turn itself (what it must
write); the difference is the reply plus the template's end-of-turn marker, so the model also learns to
stop. Tokens whose text starts inside such a span keep their id as label; every other token (system, user,
observations, the turn headers, replies with ``weight`` 0) is labelled ``IGNORE`` and costs no loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

__all__ = ["IGNORE", "Encoded", "encode", "render"]

#: The label PyTorch's cross-entropy skips.
IGNORE = -100


@dataclass(frozen=True)
class Encoded:
    """One example as the model trains on it."""

    input_ids: tuple[int, ...]
    labels: tuple[int, ...]
    truncated: bool = False

    @property
    def trained_tokens(self) -> int:
        """Return how many tokens carry a loss."""
        return sum(1 for label in self.labels if label != IGNORE)


def _wire(messages: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"role": str(m["role"]), "content": str(m["content"])} for m in messages]


def render(tokenizer: Any, messages: Sequence[dict[str, Any]], generation_prompt: bool = False) -> str:
    """Return ``messages`` rendered by the chat template, as the transformers backend renders a request.

    A template without a system role (Gemma's) gets the system prompt folded into the first user turn, as
    the backend does.
    """
    wire = _wire(messages)
    try:
        text = tokenizer.apply_chat_template(wire, add_generation_prompt=generation_prompt, tokenize=False)
    except Exception as exc:  # jinja's TemplateError, e.g. a template that rejects the system role
        if len(wire) < 2 or wire[0]["role"] != "system":
            raise ConfigError(f"the tokenizer's chat template failed: {exc}") from exc
        merged = {"role": wire[1]["role"], "content": wire[0]["content"] + "\n\n" + wire[1]["content"]}
        text = tokenizer.apply_chat_template([merged, *wire[2:]], add_generation_prompt=generation_prompt,
                                             tokenize=False)
    return str(text)


def _spans(tokenizer: Any, messages: Sequence[dict[str, Any]], full: str) -> list[tuple[int, int]]:
    """Return the character spans of the trained assistant turns (reply and end-of-turn marker) in ``full``."""
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant" or message.get("weight") == 0:
            continue  # a missing weight means trained, as in OpenAI's format
        before = render(tokenizer, messages[:i], generation_prompt=True)
        upto = render(tokenizer, messages[: i + 1])
        if not (upto.startswith(before) and full.startswith(upto)):
            raise ConfigError(
                "the tokenizer's chat template does not render a conversation as a growing text (it rewrites "
                "earlier turns), so the assistant turns cannot be located: use a model whose template does"
            )
        spans.append((len(before), len(upto)))
    return spans


def encode(tokenizer: Any, messages: Sequence[dict[str, Any]], max_length: int) -> Encoded:
    """Return the token ids of the conversation and labels that train only its assistant turns.

    The text is cut at ``max_length`` tokens (the end goes first, the system prompt and goal stay).

    Raises
    ------
    ConfigError
        When the tokenizer is not a fast one (no character offsets) or its template rewrites earlier turns.
    """
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError("fine-tuning needs a fast tokenizer (one backed by the tokenizers library)")
    full = render(tokenizer, messages)
    spans = _spans(tokenizer, messages, full)
    encoded = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids: list[int] = list(encoded["input_ids"])
    labels = []
    for token, (start, end) in zip(ids, encoded["offset_mapping"], strict=True):
        inside = any(s <= start < e for s, e in spans) and end > start
        labels.append(token if inside else IGNORE)
    truncated = len(ids) > max_length
    return Encoded(tuple(ids[:max_length]), tuple(labels[:max_length]), truncated)
