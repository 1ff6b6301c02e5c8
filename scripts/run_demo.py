"""The main job: execute example_notebooks/01-quickstart.ipynb end to end in a real kernel and print the answer.

Offline by default: each %%autogpt cell replays its recording (example_notebooks/recordings/). With
OPENAI_API_KEY (or OPENAI_BASE_URL for a local server) set, the notebook asks the model instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "example_notebooks" / "01-quickstart.ipynb"


def main() -> int:
    target = ROOT / "artifacts" / "quickstart.out.ipynb"
    target.parent.mkdir(exist_ok=True)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(QUICKSTART, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(QUICKSTART.parent)}}).execute()
    nbformat.write(nb, target)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    result = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("run = _"))
    printed = "".join(o.get("text", "") for o in result.outputs).strip()
    print(printed)
    print(f"executed notebook: {target}")
    return 1 if errors or not printed.startswith("finished") else 0


if __name__ == "__main__":
    sys.exit(main())
