"""The shell's own routes to refused actions, closed for the length of a step.

The static assessment reads a step's code; a step can also hand text to the shell, where the assessment never
looks: ``get_ipython().run_cell("%reset -f")``, ``run_cell("%%autogpt ...")``, ``run_line_magic(name, ...)`` with
a computed name, ``find_line_magic("reset")("-f")``, ``magics_manager.magics["line"]["xdel"]``. So while a step
runs, the refusals hold at the places every route ends:

- the magics table: each refused magic (``risk.REFUSED_MAGICS``: ``%autogpt``, ``%reset``, ``%xdel``, ``%exit``,
  ``%debug`` ...; ``%unload_ext``/``%reload_ext`` of this package) is a stand-in that refuses, whatever looked it up;
- ``run_cell`` called by the step's code: its text is assessed like a step (``risk.refused_action``) and never
  enters the user's input history (``store_history`` is forced off);
- ``reset`` and ``reset_selective`` (what ``%reset`` calls; also reached through the magics' classes);
- ``exit_now``, the flag every exit route sets (``exit``, ``ask_exit()``, ``kernel.do_shutdown()``): setting it
  from the step's thread is refused (a shutdown the user asks for comes through the kernel's control thread).

Each refusal raises ``RefusedCall`` in the step's code and is noted for the model. A namespace wiped by other
means is put back by ``execution.leftovers.Namespace``; an agent started inside a step by any other route is
refused by ``IPythonExecutor`` itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .. import risk
from ..risk.syntax import magic_refusal
from .patches import Patches
from .refusing import RefusalLog

__all__ = ["ShellRoutes"]

#: Magics refused only for some arguments (see ``risk.syntax.magic_refusal``).
_CONDITIONAL = ("unload_ext", "reload_ext")
_WIPES = "would wipe the user's namespace"
_RUN_CELL_PARAMETERS = ("store_history", "silent", "shell_futures", "cell_id")


class ShellRoutes:
    """Refuse, while a step runs, what the shell would otherwise run for it (see the module docstring)."""

    def __init__(self, shell: Any, refusals: RefusalLog, own_cell: bool = True) -> None:
        self.shell, self.refusals, self.own_cell = shell, refusals, own_cell
        self.notes: list[str] = []
        self._patches = Patches("shell functions")
        self._depth = 0

    def enter(self) -> None:
        shell, patches = self.shell, self._patches
        magics = getattr(getattr(shell, "magics_manager", None), "magics", {})
        for kind in ("line", "cell"):
            table = magics.get(kind, {})
            for name in [n for n in table if n in risk.REFUSED_MAGICS or n in _CONDITIONAL]:
                patches.add(table, name, self._magic(kind, name, table[name]))
        patches.add(shell, "run_cell", self._run_cell(shell.run_cell))
        for name in ("reset", "reset_selective"):
            if hasattr(shell, name):
                patches.add(shell, name, self._refusing(f"get_ipython().{name}()", _WIPES))
        validators = getattr(shell, "_trait_validators", None)
        if isinstance(validators, dict) and "exit_now" in getattr(shell, "trait_names", lambda: [])():
            patches.add(validators, "exit_now", self._exit_now)
        self._depth = 0 if self.own_cell else 1  # the first run_cell of a step is the step's own cell
        patches.enter()

    def close(self) -> None:
        self._patches.close()
        self.notes += self._patches.notes
        self._patches = Patches("shell functions")

    def _refusing(self, what: str, why: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            self.refusals.refuse(what, why)

        return refused

    def _magic(self, kind: str, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def magic(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            line = args[0] if args and isinstance(args[0], str) else str(kwargs.get("line", ""))
            found = magic_refusal(name, line)
            if found is not None:
                self.refusals.refuse(("%%" if kind == "cell" else "%") + found[0].lstrip("%"), found[1])
            return original(*args, **kwargs)

        # nothing is read from ``original`` now: IPython loads some magics lazily, on their first attribute access
        magic.__name__ = magic.__qualname__ = name
        return magic

    def _run_cell(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def run_cell(raw_cell: str, *args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            if self._depth:  # a call from code; the executor's own call (the step's cell) passes as it is
                found = risk.refused_action(raw_cell) if isinstance(raw_cell, str) else None
                if found is not None:
                    self.refusals.refuse(f"get_ipython().run_cell(...): {found[0]}", found[1])
                args, kwargs = (), {**dict(zip(_RUN_CELL_PARAMETERS, args, strict=False)), **kwargs, "store_history": False}
            self._depth += 1
            try:
                return original(raw_cell, *args, **kwargs)
            finally:
                self._depth -= 1

        run_cell.__doc__ = original.__doc__
        return run_cell

    def _exit_now(self, owner: Any, proposal: Any) -> Any:
        __tracebackhide__ = True
        if proposal["value"] and threading.current_thread() is threading.main_thread():
            self.refusals.refuse("exit / quit / get_ipython().ask_exit()", risk.refusals.KERNEL)
        return proposal["value"]
