"""Static risk analysis of a step's code (standard library ``ast`` only).

``analyze`` flags what a careful user wants to see before it runs: file deletion or overwrite,
subprocesses and shell escapes, network access, package installs, and rebinding or deleting the
user's own variables. ``kernel_killer`` names calls that would end the kernel and must never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

__all__ = ["FLAGS", "POLICIES", "analyze", "kernel_killer", "top_level_await"]

POLICIES = ("auto", "ask-risky", "ask-all")

FLAGS = {
    "delete": "deletes files",
    "overwrite": "writes or overwrites files",
    "subprocess": "runs a subprocess or shell command",
    "network": "uses the network",
    "install": "installs packages",
    "rebind": "rebinds or deletes your variables",
    "kernel": "would stop the kernel",
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
            "exit", "quit", "os.forkpty", "signal.pthread_kill"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def _tail_matches(name: str, table: set[str]) -> bool:
    return name in table or name.rsplit(".", 1)[-1] in {t for t in table if "." not in t}


def _parse(code: str) -> ast.Module | None:
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("!", "%"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _shell_lines(code: str) -> list[str]:
    return [line.strip() for line in code.splitlines() if line.lstrip().startswith(("!", "%"))]


def _call_flags(node: ast.Call) -> set[str]:
    name = _dotted(node.func)
    flags: set[str] = set()
    if _tail_matches(name, _DELETE):
        flags.add("delete")
    if _tail_matches(name, _SUBPROCESS) or name.startswith("subprocess."):
        flags.add("subprocess")
    if name in _NETWORK_CALLS or name.rsplit(".", 1)[-1] in {"urlopen", "urlretrieve"}:
        flags.add("network")
    if name.split(".")[0] in {"requests", "httpx", "urllib", "socket"}:
        flags.add("network")
    if name in {"open", "io.open"} or name.endswith((".open", ".write_text", ".write_bytes")):
        mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
        if name.endswith((".write_text", ".write_bytes")) or (
            isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) & set("wax+")
        ):
            flags.add("overwrite")
    if name.rsplit(".", 1)[-1].startswith("to_") and name.rsplit(".", 1)[-1] in {
        "to_csv", "to_parquet", "to_excel", "to_json", "to_pickle", "to_feather", "to_sql", "to_hdf"
    } and (node.args or any(k.arg in {"path", "path_or_buf", "excel_writer", "name"} for k in node.keywords)):
        flags.add("overwrite")
    if name.endswith("savefig"):
        flags.add("overwrite")
    if name in {"pip.main", "pip._internal.main"}:
        flags.add("install")
    return flags


def analyze(code: str, user_names: Iterable[str] = ()) -> list[str]:
    """Return the risk flags (keys of ``FLAGS``) of ``code``, in a stable order."""
    flags: set[str] = set()
    users = set(user_names)
    for line in _shell_lines(code):
        flags.add("subprocess")
        if "install" in line.split() and ("pip" in line or "conda" in line or "mamba" in line):
            flags.add("install")
    tree = _parse(code)
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                flags |= _call_flags(node)
                if kernel_killer_call(node):
                    flags.add("kernel")
                if _dotted(node.func) in {"subprocess.run", "subprocess.check_call", "subprocess.call"} and (
                    "pip" in ast.unparse(node) and "install" in ast.unparse(node)
                ):
                    flags.add("install")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(m.split(".")[0] in _NETWORK_MODULES for m in mods):
                    flags.add("network")
                if any(m.split(".")[0] == "subprocess" for m in mods):
                    flags.add("subprocess")
            elif isinstance(node, ast.Delete) and any(_dotted(t).split(".")[0] in users for t in node.targets):
                flags.add("rebind")
        if users & rebound_names(tree):
            flags.add("rebind")
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


def kernel_killer_call(node: ast.Call) -> bool:
    """Return whether a call would end or signal the kernel (``exit()`` shuts an ipykernel down)."""
    # os.kill of another pid is rare in analysis code; refusing it beats guessing which pid is ours
    return _dotted(node.func) in _KILLERS


def kernel_killer(code: str) -> str | None:
    """Return the name of a call in ``code`` that would end the kernel process, or ``None``."""
    tree = _parse(code)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and kernel_killer_call(node):
            return _dotted(node.func)
    return None


def top_level_await(code: str) -> bool:
    """Return whether ``code`` uses ``await`` (or ``async for/with``) outside a function."""
    try:
        ast.parse(code)
        return False
    except SyntaxError:
        pass
    try:
        tree = ast.parse(code, flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError:
        return False
    scopes = (ast.AsyncFunctionDef, ast.FunctionDef, ast.Lambda)

    def visit(node: ast.AST) -> bool:
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            return True
        return any(visit(child) for child in ast.iter_child_nodes(node) if not isinstance(child, scopes))

    return visit(tree)
