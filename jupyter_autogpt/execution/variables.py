"""The user's variables in the shell: which names are theirs, which a step rebound, which an overview shows whole."""

from __future__ import annotations

import ast
import types
from collections.abc import Mapping
from typing import Any

__all__ = ["IPYTHON_NAMES", "bindings", "is_small", "own_names", "printed_names"]

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


def printed_names(code: str) -> set[str]:
    """Return the variables whose value ``code`` shows whole: printed, or the cell's last expression.

    ``print(name)``, ``print(name.round(2))`` and a last line ``name.head()`` show rows of ``name``;
    ``print(name["col"].sum())`` shows something derived from one column, so ``name`` is not among them.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    shown: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"print", "display"}:
            shown += node.args
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        shown.append(tree.body[-1].value)
    return {name for name in map(_root_name, shown) if name}


def _root_name(expr: ast.expr) -> str | None:
    """Return the variable a chain of attributes and method calls starts from (``by_region.round(2)``)."""
    while isinstance(expr, ast.Attribute) or (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value  # len(x) shows a number, not x
    return expr.id if isinstance(expr, ast.Name) else None
