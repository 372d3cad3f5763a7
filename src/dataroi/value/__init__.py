"""The value of labels and of models: marginal gains, labels to target, data vs. model.

Everything is computed from joint learning-curve draws (:mod:`dataroi.curves`), so the
numbers are consistent across added amounts, and from paired per-repeat scores today.

Typical use::

    curves = fit_study_curves(trials)             # one curve per model (a trials frame)
    marginal_value(curves, add=[1000, 5000])      # gain of added labels, quantiles
    labels_to_target(curves, 0.95)                # how many labels to reach 0.95
    compare_models(curves)                        # paired today, projected, crossings
    backtest_study(trials)                        # hide the largest sizes, refit, check
    tipping_points(curves, threshold_per_1k=0.001)

Example:
    >>> import pandas as pd
    >>> from dataroi.value import fit_study_curves, marginal_value
    >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": 0.9 - 1.5 / n ** 0.5 + 0.002 * r}
    ...         for n in (25, 50, 100, 200, 400) for r in range(3)]
    >>> curves = fit_study_curves(pd.DataFrame(rows), metric="accuracy")
    >>> mv = marginal_value(curves)
    >>> [r["delta_n"] for r in mv.rows]
    [100, 200, 400, 800, 1600, 3200]
"""

from __future__ import annotations

from dataroi.value._backtest import Backtest, backtest_study, study_backtest
from dataroi.value._cache import FitCache
from dataroi.value._compare import PAIR_RANK_CORRELATION, ModelComparison, compare_models
from dataroi.value._curves import (
    REQUIRED_TRIAL_COLUMNS,
    Serving,
    StudyCurves,
    TestPredictions,
    fit_study_curves,
    study_trials,
)
from dataroi.value._marginal import (
    DEFAULT_GRID,
    QUANTILES,
    LabelsToTarget,
    MarginalValue,
    TippingPoints,
    break_even_per_1k,
    delta_grid,
    labels_to_target,
    marginal_value,
    requirement_draws,
    tipping_points,
)

__all__ = [
    "DEFAULT_GRID",
    "PAIR_RANK_CORRELATION",
    "QUANTILES",
    "REQUIRED_TRIAL_COLUMNS",
    "Backtest",
    "FitCache",
    "LabelsToTarget",
    "MarginalValue",
    "ModelComparison",
    "Serving",
    "StudyCurves",
    "TestPredictions",
    "TippingPoints",
    "backtest_study",
    "break_even_per_1k",
    "compare_models",
    "delta_grid",
    "fit_study_curves",
    "labels_to_target",
    "marginal_value",
    "requirement_draws",
    "study_backtest",
    "study_trials",
    "tipping_points",
]
