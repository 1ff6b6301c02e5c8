"""LoRA adapters on local models: ``transformers:BASE+adapter:PATH`` loads BASE with the adapter in PATH.

PATH is a folder saved by peft (``python -m jupyter_autogpt.finetune`` writes one). The adapter is merged into
the weights after loading, so generation costs what the base costs; on a quantised base it stays separate.
peft is imported only when such a model is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["SEPARATOR", "attach", "locate", "split"]

SEPARATOR = "+adapter:"


def split(name: str) -> tuple[str, str | None]:
    """Return ``(base, adapter path)`` of a model name; the path is None for a plain model."""
    base, sep, adapter = name.partition(SEPARATOR)
    if sep and (not base or not adapter):
        raise ConfigError(f"{name!r}: write the adapter form as transformers:BASE+adapter:PATH")
    return base, (adapter if sep else None)


def locate(adapter: str) -> str:
    """Return the adapter folder's absolute path, after checking it holds a peft adapter."""
    path = Path(adapter).expanduser()
    if not (path / "adapter_config.json").is_file():
        raise ConfigError(f"no adapter at {adapter!r}: pass a folder with adapter_config.json "
                          "(written by python -m jupyter_autogpt.finetune or peft's save_pretrained)")
    return str(path.resolve())


def _trained_on(adapter: str) -> str:
    try:
        data = json.loads((Path(adapter) / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "another model"
    return str(data.get("base_model_name_or_path") or "another model")


def attach(model: Any, adapter: str, merge: bool) -> Any:
    """Return ``model`` with the adapter in folder ``adapter`` applied (merged into its weights when ``merge``).

    Raises
    ------
    ConfigError
        When peft is missing, or the adapter does not fit this model (it was trained on another).
    """
    try:
        from peft import PeftModel
    except ImportError:
        raise ConfigError('adapters need peft: pip install "jupyter-autogpt[learn]"') from None
    try:
        wrapped = PeftModel.from_pretrained(model, adapter)
    except (RuntimeError, ValueError, KeyError) as exc:
        raise ConfigError(f"the adapter in {adapter} does not fit this base model (it was trained on "
                          f"{_trained_on(adapter)}): {str(exc).splitlines()[0]}") from None
    return wrapped.merge_and_unload() if merge else wrapped
