"""A small, safe expression engine for per-row business values.

The text is parsed with Python's :mod:`ast` and every node is checked against an
allow-list *before* anything is evaluated; evaluation walks the checked tree with numpy.
Nothing is handed to ``eval``/``exec``, there is no attribute access, no subscripts, no
lambdas or comprehensions, and the only calls are the functions in :data:`FUNCTIONS`.

Allowed: numbers, strings (to compare with text columns), ``True``/``False``, names of
columns and terms, ``+ - * / // % **``, unary ``- + not ~``, comparisons (also chained),
``and``/``or`` (element-wise), ``a if cond else b`` and the functions
``abs, min, max, where, log, exp, sqrt, clip``.

Text (string constants, text columns) may only be compared with text: arithmetic, ``and``/
``or``, ``not`` and function arguments need numbers, and comparing a text column with a
number is refused with the column's kind and example values (``region is text ('north',
'south', ...); compare it with a string``) — constants at compile time, columns when the
values are known. A left-leaning run of one precedence level (``a + b - c + ...``) is one
flat chain, not nesting: only real nesting counts towards :data:`_MAX_DEPTH`, and chains
are checked and evaluated without recursion.

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
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataroi.exceptions import DataroiError, ImpactSpecError

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
#: Operators of one precedence level: a left-leaning run of them is one flat chain.
_FAMILIES: dict[type, int] = {ast.Add: 0, ast.Sub: 0, ast.Mult: 1, ast.Div: 1,
                              ast.FloorDiv: 1, ast.Mod: 1}
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


def _chain(node: ast.BinOp) -> tuple[list[ast.expr], list[ast.operator]]:
    """The operands and operators of a left-leaning run of one precedence level.

    Iterative, so a flat sum of thousands of terms neither counts as nesting nor recurses.

    Example:
        >>> operands, ops = _chain(ast.parse("a + b - c * d", mode="eval").body)
        >>> [ast.unparse(o) for o in operands], [type(o).__name__ for o in ops]
        (['a', 'b', 'c * d'], ['Add', 'Sub'])
    """
    family = _FAMILIES.get(type(node.op))
    rights: list[ast.expr] = []
    ops: list[ast.operator] = []
    cur: ast.expr = node
    while (family is not None and isinstance(cur, ast.BinOp)
           and _FAMILIES.get(type(cur.op)) == family):
        rights.append(cur.right)
        ops.append(cur.op)
        cur = cur.left
    if not ops:  # ** (right-associative) or an operator outside the families
        return [node.left, node.right], [node.op]
    return [cur, *reversed(rights)], list(reversed(ops))


def _array_kind(values: Any) -> str | None:
    """``"num"``, ``"text"`` or None (unknown: no values, dates...) for a column's values.

    Example:
        >>> _array_kind(np.array(["a", "b"], dtype=object)), _array_kind(np.array([1, 2]))
        ('text', 'num')
    """
    arr = np.asarray(values)
    kind = arr.dtype.kind
    if kind in "biuf":
        return "num"
    if kind in "US":
        return "text"
    if kind == "O":
        for v in arr.ravel():
            if isinstance(v, str):
                return "text"
            if isinstance(v, bool | int | float | np.number) and v == v:
                return "num"
    return None


def _examples(values: Any, *, text: bool) -> str:
    """A few distinct values of a column, quoted as in an expression."""
    arr = np.asarray(values).ravel()
    if text:
        seen = sorted({str(v) for v in arr[:100_000] if isinstance(v, str)})
        shown = ", ".join(repr(v) for v in seen[:3])
        return shown + (", ..." if len(seen) > 3 else "")
    nums = [v for v in arr[:1000].tolist() if isinstance(v, bool | int | float) and v == v]
    return ", ".join(f"{v:g}" if isinstance(v, float) else str(v)
                     for v in list(dict.fromkeys(nums))[:3])


class _Kinds:
    """Finds what each part gives (numbers or text) and refuses text where a number is
    needed — on constants at compile time (``env`` None), on columns before evaluating."""

    def __init__(self, env: Mapping[str, Any] | None, field: str) -> None:
        self.env, self.field = env, field

    def check(self, node: ast.expr) -> None:
        if self.visit(node) == "text":
            raise _err(f"{self.field}: the expression gives text ({self.describe(node)}); "
                       "it must give numbers, e.g. 5 * (region == 'north')")

    def kind_of(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant):
            return "text" if isinstance(node.value, str) else "num"
        if isinstance(node, ast.Name):
            if self.env is None or node.id not in self.env:
                return None
            return _array_kind(self.env[node.id])
        return "num"

    def describe(self, node: ast.expr) -> str:
        if isinstance(node, ast.Name) and self.env is not None and node.id in self.env:
            kind = _array_kind(self.env[node.id])
            values = self.env[node.id]
            if kind == "text":
                return f"{node.id} is text ({_examples(values, text=True)})"
            return f"{node.id} is numeric (e.g. {_examples(values, text=False)})"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return f"the string {node.value[:40]!r}"
        return "a number"

    def need_number(self, node: ast.expr, where: str) -> None:
        if self.visit(node) != "text":
            return
        if isinstance(node, ast.Name):
            raise _err(f"{self.field}: {self.describe(node)}, but {where} needs numbers "
                       f"({_where(node)}); use it in a comparison, e.g. {node.id} == "
                       f"{_first_text(self.env, node.id)!r}")
        raise _err(f"{self.field}: {where} needs numbers, not {self.describe(node)} "
                   f"({_where(node)}); strings may only be compared with text columns, "
                   "e.g. region == 'north'")

    def visit(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.BinOp):
            operands, _ = _chain(node)
            for operand in operands:
                self.need_number(operand, "arithmetic (+ - * / // % **)")
        elif isinstance(node, ast.UnaryOp):
            symbol = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not", ast.Invert: "~"}.get(
                type(node.op), type(node.op).__name__)
            self.need_number(node.operand, f"the operator '{symbol}'")
        elif isinstance(node, ast.BoolOp):
            for v in node.values:
                self.need_number(v, "and/or")
        elif isinstance(node, ast.IfExp):
            for part in (node.test, node.body, node.orelse):
                self.need_number(part, "a if c else b")
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else "a function"
            for a in node.args:
                self.need_number(a, f"{name}()")
        elif isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
            kinds = [self.visit(p) for p in parts]
            for i in range(len(parts) - 1):
                a, b = kinds[i], kinds[i + 1]
                if a is not None and b is not None and a != b:
                    self._mismatch(*((parts[i], parts[i + 1]) if a == "text"
                                     else (parts[i + 1], parts[i])))
        else:
            return self.kind_of(node)
        return "num"

    def _mismatch(self, text_side: ast.expr, num_side: ast.expr) -> None:
        where = _where(text_side)
        if isinstance(text_side, ast.Name):
            raise _err(f"{self.field}: {self.describe(text_side)}; compare it with a string, "
                       f"e.g. {text_side.id} == {_first_text(self.env, text_side.id)!r} "
                       f"({where})")
        if isinstance(num_side, ast.Name) and self.env is not None and num_side.id in self.env:
            raise _err(f"{self.field}: {self.describe(num_side)}; compare it with a number, "
                       f"not with {self.describe(text_side)} ({where})")
        raise _err(f"{self.field}: {self.describe(text_side)} is compared with a number "
                   f"({where}); compare text with text and numbers with numbers")


def _first_text(env: Mapping[str, Any] | None, name: str) -> str:
    if env is None or name not in env:
        return "..."
    for v in np.asarray(env[name]).ravel():
        if isinstance(v, str):
            return str(v)
    return "..."


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
            ImpactSpecError: a name has no value in ``env``; a text column used where a
                number is needed, or compared with a number (the message names the
                column, its kind and example values); any other failure to compute.

        Example:
            >>> expr = compile_expression("2 * (region > 1)", names={"region"})
            >>> try:
            ...     expr.evaluate({"region": np.array(["north", "south"])}, n_rows=2)
            ... except ImpactSpecError as exc:
            ...     print(exc.problems[0][:63])
            value.expression: region is text ('north', 'south'); compare it
        """
        missing = sorted(self.names - set(env))
        if missing:
            raise _err(f"{field}: no value for {', '.join(missing)}")
        _Kinds(env, field).check(self._tree.body)
        try:
            with np.errstate(all="ignore"):
                out = _Evaluator(env).visit(self._tree.body)
        except DataroiError:
            raise
        except (ArithmeticError, MemoryError, RecursionError, TypeError, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            raise _err(f"{field}: cannot be computed on these values ({type(exc).__name__}: "
                       f"{first}); use each column as the number or text it is") from None
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
        at = f" at column {exc.offset}" if exc.offset else ""
        raise _err(f"{field}: syntax error{at}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise _err(f"{field}: nested too deeply to read (e.g. a long run of '-' or 'not'); "
                   f"at most {_MAX_DEPTH} levels of nesting") from None
    except ValueError as exc:  # e.g. a NUL character
        raise _err(f"{field}: cannot be read: {exc}") from None
    used_names: set[str] = set()
    used_funcs: set[str] = set()
    _check(tree.body, names, used_names, used_funcs, field, 0)
    _Kinds(None, field).check(tree.body)
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
        value = node.value
        if isinstance(value, str):
            if value.startswith("__"):
                raise _err(f"{field}: dunder strings are not allowed ({_where(node)})")
            return
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            try:
                finite = math.isfinite(float(value))
            except OverflowError:
                finite = False
            if not finite:
                digits = str(value) if isinstance(value, float) else \
                    f"{str(value)[:8]}... ({len(str(abs(value)))} digits)"
                raise _err(f"{field}: the number {digits} is too large ({_where(node)}); "
                           "numbers must be finite and below about 1.8e308")
            return
        raise _err(f"{field}: constant {value!r} is not allowed ({_where(node)})")
    if isinstance(node, ast.BinOp):
        operands, ops = _chain(node)  # a flat run of + - (or * / // %) is one level
        for op in ops:
            if type(op) not in _BINOPS:
                raise _err(f"{field}: operator {type(op).__name__} is not allowed "
                           f"({_where(node)}); use + - * / // % **")
        for operand in operands:
            _check(operand, names, used, funcs, field, depth + 1)
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
            operands, ops = _chain(node)  # a flat chain: a loop, not recursion
            out = self.visit(operands[0])
            for op, operand in zip(ops, operands[1:], strict=True):
                out = _BINOPS[type(op)](out, self.visit(operand))
            return out
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
