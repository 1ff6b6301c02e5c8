"""Run the agent's code in the user's own IPython namespace, capturing everything it shows.

The only execution module that imports IPython. Facts it is built on (see ARCHITECTURE.md):
- ``shell.run_cell(code, store_history=False)`` from inside a cell magic runs in the user namespace.
- Under ``capture_output`` the last expression's value arrives as a display output.
- Under ipykernel a nested cell's traceback goes straight to the frontend unless ``_showtraceback`` is routed.
- A KeyboardInterrupt inside a nested ``run_cell`` is swallowed into ``error_in_exec``: re-raise it.
"""

from __future__ import annotations

import ast
import base64
import io
import builtins
import getpass
import re
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from .. import policy
from ..protocol import truncate_middle
from ..redaction import redact, redact_data
from ..types import ImageData, Observation
from . import inspect

__all__ = ["IPythonExecutor"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_IMAGE_TYPES = ("image/png", "image/jpeg")
#: Displayed text kept per output before the prompt-level cut (bounds memory for huge outputs).
CAPTURE_CHARS = 100_000


class _ResultHook:
    """A display hook that keeps the formatted value of a step's last expression."""

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self.results: list[_Formatted] = []

    def __call__(self, value: Any = None) -> None:
        if value is None:
            return
        data, metadata = self.shell.display_formatter.format(value)
        self.results.append(_Formatted(data, metadata))


class _Formatted:
    def __init__(self, data: dict[str, Any], metadata: dict[str, Any]) -> None:
        self.data, self.metadata = data, metadata


def _no_input(*_args: Any, **_kwargs: Any) -> str:
    raise RuntimeError("no interactive input during an autogpt run: compute the value or pick a sensible default")


class IPythonExecutor:
    """Execute code in ``shell``'s user namespace and observe the result.

    Parameters
    ----------
    shell
        The running IPython shell (the user's kernel).
    output_chars
        Bound on each captured stream kept in an observation.
    """

    def __init__(self, shell: InteractiveShell, output_chars: int = CAPTURE_CHARS) -> None:
        self.shell = shell
        self.output_chars = output_chars
        self._saved_answer: tuple[bool, Any] = (False, None)
        self._answer: list[Any] = []
        self._lock = threading.Lock()
        self._running = False
        self._timed_out = False
        self._recent: tuple[int, list[str]] = (-1, [])

    # -- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Bind ``final_answer`` in the user namespace (remembering a binding the user had)."""
        ns = self.shell.user_ns
        self._saved_answer = ("final_answer" in ns, ns.get("final_answer"))
        ns["final_answer"] = self._final_answer

    def stop(self) -> None:
        """Restore the user's ``final_answer`` binding, or remove ours."""
        ns = self.shell.user_ns
        had, value = self._saved_answer
        if had:
            ns["final_answer"] = value
        elif ns.get("final_answer") == self._final_answer:
            del ns["final_answer"]

    def _final_answer(self, value: Any = None) -> Any:
        """Finish the run with ``value`` as its answer (any Python object)."""
        self._answer.append(value)
        return None

    # -- the namespace --------------------------------------------------------------------------------------

    def user_names(self) -> list[str]:
        """Return the user's variable names, most recently assigned first.

        Excludes IPython's own names (``In``, ``Out``, ``_i3``, ...), modules, and ours.
        """
        ns, hidden = self.shell.user_ns, self.shell.user_ns_hidden
        names = [
            n
            for n, v in ns.items()
            if not n.startswith("_")
            and (n not in hidden or hidden[n] is not v)
            and n not in {"In", "Out", "exit", "quit", "get_ipython", "final_answer"}
            and not isinstance(v, types.ModuleType)
        ]
        recent = self._recently_assigned()
        rank = {n: i for i, n in enumerate(recent)}
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), names.index(n)))

    def _recently_assigned(self) -> list[str]:
        """Return names bound by the user's recent cells, newest first (from the input history)."""
        history = self.shell.user_ns.get("In", [])
        if not isinstance(history, list):
            return []
        if self._recent[0] == len(history):
            return self._recent[1]
        seen: list[str] = []
        for source in reversed(history[-50:]):
            try:
                tree = ast.parse(self.shell.transform_cell(source))
            except (SyntaxError, ValueError, TypeError):
                continue
            seen.extend(sorted(policy.rebound_names(tree) - set(seen)))
        self._recent = (len(history), seen)
        return seen

    def overview(self, max_chars: int, focus: Sequence[str] = ()) -> str:
        return redact(inspect.overview(self.shell.user_ns, self.user_names(), max_chars, focus))

    def describe(self, names: Sequence[str], max_chars: int) -> str:
        return redact(inspect.describe(self.shell.user_ns, list(names), max_chars))

    def _bindings(self) -> dict[str, int]:
        return {n: id(v) for n, v in self.shell.user_ns.items() if not n.startswith("_")}

    # -- running code -----------------------------------------------------------------------------------------

    def run(self, code: str, timeout: float | None = None) -> Observation:
        """Run ``code`` in the user namespace and return what it produced.

        Raises
        ------
        KeyboardInterrupt
            When the user interrupted the kernel during the step (not when ``timeout`` fired).
        """
        refused = self._refusal(code)
        if refused:
            return Observation(error=refused, error_name="Refused")
        before = self._bindings()
        figures_before = _figure_numbers()
        self._answer.clear()
        started = time.monotonic()
        errors: list[str] = []
        hook = _ResultHook(self.shell)
        with capture_output() as captured, self._guarded(errors.append, hook), self._deadline(timeout):
            try:
                result = self.shell.run_cell(code, store_history=False)
            except KeyboardInterrupt:
                if not self._timed_out:
                    raise
                result = None
        duration = time.monotonic() - started
        exc = getattr(result, "error_in_exec", None)
        if isinstance(exc, KeyboardInterrupt) and not self._timed_out:
            raise KeyboardInterrupt from exc
        error, error_name = self._error_text(result, errors, timeout, duration)
        after = self._bindings()
        changed = tuple(n for n, i in after.items() if before.get(n) != i and n != "final_answer")
        displays, images = self._displays(captured.outputs)
        result_displays, result_images = self._displays(hook.results[-1:])
        images = result_images + images
        result_text = result_displays[0].get("text/plain") if result_displays else None
        images += self._open_figures(figures_before)
        return Observation(
            stdout=redact(self._clean(captured.stdout)),
            stderr=redact(self._clean(captured.stderr)),
            result=redact(str(result_text)) if result_text is not None else None,
            displays=displays,
            images=images,
            error=redact(error) if error else None,
            error_name=error_name,
            duration=duration,
            answered=bool(self._answer),
            answer=self._answer[-1] if self._answer else None,
            changed=changed,
        )

    def _refusal(self, code: str) -> str | None:
        killer = policy.kernel_killer(code)
        if killer:
            return (
                f"Refused before running: `{killer}(...)` would stop the user's kernel. "
                "To finish, call final_answer(value); to report a problem, raise an exception."
            )
        if policy.top_level_await(code):
            return (
                "Refused before running: top-level `await` cannot run inside an agent step (the kernel's event "
                "loop is already running). Use synchronous APIs instead."
            )
        return None

    def _error_text(self, result: Any, errors: list[str], timeout: float | None, duration: float) -> tuple[str | None, str | None]:
        if self._timed_out:
            return (
                f"StepTimeout: the step ran longer than the {timeout:g}s timeout and was interrupted after "
                f"{duration:.1f}s. Make it faster (sample the data, vectorise) or split it into smaller steps.",
                "StepTimeout",
            )
        exc = None if result is None else (result.error_before_exec or result.error_in_exec)
        if exc is None and not errors:
            return None, None
        text = "\n".join(errors) if errors else f"{type(exc).__name__}: {exc}"
        return truncate_middle(self._clean(text), self.output_chars), type(exc).__name__ if exc else "Error"

    @contextmanager
    def _guarded(self, on_traceback: Callable[[str], None], hook: _ResultHook) -> Iterator[None]:
        """Route tracebacks and the last value to us, answer ``input()`` with an error; restore all after."""
        shell = self.shell
        saved_hooks = sys.displayhook, shell.display_trap.hook
        # A nested run_cell overwrites the outer cell's bookkeeping; the %%autogpt cell must keep its own.
        saved_results = shell.displayhook.exec_result, shell.last_execution_result, shell.last_execution_succeeded
        own = "_showtraceback" in vars(shell)
        saved_tb = vars(shell).get("_showtraceback")
        saved_input, saved_getpass = builtins.input, getpass.getpass

        def record(etype: type, evalue: BaseException, stb: list[str]) -> None:
            on_traceback("\n".join(stb) if isinstance(stb, list) else str(stb))

        shell._showtraceback = record  # type: ignore[method-assign]
        builtins.input, getpass.getpass = _no_input, _no_input  # type: ignore[assignment]
        # A nested run_cell installs display_trap.hook unless a trap is already active (as in a magic).
        sys.displayhook = shell.display_trap.hook = hook
        try:
            yield
        finally:
            sys.displayhook, shell.display_trap.hook = saved_hooks
            shell.displayhook.exec_result, shell.last_execution_result, shell.last_execution_succeeded = saved_results
            builtins.input, getpass.getpass = saved_input, saved_getpass  # type: ignore[assignment]
            if own:
                shell._showtraceback = saved_tb  # type: ignore[method-assign]
            else:
                del shell._showtraceback

    @contextmanager
    def _deadline(self, timeout: float | None) -> Iterator[None]:
        """Interrupt the main thread with SIGINT if the step outlives ``timeout`` seconds."""
        self._timed_out = False
        if not timeout or threading.current_thread() is not threading.main_thread():
            yield
            return
        main = threading.main_thread().ident

        def fire() -> None:
            with self._lock:
                if self._running:
                    self._timed_out = True
                    signal.pthread_kill(main, signal.SIGINT)  # type: ignore[arg-type]

        timer = threading.Timer(timeout, fire)
        timer.daemon = True
        with self._lock:
            self._running = True
        timer.start()
        try:
            yield
        finally:
            with self._lock:
                self._running = False
            timer.cancel()

    # -- outputs ----------------------------------------------------------------------------------------------

    def _clean(self, text: str) -> str:
        return truncate_middle(_ANSI.sub("", text or ""), self.output_chars)

    def _displays(self, outputs: Sequence[Any]) -> tuple[tuple[dict[str, Any], ...], tuple[ImageData, ...]]:
        displays: list[dict[str, Any]] = []
        images: list[ImageData] = []
        for out in outputs:
            data = dict(getattr(out, "data", None) or {})
            for mime in _IMAGE_TYPES:
                if mime in data:
                    images.append(ImageData(mime, _b64(data[mime])))
            text = {k: v for k, v in data.items() if k.startswith("text/") or k.endswith("json")}
            if "text/plain" in text:
                text["text/plain"] = truncate_middle(str(text["text/plain"]), self.output_chars)
            if "text/html" in text and "text/plain" in text:
                del text["text/html"]  # a DataFrame's HTML says what its text says, ten times longer
            if text:
                displays.append(redact_data(text))
        return tuple(displays), tuple(images)

    def _open_figures(self, figures_before: set[int]) -> tuple[ImageData, ...]:
        """Return (and close) the matplotlib figures a step opened and left unshown (non-inline backends)."""
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is None:
            return ()
        found = []
        for num in sorted(set(plt.get_fignums()) - figures_before):
            fig = plt.figure(num)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight", dpi=72)
            plt.close(fig)
            found.append(ImageData("image/png", base64.b64encode(buf.getvalue()).decode("ascii")))
        return tuple(found)


def _figure_numbers() -> set[int]:
    plt = sys.modules.get("matplotlib.pyplot")
    return set(plt.get_fignums()) if plt is not None else set()


def _b64(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value).replace("\n", "")
