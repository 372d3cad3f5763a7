"""Spec loading and validation: every bad input gives a clear error with a field path."""

from __future__ import annotations

import pytest

from dataroi.exceptions import SpecError, UsageError
from dataroi.spec import load_spec, spec_from_dict
from tests.conftest import iris_spec


def test_valid_spec_normalizes_models_and_defaults(write_spec):
    spec = load_spec(write_spec(iris_spec(models={
        "short": "sklearn.linear_model.LogisticRegression",
        "mapping": {"sklearn.ensemble.HistGradientBoostingClassifier": {"max_iter": 20}},
        "pipe": {"pipeline": ["sklearn.preprocessing.StandardScaler",
                              {"estimator": "sklearn.svm.SVC",
                               "params": {"probability": True}}]},
        "fac": {"factory": "sklearn.pipeline:make_pipeline", "params": {}},
    })))
    names = [m.name for m in spec.models]
    assert names == ["short", "mapping", "pipe", "fac"]
    assert spec.model("mapping").params == {"max_iter": 20}
    assert spec.model("pipe").pipeline[1].estimator == "sklearn.svm.SVC"
    assert spec.metrics == ("accuracy", "log_loss")
    assert len(spec.spec_hash) == 64


def test_model_hash_changes_with_params_not_name():
    a = spec_from_dict(iris_spec())
    b = spec_from_dict(iris_spec(models={"other": {
        "estimator": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 500}}}))
    c = spec_from_dict(iris_spec(models={"logreg": {
        "estimator": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 501}}}))
    assert a.models[0].model_hash == b.models[0].model_hash
    assert a.models[0].model_hash != c.models[0].model_hash


def test_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="spec file not found"):
        load_spec(tmp_path / "nope.yaml")


def test_yaml_syntax_error_names_the_line(write_spec):
    path = write_spec("name: x\ndata:\n  source: [unclosed\nmodels: {}\n")
    with pytest.raises(SpecError, match=r"YAML syntax error at line \d+, column \d+"):
        load_spec(path)


def test_unsafe_yaml_tag_is_refused(write_spec):
    path = write_spec("name: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(SpecError, match="tag refused"):
        load_spec(path)


def test_empty_file(write_spec):
    with pytest.raises(SpecError, match="empty"):
        load_spec(write_spec(""))


def test_unknown_top_level_key_suggests_the_right_one():
    raw = iris_spec()
    raw["modles"] = raw.pop("models")
    with pytest.raises(SpecError) as info:
        spec_from_dict(raw)
    text = str(info.value)
    assert "modles: unknown key (did you mean 'models'?)" in text
    assert "models: missing" in text


def test_every_problem_is_reported_at_once():
    raw = iris_spec(schedule={"sizes": [10, -3, "x"], "repeats": 0},
                    metrics=["accuracy", "acuracy"])
    with pytest.raises(SpecError) as info:
        spec_from_dict(raw)
    problems = info.value.problems
    assert any(p.startswith("schedule.sizes[1]") for p in problems)
    assert any(p.startswith("schedule.sizes[2]") for p in problems)
    assert any(p.startswith("schedule.repeats") for p in problems)
    assert any("did you mean 'accuracy'" in p for p in problems)


def test_loading_a_spec_imports_no_model():
    # an estimator that does not exist loads fine: reading runs no code of the spec's
    # (the models are built by Study.check_models, before a run: tests/trial_tests)
    spec = spec_from_dict(iris_spec(models={"bad": "nosuchpkg.Model"}))
    assert spec.models[0].estimator == "nosuchpkg.Model"


def test_metric_that_does_not_fit_the_task():
    raw = iris_spec(metrics=["roc_auc"])
    raw["data"]["task"] = "regression"
    with pytest.raises(SpecError, match="'roc_auc' is a classification metric but data.task "
                                        "is regression"):
        spec_from_dict(raw)


def test_geometric_schedule_and_bad_geometric():
    spec = spec_from_dict(iris_spec(schedule={"geometric": {"min": 10, "max": "all",
                                                             "count": 5}}))
    assert spec.schedule.resolve_sizes(120) == [10, 19, 35, 64, 120]
    with pytest.raises(SpecError, match="max \\(5\\) is smaller than min \\(10\\)"):
        spec_from_dict(iris_spec(schedule={"geometric": {"min": 10, "max": 5}}))
    with pytest.raises(SpecError, match="exactly one of sizes"):
        spec_from_dict(iris_spec(schedule={"repeats": 2}))


def test_split_options_conflict():
    with pytest.raises(SpecError, match="choose one of test_file, group_column"):
        spec_from_dict(iris_spec(split={"group_column": "a", "time_column": "b"}))
    with pytest.raises(SpecError, match="split.test_size: a fraction must lie"):
        spec_from_dict(iris_spec(split={"test_size": 1.5}))


def test_wrong_types_in_sections():
    with pytest.raises(SpecError) as info:
        spec_from_dict({"data": 3, "models": [1], "schedule": "fast", "name": "a b"})
    text = str(info.value)
    assert "data: must be a mapping" in text
    assert "models[0]: list entries need a 'name'" in text
    assert "schedule: must be a mapping" in text
    assert "name: must be" in text
