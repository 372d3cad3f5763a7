"""The assessment on real tables and real models: numbers, sources, thresholds, bad input."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from dataroi.exceptions import DataError, UsageError
from dataroi.impact import ImpactAssessment, ImpactSpecError, load_value_model

from .conftest import PAYOFF


def _assess(**kw) -> ImpactAssessment:
    kw.setdefault("target", "target")
    kw.setdefault("n_resamples", 500)
    return ImpactAssessment(load_value_model(PAYOFF), **kw)


def test_values_and_metrics_are_those_computed_by_hand(cancer: dict) -> None:
    t = cancer["table"]
    res = _assess().run(t, baseline="col:pred_base", candidate="col:pred_cand")
    y = t["target"].to_numpy()
    pay = np.array([[0.0, -20.0], [-100.0, 50.0]])
    vb = pay[y, t["pred_base"].to_numpy()]
    vc = pay[y, t["pred_cand"].to_numpy()]
    assert res.baseline.value_per_row == pytest.approx(vb.mean())
    assert res.candidate.value_total == pytest.approx(vc.sum())
    assert res.value_diff.estimate == pytest.approx((vc - vb).mean())
    assert res.value_diff_total.estimate == pytest.approx((vc - vb).sum())
    assert res.value_diff.ci_low <= res.value_diff.estimate <= res.value_diff.ci_high
    assert res.baseline.accuracy == pytest.approx(accuracy_score(y, t["pred_base"]))
    assert res.accuracy_diff.estimate == pytest.approx(
        accuracy_score(y, t["pred_cand"]) - accuracy_score(y, t["pred_base"]))
    expected = ("candidate better" if res.value_diff.ci_low > 0 else
                "candidate worse" if res.value_diff.ci_high < 0 else "inconclusive")
    assert res.verdict == expected
    assert len(res.provenance["data_fingerprint"]) == 64


def test_scores_give_auc_and_threshold_moves_the_decisions(cancer: dict) -> None:
    t = cancer["table"]
    res = _assess().run(t, baseline="col:p_base", candidate="col:p_cand",
                        candidate_threshold=0.8)
    y = t["target"].to_numpy()
    assert res.candidate.roc_auc == pytest.approx(roc_auc_score(y, t["p_cand"]))
    assert res.roc_auc_diff == pytest.approx(roc_auc_score(y, t["p_cand"])
                                             - roc_auc_score(y, t["p_base"]))
    assert res.candidate.threshold == 0.8
    assert res.candidate.accuracy == pytest.approx(
        accuracy_score(y, (t["p_cand"] >= 0.8).astype(int)))


def test_best_thresholds_are_tuned_on_held_out_rows(cancer: dict) -> None:
    t = cancer["table"]
    res = _assess().run(t, baseline="col:p_base", candidate="col:p_cand",
                        baseline_threshold="best", candidate_threshold="best")
    n_eval = res.provenance["n_rows_evaluated"]
    assert 0.5 * len(t) < n_eval < 0.9 * len(t)
    assert res.baseline.threshold is not None and 0 <= res.baseline.threshold <= 1
    assert any("held out" in n for n in res.notes)
    assert res.settings["tune_fraction"] == 0.3


def test_file_joined_by_id_equals_the_column(cancer: dict, tmp_path: Path) -> None:
    t = cancer["table"]
    shuffled = t[["id", "p_cand"]].sample(frac=1.0, random_state=1)
    path = tmp_path / "cand.csv"
    shuffled.to_csv(path, index=False)
    by_col = _assess().run(t, baseline="col:p_base", candidate="col:p_cand")
    by_file = _assess().run(t, baseline="col:p_base", candidate=f"file:{path}")
    assert by_file.value_diff.estimate == pytest.approx(by_col.value_diff.estimate)
    assert by_file.value_diff.ci_low == pytest.approx(by_col.value_diff.ci_low)
    assert by_file.provenance["candidate_id"].startswith(f"file:{path}@")


def test_saved_model_is_scored_on_the_table(cancer: dict, tmp_path: Path) -> None:
    t = cancer["table"]
    path = tmp_path / "forest.joblib"
    joblib.dump(cancer["cand"], path)
    res = _assess().run(t, baseline="col:p_base", candidate=f"model:{path}")
    ref = _assess().run(t, baseline="col:p_base", candidate="col:p_cand")
    assert res.value_diff.estimate == pytest.approx(ref.value_diff.estimate)
    assert res.candidate.roc_auc == pytest.approx(ref.candidate.roc_auc)
    # a fitted estimator object works too (Python API)
    obj = _assess().run(t, baseline=cancer["base"], candidate="col:p_cand")
    assert obj.baseline.accuracy == pytest.approx(ref.baseline.accuracy)


# -- bad input: clear one-line errors, exit code 2 ------------------------------------------
def test_ids_missing_on_one_side_are_reported(cancer: dict, tmp_path: Path) -> None:
    t = cancer["table"]
    path = tmp_path / "cand.csv"
    t[["id", "p_cand"]].iloc[5:].to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        _assess().run(t, baseline="col:p_base", candidate=f"file:{path}")
    assert "5 ids of the evaluation table have no prediction" in str(info.value)
    assert info.value.exit_code == 2
    extra = pd.concat([t[["id", "p_cand"]], pd.DataFrame({"id": [1], "p_cand": [0.3]})])
    extra.to_csv(path, index=False)
    with pytest.raises(DataError, match="1 ids are not in the evaluation table"):
        _assess().run(t, baseline="col:p_base", candidate=f"file:{path}")


def test_duplicated_ids_are_reported(cancer: dict, tmp_path: Path) -> None:
    t = cancer["table"]
    path = tmp_path / "cand.csv"
    pd.concat([t[["id", "p_cand"]], t[["id", "p_cand"]].head(2)]).to_csv(path, index=False)
    with pytest.raises(DataError, match="2 ids appear more than once"):
        _assess().run(t, baseline="col:p_base", candidate=f"file:{path}")
    dup = pd.concat([t, t.head(1)], ignore_index=True)
    with pytest.raises(DataError, match="ids must be unique"):
        _assess().run(dup, baseline="col:p_base", candidate="col:p_cand")


@pytest.mark.parametrize("bad", ["short", "matrix", "3d"])
def test_predictions_of_the_wrong_shape(cancer: dict, bad: str) -> None:
    t = cancer["table"]
    n = len(t)
    arr = {"short": np.zeros(n - 1), "matrix": np.full((n, 3), 1 / 3),
           "3d": np.zeros((n, 2, 1))}[bad]
    with pytest.raises(DataError, match="wrong shape") as info:
        _assess().run(t, baseline="col:p_base", candidate=arr)
    assert "\n" not in str(info.value)


def test_unknown_column_in_the_value_expression(cancer: dict) -> None:
    vm = load_value_model({"expression": "order_value * (pred == 1)"})
    with pytest.raises(ImpactSpecError, match="unknown name 'order_value'"):
        ImpactAssessment(vm, target="target").run(cancer["table"], baseline="col:pred_base",
                                                 candidate="col:pred_cand")


def test_missing_columns_and_sources_are_named(cancer: dict) -> None:
    t = cancer["table"]
    with pytest.raises(DataError, match="segment column 'nope'"):
        _assess(segments=["nope"]).run(t, baseline="col:p_base", candidate="col:p_cand")
    with pytest.raises(UsageError, match="no column 'p_zzz'"):
        _assess().run(t, baseline="col:p_base", candidate="col:p_zzz")
    with pytest.raises(ImpactSpecError, match="n_resamples"):
        _assess(n_resamples=5).run(t, baseline="col:p_base", candidate="col:p_cand")
    # bounded above too: memory grows as resamples × segments × statistics
    with pytest.raises(ImpactSpecError, match=r"n_resamples: must be an integer from 100 to "
                       r"100,000, got 1000000000"):
        _assess(n_resamples=10**9).run(t, baseline="col:p_base", candidate="col:p_cand")


def test_payoff_without_a_needed_cell_is_a_spec_error(cancer: dict) -> None:
    vm = load_value_model({"payoff": {0: {0: 0, 1: -1}, 1: {1: 2}}})
    with pytest.raises(ImpactSpecError, match="add payoff.1.0"):
        ImpactAssessment(vm, target="target").run(
            cancer["table"], baseline="col:pred_base", candidate="col:pred_cand")


def test_labels_outside_the_classes_are_refused(cancer: dict) -> None:
    t = cancer["table"].copy()
    t["weird"] = 7
    with pytest.raises(DataError, match="not classes of the target"):
        _assess().run(t, baseline="col:pred_base", candidate="col:weird")
