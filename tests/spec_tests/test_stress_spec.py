"""The ``stress:`` section of the study spec: the arms it asks for, every problem with its
field path, and the spec hash of specs with and without it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from dataroi.exceptions import SpecError
from dataroi.spec import canonical_hash, load_spec, spec_from_dict
from tests.conftest import iris_spec

LR = "sklearn.linear_model.LogisticRegression"
TREE = "sklearn.tree.DecisionTreeClassifier"
#: the keys of ``StudySpec.to_dict`` before stress arms existed (what old hashes cover)
PLAIN_KEYS = {"name", "data", "split", "models", "metrics", "schedule"}


def _two_models(stress: Any, **overrides: Any) -> dict[str, Any]:
    return iris_spec(models={"lr": {"estimator": LR, "params": {"max_iter": 300}},
                             "tree": TREE}, stress=stress, **overrides)


def _problems(stress: Any, **overrides: Any) -> list[str]:
    with pytest.raises(SpecError) as info:
        spec_from_dict(_two_models(stress, **overrides))
    return info.value.problems


# ----------------------------------------------------------------------- arms and order


def test_arm_names_and_order_follow_the_sections_model_by_model():
    spec = spec_from_dict(_two_models({
        # unsorted, duplicated, and a 0 rate (the clean model itself: no arm)
        "noise": {"rates": [0.2, 0.1, 0.2, 0.0]},
        "prior": [{"thin": {"1": 0.8}}, {"0": 0.5, "1": 0.5}],
        "shift": {"column": "petal width (cm)", "values": [0.2, "1.8"], "reweight": True},
        # random is always run first (the baseline), duplicates dropped
        "acquisition": {"strategies": ["margin", "entropy", "margin"], "batch_size": 30,
                        "initial": 30},
    }))
    assert [a.name for a in spec.stress] == [
        "lr[noise=0.1]", "lr[noise=0.2]", "tree[noise=0.1]", "tree[noise=0.2]",
        "lr[thin=1:0.8]", "tree[thin=1:0.8]",
        "lr[prior=0:0.5,1:0.5]", "tree[prior=0:0.5,1:0.5]",
        "lr[shift-in=petal width (cm)]", "lr[shift=petal width (cm)]",
        "lr[shift-rw=petal width (cm)]",
        "tree[shift-in=petal width (cm)]", "tree[shift=petal width (cm)]",
        "tree[shift-rw=petal width (cm)]",
        "lr[al=random]", "lr[al=margin]", "lr[al=entropy]",
        "tree[al=random]", "tree[al=margin]", "tree[al=entropy]",
    ]
    by_name = {a.name: a for a in spec.stress}
    assert by_name["lr[noise=0.2]"].to_dict() == {"kind": "noise", "noise": "symmetric",
                                                  "rate": 0.2}
    assert by_name["tree[thin=1:0.8]"].to_dict() == {"kind": "prior", "thin": {"1": 0.8}}
    assert by_name["lr[prior=0:0.5,1:0.5]"].params == {"priors": {"0": 0.5, "1": 0.5}}
    # shift values are compared as strings with the column's values
    assert by_name["lr[shift-rw=petal width (cm)]"].params == {
        "column": "petal width (cm)", "values": ["0.2", "1.8"], "view": "reweighted"}
    assert [by_name[f"lr[{v}=petal width (cm)]"].params["view"]
            for v in ("shift-in", "shift")] == ["in", "shifted"]
    assert by_name["tree[al=margin]"].params == {
        "strategy": "margin", "batch_size": 30, "initial": 30, "selector": "tree",
        "max_candidates": 20000}
    assert {a.base for a in spec.stress} == {"lr", "tree"}
    assert spec.arm("tree[al=entropy]").kind == "acquisition"
    with pytest.raises(KeyError):
        spec.arm("lr[noise=0.3]")


def test_stress_models_names_which_models_get_arms_and_the_selector_is_shared():
    spec = spec_from_dict(_two_models({
        "models": ["tree"], "noise": {"rates": [0.1]},
        "acquisition": {"strategies": ["uncertainty"], "selector": "lr"}}))
    assert [a.name for a in spec.stress] == [
        "tree[noise=0.1]", "tree[al=random]", "tree[al=uncertainty]"]
    acq = spec.arm("tree[al=uncertainty]").params
    # initial defaults to the batch size
    assert (acq["selector"], acq["batch_size"], acq["initial"]) == ("lr", 50, 50)


def test_a_perturbation_can_name_its_own_models():
    spec = spec_from_dict(_two_models({
        "noise": {"rates": [0.1], "models": ["tree"]},
        "acquisition": {"strategies": ["margin"]}}))
    assert [a.name for a in spec.stress] == [
        "tree[noise=0.1]", "lr[al=random]", "lr[al=margin]", "tree[al=random]",
        "tree[al=margin]"]
    problems = _problems({"noise": {"rates": [0.1], "models": ["tre"]}})
    assert problems == ["stress.noise.models: 'tre' is not a model of the study (did you "
                        "mean 'tree'?); models: lr, tree"]


def test_noise_kinds_name_their_arms():
    cc = spec_from_dict(_two_models({"models": ["lr"], "noise": {
        "kind": "class_conditional", "matrix": {1: {2: 0.3}, "2": {"1": 0.1}}}}))
    # the matrix alone says how many labels flip: one arm; labels become strings
    assert [(a.name, a.params) for a in cc.stress] == [
        ("lr[cc-noise]", {"noise": "class_conditional", "rate": None,
                          "matrix": {"1": {"2": 0.3}, "2": {"1": 0.1}}})]
    cc_rates = spec_from_dict(_two_models({"models": ["lr"], "noise": {
        "kind": "class_conditional", "matrix": {"0": {"1": 1}}, "rates": [0.05, 0.1]}}))
    assert [a.name for a in cc_rates.stress] == ["lr[cc-noise=0.05]", "lr[cc-noise=0.1]"]
    assert cc_rates.stress[0].params["matrix"] == {"0": {"1": 1.0}}
    hard = spec_from_dict(_two_models({"models": ["lr"],
                                       "noise": {"kind": "hard", "rates": [0.1]}}))
    assert [a.name for a in hard.stress] == ["lr[hard-noise=0.1]"]
    assert hard.stress[0].params == {"noise": "hard", "rate": 0.1}


def test_the_yaml_example_loads_into_its_arms(write_spec):
    path = write_spec("""\
