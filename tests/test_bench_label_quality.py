"""The helpers of benchmarks/bench_label_quality.py (issue #26): rule B's effective
fraction, the truth of equivalent labels, how an estimate is judged against it, and that
whatever the benchmark learns is learned leave-data-set-out."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests._benchmarks import benchmark_module


@pytest.fixture(scope="module")
def bench():
    yield from benchmark_module("bench_label_quality")


def test_effective_fraction_is_the_classical_rule(bench):
    for r in (0.0, 0.05, 0.1, 0.2, 0.4):
        assert bench.effective_fraction(r, 2) == pytest.approx((1 - 2 * r) ** 2)
    # K classes, flips spread over the K - 1 others: the signal shrinks by 1 - rK/(K-1)
    assert bench.effective_fraction(0.2, 10) == pytest.approx((1 - 0.2 * 10 / 9) ** 2)
    assert bench.effective_fraction(0.5, 2) == 0.0  # pure noise carries nothing
    assert bench.effective_fraction(0.1, 5) > bench.effective_fraction(0.1, 2)


def test_first_reach_interpolates_in_log_size(bench):
    sizes = np.array([64.0, 128, 256, 512])
    values = np.array([0.60, 0.70, 0.72, 0.80])
    assert bench.first_reach(sizes, values, 0.65, 64) == pytest.approx(64 * 2 ** 0.5)
    assert bench.first_reach(sizes, values, 0.60, 64) == 64  # reached at the start
    assert bench.first_reach(sizes, values, 0.71, 256) == 256  # only from ``start`` on
    assert math.isinf(bench.first_reach(sizes, values, 0.9, 64))


def test_equivalences_are_judged_against_a_censored_truth(bench):
    judge = bench.classify_eq
    assert judge(300, 200, 256, 8192) == "within2x"
    assert judge(500, 200, 256, 8192) == "outside2x"
    assert judge(math.inf, 200, 256, 8192) == "never-wrong"
    assert judge(math.inf, math.inf, 256, 8192) == "never-ok"
    assert judge(9000, math.inf, 256, 8192) == "beyond-ok"  # >= L - N: not contradicted
    assert judge(1000, math.inf, 256, 8192) == "finite-wrong"
    assert judge(50, 0, 256, 8192) == "zero"
    # an infinite median said with P(never) below 0.95 is "more likely than not beyond
    # the horizon", not "never"
    assert judge(math.inf, 200, 256, 8192, 0.6) == "open-reached"
    assert judge(math.inf, math.inf, 256, 8192, 0.94) == "open-ok"
    assert judge(math.inf, 200, 256, 8192, 0.95) == "never-wrong"


def test_forecast_equivalence_counts_never_like_dataroi(bench):
    grid = np.array([100.0, 200, 400, 800])
    draws = np.array([[0.0, 0.8, 0.9, 0.95]] * 3 + [[0.0, 0.7, 0.71, 0.72]] * 2)
    out = bench.forecast_equivalence(draws, grid, target=0.8, noisy_today=0.7)
    assert out["p_never"] == pytest.approx(0.4)
    assert out["q50"] == pytest.approx(100.0)  # 3 of 5 draws reach 0.8 at 200
    assert math.isinf(out["q95"])
    out = bench.forecast_equivalence(draws[3:], grid, target=0.8, noisy_today=0.7)
    assert math.isnan(out["q50"]) and out["p_never"] == 1.0
    assert math.isnan(out["q05"])  # every draw beyond the horizon: "never"
    out = bench.forecast_equivalence(draws[2:], grid, target=0.8, noisy_today=0.7)
    assert out["p_never"] == pytest.approx(2 / 3) and math.isnan(out["q50"])
    assert out["q05"] == pytest.approx(100.0)  # the lower end of an "open" statement


def test_clean_curve_uses_the_measured_means_up_to_n0(bench):
    grid = [256.0 * 2 ** (j / 4) for j in bench.GRID_STEPS]
    draws = np.tile([0.5 + 0.01 * math.log2(g) for g in grid], (4, 1))
    measured = pd.Series({64.0: 0.70, 128.0: 0.72, 256.0: 0.74})
    c = bench.CleanCurve(measured, 256, grid, draws)
    assert c.point(128.0) == pytest.approx(0.72)  # measured, not the curve's 0.57
    assert c.point(512.0) == pytest.approx(0.59)  # beyond n0: dataroi's curve
    assert c.sample(1024.0) == pytest.approx(np.full(4, 0.60))
    assert c.point(32.0) == pytest.approx(0.55)  # below 64: dataroi's curve


def _cases(truth_a: float) -> pd.DataFrame:
    rows = []
    for ds, truth in (("a", truth_a), ("b", 0.02), ("c", 0.03)):
        for k in (2, 4, 8, 16):
            for i in range(3):
                rows.append({"dataset": ds, "k": k, "truth": truth + 0.001 * i,
                             "C1": 0.02, "C1_lo": 0.015, "C1_hi": 0.025, "dataroi": 0.02,
                             "dataroi_rawlo": 0.015, "dataroi_rawhi": 0.025,
                             "curves": 0.02, "rho0.5_lo": 0.0, "rho0.5_hi": 0.05,
                             "rho0.9_lo": 0.018, "rho0.9_hi": 0.022})
    return pd.DataFrame(rows)


def test_what_is_learned_is_learned_leave_data_set_out(bench):
    one, two = _cases(0.02), _cases(0.5)
    w1, w2 = bench.loo_widen(one, "C1"), bench.loo_widen(two, "C1")
    held = one["dataset"] == "a"
    # data set a's own truth never widens or narrows a's interval...
    assert np.allclose(w1.loc[held, "C1cal_lo"], w2.loc[held, "C1cal_lo"])
    # ... but it does the others'
    assert not np.allclose(w1.loc[~held, "C1cal_lo"], w2.loc[~held, "C1cal_lo"])
    r1, _ = bench.loo_rho(one)
    r2, _ = bench.loo_rho(two)
    assert np.allclose(r1.loc[held, "C2cv_lo"], r2.loc[held, "C2cv_lo"])
    # dataroi's shipped interval, judged with the scale learned without the data set
    s1, used1 = bench.loo_shipped(one)
    s2, used2 = bench.loo_shipped(two)
    assert used1["a"] == used2["a"] and used1["b"] != used2["b"]
    assert np.allclose(s1.loc[held, "dataroi_lo"], s2.loc[held, "dataroi_lo"])
    assert not np.allclose(s1.loc[~held, "dataroi_hi"], s2.loc[~held, "dataroi_hi"])
    # ... through dataroi's own widening, with what learn_scales learns on the others
    from dataroi.stress import calibrated_interval

    scale = bench.learn_scales(two, "dataroi", "dataroi_rawlo", "dataroi_rawhi",
                               exclude="b")[4]
    row = s2[(s2["dataset"] == "b") & (s2["k"] == 4)].iloc[0]
    assert (row["dataroi_lo"], row["dataroi_hi"]) == pytest.approx(
        calibrated_interval(0.02, 0.015, 0.025, scale))
    assert scale > 1  # data set a's large errors widen b's interval


def test_the_decay_is_chosen_leave_data_set_out_per_kind_of_noise(bench):
    """Each data set's forecasts and equivalent labels are read at the β the other data
    sets choose for the arm's kind of noise: a data set whose truth fits another β moves
    the others', not its own, and the two kinds are chosen apart."""
    def frames(best_a: float) -> tuple[pd.DataFrame, pd.DataFrame]:
        cases, eqs = [], []
        for ds, best in (("a", best_a), ("b", 0.2), ("c", 0.2)):
            for arm, shift in (("noise=0.1", 0.0), ("cc-noise", -0.2)):
                for k in (2, 4):
                    cases.append({"dataset": ds, "arm": arm, "k": k, "truth": 0.05, **{
                        f"{c}@{b:g}": 0.05 + abs(b - best - shift) + off
                        for b in bench.DECAYS
                        for c, off in (("dataroi", 0), ("dataroi_rawlo", -0.01),
                                       ("dataroi_rawhi", 0.01))}})
                eqs.append({"dataset": ds, "arm": arm, **{
                    f"{c}@{b:g}": 100 * b for b in bench.DECAYS
                    for c in ("dataroi_extra", "dataroi_q05", "dataroi_q95", "p_never")},
                    **{f"dataroi_method@{b:g}": f"rule (β {b:g})" for b in bench.DECAYS}})
        return pd.DataFrame(cases), pd.DataFrame(eqs)

    _, _, used1 = bench.loo_decay(*frames(0.2))
    c2, e2, used2 = bench.loo_decay(*frames(0.75))
    assert used1 == {(d, "symmetric"): 0.2 for d in "abc"} | {
        (d, "class_conditional"): 0.0 for d in "abc"}
    assert used2[("a", "symmetric")] == 0.2  # a's own truth does not choose a's β ...
    assert used2[("b", "symmetric")] != 0.2  # ... but weighs in the others'
    held = (c2["dataset"] == "a") & (c2["arm"] == "noise=0.1")
    assert np.allclose(c2.loc[held, "dataroi"], c2.loc[held, "dataroi@0.2"])
    cc = (c2["dataset"] == "b") & (c2["arm"] == "cc-noise")
    b_cc = used2[("b", "class_conditional")]
    assert np.allclose(c2.loc[cc, "dataroi_rawhi"], c2.loc[cc, f"dataroi_rawhi@{b_cc:g}"])
    row = e2[(e2["dataset"] == "a") & (e2["arm"] == "noise=0.1")].iloc[0]
    assert row["dataroi_extra"] == 100 * 0.2
    assert row["dataroi_method"] == "rule (β 0.2)"  # the method of the β it was read at


def test_bootstrap_ratio_takes_the_better_rule(bench):
    num = pd.Series([1.0, 1.0], index=["a", "b"])
    p, lo, hi = bench.boot_ratio(num, [num * 2, num * 4], reps=200)
    assert p == pytest.approx(0.5) and lo == pytest.approx(0.5) and hi == pytest.approx(0.5)
