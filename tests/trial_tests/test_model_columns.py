"""Whether the spec's models take an empty or infinite column: each is fitted on a few
rows of the real table (ISLR/Default), as a trial would fit it."""

from __future__ import annotations

import numpy as np

from dataroi.data import check_data, prepare_data
from dataroi.spec import spec_from_dict
from dataroi.trial import check_model_columns
from tests._default_table import default_spec, default_table, write_parquet

LR = "sklearn.linear_model.LogisticRegression"
HGB = {"sklearn.ensemble.HistGradientBoostingClassifier": {"max_iter": 5}}


def _checks(tmp_path, frame, **extra):
    source = write_parquet(frame, tmp_path / "t.parquet")
    spec = spec_from_dict(default_spec(source, **extra))
    prep = prepare_data(spec)
    return check_model_columns(spec, prep, check_data(prep, spec))


def test_behind_preprocessing_the_models_take_an_infinite_column(tmp_path):
    (check,) = _checks(tmp_path, default_table().assign(inf=np.inf), models={"lr": LR},
                       schedule={"sizes": [200]})
    assert check.severity == "warning" and check.columns == ("inf",)
    assert "cannot take" not in check.message


def test_without_preprocessing_the_warning_names_the_model_that_fails(tmp_path):
    # histogram gradient boosting takes infinities and text, logistic regression does not
    check, text = _checks(tmp_path, default_table(dirty=False).assign(inf=np.inf),
                          models={"lr": LR, "hgb": HGB}, preprocess="none",
                          schedule={"sizes": [200]})
    assert check.check == "not_finite" and check.severity == "warning"
    assert check.message.endswith(
        "; model 'lr' cannot take it (ValueError: Input X contains infinity or a value too "
        "large for dtype('float64').): its trials will fail")
    assert text.check == "text" and text.severity == "warning"
    assert text.message == ("column 'student' (text); model 'lr' cannot take it (ValueError: "
                            "could not convert string to float: 'No'): its trials will fail")


def test_a_column_with_some_bad_values_is_probed_with_them(tmp_path):
    # one infinite value in 10,000 rows: the probe puts it in, as some trial would draw it
    frame = default_table(dirty=False).drop(columns=["student"])
    frame["balance"] = frame["balance"].where(frame.index != 7, np.inf)
    (check,) = _checks(tmp_path, frame, models={"lr": LR}, preprocess="none",
                       schedule={"sizes": [200]})
    assert check.check == "some_infinite" and check.severity == "error"
    assert check.message.startswith("column 'balance' (infinite values): no model of the spec "
                                    "takes it: lr (ValueError: Input X contains infinity")
    assert _checks(tmp_path, frame, models={"lr": LR}, schedule={"sizes": [200]}) == []


def test_when_no_model_takes_a_column_it_is_an_error(tmp_path):
    frame = default_table(dirty=False).drop(columns=["student"])  # text: its own error
    (check,) = _checks(tmp_path, frame.assign(inf=np.inf),
                       models={"lr": LR}, preprocess="none", schedule={"sizes": [200]})
    assert check.severity == "error"
    assert check.message.startswith("column 'inf' (no finite value): no model of the spec "
                                    "takes it: lr (ValueError: Input X contains infinity")


def test_a_linear_model_that_takes_no_sparse_input_is_warned_of_its_text(tmp_path):
    # the StandardScaler centres, so the pipeline takes dense input: its text would be a
    # few LSA components of character n-grams; with_mean: false keeps words' TF-IDF
    from tests._default_table import with_extra_columns

    centred = {"pipeline": ["sklearn.preprocessing.StandardScaler", LR]}
    sparse = {"pipeline": [{"estimator": "sklearn.preprocessing.StandardScaler",
                            "params": {"with_mean": False}}, LR]}
    frame = with_extra_columns(default_table(dirty=False))
    found = _checks(tmp_path, frame, models={"centred": centred, "sparse": sparse,
                                             "trees": HGB}, schedule={"sizes": [200]})
    dense = [c for c in found if c.check == "dense_text"]
    assert [c.columns for c in dense] == [("note",)] and dense[0].severity == "warning"
    assert dense[0].message.startswith(
        "model 'centred' is linear but takes no sparse input, so its text column 'note' "
        "reaches it as a few LSA components of character n-grams")
    assert dense[0].message.endswith("give it params: {with_mean: false} (or drop it)")
    # no text column, no warning
    assert not [c for c in _checks(tmp_path, default_table(dirty=False),
                                   models={"centred": centred}, schedule={"sizes": [200]})
                if c.check == "dense_text"]
