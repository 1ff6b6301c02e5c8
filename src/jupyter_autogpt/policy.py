"""Static risk analysis of a step's code (standard library ``ast`` only).

``analyze`` flags what a careful user wants to see before it runs: file deletion or overwrite,
subprocesses and shell escapes, network access, package installs, and rebinding or deleting the
user's own variables. Under ``--policy auto`` (the default) flagged steps run and are marked in the
transcript and the observation; under ``ask-risky`` they wait for approval; ``ask-all`` asks every step.

``refusal`` names what must never run, whatever the policy, because it would end, wipe or wedge the
user's session. Decisions on IPython syntax in generated code (``%magics`` and ``!shell`` lines are
read in the same form IPython runs them, ``get_ipython().run_line_magic(...)`` etc., so spelling a
magic as a call changes nothing):

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
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

__all__ = [
    "FLAGS",
    "POLICIES",
    "analyze",
    "kernel_killer",
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
_WIPERS = {"get_ipython.reset": "wipes the user's namespace", "globals.clear": "wipes the user's namespace",
           "get_ipython.user_ns.clear": "wipes the user's namespace"}

#: Magics that must not run inside a step: name -> why (see the module docstring).
REFUSED_MAGICS = {
    "autogpt": "would start an agent inside this agent's step",
    "reset": "would wipe the user's namespace",
    "reset_selective": "would delete the user's variables",
    "xdel": "would delete the user's variables",
    "exit": "would end the kernel",
    "quit": "would end the kernel",
    "exit_raise": "would end the kernel",
    "kill_embedded": "would end the embedded shell",
    "killbgscripts": "would kill the user's background processes",
    "debug": "waits for interactive debugger input",
    "pdb": "would open an interactive debugger on errors",
}
_SUBPROCESS_MAGICS = {"sx", "system", "bash", "sh", "script", "perl", "ruby", "run", "getoutput"}
_INSTALL_MAGICS = {"pip", "conda", "mamba", "micromamba", "uv"}
_WRITE_MAGICS = {"writefile", "save", "logstart"}
#: Cell magics whose body is Python (analysed like the rest); other cell bodies are foreign text.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}

_ESCAPE = re.compile(r"^(?P<indent>[ \t]*)(?:(?P<target>[\w.]+)[ \t]*=[ \t]*)?(?P<sigil>%%|%|!!|!)(?P<rest>.*)$")


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


def python_source(code: str) -> str:
    """Return ``code`` with IPython's ``%magic`` and ``!shell`` syntax spelled as the calls IPython makes.

    A stdlib stand-in for IPython's input transformer, so the analysis sees one form of each action.
    """
    lines = code.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        name, _, line = lines[first].lstrip()[2:].partition(" ")
        body = "\n".join(lines[first + 1 :])
        call = f"get_ipython().run_cell_magic({name!r}, {line!r}, {body!r})"
        if name in _PYTHON_CELL_MAGICS:  # keep the body analysable as Python too
            return call + "\n" + python_source(body)
        return call
    return "\n".join(_escape_line(line) for line in lines)


def _escape_line(line: str) -> str:
    match = _ESCAPE.match(line)
    if match is None:
        return line
    sigil, rest = match.group("sigil"), match.group("rest")
    if sigil == "%%":
        return line  # a cell magic after the first line is a syntax error for IPython too
    if sigil == "%":
        name, _, args = rest.partition(" ")
        call = f"get_ipython().run_line_magic({name!r}, {args!r})"
    else:
        call = f"get_ipython().{'getoutput' if match.group('target') else 'system'}({rest.lstrip('!')!r})"
    target = match.group("target")
    return f"{match.group('indent')}{target + ' = ' if target else ''}{call}"


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(python_source(code))
    except (SyntaxError, ValueError):
        return None


def _magic_call(node: ast.Call) -> tuple[str, str] | None:
    """Return ``(magic name, argument text)`` when ``node`` runs a magic or a shell command, else ``None``."""
    method = _dotted(node.func).rsplit(".", 1)[-1]
    first = node.args[0] if node.args else None
    text = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
    if method in {"run_line_magic", "run_cell_magic"} and text is not None:
        texts = [a.value for a in node.args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        return text.lstrip("%"), "\n".join(texts)
    if method == "magic" and text is not None:  # the old get_ipython().magic("reset -f") spelling
        name, _, args = text.lstrip("%").partition(" ")
        return name, args
    if method in {"system", "getoutput"} and _dotted(node.func).startswith("get_ipython"):
        return "system", text or ""
    return None


def _magic_flags(name: str, args: str) -> set[str]:
    flags: set[str] = set()
    if name in _SUBPROCESS_MAGICS:
        flags.add("subprocess")
    if name in _INSTALL_MAGICS or (name in {"system", "sx"} and re.search(r"\b(pip|conda|mamba|uv)\b.*\binstall\b", args)):
        flags |= {"install", "subprocess"}
    if name in _WRITE_MAGICS:
        flags.add("overwrite")
    if name in {"system", "sx", "bash", "sh", "script"} and re.search(r"(^|\s)(rm|rmdir|del)\s", args):
        flags.add("delete")
    return flags


def _call_flags(node: ast.Call) -> set[str]:
    name = _dotted(node.func)
    magic = _magic_call(node)
    if magic is not None:
        return _magic_flags(*magic)
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
    if name.rsplit(".", 1)[-1] in {
        "to_csv", "to_parquet", "to_excel", "to_json", "to_pickle", "to_feather", "to_sql", "to_hdf"
    } and (node.args or any(k.arg in {"path", "path_or_buf", "excel_writer", "name"} for k in node.keywords)):
        flags.add("overwrite")
    if name.endswith("savefig"):
        flags.add("overwrite")
    if name in {"pip.main", "pip._internal.main"}:
        flags.add("install")
    if name in {"subprocess.run", "subprocess.check_call", "subprocess.call"} and (
        "pip" in ast.unparse(node) and "install" in ast.unparse(node)
    ):
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
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            flags |= _call_flags(node)
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
    if refusal(code) is not None:
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


def _call_refusal(node: ast.Call) -> tuple[str, str] | None:
    """Return ``(what, why)`` when the call must never run in a step, else ``None``."""
    name = _dotted(node.func)
    # os.kill of another pid is rare in analysis code; refusing it beats guessing which pid is ours
    if name in _KILLERS:
        return f"{name}(...)", "would stop the user's kernel"
    if name in _WIPERS:
        return f"{name}()", _WIPERS[name]
    magic = _magic_call(node)
    if magic is None:
        return None
    magic_name, args = magic
    if magic_name in REFUSED_MAGICS:
        return f"%{magic_name}", REFUSED_MAGICS[magic_name]
    if magic_name in {"unload_ext", "reload_ext"} and "jupyter_autogpt" in args:
        return f"%{magic_name} jupyter_autogpt", "would reload the agent in the middle of its own run"
    return None


def refusal(code: str) -> tuple[str, str] | None:
    """Return ``(what, why)`` for the first action in ``code`` that must never run, or ``None``.

    Examples
    --------
    >>> refusal("%reset -f")
    ('%reset', "would wipe the user's namespace")
    """
    tree = _parse(code)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            found = _call_refusal(node)
            if found is not None:
                return found
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Name) and node.value.id in {"exit", "quit"}:
            return node.value.id, "would stop the user's kernel (IPython calls a bare exit/quit)"
    return None


def kernel_killer(code: str) -> str | None:
    """Return the name of a call in ``code`` that would end the kernel process, or ``None``."""
    found = refusal(code)
    return found[0].removesuffix("(...)") if found and "kernel" in found[1] else None


def top_level_await(code: str) -> bool:
    """Return whether ``code`` uses ``await`` (or ``async for/with``) outside a function.

    ``ast.parse`` accepts a top-level ``await`` (only the compiler rejects it), so the tree is searched.
    """
    try:
        tree = ast.parse(python_source(code))
    except (SyntaxError, ValueError):
        return False
    scopes = (ast.AsyncFunctionDef, ast.FunctionDef, ast.Lambda)

    def visit(node: ast.AST) -> bool:
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            return True
        if isinstance(node, ast.comprehension) and node.is_async:
            return True
        return any(visit(child) for child in ast.iter_child_nodes(node) if not isinstance(child, scopes))

    return visit(tree)
