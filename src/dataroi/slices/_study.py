"""Per-slice scores of a study's trials, from the stored test-set predictions.

Every complete trial keeps its predictions for the whole test set, so per-slice
learning curves need no retraining: split the test rows by the slice column, score each
part, and count how many training rows of the trial fall in each slice (the subsets are
recomputed from their seeds). :func:`analyze_slices` then pools the slices
(:func:`partial_pool`) and, with a budget, allocates labels per slice.
``Study.analyze().slices()`` feeds these functions a study's data.

Example:
    >>> import pandas as pd
    >>> from dataroi.spec import SliceSpec
    >>> X = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0]})
    >>> slice_labels(X, SliceSpec(None, expression="size > 2")).tolist()
    ['false', 'false', 'true', 'true']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dataroi.exceptions import UsageError

if TYPE_CHECKING:
    from dataroi.spec import SliceSpec

__all__ = ["SliceAnalysis", "analyze_slices", "slice_labels", "slice_table"]

_MAX_SLICES = 30


#: The slice of rows whose slice column is empty.
MISSING = "(missing)"


def _bucket(values: pd.Series) -> np.ndarray:
    """Slice labels of values: as they are when few, else quartiles; a missing value is
    the slice ``(missing)`` (a category column with gaps broke the slice table).

    Example:
        >>> _bucket(pd.Series(["a", None, "b"], dtype="category")).tolist()
        ['a', '(missing)', 'b']
    """
    if not (isinstance(values.dtype, pd.CategoricalDtype) or values.dtype == object
            or values.nunique() <= _MAX_SLICES):
        values = pd.qcut(values, 4, duplicates="drop")
    labels = values.astype(object).where(values.notna(), MISSING)
    return labels.astype(str).to_numpy()


def slice_labels(X: pd.DataFrame, slices: SliceSpec | str) -> np.ndarray:
    """The slice label of every row: the column's values, or the expression's.

    ``slices`` is a :class:`dataroi.spec.SliceSpec` or a column name. An expression
    reads numeric and true/false feature columns (names as in ``dataroi impact``: other
    characters become ``_``); a true/false result gives the slices ``true`` and
    ``false``. Numeric values with more than 30 distinct values are cut into quartiles.

    Raises:
        SpecError: an expression that does not compile, reads an unknown or non-numeric
            column, or gives no numbers.
    """
    from dataroi.exceptions import SpecError

    column = slices if isinstance(slices, str) else slices.column
    if column is not None:
        return _bucket(X[column])
    from dataroi._expr import compile_expression, identifier_for

    numeric = {identifier_for(c): c for c in X.columns if X[c].dtype.kind in "biuf"}
    try:
        expr = compile_expression(slices.expression, names=set(numeric),
                                  field="slices.expression")
        env = {name: X[numeric[name]].to_numpy(dtype=float) for name in expr.names}
        values = expr.evaluate(env, n_rows=len(X), field="slices.expression")
    except SpecError as exc:
        raise SpecError([p if p.startswith("slices") else f"slices.expression: {p}"
                         for p in exc.problems] + (
            [f"numeric feature columns: {', '.join(sorted(numeric))}"]
            if any("unknown name" in p or "not allowed" in p for p in exc.problems)
            else [])) from None
    finite = values[np.isfinite(values)]
    if finite.size and set(np.unique(finite)) <= {0.0, 1.0}:
        return np.where(values == 1.0, "true", "false")
    return _bucket(pd.Series(values))


def slice_table(trials: pd.DataFrame, *, labels: np.ndarray, test_idx: np.ndarray,
                y_test: np.ndarray, n_classes: int | None, metric: str,
                models: Sequence[str],
                predictions: Callable[[str], Mapping[str, np.ndarray] | None],
                train_rows: Callable[[int, int], np.ndarray]) -> pd.DataFrame:
    """One row per (complete trial of a model, slice): the metric on that slice's test
    rows and how many of the trial's training rows the slice holds.

    Args:
        trials: the study's trials (``Study.trials()``).
        labels: the slice of every row of the data (:func:`slice_labels`).
        test_idx, y_test, n_classes: the test rows, their labels, the number of classes.
        metric: the metric scored per slice.
        models: the models to slice (arms are left out).
        predictions: the stored arrays of a trial by its ``predictions_digest``.
        train_rows: the training rows of (repeat, n_train).

    Raises:
        UsageError: no finished trial with stored predictions.
    """
    from dataroi.metrics import get_metric

    test_slices = labels[np.asarray(test_idx)]
    done = trials[(trials["metric"] == metric) & trials["model"].isin(list(models))
                  & trials["predictions_digest"].notna()]
    if done.empty:
        raise UsageError("no finished trial with stored predictions; run the study first")
    m = get_metric(metric)
    rows = []
    for t in done.itertuples(index=False):
        arrays = predictions(str(t.predictions_digest))
        if arrays is None:
            continue
        pred, proba = arrays.get("pred"), arrays.get("proba")
        if m.needs != "pred" and proba is None:
            continue
        train_counts = pd.Series(labels[train_rows(int(t.repeat), int(t.n_train))]
                                 ).value_counts()
        for s in np.unique(test_slices):
            mask = test_slices == s
            try:
                value = m.score(y_test[mask], pred=pred[mask],
                                proba=None if proba is None else proba[mask].astype(float),
                                n_classes=n_classes)
            except ValueError:  # e.g. AUC on a slice holding one class
                value = math.nan
            rows.append({"model": t.model, "n_train": int(t.n_train),
                         "repeat": int(t.repeat), "slice": str(s), "n_test": int(mask.sum()),
                         "value": float(value),
                         "n_slice_train": int(train_counts.get(s, 0))})
    return pd.DataFrame(rows, columns=["model", "n_train", "repeat", "slice", "n_test",
                                       "value", "n_slice_train"])


@dataclass(frozen=True)
class SliceAnalysis:
    """Per-slice results of a study.

    Attributes:
        column, metric: what was sliced and scored.
        pooled: partially pooled per-slice scores per model and size (``partial_pool``).
        left_out: slices under ``min_test_rows`` test rows, with their counts.
        allocations: per model, the label allocation under the budget (when given).
        statements: the findings in plain words.
    """

    column: str
    metric: str
    pooled: pd.DataFrame
    left_out: dict[str, int] = field(default_factory=dict)
    allocations: dict[str, Any] = field(default_factory=dict)
    statements: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        from dataroi._json import json_safe

        return json_safe({"column": self.column, "metric": self.metric,
                          "pooled": self.pooled.to_dict(orient="records"),
                          "left_out": self.left_out,
                          "allocations": {k: a.to_dict() for k, a in self.allocations.items()},
                          "statements": list(self.statements)})


def analyze_slices(table: pd.DataFrame, *, column: str, metric: str,
                   min_test_rows: int = 30, budget_usd: float | None = None,
                   price_per_label: Mapping[str, float] | None = None,
                   default_price: float = 1.0, objective: str = "overall",
                   random_state: int = 0) -> SliceAnalysis:
    """Per-slice scores with partial pooling at today's size, and (with a budget) the
    label allocation per slice for each model.

    Args:
        table: per-slice scores (:func:`slice_table`).
        column: what was sliced (a column name or an expression), for the statements.
        metric: the metric of ``table``.
        min_test_rows: slices with fewer test rows are left out (named).
        budget_usd: allocate labels across slices with this budget.
        price_per_label: the price of a label per slice (others: ``default_price``).
        objective: ``overall`` or ``worst_slice``.
        random_state: root seed of the slice curves.

    Raises:
        UsageError: no slice has enough test rows.
    """
    from dataroi.metrics import get_metric
    from dataroi.slices._allocate import allocate_labels
    from dataroi.slices._curves import fit_slice_curves
    from dataroi.slices._pooling import partial_pool

    hib = get_metric(metric).higher_is_better
    min_rows = int(min_test_rows)
    sizes = table.groupby("slice")["n_test"].max()
    left_out = {str(s): int(n) for s, n in sizes.items() if n < min_rows}
    table = table[~table["slice"].isin(left_out) & table["value"].notna()]
    if table.empty:
        raise UsageError(f"no slice of '{column}' has {min_rows} or more test rows")
    pooled = partial_pool(table, higher_is_better=hib)
    statements = []
    n0 = int(pooled["n_train"].max())
    for model, grp in pooled[pooled["n_train"] == n0].groupby("model"):
        worst = grp.sort_values("pooled", ascending=hib).iloc[0]
        best = grp.sort_values("pooled", ascending=not hib).iloc[0]
        if np.isclose(worst["pooled"], best["pooled"]):
            statements.append(
                f"{model} at {n0:,} labels: the slices of {column} do not differ beyond "
                f"their noise (between-slice spread τ = 0): every slice is estimated at "
                f"{best['pooled']:.4f} (90 % interval {best['low']:.4f}–{best['high']:.4f})")
            continue
        statements.append(
            f"{model} at {n0:,} labels: weakest slice {column}={worst['slice']} "
            f"{worst['pooled']:.4f} (90 % interval {worst['low']:.4f}–{worst['high']:.4f}, "
            f"{int(worst['n_test']):,} test rows), strongest {best['slice']} "
            f"{best['pooled']:.4f}")
    allocations: dict[str, Any] = {}
    if budget_usd is not None:
        curves = fit_slice_curves(table, higher_is_better=hib, random_state=random_state)
        prices = dict(price_per_label or {})
        price = {s: prices.get(s, default_price) for s in table["slice"].unique()}
        fitted = {m for (m, _s) in curves.fits}
        for model in sorted(fitted):
            alloc = allocate_labels(curves, model, budget_usd=budget_usd,
                                    price_per_label=price, objective=objective,
                                    random_state=random_state)
            allocations[model] = alloc
            split = ", ".join(f"{s}: {n:,}" for s, n in alloc.labels.items() if n)
            statements.append(
                f"{model}: with ${budget_usd:,.0f}, label by slice {split} "
                f"({objective} {alloc.objective_today:.4f} → {alloc.objective_after:.4f}; "
                f"proportional split → {alloc.objective_after_proportional:.4f})" if split
                else f"{model}: with ${budget_usd:,.0f}, no slice's labels are expected to "
                f"raise {objective} ({alloc.objective_today:.4f} today; a proportional "
                f"split → {alloc.objective_after_proportional:.4f}): keep the budget")
    return SliceAnalysis(column=str(column), metric=metric, pooled=pooled,
                         left_out=left_out, allocations=allocations,
                         statements=tuple(statements))
