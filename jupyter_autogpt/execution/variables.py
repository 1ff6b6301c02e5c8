"""The user's variables in the shell: which names are theirs, which a step rebound, which an overview shows whole."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

__all__ = ["IPYTHON_NAMES", "bindings", "is_small", "own_names"]

#: Names IPython or the agent binds in the user namespace: never the user's variables.
IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "final_answer"})


def own_names(shell: Any, modules: bool = True) -> list[str]:
    """Return every name of ``shell``'s namespace the user could care about, in binding order.

    IPython's own names (``In``, ``_i3``, hidden names still bound to their original value) and ours are
    excluded; so are modules unless ``modules``.
    """
    ns, hidden = shell.user_ns, shell.user_ns_hidden
    return [
        n for n, v in ns.items()
        if not n.startswith("_") and (n not in hidden or hidden[n] is not v) and n not in IPYTHON_NAMES
        and (modules or not issubclass(type(v), types.ModuleType))  # type(), not isinstance: see is_small
    ]


def bindings(ns: Mapping[str, Any]) -> dict[str, int]:
    """Return the identity of the object each public name of ``ns`` is bound to (to see what a step rebound)."""
    return {n: id(v) for n, v in ns.items() if not n.startswith("_")}


_SCALARS = (int, float, complex, bool, type(None))


def is_small(value: Any) -> bool:
    """Return whether ``value`` is a scalar, a short string, or a short flat container of scalars.

    An overview shows such a value in full; an answer about a bigger one, given before any code ran, is a guess.
    Runs none of the value's own code: types are read with ``type()`` (``isinstance`` may call a ``__class__``
    property), containers must be exactly the builtin ones (a subclass's ``__len__`` is the user's code).
    """
    kind = type(value)
    if issubclass(kind, _SCALARS):
        return True
    if issubclass(kind, str):
        return str.__len__(value) <= 200
    if kind in (list, tuple, set, frozenset):
        return len(value) <= 10 and all(type(v) in (*_SCALARS, str) for v in value)
    if kind is dict:
        return len(value) <= 10 and all(type(v) in (*_SCALARS, str) for v in value.values())
    return False  # arrays and frames (the overview shows a sample, never the whole), and everything else
