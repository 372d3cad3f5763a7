"""Paired bootstrap vs scipy's BCa oracle, and Benjamini–Hochberg vs a hand computation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dataroi.impact import benjamini_hochberg, paired_bootstrap


def _scipy_ci(base: np.ndarray, cand: np.ndarray, seed: int, n_resamples: int = 4000):
    res = stats.bootstrap((base, cand),
                          lambda b, c, axis=-1: c.mean(axis=axis) - b.mean(axis=axis),
                          paired=True, method="BCa", n_resamples=n_resamples,
                          random_state=seed, vectorized=True)
    return res.confidence_interval, res.standard_error


def _value_rows(cancer: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per-row business values of two real models on breast_cancer (a skewed payoff)."""
    t = cancer["table"]
    y = t["target"].to_numpy()
    payoff = np.array([[0.0, -20.0], [-100.0, 50.0]])
    return payoff[y, t["pred_base"].to_numpy()], payoff[y, t["pred_cand"].to_numpy()]


def test_bca_matches_scipy_on_real_model_values(cancer: dict) -> None:
    base, cand = _value_rows(cancer)
    (lo, hi), se = _scipy_ci(base, cand, seed=3)
    ours = paired_bootstrap(cand - base, n_resamples=4000, seed=3).interval(0)
    # within Monte-Carlo error: bounds differ by well under one standard error
    assert abs(ours.ci_low - lo) < 0.25 * se
    assert abs(ours.ci_high - hi) < 0.25 * se
    assert abs(ours.se - se) < 0.1 * se
    assert ours.estimate == pytest.approx(cand.mean() - base.mean())


def test_bca_matches_scipy_on_continuous_skewed_differences(flights) -> None:
    t = flights.iloc[:4000]
    value = t["distance"].to_numpy() / 100
    y = t["delayed"].to_numpy()
    base = value * (t["p_base"].to_numpy() > 0.3) * (y == 1) - 2 * (t["p_base"] > 0.3)
    cand = value * (t["p_cand"].to_numpy() > 0.3) * (y == 1) - 2 * (t["p_cand"] > 0.3)
    base, cand = np.asarray(base, float), np.asarray(cand, float)
    (lo, hi), se = _scipy_ci(base, cand, seed=5)
    ours = paired_bootstrap(cand - base, n_resamples=4000, seed=5).interval(0)
    assert abs(ours.ci_low - lo) < 0.25 * se
    assert abs(ours.ci_high - hi) < 0.25 * se


def test_group_intervals_match_scipy_on_the_group_alone(flights) -> None:
    t = flights.iloc[:6000]
    y = t["delayed"].to_numpy()
    d = ((t["p_cand"] > 0.5).to_numpy() == y).astype(float) - \
        ((t["p_base"] > 0.5).to_numpy() == y).astype(float)
    res = paired_bootstrap(d, groups=t["origin"].to_numpy(), n_resamples=3000, seed=1)
    g = res.group_labels.index("JFK")
    mask = t["origin"].to_numpy() == "JFK"
    zeros = np.zeros(mask.sum())
    (lo, hi), se = _scipy_ci(zeros, d[mask], seed=2, n_resamples=3000)
    iv = res.group_interval(g)
    assert abs(iv.ci_low - lo) < 0.3 * se and abs(iv.ci_high - hi) < 0.3 * se
    assert iv.n == mask.sum()


def test_fast_path_and_row_path_agree_in_distribution() -> None:
    rng = np.random.default_rng(0)
    d = rng.choice([-50.0, -20.0, 0.0, 30.0, 70.0], size=20_000, p=[.1, .2, .4, .2, .1])
    fast = paired_bootstrap(d, n_resamples=3000, seed=1)
    jitter = d + rng.normal(0, 1e-9, d.size)  # distinct values force the row path
    slow = paired_bootstrap(jitter, n_resamples=3000, seed=1)
    a, b = fast.interval(0), slow.interval(0)
    assert a.se == pytest.approx(b.se, rel=0.08)
    assert a.ci_low == pytest.approx(b.ci_low, abs=0.15 * a.se)


def test_p_below_zero_is_the_share_of_negative_replicates() -> None:
    rng = np.random.default_rng(1)
    d = rng.normal(0.0, 1.0, 5000)
    res = paired_bootstrap(d, n_resamples=2000, seed=0)
    iv = res.interval(0)
    assert iv.p_below_zero == pytest.approx((res.replicates[:, 0] < 0).mean())
    assert 0.0 < iv.p_below_zero < 1.0


def test_identical_models_give_a_zero_width_interval() -> None:
    iv = paired_bootstrap(np.zeros(500), n_resamples=200, seed=0).interval(0)
    assert (iv.estimate, iv.ci_low, iv.ci_high) == (0.0, 0.0, 0.0)


def test_benjamini_hochberg_matches_a_hand_computed_case() -> None:
    # m = 6, alpha = 0.05: thresholds i*alpha/m = .00833 .01667 .025 .0333 .04167 .05
    p = np.array([0.001, 0.040, 0.012, 0.030, 0.200, 0.020])
    # sorted: .001 .012 .020 .030 .040 .200 -> largest i with p_(i) <= i*alpha/m is i=5
    rejected, adjusted = benjamini_hochberg(p, alpha=0.05)
    assert rejected.tolist() == [True, True, True, True, False, True]
    # adjusted p_(i) = min_{j>=i} p_(j) m / j: .006 .036 .04 .045 .048 .2 (sorted order)
    np.testing.assert_allclose(adjusted, [0.006, 0.048, 0.036, 0.045, 0.2, 0.04])
    np.testing.assert_array_equal(rejected, adjusted <= 0.05)


def test_benjamini_hochberg_ignores_untested_segments() -> None:
    rejected, adjusted = benjamini_hochberg(np.array([np.nan, 0.01, 0.5]), alpha=0.05)
    assert rejected.tolist() == [False, True, False]
    assert np.isnan(adjusted[0])
