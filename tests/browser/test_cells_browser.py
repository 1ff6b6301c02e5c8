"""The labextension in a real JupyterLab + headless Chromium: a run's steps become cells, re-runs replace them.

Needs the extension installed (``pip install -e .`` builds it) and Debian's chromium.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

pytest.importorskip("playwright")
if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium (apt-get install -y chromium)", allow_module_level=True)

from harness import LabServer, launch_chromium, open_notebook, run_all, start_lab, wait_idle

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
REPLIES = [
    "Look first.\n```python\nx = 21\nprint('x is', x)\nx * 2\n```",
    "Oops.\n```python\n1 / 0\n```",
    "```python\nfinal_answer(x * 2)\n```",
]
# Until the session wires the channel itself, add it once (harmless when it already is).
SETUP = (
    "%load_ext jupyter_autogpt\n"
    "%config AutoGPTMagics.view = 'text'\n"
    "from jupyter_autogpt.ui import cells as _cells\n"
    "_s = get_ipython().find_magic('autogpt').__self__.session\n"
    "_s.renderer_factories.append(_cells.factory) if _cells.factory not in _s.renderer_factories else None"
)
MAGIC = "%%autogpt --model replay:cells.json --max-steps 4\nDouble 21."
CELLS_JSON = "() => window.jupyterapp.shell.currentWidget.model.sharedModel.cells.map(c => c.toJSON())"


def _notebook(root: Path, name: str, magic: str) -> str:
    (root / "cells.json").write_text(json.dumps(REPLIES))
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(magic), nbformat.v4.new_code_cell("'after'")]
    nbformat.write(nb, root / name)
    return name


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    with start_lab(tmp_path_factory.mktemp("cells-lab")) as server:
        yield server


@pytest.fixture
def page(lab: LabServer) -> Iterator[Any]:
    with launch_chromium() as ctx:
        page = ctx.new_page()
        yield page
        page.close()


def _cells(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(CELLS_JSON))


def _wait_cells(page: Any, count: int) -> list[dict[str, Any]]:
    page.wait_for_function(f"() => ({CELLS_JSON})().length === {count}", timeout=60_000)
    wait_idle(page)
    return _cells(page)


def _generated(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in cells if "autogpt-generated" in c["metadata"].get("tags", [])]


def test_steps_become_cells_rerun_replaces_them_and_save_keeps_them(lab: LabServer, page: Any) -> None:
    name = _notebook(lab.root, "cells.ipynb", MAGIC)
    open_notebook(page, lab, name)
    run_all(page)
    cells = _wait_cells(page, 3 + 3)
    assert [c["source"] for c in cells[2:5]] == ["x = 21\nprint('x is', x)\nx * 2", "1 / 0", "final_answer(x * 2)"]
    assert cells[5]["source"] == "'after'"
    first, error = cells[2], cells[3]
    assert first["outputs"][0]["text"] == "x is 21\n" and first["outputs"][1]["data"]["text/plain"] == "42"
    assert error["outputs"][0]["output_type"] == "error" and error["outputs"][0]["ename"] == "ZeroDivisionError"
    marker = first["metadata"]["jupyter_autogpt"]
    assert marker["step"] == 1 and marker["parent"] == cells[1]["id"]
    page.locator(".jp-Cell").nth(4).scroll_into_view_if_needed()
    page.wait_for_selector("text=ZeroDivisionError")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cells-inserted.png"))

    # Re-run only the magic cell: its cells are replaced, not piled up.
    page.evaluate(
        "() => { const nb = window.jupyterapp.shell.currentWidget.content; nb.activeCellIndex = 1;"
        " return window.jupyterapp.commands.execute('notebook:run-cell'); }"
    )
    page.wait_for_function(
        f"() => ({CELLS_JSON})().filter(c => (c.metadata.jupyter_autogpt || {{}}).run_id"
        f" && c.metadata.jupyter_autogpt.run_id !== '{marker['run_id']}').length === 3",
        timeout=60_000,
    )
    wait_idle(page)
    again = _cells(page)
    assert len(again) == 6 and [c["source"] for c in again[2:5]] == [c["source"] for c in cells[2:5]]

    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=10_000)
    saved = nbformat.read(lab.root / name, as_version=4)
    nbformat.validate(saved)
    generated = _generated(saved.cells)
    assert [c.source for c in generated] == [c["source"] for c in cells[2:5]]
    assert generated[0].outputs[0]["text"] == "x is 21\n"


SHOW = (
    "import jupyter_autogpt\nfrom jupyter_autogpt.ui import export\n"
    "display(export.mime_bundle(jupyter_autogpt.last_run()), raw=True)"
)


def test_no_cells_then_the_transcript_renders_and_inserts_on_command(lab: LabServer, page: Any) -> None:
    name = _notebook(lab.root, "nocells.ipynb", MAGIC.replace("--max-steps 4", "--max-steps 4 --no-cells"))
    nb = nbformat.read(lab.root / name, as_version=4)
    nb.cells[2].source = SHOW
    nbformat.write(nb, lab.root / name)
    open_notebook(page, lab, name)
    run_all(page)
    view = page.locator(".jp-AutoGPTRun")
    view.wait_for(timeout=60_000)
    wait_idle(page)
    assert _generated(_cells(page)) == []  # --no-cells
    assert "Double 21." in view.inner_text() and "Answer: 42" in view.inner_text()
    page.evaluate(
        "() => { const nb = window.jupyterapp.shell.currentWidget.content; nb.activeCellIndex = 2;"
        " return window.jupyterapp.commands.execute('jupyter-autogpt:insert-run-cells'); }"
    )
    cells = _wait_cells(page, 3 + 3)
    assert [c["source"] for c in _generated(cells)] == [c["source"] for c in cells[3:6]]
    assert cells[3]["source"] == "x = 21\nprint('x is', x)\nx * 2"
    assert cells[3]["metadata"]["jupyter_autogpt"]["parent"] == cells[2]["id"]


def test_the_clean_code_is_inserted_as_one_cell_that_runs_to_the_answer(lab: LabServer, page: Any) -> None:
    name = _notebook(lab.root, "clean.ipynb", MAGIC.replace("--max-steps 4", "--max-steps 4 --no-cells"))
    nb = nbformat.read(lab.root / name, as_version=4)
    nb.cells[2].source = SHOW
    nbformat.write(nb, lab.root / name)
    open_notebook(page, lab, name)
    run_all(page)
    page.locator(".jp-AutoGPTRun").wait_for(timeout=60_000)
    wait_idle(page)
    page.evaluate(
        "() => { const nb = window.jupyterapp.shell.currentWidget.content; nb.activeCellIndex = 2;"
        " return window.jupyterapp.commands.execute('jupyter-autogpt:insert-clean-cell'); }"
    )
    cells = _wait_cells(page, 3 + 1)
    [clean] = _generated(cells)
    assert clean == cells[3]
    assert "x = 21" in clean["source"] and "answer = x * 2" in clean["source"] and "1 / 0" not in clean["source"]
    assert clean["metadata"]["jupyter_autogpt"] == {"run_id": clean["metadata"]["jupyter_autogpt"]["run_id"], "step": 0,
                                                    "clean": True, "parent": cells[2]["id"]}
    page.evaluate(  # the clean cell re-runs on its own to the same answer
        "() => { const nb = window.jupyterapp.shell.currentWidget.content; nb.activeCellIndex = 3;"
        " return window.jupyterapp.commands.execute('notebook:run-cell'); }"
    )
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.model.sharedModel.cells[3].toJSON().outputs.length > 0",
        timeout=60_000,
    )
    outputs = _cells(page)[3]["outputs"]
    assert [o.get("text") for o in outputs] == ["42\n"]
