"""Which kind each column of a real table is, the plan made from it (the same from the
prepared table and from the worker's store), and what the report is given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataroi.data import (
    WorkerData,
    materialize,
    plan_preprocessing,
    prepare_data,
    profile_arrays,
    profile_frame,
)
from dataroi.exceptions import DataError
from dataroi.spec import spec_from_dict
from tests._default_table import (
    default_spec,
    default_table,
    prepared,
    with_extra_columns,
    write_parquet,
)


def test_kinds_of_the_default_table(tmp_path):
    spec, prep = prepared(tmp_path, with_extra_columns(default_table()))
    plan = prep.preprocess_plan(spec)
    assert plan.needed
    assert (plan.numeric, plan.impute, plan.onehot, plan.high_cardinality, plan.text) == (
        (), ("balance", "income"), ("student",), ("branch",), ("note",))
    by_name = {p.name: p for p in plan.profiles}
    assert by_name["balance"].missing == 20 and by_name["income"].missing == 15
    assert by_name["income"].infinite == 1
    assert by_name["student"].levels == 2 and by_name["branch"].levels == 60
    assert by_name["note"].mean_words >= 3 and by_name["note"].levels > 30


def test_overrides_and_the_one_hot_limit(tmp_path):
    table = with_extra_columns(default_table(dirty=False))
    table["zip"] = np.random.default_rng(0).integers(10_000, 10_040, len(table))
    spec, prep = prepared(tmp_path, table, preprocess={
        "max_onehot": 100, "categorical_columns": ["note", "zip"]})
    plan = prep.preprocess_plan(spec)
    # a free-text column listed as categorical is target encoded, not TF-IDF; a numeric
    # code listed as categorical is one-hot (40 levels <= 100); complete numbers pass
    assert plan.onehot == ("student", "branch", "zip")
    assert plan.high_cardinality == ("note",) and plan.text == ()
    assert plan.numeric == ("balance", "income") and plan.impute == ()
    described = plan.describe()
    zip_entry = next(c for c in described["columns"] if c["column"] == "zip")
    assert zip_entry == {"column": "zip", "kind": "onehot", "transformer": "one-hot",
                         "levels": 40, "missing": 0, "infinite": 0}
    numbers = next(c for c in described["columns"] if c["column"] == "balance")
    assert numbers["transformer"] == "standardised"


def test_the_store_gives_the_same_plan_as_the_prepared_table(tmp_path):
    spec, prep = prepared(tmp_path, with_extra_columns(default_table()))
    view = WorkerData.open(materialize(prep, tmp_path / "cache"))
    assert profile_arrays(view.columns, view.arrays) == profile_frame(prep.X)
    assert plan_preprocessing(profile_arrays(view.columns, view.arrays), spec.preprocess,
                              task=view.task) == prep.preprocess_plan(spec)


def test_the_context_description_carries_the_plan_for_the_report(tmp_path):
    spec, prep = prepared(tmp_path, default_table())
    described = prep.describe(spec)["preprocess"]
    assert described["applied"] is True and described["mode"] == "auto"
    assert described["reasons"] == ["non-numeric columns: student",
                                    "missing values in: balance, income",
                                    "infinite values in: income"]
    assert described["kinds"]["onehot"] == ["student"]
    assert [c["column"] for c in described["columns"]] == ["student", "balance", "income"]
    off = prep.describe(spec_from_dict(default_spec("x.parquet", preprocess="none")))
    assert off["preprocess"]["applied"] is False and off["preprocess"]["reasons"] == []
    assert off["preprocess"]["columns"][0]["transformer"] == "passed through " \
        "(no preprocessing)"


def test_an_unknown_override_column_is_a_data_error_with_a_hint(tmp_path):
    source = write_parquet(default_table(), tmp_path / "t.parquet")
    spec = spec_from_dict(default_spec(source, preprocess={"text_columns": ["studnet"]}))
    with pytest.raises(DataError, match=r"preprocess.text_columns\[0\]: 'studnet' is not a "
                                        r"feature column \(did you mean 'student'\?\)"):
        prepare_data(spec)


def test_a_missing_category_counts_as_missing_not_as_a_level():
    X = pd.DataFrame({"c": pd.Categorical(["a", None, "b", "a"], categories=["a", "b", "z"])})
    (p,) = profile_frame(X)
    assert (p.levels, p.missing) == (2, 1)  # 'z' is a category that never occurs
    plan = plan_preprocessing([p], {"mode": "none"}, task="classification")
    assert plan.onehot == ("c",) and not plan.needed
