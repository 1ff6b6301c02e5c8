"""The transformers backend against tiny models built at test time (no hub, no download)."""

from __future__ import annotations

import subprocess
import sys
import threading
import weakref

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from jupyter_autogpt.errors import ConfigError, ModelBackendError, ModelContextError
from jupyter_autogpt.models import _hf_load, complete, resolve
from jupyter_autogpt.models._hf_generate import THREAD_NAME, Detokenizer, StopScanner
from jupyter_autogpt.models.transformers import TransformersModel, unload
from jupyter_autogpt.types import GenerationSettings, Message, Usage
from support.tiny_models import build_random_model, build_scripted_model

#: Far more tokens than a test waits for: only the stop event can end such a generation in time.
ENDLESS = {"min_new_tokens": 100_000, "max_new_tokens": 100_000, "context_window": 1_000_000}
GOAL = [Message("system", "You are a careful agent."), Message("user", "Goal: compute the answer.")]


@pytest.fixture(scope="module", autouse=True)
def offline():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        yield


@pytest.fixture(autouse=True)
def fresh_cache():
    yield
    unload()


@pytest.fixture(scope="module")
def random_dir(tmp_path_factory, offline):
    return build_random_model(tmp_path_factory.mktemp("random"))


@pytest.fixture(scope="module")
def scripted_dir(tmp_path_factory, offline):
    return build_scripted_model(tmp_path_factory.mktemp("scripted"))


def generation_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME and t.is_alive()]


def test_import_is_cheap():
    code = "import sys, jupyter_autogpt.models.transformers; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_stream_yields_text_and_real_usage(random_dir):
    model = resolve(f"transformers:{random_dir}", min_new_tokens=12)
    assert isinstance(model, TransformersModel) and model.id == f"transformers:{random_dir}"
    chunks = list(model.stream(GOAL, GenerationSettings(max_new_tokens=12)))
    *texts, usage = chunks
    assert texts and all(isinstance(t, str) and t for t in texts)
    assert isinstance(usage, Usage) and not usage.estimated
    ids = model.encode(GOAL)
    assert usage.prompt_tokens == len(ids)
    assert usage.completion_tokens == 12
    # The streamed text is exactly what a bare generate() decodes to.
    import torch

    bare = model.model.generate(torch.tensor([ids]), max_new_tokens=12, min_new_tokens=12, do_sample=False)
    assert "".join(texts) == model.tokenizer.decode(bare[0, len(ids) :], skip_special_tokens=True)


def test_max_new_tokens_bounds_the_reply(random_dir):
    model = resolve(f"transformers:{random_dir}", min_new_tokens=500, max_new_tokens=7)
    assert complete(model, GOAL)[1].completion_tokens == 7
    assert complete(model, GOAL, GenerationSettings(max_new_tokens=3))[1].completion_tokens == 3


def test_sampling_with_a_seed_is_reproducible(random_dir):
    model = resolve(f"transformers:{random_dir}", min_new_tokens=10)
    settings = GenerationSettings(temperature=1.0, top_p=0.9, max_new_tokens=10, seed=7)
    assert complete(model, GOAL, settings)[0] == complete(model, GOAL, settings)[0]


def test_second_resolve_reuses_the_loaded_model(random_dir):
    first = resolve(f"transformers:{random_dir}")
    second = resolve(f"transformers:{random_dir}", max_new_tokens=5)
    assert second.model is first.model and second.tokenizer is first.tokenizer
    assert _hf_load.cached_count() == 1
    other = resolve(f"transformers:{random_dir}", dtype="bfloat16")
    assert other.model is not first.model and _hf_load.cached_count() == 2


def test_unload_frees_models_and_a_later_run_reloads(random_dir):
    model = resolve(f"transformers:{random_dir}", min_new_tokens=2)
    ref = weakref.ref(model.model)
    assert unload() == 1
    assert ref() is None, "the backend must not keep the weights alive"
    assert unload() == 0
    assert complete(model, GOAL, GenerationSettings(max_new_tokens=2))[1].completion_tokens == 2


def test_tokenizer_without_chat_template_is_a_config_error(tmp_path):
    folder = build_random_model(tmp_path, chat_template=None)
    with pytest.raises(ConfigError, match="chat template"):
        resolve(f"transformers:{folder}")


