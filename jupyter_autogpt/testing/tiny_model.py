"""A tiny, deterministic transformers chat model built on the spot: for offline demos, notebooks and tests.

``scripted_transformers_model(folder, reply)`` saves a hand-wired one-layer Llama and its tokenizer to
``folder``; loaded with ``--model transformers:FOLDER`` (or served by any OpenAI-compatible server such as
``transformers serve FOLDER``) it always replies ``reply``, greedy or sampled. No hub, no download, well under
a second once transformers is imported. It needs ``torch``, ``transformers`` and ``tokenizers`` (the
``local`` extra), imported only when a model is built.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

__all__ = ["CHATML_TEMPLATE", "scripted_transformers_model"]

#: The ChatML template (Qwen-style) the tokenizer carries.
CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_SPECIALS = ("<pad>", "<s>", "<|im_end|>", "<|im_start|>")


def _offline() -> None:
    # Nothing here may reach the hub, even through a default that would.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _pieces(reply: str) -> list[str]:
    """Return ``reply`` cut into lines (each keeps its newline): the scripted model's vocabulary words."""
    pieces = re.findall(r"[^\n]*\n|[^\n]+", reply)
    if not pieces or len(set(pieces)) != len(pieces):
        raise ValueError("the scripted reply needs non-empty, pairwise different lines (tokens follow tokens)")
    return pieces


def _scripted_tokenizer(pieces: list[str]) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["[UNK]", *_SPECIALS, "assistant", *pieces]
    if len(words) % 2:
        words.append("[FILL]")  # rotary embeddings need an even head size, here the vocabulary size
    raw = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    raw.decoder = decoders.Fuse()  # the words already hold their own spacing
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        unk_token="[UNK]",
        bos_token="<s>",
        eos_token="<|im_end|>",
        pad_token="<pad>",
        additional_special_tokens=["<|im_start|>"],
        model_input_names=["input_ids", "attention_mask"],
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def scripted_transformers_model(folder: str | os.PathLike[str], reply: str = "```python\nfinal_answer(42)\n```") -> Path:
    """Save a deterministic tiny model that always replies ``reply`` and return the folder.

    Each line of ``reply`` is one vocabulary word. Token embeddings are one-hot, every attention and MLP
    weight is zero (so the residual stream is the current token alone), and ``lm_head`` is a transition
    table: each reply word points to the next, the last to EOS, every other token to the first word.
    The lines of ``reply`` must differ from each other.
    """
    _offline()
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    folder = Path(folder)
    pieces = _pieces(reply)
    tokenizer = _scripted_tokenizer(pieces)
    size = len(tokenizer)
    config = LlamaConfig(
        vocab_size=size, hidden_size=size, intermediate_size=2, num_hidden_layers=1, num_attention_heads=1,
        num_key_value_heads=1, head_dim=size, max_position_embeddings=4096, tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    ids = tokenizer.convert_tokens_to_ids(pieces)
    following = dict(zip(ids, [*ids[1:], tokenizer.eos_token_id], strict=True))
    table = torch.zeros(size, size)
    for token in range(size):
        table[following.get(token, ids[0]), token] = 10.0
    with torch.no_grad():
        for param in model.parameters():
            param.zero_()
        for name, param in model.named_parameters():
            if name.endswith("norm.weight"):
                param.fill_(1.0)
        model.model.embed_tokens.weight.copy_(torch.eye(size))
        model.lm_head.weight.copy_(table)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
