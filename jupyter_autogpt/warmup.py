"""Import what the first ``%%autogpt`` run needs in the background, once ``%load_ext`` has returned.

The first run's first request waited ~0.25 s for ``ipywidgets``, ~0.15 s for the loop and the session, and its
first step ~0.2 s for pygments' lexer. ``%load_ext`` stays as cheap as it was: a daemon thread imports them
while the user writes the next cell. Python's import lock makes this safe: a run that starts before the thread is
done waits for the module being imported, as it would have imported it itself.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from typing import Any

__all__ = ["MODULES", "join", "start"]

#: What every run imports before its first request, and what the live view needs (in a kernel with a frontend).
MODULES = ("jupyter_autogpt.session", "jupyter_autogpt.models.openai")
VIEW_MODULES = ("ipywidgets", "jupyter_autogpt.ui.widgets")

_thread: threading.Thread | None = None


def start(shell: Any) -> None:
    """Start importing, once per process, what a run in ``shell`` will need."""
    global _thread
    if _thread is not None:
        return
    view = getattr(shell, "kernel", None) is not None  # the widget view is built only under a kernel
    _thread = threading.Thread(target=_warm, args=(MODULES + (VIEW_MODULES if view else ()),),
                               name="jupyter-autogpt-warmup", daemon=True)
    _thread.start()


def join(timeout: float | None = None) -> None:
    """Wait until the background imports are done (for tests and benchmarks)."""
    if _thread is not None:
        _thread.join(timeout)


def _warm(modules: tuple[str, ...]) -> None:
    for name in modules:
        with contextlib.suppress(Exception):  # e.g. no ipywidgets: the run uses the text view and says so itself
            importlib.import_module(name)
    with contextlib.suppress(Exception):
        from .ui.html_parts import code_html

        code_html("pass")  # builds pygments' Python lexer (~0.2 s the first time)
