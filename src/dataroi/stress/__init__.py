"""Stress tests of one trial's training data: label noise, class priors, covariate shift.

Example:
    >>> import numpy as np
    >>> from dataroi.stress import flip_labels
    >>> y = np.zeros(1000, dtype=np.int64)
    >>> int((flip_labels(y, 0.2, n_classes=2, seed=0) != y).sum())
    200
"""

from __future__ import annotations

from dataroi.stress._perturb import (
    class_priors,
    flip_labels,
    hardness_scores,
    numeric_matrix,
    prior_subset,
    shift_weights,
    thinned_priors,
)

__all__ = [
    "class_priors",
    "flip_labels",
    "hardness_scores",
    "numeric_matrix",
    "prior_subset",
    "shift_weights",
    "thinned_priors",
]
