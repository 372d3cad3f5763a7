"""Per-slice learning curves with partial pooling, and a per-slice label planner.

Input: a tidy table ``per_slice`` with one row per trial and slice and the columns
``model, n_train, repeat, slice, n_test, value, n_slice_train``. Typical use::

    pooled = partial_pool(per_slice)                  # shrunk slice means per size
    curves = fit_slice_curves(per_slice)              # one CurveFit per (model, slice)
    plan = allocate_labels(curves, "logreg", budget_usd=5000,
                           price_per_label={"a": 1.0, "b": 3.0}, objective="worst_slice")
    plan.table(); plan.to_dict()

Example:
    >>> from dataroi.slices import OBJECTIVES
    >>> OBJECTIVES
    ('overall', 'worst_slice')
"""

from __future__ import annotations

from dataroi.slices._allocate import OBJECTIVES, Allocation, allocate_labels
from dataroi.slices._curves import MIN_SIZES, SliceCurves, fit_slice_curves
from dataroi.slices._pooling import REQUIRED_COLUMNS, SliceError, dersimonian_laird, partial_pool
from dataroi.slices._study import SliceAnalysis, analyze_slices, slice_labels, slice_table

__all__ = [
    "MIN_SIZES",
    "OBJECTIVES",
    "REQUIRED_COLUMNS",
    "Allocation",
    "SliceAnalysis",
    "SliceCurves",
    "SliceError",
    "allocate_labels",
    "analyze_slices",
    "dersimonian_laird",
    "fit_slice_curves",
    "partial_pool",
    "slice_labels",
    "slice_table",
]
