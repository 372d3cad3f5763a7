"""Stress analysis on a real study: equivalent labels, paired differences, slices, relabel
vs new, and the ``dataroi stress`` command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

import dataroi
from dataroi.cli import main
from dataroi.curves import fit_curve
from dataroi.exceptions import UsageError
from dataroi.stress import (
    analyze_stress,
    effective_fraction,
    equivalent_labels,
    majority_of_three,
    paired_differences,
)

pytestmark = pytest.mark.slow  # a study fixture of tens of seconds

SPEC = {
    "name": "stress-analysis",
    "data": "sklearn:digits",
    "models": {"lr": {"pipeline": [
        "sklearn.preprocessing.StandardScaler",
        {"estimator": "sklearn.linear_model.LogisticRegression",
         "params": {"max_iter": 500}}]}},
    "metrics": ["accuracy"],
    "schedule": {"sizes": [60, 120, 240, 480], "repeats": 3},
    "costs": {"price_per_label_usd": 0.5},
    "stress": {"noise": {"rates": [0.1, 0.2]}, "prior": [{"thin": {"3": 0.8}}],
               "acquisition": {"strategies": ["margin"], "batch_size": 30,
                               "initial": 30}},
    "slices": {"column": "pixel_2_2", "min_test_rows": 15},
}


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> dataroi.Study:
    folder = tmp_path_factory.mktemp("stress")
    (folder / "study.yaml").write_text(yaml.safe_dump(SPEC))
    s = dataroi.load_study(folder / "study.yaml")
    s.run(jobs=1, progress=False)
    return s


def _curve(shift: float) -> object:
    sizes = np.array([50, 100, 200, 400, 800])
    # a curve whose score at n equals the reference's at n / shift
    scores = [[0.95 - 3.0 / (n / shift) ** 0.5] * 3 for n in sizes]
    return fit_curve(sizes, scores, random_state=0)


def test_equivalent_labels_recovers_a_known_factor() -> None:
    ref, other = _curve(1.0), _curve(2.0)  # other needs twice the labels
    eq = equivalent_labels(ref, other, 800, reference="ref", other="other", draws=300)
    assert eq.p_never < 0.05
    assert 0.6 * 800 < eq.added_q50 < 1.5 * 800   # ≈ 800 extra labels
    assert eq.added_q05 <= eq.added_q50 <= eq.added_q95
    assert "worth" in eq.sentence("cleaning")


def test_equivalent_labels_of_a_curve_with_itself_is_zero() -> None:
    ref = _curve(1.0)
    eq = equivalent_labels(ref, ref, 400, draws=200)
    assert eq.added_q50 < 0.2 * 400


def test_paired_differences_matches_scipy_t_interval() -> None:
    from scipy import stats

    rng = np.random.default_rng(0)
    a, b = rng.normal(0.8, 0.02, 6), rng.normal(0.75, 0.02, 6)
    f = pd.DataFrame({"model": ["a"] * 6 + ["b"] * 6, "n_train": [100] * 12,
                      "repeat": list(range(6)) * 2, "value": np.r_[a, b]})
    row = paired_differences(f, "a", "b").iloc[0]
    d = a - b
    lo, hi = stats.t.interval(0.9, 5, loc=d.mean(), scale=stats.sem(d))
    assert row["diff"] == pytest.approx(d.mean())
    assert (row["low"], row["high"]) == pytest.approx((lo, hi))


def test_analysis_groups_and_statements(study: dataroi.Study) -> None:
    with study.analyze() as analysis:
        a = analysis.stress(draws=200)
    assert [g.kind for g in a.groups] == ["noise", "prior", "acquisition"]
    noise = a.noise[0]
    assert noise.arms == ("lr", "lr[noise=0.1]", "lr[noise=0.2]")
    assert noise.n0 == 480
    # noise hurts: clean > 10 % > 20 % at today's size
    assert noise.today["lr"] > noise.today["lr[noise=0.1]"] > noise.today["lr[noise=0.2]"]
    refs = [(e.reference, e.other) for e in noise.equivalences]
    assert ("lr[noise=0.1]", "lr[noise=0.2]") in refs       # halving 20 % → 10 %
    assert any("halving label noise from 20% to 10%" in s for s in noise.statements)
    acq = a.acquisition[0]
    assert acq.arms == ("lr[al=random]", "lr[al=margin]")
    secs = acq.extra["fit_plus_selection_seconds"]
    assert secs["margin"] > secs["random"]                  # selection is paid for
    diff = acq.differences[("lr[al=margin]", "lr[al=random]")]
    assert list(diff["n_train"]) == [60, 120, 240, 480]
    d = a.to_dict()
    json.dumps(d, allow_nan=False)
    assert {g["kind"] for g in d["groups"]} == {"noise", "prior", "acquisition"}
    # the noise arms (known rates, 10 classes) are forecast by the effective-sample rule
    assert noise.forecasts and {f.method for f in noise.forecasts} == {
        "effective-sample rule"}
    # the data layer on its own: the same analysis from the trials, the arms and the
    # task's classes
    prep = study.prepare()
    counts = np.bincount(np.asarray(prep.y)[prep.pool_idx], minlength=len(prep.classes))
    again = analyze_stress(study.trials(), study.spec.stress, metric="accuracy",
                           pool_size=prep.pool_size, draws=200, n_classes=10,
                           class_shares={str(c): k / counts.sum()
                                         for c, k in zip(prep.classes, counts, strict=True)})
    assert again.to_dict() == d
    # without the classes, the curves (and a note says why)
    curves = analyze_stress(study.trials(), study.spec.stress, metric="accuracy",
                            pool_size=prep.pool_size, draws=200)
    assert {f.method for f in curves.noise[0].forecasts} == {"curves"}


def test_analysis_errors(study: dataroi.Study, tmp_path) -> None:
    with pytest.raises(UsageError, match="not one of the study's metrics"):
        study.analyze(metric="roc_auc")
    with pytest.raises(UsageError, match="not in the trials"):
        analyze_stress(study.trials(), study.spec.stress, metric="roc_auc")
    plain = {k: v for k, v in SPEC.items() if k not in ("stress", "slices")}
    (tmp_path / "plain.yaml").write_text(yaml.safe_dump(plain))
    with pytest.raises(UsageError, match="no stress: section"):
        dataroi.load_study(tmp_path / "plain.yaml", ledger=study.ledger_url).analyze().stress()


def test_slice_table_matches_recomputed_scores(study: dataroi.Study) -> None:
    from dataroi.artifacts import ArtifactStore
    from dataroi.data import WorkerData, materialize
    from dataroi.slices import slice_labels, slice_table
    from dataroi.trial import subset_seed, train_indices

    prep0 = study.prepare()
    data = WorkerData.open(materialize(prep0, study.workdir / "cache"))
    store = ArtifactStore(study.workdir / "artifacts")
    test0 = np.asarray(prep0.test_idx)
    table = slice_table(
        study.trials(), labels=slice_labels(prep0.X, "pixel_2_2"), test_idx=test0,
        y_test=np.asarray(prep0.y)[test0], n_classes=prep0.n_classes, metric="accuracy",
        models=["lr"], predictions=store.get,
        train_rows=lambda r, n: train_indices(data, subset_seed(0, r), n))
    assert set(table["model"]) == {"lr"}                     # arms are not sliced
    prep = study.prepare()
    t = study.trials()
    one = t[(t["model"] == "lr") & (t["n_train"] == 240) & (t["repeat"] == 1)].iloc[0]
    pred = ArtifactStore(study.workdir / "artifacts").get(one["predictions_digest"])["pred"]
    test = np.asarray(prep.test_idx)
    col = prep.X["pixel_2_2"].astype(str).to_numpy()[test]
    y = np.asarray(prep.y)[test]
    rows = table[(table["n_train"] == 240) & (table["repeat"] == 1)]
    for r in rows.itertuples():
        mask = col == r.slice
        assert r.n_test == mask.sum()
        assert r.value == pytest.approx(float((pred[mask] == y[mask]).mean()))
    # training rows split over slices add up to the trial's size
    assert (rows["n_slice_train"].sum()) == 240


def test_analyze_slices_pools_and_allocates(study: dataroi.Study) -> None:
    with study.analyze() as analysis:
        sl = analysis.slices(budget_usd=200.0)
    at = sl.pooled[sl.pooled["n_train"] == 480]
    assert set(at["slice"]) and not set(at["slice"]) & set(sl.left_out)
    assert (at["low"] <= at["pooled"]).all() and (at["pooled"] <= at["high"]).all()
    alloc = sl.allocations["lr"]
    assert sum(alloc.labels.values()) == pytest.approx(200.0 / 0.5, abs=10)
    assert sl.statements
    json.dumps(sl.to_dict(), allow_nan=False)


def test_relabel_vs_new(study: dataroi.Study) -> None:
    assert majority_of_three(0.1) == pytest.approx(0.028)
    analysis = study.analyze()
    dec = analysis.relabel(rate_now=0.15, draws=200)
    assert dec.rate_after == pytest.approx(majority_of_three(0.15))
    assert dec.relabel_cost_usd == pytest.approx(480 * 2 * 0.5)
    # valued as the planner values relabel options: by the rule on digits' 10 classes
    m = effective_fraction(dec.rate_after, 10) / effective_fraction(0.15, 10)
    assert dec.equivalent_q50 == round(480 * (m - 1))
    assert dec.choice == ("relabel" if dec.equivalent_q50 * 0.5 > dec.relabel_cost_usd
                          else "label new items")
    assert dec.sentence.endswith(f"→ {dec.choice}")
    # the study's own noise arms, measured against the rule, are said beside it
    assert dec.arms_check.startswith("lr's noise arms against the effective-sample rule: "
                                     "lr[noise=0.1] trails by ")
    with pytest.raises(UsageError, match="rate_after"):
        analysis.relabel(rate_now=0.1, rate_after=0.15)
    with pytest.raises(UsageError, match="'svm' is not a model of the study"):
        analysis.relabel(rate_now=0.1, model="svm")
    analysis.close()


def test_cli_stress_tables_and_json(study: dataroi.Study, capsys) -> None:
    spec = str(study.spec.base_dir) + "/study.yaml"
    assert main(["stress", spec, "--draws", "100", "--noise-rate", "0.1",
                 "--budget", "100"]) == 0
    out = capsys.readouterr().out
    assert "lr[noise=0.1]" in out and "lr[al=margin]" in out   # brackets printed literally
    assert "relabel vs new" in out and "slices of pixel_2_2" in out
    assert main(["stress", spec, "--draws", "100", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["relabel"] is None and doc["slices"]["column"] == "pixel_2_2"
    assert {g["kind"] for g in doc["stress"]["groups"]} == {"noise", "prior", "acquisition"}


def test_cli_stress_errors(tmp_path, capsys) -> None:
    plain = {k: v for k, v in SPEC.items() if k not in ("stress", "slices")}
    (tmp_path / "plain.yaml").write_text(yaml.safe_dump(plain))
    assert main(["stress", str(tmp_path / "plain.yaml")]) == 2
    assert "no stress: or slices: section" in capsys.readouterr().err
    missing = tmp_path / "nope.yaml"
    assert main(["stress", str(missing)]) == 2
    assert "nope.yaml" in capsys.readouterr().err
    only_stress = {k: v for k, v in SPEC.items() if k != "slices"}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(only_stress))
    assert main(["stress", str(tmp_path / "s.yaml"), "--budget", "100"]) == 2
    assert "add slices: to the spec" in capsys.readouterr().err


def test_slices_by_expression(study: dataroi.Study, tmp_path) -> None:
    from dataroi.exceptions import SpecError
    from dataroi.slices import slice_labels
    from dataroi.spec import SliceSpec

    prep = study.prepare()
    labels = slice_labels(prep.X, SliceSpec(None, expression="pixel_2_2 > 4"))
    expected = np.where(prep.X["pixel_2_2"].to_numpy() > 4, "true", "false")
    np.testing.assert_array_equal(labels, expected)
    # the same trials, sliced by an expression: nothing re-runs
    spec = dict(SPEC, slices={"expression": "pixel_2_2 > 4", "min_test_rows": 5})
    (tmp_path / "expr.yaml").write_text(yaml.safe_dump(spec))
    again = dataroi.load_study(tmp_path / "expr.yaml", ledger=study.ledger_url)
    with again.analyze() as analysis:
        sl = analysis.slices()
    assert sl.column == "(pixel_2_2 > 4)"
    assert set(sl.pooled["slice"]) == {"true", "false"}
    with pytest.raises(SpecError, match="unknown name"):
        slice_labels(prep.X, SliceSpec(None, expression="no_such_pixel > 1"))


def test_slices_need_a_column_or_an_expression() -> None:
    from dataroi.exceptions import SpecError
    from dataroi.spec import spec_from_dict

    for bad in ({"column": "pixel_2_2", "expression": "pixel_2_2 > 1"}, {"min_test_rows": 3}):
        with pytest.raises(SpecError, match="either column"):
            spec_from_dict(dict(SPEC, slices=bad))


def test_the_planner_offers_acquisition_strategies(study: dataroi.Study) -> None:
    import dataclasses

    costs = dataclasses.replace(study.spec.costs, value_per_point_usd=50_000.0)
    with study.analyze(n_draws=300) as analysis:
        plain = analysis.recommend(budget_usd=500.0, costs=costs)
        rec = analysis.recommend(budget_usd=500.0, costs=costs, strategies=True)
    by_id = {o.option_id: o for o in rec.options.options}
    assert {o.option_id for o in plain.options.options} < set(by_id)
    margin = [o for o in rec.options.options if o.option_id.endswith("@margin")]
    assert margin and all("by margin sampling" in o.label for o in margin)
    for o in margin:
        same = by_id[f"lr+{o.delta_n}"]
        # same labels, same labeling cost; selection adds compute; the gain differs
        assert o.labeling_usd == same.labeling_usd
        assert o.compute_usd >= same.compute_usd
        assert o.gain_mean != same.gain_mean


def test_a_strategy_behind_random_saves_no_labels(study: dataroi.Study) -> None:
    """Where random sampling already scores what the strategy scores, the statement says
    the strategy saves nothing and by how much it trails (it read "reach what random
    sampling needs ≈ 480 for (90 % interval 480–480)" on friends transcripts)."""
    trials = study.trials()
    acc = trials[trials["metric"] == "accuracy"]
    rnd = acc[acc["model"] == "lr[al=random]"].set_index(["n_train", "repeat"])["value"]
    margin = (acc["model"] == "lr[al=margin]").to_numpy()
    keys = list(zip(acc.loc[margin, "n_train"], acc.loc[margin, "repeat"], strict=True))
    acc = acc.copy()
    acc.loc[margin, "value"] = rnd.loc[keys].to_numpy() - 0.03   # margin: 3 points behind
    a = analyze_stress(acc, study.spec.stress, metric="accuracy",
                       pool_size=study.prepare().pool_size, draws=200)
    [said] = a.acquisition[0].statements
    assert said.startswith("lr: margin sampling saves no labels at 480: it scores ")
    assert "(paired difference -0.0300, 90 % interval -0.0300 to -0.0300)" in said


def test_strategy_curves_need_acquisition_arms(tmp_path) -> None:
    from dataroi.stress import strategy_curves

    spec = {k: v for k, v in SPEC.items() if k not in ("stress", "slices")}
    (tmp_path / "plain.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(UsageError, match="no stress.acquisition"):
        strategy_curves(pd.DataFrame(), (), metric="accuracy")


def test_stress_fits_share_the_test_score_gate(study: dataroi.Study) -> None:
    """The arms' training scores measure the fit to altered rows (noise, active
    selection), which the training-score gate never saw: every arm uses the test-score
    gate, while the study's plain models use the training scores."""
    from dataroi.stress import strategy_curves
    from dataroi.value import fit_study_curves

    trials = study.trials()
    acq = strategy_curves(trials, study.spec.stress, metric="accuracy",
                          pool_size=study.prepare().pool_size)
    assert {acq.fits[m].gate for m in acq.models} == {"test"}
    assert trials.loc[trials["model"] == "lr[noise=0.1]", "train_value"].notna().all()
    arms = fit_study_curves(trials, metric="accuracy", models=("lr", "lr[noise=0.1]"),
                            use_train_scores=False)
    assert {f.gate for f in arms.fits.values()} == {"test"}
    assert set(arms.train_today) == {"lr", "lr[noise=0.1]"}  # still shown
    assert fit_study_curves(trials, metric="accuracy", models=["lr"]).fits["lr"].gate == "train"
