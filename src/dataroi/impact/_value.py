"""Value models: what a prediction is worth, per row, in money.

Two forms, both loaded from YAML (or a mapping) and validated with field paths:

* a **payoff matrix** — true class → predicted class → value (a number or the name of a
  term)::

      payoff:
        0: {0: 0, 1: -2.5}
        1: {0: -50, 1: 40}

* a **per-row expression** over the table's columns, the truth ``y``, the prediction
  ``pred`` and, when the model gives one, its ``score``; evaluated by the safe engine of
  :mod:`dataroi._expr`::

      expression: "order_value * (pred == 1) * (y == 1) - review_cost * (pred == 1)"
      terms: {review_cost: 2.5}

Named ``terms`` are the cost terms that what-if scenarios move by ±x % and for which
break-even values are computed (every cell of a payoff matrix is a term too).
``volume: {rows_per_period: 100000, period: month}`` expresses totals per period.

Example:
    >>> import numpy as np
    >>> vm = load_value_model({"payoff": {0: {0: 0, 1: -2.5}, 1: {0: -50, 1: 40}}})
    >>> vm.row_values({}, y=np.array([0, 1, 1]), pred=np.array([1, 1, 0])).tolist()
    [-2.5, 40.0, -50.0]
    >>> sorted(vm.terms)
    ['payoff_0_0', 'payoff_0_1', 'payoff_1_0', 'payoff_1_1']
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from dataroi._expr import Expression, compile_expression, identifier_for
from dataroi.exceptions import ImpactSpecError
from dataroi.impact._yaml import read_yaml_input

__all__ = ["PERIODS", "ValueModel", "load_value_model"]

#: Period names accepted by ``volume.period`` and by the per-period time breakdown.
PERIODS = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}

#: Names an expression may always read besides columns and terms.
RESERVED = ("y", "pred", "score")


def _label(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


@dataclass(frozen=True)
class ValueModel:
    """A validated value model (frozen). Build it with :func:`load_value_model`.

    Attributes:
        kind: ``"payoff"`` or ``"expression"``.
        terms: named cost terms and their values (read-only mapping).
        payoff_cells: for a payoff matrix, ``(true_label, predicted_label) -> term name``.
        expression: the expression text (expression models).
        rows_per_period: rows scored per period (``volume``), or None.
        period: the name of that period (``month``...), or None.
        currency: the unit of value (``USD``...).
        source: where it was loaded from (a path or ``"<mapping>"``).
    """

    kind: str
    terms: Mapping[str, float]
    payoff_cells: Mapping[tuple[str, str], str] = field(
        default_factory=lambda: MappingProxyType({}))
    expression: str | None = None
    rows_per_period: float | None = None
    period: str | None = None
    currency: str = "USD"
    source: str = "<mapping>"

    def to_dict(self) -> dict[str, Any]:
        """Canonical JSON-ready description (what the hash covers)."""
        d: dict[str, Any] = {"kind": self.kind, "terms": dict(sorted(self.terms.items())),
                             "currency": self.currency,
                             "volume": {"rows_per_period": self.rows_per_period,
                                        "period": self.period}}
        if self.kind == "payoff":
            d["payoff"] = [[t, p, name] for (t, p), name in sorted(self.payoff_cells.items())]
        else:
            d["expression"] = self.expression
        return d

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical description: identical models share a hash."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def names_for(self, columns: list[str]) -> dict[str, str]:
        """Map expression identifiers to table columns (``mean radius`` → ``mean_radius``)."""
        out: dict[str, str] = {}
        for c in columns:
            ident = identifier_for(str(c))
            if ident in RESERVED or ident in self.terms:
                continue
            out.setdefault(ident, str(c))
        return out

    def compiled(self, columns: list[str]) -> Expression:
        """Compile the expression against the columns of a table (expression models)."""
        assert self.expression is not None
        names = set(self.names_for(columns)) | set(RESERVED) | set(self.terms)
        try:
            return compile_expression(self.expression, names=names)
        except ImpactSpecError as exc:  # name the file the expression came from
            raise ImpactSpecError(exc.problems, what="value model",
                                  source=self.source) from None

    def row_values(
        self,
        columns: Mapping[str, Any],
        *,
        y: np.ndarray,
        pred: np.ndarray,
        score: np.ndarray | None = None,
        terms: Mapping[str, float] | None = None,
        compiled: Expression | None = None,
    ) -> np.ndarray:
        """Value of every row (float array), given the truth and one model's predictions.

        Args:
            columns: table columns by name (only those the expression reads are used).
            y: the truth, one per row.
            pred: predicted labels, one per row.
            score: the model's score of the positive class, if any.
            terms: replacement values of cost terms (what-if scenarios).
            compiled: a pre-compiled expression (see :meth:`compiled`).

        Raises:
            ImpactSpecError: a payoff matrix misses a (true, predicted) pair that occurs,
                or the expression reads ``score`` and the model gives none.
            DataError: the expression gives NaN or infinity for some rows.
        """
        from dataroi.exceptions import DataError

        values = dict(self.terms)
        if terms:
            values.update(terms)
        n = len(y)
        if self.kind == "payoff":
            return self._payoff_values(y, pred, values)
        expr = compiled or self.compiled(list(columns))
        env: dict[str, Any] = {"y": y, "pred": pred}
        if "score" in expr.names:
            if score is None:
                raise ImpactSpecError("value.expression: reads 'score' but the model gives "
                                      "labels only; give scores or probabilities",
                                      what="value model", source=self.source)
            env["score"] = score
        ident = self.names_for(list(columns))
        for name in expr.names:
            if name in values:
                env[name] = np.float64(values[name])
            elif name in ident:
                col = columns[ident[name]]
                env[name] = np.asarray(col)
        try:
            out = expr.evaluate(env, n_rows=n)
        except ImpactSpecError as exc:  # name the file the expression came from
            raise ImpactSpecError(exc.problems, what="value model",
                                  source=self.source) from None
        bad = ~np.isfinite(out)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise DataError(f"the value expression gives NaN or infinity for {int(bad.sum())} "
                            f"rows (first at row position {first}); guard it with where()/clip()"
                            " or fix the data")
        return out

    def _payoff_values(self, y: np.ndarray, pred: np.ndarray,
                       values: Mapping[str, float]) -> np.ndarray:
        y_lab, y_code = np.unique(np.asarray(y), return_inverse=True)
        p_lab, p_code = np.unique(np.asarray(pred), return_inverse=True)
        table = np.full((len(y_lab), len(p_lab)), np.nan)
        for i, t in enumerate(y_lab):
            for j, p in enumerate(p_lab):
                name = self.payoff_cells.get((_label(t), _label(p)))
                if name is not None:
                    table[i, j] = values[name]
        out = table[y_code.ravel(), p_code.ravel()]
        bad = np.isnan(out)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ImpactSpecError(
                f"payoff: no cell for true class {_label(np.asarray(y)[k])!r} and predicted "
                f"class {_label(np.asarray(pred)[k])!r} ({int(bad.sum())} rows); add "
                f"payoff.{_label(np.asarray(y)[k])}.{_label(np.asarray(pred)[k])}",
                what="value model", source=self.source)
        return out


class _AnyName(frozenset[str]):
    """Accepts every (non-dunder) name: used to check constructs before columns are known."""

    def __contains__(self, item: object) -> bool:
        return True


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v)


def load_value_model(source: str | os.PathLike[str] | Mapping[str, Any]) -> ValueModel:
    """Load and validate a value model from a YAML file or a mapping.

    Every problem is reported at once, each with its field path.

    Raises:
        UsageError: the file does not exist.
        ImpactSpecError: the content is invalid (exit code 2).
    """


    raw, where = read_yaml_input(source, what="value model")
    if isinstance(raw, Mapping) and set(raw) == {"value"} and isinstance(raw["value"], Mapping):
        raw = dict(raw["value"])
    if not isinstance(raw, Mapping):
        raise ImpactSpecError("must be a mapping with 'payoff' or 'expression'",
                              what="value model", source=where)
    problems: list[str] = []
    allowed = {"payoff", "expression", "terms", "volume", "currency", "description"}
    for key in raw:
        if key not in allowed:
            problems.append(f"{key}: unknown field; allowed: {', '.join(sorted(allowed))}")
    has_p, has_e = "payoff" in raw, "expression" in raw
    if has_p == has_e:
        problems.append("give exactly one of 'payoff' (a matrix) or 'expression' (per row)")
    terms: dict[str, float] = {}
    raw_terms = raw.get("terms") or {}
    if not isinstance(raw_terms, Mapping):
        problems.append("terms: must be a mapping of name: number")
        raw_terms = {}
    for name, v in raw_terms.items():
        if not (isinstance(name, str) and name.isidentifier() and not name.startswith("__")):
            problems.append(f"terms.{name}: a term name must be an identifier")
        elif name in RESERVED:
            problems.append(f"terms.{name}: '{name}' is reserved (y, pred, score)")
        elif not _number(v):
            problems.append(f"terms.{name}: must be a finite number, got {v!r}")
        else:
            terms[name] = float(v)
    cells: dict[tuple[str, str], str] = {}
    if has_p:
        payoff = raw["payoff"]
        if not isinstance(payoff, Mapping) or not payoff:
            problems.append("payoff: must map true class -> {predicted class: value}")
        else:
            for t, row in payoff.items():
                if not isinstance(row, Mapping) or not row:
                    problems.append(f"payoff.{t}: must map predicted class -> value")
                    continue
                for p, v in row.items():
                    path = f"payoff.{t}.{p}"
                    if isinstance(v, str):
                        if v not in terms:
                            problems.append(f"{path}: unknown term {v!r}; define it under "
                                            "terms")
                        else:
                            cells[(_label(t), _label(p))] = v
                    elif _number(v):
                        name = identifier_for(f"payoff_{_label(t)}_{_label(p)}")
                        terms[name] = float(v)
                        cells[(_label(t), _label(p))] = name
                    else:
                        problems.append(f"{path}: must be a finite number or a term name, got "
                                        f"{v!r}")
    expression = None
    if has_e:
        expression = raw["expression"]
        if not isinstance(expression, str) or not expression.strip():
            problems.append("expression: must be a non-empty text")
            expression = None
    rows_per_period = period = None
    volume = raw.get("volume")
    if volume is not None:
        if not isinstance(volume, Mapping):
            problems.append("volume: must be {rows_per_period: number, period: month}")
        else:
            rpp = volume.get("rows_per_period")
            if not _number(rpp) or rpp <= 0:
                problems.append(f"volume.rows_per_period: must be a positive number, got "
                                f"{rpp!r}")
            else:
                rows_per_period = float(rpp)
            period = volume.get("period", "month")
            if period not in PERIODS:
                problems.append(f"volume.period: must be one of {', '.join(PERIODS)}, got "
                                f"{period!r}")
            extra = set(volume) - {"rows_per_period", "period"}
            if extra:
                problems.append(f"volume.{sorted(extra)[0]}: unknown field")
    currency = raw.get("currency", "USD")
    if not isinstance(currency, str) or not currency.isidentifier():
        problems.append(f"currency: must be a short code like USD, got {currency!r}")
        currency = "USD"
    if problems:
        raise ImpactSpecError(problems, what="value model", source=where)
    vm = ValueModel(kind="payoff" if has_p else "expression",
                    terms=MappingProxyType(terms), payoff_cells=MappingProxyType(cells),
                    expression=expression.strip() if expression else None,
                    rows_per_period=rows_per_period, period=period, currency=currency,
                    source=where)
    if vm.kind == "expression":
        # syntax and forbidden constructs are checked now; names once the table is known
        try:
            compile_expression(vm.expression or "", names=_AnyName())
        except ImpactSpecError as exc:
            raise ImpactSpecError(exc.problems, what="value model", source=where) from None
    return vm
