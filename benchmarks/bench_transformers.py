"""Measure the transformers backend's streaming against a bare ``model.generate`` on the same model.

Both sides decode greedily the same prompt (the agent's real system prompt and a goal, through the chat
template) with ``min_new_tokens == max_new_tokens``, so they produce the same number of tokens. Reported:
decode tokens/s, time to first token (TTFT), their ratios, and on CUDA the fast path (static KV cache +
torch.compile/CUDA graphs) and the fraction of the decode roofline (memory bandwidth / bytes of weights
read per token). Weights are random and built in memory: nothing is downloaded.

Run: ``.venv/bin/python benchmarks/bench_transformers.py --config small --new-tokens 64``
Goals: plain path >= 0.95x bare generate tokens/s, TTFT overhead < 20 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

#: Llama shapes: ``tiny`` is the test model (overhead-bound), ``small`` ~25M, ``1b`` the Llama-3.2-1B body.
CONFIGS: dict[str, dict[str, Any]] = {
    "tiny": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2},
    "small": {"hidden_size": 512, "intermediate_size": 1536, "num_hidden_layers": 8, "num_attention_heads": 8,
              "num_key_value_heads": 4},
    "1b": {"hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32,
           "num_key_value_heads": 8},
}
GOAL = "Goal:\nLoad sales.csv, find the month with the highest revenue and plot revenue per month.\n\n" \
       "The kernel's namespace:\n(the namespace holds no user variables yet)"


def build(config: str, device: str, dtype: str | None) -> tuple[Any, Any]:
    """Return a random-weight Llama of ``config`` and a small trained tokenizer."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from jupyter_autogpt.models._hf_load import pick_dtype
    from support.tiny_models import build_tokenizer

    tokenizer = build_tokenizer()
    shape = LlamaConfig(
        vocab_size=len(tokenizer), max_position_embeddings=4096, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, **CONFIGS[config],
    )
    torch.manual_seed(0)
    model: Any = LlamaForCausalLM(shape)
    model.to(device=device, dtype=getattr(torch, pick_dtype(torch, dtype, device)))
    return model.eval(), tokenizer


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def bare(model: Any, ids: list[int], new_tokens: int, device: str) -> tuple[float, float]:
    """Return ``(ttft, total)`` seconds of plain ``generate`` calls (TTFT: a one-token generate)."""
    import torch

    tokens = torch.tensor([ids], device=model.device)
    args = {"attention_mask": torch.ones_like(tokens), "do_sample": False, "pad_token_id": model.config.pad_token_id}
    _sync(device)
    start = time.perf_counter()
    model.generate(tokens, max_new_tokens=1, **args)
    _sync(device)
    ttft = time.perf_counter() - start
    start = time.perf_counter()
    out = model.generate(tokens, max_new_tokens=new_tokens, min_new_tokens=new_tokens, **args)
    _sync(device)
    assert out.shape[1] - len(ids) == new_tokens
    return ttft, time.perf_counter() - start


def streamed(backend: Any, messages: list[Any], new_tokens: int) -> tuple[float, float]:
    """Return ``(ttft, total)`` seconds of one ``backend.stream`` (TTFT: first text delta, prompt encoding included)."""
    from jupyter_autogpt.types import GenerationSettings, Usage

    start = time.perf_counter()
    ttft = None
    usage = None
    for chunk in backend.stream(messages, GenerationSettings(max_new_tokens=new_tokens)):
        if isinstance(chunk, Usage):
            usage = chunk
        elif ttft is None:
            ttft = time.perf_counter() - start
    total = time.perf_counter() - start
    assert usage is not None and usage.completion_tokens == new_tokens, usage
    return ttft if ttft is not None else total, total


