"""The model to fine-tune: a transformers base, quantised to 4 bits for QLoRA when it can be, with LoRA on top.

The base is loaded afresh, never from the backend's cache: peft rewrites the layers it adapts, and a model a
notebook is chatting with must not change under it. Device, dtype and hub access follow the backend's rules.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..models import _hf_load
from .options import TrainOptions

__all__ = ["Prepared", "import_peft", "prepare"]

INSTALL_HINT = 'pip install "jupyter-autogpt[learn]"'


def import_peft() -> Any:
    """Return the ``peft`` module, or raise a ``ConfigError`` that says how to install it."""
    try:
        import peft
    except ImportError:
        raise ConfigError(f"fine-tuning needs peft: {INSTALL_HINT}") from None
    return peft


@dataclass
class Prepared:
    """The trainable model, its tokenizer, and where it runs."""

    model: Any
    tokenizer: Any
    device: str
    quantized: bool
    source: str


def _quantize(torch: Any, options: TrainOptions, device: str) -> bool:
    """Return whether to train QLoRA: asked for (and possible), or ``auto`` with a CUDA GPU and bitsandbytes."""
    possible = device.startswith("cuda") and importlib.util.find_spec("bitsandbytes") is not None
    if options.quantize == "4bit" and not possible:
        raise ConfigError("QLoRA (quantize 4bit) needs a CUDA GPU and bitsandbytes (pip install bitsandbytes); "
                          "use --quantize none to train plain LoRA")
    return options.quantize == "4bit" or (options.quantize == "auto" and possible)


def _load(torch: Any, transformers: Any, source: str, local_only: bool, device: str, dtype: str,
          quantized: bool) -> tuple[Any, Any]:
    kwargs: dict[str, Any] = {"dtype": getattr(torch, dtype)}
    if quantized:
        kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=getattr(torch, dtype))
        kwargs["device_map"] = {"": device}
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=local_only)
        model = transformers.AutoModelForCausalLM.from_pretrained(source, local_files_only=local_only, **kwargs)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load the base model {source!r}: {str(exc).splitlines()[0]}") from None
    if not quantized:
        model.to(device)
    return model, tokenizer


def prepare(base: str, options: TrainOptions, adapter: Path | None = None) -> Prepared:
    """Return ``base`` ready to train: LoRA added (or ``adapter``'s weights loaded, to resume).

    Raises
    ------
    ConfigError
        When a package is missing, the base cannot be loaded, or the options do not fit the machine.
    """
    torch, transformers = _hf_load.import_stack()
    peft = import_peft()
    source, local_only = _hf_load.locate(base)
    device = _hf_load.pick_device(torch, options.device)
    dtype = _hf_load.pick_dtype(torch, options.dtype, device)
    quantized = _quantize(torch, options, device)
    model, tokenizer = _load(torch, transformers, source, local_only, device, dtype, quantized)
    if getattr(tokenizer, "chat_template", None) is None:
        raise ConfigError(f"{base!r} has no chat template: fine-tune a chat (instruction-tuned) model")
    if quantized:
        model = peft.prepare_model_for_kbit_training(model, use_gradient_checkpointing=options.gradient_checkpointing)
    elif options.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    config = peft.LoraConfig(r=options.rank, lora_alpha=options.lora_alpha, lora_dropout=options.dropout,
                             target_modules=_targets(options.target_modules), task_type="CAUSAL_LM")
    model = peft.get_peft_model(model, config)
    if adapter is not None:
        from safetensors.torch import load_file

        peft.set_peft_model_state_dict(model, load_file(str(adapter / "adapter_model.safetensors"), device=device))
    return Prepared(model, tokenizer, device, quantized, source)


def _targets(modules: str | tuple[str, ...]) -> str | list[str]:
    if isinstance(modules, str) and "," in modules:
        return [m.strip() for m in modules.split(",") if m.strip()]
    return modules if isinstance(modules, str) else list(modules)
