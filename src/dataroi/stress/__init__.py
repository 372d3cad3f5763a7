"""Stress tests of one trial's training data: label noise, class priors, covariate shift.

Example:
    >>> import numpy as np
    >>> from dataroi.stress import flip_labels
    >>> y = np.zeros(1000, dtype=np.int64)
    >>> int((flip_labels(y, 0.2, n_classes=2, seed=0) != y).sum())
    200
"""

from __future__ import annotations

from dataroi.stress._analysis import ArmGroup, StressAnalysis, analyze_stress, strategy_curves
from dataroi.stress._equivalence import (
    NEVER_SHARE,
    Equivalence,
    added_quantiles,
    equivalent_labels,
    paired_differences,
)
from dataroi.stress._noise_rule import (
    FACTORS,
    CleanPath,
    GapForecast,
    calibrated_interval,
    curves_gap_forecast,
    effective_fraction,
    flipped_share,
    rule_equivalence,
    rule_gap_forecast,
    scale_at,
    shipped_excess_decay,
    shipped_interval_scale,
)
from dataroi.stress._relabel import (
    RelabelDecision,
    Relabeling,
    majority_of_three,
    noise_arms_check,
    relabel_vs_new,
)
from dataroi.trial import (  # the perturbations the workers apply live in trial
    class_priors,
    flip_labels,
    hardness_scores,
    numeric_matrix,
    prior_subset,
    shift_weights,
    thinned_priors,
)

__all__ = [
    "FACTORS",
    "NEVER_SHARE",
    "ArmGroup",
    "CleanPath",
    "Equivalence",
    "GapForecast",
    "RelabelDecision",
    "Relabeling",
    "StressAnalysis",
    "added_quantiles",
    "analyze_stress",
    "calibrated_interval",
    "class_priors",
    "curves_gap_forecast",
    "effective_fraction",
    "equivalent_labels",
    "flip_labels",
    "flipped_share",
    "hardness_scores",
    "majority_of_three",
    "noise_arms_check",
    "numeric_matrix",
    "paired_differences",
    "prior_subset",
    "relabel_vs_new",
    "rule_equivalence",
    "rule_gap_forecast",
    "scale_at",
    "shift_weights",
    "shipped_excess_decay",
    "shipped_interval_scale",
    "strategy_curves",
    "thinned_priors",
]
