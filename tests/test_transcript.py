"""The run transcript format: its schema, a run and a step as JSON, outputs, reading replies back for a replay."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_autogpt import models, transcript
from jupyter_autogpt.session import Session
from jupyter_autogpt.types import ImageData, Observation, RunConfig
from jupyter_autogpt.ui import export
from support.runs import followup_run, scripted_run

FIXTURE = Path(__file__).parents[1] / "labextension" / "test" / "fixtures" / "run.json"
REPLIES = [
    "Look first.\n```python\nx = 21\nprint('x is', x)\nx * 2\n```",
    "Oops.\n```python\n1 / 0\n```",
    "```python\nfinal_answer(x * 2)\n```",
]


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


def test_the_constants_come_from_the_schema_shared_with_the_labextension() -> None:
    schema = transcript.load_schema()
    assert transcript.MIME_TYPE == schema["x-mime-type"] == "application/vnd.jupyter-autogpt.run+json"
    assert schema["x-comm-target"] == transcript.COMM_TARGET
    assert (transcript.CELL_TAG, transcript.METADATA_KEY) == ("autogpt-generated", "jupyter_autogpt")


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
    fresh = transcript.to_dict(followup_run(shell))  # a follow-up with instructions and a plan: every section
    assert set(data) == set(fresh)
    assert set(data["steps"][0]) == set(fresh["steps"][0])
    for key in ("thread", "instructions", "plan"):
        assert set(data[key]) == set(fresh[key])
    assert set(data["thread"]["runs"][0]) == set(fresh["thread"]["runs"][0])
    assert set(data["plan"]["items"][0]) == set(fresh["plan"]["items"][0])


def test_replay_round_trip(shell: InteractiveShell, tmp_path: Path) -> None:
    path = export.write(scripted_run(shell, REPLIES), tmp_path / "run.json")
    model = models.resolve("replay:" + path)
    again = Session(shell, view="none").run("Double 21.", RunConfig(model=model.id), model=model)
    assert again.status == "finished" and again.answer == 42
    assert [s.code for s in again.steps] == [s["code"] for s in json.loads(Path(path).read_text())["steps"]]


def test_replies_are_read_from_a_transcript_or_a_list_of_strings(shell: InteractiveShell) -> None:
    data = transcript.to_dict(scripted_run(shell, REPLIES))
    assert transcript.replies(data) == REPLIES
    assert transcript.replies(["only one"]) == ["only one"]
    for empty in ({"steps": []}, [], [1, 2], "text"):
        with pytest.raises(ValueError, match="run transcript or a JSON list of strings"):
            transcript.replies(empty)


def test_non_json_answer_is_kept_as_text(shell: InteractiveShell) -> None:
    run = scripted_run(shell, ["```python\nfinal_answer({1, 2})\n```"])
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
