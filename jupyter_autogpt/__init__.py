"""jupyter-autogpt: an AutoGPT-style agent loop inside your own Jupyter kernel.

``%load_ext jupyter_autogpt`` registers ``%%autogpt`` and ``%autogpt``; importing the package is cheap
(no openai, torch or widgets until a run needs them).
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from ._version import __version__

__all__ = [
    "__version__", "clean_code", "last_run", "load_ipython_extension", "runs", "summarize", "unload_ipython_extension",
]

if TYPE_CHECKING:
    from .clean import CleanCode
    from .types import Run

# A library's log is the application's to show: without this, Python's last-resort handler would print an
# internal error's traceback into the user's cell (the run's one-line error says where the traceback is).
logging.getLogger(__name__).addHandler(logging.NullHandler())


def last_run() -> Run | None:
    """Return the latest run of this kernel, or ``None`` before the first."""
    from .session import last_run as _last_run

    return _last_run()


def runs() -> list[Run]:
    """Return this kernel's runs (the latest 100), oldest first; ``%autogpt history`` shows them as a table."""
    from .session import runs as _runs

    return _runs()


def clean_code(run: Run | None = None) -> CleanCode:
    """Return the clean code of ``run`` (default: the latest run): the steps its answer needs, as one script.

    ``.code`` is the script (``%autogpt export analysis.py`` writes it), ``.expects`` the variables it reads,
    ``.kept`` and ``.dropped`` the steps kept and dropped (failed, skipped, exploratory). For a follow-up
    (``-c``) it starts with what the answer needs of the runs it continues, as far back as this kernel keeps them.

    Raises
    ------
    ValueError
        When there is no run yet.
    """
    from . import clean, transcript
    from .session import earlier_runs

    run = run if run is not None else last_run()
    if run is None:
        raise ValueError("no %%autogpt run in this kernel yet: run one, or pass a run")
    return clean.of_transcript(transcript.to_dict(run), [transcript.to_dict(r) for r in earlier_runs(run)])


def summarize(obj: Any, max_chars: int = 2000) -> str:
    """Return a bounded, informative description of ``obj`` (what the agent sees of it)."""
    from .execution.summaries import summarize as _summarize

    return _summarize(obj, max_chars)


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%%autogpt`` and ``%autogpt`` magics (``%load_ext jupyter_autogpt``)."""
    from . import warmup
    from .magic import AutoGPTMagics

    ipython.register_magics(AutoGPTMagics(shell=ipython))
    warmup.start(ipython)  # what the first run needs, imported while the user writes it


def unload_ipython_extension(ipython: Any) -> None:
    """Undo ``%load_ext``: forget the magics and their configured instance, and free local models.

    The latest run stays available as ``last_run()`` (and ``%autogpt undo`` after ``%load_ext`` again).
    """
    from .magic import AutoGPTMagics, _free_local_models

    manager = ipython.magics_manager
    for kind in ("line", "cell"):
        manager.magics[kind].pop("autogpt", None)
    if isinstance(manager.registry.get(AutoGPTMagics.__name__), AutoGPTMagics):
        del manager.registry[AutoGPTMagics.__name__]
    _free_local_models()
    cells = sys.modules.get("jupyter_autogpt.ui.cells")
    if cells is not None:
        cells.close()
