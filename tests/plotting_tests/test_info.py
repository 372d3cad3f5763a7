"""The numbers behind the charts, tested without drawing (house rule 12)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dataroi.plotting import OKABE_ITO, metric_axis_label, model_styles
from dataroi.plotting._info import (
    _pareto,
    cost_frontier_info,
    learning_curve_info,
    marginal_value_info,
    model_difference_info,
)
from dataroi.value import compare_models, fit_study_curves, marginal_value


def _frame() -> pd.DataFrame:
    rows = [{"model": m, "n_train": n, "repeat": r, "metric": "accuracy", "state": "complete",
             "value": top - k / n ** 0.5 + 0.004 * (r - 1), "fit_seconds": 1e-4 * n}
            for m, top, k in (("simple", 0.88, 1.0), ("deep", 0.97, 3.0))
            for n in (25, 50, 100, 200, 400) for r in range(3)]
    rows.append({"model": "simple", "n_train": 25, "repeat": 3, "metric": "accuracy",
                 "state": "failed", "value": float("nan"), "fit_seconds": None})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def curves():
    return fit_study_curves(_frame(), metric="accuracy", random_state=0)


def test_learning_curve_info_measured_points_and_means(curves):
    info = learning_curve_info(_frame(), metric="accuracy", curves=curves)
    assert [m["model"] for m in info["models"]] == ["simple", "deep"]
    simple = info["models"][0]
    # one point per finished repeat and size; the failed trial (NaN) is left out
    assert len(simple["points"]["value"]) == 15
    assert simple["mean"]["n_train"] == [25, 50, 100, 200, 400]
    expected = np.mean([0.88 - 1.0 / 400 ** 0.5 + 0.004 * (r - 1) for r in range(3)])
    assert simple["mean"]["mean"][-1] == pytest.approx(expected)
    lo, hi = simple["mean"]["ci_low"][-1], simple["mean"]["ci_high"][-1]
    assert lo < simple["mean"]["mean"][-1] < hi
    assert simple["mean"]["repeats"] == [3, 3, 3, 3, 3]


def test_learning_curve_info_extrapolation_bands_nest(curves):
    info = learning_curve_info(_frame(), metric="accuracy", curves=curves,
                                    horizon_n=4000, pool_size=450, target=0.95)
    assert info["current_n"] == 400 and info["pool_size"] == 450
    assert info["horizon_n"] == 4000 and info["target"] == 0.95
    for m in info["models"]:
        ex = m["extrapolation"]
        assert ex["n"][0] == 25 and ex["n"][-1] == 4000
        assert ex["n"] == sorted(ex["n"])
        for i in range(len(ex["n"])):
            assert ex["low90"][i] <= ex["low50"][i] + 1e-12
            assert ex["low50"][i] <= ex["high50"][i] + 1e-12
            assert ex["high50"][i] <= ex["high90"][i] + 1e-12
            assert ex["high90"][i] <= 1.0  # accuracy never above its best value


def test_learning_curve_info_default_horizon_is_eight_times_more(curves):
    info = learning_curve_info(_frame(), metric="accuracy", curves=curves)
    assert info["horizon_n"] == 9 * 400


def test_learning_curve_info_tipping_points(curves):
    info = learning_curve_info(_frame(), metric="accuracy", curves=curves,
                                    tipping={"simple": 0.0, "deep": 300.0})
    simple, deep = info["models"]
    assert simple["tipping"]["already_passed"] and simple["tipping"]["n"] == 400
    # beyond today the point sits on the learned forecast's median, as the band does
    expect = float(curves.clip("deep", np.median(curves.draws("deep", [700], 2000),
                                                 axis=0))[0])
    assert deep["tipping"] == {"added_n": 300, "n": 700, "already_passed": False,
                               "value": pytest.approx(expect)}
    band = deep["extrapolation"]
    ahead = [i for i, n in enumerate(band["n"]) if n > curves.current_n]
    at = [band["n"][i] for i in ahead]
    q = np.quantile(curves.draws("deep", at, 2000), [0.05, 0.5, 0.95], axis=0)
    assert [band["median"][i] for i in ahead] == pytest.approx(list(q[1]), abs=1e-9)
    assert [band["low90"][i] for i in ahead] == pytest.approx(list(q[0]), abs=1e-9)
    none = learning_curve_info(_frame(), metric="accuracy", curves=curves,
                                    tipping={"deep": math.inf})
    assert all(m["tipping"] is None for m in none["models"])


def test_learning_curve_info_without_curves_has_no_extrapolation():
    info = learning_curve_info(_frame(), metric="accuracy")
    assert all(m["extrapolation"] is None for m in info["models"])
    assert info["higher_is_better"] is True


@pytest.mark.slow
def test_focus_ylim_hides_only_the_smallest_sizes(curves):
    frame = _frame()
    frame.loc[(frame["model"] == "deep") & (frame["n_train"] == 25), "value"] = 0.1
    info = learning_curve_info(frame, metric="accuracy", curves=fit_study_curves(
        frame, metric="accuracy"))
    lo, hi = info["focus_ylim"]
    assert lo > 0.1  # the outlier at n=25 is below the zoomed range
    for m in info["models"]:  # every mean at n >= 400 / 8 is inside it
        for n, v in zip(m["mean"]["n_train"], m["mean"]["mean"], strict=True):
            if n >= 50:
                assert lo <= v <= hi


def test_axis_labels_name_units_and_direction(curves):
    info = learning_curve_info(_frame(), metric="accuracy", curves=curves)
    assert "log scale" in info["xlabel"] and "labeled rows" in info["xlabel"]
    assert info["ylabel"] == "accuracy (proportion correct, 0–1; higher is better)"
    assert metric_axis_label("log_loss", False) == "log_loss (nats per row; lower is better)"


def test_model_styles_are_colour_blind_safe_and_distinct():
    styles = model_styles([f"m{i}" for i in range(7)])
    colors = [s["color"] for s in styles.values()]
    assert len(set(colors)) == 7 and set(colors) <= set(OKABE_ITO)
    assert "#000000" not in colors  # black is kept for reference lines
    assert len({s["marker"] for s in styles.values()}) == 7  # readable in greyscale too


def test_model_difference_info_from_real_comparison(curves):
    cmp = compare_models(curves, n_draws=400)
    info = model_difference_info(cmp.to_dict())
    (today,), (proj,) = info["today"], info["projected"]
    pair = cmp.pairs[0]
    assert today["label"] == f"{pair['a']} − {pair['b']}"
    assert today["diff"] == pytest.approx(pair["today_diff"])
    assert proj["n_total"][0] == 400 and proj["n_total"] == sorted(proj["n_total"])
    assert proj["diff_mean"][1:] == [pytest.approx(r["diff_mean"]) for r in pair["projected"]]
    if pair["crossing_delta_n"] is not None:
        assert proj["crossing_n"] == int(400 + pair["crossing_delta_n"])
    assert "> 0: a better" in info["today_xlabel"]


def test_marginal_value_info_per_1k_from_gains(curves):
    mv = marginal_value(curves, n_draws=400)
    info = marginal_value_info(mv.to_dict(), break_even_per_1k=0.01)
    rows = [r for r in mv.rows if r["model"] == "deep"]
    deep = next(m for m in info["models"] if m["model"] == "deep")
    assert deep["delta_n"] == [r["delta_n"] for r in rows]
    for i, r in enumerate(rows):
        assert deep["per_1k_mean"][i] == pytest.approx(r["gain_per_1k"])
        assert deep["per_1k_q95"][i] == pytest.approx(1000 * r["gain_q95"] / r["delta_n"])
        assert deep["per_1k_q05"][i] <= deep["per_1k_q95"][i]
    assert info["break_even_per_1k"] == 0.01
    assert "per 1,000 added labels" in info["ylabel"]


def test_pareto_frontier():
    #            cost:  0    10   20   20   30
    #           value:  0    1    0.5  2    1.5
    assert _pareto([0, 10, 20, 20, 30], [0, 1, 0.5, 2, 1.5]) == [True, True, False, True,
                                                                  False]


def test_cost_frontier_info_direction_and_bounds():
    opts = {"metric": "log_loss", "higher_is_better": False, "today": 0.5, "options": [
        {"option_id": "a+0", "label": "keep", "model": "a", "delta_n": 0, "cost_usd": 0.0,
         "gain_mean": 0.0, "gain_q05": 0.0, "gain_q95": 0.0},
        {"option_id": "a+9", "label": "more", "model": "a", "delta_n": 9, "cost_usd": 5.0,
         "gain_mean": 0.1, "gain_q05": 0.02, "gain_q95": 0.6}]}
    info = cost_frontier_info(opts, chosen_id="a+9", excluded=["a+0"], best=0.0)
    keep, more = info["options"]
    assert more["expected"] == pytest.approx(0.4)  # a gain lowers a loss
    assert more["high"] == pytest.approx(0.48) and more["low"] == 0.0  # clipped at best
    assert keep["low"] == keep["high"] == 0.5
    assert more["chosen"] and keep["excluded"] and keep["on_frontier"] and more["on_frontier"]


def test_mean_ci_stops_at_the_best_value():
    rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
             "value": v, "state": "complete"}
            for n, vals in ((10, (0.7, 0.8, 0.9)), (20, (0.9, 1.0, 1.0)),
                            (40, (0.95, 1.0, 1.0)), (80, (1.0, 1.0, 0.98)))
            for r, v in enumerate(vals)]
    frame = pd.DataFrame(rows)
    info = learning_curve_info(frame, metric="accuracy",
                                    curves=fit_study_curves(frame, metric="accuracy"))
    assert max(info["models"][0]["mean"]["ci_high"]) == 1.0


def test_learning_curve_info_training_means():
    frame = _frame()
    frame["train_value"] = np.where(frame["model"] == "deep", 1.0, frame["value"] + 0.05)
    frame.loc[(frame["model"] == "simple") & (frame["n_train"] == 50), "train_value"] = np.nan
    info = learning_curve_info(frame, metric="accuracy")
    simple, deep = info["models"]
    # the mean over repeats per size; a size without any training score is left out
    assert simple["train_mean"]["n_train"] == [25, 100, 200, 400]
    at400 = frame[(frame["model"] == "simple") & (frame["n_train"] == 400)]
    assert simple["train_mean"]["mean"][-1] == pytest.approx(at400["train_value"].mean())
    assert deep["train_mean"]["mean"] == [1.0] * 5
    # trials recorded before training scores were kept: none
    old = learning_curve_info(_frame(), metric="accuracy")
    assert all(m["train_mean"] is None for m in old["models"])
