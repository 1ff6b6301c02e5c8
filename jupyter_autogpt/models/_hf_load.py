"""Loading local transformers models: imports, device and dtype choice, hub access, the per-process cache.

Private helpers of ``models.transformers``. torch and transformers are imported inside functions only.
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..errors import ConfigError

__all__ = ["LoadSpec", "Loaded", "cached_count", "import_stack", "load", "unload_all"]

log = logging.getLogger(__name__)

INSTALL_HINT = 'pip install "jupyter-autogpt[local]"'
_TRUE = {"1", "on", "yes", "true"}
_DTYPES = {
    "float32": "float32", "fp32": "float32", "float": "float32",
    "float16": "float16", "fp16": "float16", "half": "float16",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
}
_QUANTIZE = {"4bit": {"load_in_4bit": True}, "8bit": {"load_in_8bit": True}}


def import_stack() -> tuple[Any, Any]:
    """Return the ``(torch, transformers)`` modules, or raise a ``ConfigError`` that says how to install them."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ConfigError(
            f"local models need torch and transformers ({exc.name or exc} is missing): {INSTALL_HINT}"
        ) from None
    return torch, transformers


@dataclass(frozen=True)
class LoadSpec:
    """Everything that decides which weights end up where; the cache key of a loaded model."""

    source: str
    device: str
    dtype: str
    device_map: str | None = None
    quantize: str | None = None
    local_only: bool = False
    adapter: str | None = None


@dataclass
class Loaded:
    """A model and its tokenizer, loaded once per process and shared by every backend built on them."""

    model: Any
    tokenizer: Any
    device: str
    fast_failed: bool = False


_CACHE: dict[LoadSpec, Loaded] = {}
_LOCK = threading.Lock()


def pick_device(torch: Any, device: str | None) -> str:
    """Return ``device``, or the best one present (cuda > mps > cpu) for ``None``/"auto"."""
    if device in (None, "auto"):
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError) as exc:
        raise ConfigError(f"unknown device {device!r} ({exc}): use cpu, cuda, cuda:1, mps or auto") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} asked for, but torch sees no CUDA GPU: pass device='cpu' or 'auto'")
    return str(device)


def pick_dtype(torch: Any, dtype: str | None, device: str) -> str:
    """Return the dtype name: ``dtype`` itself, or bf16 on capable CUDA GPUs, fp16 on others and MPS, else fp32."""
    if dtype in (None, "auto"):
        if device.startswith("cuda"):
            return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        return "float16" if device.startswith("mps") else "float32"
    name = _DTYPES.get(str(dtype).lower().removeprefix("torch."))
    if name is None:
        raise ConfigError(f"unknown dtype {dtype!r}: use auto, float32, float16 or bfloat16")
    return name


def hub_offline() -> bool:
    """Return whether the user switched the hub off (``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE``)."""
    return any(os.environ.get(v, "").strip().lower() in _TRUE for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_reachable(timeout: float = 3.0) -> bool:
    """Return whether the hub's host accepts a connection; without this, an offline machine retries for ~45 s."""
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def locate(name: str) -> tuple[str, bool]:
    """Return ``(source, local_only)`` for a folder or a hub id; a folder must hold a ``config.json``."""
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ConfigError(f"{name!r} is a folder but holds no config.json: pass a transformers model folder")
        return str(path.resolve()), True
    if name.startswith(("/", ".", "~")) or name.count("/") > 1 or path.exists():
        raise ConfigError(f"no model folder at {name!r}: pass a folder saved by save_pretrained, or a hub id")
    return name, hub_offline() or not hub_reachable()


def _no_hub(source: str, exc: BaseException) -> ConfigError:
    why = "the hub is switched off (HF_HUB_OFFLINE)" if hub_offline() else "the hub is unreachable or lacks it"
    return ConfigError(
        f"cannot load {source!r}: it is not in the local Hugging Face cache and {why}. Download it first where "
        f"the hub is reachable (`huggingface-cli download {source} --local-dir FOLDER`) and pass "
        f"--model transformers:FOLDER. ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
    )


def _placement(spec: LoadSpec, torch: Any, transformers: Any) -> dict[str, Any]:
    """Return the ``from_pretrained`` arguments for device map, dtype and quantization."""
    kwargs: dict[str, Any] = {"dtype": getattr(torch, spec.dtype)}
    if spec.device_map is not None or spec.quantize is not None:
        if importlib.util.find_spec("accelerate") is None:
            raise ConfigError(f"device_map and quantize need the accelerate package: {INSTALL_HINT}")
        kwargs["device_map"] = spec.device_map or {"": spec.device}
    if spec.quantize is not None:
        if spec.quantize not in _QUANTIZE:
            raise ConfigError(f"unknown quantize {spec.quantize!r}: use 4bit or 8bit")
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ConfigError(f"quantize={spec.quantize!r} needs bitsandbytes: pip install bitsandbytes")
        extra = {"bnb_4bit_compute_dtype": kwargs["dtype"]} if spec.quantize == "4bit" else {}
        kwargs["quantization_config"] = transformers.BitsAndBytesConfig(**_QUANTIZE[spec.quantize], **extra)
    return kwargs


def _load_uncached(spec: LoadSpec) -> Loaded:
    torch, transformers = import_stack()
    placement = _placement(spec, torch, transformers)
    where = spec.device_map or spec.device
    log.info("loading %s on %s (%s%s)", spec.source, where, spec.dtype, f", {spec.quantize}" if spec.quantize else "")
    try:
        # transformers shows its own progress bars here (unless HF_HUB_DISABLE_PROGRESS_BARS is set).
        tokenizer = transformers.AutoTokenizer.from_pretrained(spec.source, local_files_only=spec.local_only)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            spec.source, local_files_only=spec.local_only, **placement
        )
    except OSError as exc:
        if Path(spec.source).is_dir():
            raise ConfigError(f"cannot load the model in {spec.source!r}: {exc}") from None
        raise _no_hub(spec.source, exc) from None
    except ValueError as exc:  # an architecture this transformers version does not know, a bad config
        raise ConfigError(f"cannot load {spec.source!r} with transformers {transformers.__version__}: {exc}") from None
    if "device_map" not in placement:
        model.to(spec.device)
    if spec.adapter is not None:  # on the device already, so merging runs there
        from ._hf_adapter import attach

        model = attach(model, spec.adapter, merge=spec.quantize is None)
    model.eval()
    return Loaded(model, tokenizer, spec.device)


def load(spec: LoadSpec) -> Loaded:
    """Return the model of ``spec``, loading it only when this process has not loaded it yet."""
    with _LOCK:
        loaded = _CACHE.get(spec)
        if loaded is None:
            loaded = _CACHE[spec] = _load_uncached(spec)
        return loaded


def cached_count() -> int:
    """Return how many models this process holds."""
    return len(_CACHE)


def unload_all() -> int:
    """Free every cached model (and its GPU memory); return how many were freed."""
    with _LOCK:
        count = len(_CACHE)
        _CACHE.clear()
    gc.collect()
    torch = _torch_if_imported()
    if count and torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
    return count


def _torch_if_imported() -> Any:
    # unload() must stay cheap (and never import torch) when no model was ever loaded.
    import sys

    return sys.modules.get("torch")
