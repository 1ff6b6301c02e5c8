"""Hostile model text in a real JupyterLab + Chromium: nothing it holds runs, in any view, live or saved.

A replayed run whose replies, thinking, step displays (HTML and Markdown), printed output and final answer hold
every input of ``support.hostile.HOSTILE``. The notebook also shows the run's display bundle (the labextension's
renderer) and its Markdown as trusted outputs, and the run is exported and opened as a notebook. Any dialog the
page opens is recorded: a positive control (a trusted ``<img onerror=alert(7)>`` of the user's own) proves the
detector sees script that runs, and it must be the only dialog. The DOM of every output is then audited.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

pytest.importorskip("playwright")
if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium (apt-get install -y chromium)", allow_module_level=True)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import CURRENT_NOTEBOOK, LabServer, launch_chromium, open_notebook, run_all, start_lab, wait_idle

from support.hostile import HOSTILE

pytestmark = pytest.mark.browser

ALL = "\n\n".join(HOSTILE.values())
STEP_CODE = (
    "import json\nfrom IPython.display import HTML, Markdown, display\n"
    "texts = json.load(open('texts.json'))\n"
    "for t in texts:\n    display(HTML(t))\n    display(Markdown(t))\n    print(t)\n"
)
REPLIES = [
    f"<think>{ALL}</think>\nShowing them.\n```python\n{STEP_CODE}```\n{ALL}",
    "```python\nfinal_answer(open('answer.md').read())\n```",  # the answer: the cell's Markdown result
]
CELLS = [
    "%load_ext jupyter_autogpt",
    "%%autogpt --model replay:replies.json --max-steps 3 --no-cells\nShow the texts.",
    "import jupyter_autogpt\nfrom jupyter_autogpt.ui import export\nr = jupyter_autogpt.last_run()\n"
    "bundle = export.mime_bundle(r)\ndisplay(bundle, raw=True)\n"
    "display({'text/markdown': bundle['text/markdown']}, raw=True)\n"
    "export.write(r, 'exported.ipynb')\nprint(r.status, len(r.steps))",
    "from IPython.display import HTML\nHTML('<img src=x onerror=\"alert(7)\">')  # the positive control",
    "print('ALL-CELLS-' + 'DONE')",
]
AUDIT = """(root) => {
  const found = [];
  for (const el of document.querySelectorAll(root)) {
    for (const node of [el, ...el.querySelectorAll('*')]) {
      const tag = node.tagName.toLowerCase();
      if (['script', 'iframe', 'object', 'embed', 'form', 'base', 'meta', 'frame'].includes(tag)) found.push('<' + tag + '>');
      for (const attr of node.getAttributeNames()) {
        if (attr.toLowerCase().startsWith('on')) found.push(tag + '[' + attr + '] ' + node.getAttribute(attr));
      }
      if (tag === 'a' && node.hasAttribute('href') && !['http:', 'https:', 'mailto:'].includes(node.protocol)) {
        found.push('a[href=' + node.getAttribute('href') + ']');
      }
      if (tag === 'img' && !(node.getAttribute('src') || '').startsWith('data:')) {
        found.push('img[src=' + node.getAttribute('src') + ']');
      }
    }
  }
  return found;
}"""
OUTPUTS = f"{CURRENT_NOTEBOOK} .jp-OutputArea, {CURRENT_NOTEBOOK} .jp-MarkdownOutput"


def reveal(nb: Any, links: str) -> None:
    """Bring every cell on screen (images off screen may never load, so never fail) and hover every link."""
    for cell in nb.locator(".jp-Cell").all():
        cell.scroll_into_view_if_needed(timeout=5_000)
    for link in nb.locator(links).all():  # the first report was an onmouseover in a link
        if link.is_visible():
            link.hover(timeout=5_000)


def _write_notebook(root: Path) -> None:
    (root / "replies.json").write_text(json.dumps(REPLIES))
    (root / "texts.json").write_text(json.dumps(list(HOSTILE.values())))
    (root / "answer.md").write_text(f"The findings:\n\n{ALL}")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    nbformat.write(nb, root / "hostile.ipynb")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    tmp = tmp_path_factory.mktemp("hostile-lab")
    root = tmp / "root"
    root.mkdir()
    _write_notebook(root)
    with start_lab(tmp, root) as server:
        yield server


@pytest.fixture
def page(lab: LabServer) -> Iterator[tuple[Any, list[str]]]:
    dialogs: list[str] = []
    with launch_chromium() as ctx:
        page = ctx.new_page()

        def on_dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        yield page, dialogs
        page.close()


def test_nothing_in_hostile_model_text_runs_in_any_view(lab: LabServer, page: tuple[Any, list[str]]) -> None:
    tab, dialogs = page
    open_notebook(tab, lab, "hostile.ipynb")
    run_all(tab)
    nb = tab.locator(CURRENT_NOTEBOOK)
    nb.get_by_text("ALL-CELLS-DONE").wait_for(timeout=120_000)
    wait_idle(tab)
    tab.evaluate("() => document.querySelectorAll('.jp-OutputArea details').forEach(d => { d.open = true; })")
    reveal(nb, ".jp-OutputArea a")
    assert nb.locator(".autogpt-transcript").count() == 1 and nb.locator(".jp-AutoGPTRun").count() == 1
    assert "finished 2" in nb.locator(".jp-Cell").nth(2).inner_text()
    shown = nb.locator(".jp-Cell").nth(1).text_content() or ""
    assert "onerror=alert(1)" in shown and "javascript:alert(1)" in shown  # shown as text, not dropped
    assert dialogs == ["7"], dialogs  # the control ran; nothing of the model's did
    found = tab.evaluate(AUDIT, OUTPUTS)  # the control, and only it (JupyterLab points its src at the server)
    assert len(found) == 2 and found[0] == "img[onerror] alert(7)" and found[1].startswith("img[src="), found


def test_the_exported_notebook_opens_inert(lab: LabServer, page: tuple[Any, list[str]]) -> None:
    tab, dialogs = page
    exported = lab.root / "exported.ipynb"
    if not exported.exists():
        pytest.skip("needs the run of the test above")
    nbformat.validate(nbformat.read(exported, as_version=4))
    open_notebook(tab, lab, "exported.ipynb")
    nb = tab.locator(CURRENT_NOTEBOOK)
    nb.locator(".jp-MarkdownOutput").get_by_text("The findings:").wait_for(timeout=30_000)
    reveal(nb, ".jp-MarkdownOutput a")
    assert dialogs == []
    # Our Markdown cells; the code cells' outputs are what the step's code displayed, rendered by JupyterLab's
    # own sanitiser as the untrusted outputs of any notebook (it keeps a data: link and a form, neither runs).
    assert tab.evaluate(AUDIT, f"{CURRENT_NOTEBOOK} .jp-MarkdownCell .jp-MarkdownOutput") == []
