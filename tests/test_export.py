"""A run written out: the transcript file (schema-valid, complete, redacted), the notebook, the display bundle."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_autogpt import transcript
from jupyter_autogpt.errors import ConfigError
from jupyter_autogpt.redaction import redact_data
from jupyter_autogpt.types import RunConfig
from jupyter_autogpt.ui import export
from support.runs import scripted_run

SECRET = "sk-test-" + "x" * 24
REPLIES = [
    f"Look first.\n```python\nx = 21\nprint('x is', x, '{SECRET}')\nx * 2\n```",
    "Oops.\n```python\n1 / 0\n```",
    "```python\nfinal_answer(x * 2)\n```",
]


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


def test_transcript_is_schema_valid_complete_and_redacted(shell: InteractiveShell, tmp_path: Path) -> None:
    run = scripted_run(shell, REPLIES)
    path = export.write(run, tmp_path / "run.json")
    text = Path(path).read_text()
    data = json.loads(text)
    transcript.validate(data)
    assert SECRET not in text and "[REDACTED]" in text
    assert data["status"] == "finished" and data["answer"] == 42 and data["answer_text"] == "42"
    assert data["config"] == RunConfig(model="scripted").to_dict()
    assert [s["reply"] for s in data["steps"]] == [redact_data(r) for r in REPLIES]
    first, error = data["steps"][0], data["steps"][1]
    assert [o["output_type"] for o in first["outputs"]] == ["stream", "execute_result"]
    assert error["outputs"][-1]["ename"] == "ZeroDivisionError"
    assert error["outputs"][-1]["evalue"] == "division by zero"
    assert data["usage"]["total_tokens"] > 0 and data["duration"] >= 0


def test_notebook_export_is_valid(shell: InteractiveShell, tmp_path: Path) -> None:
    run = scripted_run(shell, REPLIES)
    path = export.write(run, tmp_path / "run.ipynb")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert SECRET not in Path(path).read_text()
    kinds = [c.cell_type for c in nb.cells]
    assert kinds[0] == "markdown" and "Double 21." in nb.cells[0].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.source for c in code] == [redact_data(s.code) for s in run.steps]
    assert code[0].metadata["tags"] == ["autogpt-generated"]
    assert code[0].metadata["jupyter_autogpt"] == {"run_id": run.id, "step": 1}
    assert code[0].outputs[0]["text"].startswith("x is 21")
    assert code[1].outputs[0]["output_type"] == "error"
    assert nb.cells[-1].cell_type == "markdown" and "42" in nb.cells[-1].source


def test_export_rejects_unknown_suffix_and_missing_folder(shell: InteractiveShell, tmp_path: Path) -> None:
    run = scripted_run(shell, ["The answer is 42."])
    with pytest.raises(ConfigError, match=r"\.ipynb"):
        export.write(run, tmp_path / "run.txt")
    with pytest.raises(ConfigError, match="cannot write"):
        export.write(run, tmp_path / "missing" / "run.json")


def test_mime_bundle_is_deterministic_and_valid(shell: InteractiveShell) -> None:
    run = scripted_run(shell, REPLIES)
    bundle = export.mime_bundle(run)
    assert set(bundle) == {transcript.MIME_TYPE, "text/markdown", "text/plain"}
    assert transcript.MIME_TYPE == "application/vnd.jupyter-autogpt.run+json"
    transcript.validate(bundle[transcript.MIME_TYPE])
    assert bundle["text/plain"] == "<autogpt run: finished, 3 steps: 42>"
    assert bundle["text/plain"] == export.mime_bundle(scripted_run(shell, REPLIES))["text/plain"]
    assert SECRET not in json.dumps(bundle)
