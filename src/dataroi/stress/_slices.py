"""Per-slice scores of a study's trials, computed from the stored test-set predictions.

Every complete trial keeps its predictions for the whole test set, so per-slice
learning curves need no retraining: split the test rows by the slice column, score each
part, and count how many training rows of the trial fall in each slice (the subsets are
recomputed from their seeds). :func:`analyze_slices` then pools the slices
(``dataroi.slices``) and, with a budget, allocates labels per slice.

Example:
    >>> import dataroi, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "s.yaml").write_text('''
    ... data: sklearn:iris
    ... models: {lr: {estimator: sklearn.linear_model.LogisticRegression}}
    ... schedule: {sizes: [20, 40, 80], repeats: 2}
    ... slices: {column: petal length (cm), min_test_rows: 1}''')
    >>> study = dataroi.load_study(d / "s.yaml")
    >>> _ = study.run(progress=False)
    >>> table = slice_table(study, column="sepal width (cm)")
    >>> sorted(table.columns)[:3]
    ['model', 'n_slice_train', 'n_test']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dataroi.exceptions import UsageError

__all__ = ["SliceAnalysis", "analyze_slices", "slice_labels", "slice_table"]

_MAX_SLICES = 30


def _bucket(values: pd.Series) -> np.ndarray:
    """Slice labels of values: as they are when few, else quartiles."""
    if isinstance(values.dtype, pd.CategoricalDtype) or values.dtype == object \
            or values.nunique() <= _MAX_SLICES:
        return values.astype(str).to_numpy()
    return pd.qcut(values, 4, duplicates="drop").astype(str).to_numpy()


def slice_labels(prep: Any, slices: Any) -> np.ndarray:
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
        return _bucket(prep.X[column])
    from dataroi.impact._expr import compile_expression, identifier_for

    numeric = {identifier_for(c): c for c in prep.X.columns
               if prep.X[c].dtype.kind in "biuf"}
    try:
        expr = compile_expression(slices.expression, names=set(numeric),
                                  field="slices.expression")
        env = {name: prep.X[numeric[name]].to_numpy(dtype=float) for name in expr.names}
        values = expr.evaluate(env, n_rows=len(prep.X), field="slices.expression")
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


def slice_table(study: Any, *, column: str | None = None, metric: str | None = None,
                trials: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (complete trial of a model, slice): the metric on that slice's test
    rows and how many of the trial's training rows the slice holds.

    Numeric columns with more than 30 distinct values are cut into quartiles.

    Raises:
        UsageError: no slice column, an unknown metric, or no finished trial.
    """
    from dataroi.artifacts import ArtifactStore
    from dataroi.data import materialize
    from dataroi.data._store import WorkerData
    from dataroi.metrics import get_metric
    from dataroi.trial._worker import train_indices

    spec = study.spec
    slices: Any = column or spec.slices
    if slices is None:
        raise UsageError("name a slice column: slices: {column: ...} in the spec")
    metric = metric or spec.metrics[0]
    if metric not in spec.metrics:
        raise UsageError(f"metric '{metric}' is not one of the study's metrics")
    prep = study.prepare()
    if isinstance(slices, str) and slices not in prep.X.columns:
        raise UsageError(f"slice column '{slices}' is not a feature column")
    labels = slice_labels(prep, slices)
    test = np.asarray(prep.test_idx)
    y_test = np.asarray(prep.y)[test]
    test_slices = labels[test]
    models = {m.name for m in spec.models}
    trials = study.trials() if trials is None else trials
    done = trials[(trials["metric"] == metric) & trials["model"].isin(models)
                  & trials["predictions_digest"].notna()]
    if done.empty:
        raise UsageError("no finished trial with stored predictions; run the study first")
    store = ArtifactStore(study.workdir / "artifacts")
    data = WorkerData.open(materialize(prep, study.workdir / "cache"))
    m = get_metric(metric)
    plan = study.plan()
    rows = []
    for t in done.itertuples(index=False):
        if t.predictions_digest not in store:
            continue
        arrays = store.get(t.predictions_digest)
        pred, proba = arrays.get("pred"), arrays.get("proba")
        if m.needs != "pred" and proba is None:
            continue
        train = train_indices(data, plan.subset_seed(spec.schedule.seed, int(t.repeat)),
                              int(t.n_train))
        train_counts = pd.Series(labels[train]).value_counts()
        for s in np.unique(test_slices):
            mask = test_slices == s
            try:
                value = m.score(y_test[mask], pred=pred[mask],
                                proba=None if proba is None else proba[mask].astype(float),
                                n_classes=prep.n_classes)
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


def analyze_slices(study: Any, *, column: str | None = None, metric: str | None = None,
                   budget_usd: float | None = None, objective: str = "overall",
                   random_state: int = 0, trials: pd.DataFrame | None = None
                   ) -> SliceAnalysis:
    """Per-slice scores with partial pooling at today's size, and (with a budget) the
    label allocation per slice for each model."""
    from dataroi.metrics import get_metric
    from dataroi.slices import allocate_labels, fit_slice_curves, partial_pool

    spec = study.spec
    table = slice_table(study, column=column, metric=metric, trials=trials)
    column = column or spec.slices.label  # type: ignore[union-attr]
    metric = metric or spec.metrics[0]
    hib = get_metric(metric).higher_is_better
    min_rows = spec.slices.min_test_rows if spec.slices else 30
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
            f"{int(worst['n_test'])} test rows), strongest {best['slice']} "
            f"{best['pooled']:.4f}")
    allocations: dict[str, Any] = {}
    if budget_usd is not None:
        curves = fit_slice_curves(table, higher_is_better=hib, random_state=random_state)
        default = spec.costs.cost_per_item_usd if spec.costs else 1.0
        prices = spec.slices.price_per_label_usd if spec.slices else {}
        price = {s: prices.get(s, default) for s in table["slice"].unique()}
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
                f"proportional split → {alloc.objective_after_proportional:.4f})")
    return SliceAnalysis(column=str(column), metric=metric, pooled=pooled,
                         left_out=left_out, allocations=allocations,
                         statements=tuple(statements))
