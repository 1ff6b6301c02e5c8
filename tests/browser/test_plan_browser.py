"""``--plan`` in a real JupyterLab + headless Chromium: the plan waits in the live view, the user edits it mid-cell,
and the edit reaches the model (the loopback server records what it was sent).

The kernel reaches the loopback server through ``OPENAI_BASE_URL``: JupyterLab is started with it in its
environment, and its kernels inherit it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

pytest.importorskip("playwright")
if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium (apt-get install -y chromium)", allow_module_level=True)

from harness import CURRENT_NOTEBOOK, LabServer, launch_chromium, open_notebook, run_all, start_lab

from conftest import SECRET_KEY
from support.openai_server import FakeOpenAIServer
from support.replies import code

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
PROPOSED = "print('the proposed code ran')"
FIRST = f"Plan:\n1. Look at x\n2. Answer\n```python\n{PROPOSED}\n```"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, server: FakeOpenAIServer) -> Iterator[LabServer]:
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "root"
    root.mkdir()
    cells = ["%load_ext jupyter_autogpt\nx = 21", "%%autogpt --plan --no-cells\nWhat is x tripled?"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(notebook, root / "plan.ipynb")
    saved = {k: os.environ.get(k) for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    os.environ.update(OPENAI_API_KEY=SECRET_KEY, OPENAI_BASE_URL=server.base_url)  # the lab's kernels inherit them
    try:
        with start_lab(tmp, root) as started:
            yield started
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def page(lab: LabServer) -> Iterator[Any]:
    with launch_chromium() as context:
        page = context.new_page()
        yield page
        page.close()


def test_an_edited_plan_reaches_the_model_and_the_proposed_code_never_runs(
    lab: LabServer, page: Any, server: FakeOpenAIServer
) -> None:
    server.queue(FIRST, code("final_answer(x * 3)", "Following your plan."))
    open_notebook(page, lab, "plan.ipynb")
    run_all(page)
    nb = page.locator(CURRENT_NOTEBOOK)
    editor = nb.locator(".autogpt-plan-editor textarea")
    editor.wait_for(timeout=30_000)  # the kernel is busy in the %%autogpt cell, waiting for the review
    assert editor.input_value() == "1. Look at x\n2. Answer"
    view = nb.locator(".autogpt-view")
    assert "▶ Look at x" in view.inner_text() and "waiting for review" in view.inner_text()
    editor.fill("1. Look at x twice\n2. Answer in words")
    nb.locator(".autogpt-plan-feedback input").fill("keep it short")
    ARTIFACTS.mkdir(exist_ok=True)
    view.screenshot(path=str(ARTIFACTS / "plan-review.png"))
    nb.locator(".autogpt-plan-run").click()  # a click while the cell still runs
    transcript = nb.locator(".autogpt-transcript")
    transcript.wait_for(timeout=30_000)
    text = transcript.inner_text()
    assert "☑ Look at x twice" in text and "☑ Answer in words" in text and "edited by you" in text
    result = nb.locator(".jp-Cell").nth(1).locator(".jp-OutputArea-output").last
    result.get_by_text("63").wait_for(timeout=10_000)
    assert server.wait_for_requests(2, timeout=10)
    second = json.dumps(server.requests[1].body)
    assert "1. Look at x twice\\n2. Answer in words" in second and "User feedback: keep it short" in second
    assert "the proposed code ran" not in nb.inner_text()
    nb.locator(".jp-Cell").nth(1).screenshot(path=str(ARTIFACTS / "plan-finished.png"))
