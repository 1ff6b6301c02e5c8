"""Refusals: what must never run in a step, whatever the policy, and the text the model reads instead.

A refused step would end, wipe or wedge the user's session (see the package docstring), or cannot run in a
nested cell at all (top-level ``await``: the kernel's event loop is already running).
"""

from __future__ import annotations

import ast

from .names import Names
from .syntax import magic_call, magic_refusal

__all__ = ["AWAIT_REFUSAL", "find_refusal", "refusal_text", "top_level_await"]

AWAIT_REFUSAL = (
    "Refused before running: top-level `await` cannot run inside an agent step (the kernel's event "
    "loop is already running). Use synchronous APIs instead."
)

_KILLERS = {"os._exit", "os.abort", "os.kill", "os.killpg", "signal.raise_signal", "os.fork", "sys.exit",
            "exit", "quit", "os.forkpty", "signal.pthread_kill", "get_ipython.ask_exit", "get_ipython.kernel.do_shutdown"}
#: Tail names no analysis code calls for another reason, whatever module they came from.
_KILLER_TAILS = {"_exit", "abort", "ask_exit", "do_shutdown", "raise_signal", "forkpty"}
#: Tail names refused when called with a pid and a signal (``Popen.kill()`` takes neither, and stays allowed).
_SIGNAL_TAILS = {"kill", "killpg", "pthread_kill"}
_WIPERS = {"get_ipython.reset": "wipes the user's namespace", "globals.clear": "wipes the user's namespace",
           "get_ipython.user_ns.clear": "wipes the user's namespace"}


def refusal_text(what: str, why: str) -> str:
    """Return what the model reads when the action ``what`` was refused because it ``why``."""
    return (
        f"Refused before running: `{what}` {why}. Nothing in this step ran. To finish, call "
        "final_answer(value); to report a problem, raise an exception; work on copies of the user's data."
    )


def find_refusal(nodes: list[ast.AST], names: Names) -> tuple[str, str] | None:
    """Return ``(what, why)`` for the first action among a step's walked ``nodes`` that must never run."""
    for node in nodes:
        if isinstance(node, ast.Call):
            found = _call_refusal(node, names)
            if found is not None:
                return found
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Name):
            name = names.resolve(node.value.id)
            if name in {"exit", "quit"}:
                return name, "would stop the user's kernel (IPython calls a bare exit/quit)"
    return None


def _call_refusal(node: ast.Call, names: Names) -> tuple[str, str] | None:
    """Return ``(what, why)`` when the call must never run in a step, else ``None``."""
    name = names.call(node)
    tail = name.rsplit(".", 1)[-1]
    # os.kill of another pid is rare in analysis code; refusing it beats guessing which pid is ours
    if name in _KILLERS or tail in _KILLER_TAILS or (tail in _SIGNAL_TAILS and len(node.args) >= 2):
        return f"{name}(...)", "would stop the user's kernel"
    if name in _WIPERS:
        return f"{name}()", _WIPERS[name]
    magic = magic_call(node, name)
    return magic_refusal(*magic) if magic is not None else None


def top_level_await(tree: ast.Module) -> bool:
    """Return whether a parsed step uses ``await`` (or ``async for/with``) outside a function.

    ``ast.parse`` accepts a top-level ``await`` (only the compiler rejects it), so the tree is searched.
    """
    scopes = (ast.AsyncFunctionDef, ast.FunctionDef, ast.Lambda)
    todo: list[ast.AST] = [tree]
    while todo:  # a loop, not recursion: a deep expression must not crash the analysis
        node = todo.pop()
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            return True
        if isinstance(node, ast.comprehension) and node.is_async:
            return True
        todo.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, scopes))
    return False
