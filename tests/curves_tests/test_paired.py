"""Paired differences of two learning curves (joint bootstrap over repeats)."""

from __future__ import annotations

import numpy as np
import pytest

from dataroi.curves import fit_curve, paired_difference
from dataroi.exceptions import UsageError

N = np.array([50, 100, 200, 400, 800])


def _arms(seed: int, offset: float = 0.02, own: float = 0.001) -> tuple:
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, 0.006, (5, 5))  # the repeat's subset: shared by both arms
    a = 0.95 - 1.0 * N[:, None] ** -0.5 + shared
    b = a - offset + rng.normal(0, own, (5, 5))
    return a, b


@pytest.mark.slow
def test_paired_interval_is_narrower_than_independent_draws() -> None:
    a, b = _arms(0)
    fa, fb = fit_curve(N, a, random_state=0), fit_curve(N, b, random_state=0)
    d = paired_difference(N, a, b, [800, 3200], fit_a=fa, fit_b=fb, boots=60)
    indep = fa.sample([3200], size=400, random_state=1) - fb.sample([3200], size=400,
                                                                     random_state=2)
    lo, hi = np.quantile(indep[:, 0], [0.05, 0.95])
    assert d.high[1] - d.low[1] < 0.5 * (hi - lo)
    # at an observed size the difference is the measured one
    assert d.low[0] <= 0.02 + 0.003 and d.high[0] >= 0.02 - 0.003
    assert d.draws.shape == (60, 2)


@pytest.mark.slow
def test_estimate_at_an_observed_size_is_the_measured_difference() -> None:
    for seed in range(5):
        a, b = _arms(seed, own=0.002)
        d = paired_difference(N, a, b, [800], boots=30, random_state=seed)
        assert d.estimate[0] == pytest.approx((a - b)[-1].mean(), abs=0.002)
        assert d.low[0] <= d.estimate[0] <= d.high[0]


@pytest.mark.slow
def test_same_seed_same_result_and_errors() -> None:
    a, b = _arms(1)
    one = paired_difference(N, a, b, [1600], boots=30, random_state=3)
    two = paired_difference(N, a, b, [1600], boots=30, random_state=3)
    np.testing.assert_array_equal(one.draws, two.draws)
    with pytest.raises(UsageError, match="same shape"):
        paired_difference(N, a, b[:, :3], [1600])
    with pytest.raises(UsageError, match="level"):
        paired_difference(N, a, b, [1600], level=1.5)
