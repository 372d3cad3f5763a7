"""Learning-curve models: fit, extrapolate with calibrated uncertainty, labels-to-target.

Pure numerical code on arrays. The main entry point is :func:`fit_curve`::

    fit = fit_curve(sizes, scores, higher_is_better=True)   # scores: (n_sizes, n_repeats)
    fit.predict(4 * sizes[-1]); fit.interval(n, level=0.9); fit.sample(n, size=1000)
    fit.n_to_reach(0.95, confidence=0.9); fit.summary(); CurveFit.from_dict(fit.to_dict())

Example:
    >>> import numpy as np
    >>> from dataroi.curves import fit_curve
    >>> n = np.array([50, 100, 200, 400, 800])
    >>> fit = fit_curve(n, 0.95 - 0.8 * n ** -0.5, random_state=0)
    >>> bool(fit.predict(3200)[0] > fit.predict(800)[0])
    True
"""

from __future__ import annotations

from dataroi.curves._calibration import Calibration, load_calibration, uncertainty_scale
from dataroi.curves._cost import fit_cost_curve
from dataroi.curves._diagnostics import find_crossing
from dataroi.curves._families import AUTO_FAMILIES, FAMILIES, CurveFamily, get_family
from dataroi.curves._fit import FIT_REVISION, Component, CurveFit, NToReach, fit_curve
from dataroi.curves._gain import (
    GainForecast,
    GainModel,
    context_of,
    curve_state,
    feature_matrix,
    load_gain_model,
    parametric_gains,
)
from dataroi.curves._paired import PairedDifference, paired_difference
from dataroi.curves._shipped import learned_files_digest

__all__ = [
    "AUTO_FAMILIES",
    "FAMILIES",
    "FIT_REVISION",
    "Calibration",
    "Component",
    "CurveFamily",
    "CurveFit",
    "GainForecast",
    "GainModel",
    "NToReach",
    "PairedDifference",
    "context_of",
    "curve_state",
    "feature_matrix",
    "find_crossing",
    "fit_cost_curve",
    "fit_curve",
    "get_family",
    "learned_files_digest",
    "load_calibration",
    "load_gain_model",
    "paired_difference",
    "parametric_gains",
    "uncertainty_scale",
]