def test_offline_hub_id_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match=r"acme/no-such-model.*huggingface-cli download acme/no-such-model"):
        resolve("transformers:acme/no-such-model")


def test_bad_paths_and_options_are_config_errors(tmp_path, random_dir):
    with pytest.raises(ConfigError, match="no model folder"):
        resolve(f"transformers:{tmp_path}/missing/model")
    with pytest.raises(ConfigError, match=r"config\.json"):
        resolve(f"transformers:{tmp_path}")
    with pytest.raises(ConfigError, match="dtype"):
        resolve(f"transformers:{random_dir}", dtype="float8")
    with pytest.raises(ConfigError, match="device"):
        resolve(f"transformers:{random_dir}", device="tpu-7")
    with pytest.raises(ConfigError, match=r"accelerate|bitsandbytes"):
        resolve(f"transformers:{random_dir}", quantize="4bit")


def test_closing_the_stream_stops_the_generation_thread(random_dir):
    model = resolve(f"transformers:{random_dir}", **ENDLESS)
    stream = model.stream(GOAL, GenerationSettings())
    assert isinstance(next(stream), str)
    assert generation_threads()
    stream.close()
    assert not generation_threads()


def test_keyboard_interrupt_in_the_consumer_stops_the_thread(random_dir):
    model = resolve(f"transformers:{random_dir}", **ENDLESS)
    stream = model.stream(GOAL, GenerationSettings())
    next(stream)
    with pytest.raises(KeyboardInterrupt):
        stream.throw(KeyboardInterrupt())
    assert not generation_threads()


def test_an_error_inside_generate_surfaces_as_backend_error(random_dir, monkeypatch):
    model = resolve(f"transformers:{random_dir}")

    def broken(**kwargs):
        raise RuntimeError("CUDA out of memory (simulated)")

    monkeypatch.setattr(model.model, "generate", broken)
    with pytest.raises(ModelBackendError, match="out of memory") as info:
        list(model.stream(GOAL, GenerationSettings()))
    assert isinstance(info.value.__cause__, RuntimeError)
    assert not generation_threads()


def test_fast_path_failure_falls_back_to_eager_with_a_warning(random_dir, monkeypatch):
    model = resolve(f"transformers:{random_dir}", fast=True, min_new_tokens=4)
    real = model.model.generate

    def compile_fails(**kwargs):
        if kwargs.get("cache_implementation") == "static":
            raise RuntimeError("torch._dynamo failed (simulated)")
        return real(**kwargs)

    monkeypatch.setattr(model.model, "generate", compile_fails)
    with pytest.warns(RuntimeWarning, match="fast path"):
        usage = complete(model, GOAL, GenerationSettings(max_new_tokens=4))[1]
    assert usage.completion_tokens == 4
    assert complete(model, GOAL, GenerationSettings(max_new_tokens=4))[1].completion_tokens == 4  # stays eager


def test_fast_path_static_cache_runs_on_cpu(scripted_dir):
    model = resolve(f"transformers:{scripted_dir}", fast=True)
    assert complete(model, GOAL)[0] == "```python\nfinal_answer(42)\n```"


def test_stop_sequences_end_the_reply_and_are_trimmed(scripted_dir):
    model = resolve(f"transformers:{scripted_dir}")
    text, usage = complete(model, GOAL, GenerationSettings(stop=("(42",)))
    assert text == "```python\nfinal_answer"
    assert usage.completion_tokens == 2
    assert not generation_threads()


def test_stop_scanner_holds_back_a_possible_stop_across_chunks():
    scanner = StopScanner(["STOP"])
    assert scanner.feed("abc ST") == "abc "
    assert scanner.feed("x ST") == "STx "
    assert scanner.feed("OP tail") == "" and scanner.stopped


def test_detokenizer_streams_multibyte_text_exactly(random_dir):
    tokenizer = resolve(f"transformers:{random_dir}").tokenizer
    text = "héllo → 世界 ünïcode 🎉 done"
    detok = Detokenizer(tokenizer)
    parts = [detok.push(t) for t in tokenizer(text, add_special_tokens=False)["input_ids"]]
    parts.append(detok.flush())
    assert "".join(parts) == text
    assert not any("\ufffd" in p for p in parts)


