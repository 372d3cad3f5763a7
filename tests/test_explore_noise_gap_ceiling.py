"""benchmarks/explore_noise_gap_ceiling.py (issue #26): the rule on the measured clean
curve, and that its corrections are learned without the data set they judge."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests._benchmarks import benchmark_module


@pytest.fixture(scope="module")
def explore():
    yield from benchmark_module("explore_noise_gap_ceiling")


def _frame(explore, shift: dict[str, float]) -> pd.DataFrame:
    """Two corpus data sets whose clean arm is linear in log size and whose noisy arms
    score like the clean arm at f·n (the rule, exactly), plus ``shift`` on one data set's
    noisy arm at sizes above 1024 (what the rule cannot see)."""
    from bench_label_quality import arm_fraction, data_info

    rows = []
    for ds in ("tuna", "star"):
        info = data_info(ds)
        for arm in ("clean", "noise=0.1", "noise=0.2"):
            f = 1.0 if arm == "clean" else arm_fraction(ds, arm, info)[1]
            for n in (2 ** i for i in range(6, 14)):
                for r in range(5):
                    v = 0.5 + 0.03 * math.log2(n * f) + 0.001 * (r - 2)
                    if arm != "clean" and n > 1024:
                        v -= shift.get(ds, 0.0)
                    rows.append({"dataset": ds, "learner": "rf", "arm": arm, "n_train": n,
                                 "repeat": r, "metric": "accuracy", "value": v})
    return pd.DataFrame(rows)


def test_the_rule_on_a_measured_clean_curve_that_follows_it_is_exact(explore):
    cases = explore.hindsight_cases(_frame(explore, {}))
    assert set(cases["k"]) == {2, 4, 8, 16} and set(cases["n0"]) == {256, 512, 1024}
    np.testing.assert_allclose(explore.rule_at(cases, 0.4), cases["truth"], atol=1e-12)
    assert (cases["truth_se"] < 1e-12).all()  # every repeat moves both arms alike


def test_a_correction_is_learned_without_the_data_set_it_judges(explore):
    plain = explore.hindsight_cases(_frame(explore, {}))
    moved = explore.hindsight_cases(_frame(explore, {"star": 0.02}))
    for cases in (plain, moved):
        cases["change"] = explore.rule_at(cases, 0.4) - cases["A"]
    a = explore.held_out_median_regression(plain, ["change"])
    b = explore.held_out_median_regression(moved, ["change"])
    tuna = (plain["dataset"] == "tuna").to_numpy()
    # star's truth moved: tuna's forecasts, learned on star alone, may move; star's not
    np.testing.assert_allclose(a[~tuna], b[~tuna])
    assert not np.allclose(moved.loc[~tuna, "truth"], plain.loc[~tuna, "truth"])
