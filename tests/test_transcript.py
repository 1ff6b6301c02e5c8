"""The run transcript: JSON export and its schema, the MIME bundle, notebook export, replay round-trip."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_autogpt import models
from jupyter_autogpt.errors import ConfigError
from jupyter_autogpt.redaction import redact_data
from jupyter_autogpt.session import Session
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import ImageData, Observation, Run, RunConfig
from jupyter_autogpt.ui import transcript

FIXTURE = Path(__file__).parents[1] / "labextension" / "test" / "fixtures" / "run.json"
SECRET = "sk-test-" + "x" * 24
REPLIES = [
    f"Look first.\n```python\nx = 21\nprint('x is', x, '{SECRET}')\nx * 2\n```",
    "Oops.\n```python\n1 / 0\n```",
    "```python\nfinal_answer(x * 2)\n```",
]


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


def _run(shell: InteractiveShell, replies: list[str], model_id: str = "scripted") -> Run:
    model = ScriptedModel(replies, id=model_id)
    run = Session(shell, view="none").run("Double 21.", RunConfig(model=model_id), model=model)
    model.assert_all_used()
    return run


def test_transcript_is_schema_valid_complete_and_redacted(shell: InteractiveShell, tmp_path: Path) -> None:
    run = _run(shell, REPLIES)
    path = transcript.export(run, tmp_path / "run.json")
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


def test_validate_rejects_other_json() -> None:
    with pytest.raises(ValueError, match="transcript"):
        transcript.validate({"format": "something-else", "version": 1})


def test_minimal_check_without_jsonschema() -> None:
    data = json.loads(FIXTURE.read_text())
    transcript._minimal_check(data)
    with pytest.raises(ValueError):
        transcript._minimal_check({**data, "version": 2})


def test_jest_fixture_is_schema_valid_and_current(shell: InteractiveShell) -> None:
    """The TypeScript tests read this fixture; it must match what Python writes today."""
    data = json.loads(FIXTURE.read_text())
    transcript.validate(data)
    fresh = transcript.to_dict(_run(shell, REPLIES))
    assert set(data) == set(fresh)
    assert set(data["steps"][0]) == set(fresh["steps"][0])


def test_replay_round_trip(shell: InteractiveShell, tmp_path: Path) -> None:
    path = transcript.export(_run(shell, [r.replace(SECRET, "") for r in REPLIES]), tmp_path / "run.json")
    model = models.resolve("replay:" + path)
    again = Session(shell, view="none").run("Double 21.", RunConfig(model=model.id), model=model)
    assert again.status == "finished" and again.answer == 42
    assert [s.code for s in again.steps] == [s["code"] for s in json.loads(Path(path).read_text())["steps"]]


def test_notebook_export_is_valid(shell: InteractiveShell, tmp_path: Path) -> None:
    run = _run(shell, REPLIES)
    path = transcript.export(run, tmp_path / "run.ipynb")
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
    run = _run(shell, ["The answer is 42."])
    with pytest.raises(ConfigError, match=r"\.ipynb"):
        transcript.export(run, tmp_path / "run.txt")
    with pytest.raises(ConfigError, match="cannot write"):
        transcript.export(run, tmp_path / "missing" / "run.json")


def test_mime_bundle_is_deterministic_and_valid(shell: InteractiveShell) -> None:
    run = _run(shell, REPLIES)
    bundle = transcript.mime_bundle(run)
    assert set(bundle) == {transcript.MIME_TYPE, "text/markdown", "text/plain"}
    assert transcript.MIME_TYPE == "application/vnd.jupyter-autogpt.run+json"
    transcript.validate(bundle[transcript.MIME_TYPE])
    assert bundle["text/plain"] == "<autogpt run: finished, 3 steps: 42>"
    assert bundle["text/plain"] == transcript.mime_bundle(_run(shell, REPLIES))["text/plain"]
    assert SECRET not in json.dumps(bundle)


def test_non_json_answer_is_kept_as_text(shell: InteractiveShell) -> None:
    run = _run(shell, ["```python\nfinal_answer({1, 2})\n```"])
    data = transcript.to_dict(run)
    assert data["answer"] == "{1, 2}"
    transcript.validate(data)


def test_observation_outputs_pair_images_with_their_text() -> None:
    obs = Observation(
        stdout="out\n",
        stderr="warn\n",
        displays=({"text/plain": "<Figure size 640x480 with 1 Axes>"}, {"text/plain": "table"}),
        images=(ImageData("image/png", "iVBOR"),),
        result="3",
        error="Traceback...\nValueError: bad",
        error_name="ValueError",
    )
    outputs = transcript.observation_outputs(obs)
    assert [o["output_type"] for o in outputs] == [
        "stream",
        "stream",
        "display_data",
        "display_data",
        "execute_result",
        "error",
    ]
    assert outputs[2]["data"] == {"text/plain": "table"}
    assert outputs[3]["data"] == {"image/png": "iVBOR", "text/plain": "<Figure size 640x480 with 1 Axes>"}
    assert outputs[5]["evalue"] == "bad"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outputs)])
    nbformat.validate(nbformat.from_dict(nb))