def measure(runs: list[Callable[[], tuple[float, float]]], repeats: int) -> list[tuple[float, float]]:
    """Return the median ``(ttft, total)`` of each of ``runs``, interleaved so background load hits all alike."""
    results: list[list[tuple[float, float]]] = [[] for _ in runs]
    for round_ in range(repeats + 1):
        for run, found in zip(runs, results, strict=True):
            result = run()
            if round_:  # the first round warms up (allocations, kernels, compilation)
                found.append(result)
    return [(statistics.median(r[0] for r in found), statistics.median(r[1] for r in found)) for found in results]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print a report; return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="tiny")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps; default the best present")
    parser.add_argument("--dtype", default=None, help="default bf16 on capable CUDA GPUs, fp32 on CPU")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--bandwidth", type=float, default=3.35e12, help="GPU memory bytes/s (H100 SXM: 3.35e12)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default torch's)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line too")
    args = parser.parse_args(argv)

    import torch

    from jupyter_autogpt.models._hf_load import pick_device
    from jupyter_autogpt.models.transformers import TransformersModel
    from jupyter_autogpt.prompts import SYSTEM_PROMPT
    from jupyter_autogpt.types import Message

    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(torch, args.device)
    model, tokenizer = build(args.config, device, args.dtype)
    n = args.new_tokens
    options = {"max_new_tokens": n, "min_new_tokens": n}
    plain = TransformersModel.wrap(model, tokenizer, name=f"bench-{args.config}", fast=False, **options)
    messages = [Message("system", SYSTEM_PROMPT), Message("user", GOAL)]
    ids = plain.encode(messages)
    params = sum(p.numel() for p in model.parameters())
    bytes_per_param = next(model.parameters()).element_size()
    figures: dict[str, Any] = {
        "config": args.config, "device": device, "dtype": str(model.dtype), "params": params,
        "bytes_per_param": bytes_per_param, "prompt_tokens": len(ids), "new_tokens": n,
        "torch_threads": torch.get_num_threads(),
    }
    runs = [lambda: bare(model, ids, n, device), lambda: streamed(plain, messages, n)]
    if device.startswith("cuda"):
        fast = TransformersModel.wrap(model, tokenizer, name=f"bench-{args.config}", fast=True, **options)
        runs.append(lambda: streamed(fast, messages, n))
    (b_ttft, b_total), (s_ttft, s_total), *fast_figures = measure(runs, args.repeats)
    figures.update(bare_tok_s=n / b_total, bare_ttft_ms=1e3 * b_ttft, stream_tok_s=n / s_total,
                   stream_ttft_ms=1e3 * s_ttft, ratio=b_total / s_total, ttft_overhead_ms=1e3 * (s_ttft - b_ttft))
    if fast_figures:
        (f_ttft, f_total), = fast_figures
        ceiling = args.bandwidth / (params * bytes_per_param)
        figures.update(fast_tok_s=n / f_total, fast_ttft_ms=1e3 * f_ttft, fast_ratio=b_total / f_total,
                       roofline_tok_s=ceiling, bare_roofline=n / b_total / ceiling, fast_roofline=n / f_total / ceiling)
    report(figures)
    if args.json:
        print(json.dumps(figures))
    return figures


def report(f: dict[str, Any]) -> None:
    """Print the figures as a short table."""
    print(f"config={f['config']} device={f['device']} dtype={f['dtype']} params={f['params']:,} "
          f"x {f['bytes_per_param']} B/param, prompt={f['prompt_tokens']} tokens, new={f['new_tokens']} tokens, "
          f"torch threads={f['torch_threads']}")
    print(f"bare generate : {f['bare_tok_s']:9.1f} tok/s   TTFT {f['bare_ttft_ms']:8.2f} ms")
    print(f"backend stream: {f['stream_tok_s']:9.1f} tok/s   TTFT {f['stream_ttft_ms']:8.2f} ms   "
          f"ratio {f['ratio']:.3f}x (goal >= 0.95)   TTFT overhead {f['ttft_overhead_ms']:+.2f} ms (goal < 20)")
    if "fast_tok_s" in f:
        print(f"fast path     : {f['fast_tok_s']:9.1f} tok/s   TTFT {f['fast_ttft_ms']:8.2f} ms   "
              f"ratio {f['fast_ratio']:.3f}x vs bare")
        print(f"decode roofline {f['roofline_tok_s']:.0f} tok/s: bare {f['bare_roofline']:.1%}, "
              f"fast {f['fast_roofline']:.1%}")


if __name__ == "__main__":
    main()
