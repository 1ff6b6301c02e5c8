"""The live widget view in a real JupyterLab + headless Chromium: it appears, updates, stops, and approves.

Clicks land while the ``%%autogpt`` cell is still running: this is what ``ui/clicks.py`` makes work on ipykernel 7.4.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright")
if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium (apt-get install -y chromium)", allow_module_level=True)

from harness import CURRENT_NOTEBOOK, LabServer, launch_chromium, open_notebook, run_all, start_lab

pytestmark = pytest.mark.browser

NOTEBOOKS = Path(__file__).parent / "notebooks"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "root"
    shutil.copytree(NOTEBOOKS, root)
    with start_lab(tmp, root) as server:
        yield server


@pytest.fixture(scope="module")
def context() -> Iterator[Any]:
    with launch_chromium() as ctx:
        yield ctx


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    page = context.new_page()
    yield page
    page.close()


def test_stop_button_ends_the_run_while_the_cell_runs(lab: LabServer, page: Any) -> None:
    open_notebook(page, lab, "stop.ipynb")
    run_all(page)
    nb = page.locator(CURRENT_NOTEBOOK)
    view = nb.locator(".autogpt-view")
    view.wait_for(timeout=20_000)
    nb.get_by_text("running…").first.wait_for(timeout=10_000)  # step 1's code is sleeping in the kernel
    assert "step 1/3" in view.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    view.screenshot(path=str(ARTIFACTS / "widgets-live.png"))
    nb.locator(".autogpt-stop").click()  # the kernel is busy in step 1's time.sleep
    transcript = nb.locator(".autogpt-transcript")
    transcript.wait_for(timeout=15_000)
    text = transcript.inner_text()
    assert "interrupted" in text and "Step 1" in text and "Step 2" not in text  # a missed click would run 2 more
    # the summary line is the cell's result, right below the transcript (saved with it, never repeated in it)
    outputs = nb.locator(".jp-Cell").nth(1).locator(".jp-OutputArea")
    outputs.get_by_text("stopped by the user").wait_for(timeout=5_000)
    assert nb.locator(".autogpt-view").count() == 0  # the live view was replaced, not duplicated


def test_approve_edit_and_run_executes_the_edited_code(lab: LabServer, page: Any) -> None:
    open_notebook(page, lab, "approve.ipynb")
    run_all(page)
    nb = page.locator(CURRENT_NOTEBOOK)
    edit = nb.locator(".autogpt-approve-edit")
    edit.wait_for(timeout=20_000)
    editor = nb.locator(".autogpt-editor textarea")
    assert editor.input_value() == "print('original')" and editor.is_disabled()
    edit.click()
    page.wait_for_function("() => !document.querySelector('.autogpt-editor textarea').disabled", timeout=3_000)
    editor.fill("print('edited-' + 'ok')")
    nb.locator(".autogpt-view input[type=text]").fill("printed the edited greeting")
    ARTIFACTS.mkdir(exist_ok=True)
    nb.locator(".autogpt-view").screenshot(path=str(ARTIFACTS / "widgets-approval.png"))
    nb.locator(".autogpt-approve-run").click()
    transcript = nb.locator(".autogpt-transcript")
    transcript.wait_for(timeout=15_000)
    text = transcript.inner_text()
    assert "finished" in text and "The edited step ran; done." not in text  # the answer is the cell's result:
    result = nb.locator(".jp-Cell").nth(1).locator(".jp-OutputArea-output").last
    result.get_by_text("The edited step ran; done.").wait_for(timeout=5_000)
    assert "finished · 2 steps" in result.inner_text()
    nb.locator(".autogpt-transcript details").first.locator("summary").click()  # open step 1
    text = transcript.inner_text()
    assert "edited-ok" in text and "'original'" not in text
    nb.locator(".jp-Cell").nth(1).screenshot(path=str(ARTIFACTS / "widgets-finished.png"))
