"""LoRA fine-tuning of a tiny local model built at test time: the mask, the loss, checkpoints, the adapter backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

import torch

from jupyter_autogpt.errors import ConfigError
from jupyter_autogpt.finetune import TrainOptions, finetune
from jupyter_autogpt.finetune.masking import IGNORE, encode
from jupyter_autogpt.models import _hf_load, complete, resolve
from jupyter_autogpt.models.transformers import unload
from jupyter_autogpt.types import GenerationSettings, Message
from support.tiny_models import build_random_model, build_tokenizer

SYSTEM = "You are a careful data-analysis agent."
FAST = TrainOptions(learning_rate=2e-2, batch_size=2, max_length=256, rank=4, warmup=0.0, dropout=0.0,
                    progress=False)


def conversation(n: int) -> list[dict]:
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Goal: compute the answer for {n}."},
        {"role": "assistant", "content": "```python\nprint(i)\n```", "weight": 1},
        {"role": "user", "content": f"Observation (step 1):\nstdout:\n{n}"},
        {"role": "assistant", "content": "```python\nfinal_answer(42)\n```", "weight": 1},
    ]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def fresh_cache():
    yield
    unload()


#: With transformers' default init (0.02) a tiny model's embeddings are so small that, behind a final norm LoRA
#: does not train, no logit can stand out: the loss cannot fall far. A pretrained model has no such limit.
LEARNABLE = {"initializer_range": 0.2}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return build_random_model(tmp_path_factory.mktemp("base"), **LEARNABLE)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    (folder / "runs.jsonl").write_text("".join(json.dumps({"messages": conversation(n)}) + "\n" for n in range(8)))
    (folder / "runs.validation.jsonl").write_text(json.dumps({"messages": conversation(99)}) + "\n")
    return folder / "runs.jsonl"


def test_the_loss_falls_on_assistant_tokens_only_checked_token_by_token() -> None:
    tokenizer = build_tokenizer()
    messages = [*conversation(3)]
    messages[2] = {**messages[2], "weight": 0}  # context only
    encoded = encode(tokenizer, messages, max_length=1024)
    pieces = [(tokenizer.decode([t]), label != IGNORE) for t, label in zip(encoded.input_ids, encoded.labels, strict=True)]
    assert all(label in (IGNORE, token) for token, label in zip(encoded.input_ids, encoded.labels, strict=True))
    trained = "".join(text for text, on in pieces if on)
    untrained = "".join(text for text, on in pieces if not on)
    # Only the one trained reply and the marker that ends its turn carry a loss ...
    assert trained == "```python\nfinal_answer(42)\n```<|im_end|>\n"
    # ... and every other token — system, user, observation, the context reply, the turn headers — none.
    assert untrained == (
        f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\nGoal: compute the answer for 3.<|im_end|>\n"
        "<|im_start|>assistant\n```python\nprint(i)\n```<|im_end|>\n<|im_start|>user\nObservation (step 1):\n"
        "stdout:\n3<|im_end|>\n<|im_start|>assistant\n"
    )
    cut = encode(tokenizer, messages, max_length=10)
    assert len(cut.input_ids) == 10 and cut.truncated and cut.trained_tokens == 0


def test_a_template_without_a_system_role_still_masks_exactly() -> None:
    gemma = ("{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('no system role') }}{% endif %}"
             "<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
             "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    tokenizer = build_tokenizer(chat_template=gemma)
    encoded = encode(tokenizer, conversation(5), max_length=1024)
    trained = tokenizer.decode([t for t, label in zip(encoded.input_ids, encoded.labels, strict=True) if label != IGNORE])
    assert trained == "```python\nprint(i)\n```<|im_end|>\n```python\nfinal_answer(42)\n```<|im_end|>\n"
    assert SYSTEM in tokenizer.decode(list(encoded.input_ids))


def test_a_few_steps_lower_the_loss_and_the_adapter_changes_generations(base: Path, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "adapter"
    result = finetune(str(base), data, out, TrainOptions(**{**FAST.to_dict(), "max_steps": 12}))
    assert result.status == "finished" and result.steps == 12 and result.examples == 8
    assert result.train_loss[-1] < result.train_loss[0] / 2
    assert result.validation_loss_after < result.validation_loss_before
    assert result.tokens_per_second > 0 and result.adapter_bytes > 0
    assert (out / "adapter_config.json").is_file() and (out / "adapter_model.safetensors").is_file()
    summary = json.loads((out / "training.json").read_text())
    assert summary["steps"] == 12 and len(summary["history"]) == 12

    prompt = [Message("system", SYSTEM), Message("user", "Goal: compute the answer for 5.")]
    settings = GenerationSettings(max_new_tokens=12)
    before = complete(resolve(f"transformers:{base}"), prompt, settings)[0]
    tuned_model = resolve(result.model_id)
    after = complete(tuned_model, prompt, settings)[0]
    assert result.model_id == f"transformers:{base.resolve()}+adapter:{out.resolve()}"
    assert after != before and after.startswith("```python")
    # Cached like any other load: a second backend on the same id shares the weights.
    count = _hf_load.cached_count()
    assert resolve(result.model_id).model is tuned_model.model and _hf_load.cached_count() == count == 2


def test_an_interrupted_fine_tune_resumes_to_the_same_adapter(base: Path, data: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    options = TrainOptions(**{**FAST.to_dict(), "max_steps": 6, "dropout": 0.1, "save_every": 4})
    straight = finetune(str(base), data, tmp_path / "straight", options)

    def interrupt_at_three(step: int, loss: float) -> None:
        if step == 3:
            raise KeyboardInterrupt

    stopped = finetune(str(base), data, tmp_path / "resumed", options, on_step=interrupt_at_three)
    assert stopped.status == "interrupted" and stopped.steps == 3
    assert (tmp_path / "resumed" / "checkpoints" / "step-000003").is_dir()
    resumed = finetune(str(base), data, tmp_path / "resumed", options)
    assert resumed.status == "finished" and resumed.steps == 6
    assert resumed.train_loss == pytest.approx(straight.train_loss, rel=1e-5)
    a = load_file(str(tmp_path / "straight" / "adapter_model.safetensors"))
    b = load_file(str(tmp_path / "resumed" / "adapter_model.safetensors"))
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    # Checkpoints belong to their data and options: another dataset does not silently continue them.
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"messages": conversation(7)}) + "\n")
    with pytest.raises(ConfigError, match="--no-resume"):
        finetune(str(base), other, tmp_path / "resumed", options)


def test_bad_input_gets_a_clear_error(base: Path, data: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no training data"):
        finetune(str(base), tmp_path / "missing.jsonl", tmp_path / "out", FAST)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x"}\n')
    with pytest.raises(ConfigError, match=r"bad\.jsonl:1 is not a chat example"):
        finetune(str(base), bad, tmp_path / "out", FAST)
    with pytest.raises(ConfigError, match="rank must be 1 or more"):
        TrainOptions(rank=0)
    with pytest.raises(ConfigError, match="QLoRA"):
        finetune(str(base), data, tmp_path / "out", TrainOptions(quantize="4bit", device="cpu"))
    plain = build_random_model(tmp_path / "plain", chat_template=None)
    with pytest.raises(ConfigError, match="no chat template"):
        finetune(str(plain), data, tmp_path / "out", FAST)
    with pytest.raises(ConfigError, match="no adapter at"):
        resolve(f"transformers:{base}+adapter:{tmp_path}")
    wider = build_random_model(tmp_path / "wider", hidden_size=96, **LEARNABLE)
    finetune(str(wider), data, tmp_path / "wide-adapter", TrainOptions(**{**FAST.to_dict(), "max_steps": 1}))
    with pytest.raises(ConfigError, match="does not fit this base model"):
        complete(resolve(f"transformers:{base}+adapter:{tmp_path / 'wide-adapter'}"), [Message("user", "hi")])


def test_the_command_line_trains_an_adapter(base: Path, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    cmd = [sys.executable, "-m", "jupyter_autogpt.finetune", str(base), str(data), "--output", str(out),
           "--max-steps", "2", "--lr", "1e-2", "--rank", "4", "--batch-size", "4", "--max-length", "256", "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    assert "fine-tuned: 2/2 steps on 8 examples" in done.stdout and f"+adapter:{out.resolve()}" in done.stdout
    bad = subprocess.run([*cmd[:5], "--rank", "zero"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "invalid int value: 'zero'" in bad.stderr and "Traceback" not in bad.stderr


def test_the_magic_fine_tunes_and_the_adapter_runs_the_agent(ip, base: Path, data: Path, tmp_path: Path) -> None:
    from IPython.core.error import UsageError

    out = tmp_path / "magic"
    result = ip.run_line_magic(
        "autogpt", f"finetune transformers:{base} {data} --output {out} --max-steps 3 --lr 2e-2 --rank 4 --no-progress")
    assert result.status == "finished" and result.steps == 3 and "use it: --model transformers:" in str(result)
    # --history 0: the shared test shell's earlier cells and errors are not this test's, and the tiny window is small
    run = ip.run_cell(f"%autogpt --model {result.model_id} --max-steps 1 --history 0 Compute the answer.").result
    assert run.model == result.model_id and run.status in ("finished", "max_steps") and run.steps
    with pytest.raises(UsageError, match="the following arguments are required: --output"):
        ip.run_line_magic("autogpt", f"finetune {base} {data}")
