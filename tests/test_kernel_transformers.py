"""``%%autogpt --model transformers:PATH`` end to end in a real kernel, with tiny models built offline."""

from __future__ import annotations

import json
import os

import nbformat
import pytest
from nbclient import NotebookClient

pytest.importorskip("torch")
pytest.importorskip("transformers")

from support.tiny_models import build_random_model, build_scripted_model

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

REPLY = "Summing the units.\n```python\nanswer = sum(sales_units)\nfinal_answer(answer)\n```"


def execute(cells: list[str], tmp_path) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    os.environ.update({"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"})
    NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb


def text(nb: nbformat.NotebookNode, index: int) -> str:
    return "".join(o.get("text", "") for o in nb.cells[index].outputs).strip()


def test_a_local_model_runs_the_loop_in_the_kernel(tmp_path) -> None:
    folder = build_scripted_model(tmp_path / "scripted", REPLY)
    nb = execute([
        "%load_ext jupyter_autogpt\nsales_units = [3, 4, 5]",
        f"%%autogpt --model transformers:{folder} --max-steps 3\nSum the units in `sales_units`.",
        "import jupyter_autogpt\nr = jupyter_autogpt.last_run()\n"
        "print(r.status, r.answer, len(r.steps), r.usage.estimated, r.usage.prompt_tokens > 0, r.usage.completion_tokens)",
        "%autogpt unload",
    ], tmp_path)
    assert "error" not in {o.output_type for c in nb.cells for o in c.outputs}
    status, answer, steps, estimated, prompt_counted, completion = text(nb, 2).split()
    assert (status, answer, steps, estimated, prompt_counted) == ("finished", "12", "1", "False", "True")
    assert int(completion) == 6  # one token per scripted line and the end-of-sequence, by the real tokenizer
    assert "unloaded 1 local model" in json.dumps(nb.cells[3].outputs)


def test_garbage_from_a_random_model_ends_within_budget_without_a_traceback(tmp_path) -> None:
    folder = build_random_model(tmp_path / "random")
    nb = execute([
        "%load_ext jupyter_autogpt\nmine = {'kept': True}",
        f"%%autogpt --model transformers:{folder} --max-steps 2\nDo something sensible.",
        "import jupyter_autogpt\nr = jupyter_autogpt.last_run()\nprint(r.status, len(r.steps) <= 2, mine)",
    ], tmp_path)
    assert "error" not in {o.output_type for c in nb.cells for o in c.outputs}
    status, bounded, rest = text(nb, 2).split(" ", 2)
    assert status in {"finished", "max_steps", "failed"} and bounded == "True" and rest == "{'kept': True}"
