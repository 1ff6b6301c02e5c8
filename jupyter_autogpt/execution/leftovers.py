"""Global state a step may leave behind, restored after it with a note to the model.

A step runs in the user's own process, so whatever process-wide state it changes outlives it and changes the
user's later cells. Each keeper below saves one piece before the step and restores it after, noting what it
put back, so the model learns that the change did not persist (and can redo it inside a later step, or tell
the user to make it themselves):

- builtins the step overwrote or deleted (``builtins.print = ...``);
- the working directory (``os.chdir``, ``%cd``): the next step starts where the run started;
- warning filters (``warnings.simplefilter("ignore")`` or ``"error"``); filters that modules imported during
  the step install for themselves are kept;
- trace and profile functions (``sys.settrace``, ``threading.setprofile``);
- pandas options (``pd.set_option("display.max_columns", None)``), numpy print options and floating-point error
  handling (``np.seterr``) of libraries imported before the step;
- the recursion limit (a high one lets deep recursion overflow the C stack and crash the kernel later);
- the namespace itself, when a step wiped it in a way static analysis could not see (``getattr(globals(),
  "clear")()``): every name it removed is put back.

Signal state lives in ``execution.signals``; replaced functions in ``execution.patches``.
"""

from __future__ import annotations

import builtins
import os
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["Builtins", "LibraryOptions", "Namespace", "RecursionLimit", "TraceHooks", "WarningFilters", "WorkingDirectory"]

_MISSING = object()


class Builtins:
    """Put back the builtins a step overwrote or deleted; names it added are left alone."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._saved: dict[str, Any] = {}

    def enter(self) -> None:
        self._saved = dict(vars(builtins))

    def close(self) -> None:
        now = vars(builtins)
        # "_" and friends belong to the display hook
        changed = [n for n, v in self._saved.items() if not n.startswith("_") and now.get(n, _MISSING) is not v]
        for name in changed:
            setattr(builtins, name, self._saved[name])
        self._saved = {}
        if changed:
            self.notes.append(f"Note: the step replaced builtins {', '.join(changed)}; they were restored.")


class WorkingDirectory:
    """Return to the working directory the step started in."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._saved: str | None = None

    def enter(self) -> None:
        try:
            self._saved = os.getcwd()
        except OSError:  # the directory was deleted under us: there is nothing to return to
            self._saved = None

    def close(self) -> None:
        saved = self._saved
        if saved is None:
            return
        try:
            now = os.getcwd()
        except OSError:
            now = "a directory that no longer exists"
        if now != saved:
            os.chdir(saved)
            self.notes.append(f"Note: the step changed the working directory to {now}; it was restored to {saved}. "
                              "Use paths relative to it, or absolute paths.")
        self._saved = None


def _importing(frame: Any, depth: int = 64) -> bool:
    """Return whether ``frame`` runs while a module is being imported (its top level, or a function it calls)."""
    while frame is not None and depth:
        if frame.f_code.co_name == "<module>":
            module = sys.modules.get(frame.f_globals.get("__name__", ""))
            if getattr(getattr(module, "__spec__", None), "_initializing", False):
                return True
        frame, depth = frame.f_back, depth - 1
    return False


class WarningFilters:
    """Undo the step's changes to the warning filters, keeping the filters modules install as they are imported."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._saved: tuple[list[Any], Any, Any] | None = None
        self.imported: list[Any] = []
        self._originals: dict[str, Callable[..., None]] = {
            "filterwarnings": warnings.filterwarnings, "simplefilter": warnings.simplefilter,
        }

    def enter(self) -> None:
        self._saved = (list(warnings.filters), warnings.showwarning, warnings.formatwarning)
        self.imported = []

    def recording(self, name: str) -> Any:
        """Return ``warnings.<name>`` that notes the filters a module installs while it is imported."""
        original = self._originals[name]

        def add_filter(*args: Any, **kwargs: Any) -> None:
            original(*args, **kwargs)
            if _importing(sys._getframe(1)) and warnings.filters:
                self.imported.append(warnings.filters[-1 if kwargs.get("append") else 0])

        add_filter.__name__ = add_filter.__qualname__ = name
        add_filter.__doc__ = original.__doc__
        return add_filter

    def close(self) -> None:
        if self._saved is None:
            return
        before, show, fmt = self._saved
        now = list(warnings.filters)
        kept = [f for f in now if f in self.imported and f not in before] + before
        changed = kept != now or warnings.showwarning is not show or warnings.formatwarning is not fmt
        warnings.filters[:] = kept  # type: ignore[index]  # a list at run time
        warnings._filters_mutated()  # type: ignore[attr-defined]  # the C fast path caches the filters
        warnings.showwarning, warnings.formatwarning = show, fmt
        self._saved = None
        if changed:
            self.notes.append("Note: the step changed the warning filters (or how warnings are shown); they were "
                              "restored. Use `with warnings.catch_warnings():` inside a step instead.")


class TraceHooks:
    """Remove trace and profile functions the step installed (they slow or alter every later cell)."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._saved: tuple[Any, ...] | None = None

    @staticmethod
    def _hooks() -> tuple[Any, ...]:
        return (sys.gettrace(), sys.getprofile(), threading.gettrace(), threading.getprofile())

    def enter(self) -> None:
        self._saved = self._hooks()

    def close(self) -> None:
        saved = self._saved
        if saved is None:
            return
        if not all(a is b for a, b in zip(saved, self._hooks(), strict=True)):
            sys.settrace(saved[0])
            sys.setprofile(saved[1])
            threading.settrace(saved[2])
            threading.setprofile(saved[3])
            self.notes.append("Note: the step installed a trace or profile function (sys.settrace/setprofile); "
                              "it was removed.")
        self._saved = None


