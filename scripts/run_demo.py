"""Execute example_notebooks/demo.ipynb end to end in a real kernel and print the agent's answer.

Offline by default (a recorded run); set AUTOGPT_MODEL=openai:gpt-4o-mini and OPENAI_API_KEY for a live model.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    source = ROOT / "example_notebooks" / "demo.ipynb"
    target = ROOT / "artifacts" / "demo.out.ipynb"
    target.parent.mkdir(exist_ok=True)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(source, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(source.parent)}}).execute()
    nbformat.write(nb, target)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    last = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    print(last.strip())
    print(f"executed notebook: {target}")
    return 1 if errors or not last.startswith("finished") else 0


if __name__ == "__main__":
    sys.exit(main())
