"""What one top-level statement reads and writes: the def-use facts the clean code is sliced by (stdlib ``ast``).

* ``defs``: names it binds, and names whose object it changes (``x.a = 1``, ``x[k] = v``, ``x.append(v)``,
  ``x.fillna(0, inplace=True)``, ``ax.set_title("…")`` — an object's method called for its effect, not its value);
* ``kills``: names it binds afresh without reading them, so earlier bindings of them are dead;
* ``uses``: names it reads from outside itself (a comprehension's, a lambda's or a function's own names are
  theirs); a call on an imported module (``plt.plot(…)``) reads the module and changes nothing we track;
* ``display``: it only shows something (a bare value, ``print``/``display``, or a read-only method such as
  ``df.head()``): exploration, unless it is how the run ends.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

__all__ = ["Facts", "facts"]

#: Methods that only read their object: called as a statement, they are for showing, never for an effect.
READ_ONLY = frozenset({
    "head", "tail", "describe", "info", "sample", "value_counts", "nunique", "unique", "count", "isna", "isnull",
    "notna", "notnull", "corr", "cov", "mean", "median", "mode", "sum", "min", "max", "std", "var", "agg",
    "aggregate", "groupby", "pivot_table", "round", "sort_values", "sort_index", "to_string", "memory_usage",
    "items", "keys", "values", "copy", "get", "nlargest", "nsmallest", "quantile", "describe_option", "idxmax",
    "idxmin", "any", "all", "equals", "duplicated", "select_dtypes", "filter", "query", "astype", "reset_index",
    "set_index", "rename", "drop", "dropna", "fillna", "merge", "join", "apply", "map", "transform", "plot_info",
    "format", "strip", "split", "lower", "upper", "startswith", "endswith", "find", "index", "__repr__", "cumsum",
})
#: Methods that draw (on a frame, a series or axes): an effect on the current figure, not a change of their object.
DRAWING = frozenset({"plot", "hist", "boxplot", "bar", "barh", "scatter", "pie", "area", "kde", "line", "imshow"})
_SHOWING = frozenset({"print", "display", "repr", "pprint"})


@dataclass
class Facts:
    """The def-use facts of one statement (see the module docstring)."""

    defs: set[str] = field(default_factory=set)
    kills: set[str] = field(default_factory=set)
    uses: set[str] = field(default_factory=set)
    display: bool = False


def _base(node: ast.AST) -> str | None:
    """Return the name an attribute/subscript chain starts from (``df`` for ``df.loc[0, "a"].x``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


class _Scan(ast.NodeVisitor):
    """Collect loads, stores and changed objects of one scope; nested scopes report only their free names."""

    def __init__(self, modules: frozenset[str]) -> None:
        self.modules = modules
        self.loads: set[str] = set()
        self.stores: set[str] = set()
        self.changed: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:
        (self.loads if isinstance(node.ctx, ast.Load) else self.stores).add(node.id)

    def _target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            base = _base(target)
            if base is not None:
                self.changed.add(base)
                self.loads.add(base)
            self.generic_visit(target)
        else:
            self.visit(target)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._target(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        self._target(node.target)
        if isinstance(node.target, ast.Name):
            self.loads.add(node.target.id)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self._target(node.target)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._target(target)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.stores.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.stores.add(alias.asname or alias.name)

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
            base = _base(call.func)
            inplace = any(k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value for k in call.keywords)
            kept_as_is = call.func.attr in READ_ONLY or call.func.attr in DRAWING
            if base is not None and base not in self.modules and (inplace or not kept_as_is):
                self.changed.add(base)
        self.generic_visit(node)

    def _scope(self, params: set[str], body: list[ast.AST]) -> None:
        inner = _Scan(self.modules)
        for part in body:
            inner.visit(part)
        self.loads |= inner.loads - inner.stores - params
        self.changed |= inner.changed - inner.stores - params

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for part in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if part is not None:
                self.visit(part)
        self.stores.add(node.name)
        self._scope(_params(node.args), list(node.body))

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for part in [*node.decorator_list, *node.bases]:
            self.visit(part)
        self.stores.add(node.name)
        self._scope(set(), list(node.body))

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scope(_params(node.args), [node.body])

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        targets: set[str] = set()
        for generator in node.generators:
            targets |= {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
        parts: list[ast.AST] = [*node.generators]
        parts += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        self._scope(targets, parts)

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension  # type: ignore[assignment]


def _params(args: ast.arguments) -> set[str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return {a.arg for a in every if a is not None}


def _kills(node: ast.stmt) -> set[str]:
    """Return the names ``node`` binds unconditionally and afresh (an assignment, an import, a def)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _displays(node: ast.stmt, modules: frozenset[str]) -> bool:
    if not isinstance(node, ast.Expr):
        return False
    value = node.value
    if not isinstance(value, ast.Call):
        return not any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.NamedExpr)) for n in ast.walk(value))
    func = value.func
    if isinstance(func, ast.Name):
        return func.id in _SHOWING
    if isinstance(func, ast.Attribute):
        inplace = any(k.arg == "inplace" for k in value.keywords)
        return func.attr in READ_ONLY and not inplace and _base(func) not in modules
    return False


def facts(node: ast.stmt, modules: frozenset[str] = frozenset()) -> Facts:
    """Return the def-use facts of one top-level statement; ``modules`` are the names imports bound."""
    scan = _Scan(modules)
    scan.visit(node)
    uses = scan.loads - _kills(node) if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else scan.loads
    return Facts(defs=scan.stores | scan.changed, kills=_kills(node) - scan.loads, uses=set(uses),
                 display=_displays(node, modules))