name: stress-smoke
data: sklearn:digits
models:
  lr: {estimator: sklearn.linear_model.LogisticRegression, params: {max_iter: 300}}
metrics: [accuracy]
schedule: {sizes: [60, 120, 240], repeats: 2}
stress:
  noise: {rates: [0.1, 0.2]}
  prior: [{thin: {"1": 0.8}}]
  acquisition: {strategies: [margin], batch_size: 30, initial: 30}
""")
    spec = load_spec(path)
    assert [a.name for a in spec.stress] == [
        "lr[noise=0.1]", "lr[noise=0.2]", "lr[thin=1:0.8]", "lr[al=random]", "lr[al=margin]"]
    assert spec.to_dict()["stress"][0] == {"arm": "lr[noise=0.1]", "kind": "noise",
                                           "noise": "symmetric", "rate": 0.1}


# ---------------------------------------------------------------------------- problems

BAD_SECTIONS = {
    "stress not a mapping": (
        [{"noise": {"rates": [0.1]}}], ["stress: must be a mapping, got list"]),
    "unknown stress key": (
        {"nosie": {"rates": [0.1]}, "prior": {"0": 0.5, "1": 0.5}},
        ["stress.nosie: unknown key (did you mean 'noise'?); allowed: acquisition, models, "
         "noise, prior, shift"]),
    "unknown noise key": (
        {"noise": {"rates": [0.1], "kinds": "hard"}},
        ["stress.noise.kinds: unknown key (did you mean 'kind'?); allowed: kind, matrix, "]),
    "rate of 1": ({"noise": {"rates": [0.1, 1.0]}},
                  ["stress.noise.rates: must be a non-empty list of rates in [0, 1)",
                   "got [0.1, 1.0]"]),
    "rate above 1": ({"noise": {"rates": [1.5]}}, ["stress.noise.rates:", "got [1.5]"]),
    "negative rate": ({"noise": {"rates": [-0.1]}}, ["stress.noise.rates:", "got [-0.1]"]),
    "empty rates": ({"noise": {"rates": []}}, ["stress.noise.rates:", "got []"]),
    "rates not a list": ({"noise": {"rates": 0.1}}, ["stress.noise.rates:", "got 0.1"]),
    "missing rates": ({"noise": {"kind": "symmetric"}}, ["stress.noise.rates:", "got None"]),
    "boolean rate": ({"noise": {"rates": [True]}}, ["stress.noise.rates:", "got [True]"]),
    "text rate": ({"noise": {"rates": ["0.1"]}}, ["stress.noise.rates:", "got ['0.1']"]),
    "bad kind": ({"noise": {"rates": [0.1], "kind": "symetric"}},
                 ["stress.noise.kind: must be one of symmetric, class_conditional, hard, "
                  "got 'symetric'"]),
    "class_conditional without matrix": (
        {"noise": {"kind": "class_conditional", "rates": [0.1]}},
        ["stress.noise.matrix: class_conditional needs a mapping true label -> "
         "{noisy label: probability}"]),
    "class_conditional matrix rows not mappings": (
        {"noise": {"kind": "class_conditional", "matrix": {"0": 0.3}}},
        ["stress.noise.matrix: class_conditional needs a mapping"]),
    "class_conditional bad probabilities": (
        {"noise": {"kind": "class_conditional",
                   "matrix": {"0": {"1": 1.5, "2": 0.1}, "1": {"0": -0.2}}}},
        ["stress.noise.matrix: probabilities must be in [0, 1] (0->1, 1->0)"]),
    "matrix with symmetric noise": (
        {"noise": {"rates": [0.1], "matrix": {"0": {"1": 0.3}}}},
        ["stress.noise.matrix: only used with kind: class_conditional"]),
    "prior shares not summing to 1": (
        {"prior": {"0": 0.5, "1": 0.4}},
        ["stress.prior: shares must sum to 1, they sum to 0.9"]),
    "second prior of a list not summing to 1": (
        {"prior": [{"0": 0.5, "1": 0.5}, {"0": 0.7, "1": 0.7}]},
        ["stress.prior[1]: shares must sum to 1, they sum to 1.4"]),
    "prior share out of range": (
        {"prior": {"0": 1.5, "1": -0.5}},
        ["stress.prior: shares must be numbers in [0, 1], got {'0': 1.5, '1': -0.5}"]),
    "prior not a mapping": (
        {"prior": [0.5]},
        ["stress.prior[0]: must be a mapping class label -> share"]),
    "thin rate of 1": (
        {"prior": [{"thin": {"1": 1.0}}]},
        ["stress.prior[0].thin: must map class labels to a thinning rate in [0, 1), "
         "got {'1': 1.0}"]),
    "negative thin rate": (
        {"prior": {"thin": {"1": -0.2}}},
        ["stress.prior.thin: must map class labels to a thinning rate in [0, 1), "
         "got {'1': -0.2}"]),
    "empty thin": ({"prior": {"thin": {}}}, ["stress.prior.thin:", "got {}"]),
    "shift without column": (
        {"shift": {"values": ["a"]}},
        ["stress.shift.column: must be a feature column name, got None"]),
    "shift without values": (
        {"shift": {"column": "petal width (cm)"}},
        ["stress.shift.values: must be a non-empty list of that column's values held out "
         "of training, got None"]),
    "shift values not a list": (
        {"shift": {"column": "petal width (cm)", "values": "0.2"}},
        ["stress.shift.values:", "got '0.2'"]),
    "reweight not a boolean": (
        {"shift": {"column": "petal width (cm)", "values": [0.2], "reweight": "yes"}},
        ["stress.shift.reweight: must be true or false, got 'yes'"]),
    "unknown shift key": (
        {"shift": {"column": "petal width (cm)", "values": [0.2], "reweigh": True}},
        ["stress.shift.reweigh: unknown key (did you mean 'reweight'?); allowed: column, "]),
    "unknown strategy": (
        {"acquisition": {"strategies": ["margn", "random"]}},
        ["stress.acquisition.strategies: unknown strategy 'margn' (did you mean 'margin'?); "
         "known: random, stratified, uncertainty, margin, entropy, diversity"]),
    "no strategies": (
        {"acquisition": {"strategies": []}},
        ["stress.acquisition.strategies: must be a list of random, stratified, uncertainty, "
         "margin, entropy, diversity; got []"]),
    "zero batch_size": (
        {"acquisition": {"strategies": ["margin"], "batch_size": 0}},
        ["stress.acquisition.batch_size: must be a positive integer, got 0"]),
    "fractional batch_size": (
        {"acquisition": {"strategies": ["margin"], "batch_size": 2.5}},
        ["stress.acquisition.batch_size: must be a positive integer, got 2.5"]),
    "boolean batch_size": (
        {"acquisition": {"strategies": ["margin"], "batch_size": True}},
        ["stress.acquisition.batch_size: must be a positive integer, got True"]),
    "negative initial": (
        {"acquisition": {"strategies": ["margin"], "initial": -1}},
        ["stress.acquisition.initial: must be a positive integer, got -1"]),
    "unknown selector": (
        {"acquisition": {"strategies": ["margin"], "selector": "l"}},
        ["stress.acquisition.selector: 'l' is not a model of the study (did you mean 'lr'?); "
         "models: lr, tree"]),
    "unknown acquisition key": (
        {"acquisition": {"strategies": ["margin"], "batch": 10}},
        ["stress.acquisition.batch: unknown key (did you mean 'batch_size'?)"]),
    "stress.models names an unknown model": (
        {"models": ["lr", "trea"], "noise": {"rates": [0.1]}},
        ["stress.models: 'trea' is not a model of the study (did you mean 'tree'?); "
         "models: lr, tree"]),
    "stress.models empty": (
        {"models": [], "noise": {"rates": [0.1]}},
        ["stress.models: must be a list of model names, got []"]),
    "no perturbation": (
        {"models": ["lr"]},
        ["stress: names no perturbation; add noise, prior, shift or acquisition"]),
}


@pytest.mark.parametrize("stress, expected", list(BAD_SECTIONS.values()),
                         ids=list(BAD_SECTIONS))
def test_every_problem_is_reported_with_its_field_path(stress, expected):
    problems = _problems(stress)
    text = "\n".join(problems)
    for part in expected:
        assert part in text, f"{part!r} not in {problems}"
    # each problem names a field under stress (nothing else is wrong with the spec)
    assert problems and all(p.startswith("stress") for p in problems)


def test_problems_of_every_section_are_reported_at_once():
    problems = _problems({
        "noise": {"rates": [2]},
        "prior": {"0": 0.2, "1": 0.2},
        "shift": {"reweight": 1},
        "acquisition": {"strategies": ["entropi"], "batch_size": -3},
    })
    assert len(problems) == 7
    assert [p.split(":")[0] for p in problems] == [
        "stress.noise.rates", "stress.prior", "stress.shift.column", "stress.shift.values",
        "stress.shift.reweight", "stress.acquisition.strategies",
        "stress.acquisition.batch_size"]
    assert "did you mean 'entropy'?" in problems[5]


def test_shift_column_outside_the_listed_features_is_reported():
    problems = _problems({"shift": {"column": "petal width (cm)", "values": [0.2]}},
                         data={"source": "sklearn:iris",
                               "features": ["sepal length (cm)", "sepal width (cm)"]})
    assert problems == ["stress.shift.column: 'petal width (cm)' is not in data.features "
                        "(sepal length (cm), sepal width (cm))"]


def test_the_whole_message_lists_the_problems_with_the_source(write_spec):
    spec = _two_models({"noise": {"rates": [1]}, "acquisition": {"strategies": ["mrgin"]}})
    path = write_spec(spec)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = str(info.value)
    assert str(path) in message and "2 problems" in message
    assert "  - stress.noise.rates:" in message
    assert "  - stress.acquisition.strategies: unknown strategy 'mrgin'" in message


@pytest.mark.parametrize("stress", [{"noise": {"rates": [0.0]}}, {"prior": []}],
                         ids=["only a zero rate", "empty prior list"])
def test_a_stress_section_that_yields_no_arm_is_a_problem(stress):
    problems = _problems(stress)
    assert any(p.startswith("stress") for p in problems)


def test_distinct_rates_give_distinct_arms_or_a_problem():
    raw = _two_models({"models": ["lr"], "noise": {"rates": [0.1234567, 0.1234568]}})
    try:
        spec = spec_from_dict(raw)
    except SpecError as exc:  # refusing the ambiguous rates is fine too
        assert any("stress.noise.rates" in p for p in exc.problems)
        return
    names = [a.name for a in spec.stress]
    assert len(set(names)) == len(names) == 2


# --------------------------------------------------------------------------- spec hash


def test_a_spec_without_stress_keeps_its_hash():
    plain = spec_from_dict(iris_spec())
    explicit_none = spec_from_dict(iris_spec(stress=None))
    d = plain.to_dict()
    assert "stress" not in d and set(d) == PLAIN_KEYS
    # the hash covers exactly what it covered before stress arms existed
    assert plain.spec_hash == canonical_hash({k: d[k] for k in PLAIN_KEYS})
    assert explicit_none.spec_hash == plain.spec_hash
    assert plain.stress == () and explicit_none.stress == ()


def test_stress_changes_the_spec_hash_and_every_setting_counts():
    plain = spec_from_dict(iris_spec())
    hashes = {
        "plain": plain.spec_hash,
        "noise": spec_from_dict(iris_spec(stress={"noise": {"rates": [0.1]}})).spec_hash,
        "noise2": spec_from_dict(iris_spec(stress={"noise": {"rates": [0.2]}})).spec_hash,
        "hard": spec_from_dict(iris_spec(stress={"noise": {"rates": [0.1],
                                                           "kind": "hard"}})).spec_hash,
        "al": spec_from_dict(iris_spec(stress={"acquisition": {
            "strategies": ["margin"]}})).spec_hash,
        "al-batch": spec_from_dict(iris_spec(stress={"acquisition": {
            "strategies": ["margin"], "batch_size": 10}})).spec_hash,
    }
    assert len(set(hashes.values())) == len(hashes)
    stressed = spec_from_dict(iris_spec(stress={"noise": {"rates": [0.1]}}))
    d = stressed.to_dict()
    assert d["stress"] == [{"arm": "logreg[noise=0.1]", "kind": "noise",
                            "noise": "symmetric", "rate": 0.1}]
    # everything else is what the plain spec has
    assert {k: d[k] for k in PLAIN_KEYS} == plain.to_dict()
    # the same section written differently (duplicates, order) is the same spec
    same = spec_from_dict(iris_spec(stress={"noise": {"rates": [0.1, 0.1, 0.0]}}))
    assert same.spec_hash == stressed.spec_hash


def test_class_conditional_matrix_estimated_from_an_annotation_table(tmp_path):
    """Three annotators who each report class 1 as 2 in 30 % of cases: the estimated
    one-annotation noise matrix says so, and the arm uses it."""
    from sklearn.datasets import load_iris

    y = load_iris().target
    rng = np.random.default_rng(0)
    rows = []
    for item, true in enumerate(y):
        for annotator in ("a", "b", "c"):
            label = 2 if (true == 1 and rng.random() < 0.3) else int(true)
            rows.append({"item": item, "annotator": annotator, "label": label})
    pd.DataFrame(rows).to_csv(tmp_path / "labels.csv", index=False)
    raw = {"data": "sklearn:iris", "schedule": {"sizes": [30, 60]},
           "models": {"lr": "sklearn.linear_model.LogisticRegression"},
           "stress": {"noise": {"kind": "class_conditional",
                                "matrix": {"from_annotations": "labels.csv"}}}}
    spec = spec_from_dict(raw, base_dir=str(tmp_path))
    (arm,) = spec.stress
    assert arm.name == "lr[cc-noise]"
    # loading checks the table exists; the study estimates the matrix (Dawid–Skene)
    assert arm.params["matrix"]["from_annotations"] == str(tmp_path / "labels.csv")
    from dataroi.study import Study

    (arm,) = Study(spec, ledger=str(tmp_path / "l.db")).spec.stress
    assert arm.name == "lr[cc-noise]"
    matrix = arm.params["matrix"]
    assert matrix["1"]["2"] == pytest.approx(0.3, abs=0.08)
    assert sum(matrix["0"].values()) < 0.05 and sum(matrix["2"].values()) < 0.05
    missing = dict(raw, stress={"noise": {"kind": "class_conditional",
                                          "matrix": {"from_annotations": "nope.csv"}}})
    with pytest.raises(SpecError, match="nope.csv does not exist"):
        spec_from_dict(missing, base_dir=str(tmp_path))