def history(turns: int, size: int = 200) -> list[Message]:
    messages = list(GOAL)
    for i in range(turns):
        messages.append(Message("assistant", f"step {i} " + "x " * size))
        messages.append(Message("user", f"Observation {i} " + "y " * size))
    return messages


def test_context_overflow_drops_oldest_history_keeping_system_and_goal(random_dir):
    model = resolve(f"transformers:{random_dir}", context_window=1200, min_new_tokens=8, max_new_tokens=8)
    messages = history(6)
    assert len(model.encode(messages)) > 1200
    kept, ids = model.fit(messages, reserve=8)
    assert kept[:2] == GOAL and kept[-1] == messages[-1]
    assert len(kept) < len(messages) and len(ids) <= 1200 - 8
    assert [m.role for m in kept[2:]] == ["assistant", "user"] * ((len(kept) - 2) // 2)
    assert complete(model, messages)[1].prompt_tokens == len(ids)


def test_a_goal_longer_than_the_window_is_a_context_error(random_dir):
    model = resolve(f"transformers:{random_dir}", context_window=64)
    with pytest.raises(ModelContextError, match="window"):
        complete(model, [GOAL[0], Message("user", "Goal: " + "z " * 200)])


def test_wrap_uses_a_model_already_loaded_in_the_kernel(scripted_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = TransformersModel.wrap(
        AutoModelForCausalLM.from_pretrained(scripted_dir), AutoTokenizer.from_pretrained(scripted_dir), name="mine"
    )
    assert model.id == "transformers:mine"
    assert complete(model, GOAL)[0].endswith("```")


def test_scripted_model_drives_a_full_agent_run(scripted_dir):
    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_autogpt.agent import Agent, run_to_completion
    from jupyter_autogpt.execution.ipython import IPythonExecutor
    from jupyter_autogpt.types import RunConfig

    model = resolve(f"transformers:{scripted_dir}")
    agent = Agent(model, IPythonExecutor(InteractiveShell.instance()), RunConfig(model=model.id, max_steps=3))
    run = run_to_completion(agent, "What is the answer?")
    assert run.status == "finished", run.error
    assert run.answer == 42
    assert run.usage.completion_tokens == 4 and not run.usage.estimated


# -- the wait for a local model ends with the reply's time limit ---------------------------------------------


def wait_for_generation_threads() -> None:
    for thread in generation_threads():
        thread.join(30)
    assert not generation_threads()


@pytest.mark.parametrize("limit", [0.0, 0.3])
def test_a_local_reply_still_going_at_its_time_limit_stops_there(random_dir, limit):
    model = resolve(f"transformers:{random_dir}", **ENDLESS)
    with pytest.raises(ModelBackendError, match="within the reply's time limit"):
        list(model.stream(GOAL, GenerationSettings(time_limit=limit)))
    wait_for_generation_threads()  # the thread stops at its next token, not after 100,000


def test_a_local_model_that_produces_no_token_fails_after_the_request_timeout(random_dir, monkeypatch):
    model = resolve(f"transformers:{random_dir}", request_timeout=0.2)
    release = threading.Event()

    def stuck_prefill(**kwargs):
        release.wait(30)  # a prefill that never ends (a hung device, a huge prompt on a slow CPU)

    monkeypatch.setattr(model.model, "generate", stuck_prefill)
    with pytest.raises(ModelBackendError, match=r"no token for 0\.2s \(--request-timeout\)"):
        list(model.stream(GOAL, GenerationSettings()))
    release.set()
    wait_for_generation_threads()


def test_the_time_budget_ends_a_run_waiting_for_a_local_model(random_dir):
    from jupyter_autogpt.agent import Agent, run_to_completion
    from jupyter_autogpt.testing import ScriptedExecutor
    from jupyter_autogpt.types import RunConfig

    model = resolve(f"transformers:{random_dir}", **ENDLESS)
    run = run_to_completion(Agent(model, ScriptedExecutor({}), RunConfig(model=model.id, max_time=1.0)), "g")
    assert run.status == "max_steps" and "while waiting for the model" in (run.error or "")
    wait_for_generation_threads()
