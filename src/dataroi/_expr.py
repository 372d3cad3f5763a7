"""A small, safe expression engine for per-row business values.

The text is parsed with Python's :mod:`ast` and every node is checked against an
allow-list *before* anything is evaluated; evaluation walks the checked tree with numpy.
Nothing is handed to ``eval``/``exec``, there is no attribute access, no subscripts, no
lambdas or comprehensions, and the only calls are the functions in :data:`FUNCTIONS`.

Allowed: numbers, strings (to compare with text columns), ``True``/``False``, names of
columns and terms, ``+ - * / // % **``, unary ``- + not ~``, comparisons (also chained),
``and``/``or`` (element-wise), ``a if cond else b`` and the functions
``abs, min, max, where, log, exp, sqrt, clip``.

Example:
    >>> import numpy as np
    >>> expr = compile_expression("order_value * (pred == 1) * (y == 1) - 2.5 * (pred == 1)",
    ...                           names={"order_value", "pred", "y"})
    >>> expr.evaluate({"order_value": np.array([10.0, 20.0]), "pred": np.array([1, 1]),
    ...                "y": np.array([1, 0])}, n_rows=2).tolist()
    [7.5, -2.5]
    >>> try:
    ...     compile_expression("__import__('os')", names=set())
    ... except ImpactSpecError as exc:
    ...     print(exc.problems[0])
    value.expression: dunder names like '__import__' are not allowed (column 1)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataroi.exceptions import ImpactSpecError

__all__ = ["FUNCTIONS", "Expression", "compile_expression", "identifier_for"]

#: The only callables an expression may use, with their allowed numbers of arguments.
FUNCTIONS: dict[str, tuple[Callable[..., Any], tuple[int, int]]] = {
    "abs": (np.abs, (1, 1)),
    "min": (lambda *a: _reduce(np.minimum, a), (2, 16)),
    "max": (lambda *a: _reduce(np.maximum, a), (2, 16)),
    "where": (np.where, (3, 3)),
    "log": (np.log, (1, 1)),
    "exp": (np.exp, (1, 1)),
    "sqrt": (np.sqrt, (1, 1)),
    "clip": (np.clip, (3, 3)),
}

_MAX_CHARS = 4000
_MAX_DEPTH = 60

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide,
    ast.FloorDiv: np.floor_divide, ast.Mod: np.mod, ast.Pow: np.power,
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: np.negative, ast.UAdd: np.positive, ast.Not: np.logical_not,
    ast.Invert: np.logical_not,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less, ast.LtE: np.less_equal,
    ast.Gt: np.greater, ast.GtE: np.greater_equal,
}

_FORBIDDEN_HINTS: dict[type, str] = {
    ast.Attribute: "attribute access (`a.b`)",
    ast.Subscript: "subscripts (`a[...]`)",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.NamedExpr: "assignment (`:=`)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Starred: "star arguments",
    ast.JoinedStr: "f-strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dictionaries",
    ast.Set: "sets",
    ast.Slice: "slices",
}


def _reduce(fn: Callable[[Any, Any], Any], args: tuple[Any, ...]) -> Any:
    out = args[0]
    for a in args[1:]:
        out = fn(out, a)
    return out


def _err(message: str) -> ImpactSpecError:
    return ImpactSpecError(message, what="value model")


def identifier_for(column: str) -> str:
    """The name under which a column is visible in expressions.

    Column names that are identifiers are used as they are; other characters become ``_``.

    Example:
        >>> identifier_for("mean radius")
        'mean_radius'
    """
    if column.isidentifier():
        return column
    name = re.sub(r"\W", "_", column)
    return name if not name[:1].isdigit() else f"_{name}"


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, the names it reads and the functions it calls."""

    text: str
    names: frozenset[str]
    functions: frozenset[str]
    _tree: ast.Expression

    def evaluate(self, env: Mapping[str, Any], *, n_rows: int,
                 field: str = "value.expression") -> np.ndarray:
        """Evaluate on arrays (one per name) and return a float array of ``n_rows``.

        Raises:
            ImpactSpecError: a name has no value in ``env``.
        """
        missing = sorted(self.names - set(env))
        if missing:
            raise _err(f"{field}: no value for {', '.join(missing)}")
        with np.errstate(all="ignore"):
            out = _Evaluator(env).visit(self._tree.body)
        arr = np.asarray(out)
        if arr.dtype.kind not in "biuf":
            raise _err(f"{field}: the expression must give numbers, it gives "
                            f"{arr.dtype} values")
        arr = arr.astype(np.float64, copy=False)
        if arr.ndim == 0:
            return np.full(n_rows, float(arr))
        return np.broadcast_to(arr, (n_rows,)).astype(np.float64)


