"""Static risk analysis of a step's code (standard library ``ast`` only).

``analyze`` flags what a careful user wants to see before it runs: file deletion or overwrite,
subprocesses and shell escapes, network access, package installs, and rebinding or deleting the
user's own variables. Under ``--policy auto`` (the default) flagged steps run and are marked in the
transcript and the observation; under ``ask-risky`` they wait for approval; ``ask-all`` asks every step.

``refusal`` names what must never run, whatever the policy, because it would end, wipe or wedge the
user's session. Names are resolved through the step's imports and simple assignments first
(``from os import _exit``, ``import os as o``, ``ip = get_ipython()``, ``bye = sys.exit``), and the
distinctive tail names ``_exit``, ``abort``, ``ask_exit``, ``do_shutdown``, ``raise_signal`` (and
``kill``/``killpg``/``pthread_kill`` given a pid and a signal) are refused under any spelling.
Decisions on IPython syntax in generated code (``%magics`` and ``!shell`` lines are read in the same
form IPython runs them, ``get_ipython().run_line_magic(...)`` etc., so spelling a magic as a call
changes nothing; see ``policy.magics``):

- ``!cmd``, ``x = !cmd``, ``%sx``, ``%system``, ``%%bash``, ``%%sh``, ``%%script``, ``%run``: allowed,
  flagged "subprocess" (a shell command may hang; ``--timeout`` interrupts it like any step).
- ``%pip`` / ``%conda`` / ``%mamba`` / ``%uv``: allowed, flagged "install" and "subprocess".
- ``%%writefile``, ``%save``, ``%logstart``: allowed, flagged "overwrite".
- ``%autogpt`` / ``%%autogpt``, ``%reload_ext``/``%unload_ext`` of this package: refused (an agent
  inside an agent's step, or the agent unloading itself mid-run).
- ``%reset``, ``%reset_selective``, ``%xdel``, ``get_ipython().reset()``, ``globals().clear()``,
  ``user_ns.clear()``: refused (they wipe the user's namespace; no undo could bring it back).
- ``%exit``/``%quit``/``exit``/``quit``, ``%kill_embedded``, ``%killbgscripts``, ``ask_exit()``,
  ``os._exit``, ``os.kill``, ``sys.exit`` ...: refused (they end the kernel or the user's processes).
- ``%debug`` and ``%pdb``: refused (they wait for interactive input no one can type during a run).
- Every other magic (``%time``, ``%timeit``, ``%matplotlib``, ``%who``, ``%env`` ...): allowed.

Code that does not parse (or is too deeply nested to analyse) gets no flags and no refusal: it cannot
run either, and the step reports the error.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from .magics import REFUSED_MAGICS, dotted, magic_call, magic_flags, magic_refusal, python_source

__all__ = [
    "FLAGS",
    "POLICIES",
    "REFUSED_MAGICS",
    "analyze",
    "python_source",
    "rebound_names",
    "refusal",
    "top_level_await",
]

POLICIES = ("auto", "ask-risky", "ask-all")

FLAGS = {
    "delete": "deletes files",
    "overwrite": "writes or overwrites files",
    "subprocess": "runs a subprocess or shell command",
    "network": "uses the network",
    "install": "installs packages",
    "rebind": "rebinds or deletes your variables",
    "kernel": "would stop the kernel or wipe the session (refused)",
}

_DELETE = {"os.remove", "os.unlink", "os.rmdir", "os.removedirs", "shutil.rmtree", "shutil.move", "os.rename",
           "os.replace", "pathlib.Path.unlink", "unlink", "rmdir", "rmtree"}
_SUBPROCESS = {"os.system", "os.popen", "os.spawnl", "os.spawnv", "os.execv", "os.execl", "os.execvp",
               "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
               "subprocess.Popen", "getoutput", "system"}
_NETWORK_MODULES = {"requests", "urllib", "httpx", "httpx2", "socket", "http", "aiohttp", "ftplib", "smtplib",
                    "paramiko", "urllib3"}
_NETWORK_CALLS = {"pd.read_html", "urlopen", "urlretrieve"}
_KILLERS = {"os._exit", "os.abort", "os.kill", "os.killpg", "signal.raise_signal", "os.fork", "sys.exit",
            "exit", "quit", "os.forkpty", "signal.pthread_kill", "get_ipython.ask_exit", "get_ipython.kernel.do_shutdown"}
#: Tail names no analysis code calls for another reason, whatever module they came from.
_KILLER_TAILS = {"_exit", "abort", "ask_exit", "do_shutdown", "raise_signal", "forkpty"}
#: Tail names refused when called with a pid and a signal (``Popen.kill()`` takes neither, and stays allowed).
_SIGNAL_TAILS = {"kill", "killpg", "pthread_kill"}
_WIPERS = {"get_ipython.reset": "wipes the user's namespace", "globals.clear": "wipes the user's namespace",
           "get_ipython.user_ns.clear": "wipes the user's namespace"}
#: Bound on alias chains (``a = os; b = a; ...``), which also ends cycles (``a = b; b = a``).
_ALIAS_HOPS = 8


class _Names:
    """Resolve names through a step's imports and simple assignments (``import os as o`` -> ``os``).

    Flow-insensitive on purpose: a name bound to ``os`` anywhere in the step counts as ``os`` everywhere,
    which can only make the policy stricter.
    """

    def __init__(self, nodes: list[ast.AST]) -> None:
        self.aliases: dict[str, str] = {}
        for node in nodes:
            if isinstance(node, ast.Import):
                self.aliases.update({a.asname: a.name for a in node.names if a.asname})
            elif isinstance(node, ast.ImportFrom) and node.module:
                self.aliases.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names if a.name != "*"})
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                value = dotted(node.value) if isinstance(node.value, (ast.Name, ast.Attribute, ast.Call)) else ""
                for target in targets:
                    if isinstance(target, ast.Name) and value and value != target.id:
                        self.aliases[target.id] = value

    def resolve(self, name: str) -> str:
        """Return ``name`` with its first part replaced by what the step bound it to, repeatedly."""
        for _ in range(_ALIAS_HOPS):
            head, dot, rest = name.partition(".")
            if head not in self.aliases:
                break
            name = self.aliases[head] + dot + rest
        return name

    def call(self, node: ast.Call) -> str:
        return self.resolve(dotted(node.func))


def _tail_matches(name: str, table: set[str]) -> bool:
    return name in table or name.rsplit(".", 1)[-1] in {t for t in table if "." not in t}


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(python_source(code))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        # the parser reports nesting past its limits as MemoryError/RecursionError; the kernel cannot run it either
        return None


def _write_flags(node: ast.Call, name: str) -> set[str]:
    tail = name.rsplit(".", 1)[-1]
    if name in {"open", "io.open"} or name.endswith((".open", ".write_text", ".write_bytes")):
        mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
        if name.endswith((".write_text", ".write_bytes")) or (
            isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) & set("wax+")
        ):
            return {"overwrite"}
    if tail in {"to_csv", "to_parquet", "to_excel", "to_json", "to_pickle", "to_feather", "to_sql", "to_hdf"} and (
        node.args or any(k.arg in {"path", "path_or_buf", "excel_writer", "name"} for k in node.keywords)
    ):
        return {"overwrite"}
    return {"overwrite"} if name.endswith("savefig") else set()


def _call_flags(node: ast.Call, names: _Names) -> set[str]:
    name = names.call(node)
    magic = magic_call(node, name)
    if magic is not None:
        return magic_flags(*magic)
    flags = _write_flags(node, name)
    if _tail_matches(name, _DELETE):
        flags.add("delete")
    if _tail_matches(name, _SUBPROCESS) or name.startswith("subprocess."):
        flags.add("subprocess")
    if name in _NETWORK_CALLS or name.rsplit(".", 1)[-1] in {"urlopen", "urlretrieve"}:
        flags.add("network")
    if name.split(".")[0] in {"requests", "httpx", "urllib", "socket"}:
        flags.add("network")
    if name in {"pip.main", "pip._internal.main"}:
        flags.add("install")
    if name in {"subprocess.run", "subprocess.check_call", "subprocess.call"}:
        words = " ".join(n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))
        if "pip" in words and "install" in words:
            flags.add("install")
    return flags


def analyze(code: str, user_names: Iterable[str] = ()) -> list[str]:
    """Return the risk flags (keys of ``FLAGS``) of ``code``, in a stable order.

    Code that does not parse gets no flags: it cannot run either (the step reports the SyntaxError).
    """
    flags: set[str] = set()
    users = set(user_names)
    tree = _parse(code)
    if tree is None:
        return []
    nodes = list(ast.walk(tree))  # walked once, read three times
    names = _Names(nodes)
    for node in nodes:
        if isinstance(node, ast.Call):
            flags |= _call_flags(node, names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m.split(".")[0] in _NETWORK_MODULES for m in mods):
                flags.add("network")
            if any(m.split(".")[0] == "subprocess" for m in mods):
                flags.add("subprocess")
        elif isinstance(node, ast.Delete) and any(dotted(t).split(".")[0] in users for t in node.targets):
            flags.add("rebind")
    if users & rebound_names(tree):
        flags.add("rebind")
    if _refusal(nodes, names) is not None:
        flags.add("kernel")
    return [f for f in FLAGS if f in flags]


def rebound_names(tree: ast.Module) -> set[str]:
    """Return the top-level names a module binds or deletes (assignments, imports, defs, ``del``)."""
    names: set[str] = set()
    for node in tree.body:
        for sub in ast.walk(node) if isinstance(node, (ast.For, ast.While, ast.If, ast.With, ast.Try)) else [node]:
            if isinstance(sub, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                for target in targets:
                    names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
            elif isinstance(sub, ast.Delete):
                names |= {t.id for t in sub.targets if isinstance(t, ast.Name)}
            elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(sub.name)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                names |= {(a.asname or a.name).split(".")[0] for a in sub.names if a.name != "*"}
            elif isinstance(sub, ast.For):
                names |= {n.id for n in ast.walk(sub.target) if isinstance(n, ast.Name)}
            elif isinstance(sub, ast.NamedExpr):
                names.add(sub.target.id)
    return names


def _call_refusal(node: ast.Call, names: _Names) -> tuple[str, str] | None:
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


def _refusal(nodes: list[ast.AST], names: _Names) -> tuple[str, str] | None:
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


def refusal(code: str) -> tuple[str, str] | None:
    """Return ``(what, why)`` for the first action in ``code`` that must never run, or ``None``.

    Examples
    --------
    >>> refusal("%reset -f")
    ('%reset', "would wipe the user's namespace")
    >>> refusal("from os import _exit as leave\\nleave(0)")
    ('os._exit(...)', "would stop the user's kernel")
    """
    tree = _parse(code)
    if tree is None:
        return None
    nodes = list(ast.walk(tree))
    return _refusal(nodes, _Names(nodes))


def top_level_await(code: str) -> bool:
    """Return whether ``code`` uses ``await`` (or ``async for/with``) outside a function.

    ``ast.parse`` accepts a top-level ``await`` (only the compiler rejects it), so the tree is searched.
    """
    tree = _parse(code)
    if tree is None:
        return False
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