class RecursionLimit:
    """Restore the recursion limit (a high one lets deep recursion overflow the C stack and crash the kernel)."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._saved = 0

    def enter(self) -> None:
        self._saved = sys.getrecursionlimit()

    def close(self) -> None:
        saved = self._saved
        if saved and sys.getrecursionlimit() != saved:
            self.notes.append(f"Note: the step set the recursion limit to {sys.getrecursionlimit():,}; "
                              f"it was restored to {saved:,}.")
            sys.setrecursionlimit(saved)
        self._saved = 0


class LibraryOptions:
    """Restore pandas options, numpy print options and numpy's floating-point error handling.

    Only for libraries already imported when the step started: one the step imported starts from its defaults.
    """

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._saved: dict[str, dict[str, Any]] = {}

    def enter(self) -> None:
        self._saved = {}
        for library, read in (("pandas", _pandas_options), ("numpy", _numpy_options)):
            module = sys.modules.get(library)
            if module is not None:
                try:
                    self._saved[library] = read(module)
                except Exception:  # a library version without these APIs: nothing to keep
                    continue

    def close(self) -> None:
        saved = self._saved
        changed: list[str] = []
        if "pandas" in saved:
            changed += _restore_pandas(sys.modules["pandas"], saved["pandas"])
        if "numpy" in saved:
            changed += _restore_numpy(sys.modules["numpy"], saved["numpy"])
        self._saved = {}
        if changed:
            self.notes.append(f"Note: the step changed {', '.join(changed)}; restored for the user's later cells "
                              "(use `with pd.option_context(...)` / `with np.printoptions(...)` inside a step).")


def _pandas_options(pd: Any) -> dict[str, Any]:
    """Return every pandas option as ``{dotted key: value}``, read from pandas' own store (no lookups, no warnings)."""
    flat: dict[str, Any] = {}
    todo: list[tuple[str, dict[str, Any]]] = [("", sys.modules["pandas._config.config"]._global_config)]
    while todo:
        prefix, level = todo.pop()
        for key, value in level.items():
            if isinstance(value, dict):
                todo.append((f"{prefix}{key}.", value))
            else:
                flat[prefix + key] = value
    return flat


def _restore_pandas(pd: Any, saved: dict[str, Any]) -> list[str]:
    changed = [key for key, value in _pandas_options(pd).items() if key in saved and saved[key] is not value
               and saved[key] != value]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key in changed:
            pd.set_option(key, saved[key])
    return [f"pandas option {key}" for key in changed]


def _numpy_options(np: Any) -> dict[str, Any]:
    return {"print": np.get_printoptions(), "err": np.geterr()}


def _restore_numpy(np: Any, saved: dict[str, Any]) -> list[str]:
    changed = []
    if np.get_printoptions() != saved["print"]:
        np.set_printoptions(**saved["print"])
        changed.append("numpy print options")
    if np.geterr() != saved["err"]:
        np.seterr(**saved["err"])
        changed.append("numpy floating-point error handling (np.seterr)")
    return changed


#: Names IPython binds in every namespace: a step that removed them wiped the namespace.
_IPYTHON_OWN = ("In", "Out", "get_ipython", "_ih", "_oh", "_dh", "__builtins__")


class Namespace:
    """Put back a namespace a step wiped (``getattr(globals(), "clear")()``, ``user_ns.clear()`` ...).

    A wipe is told from ordinary ``del`` by IPython's own names disappearing; then every name the step removed
    comes back (references only: the step's new names stay).
    """

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.notes: list[str] = []
        self._saved: tuple[Any, dict[str, Any]] | None = None

    def enter(self) -> None:
        self._saved = (self.shell.user_ns, dict(self.shell.user_ns))

    def close(self) -> None:
        if self._saved is None:
            return
        ns, before = self._saved
        replaced = self.shell.user_ns is not ns
        if replaced:
            self.shell.user_ns = ns
        wiped = [n for n in _IPYTHON_OWN if n in before and n not in ns]
        if wiped:
            gone = [n for n in before if n not in ns]
            ns.update({n: before[n] for n in gone})
            self.notes.append(f"Note: the step wiped the user's namespace ({len(gone):,} names); they were restored. "
                              "Never clear or reset the namespace: work on copies.")
        elif replaced:
            self.notes.append("Note: the step replaced the user's namespace object; it was restored.")
        self._saved = None
