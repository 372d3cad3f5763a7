"""Stress arms run end to end: real data, real scikit-learn models, a real SQLite ledger.

Three small studies run once per module (serially, in this process):

* digits with label-noise and class-prior arms,
* digits with acquisition arms (margin against the random baseline),
* breast cancer with a derived ``site`` column and the three covariate-shift views.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import accuracy_score, balanced_accuracy_score

import dataroi
from dataroi.artifacts import ArtifactStore
from dataroi.data import materialize
from dataroi.data._store import WorkerData
from dataroi.exceptions import SpecError
from dataroi.spec import spec_from_dict
from dataroi.study._plan import arm_hash, arm_model
from dataroi.trial import TrialState, train_indices
from dataroi.trial._estimators import build_estimator, seed_estimator
from dataroi.trial._variants import arm_rows, eval_mask

pytestmark = pytest.mark.slow  # a study fixture of tens of seconds

#: scaled logistic regression: converges in a few dozen iterations even on noisy labels
LR = {"pipeline": ["sklearn.preprocessing.StandardScaler",
                   {"estimator": "sklearn.linear_model.LogisticRegression",
                    "params": {"max_iter": 500}}]}
KNN = {"estimator": "sklearn.neighbors.KNeighborsClassifier"}
RUN = {"jobs": 1, "executor": "serial", "progress": False}

NOISE = {"lr[noise=0.1]": 0.1, "lr[noise=0.3]": 0.3}
THIN = "lr[thin=1:0.8]"
HALF = "lr[prior=0:0.5,1:0.5]"
SHIFT_ARMS = [f"{m}[{v}=site]" for m in ("lr", "knn") for v in ("shift-in", "shift", "shift-rw")]


class Ran:
    """A study that has run, with what the tests need to look inside it."""

    def __init__(self, study: Any, summary: Any) -> None:
        self.study, self.summary = study, summary
        self.prep = study.prepare()
        self.plan = study.plan()
        self.view = WorkerData.open(materialize(self.prep, study.workdir / "cache"))
        self.store = ArtifactStore(study.workdir / "artifacts")
        self.frame = study.trials()
        self.y_test = np.asarray(self.prep.y)[np.asarray(self.prep.test_idx)]

    def subset_seed(self, repeat: int) -> int:
        return self.plan.subset_seed(self.study.spec.schedule.seed, repeat)

    def rows(self, model: str, n: int, repeat: int) -> Any:
        return arm_rows(self.view, arm_model(self.study.spec, model)["variant"],
                        subset_seed=self.subset_seed(repeat), n_train=n)

    def trial(self, model: str, n: int, repeat: int, metric: str = "accuracy") -> pd.Series:
        f = self.frame
        hit = f[(f.model == model) & (f.n_train == n) & (f.repeat == repeat)
                & (f.metric == metric)]
        assert len(hit) == 1, (model, n, repeat)
        return hit.iloc[0]

    def predictions(self, model: str, n: int, repeat: int) -> np.ndarray:
        return self.store.get(self.trial(model, n, repeat)["predictions_digest"])["pred"]

    def mean(self, model: str, n: int, metric: str = "accuracy") -> float:
        f = self.frame
        return float(f[(f.model == model) & (f.n_train == n) & (f.metric == metric)]
                     ["value"].mean())


def _run(folder: Path, spec: dict[str, Any]) -> Ran:
    study = dataroi.load_study(spec, ledger=str(folder / "ledger.db"))
    return Ran(study, study.run(**RUN))


def _refit_predictions(ran: Ran, model: str, n: int, repeat: int) -> np.ndarray:
    """Fit the arm's estimator here on what ``arm_rows`` says the arm trains on."""
    arm = ran.rows(model, n, repeat)
    est = seed_estimator(build_estimator(arm_model(ran.study.spec, model)),
                         int(ran.trial(model, n, repeat)["seed"]))
    with warnings.catch_warnings():  # as in the worker: convergence warnings are noise
        warnings.simplefilter("ignore")
        est.fit(ran.view.rows(arm.train), arm.y_train)
    return np.asarray(est.predict(ran.view.rows(np.asarray(ran.view.test_idx))))


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """digits: noise 0.1 and 0.3, class 1 thinned by 80 %, classes 0 and 1 at half each."""
    return _run(tmp_path_factory.mktemp("digits"), {
        "name": "digits-stress", "data": "sklearn:digits", "models": {"lr": LR},
        "metrics": ["accuracy"], "schedule": {"sizes": [60, 150, 300], "repeats": 2},
        "stress": {"noise": {"rates": [0.1, 0.3]},
                   "prior": [{"thin": {"1": 0.8}}, {"0": 0.5, "1": 0.5}]}})


