"""Preprocessing inside the trial on a real table (ISLR/Default with missing values, an
infinity, a many-level and a free-text column): trials that used to fail complete, the
encoder learns from the training rows only, and a failure names the model and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from dataroi.data import WorkerData, materialize, prepare_data
from dataroi.spec import spec_from_dict
from dataroi.trial import TrialKey, TrialPayload, TrialState, run_trial, train_indices
from dataroi.trial._preprocess import build_trial_model, store_plan
from dataroi.trial._table_encoder import column_transformer, make_preprocessor
from tests._default_table import default_spec, default_table, with_extra_columns, write_parquet

LR = {"estimator": "sklearn.linear_model.LogisticRegression", "params": {}}
AUTO = {"mode": "auto", "max_onehot": 30, "scale": True, "text_columns": [],
        "categorical_columns": []}


def _store(tmp_path, frame, *, test_frame=None, **spec_extra):
    source = write_parquet(frame, tmp_path / "default.parquet")
    extra = dict(spec_extra)
    if test_frame is not None:
        extra["split"] = {"test_file": write_parquet(test_frame, tmp_path / "test.parquet")}
    spec = spec_from_dict(default_spec(source, **extra))
    prep = prepare_data(spec)
    return spec, prep, WorkerData.open(materialize(prep, tmp_path / "cache"))


def _payload(view, model, n=400, repeat=0, name="lr"):
    return TrialPayload(trial_id=0, key=TrialKey(name, n, repeat), seed=11,
                        subset_seed=1000 + repeat, model=model,
                        metrics=("accuracy", "roc_auc"), data_path=view.path, threads=1)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    """The Default table with missing values and an infinity, stored as a worker sees it."""
    return _store(tmp_path_factory.mktemp("dirty"), default_table())


def test_a_logistic_regression_trial_that_used_to_fail_completes(dirty):
    spec, prep, view = dirty
    assert view.columns[0]["kind"] == "category"  # 'student' reaches the worker as text
    result = run_trial(_payload(view, LR | {"preprocess": AUTO}))
    assert result.state is TrialState.COMPLETE, result.error_message
    assert 0.9 < result.metrics["accuracy"] <= 1.0
    assert 0.85 < result.metrics["roc_auc"] <= 1.0
    # gradient boosting runs too, and the plan says what was done and why
    hgb = {"estimator": "sklearn.ensemble.HistGradientBoostingClassifier",
           "params": {"max_iter": 20}, "preprocess": AUTO}
    assert run_trial(_payload(view, hgb, name="hgb")).state is TrialState.COMPLETE
    described = prep.preprocess_plan(spec).describe()
    assert described["applied"] is True
    assert described["kinds"]["onehot"] == ["student"]
    assert described["kinds"]["impute"] == ["balance", "income"]
    assert any("infinite values in: income" in r for r in described["reasons"])


def test_mode_none_reproduces_the_old_failure_with_a_clear_message(dirty):
    _, _, view = dirty
    for model in (LR, LR | {"preprocess": AUTO | {"mode": "none"}}):
        result = run_trial(_payload(view, model))
        assert result.state is TrialState.FAILED
        assert result.error_type == "ValueError"
        assert result.error_message.startswith(
            "model 'lr': column 'student' holds text ('No') that LogisticRegression "
            "cannot take; preprocess: mode none was set")
        assert "could not convert string to float: 'No'" in result.traceback


def test_missing_values_name_their_columns_when_preprocessing_is_off(tmp_path):
    numeric = default_table().drop(columns=["student"])
    _, _, view = _store(tmp_path, numeric, preprocess="none")
    result = run_trial(_payload(view, LR | {"preprocess": AUTO | {"mode": "none"}}))
    assert result.state is TrialState.FAILED
    assert result.error_message.startswith("model 'lr': column")
    assert "missing values (NaN)" in result.error_message or \
        "infinite values" in result.error_message
    assert "'balance'" in result.error_message or "'income'" in result.error_message


@pytest.mark.slow
def test_the_encoder_learns_from_the_training_rows_only(tmp_path):
    """Levels, vocabulary, target encoding and means come from the training rows: a level,
    a word and a branch that occur only in the test rows are unknown to the fitted step."""
    table = with_extra_columns(default_table())
    train_frame, test_frame = table.iloc[:8000].copy(), table.iloc[8000:].copy()
    only_test = test_frame.index[:25]
    test_frame["student"] = test_frame["student"].astype(object)
    test_frame.loc[only_test, "student"] = "Maybe"
    test_frame.loc[only_test, "branch"] = "b99"
    test_frame.loc[only_test, "note"] = "zyzzyva " + test_frame.loc[only_test, "note"]
    spec, prep, view = _store(tmp_path, train_frame, test_frame=test_frame,
                              preprocess={"text_columns": ["note"]})
    config = spec.preprocess.to_dict()
    plan = store_plan(view, config)
    assert plan.describe() == prep.preprocess_plan(spec).describe()
    assert (plan.onehot, plan.high_cardinality, plan.text) == (("student",), ("branch",),
                                                               ("note",))

    train = train_indices(view, 1000, 800)
    X_train, y_train = view.rows(train), np.asarray(view.y)[train]
    X_test = view.rows(np.asarray(view.test_idx))
    for model, sparse in ((LR, True), ({"estimator": "sklearn.ensemble."
                                        "HistGradientBoostingClassifier",
                                        "params": {"max_iter": 10}}, False)):
        built = build_trial_model(model | {"preprocess": config}, view)
        assert built.preprocess == "applied"
        est = built.estimator.set_params(preprocess__random_state=0).fit(X_train, y_train)
        enc = est.named_steps["preprocess"]
        assert enc.sparse is sparse
        # the one-hot levels are the codes of the training rows; 'Maybe' is not one
        student = view.columns[[c["name"] for c in view.columns].index("student")]
        maybe = student["categories"].index("Maybe")
        seen = set(X_train["student"].cat.codes.unique())
        assert set(enc.levels_[0][0].astype(int)) == seen and maybe not in seen
        # the target encoder and the vocabulary never saw the test rows' values
        b99 = view.columns[[c["name"] for c in view.columns].index("branch")][
            "categories"].index("b99")
        assert b99 not in set(enc.target_encoder_.categories_[0].astype(int))
        vocabulary = enc.text_[0].named_steps["tfidf"].vocabulary_
        assert len(vocabulary) > 5 and not any("zyz" in term for term in vocabulary)
        if not enc.native:
            # the numbers are standardised with the training rows' mean
            balance = X_train["balance"].to_numpy()
            assert enc.mean_[0] == pytest.approx(np.nanmean(balance))
            assert enc.mean_[0] != pytest.approx(np.nanmean(view.rows(
                np.arange(len(view.y)))["balance"]), rel=1e-6)
        # the test rows are transformed (a level unseen in training: one-hot zeros)
        out = enc.transform(X_test)
        assert out.shape[0] == len(X_test)
        if not enc.native:  # after the 2 imputed numbers and their indicators
            at = 2 + len(enc.indicate_)
            dense = out.toarray() if hasattr(out, "toarray") else out
            assert len(enc.levels_[0][0]) == 2 and (dense[:25, at:at + 2] == 0).all()
            assert (dense[25:, at:at + 2].sum(axis=1) == 1).all()
        else:  # a level unseen in training is missing for the model
            assert out["x2"].iloc[:25].isna().all() and out["x2"].iloc[25:].notna().all()
        proba = est.predict_proba(X_test)
        assert np.isfinite(proba).all()
    # and the whole trial runs, end to end, on the test file
    result = run_trial(_payload(view, LR | {"preprocess": config}, n=800))
    assert result.state is TrialState.COMPLETE, result.error_message


def test_our_encoder_computes_what_the_column_transformer_computes(tmp_path):
    table = with_extra_columns(default_table())
    spec, _, view = _store(tmp_path, table, preprocess={"text_columns": ["note"]})
    plan = store_plan(view, spec.preprocess.to_dict())
    train = train_indices(view, 1000, 600)
    X, y = view.rows(train), np.asarray(view.y)[train]
    X_test = view.rows(np.asarray(view.test_idx))
    for sparse in (False, True):
        ours = make_preprocessor(plan, sparse=sparse).set_params(random_state=3)
        ref = column_transformer(plan, sparse=sparse, random_state=3)
        a, b = ours.fit_transform(X, y), ref.fit_transform(X, y)
        c, d = ours.transform(X_test), ref.transform(X_test)
        for left, right in ((a, b), (c, d)):
            if sparse:
                left, right = left.toarray(), right.toarray()
            assert left.shape == right.shape
            np.testing.assert_allclose(left, right, rtol=1e-6, atol=1e-6)


def test_a_complete_numeric_table_is_not_wrapped(tmp_path):
    numeric = default_table(dirty=False).drop(columns=["student"])
    spec, prep, view = _store(tmp_path, numeric)
    built = build_trial_model(LR | {"preprocess": AUTO}, view)
    assert built.preprocess == "not needed" and isinstance(built.estimator, LogisticRegression)
    assert prep.describe(spec)["preprocess"]["applied"] is False
    plain = run_trial(_payload(view, LR))
    auto = run_trial(_payload(view, LR | {"preprocess": AUTO}))
    assert plain.metrics == auto.metrics  # exactly what the model did before


def test_a_model_with_its_own_column_handling_is_left_alone(dirty):
    _, _, view = dirty
    own = {"pipeline": [{"estimator": "sklearn.impute.SimpleImputer",
                         "params": {"strategy": "most_frequent"}},
                        {"estimator": "sklearn.linear_model.LogisticRegression",
                         "params": {}}], "params": {}, "preprocess": AUTO}
    built = build_trial_model(own, view)
    assert (built.preprocess, built.own_step) == ("own", "SimpleImputer")
    result = run_trial(_payload(view, own))
    assert result.state is TrialState.FAILED  # its imputer passes the text on
    assert result.error_message.startswith("model 'lr': column 'student' holds text")
    assert "its own preprocessing (SimpleImputer)" in result.error_message
    # a scaler does not handle columns: that pipeline is wrapped, and runs
    scaled = {"pipeline": [{"estimator": "sklearn.preprocessing.StandardScaler",
                            "params": {}}, LR], "params": {}, "preprocess": AUTO}
    assert build_trial_model(scaled, view).preprocess == "applied"
    assert run_trial(_payload(view, scaled)).state is TrialState.COMPLETE


def test_gradient_boosting_keeps_its_native_categories(dirty):
    _, _, view = dirty
    built = build_trial_model({"estimator": "sklearn.ensemble.HistGradientBoostingClassifier",
                               "params": {}, "preprocess": AUTO}, view)
    enc = built.estimator.named_steps["preprocess"]
    assert enc.native and isinstance(built.estimator.named_steps["model"],
                                     HistGradientBoostingClassifier)
    train = train_indices(view, 1000, 4000)
    out = enc.fit_transform(view.rows(train), np.asarray(view.y)[train])
    assert isinstance(out, pd.DataFrame)
    assert [str(t) for t in out.dtypes][:2] == ["float64", "float64"]
    assert isinstance(out.dtypes.iloc[2], pd.CategoricalDtype)
    assert np.isnan(out.iloc[:, :2].to_numpy()).any()  # missing values left to the model


def test_a_regression_target_is_target_encoded_as_a_number(tmp_path):
    table = with_extra_columns(default_table(dirty=False)).drop(columns=["default", "note"])
    source = write_parquet(table, tmp_path / "reg.parquet")
    spec = spec_from_dict(default_spec(source, data={"source": source, "target": "income"},
                                       metrics=["r2"]))
    view = WorkerData.open(materialize(prepare_data(spec), tmp_path / "cache"))
    result = run_trial(TrialPayload(
        trial_id=0, key=TrialKey("ridge", 400, 0), seed=1, subset_seed=5,
        model={"estimator": "sklearn.linear_model.Ridge", "params": {},
               "preprocess": AUTO}, metrics=("r2",), data_path=view.path, threads=1))
    assert result.state is TrialState.COMPLETE, result.error_message
    assert result.metrics["r2"] > 0.3  # students earn less: the one-hot column carries it


def test_gradient_boosting_takes_an_empty_column_beside_categories():
    """scikit-learn's binner fails on a column with no value when categoricals are
    native ("window shape cannot be larger than input array shape"); the encoder makes
    such a column a constant, in training and after."""
    from dataroi.data import plan_preprocessing, profile_frame
    from dataroi.trial._preprocess import wrap

    frame = default_table().head(600)
    frame["empty"], frame["never_finite"] = np.nan, np.inf
    X, y = frame.drop(columns="default"), frame["default"]
    X["student"] = X["student"].astype("category")
    plan = plan_preprocessing(profile_frame(X), None, task="classification")
    est = wrap(HistGradientBoostingClassifier(max_iter=10), plan).fit(X, y)
    assert est.named_steps["preprocess"].empty_.sum() >= 1
    assert est.score(X, y) > 0.9
