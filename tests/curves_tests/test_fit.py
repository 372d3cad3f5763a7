"""Tests of dataroi.curves.fit_curve and CurveFit."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dataroi.curves import CurveFit, find_crossing, fit_cost_curve, fit_curve
from dataroi.exceptions import DataError, UsageError

N = np.array([16, 23, 32, 45, 64, 91, 128], dtype=float)


def _noisy_pow3(a: float = 0.1, b: float = 0.9, c: float = 0.5, seed: int = 0,
                reps: int = 20, sd: float = 0.004) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return a + b * N[:, None] ** -c + rng.normal(0, sd, (len(N), reps))


def test_recovers_pow3_parameters() -> None:
    err = _noisy_pow3(sd=0.001)
    fit = fit_curve(N, err, higher_is_better=False, families=("pow3",), random_state=0)
    a, b_scaled, c = fit.components[0].params
    # parameters live in x = n / n_ref: b_scaled = b * n_ref^-c
    assert a == pytest.approx(0.1, abs=0.02)
    assert c == pytest.approx(0.5, abs=0.08)
    assert b_scaled * 128.0**c == pytest.approx(0.9, rel=0.15)
    truth = 0.1 + 0.9 * 512.0**-0.5
    assert fit.predict(512)[0] == pytest.approx(truth, abs=0.005)


def test_ensemble_extrapolates_synthetic_power_law() -> None:
    err = _noisy_pow3()
    fit = fit_curve(N, err, higher_is_better=False, random_state=0)
    truth = 0.1 + 0.9 * np.array([512.0, 2048.0]) ** -0.5
    assert np.all(np.abs(fit.predict([512, 2048]) - truth) < 0.02)
    assert sum(fit.weights.values()) == pytest.approx(1.0)
    lo, hi = fit.interval([512, 2048], level=0.9)
    assert np.all(lo <= truth) and np.all(truth <= hi)


def test_accuracy_direction_and_bounds() -> None:
    acc = 1.0 - _noisy_pow3()
    fit = fit_curve(N, acc, random_state=0)
    p = fit.predict([128, 512, 2048, 1e6])
    assert np.all(np.diff(p) >= -1e-9)
    lo, hi = fit.interval([512, 1e6], level=0.9)
    assert np.all(hi <= 1.0 + 1e-12) and np.all(lo <= hi)


def test_interval_and_sample_consistent() -> None:
    fit = fit_curve(N, _noisy_pow3(), higher_is_better=False, random_state=1)
    n = [256, 512, 2048]
    lo80, hi80 = fit.interval(n, level=0.8)
    lo90, hi90 = fit.interval(n, level=0.9)
    assert np.all(lo90 <= lo80 + 1e-12) and np.all(hi80 <= hi90 + 1e-12)
    draws = fit.sample(n, size=4000)
    assert draws.shape == (4000, 3)
    q = np.quantile(draws, [0.05, 0.95], axis=0)
    width = hi90 - lo90
    assert np.all(np.abs(q[0] - lo90) < 0.1 * width + 1e-6)
    assert np.all(np.abs(q[1] - hi90) < 0.1 * width + 1e-6)
    # the same call gives the same draws; another seed gives others
    assert np.array_equal(draws, fit.sample(n, size=4000))
    assert not np.array_equal(draws, fit.sample(n, size=4000, random_state=5))


def test_determinism_for_fixed_random_state() -> None:
    err = _noisy_pow3(seed=3)
    a = fit_curve(N, err, higher_is_better=False, random_state=42).to_dict()
    b = fit_curve(N, err, higher_is_better=False, random_state=42).to_dict()
    assert json.dumps(a) == json.dumps(b)


def test_to_dict_round_trip() -> None:
    fit = fit_curve(N, _noisy_pow3(), higher_is_better=False, random_state=0)
    d = json.loads(json.dumps(fit.to_dict()))
    again = CurveFit.from_dict(d)
    n = [100, 500, 5000]
    assert np.allclose(again.predict(n), fit.predict(n))
    assert np.allclose(again.interval(n)[1], fit.interval(n)[1])
    assert np.array_equal(again.sample(n, size=50), fit.sample(n, size=50))
    assert again.diagnostics == fit.diagnostics
    with pytest.raises(UsageError):
        CurveFit.from_dict({"kind": "other"})


def test_summary_is_json() -> None:
    fit = fit_curve(N, _noisy_pow3(), higher_is_better=False, random_state=0)
    s = fit.summary()
    json.dumps(s)
    assert {"components", "diagnostics", "predictions"} <= set(s)
    assert s["components"][0]["weight"] >= s["components"][-1]["weight"]
    assert "CurveFit(" in repr(fit)


def test_constant_scores_are_saturated() -> None:
    fit = fit_curve(N, np.full((len(N), 5), 0.8), random_state=0)
    assert "saturated" in fit.diagnostics
    # the same score at every size: the model learns nothing in this range
    assert "flat" in fit.diagnostics
    assert fit.predict(4096)[0] == pytest.approx(0.8, abs=1e-6)
    lo, hi = fit.interval(4096)
    assert lo[0] <= 0.8 <= hi[0]


def test_flat_means_a_mean_that_never_moved() -> None:
    # a majority-class model: the same accuracy at every size, in every repeat
    flat = fit_curve(N, np.full((len(N), 3), 0.62), random_state=0)
    assert "flat" in flat.diagnostics
    # a curve that moves, however little, is not flat
    moving = fit_curve(N, np.full((len(N), 3), 0.62) + 1e-4 * np.arange(len(N))[:, None],
                       random_state=0)
    assert "flat" not in moving.diagnostics
    # nor are two sizes (too few to tell)
    assert "flat" not in fit_curve([10, 20], [0.5, 0.5], random_state=0).diagnostics


def test_two_sizes() -> None:
    fit = fit_curve([100, 200], [[0.7, 0.71], [0.75, 0.74]], random_state=0)
    assert "too_few_sizes" in fit.diagnostics
    assert np.all(np.isfinite(fit.predict([400, 1600])))
    assert np.all(np.isfinite(fit.interval([400, 1600])[0]))


def test_single_size_and_single_repeat() -> None:
    fit = fit_curve([100], [0.7], random_state=0)
    assert fit.families == ["last1"]
    assert fit.predict(1000)[0] == pytest.approx(0.7)
    fit1 = fit_curve(N, 1 - _noisy_pow3(reps=1), random_state=0)
    assert fit1.sample([1024], size=10).shape == (10, 1)


@pytest.mark.slow
def test_nan_handling() -> None:
    err = _noisy_pow3()
    with_nan = np.column_stack([err, np.full(len(N), np.nan)])  # an all-NaN repeat
    a = fit_curve(N, err, higher_is_better=False, random_state=0)
    b = fit_curve(N, with_nan, higher_is_better=False, random_state=0)
    assert np.allclose(a.predict([512]), b.predict([512]))
    err2 = err.copy()
    err2[2] = np.nan  # a size where every trial failed
    c = fit_curve(N, err2, higher_is_better=False, random_state=0)
    assert "failed_sizes" in c.diagnostics and len(c.sizes) == len(N) - 1
    with pytest.raises(DataError):
        fit_curve(N, np.full((len(N), 3), np.nan))


def test_repeated_sizes_are_merged() -> None:
    err = _noisy_pow3(reps=4)
    sizes = np.concatenate([N, N])
    scores = np.vstack([err[:, :2], err[:, 2:]])
    a = fit_curve(sizes, scores, higher_is_better=False, random_state=0)
    b = fit_curve(N, err, higher_is_better=False, random_state=0)
    assert np.allclose(a.mean_loss, b.mean_loss)
    assert np.allclose(a.predict(1024), b.predict(1024))


@pytest.mark.parametrize(
    ("sizes", "scores"),
    [([[1, 2]], [1, 2]), ([1, 2, 3], [0.1, 0.2]), ([0, 1, 2], [0.1, 0.2, 0.3]),
     ([1, 2, 3], [0.1, np.inf, 0.2]), (["a", "b", "c"], [0.1, 0.2, 0.3]),
     ([1, 2, 3], ["x", "y", "z"])],
)
def test_bad_inputs(sizes: list, scores: list) -> None:
    with pytest.raises(UsageError):
        fit_curve(sizes, scores)


def test_bad_arguments() -> None:
    fit = fit_curve(N, _noisy_pow3(), higher_is_better=False, random_state=0)
    with pytest.raises(UsageError):
        fit.interval(100, level=1.5)
    with pytest.raises(UsageError):
        fit.predict(-5)
    with pytest.raises(UsageError):
        fit.n_to_reach(0.1, confidence=0)
    with pytest.raises(UsageError, match="unknown curve family"):
        fit_curve(N, _noisy_pow3(), families=("nope",))
    # every argument a user can get wrong says which and why, never a numpy traceback
    for call, msg in (
        (lambda: fit.predict("100"), "sizes n must be numbers"),
        (lambda: fit.sample([100], size=2.7), "size must be an integer >= 1"),
        (lambda: fit.sample([100], size=None), "size must be an integer >= 1"),
        (lambda: fit.interval(100, level=np.array([0.5, 0.9])), "level must be a number"),
        (lambda: fit.n_to_reach(float("nan")), "target must be a finite number"),
        (lambda: fit.n_to_reach(-0.1), "beyond the metric's best possible value"),
        (lambda: fit.n_to_reach(0.1, max_n=float("nan")), "max_n must be a number above"),
        (lambda: fit.n_to_reach(0.1, max_n=10), "max_n must be a number above"),
        (lambda: fit_curve(N, _noisy_pow3(), random_state=-1), "random_state must be >= 0"),
        (lambda: fit_curve(N, _noisy_pow3(), higher_is_better="no"),
         "higher_is_better must be True or False"),
    ):
        with pytest.raises(UsageError, match=msg):
            call()
    assert fit.sample([100], size=np.int64(3)).shape == (3, 1)


def test_n_to_reach() -> None:
    err = _noisy_pow3(sd=0.001)
    fit = fit_curve(N, err, higher_is_better=False, random_state=0)
    target = 0.1 + 0.9 * 1024.0**-0.5
    res = fit.n_to_reach(target, confidence=0.5)
    assert 256 < res.n_median < 8192
    assert res.p_never < 0.5 and not res.already_reached
    res90 = fit.n_to_reach(target, confidence=0.9)
    assert res90.n >= res.n_median
    never = fit.n_to_reach(0.0, confidence=0.9, max_n=1e5)
    assert never.p_never > 0.5 and math.isinf(never.n)
    assert fit.n_to_reach(0.9, confidence=0.9).already_reached
    json.dumps(res.to_dict())


def test_non_monotone_and_peaking_diagnostics() -> None:
    base = 0.3 - 0.02 * np.log(N)
    base[-2:] += 0.05  # gets worse at the end
    err = base[:, None] + np.random.default_rng(0).normal(0, 0.002, (len(N), 10))
    fit = fit_curve(N, err, higher_is_better=False, random_state=0)
    assert "non_monotone" in fit.diagnostics
    assert "peaking" in fit.diagnostics


def test_one_repeat_dip_within_the_residual_noise_is_not_significant() -> None:
    # one repeat: no spread to measure, so the fitted curve's residuals give the noise
    fit = fit_curve([10, 20, 40, 80, 160, 320], [.50, .60, .65, .6495, .68, .70],
                    random_state=0)
    assert "non_monotone" not in fit.diagnostics and "peaking" not in fit.diagnostics
    # a real drop still is
    drop = fit_curve([10, 20, 40, 80, 160, 320], [.50, .60, .65, .66, .67, .50],
                     random_state=0)
    assert "non_monotone" in drop.diagnostics


def test_a_single_size_is_never_called_saturated() -> None:
    fit = fit_curve([100], [[.80, .82, .78]], random_state=0)
    assert "too_few_sizes" in fit.diagnostics and "saturated" not in fit.diagnostics


def test_scores_in_0_1_stay_in_range_and_negated_losses_stay_below_0() -> None:
    rng = np.random.default_rng(0)
    n = np.array([30, 45, 64, 90, 128, 181, 256, 362, 512], dtype=float)
    acc = (0.90 - 2.0 * n**-0.5)[:, None] + rng.normal(0, 0.01, (9, 8))
    fit = fit_curve(n, acc, random_state=0)
    lo, hi = fit.interval([2048, 8192], level=0.99)
    assert np.all(lo >= 0.0) and np.all(hi <= 1.0)
    draws = fit.sample([8192], size=5000, random_state=1)
    assert draws.min() >= 0.0 and draws.max() <= 1.0
    again = CurveFit.from_dict(json.loads(json.dumps(fit.to_dict())))
    assert np.array_equal(again.interval([8192], level=0.99)[0], fit.interval([8192], 0.99)[0])
    # scikit-learn's neg_log_loss: the best value is 0, not 1
    neg = fit_curve(n, -(0.15 + 1.5 * n**-0.5)[:, None] + rng.normal(0, 0.01, (9, 8)),
                    random_state=0)
    assert np.all(neg.interval([512, 8192, 32768], level=0.9)[1] <= 0.0)
    assert np.all(neg.predict([1e6]) <= 0.0)


def test_find_crossing_ties_and_bad_max_n() -> None:
    n = np.array([100, 200, 400, 800, 1600], dtype=float)
    a = fit_curve(n, 0.80 - 0.5 * n**-0.5, random_state=0)
    res = find_crossing(a, a)
    assert res["better_at_max"] == "tie" and res["p_a_better"][-1] == 0.5
    for bad in (0, -5, float("nan"), 50):
        with pytest.raises(UsageError, match="max_n must be a number above the smallest"):
            find_crossing(a, a, max_n=bad)


def test_find_crossing() -> None:
    n = np.array([100, 200, 400, 800, 1600], dtype=float)
    a = fit_curve(n, 0.80 - 0.5 * n**-0.5, random_state=0)
    b = fit_curve(n, 0.95 - 3.0 * n**-0.5, random_state=0)
    res = find_crossing(a, b)
    assert res["better_at_max"] == "b"
    assert res["crossings"] and 100 < res["crossings"][0] < 1e5
    assert len(res["p_a_better"]) == len(res["grid"])


def test_cost_curve() -> None:
    n = np.array([1000, 2000, 4000, 8000, 16000], dtype=float)
    rng = np.random.default_rng(0)
    secs = 0.05 + 1e-6 * n[:, None] ** 1.5 * rng.lognormal(0, 0.05, (5, 4))
    fit = fit_cost_curve(n, secs, random_state=0)
    truth = 0.05 + 1e-6 * 64000**1.5
    assert fit.predict(64000)[0] == pytest.approx(truth, rel=0.25)
    lo, hi = fit.interval(64000, level=0.9)
    assert lo[0] < fit.predict(64000)[0] < hi[0]
    assert "saturated" not in fit.diagnostics


def test_cost_curve_of_flat_noisy_timings_does_not_explode_and_cubic_stays_cubic() -> None:
    n = np.array([1000, 2000, 4000, 8000, 16000], dtype=float)
    rng = np.random.default_rng(0)
    flat = 0.1 + rng.normal(0, 0.03, (5, 5)).clip(-0.09)
    fit = fit_cost_curve(n, flat, random_state=0)
    # a fixed overhead with noise: at most linear growth beyond the data (a free exponent
    # fitted a negligible b·x^3 and predicted ~850x the time at 16x the data)
    assert fit.predict(256000)[0] < 16 * fit.predict(16000)[0]
    cubic = (0.05 + 2e-12 * n**3)[:, None] * np.exp(rng.normal(0, 0.05, (5, 5)))
    fit3 = fit_cost_curve(n, cubic, random_state=0)
    assert fit3.predict(64000)[0] == pytest.approx(0.05 + 2e-12 * 64000**3, rel=0.25)


def test_plausible_range_is_the_worst_mean_less_its_noise_and_the_best_value() -> None:
    scores = np.array([[0.70, 0.74], [0.78, 0.76], [0.80, 0.82], [0.85, 0.83]])
    se = scores.std(axis=1, ddof=1) / np.sqrt(2)
    lo, hi = fit_curve([100, 200, 400, 800], scores, random_state=0).plausible_range()
    assert hi == 1.0 and lo == pytest.approx(0.72 - 2 * se.max())
    # an unbounded error metric (below 0): no limit on the better side
    lo, hi = fit_curve([100, 200, 400, 800], -scores, higher_is_better=False,
                       random_state=0).plausible_range()
    assert lo == -math.inf and hi == pytest.approx(-0.72 + 2 * se.max())
