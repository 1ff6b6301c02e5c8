"""Names in a step's code: what its imports and assignments bind them to, and what it rebinds at top level."""

from __future__ import annotations

import ast

from .syntax import dotted

__all__ = ["Names", "rebound_names", "tail_matches"]

#: Bound on alias chains (``a = os; b = a; ...``), which also ends cycles (``a = b; b = a``).
_ALIAS_HOPS = 8


class Names:
    """Resolve names through a step's imports and simple assignments (``import os as o`` -> ``os``).

    Flow-insensitive on purpose: a name bound to ``os`` anywhere in the step counts as ``os`` everywhere,
    which can only make the assessment stricter.
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
        """Return the resolved dotted name of the function ``node`` calls."""
        return self.resolve(dotted(node.func))


def tail_matches(name: str, table: set[str]) -> bool:
    """Return whether ``name`` is in ``table``, or its last part is one of the table's undotted names."""
    return name in table or name.rsplit(".", 1)[-1] in {t for t in table if "." not in t}


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
