"""Local chat models with Hugging Face transformers, on a GPU when one is present.

``--model transformers:NAME_OR_PATH`` takes a folder saved by ``save_pretrained`` or a hub id (loaded from the
local cache, or the hub when it is reachable); ``transformers:NAME_OR_PATH+adapter:FOLDER`` adds a LoRA
adapter (``models._hf_adapter``). torch and transformers are imported when a model is built,
never when this module is imported. Loaded models stay in a per-process cache until ``unload()``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import ConfigError, ModelBackendError, ModelContextError
from ..types import GenerationSettings, Message, Usage
from . import _hf_adapter, _hf_load
from ._hf_generate import Detokenizer, StopScanner, generate_tokens
from .base import Chunk, Deadline

__all__ = ["TransformersModel", "unload"]

#: Static KV caches are sized in steps of this many tokens, so a growing history rarely forces a recompile.
CACHE_BUCKET = 2048


def unload() -> int:
    """Free every local model this process loaded (GPU memory included); return how many were freed."""
    return _hf_load.unload_all()


class TransformersModel:
    """Generate chat replies with a local transformers model, streamed token by token.

    Parameters
    ----------
    name
        A model folder (``save_pretrained`` output) or a hub id such as ``Qwen/Qwen2.5-1.5B-Instruct``, maybe
        followed by ``+adapter:FOLDER``: a peft LoRA adapter (``python -m jupyter_autogpt.finetune``) applied to it.
    device
        ``cpu``, ``cuda``, ``cuda:1``, ``mps``; default the best present (cuda > mps > cpu).
    dtype
        ``float32``, ``float16``, ``bfloat16``; default bf16 on capable CUDA GPUs, fp16 on other GPUs, fp32 on CPU.
    device_map
        ``"auto"`` spreads a large model over several GPUs (needs accelerate).
    quantize
        ``"4bit"`` or ``"8bit"`` (needs bitsandbytes and a CUDA GPU).
    fast
        Static KV cache plus torch.compile with CUDA graphs; default on for CUDA, off elsewhere. Falls back to
        eager generation, with a warning, if compiling fails.
    max_new_tokens
        The reply's length limit unless the request sets one.
    top_p, seed
        Defaults for requests that set none; sampling is greedy unless a temperature above 0 is asked for.
    context_window
        The model's window in tokens; default its config's ``max_position_embeddings``.
    request_timeout
        Seconds to wait for the next token (the prompt's prefill included) before the reply fails; default no
        limit. A request's ``time_limit`` (what is left of ``--max-time``) bounds the whole reply either way.
    """

    OPTIONS = frozenset({
        "device", "dtype", "device_map", "quantize", "fast", "max_new_tokens", "top_p", "seed", "context_window",
        "min_new_tokens", "request_timeout",
    })

    def __init__(
        self,
        name: str,
        *,
        device: str | None = None,
        dtype: str | None = None,
        device_map: str | None = None,
        quantize: str | None = None,
        fast: bool | None = None,
        max_new_tokens: int = 1024,
        top_p: float | None = None,
        seed: int | None = None,
        context_window: int | None = None,
        min_new_tokens: int | None = None,
        request_timeout: float | None = None,
    ) -> None:
        torch, _ = _hf_load.import_stack()
        base, adapter = _hf_adapter.split(name)
        source, local_only = _hf_load.locate(base)
        where = _hf_load.pick_device(torch, device)
        self._spec = _hf_load.LoadSpec(
            source, where, _hf_load.pick_dtype(torch, dtype, where), device_map, quantize, local_only,
            _hf_adapter.locate(adapter) if adapter else None,
        )
        self._pinned: _hf_load.Loaded | None = None
        self._setup(name, fast=fast, max_new_tokens=max_new_tokens, top_p=top_p, seed=seed,
                    context_window=context_window, min_new_tokens=min_new_tokens, request_timeout=request_timeout)

    def _setup(self, name: str, *, fast: bool | None = None, max_new_tokens: int = 1024, top_p: float | None = None,
               seed: int | None = None, context_window: int | None = None, min_new_tokens: int | None = None,
               request_timeout: float | None = None) -> None:
        self.name = name
        self.request_timeout = request_timeout
        self.id = f"transformers:{name}"
        self.max_new_tokens = max_new_tokens
        self.top_p = top_p
        self.seed = seed
        self.min_new_tokens = min_new_tokens  # tests only: random weights may stop at once
        loaded = self._loaded
        if getattr(loaded.tokenizer, "chat_template", None) is None:
            raise ConfigError(
                f"{name!r} has no chat template in its tokenizer: use a chat (instruction-tuned) model, e.g. one "
                "whose name ends in -Instruct or -Chat, or set tokenizer.chat_template before save_pretrained"
            )
        self.fast = loaded.device.startswith("cuda") if fast is None else bool(fast)
        config = loaded.model.config
        text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
        window = context_window or getattr(text_config, "max_position_embeddings", None)
        self.context_tokens: int | None = int(window) if window else None

    @classmethod
    def wrap(cls, model: Any, tokenizer: Any, *, name: str | None = None, **options: Any) -> TransformersModel:
        """Return a backend for a model and tokenizer already loaded in this process (kept alive by it)."""
        self = cls.__new__(cls)
        device = str(getattr(model, "device", "cpu"))
        self._spec = _hf_load.LoadSpec(f"<memory:{id(model):x}>", device, str(model.dtype).removeprefix("torch."))
        self._pinned = _hf_load.Loaded(model, tokenizer, device)
        placement = {"device", "dtype", "device_map", "quantize"}  # already decided by whoever loaded the model
        known = {k: v for k, v in options.items() if k in cls.OPTIONS - placement and v is not None}
        self._setup(name or str(getattr(model, "name_or_path", "model")), **known)
        return self

    @property
    def _loaded(self) -> _hf_load.Loaded:
        # Looked up on each use, not held: unload() must really free the weights, and a later run reloads them.
        return self._pinned if self._pinned is not None else _hf_load.load(self._spec)

    @property
    def model(self) -> Any:
        """Return the underlying ``PreTrainedModel`` (shared with every backend built on the same weights)."""
        return self._loaded.model

    @property
    def tokenizer(self) -> Any:
        """Return the tokenizer."""
        return self._loaded.tokenizer

    def __repr__(self) -> str:
        return f"TransformersModel({self.name!r}, device={self._spec.device!r}, dtype={self._spec.dtype!r})"

    # -- prompts --------------------------------------------------------------------------------------------

    def encode(self, messages: Sequence[Message]) -> list[int]:
        """Return the prompt's token ids, rendered with the tokenizer's chat template (images are dropped)."""
        tokenizer = self.tokenizer
        wire = [{"role": m.role, "content": m.content} for m in messages]
        try:
            text = tokenizer.apply_chat_template(wire, add_generation_prompt=True, tokenize=False)
        except Exception as exc:  # jinja's TemplateError: e.g. a template that rejects the system role
            if not wire or wire[0]["role"] != "system" or len(wire) < 2:
                raise ModelBackendError(f"{self.name}'s chat template failed: {exc}") from exc
            # Gemma-style templates have no system role: fold the system prompt into the first user turn.
            merged = {"role": wire[1]["role"], "content": wire[0]["content"] + "\n\n" + wire[1]["content"]}
            text = tokenizer.apply_chat_template([merged, *wire[2:]], add_generation_prompt=True, tokenize=False)
        ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    def fit(self, messages: Sequence[Message], reserve: int) -> tuple[list[Message], list[int]]:
        """Return the messages that fit the window with ``reserve`` tokens left for the reply, and their ids.

        The oldest history goes first; the system prompt and the first user message (the goal) always stay,
        and so does the newest message. A leading user turn left behind is dropped too, so roles keep alternating.

        Raises
        ------
        ModelContextError
            When even the kept messages do not fit.
        """
        kept = list(messages)
        ids = self.encode(kept)
        if self.context_tokens is None:
            return kept, ids
        budget = self.context_tokens - reserve
        head = 2 if kept and kept[0].role == "system" else 1
        while len(ids) > budget and len(kept) > head + 1:
            del kept[head]
            while len(kept) > head + 1 and kept[head].role == kept[head - 1].role:
                del kept[head]
            ids = self.encode(kept)
        if len(ids) > budget:
            raise ModelContextError(
                f"the prompt needs {len(ids):,} tokens but {self.name}'s window of {self.context_tokens:,} leaves "
                f"{budget:,} after {reserve:,} for the reply: shorten the goal or the namespace overview "
                "(--context-chars), or use a model with a longer window"
            )
        return kept, ids

    # -- generation -----------------------------------------------------------------------------------------

    def _kwargs(self, ids: list[int], settings: GenerationSettings, new_tokens: int) -> dict[str, Any]:
        import torch

        loaded = self._loaded
        tokens = torch.tensor([ids], device=loaded.model.device)
        tokenizer = loaded.tokenizer
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        kwargs: dict[str, Any] = {
            "input_ids": tokens,
            "attention_mask": torch.ones_like(tokens),
            "max_new_tokens": new_tokens,
            "pad_token_id": pad,
        }
        temperature = settings.temperature
        if temperature:
            kwargs.update(do_sample=True, temperature=temperature, top_p=settings.top_p or self.top_p or 1.0, top_k=0)
        else:  # greedy: reproducible, the default for teaching; the model's own sampling defaults are overridden
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if self.min_new_tokens:
            kwargs["min_new_tokens"] = min(self.min_new_tokens, new_tokens)
        return kwargs

    def _fast_kwargs(self, total: int) -> dict[str, Any]:
        """Return the static-cache arguments; transformers then compiles the forward (CUDA graphs) on CUDA."""
        bucketed = CACHE_BUCKET * math.ceil(total / CACHE_BUCKET)
        return {"cache_implementation": "static", "max_cache_len": min(self.context_tokens or total, bucketed)}

    def stream(self, messages: Sequence[Message], settings: GenerationSettings) -> Iterator[Chunk]:
        """Yield the reply's text deltas, then its ``Usage`` with the tokenizer's real counts.

        Raises
        ------
        ModelContextError
            When the system prompt and the goal alone do not fit the model's window.
        ModelBackendError
            When generation fails (out of memory, a broken model), stalls past ``request_timeout``, or is still
            going when ``settings.time_limit`` runs out.
        """
        limit = min(settings.max_new_tokens or self.max_new_tokens, self.max_new_tokens)  # a cap, never a raise
        reserve = min(limit, self.context_tokens // 2) if self.context_tokens else limit
        _, ids = self.fit(messages, reserve)
        new_tokens = min(limit, self.context_tokens - len(ids)) if self.context_tokens else limit
        kwargs = self._kwargs(ids, settings, new_tokens)
        seed = settings.seed if settings.seed is not None else self.seed
        fast = self.fast and not self._loaded.fast_failed
        deadline = Deadline.after(settings.time_limit, self.request_timeout)
        produced = 0
        try:
            for chunk in self._stream_once(kwargs, seed, settings.stop, fast, len(ids) + new_tokens, deadline):
                produced += isinstance(chunk, str)
                yield chunk
        except ModelBackendError as exc:
            if not fast or produced or exc.__cause__ is None:  # a time limit is no failure of the fast path
                raise
            # torch.compile failures surface in the first generate: warn once and stay eager for this model.
            self._loaded.fast_failed = True
            warnings.warn(f"{self.name}: the fast path (static cache + torch.compile) failed, using eager "
                          f"generation: {exc}", RuntimeWarning, stacklevel=2)
            yield from self._stream_once(kwargs, seed, settings.stop, False, 0, deadline)

    def _stream_once(self, kwargs: dict[str, Any], seed: int | None, stop: Sequence[str], fast: bool,
                     total: int, deadline: Deadline) -> Iterator[Chunk]:
        import torch

        if seed is not None:
            torch.manual_seed(seed)
        if fast:
            kwargs = {**kwargs, **self._fast_kwargs(total)}
        detok, scanner, count = Detokenizer(self.tokenizer), StopScanner(stop), 0
        tokens = generate_tokens(self.model, dict(kwargs), deadline)
        try:
            for token in tokens:
                count += 1
                text = scanner.feed(detok.push(token))
                if text:
                    yield text
                if scanner.stopped:
                    break
        finally:
            tokens.close()  # stops and joins the generation thread now, not when garbage is collected
        if not scanner.stopped:
            tail = scanner.feed(detok.flush())
            tail += "" if scanner.stopped else scanner.flush()
            if tail:
                yield tail
        yield Usage(int(kwargs["input_ids"].shape[1]), count)