def compile_expression(text: str, *, names: set[str] | frozenset[str],
                       field: str = "value.expression") -> Expression:
    """Parse ``text`` and check every node against the allow-list.

    Args:
        text: the expression, e.g. ``"order_value * (pred == 1) - 2.5 * (pred == 1)"``.
        names: the names it may read (columns, ``y``, ``pred``, ``score``, terms).
        field: the field path used in error messages.

    Raises:
        ImpactSpecError: a syntax error, a forbidden construct, an unknown name or function;
            the message names the construct, its column and what is allowed.
    """
    if not isinstance(text, str) or not text.strip():
        raise _err(f"{field}: must be a non-empty expression text")
    if len(text) > _MAX_CHARS:
        raise _err(f"{field}: longer than {_MAX_CHARS} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _err(f"{field}: syntax error at column {exc.offset}: {exc.msg}") from None
    used_names: set[str] = set()
    used_funcs: set[str] = set()
    _check(tree.body, names, used_names, used_funcs, field, 0)
    return Expression(text=text.strip(), names=frozenset(used_names),
                      functions=frozenset(used_funcs), _tree=tree)


def _where(node: ast.AST) -> str:
    return f"column {getattr(node, 'col_offset', 0) + 1}"


def _check(node: ast.AST, names: set[str] | frozenset[str], used: set[str],
           funcs: set[str], field: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise _err(f"{field}: nested more than {_MAX_DEPTH} levels deep")
    allowed = ", ".join(sorted(FUNCTIONS))
    for kind, hint in _FORBIDDEN_HINTS.items():
        if isinstance(node, kind):
            raise _err(f"{field}: {hint} is not allowed ({_where(node)}); use column "
                            f"names, numbers, operators and the functions {allowed}")
    if isinstance(node, ast.Name):
        if node.id.startswith("__"):
            raise _err(f"{field}: dunder names like {node.id!r} are not allowed "
                            f"({_where(node)})")
        if node.id not in names:
            known = ", ".join(sorted(names)[:40])
            raise _err(f"{field}: unknown name {node.id!r} ({_where(node)}); known "
                            f"names: {known}")
        used.add(node.id)
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool | int | float | str) and not isinstance(
                node.value, complex):
            if isinstance(node.value, str) and node.value.startswith("__"):
                raise _err(f"{field}: dunder strings are not allowed ({_where(node)})")
            return
        raise _err(f"{field}: constant {node.value!r} is not allowed ({_where(node)})")
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise _err(f"{field}: operator {type(node.op).__name__} is not allowed "
                            f"({_where(node)}); use + - * / // % **")
        _check(node.left, names, used, funcs, field, depth + 1)
        _check(node.right, names, used, funcs, field, depth + 1)
        return
    if isinstance(node, ast.UnaryOp):
        _check(node.operand, names, used, funcs, field, depth + 1)
        return
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, names, used, funcs, field, depth + 1)
        return
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _CMPOPS:
                raise _err(f"{field}: comparison {type(op).__name__} is not allowed "
                                f"({_where(node)}); use == != < <= > >=")
        _check(node.left, names, used, funcs, field, depth + 1)
        for c in node.comparators:
            _check(c, names, used, funcs, field, depth + 1)
        return
    if isinstance(node, ast.IfExp):
        for part in (node.test, node.body, node.orelse):
            _check(part, names, used, funcs, field, depth + 1)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            _check(node.func, names, used, funcs, field, depth + 1)  # names what is wrong
            raise _err(f"{field}: only the functions {allowed} may be called "
                            f"({_where(node)})")
        name = node.func.id
        if name.startswith("__"):
            raise _err(f"{field}: dunder names like {name!r} are not allowed "
                            f"({_where(node)})")
        if name not in FUNCTIONS:
            raise _err(f"{field}: function {name!r} is not allowed ({_where(node)}); "
                            f"allowed: {allowed}")
        if node.keywords:
            raise _err(f"{field}: keyword arguments are not allowed ({_where(node)})")
        lo, hi = FUNCTIONS[name][1]
        if not lo <= len(node.args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            raise _err(f"{field}: {name}() takes {want} arguments, got "
                            f"{len(node.args)} ({_where(node)})")
        funcs.add(name)
        for a in node.args:
            _check(a, names, used, funcs, field, depth + 1)
        return
    raise _err(f"{field}: {type(node).__name__} is not allowed ({_where(node)}); use "
                    f"column names, numbers, operators and the functions {allowed}")


class _Evaluator:
    """Walks a tree that :func:`_check` accepted."""

    def __init__(self, env: Mapping[str, Any]) -> None:
        self.env = env

    def visit(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Name):
            return self.env[node.id]
        if isinstance(node, ast.Constant):
            v = node.value
            return np.float64(v) if isinstance(v, int) and not isinstance(v, bool) else v
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](self.visit(node.left), self.visit(node.right))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self.visit(node.operand))
        if isinstance(node, ast.BoolOp):
            fn = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            return _reduce(fn, tuple(self.visit(v) for v in node.values))
        if isinstance(node, ast.Compare):
            left = self.visit(node.left)
            out: Any = True
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = self.visit(comp)
                out = np.logical_and(out, _CMPOPS[type(op)](left, right))
                left = right
            return out
        if isinstance(node, ast.IfExp):
            return np.where(self.visit(node.test), self.visit(node.body),
                            self.visit(node.orelse))
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            fn = FUNCTIONS[node.func.id][0]
            return fn(*(self.visit(a) for a in node.args))
        raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover
