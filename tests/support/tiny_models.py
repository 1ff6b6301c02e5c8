"""Build tiny local transformers models at test time: no hub, no download, well under a second.

``build_random_model`` gives a random-weight chat model (a trained byte-level BPE tokenizer with a ChatML
template) for exercising loading, streaming and limits. ``build_scripted_model`` gives a hand-built model
whose greedy *and* sampled replies are always the same text, for end-to-end runs of the real
generate -> parse -> execute path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["CHATML_TEMPLATE", "CORPUS", "build_random_model", "build_scripted_model", "build_tokenizer"]

#: The ChatML template (Qwen-style), enough for any test of ``apply_chat_template``.
CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

CORPUS = (
    "You are a careful data-analysis agent working inside the user's live Jupyter kernel.",
    "import pandas as pd\ndf = pd.read_csv('data.csv')\nprint(df.describe())",
    "```python\nfinal_answer(42)\n```",
    "The mean of the column is 3.5 and the median is 3.0; the answer is 42.",
    "for i in range(10):\n    print(i, i ** 2)",
    "Goal: compute the answer. The kernel's namespace holds no user variables yet.",
    "Observation (step 1): stdout: 0 1 2 3 4 5 6 7 8 9 error: NameError: name 'x' is not defined",
)

_SPECIALS = ("<pad>", "<s>", "<|im_end|>", "<|im_start|>")


def _offline() -> None:
    # Nothing here may reach the hub, even through a default that would.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def build_tokenizer(corpus: Iterable[str] = CORPUS, vocab_size: int = 400, chat_template: str | None = CHATML_TEMPLATE):
    """Return a byte-level BPE ``PreTrainedTokenizerFast`` trained on ``corpus``, with ChatML specials."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(_SPECIALS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(list(corpus), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        bos_token="<s>",
        eos_token="<|im_end|>",
        pad_token="<pad>",
        additional_special_tokens=["<|im_start|>"],
        model_input_names=["input_ids", "attention_mask"],  # transformers 4.x would add token_type_ids
    )
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    return tokenizer


def _config(arch: str, tokenizer: Any, **overrides: Any) -> Any:
    import transformers

    shape: dict[str, Any] = {
        "vocab_size": len(tokenizer),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 2048,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
        "tie_word_embeddings": True,
    }
    shape.update(overrides)
    classes = {"llama": "LlamaConfig", "qwen2": "Qwen2Config"}
    if arch not in classes:
        raise ValueError(f"unknown arch {arch!r}: one of {sorted(classes)}")
    return getattr(transformers, classes[arch])(**shape)


def build_random_model(
    folder: str | os.PathLike[str],
    arch: str = "llama",
    *,
    chat_template: str | None = CHATML_TEMPLATE,
    seed: int = 0,
    corpus: Iterable[str] = CORPUS,
    vocab_size: int = 400,
    **config: Any,
) -> Path:
    """Save a tiny random-weight chat model (``arch`` "llama" or "qwen2") in ``folder`` and return the folder.

    ``config`` overrides the model config (``hidden_size``, ``max_position_embeddings`` ...); the tokenizer is
    trained on ``corpus``. Random weights may emit EOS at once: pass ``min_new_tokens`` when a test needs output.
    """
    _offline()
    import torch
    from transformers import AutoModelForCausalLM

    folder = Path(folder)
    tokenizer = build_tokenizer(corpus, vocab_size, chat_template=chat_template)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(_config(arch, tokenizer, **config))
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_scripted_model(folder: str | os.PathLike[str], reply: str = "```python\nfinal_answer(42)\n```") -> Path:
    """Save a deterministic tiny model that always replies ``reply`` (``jupyter_autogpt.testing``'s own builder)."""
    from jupyter_autogpt.testing import scripted_transformers_model

    return scripted_transformers_model(folder, reply)
