"""dataroi.trial.check_models: every model built once before anything runs, and only
when a study runs (loading a spec and the reading commands build none)."""

from __future__ import annotations

import pytest

import dataroi
from dataroi.exceptions import SpecError
from dataroi.spec import spec_from_dict
from dataroi.trial import check_models
from tests.conftest import iris_spec


def _check(raw: dict, task: str | None = None) -> None:
    check_models(spec_from_dict(raw), task=task)


def test_unknown_model_import_path_is_caught_before_running():
    raw = iris_spec(models={"bad": "sklearn.linear_model.LogisticRegresion"})
    with pytest.raises(SpecError, match="models.bad: module 'sklearn.linear_model' has no "
                                        "attribute 'LogisticRegresion'"):
        _check(raw)
    # load_study checks at load (run would anyway); the readers do not
    with pytest.raises(SpecError, match="models.bad"):
        dataroi.load_study(raw)
    assert dataroi.load_study(raw, build_models=False).spec.models[0].name == "bad"


def test_missing_module():
    with pytest.raises(SpecError, match="cannot import module 'nosuchpkg'"):
        _check(iris_spec(models={"bad": "nosuchpkg.Model"}))


def test_bad_params_are_caught_before_running():
    with pytest.raises(SpecError, match=r"models.lr.params: .*unexpected keyword"):
        _check(iris_spec(models={"lr": {
            "estimator": "sklearn.linear_model.LogisticRegression", "params": {"nope": 1}}}))
    with pytest.raises(SpecError, match=r"models.lr.params: .*'C' parameter"):
        _check(iris_spec(models={"lr": {
            "estimator": "sklearn.linear_model.LogisticRegression", "params": {"C": "big"}}}))


def test_proba_metric_needs_predict_proba():
    raw = iris_spec(models={"svm": "sklearn.svm.SVC"}, metrics=["accuracy", "log_loss"])
    with pytest.raises(SpecError, match="need predict_proba.*probability: true"):
        _check(raw, task="classification")
    raw["data"]["task"] = "classification"
    with pytest.raises(SpecError, match="need predict_proba"):
        dataroi.load_study(raw)