@pytest.fixture(scope="module")
def acquisition(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    return _run(tmp_path_factory.mktemp("acquisition"), {
        "name": "digits-al", "data": "sklearn:digits", "models": {"lr": LR},
        "metrics": ["accuracy"], "schedule": {"sizes": [40, 80], "repeats": 2},
        "stress": {"acquisition": {"strategies": ["margin"], "batch_size": 20,
                                   "initial": 20}}})


def _cancer_with_site(folder: Path, labels: list[Any]) -> Path:
    """breast cancer plus ``site``: the tercile of mean radius (a categorical-like column
    that shifts the class mix: large tumours are mostly malignant)."""
    frame = load_breast_cancer(as_frame=True).frame
    frame.insert(0, "site", pd.qcut(frame["mean radius"], 3, labels=labels))
    path = folder / "cancer.csv"
    frame.to_csv(path, index=False)
    return path


def _shift_spec(csv: Path, **stress: Any) -> dict[str, Any]:
    return {"name": "cancer-shift", "data": {"source": str(csv), "target": "target"},
            "models": {"lr": LR, "knn": KNN}, "metrics": ["accuracy"],
            "schedule": {"sizes": [50, 150, 350], "repeats": 2},
            "stress": {"shift": {"column": "site", "values": [2], "reweight": True,
                                 **stress}}}


@pytest.fixture(scope="module")
def shift(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """Site 2 (the largest tumours) held out of training; lr and knn, all three views."""
    folder = tmp_path_factory.mktemp("shift")
    return _run(folder, _shift_spec(_cancer_with_site(folder, [0, 1, 2])))


@pytest.fixture(scope="module")
def lettered_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same data with ``site`` as the strings A/B/C (a categorical column)."""
    return _cancer_with_site(tmp_path_factory.mktemp("lettered"), ["A", "B", "C"])


# ------------------------------------------------------------------------------ noise


def test_noise_arms_flip_exactly_rate_times_n_labels_of_the_clean_rows(digits):
    for model, rate in NOISE.items():
        for n in digits.plan.sizes:
            for repeat in range(2):
                arm = digits.rows(model, n, repeat)
                clean = train_indices(digits.view, digits.subset_seed(repeat), n)
                assert np.array_equal(arm.train, clean)
                true = np.asarray(digits.view.y)[arm.train]
                assert int((arm.y_train != true).sum()) == round(rate * n)
                assert set(np.unique(arm.y_train)) <= set(range(10))
                assert arm.sample_weight is None
    # the noisy labels are the ones the study trained on: refitting on them gives the
    # very predictions stored for the trial
    for model in NOISE:
        assert np.array_equal(_refit_predictions(digits, model, 300, 1),
                              digits.predictions(model, 300, 1))


def test_arms_share_the_base_models_estimator_seeds(digits, acquisition):
    for ran in (digits, acquisition):
        f = ran.frame
        assert set(f["state"]) == {"complete"}
        seeds = f.drop_duplicates(["model", "n_train", "repeat"])
        base = seeds[seeds.model == "lr"].set_index(["n_train", "repeat"])["seed"]
        arms = seeds[seeds.model != "lr"]
        assert len(arms) > 0
        for row in arms.itertuples():
            assert row.seed == base[(row.n_train, row.repeat)], row.model
        assert base.nunique() == len(base)  # one seed per (size, repeat)


def test_noise_changes_the_metrics_and_hurts_on_average_at_the_largest_size(digits):
    f = digits.frame
    clean = f[f.model == "lr"].set_index(["n_train", "repeat"])["value"]
    for model in NOISE:
        noisy = f[f.model == model].set_index(["n_train", "repeat"])["value"]
        assert len(noisy) == len(clean) == 6
        assert not np.allclose(noisy.sort_index(), clean.sort_index())
        assert digits.mean(model, 300) < digits.mean("lr", 300)
    assert digits.mean("lr[noise=0.3]", 300) < digits.mean("lr[noise=0.1]", 300)


def test_class_conditional_and_hard_noise_flip_exact_counts(digits):
    spec = spec_from_dict({
        "data": "sklearn:digits", "models": {"lr": LR}, "schedule": {"sizes": [200]},
        "stress": {"noise": {"kind": "class_conditional", "matrix": {"3": {"8": 0.5}}}}})
    hard = spec_from_dict({
        "data": "sklearn:digits", "models": {"lr": LR}, "schedule": {"sizes": [200]},
        "stress": {"noise": {"kind": "hard", "rates": [0.2]}}})
    y = np.asarray(digits.view.y)
    seed = digits.subset_seed(1)
    cc = arm_rows(digits.view, arm_model(spec, "lr[cc-noise]")["variant"],
                  subset_seed=seed, n_train=200)
    true = y[cc.train]
    assert np.array_equal(cc.train, train_indices(digits.view, seed, 200))
    flipped = cc.y_train != true
    # only class 3 flips, to 8, exactly round(half of its rows) of them
    assert set(true[flipped]) == {3} and set(cc.y_train[flipped]) == {8}
    assert int(flipped.sum()) == round(0.5 * int((true == 3).sum()))
    h = arm_rows(digits.view, arm_model(hard, "lr[hard-noise=0.2]")["variant"],
                 subset_seed=seed, n_train=200)
    assert np.array_equal(h.train, cc.train)
    assert int((h.y_train != y[h.train]).sum()) == 40


# ---------------------------------------------------------------------------- priors


def test_prior_arms_train_on_exact_class_counts_nested_in_the_clean_order(digits):
    y = np.asarray(digits.view.y)
    pool = np.asarray(digits.prep.pool_idx)
    base = np.bincount(y[pool], minlength=10) / len(pool)
    thinned = base.copy()
    thinned[1] *= 1 - 0.8
    thinned /= thinned.sum()
    for repeat in range(2):
        perm = train_indices(digits.view, digits.subset_seed(repeat), len(pool))
        previous: set[int] = set()
        for n in digits.plan.sizes:
            rows = digits.rows(THIN, n, repeat).train
            counts = np.bincount(y[rows], minlength=10)
            assert counts.sum() == n == len(set(rows.tolist()))
            assert np.all(counts >= np.floor(n * thinned))
            assert np.all(counts <= np.ceil(n * thinned))
            assert counts[1] < n * base[1] / 2  # class 1 really is rare
            # each class takes its first rows in the repeat's clean order
            for c in range(10):
                mine = rows[y[rows] == c]
                assert np.array_equal(mine, perm[y[perm] == c][:counts[c]])
            assert previous <= set(rows.tolist())  # nested across sizes
            previous = set(rows.tolist())
        for n in (60, 150):
            half = digits.rows(HALF, n, repeat)
            assert np.bincount(y[half.train], minlength=10).tolist() == \
                [n // 2, n // 2] + [0] * 8
            assert np.array_equal(half.y_train, y[half.train])
    assert np.array_equal(_refit_predictions(digits, HALF, 150, 0),
                          digits.predictions(HALF, 150, 0))


def test_sizes_beyond_a_prior_arms_limit_are_not_planned(digits):
    y = np.asarray(digits.prep.y)[np.asarray(digits.prep.pool_idx)]
    limit = 2 * min(int((y == 0).sum()), int((y == 1).sum()))
    assert 150 < limit < 300
    plan = digits.plan
    assert plan.limits[HALF] == limit
    assert plan.sizes_of(HALF) == [60, 150]
    assert plan.sizes_of(THIN) == plan.sizes_of("lr") == [60, 150, 300]
    # 5 models/arms × 3 sizes, minus the one size the half/half arm cannot hold, × 2
    assert plan.n_trials == len(plan.trials) == (5 * 3 - 1) * 2 == 28
    assert (digits.summary.planned_new, digits.summary.completed,
            digits.summary.failed) == (28, 28, 0)
    f = digits.frame
    assert sorted(set(f[f.model == HALF]["n_train"])) == [60, 150]
    assert len(f[f.n_train == 300]) == 4 * 2


@pytest.mark.parametrize("stress, where, label", [
    ({"prior": {"0": 0.5, "10": 0.5}}, "stress.prior", "'10'"),
    ({"prior": {"thin": {"nine": 0.5}}}, "stress.prior", "'nine'"),
    ({"noise": {"kind": "class_conditional", "matrix": {"0": {"zero": 0.2}}}},
     "stress.noise.matrix", "'zero'"),
], ids=["prior", "thin", "noise matrix"])
def test_an_unknown_class_label_is_a_spec_error_before_anything_is_written(
        tmp_path, stress, where, label):
    ledger = tmp_path / "ledger.db"
    study = dataroi.load_study({
        "name": "digits-bad", "data": "sklearn:digits", "models": {"lr": LR},
        "schedule": {"sizes": [60], "repeats": 1}, "stress": stress}, ledger=str(ledger))
    with pytest.raises(SpecError) as info:
        study.run(**RUN)
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert problem.startswith(f"{where}: {label} is not a class of the target")
    assert problem.endswith("classes: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9")
    assert not ledger.exists()


def test_class_conditional_flips_of_a_class_beyond_one_are_a_spec_error(tmp_path):
    study = dataroi.load_study({
        "name": "digits-bad", "data": "sklearn:digits", "models": {"lr": LR},
        "schedule": {"sizes": [60], "repeats": 1},
        "stress": {"noise": {"kind": "class_conditional",
                             "matrix": {"3": {"8": 0.7, "5": 0.6}, "1": {"7": 0.2}}}}},
        ledger=str(tmp_path / "ledger.db"))
    with pytest.raises(SpecError) as info:
        study.plan()
    assert info.value.problems == [
        "stress.noise.matrix: flip probabilities of ['3'] sum to more than 1"]


# ----------------------------------------------------------------------------- shift


def _site(ran: Ran, rows: np.ndarray) -> np.ndarray:
    return ran.prep.X["site"].iloc[rows].astype(str).to_numpy()


def _test_mask(ran: Ran, view: str) -> np.ndarray:
    held = _site(ran, np.asarray(ran.prep.test_idx)) == "2"
    return ~held if view == "in" else held


def test_shift_arms_never_train_on_the_held_out_site(shift):
    y = np.asarray(shift.view.y)
    for model in SHIFT_ARMS:
        for n in shift.plan.sizes_of(model):
            for repeat in range(2):
                arm = shift.rows(model, n, repeat)
                assert len(arm.train) == n
                assert "2" not in set(_site(shift, arm.train))
                # the first n rows of the clean order that are outside site 2
                perm = train_indices(shift.view, shift.subset_seed(repeat),
                                     shift.prep.pool_size)
                allowed = perm[_site(shift, perm) != "2"]
                assert np.array_equal(arm.train, allowed[:n])
                assert np.array_equal(arm.y_train, y[arm.train])
    # while the clean model does train on site 2
    clean = train_indices(shift.view, shift.subset_seed(0), 150)
    assert "2" in set(_site(shift, clean))


def test_shift_arms_stop_at_the_size_their_pool_holds(shift):
    pool = np.asarray(shift.prep.pool_idx)
    outside = int((_site(shift, pool) != "2").sum())
    assert 150 < outside < 350
    for model in SHIFT_ARMS:
        assert shift.plan.limits[model] == outside
        assert shift.plan.sizes_of(model) == [50, 150]
    assert shift.plan.sizes_of("lr") == [50, 150, 350]
    assert shift.plan.n_trials == (2 * 3 + 6 * 2) * 2 == shift.summary.planned_new


def test_shift_views_are_scored_on_their_own_test_rows(shift):
    n_test = len(shift.prep.test_idx)
    masks = {"shift-in": _test_mask(shift, "in"), "shift": _test_mask(shift, "shifted"),
             "shift-rw": _test_mask(shift, "shifted")}
    assert 0 < masks["shift"].sum() < n_test
    differs = 0
    for model in ("lr", "knn"):
        for view, mask in masks.items():
            name = f"{model}[{view}=site]"
            assert np.array_equal(eval_mask(shift.view, arm_model(
                shift.study.spec, name)["variant"]), mask)
            for n in (50, 150):
                for repeat in range(2):
                    row = shift.trial(name, n, repeat)
                    if row["state"] != "complete":
                        continue
                    pred = shift.predictions(name, n, repeat)
                    assert pred.shape == (n_test,)  # stored for the whole test set
                    assert row["value"] == pytest.approx(
                        accuracy_score(shift.y_test[mask], pred[mask]), abs=1e-12)
                    differs += accuracy_score(shift.y_test, pred) != row["value"]
    assert differs > 0  # scoring the whole test set would have given other numbers


def test_shift_reweighting_trains_with_sample_weights(shift):
    for n in (50, 150):
        arm = shift.rows("lr[shift-rw=site]", n, 0)
        plain = shift.rows("lr[shift=site]", n, 0)
        assert np.array_equal(arm.train, plain.train) and plain.sample_weight is None
        w = arm.sample_weight
        assert w is not None and w.shape == (n,)
        assert np.all(w > 0) and w.mean() == pytest.approx(1.0) and w.std() > 0.05
        # rows that look like site 2 (large tumours) get more weight
        radius = shift.prep.X["mean radius"].iloc[arm.train].to_numpy()
        assert w[radius > np.median(radius)].mean() > w[radius <= np.median(radius)].mean()
    # same rows, labels and seeds as the unweighted arm: only the weights differ
    f = shift.frame
    rw = f[f.model == "lr[shift-rw=site]"].set_index(["n_train", "repeat"])
    plain = f[f.model == "lr[shift=site]"].set_index(["n_train", "repeat"])
    assert set(rw["state"]) == {"complete"} and len(rw) == 4
    assert (rw["seed"] == plain["seed"]).all()
    assert (rw["predictions_digest"] != plain["predictions_digest"]).any()


def test_shift_reweighting_fails_clearly_for_a_model_without_sample_weight(shift):
    f = shift.frame
    failed = f[f.state == "failed"]
    assert set(failed["model"]) == {"knn[shift-rw=site]"}
    assert len(failed) == 4 and set(failed["error_type"]) == {"UsageError"}
    assert failed["value"].isna().all()
    snaps = [s for s in shift.study.snapshots() if s.key.model == "knn[shift-rw=site]"]
    assert len(snaps) == 4 and all(s.state is TrialState.FAILED for s in snaps)
    for s in snaps:
        message = s.extra["error_message"]
        assert "KNeighborsClassifier.fit takes no sample_weight" in message
        assert "reweighting" in message
    assert shift.summary.failed == 4
    assert list(shift.summary.error_groups.values()) == [4]
    # the model's other shift views run
    ok = f[f.model.isin(["knn[shift=site]", "knn[shift-in=site]"])]
    assert len(ok) == 8 and set(ok["state"]) == {"complete"}
    # ... and make the stress section's shift gap; the reweighting is said not judged
    with shift.study.analyze() as analysis:
        groups = {g.base: g for g in analysis.stress(draws=100).groups if g.kind == "shift"}
    assert set(groups) == {"lr", "knn"}
    assert groups["knn"].arms == ("knn[shift-in=site]", "knn[shift=site]")
    said = " ".join(groups["knn"].statements)
    assert "knn: on the held-out slice the metric is" in said
    assert ("covariate-shift reweighting is not judged: its arm (knn[shift-rw=site]) has no "
            "finished trial") in said
    assert "lr[shift-rw=site]" in groups["lr"].arms
    assert any("reweighting changes" in x for x in groups["lr"].statements)


def test_shift_reweighting_reaches_the_model_inside_a_specs_pipeline(lettered_site,
                                                                     tmp_path):
    # `dataroi init` writes the linear model as a pipeline (scaler, then the model), and
    # the study's preprocessing wraps it once more: the weights reach the model through
    # both (every reweighted trial of the Health Insurance survey had failed on this)
    spec = _shift_spec(lettered_site, values=["C"])
    spec["models"] = {"logreg": {"pipeline": [
        {"estimator": "sklearn.preprocessing.StandardScaler", "params": {"with_mean": False}},
        {"estimator": "sklearn.linear_model.LogisticRegression",
         "params": {"max_iter": 2000}}]}}
    spec["schedule"] = {"sizes": [50, 150], "repeats": 1}
    ran = _run(tmp_path, spec)
    assert ran.summary.failed == 0
    f = ran.frame
    rw = f[f.model == "logreg[shift-rw=site]"].set_index("n_train")
    plain = f[f.model == "logreg[shift=site]"].set_index("n_train")
    assert len(rw) == 2 and set(rw["state"]) == {"complete"}
    assert (rw["predictions_digest"] != plain["predictions_digest"]).any()  # weighted


def test_a_string_valued_shift_column_masks_the_same_rows(lettered_site, tmp_path):
    spec = _shift_spec(lettered_site, values=["C"])
    study = dataroi.load_study(spec, ledger=str(tmp_path / "ledger.db"))
    prep = study.prepare()
    assert isinstance(prep.X["site"].dtype, pd.CategoricalDtype)
    view = WorkerData.open(materialize(prep, tmp_path / "cache"))
    test_site = prep.X["site"].iloc[np.asarray(prep.test_idx)].astype(str).to_numpy()
    variant = arm_model(study.spec, "lr[shift=site]")["variant"]
    assert variant["values"] == ["C"]
    assert np.array_equal(eval_mask(view, variant), test_site == "C")
    inside = arm_model(study.spec, "lr[shift-in=site]")["variant"]
    assert np.array_equal(eval_mask(view, inside), test_site != "C")
    seed = study.plan().subset_seed(0, 1)
    reweighted = arm_rows(view, arm_model(study.spec, "lr[shift-rw=site]")["variant"],
                          subset_seed=seed, n_train=100)
    sites = prep.X["site"].iloc[reweighted.train].astype(str)
    assert "C" not in set(sites) and {"A", "B"} <= set(sites)
    assert reweighted.sample_weight is not None and len(reweighted.sample_weight) == 100


@pytest.mark.parametrize("shift_section, expected", [
    ({"column": "sitte", "values": ["C"]},
     "stress.shift.column: 'sitte' is not a feature column (did you mean 'site'?); "
     "features: site, mean radius"),
    ({"column": "site", "values": ["D"]},
     "stress.shift.values: no test row has site in ['D']"),
    ({"column": "site", "values": ["A", "B", "C"]},
     "stress.shift.values: every test row has site in ['A', 'B', 'C']: no in-distribution "
     "rows remain"),
], ids=["unknown column", "values match no test row", "values match every test row"])
def test_shift_sections_that_do_not_fit_the_data_are_spec_errors(
        lettered_site, tmp_path, shift_section, expected):
    spec = _shift_spec(lettered_site)
    spec["stress"]["shift"] = shift_section
    study = dataroi.load_study(spec, ledger=str(tmp_path / "ledger.db"))
    with pytest.raises(SpecError) as info:
        study.plan()
    assert {p[:len(expected)] for p in info.value.problems} == {expected}
    with pytest.raises(SpecError):
        study.run(**RUN)
    assert not (tmp_path / "ledger.db").exists()


def test_a_bad_shift_section_is_reported_once(lettered_site, tmp_path):
    spec = _shift_spec(lettered_site, values=["D"])
    study = dataroi.load_study(spec, ledger=str(tmp_path / "ledger.db"))
    with pytest.raises(SpecError) as info:
        study.prepare()
    assert info.value.problems == ["stress.shift.values: no test row has site in ['D']"]


def test_a_new_metric_on_a_shift_arm_is_scored_on_its_views_rows(shift, tmp_path):
    # work on a copy: the module's ledger stays as it was run
    copy = tmp_path / "copy"
    shutil.copytree(shift.study.workdir, copy)
    spec = _shift_spec(Path(shift.study.spec.data.source))
    spec["metrics"] = ["accuracy", "balanced_accuracy"]
    study = dataroi.load_study(spec, ledger=str(copy / "ledger.db"))
    summary = study.run(**RUN)
    assert (summary.completed, summary.already_done) == (0, shift.plan.n_trials)
    assert any("no retraining" in note for note in summary.notes)
    after = study.trials()
    before = shift.frame.set_index(["trial_id", "metric"])["value"]
    accuracy = after[after.metric == "accuracy"].set_index(["trial_id", "metric"])["value"]
    assert accuracy.equals(before.loc[accuracy.index])  # recorded values unchanged
    store = ArtifactStore(copy / "artifacts")
    differs = 0
    for view, which in (("shift-in", "in"), ("shift", "shifted"), ("shift-rw", "shifted")):
        mask = _test_mask(shift, which)
        rows = after[(after.model == f"lr[{view}=site]")
                     & (after.metric == "balanced_accuracy")]
        assert len(rows) == 4
        for row in rows.itertuples():
            pred = store.get(row.predictions_digest)["pred"]
            expected = balanced_accuracy_score(shift.y_test[mask], pred[mask])
            assert row.value == pytest.approx(expected, abs=1e-12)
            differs += balanced_accuracy_score(shift.y_test, pred) != row.value
    assert differs > 0
    # the clean model is scored on the whole test set; failed trials stay empty
    clean = after[(after.model == "lr") & (after.metric == "balanced_accuracy")]
    for row in clean.itertuples():
        pred = store.get(row.predictions_digest)["pred"]
        assert row.value == pytest.approx(balanced_accuracy_score(shift.y_test, pred),
                                          abs=1e-12)
    failed = after[after.model == "knn[shift-rw=site]"]
    assert len(failed) == 8 and failed["value"].isna().all()


# ----------------------------------------------------------------------- acquisition


def test_acquisition_arms_are_planned_after_the_model_and_share_its_seed_set(acquisition):
    plan = acquisition.plan
    assert plan.models == ["lr", "lr[al=random]", "lr[al=margin]"]
    assert plan.bases == {"lr[al=random]": "lr", "lr[al=margin]": "lr"}
    assert plan.n_trials == 12 and acquisition.summary.completed == 12
    spec = acquisition.study.spec
    assert plan.model_hashes["lr[al=margin]"] == arm_hash(spec, spec.arm("lr[al=margin]"))
    assert len(set(plan.model_hashes.values())) == 3
    variant = arm_model(spec, "lr[al=margin]")["variant"]
    assert variant["selector_model"] == arm_model(spec, "lr")  # its own selector
    pool = set(np.asarray(acquisition.prep.pool_idx).tolist())
    for repeat in range(2):
        clean = train_indices(acquisition.view, acquisition.subset_seed(repeat), 80)
        chosen = {}
        for model in ("lr[al=random]", "lr[al=margin]"):
            small = acquisition.rows(model, 40, repeat).train
            large = acquisition.rows(model, 80, repeat).train
            assert np.array_equal(large[:20], clean[:20])  # the shared seed set
            assert np.array_equal(large[:40], small)  # nested
            assert len(set(large.tolist())) == 80 and set(large.tolist()) <= pool
            chosen[model] = set(large.tolist())
        assert chosen["lr[al=random]"] != chosen["lr[al=margin]"]


def test_margin_fit_seconds_include_the_selection(acquisition):
    f = acquisition.frame
    # the first trial in each worker process also pays its imports and warm-up, and which
    # trial that is depends on the scheduler: compare each arm's fastest trial
    seconds = f.groupby("model")["fit_seconds"].min()
    assert seconds["lr[al=margin]"] > seconds["lr[al=random]"]
    assert seconds["lr[al=margin]"] > seconds["lr"]


def test_a_shorter_prefix_is_charged_its_share_of_the_selection_rounds(acquisition):
    # which size runs first in a worker (and pays its warm-up) is up to the scheduler,
    # so the proration is checked on the cached order itself, not on wall times
    from dataroi.trial import _variants

    _variants._ORDERS.clear()
    long = acquisition.rows("lr[al=margin]", 80, 0)  # selects 80 rows: (80 - 20) / 20 rounds
    [(order, total, rounds)] = _variants._ORDERS.values()
    assert len(order) == 80 and rounds == 3
    assert long.selection_seconds == pytest.approx(total) and total > 0
    short = acquisition.rows("lr[al=margin]", 40, 0)  # the first 40 of them: 1 round
    assert len(_variants._ORDERS) == 1  # taken from the same selection, not run again
    assert short.selection_seconds == pytest.approx(total / 3)
    assert list(short.train) == list(long.train[:40])


def test_running_again_runs_nothing(acquisition):
    again = acquisition.study.run(**RUN)
    assert (again.planned_new, again.completed, again.failed, again.already_done) == \
        (0, 0, 0, 12)
    cols = ["trial_id", "model", "n_train", "repeat", "seed", "value", "fit_seconds",
            "predictions_digest"]
    now = acquisition.study.trials()
    assert now[cols].equals(acquisition.frame[cols])


def test_reproducing_acquisition_arms_gives_identical_metrics(acquisition):
    from dataroi.trial import _variants

    _variants._ORDERS.clear()  # select the rows again, not from this process's cache
    summary = acquisition.study.reproduce(sample=12)
    assert summary["sample"] == 12 and summary["differing"] == 0
    checked = summary["trials"]
    assert {c["model"] for c in checked} == {"lr", "lr[al=random]", "lr[al=margin]"}
    for c in checked:
        assert c["state"] == "complete" and c["metric_differences"] == []
        assert c["predictions_match"] is True


# ---------------------------------------------------------------------------- status


def test_status_counts_every_arm_like_a_model(digits, shift):
    st = digits.study.status()
    assert list(st.per_model) == digits.plan.models == [
        "lr", "lr[noise=0.1]", "lr[noise=0.3]", THIN, HALF]
    assert st.per_model[HALF]["complete"] == 4
    assert all(st.per_model[m]["complete"] == 6 for m in ["lr", *NOISE, THIN])
    assert st.counts["complete"] == 28 and st.counts["not planned yet"] == 0
    st = shift.study.status()
    assert set(SHIFT_ARMS) < set(st.per_model)
    assert st.per_model["knn[shift-rw=site]"]["failed"] == 4
    assert st.per_model["lr[shift-rw=site]"]["complete"] == 4
    assert st.counts["failed"] == 4 and st.counts["not planned yet"] == 0


def test_status_of_arms_added_after_a_first_run_plans_only_what_they_can_hold(tmp_path):
    ledger = str(tmp_path / "ledger.db")
    spec = {"name": "iris-later", "data": "sklearn:iris", "models": {"lr": LR},
            "schedule": {"sizes": [20, 100], "repeats": 1}}
    dataroi.load_study(spec, ledger=ledger).run(**RUN)
    study = dataroi.load_study(spec | {"stress": {"prior": {"0": 0.5, "1": 0.5}}},
                               ledger=ledger)
    summary = study.run(**RUN)
    assert study.plan().limits == {"lr[prior=0:0.5,1:0.5]": 80}  # 2 × 40 pool rows
    assert (summary.total, summary.completed, summary.already_done) == (3, 1, 2)
    assert study.status(check_data=True).counts["not planned yet"] == 0
    assert study.status().counts["not planned yet"] == 0


# ------------------------------------------------------------------------ arm identity


def test_an_arms_identity_is_its_base_model_and_its_perturbation():
    def hashes(models: dict[str, Any], stress: dict[str, Any]) -> dict[str, str]:
        spec = spec_from_dict({"data": "sklearn:iris", "models": models,
                               "schedule": {"sizes": [20]}, "stress": stress})
        return {a.name: arm_hash(spec, a) for a in spec.stress}

    shift_views = {"shift": {"column": "petal width (cm)", "values": [0.2]}}
    plain = hashes({"lr": LR}, {"noise": {"rates": [0.1]}, **shift_views})
    more = hashes({"lr": LR}, {"noise": {"rates": [0.1, 0.2]},
                               "shift": {**shift_views["shift"], "reweight": True}})
    # adding a rate or the reweighted view keeps every existing arm's trials
    assert {k: more[k] for k in plain} == plain
    assert set(more) - set(plain) == {"lr[noise=0.2]", "lr[shift-rw=petal width (cm)]"}
    # a changed base model is a new arm; a renamed one is the same arm
    other = {**LR, "pipeline": [LR["pipeline"][0], {**LR["pipeline"][1],
                                                     "params": {"max_iter": 501}}]}
    changed = hashes({"lr": other}, {"noise": {"rates": [0.1]}, **shift_views})
    assert not set(changed.values()) & set(plain.values())
    renamed = hashes({"base": LR}, {"noise": {"rates": [0.1]}, **shift_views})
    assert set(renamed.values()) == set(plain.values())
    # an acquisition arm also depends on its selector
    own = hashes({"lr": LR, "tree": KNN}, {"models": ["lr"],
                                           "acquisition": {"strategies": ["margin"]}})
    sel = hashes({"lr": LR, "tree": KNN}, {"models": ["lr"], "acquisition": {
        "strategies": ["margin"], "selector": "tree"}})
    assert own["lr[al=margin]"] != sel["lr[al=margin]"]
