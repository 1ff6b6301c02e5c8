"""Re-execute the example notebooks offline and save them with their outputs: what nbval then compares.

Run it after editing a notebook or re-recording a run (a live Run All with a key records into
example_notebooks/recordings/). Each notebook runs in a fresh kernel of this Python, offline (no key, no
server: every %%autogpt cell replays its recording), with the static view (``AUTOGPT_VIEW=static``: the
transcript the live view leaves, without widgets), so ``pytest --nbval example_notebooks/`` reproduces the
saved outputs exactly. Files the notebooks write (a worksheet, a tiny model) are removed afterwards.

    python scripts/refresh_examples.py [NAME.ipynb ...]
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "example_notebooks"
#: What the notebooks leave beside themselves (also in .gitignore).
LEFT_BEHIND = ("lesson.ipynb", "tiny-model")
#: The environment of a reproducible run: offline, the static view, inline figures, no progress bars.
OFFLINE = {"AUTOGPT_VIEW": "static", "MPLBACKEND": "module://matplotlib_inline.backend_inline",
           "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error"}
ONLINE = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AUTOGPT_MODEL")


def offline_environment() -> None:
    """Set this process's environment (kernels inherit it) to the offline, static one nbval uses."""
    for name in ONLINE:
        os.environ.pop(name, None)
    os.environ.update(OFFLINE)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)


def clean_up() -> None:
    for name in LEFT_BEHIND:
        path = EXAMPLES / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def refresh(path: Path) -> float:
    """Execute the notebook at ``path`` and write it back with its outputs; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    client = NotebookClient(nb, kernel_name="python3", timeout=600, record_timing=False,
                            resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()
    seconds = time.perf_counter() - started
    nbformat.write(nb, path)
    return seconds


def main(names: list[str]) -> int:
    offline_environment()
    paths = [EXAMPLES / n for n in names] if names else sorted(EXAMPLES.glob("[0-9]*.ipynb"))
    try:
        for path in paths:
            print(f"{path.name}: {refresh(path):.1f}s")
    finally:
        clean_up()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
