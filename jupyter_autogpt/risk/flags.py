"""Risk flags: what in a step's code a careful user wants to see before it runs (see the package docstring)."""

from __future__ import annotations

import ast

from .names import Names, rebound_names, tail_matches
from .syntax import dotted, magic_call, magic_flags

__all__ = ["FLAGS", "flags_in"]

#: Every flag, in the order flags are reported, with the words shown to the user and the model.
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


def flags_in(tree: ast.Module, nodes: list[ast.AST], names: Names, user_names: set[str]) -> set[str]:
    """Return the flags of a parsed step (``nodes``: its walked ``tree``), ``"kernel"`` aside.

    ``user_names`` are the user's variables: rebinding or deleting one is flagged ``"rebind"``.
    """
    flags: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Call):
            flags |= _call_flags(node, names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m.split(".")[0] in _NETWORK_MODULES for m in mods):
                flags.add("network")
            if any(m.split(".")[0] == "subprocess" for m in mods):
                flags.add("subprocess")
        elif isinstance(node, ast.Delete) and any(dotted(t).split(".")[0] in user_names for t in node.targets):
            flags.add("rebind")
    if user_names & rebound_names(tree):
        flags.add("rebind")
    return flags


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


def _call_flags(node: ast.Call, names: Names) -> set[str]:
    name = names.call(node)
    magic = magic_call(node, name)
    if magic is not None:
        return magic_flags(*magic)
    flags = _write_flags(node, name)
    if tail_matches(name, _DELETE):
        flags.add("delete")
    if tail_matches(name, _SUBPROCESS) or name.startswith("subprocess."):
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
