"""fit_curve on a metric that reaches below 0: Matthews correlation (MCC, in [-1, 1]).

Its best value is 1, as for accuracy, but it is not bounded below at 0: a curve that
starts below chance must fit, predict and sample below 0, and never above 1.
"""

from __future__ import annotations

import numpy as np

from dataroi.curves import fit_curve
from dataroi.metrics import get_metric

SIZES = np.array([16, 32, 64, 128, 256, 512, 1024])


def _mcc_scores(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mean = 0.75 - 2.2 * SIZES.astype(float) ** -0.3  # -0.22 at 16, 0.45 at 1024
    return np.clip(mean[:, None] + rng.normal(0, 0.03, (len(SIZES), 6)), -1, 1)


def test_mcc_with_negative_values_fits_with_best_value_one():
    scores = _mcc_scores()
    assert (scores[0] < 0).all()
    fit = fit_curve(SIZES, scores, higher_is_better=True, random_state=0)
    assert fit.best_value == 1.0
    assert fit.predict(16)[0] < 0  # not clipped at 0
    today = scores[-1].mean()
    assert today < fit.predict(8192)[0] <= 1.0
    draws = fit.sample([16, 8192], size=500, random_state=1)
    assert draws.max() <= 1.0 and (draws[:, 0] < 0).mean() > 0.5
    lo, hi = fit.plausible_range()
    assert hi == 1.0 and lo < scores.mean(axis=1).min()


def test_mcc_all_positive_keeps_no_floor_at_zero_given_the_metric_best_value():
    # observed MCC all above 0: by default the scores are read like accuracy's (kept
    # >= 0, docs/curves.md "Inputs"); given the metric's best value, as the registry
    # states it, the fit keeps no floor at 0
    scores = _mcc_scores()[2:] + 0.3
    assert (scores > 0).all()
    assert fit_curve(SIZES[2:], scores, random_state=0).predict(2)[0] >= 0
    fit = fit_curve(SIZES[2:], scores, random_state=0,
                    best_value=get_metric("mcc").best_value)
    assert fit.best_value == 1.0
    assert fit.predict(2)[0] < 0  # far below the sizes seen
    assert fit.predict(1 << 16)[0] <= 1.0
