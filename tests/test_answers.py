"""Unbounded answers: every representation of a huge answer stays small, and ``run.answer`` keeps it whole.

Answers of our own: a 20 MB string, five million numbers, a dict of a million entries, 10 MB of bytes, an object
whose ``__repr__`` returns 10 MB, big strings nested in lists, a Markdown answer of 3 MB. The real kernel's side
(what crosses the wire, what the saved notebook holds) is in ``test_kernel_views.py``.
"""

from __future__ import annotations

import io
import json
from typing import Any

import nbformat
import pytest

from jupyter_autogpt import redaction
from jupyter_autogpt.answers import bounded_repr
from jupyter_autogpt.events import FinalAnswer, RunFinished, StepFinished
from jupyter_autogpt.limits import ANSWER_CHARS
from jupyter_autogpt.types import Run, Step, Usage
from jupyter_autogpt.ui import cells, export
from jupyter_autogpt.ui.text import TextRenderer, markdown_transcript
from jupyter_autogpt.ui.widgets.static import StaticTranscript
from support.runs import started
from support.views import Handle, make_view
from test_cells_channel import FakeComm

BOUND = 150_000  # characters: any one representation; the answers below are 100 to 500 times that


class HugeRepr:
    calls = 0

    def __repr__(self) -> str:
        HugeRepr.calls += 1
        return "<" + "r" * 10_000_000 + ">"


ANSWERS: dict[str, Any] = {
    "str-20MB": "x" * 20_000_000,
    "markdown-3MB": "# Report\n\n" + "| a | b |\n|---|---|\n" + "| 1 | **2** |\n" * 200_000,
    "list-5M": list(range(5_000_000)),
    "dict-1M": {f"k{i}": i for i in range(1_000_000)},
    "bytes-10MB": b"\x00" * 10_000_000,
    "huge-repr": HugeRepr(),
    "nested": [["y" * 2_000_000] * 5, {"z": "w" * 3_000_000}],
}


def finished_run(answer: Any) -> Run:
    step = Step(1, "```python\nfinal_answer(big)\n```", "final_answer(big)", "", None, None, Usage(1, 1))
    return Run("make it big", "scripted", "finished", (step,), answer, Usage(1, 1), "r1")


def representations(run: Run) -> dict[str, str]:
    """Return every representation a user, a notebook or a frontend gets of ``run``, as text."""
    view = make_view(Handle())
    comm: list[FakeComm] = []
    channel = cells.CellChannel(lambda **kw: comm.append(FakeComm(**kw)) or comm[-1], presence=cells._Presence())
    out = io.StringIO()
    text = TextRenderer(stream=out)
    for renderer in (view, channel, text):
        renderer.handle(started())
        renderer.handle(StepFinished(run.steps[0]))
        renderer.handle(FinalAnswer(run.answer, run.answer_text()))
        renderer.handle(RunFinished(run))
    return {
        "repr": repr(run),
        "markdown result": run._repr_markdown_(),
        "transcript json": json.dumps(export.to_dict(run)),
        "display bundle": json.dumps(export.mime_bundle(run)),
        "static transcript": json.dumps(StaticTranscript(run)._repr_mimebundle_()),
        "notebook": nbformat.writes(export.to_notebook(run)),
        "markdown transcript": markdown_transcript(run),
        "live answer": view.answer.value,
        "comm": json.dumps([comm[0].open_data, *comm[0].sent]),
        "terminal": out.getvalue(),
    }


@pytest.mark.parametrize("name", list(ANSWERS))
def test_every_representation_of_a_huge_answer_is_bounded(name: str) -> None:
    answer = ANSWERS[name]
    run = finished_run(answer)
    for where, shown in representations(run).items():
        assert len(shown) < BOUND, f"{where}: {len(shown):,} characters"
    assert run.answer is answer  # the object itself, untouched
    assert len(run.answer_text()) <= ANSWER_CHARS and run.answer_text()


def test_the_answer_repr_is_built_once_for_all_views() -> None:
    HugeRepr.calls = 0
    representations(finished_run(HugeRepr()))
    assert HugeRepr.calls == 1


def test_a_cut_never_leaves_a_piece_of_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "tok-" + "S3cr3t" * 6
    monkeypatch.setenv("SERVICE_TOKEN", secret)
    head = ANSWER_CHARS * 2 // 3 - 50  # so the secret straddles where cut_middle cuts
    answer = "a" * head + secret + "b" * (3 * ANSWER_CHARS)
    answers = {"string": answer, "in a list": ["e" + secret, "c" * 1_940 + secret + "d" * 3_000, answer]}
    for where, value in answers.items():
        shown = "".join(representations(finished_run(value)).values())
        assert where == "string" or redaction.REDACTED in shown, where
        for i in range(len(secret) - 8):
            assert secret[i : i + 8] not in shown, (where, secret[i : i + 8])


@pytest.mark.parametrize(
    "value",
    [[1, "a", (2,), {"k": {3}}, frozenset(), set(), (), []], {"b": 1, "a": [None, True, 1.5]}, (1,), "it's", -7],
)
def test_a_small_answer_reads_exactly_as_its_repr(value: Any) -> None:
    assert bounded_repr(value, 1_000) == repr(value)
    assert finished_run(value).answer_text() == (value if isinstance(value, str) else repr(value))


def test_self_containing_and_deep_answers_do_not_break_the_views() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    deep: list[Any] = []
    node = deep
    for _ in range(10_000):
        node.append([])
        node = node[0]
    assert bounded_repr(loop, 100) == repr(loop)
    for answer in (loop, deep):
        shown = representations(finished_run(answer))
        assert all(len(s) < BOUND for s in shown.values())


class ExitingRepr:
    def __repr__(self) -> str:
        raise SystemExit(3)


class LyingClass:
    @property  # type: ignore[misc]
    def __class__(self):
        raise RuntimeError("no class for you")

    def __repr__(self) -> str:
        return "<lying>"


HOSTILE = {
    "repr-raises-SystemExit": ExitingRepr,
    "class-property-raises": LyingClass,
    "list-of-SystemExit": lambda: [ExitingRepr()],
    "dict-of-lying": lambda: {"k": LyingClass()},
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_answer_object_is_shown_without_breaking_any_view(name: str) -> None:
    answer = HOSTILE[name]()
    run = finished_run(answer)
    shown = representations(run)
    assert run.answer is answer and not run.answer_is_text
    assert all(text for text in shown.values())
    assert "repr failed: SystemExit" in run.answer_text() or "lying" in run.answer_text()
