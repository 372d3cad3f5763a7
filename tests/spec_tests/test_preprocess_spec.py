"""The ``preprocess:`` section: defaults, validation with field paths, and its place in
every model's identity (changing it re-plans the trials; ``mode: none`` keeps the old)."""

from __future__ import annotations

import pytest

from dataroi.exceptions import SpecError
from dataroi.spec import PREPROCESS_REVISION, PreprocessSpec, load_spec, spec_from_dict
from dataroi.study._plan import arm_hash, arm_model, make_plan
from tests.conftest import iris_spec


def _problems(section) -> list[str]:
    with pytest.raises(SpecError) as info:
        spec_from_dict(iris_spec(preprocess=section))
    return info.value.problems


def test_defaults_and_short_forms(write_spec):
    assert spec_from_dict(iris_spec()).preprocess == PreprocessSpec()
    assert PreprocessSpec().to_dict() == {"mode": "auto", "max_onehot": 30, "scale": True,
                                          "text_columns": [], "categorical_columns": []}
    assert spec_from_dict(iris_spec(preprocess="none")).preprocess.mode == "none"
    assert spec_from_dict(iris_spec(preprocess=False)).preprocess.mode == "none"
    spec = load_spec(write_spec("""
name: t
data: {source: "sklearn:iris"}
models: {lr: sklearn.linear_model.LogisticRegression}
schedule: {sizes: [30]}
preprocess:
  max_onehot: 12
  scale: false
  text_columns: [notes]
  categorical_columns: zip
"""))
    assert spec.preprocess == PreprocessSpec(max_onehot=12, scale=False,
                                             text_columns=("notes",),
                                             categorical_columns=("zip",))


def test_every_problem_has_its_field_path():
    problems = _problems({"mode": "off-ish", "max_onehot": 0, "scale": "yes",
                          "text_columns": [1], "categorical_columns": ["a", "a"],
                          "max_one_hot": 5})
    assert "preprocess.mode: must be one of auto, none, got 'off-ish'" in problems
    assert any(p.startswith("preprocess.max_one_hot: unknown key (did you mean "
                            "'max_onehot'?)") for p in problems)
    assert "preprocess.max_onehot: must be an integer >= 1 and <= 10000, got 0" in problems
    assert "preprocess.scale: must be true or false, got 'yes'" in problems
    assert "preprocess.text_columns: must be a list of column names, got [1]" in problems
    assert "preprocess.categorical_columns: duplicated columns ['a']" in problems
    assert _problems({"mode": "nnone"}) == [
        "preprocess.mode: must be one of auto, none, got 'nnone' (did you mean 'none'?)"]
    assert _problems(["auto"]) == ["preprocess: must be a mapping, got list"]
    assert _problems({"text_columns": ["a"], "categorical_columns": ["a"]}) == [
        "preprocess: columns ['a'] are listed both in text_columns and in "
        "categorical_columns; keep each in one"]


def test_columns_are_checked_against_the_target_and_the_features():
    with pytest.raises(SpecError) as info:
        spec_from_dict(iris_spec(
            data={"source": "x.csv", "target": "default",
                  "features": ["student", "balance"]},
            preprocess={"text_columns": ["default", "studnet"]}))
    assert info.value.problems == [
        "preprocess.text_columns[0]: 'default' is the target column",
        "preprocess.text_columns[1]: 'studnet' is not in data.features "
        "(did you mean 'student'?)"]


def test_the_section_is_part_of_every_model_and_arm_identity():
    base = spec_from_dict(iris_spec(stress={"noise": {"rates": [0.1]}}))
    noise = {"noise": {"rates": [0.1]}}
    same = spec_from_dict(iris_spec(stress=noise, preprocess={"mode": "auto"}))
    fewer = spec_from_dict(iris_spec(stress=noise, preprocess={"max_onehot": 5}))
    off = spec_from_dict(iris_spec(stress=noise, preprocess="none"))
    hashes = [make_plan(s, pool_size=120).model_hashes for s in (base, same, fewer, off)]
    assert hashes[0] == hashes[1]  # the default written out is the default
    assert hashes[0]["logreg"] != hashes[2]["logreg"]  # a change re-plans ...
    arm = "logreg[noise=0.1]"
    assert hashes[0][arm] != hashes[2][arm]  # ... the arms too
    assert arm_hash(fewer, fewer.arm(arm)) == hashes[2][arm]
    # mode none: the model's own hash, as trials had before preprocessing existed
    assert hashes[3]["logreg"] == off.model("logreg").model_hash
    assert hashes[0]["logreg"] != base.model("logreg").model_hash
    assert PREPROCESS_REVISION >= 1
    # the spec hash changes only when the section says something
    assert base.spec_hash == same.spec_hash != fewer.spec_hash
    assert "preprocess" not in base.to_dict() and "preprocess" in fewer.to_dict()


def test_workers_receive_the_section_with_every_model():
    spec = spec_from_dict(iris_spec(preprocess={"max_onehot": 7}))
    assert arm_model(spec, "logreg")["preprocess"]["max_onehot"] == 7
