"""IPython syntax in a step's code: ``%magic`` and ``!shell`` lines spelled as the calls IPython makes.

A stdlib stand-in for IPython's input transformer, so the risk assessment sees one form of each action,
and the assessment's decisions on magics (what is refused, what is flagged; see the package docstring).
"""

from __future__ import annotations

import ast
import re

__all__ = ["REFUSED_MAGICS", "dotted", "magic_call", "magic_flags", "magic_refusal", "python_source"]

#: Magics that must not run inside a step: name -> why (see the package docstring).
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
#: Stands in for a Python cell magic's body, which follows the call as code of its own.
_BODY_BELOW = "<the body below>"

_ESCAPE = re.compile(r"^(?P<indent>[ \t]*)(?:(?P<target>[\w.]+)[ \t]*=[ \t]*)?(?P<sigil>%%|%|!!|!)(?P<rest>.*)$")


def dotted(node: ast.AST) -> str:
    """Return the dotted name a call or attribute chain spells (``get_ipython().reset`` -> ``get_ipython.reset``)."""
    parts: list[str] = []
    while True:  # a loop, not recursion: a hostile step may chain attributes thousands deep
        if isinstance(node, ast.Name):
            parts.append(node.id)
            break
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            break
    return ".".join(reversed(parts))


def python_source(code: str) -> str:
    """Return ``code`` with IPython's ``%magic`` and ``!shell`` syntax spelled as the calls IPython makes.

    A Python cell magic (``%%time``) becomes its call followed by its body, itself rewritten.
    """
    lines, start = code.splitlines(), 0
    calls: list[str] = []
    while True:  # nested %%time/%%capture cells unwrap in a loop: no recursion, no quadratic copies
        first = next((i for i in range(start, len(lines)) if lines[i].strip()), None)
        if first is None or not lines[first].lstrip().startswith("%%"):
            return "\n".join([*calls, *(_escape_line(line) for line in lines[start:])])
        name, _, line = lines[first].lstrip()[2:].partition(" ")
        if name not in _PYTHON_CELL_MAGICS:
            body = "\n".join(lines[first + 1 :])
            return "\n".join([*calls, f"get_ipython().run_cell_magic({name!r}, {line!r}, {body!r})"])
        calls.append(f"get_ipython().run_cell_magic({name!r}, {line!r}, {_BODY_BELOW!r})")
        start = first + 1


def _escape_line(line: str) -> str:
    match = _ESCAPE.match(line)
    if match is None:
        return line
    sigil, rest = match.group("sigil"), match.group("rest")
    if sigil in {"%", "%%"}:
        # IPython reads a cell magic below the first line as a line magic named "%name"; so do we
        name, _, args = rest.partition(" ")
        call = f"get_ipython().run_line_magic({sigil[1:] + name!r}, {args!r})"
    else:
        call = f"get_ipython().{'getoutput' if match.group('target') else 'system'}({rest.lstrip('!')!r})"
    target = match.group("target")
    return f"{match.group('indent')}{target + ' = ' if target else ''}{call}"


def magic_call(node: ast.Call, name: str) -> tuple[str, str] | None:
    """Return ``(magic name, argument text)`` when ``node`` (a call of ``name``) runs a magic or shell command."""
    method = name.rsplit(".", 1)[-1]
    first = node.args[0] if node.args else None
    text = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
    if method in {"run_line_magic", "run_cell_magic"} and text is not None:
        texts = [a.value for a in node.args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        return text.lstrip("%"), "\n".join(texts)
    if method == "magic" and text is not None:  # the old get_ipython().magic("reset -f") spelling
        magic, _, args = text.lstrip("%").partition(" ")
        return magic, args
    if method in {"system", "getoutput"} and name.startswith("get_ipython"):
        return "system", text or ""
    return None


def magic_flags(name: str, args: str) -> set[str]:
    """Return the risk flags of running magic ``name`` with ``args``."""
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


def magic_refusal(name: str, args: str) -> tuple[str, str] | None:
    """Return ``(what, why)`` when magic ``name`` must never run in a step, else ``None``."""
    if name in REFUSED_MAGICS:
        return f"%{name}", REFUSED_MAGICS[name]
    if name in {"unload_ext", "reload_ext"} and "jupyter_autogpt" in args:
        return f"%{name} jupyter_autogpt", "would reload the agent in the middle of its own run"
    return None
