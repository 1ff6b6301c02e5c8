"""Check the house style's sizes: modules of about 300 lines, functions of about 40 (see CONTRIBUTING.md).

Run by scripts/test.sh beside ruff and mypy. A function's docstring does not count toward its length (a magic's
docstring is its manual). A module or function that must be larger is named in ``ALLOWED`` with its reason, and
the same reason is written in CONTRIBUTING.md.

    python scripts/house_style.py            # exit 1 and list what is too large
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "jupyter_autogpt"
MODULE_LINES = 300
FUNCTION_LINES = 40

#: "path" or "path:qualified.function" -> why it may be larger (mirrored in CONTRIBUTING.md).
ALLOWED: dict[str, str] = {}


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Return the lines a function spans, its decorators included and its docstring excluded."""
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    length = (node.end_lineno or node.lineno) - start + 1
    first = node.body[0] if node.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        length -= (first.end_lineno or first.lineno) - first.lineno + 1
    return length


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = prefix + node.name
            found.append((name, _body_lines(node)))
            found += _functions(node, name + ".")
        elif isinstance(node, ast.ClassDef):
            found += _functions(node, prefix + node.name + ".")
    return found


def problems() -> list[str]:
    """Return one line per module or function over its size, unless ``ALLOWED`` names it."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n") + (not text.endswith("\n"))
        if lines > MODULE_LINES and rel not in ALLOWED:
            found.append(f"{rel}: {lines} lines (> {MODULE_LINES})")
        for name, length in _functions(ast.parse(text)):
            if length > FUNCTION_LINES and f"{rel}:{name}" not in ALLOWED:
                found.append(f"{rel}:{name}: {length} lines (> {FUNCTION_LINES})")
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(line)
    if found:
        print(f"\n{len(found)} over the house style's sizes: split them, or name them in ALLOWED with a reason")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
