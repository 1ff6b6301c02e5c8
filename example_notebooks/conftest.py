"""nbval for the example notebooks: ``pytest --nbval example_notebooks/`` — strict, offline, reproducible.

* Offline and static, as ``scripts/refresh_examples.py`` saved them: no key, no server, no ``AUTOGPT_MODEL``
  (each ``%%autogpt`` cell replays its recording), ``AUTOGPT_VIEW=static`` (the transcript the live view
  leaves, without widgets: nbval ignores display updates, so a live view cannot be compared). The kernels
  nbval starts inherit this process's environment.
* ``sanitize.cfg`` (used unless ``--nbval-sanitize-with`` names another) replaces only what no re-run can
  repeat: run ids, timings, image bytes inside HTML, memory addresses.
* Cells run with ``store_history=True``, as JupyterLab, Notebook and nbclient run them (nbval alone does not):
  a worksheet's setup cell is read from the notebook's input history (``In``).
* The run's transcript JSON (``application/vnd.jupyter-autogpt.run+json``) is left out of the comparison: it
  holds the run id, timestamps and durations as numbers, which no sanitizer reaches; its content is compared
  through the HTML, Markdown and text of the same output.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))

from refresh_examples import clean_up, offline_environment  # noqa: E402

TRANSCRIPT_MIME = "application/vnd.jupyter-autogpt.run+json"


def _execute_as_frontends_do(self, cell_input, allow_stdin=None):
    return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False)


def pytest_configure(config) -> None:
    offline_environment()
    from nbval.kernel import RunningKernel

    RunningKernel.execute_cell_input = _execute_as_frontends_do
    if getattr(config.option, "nbval_sanitize_with", "missing") is None:
        config.option.nbval_sanitize_with = str(HERE / "sanitize.cfg")


def pytest_collectstart(collector) -> None:
    # nbval's documented hook for output types it must not compare
    if str(getattr(collector, "path", "")).endswith(".ipynb"):
        collector.skip_compare = (*collector.skip_compare, TRANSCRIPT_MIME)


def pytest_unconfigure(config) -> None:
    clean_up()
    os.environ.pop("AUTOGPT_VIEW", None)
