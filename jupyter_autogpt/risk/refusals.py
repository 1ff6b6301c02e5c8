"""Refusals: what must never run in a step, whatever the policy, and the text the model reads instead.

A refused step would end, wipe or wedge the user's session (see the package docstring), or cannot run in a
nested cell at all (top-level ``await``: the kernel's event loop is already running).
"""

from __future__ import annotations

import ast

from .names import Names
from .syntax import magic_call, magic_refusal

__all__ = [
    "AWAIT_REFUSAL", "CRASHES", "KERNEL", "REPLACES", "find_refusal", "refusal_text", "runtime_refusal_text", "top_level_await",
]

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
#: Calls that replace the kernel's process image (``os.spawn*`` and ``subprocess`` start a new process instead).
_REPLACERS = {f"os.{name}" for name in ("execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp", "execvpe")}
REPLACES = "would replace the user's kernel with another program"
#: ``faulthandler``'s test helpers: each crashes the process on purpose.
_CRASHERS = {"_sigsegv", "_sigabrt", "_sigfpe", "_fatal_error", "_fatal_error_c_thread", "_read_null", "_stack_overflow"}
CRASHES = "would crash the user's kernel"
_WIPERS = {"get_ipython.reset": "wipes the user's namespace", "globals.clear": "wipes the user's namespace",
           "get_ipython.user_ns.clear": "wipes the user's namespace"}


#: Why a call that ends the kernel's process is refused (statically, and by the run-time guard).
KERNEL = "would stop the user's kernel"
_ADVICE = "To finish, call final_answer(value); to report a problem, raise an exception; work on copies of the user's data."


def refusal_text(what: str, why: str) -> str:
    """Return what the model reads when the action ``what`` was refused because it ``why``."""
    return f"Refused before running: `{what}` {why}. Nothing in this step ran. {_ADVICE}"


def runtime_refusal_text(what: str, why: str) -> str:
    """Return what the model reads when the run-time guard refused ``what`` because it ``why``.

    The static assessment could not see the call (a computed name, ``exec``, a shell command): the step's
    code before it ran, the call itself did not.
    """
    return f"Refused while running: `{what}` {why}. The call did not run; the step's code before it did. {_ADVICE}"


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
        return f"{name}(...)", KERNEL
    if name in _REPLACERS:
        return f"{name}(...)", REPLACES
    if name.startswith("faulthandler.") and tail in _CRASHERS:
        return f"{name}(...)", CRASHES
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
