"""Loading, checking and splitting real data; each bad input has a clear error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataroi.data import fingerprint_frame, nested_permutation, prepare_data, read_table
from dataroi.exceptions import DataError, SpecError, UsageError
from dataroi.spec import spec_from_dict
from dataroi.study._plan import make_plan
from tests.conftest import iris_spec


def _csv_spec(tmp_path, frame, **data):
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    raw = iris_spec(data={"source": str(path), "target": "label", **data})
    return spec_from_dict(raw, base_dir=str(tmp_path))


def _breast_cancer_frame():
    return read_table("sklearn:breast_cancer").rename(columns={"target": "label"})


def test_builtin_split_is_stratified_and_disjoint():
    prep = prepare_data(spec_from_dict(iris_spec()))
    assert prep.task == "classification" and prep.classes == [0, 1, 2]
    assert len(set(prep.pool_idx) & set(prep.test_idx)) == 0
    assert len(prep.pool_idx) + len(prep.test_idx) == 150
    assert np.bincount(prep.y[prep.test_idx]).tolist() == [10, 10, 10]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "npz"])
def test_file_formats_load_the_same_content(tmp_path, fmt):
    X, y = read_table("sklearn:wine").drop(columns="target"), read_table("sklearn:wine").target
    if fmt == "npz":
        path = tmp_path / "wine.npz"
        np.savez(path, X=X.to_numpy(), y=y.to_numpy())
        target = "y"
    else:
        path = tmp_path / f"wine.{fmt}"
        frame = X.assign(label=y)
        frame.to_csv(path, index=False) if fmt == "csv" else frame.to_parquet(path)
        target = "label"
    spec = spec_from_dict(iris_spec(data={"source": path.name, "target": target}),
                          base_dir=str(tmp_path))
    prep = prepare_data(spec)
    assert prep.X.shape == (178, 13) and prep.task == "classification"


def test_missing_target_column_suggests_case(tmp_path):
    frame = _breast_cancer_frame()
    with pytest.raises(DataError, match="column 'Label' not found \\(did you mean 'label'\\?\\)"):
        prepare_data(_csv_spec(tmp_path, frame, target="Label"))


def test_missing_feature_columns(tmp_path):
    with pytest.raises(DataError, match=r"data.features: columns \['nope'\] not found"):
        prepare_data(_csv_spec(tmp_path, _breast_cancer_frame(), features=["nope"]))


def test_nan_in_target_errors_with_count_or_drops(tmp_path):
    frame = _breast_cancer_frame().astype({"label": float})
    frame.loc[[3, 10, 20], "label"] = np.nan
    with pytest.raises(DataError, match="missing in 3 of 569 rows.*drop_missing_target"):
        prepare_data(_csv_spec(tmp_path, frame))
    prep = prepare_data(_csv_spec(tmp_path, frame, drop_missing_target=True))
    assert len(prep.y) == 566 and "dropped 3 rows" in prep.notes[0]


def test_single_class(tmp_path):
    frame = _breast_cancer_frame().assign(label=1)
    with pytest.raises(DataError, match="single class"):
        prepare_data(_csv_spec(tmp_path, frame, task="classification"))


def test_empty_data(tmp_path):
    (tmp_path / "empty.csv").write_text("a,b,label\n")
    spec = spec_from_dict(iris_spec(data={"source": "empty.csv", "target": "label"}),
                          base_dir=str(tmp_path))
    with pytest.raises(DataError, match="has no rows"):
        prepare_data(spec)
    (tmp_path / "blank.csv").write_text("")
    spec = spec_from_dict(iris_spec(data={"source": "blank.csv", "target": "label"}),
                          base_dir=str(tmp_path))
    with pytest.raises(DataError, match="empty"):
        prepare_data(spec)


def test_missing_and_unreadable_data_files(tmp_path):
    spec = spec_from_dict(iris_spec(data={"source": "nope.csv", "target": "y"}),
                          base_dir=str(tmp_path))
    with pytest.raises(UsageError, match="data file not found"):
        prepare_data(spec)
    (tmp_path / "bad.parquet").write_text("not parquet")
    spec = spec_from_dict(iris_spec(data={"source": "bad.parquet", "target": "y"}),
                          base_dir=str(tmp_path))
    with pytest.raises(UsageError, match="cannot read data file"):
        prepare_data(spec)


def test_nested_values_are_named_with_what_to_do(tmp_path):
    frame = _breast_cancer_frame()
    frame["tags"] = [["a", "b"]] * len(frame)  # a Parquet list column
    frame.to_parquet(tmp_path / "d.parquet")
    spec = spec_from_dict(iris_spec(data={"source": "d.parquet", "target": "label"}),
                          base_dir=str(tmp_path))
    with pytest.raises(DataError, match=r"feature columns \['tags'\] hold lists or other "
                                        r"nested values.*leave them out with data.features"):
        prepare_data(spec)


def test_dates_and_durations_become_days(tmp_path):
    frame = _breast_cancer_frame()
    frame["when"] = pd.Timestamp("2024-01-01", tz="Europe/Paris") + pd.to_timedelta(
        np.arange(len(frame)), unit="h")
    frame["took"] = pd.to_timedelta(np.arange(len(frame)) % 7, unit="D")
    frame.loc[3, "when"] = pd.NaT
    frame.to_parquet(tmp_path / "d.parquet")
    spec = spec_from_dict(iris_spec(data={"source": "d.parquet", "target": "label"}),
                          base_dir=str(tmp_path))
    prep = prepare_data(spec)
    when = prep.X["when"].to_numpy()
    # 2023-12-31 23:00 UTC is day 19,722 since 1970; an hour is 1/24 of a day
    assert when[0] == pytest.approx(19722 + 23 / 24) and np.isnan(when[3])
    assert when[5] - when[4] == pytest.approx(1 / 24)
    assert prep.X["took"].tolist()[:8] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0]
    assert any(n.startswith("when: dates and times as days since 1970-01-01 (a number")
               for n in prep.notes)
    assert "took: durations in days" in prep.notes


def test_sizes_larger_than_pool_name_the_pool_size():
    spec = spec_from_dict(iris_spec(schedule={"sizes": [50, 500], "repeats": 1}))
    with pytest.raises(SpecError, match=r"sizes \[500\] exceed the training pool of 120 rows"):
        make_plan(spec, pool_size=prepare_data(spec).pool_size)


def test_group_split_keeps_groups_apart(tmp_path):
    frame = _breast_cancer_frame()
    frame["customer"] = np.arange(len(frame)) % 37
    spec = _csv_spec(tmp_path, frame)
    spec = spec_from_dict(iris_spec(data={"source": "data.csv", "target": "label"},
                                    split={"group_column": "customer", "test_size": 0.25}),
                          base_dir=str(tmp_path))
    prep = prepare_data(spec)
    groups = frame["customer"].to_numpy()
    assert not set(groups[prep.pool_idx]) & set(groups[prep.test_idx])
    assert len(set(groups[prep.test_idx])) == 10  # ceil(0.25 * 37)
    assert "customer" not in prep.X.columns


def test_time_split_tests_on_the_latest_rows(tmp_path):
    frame = _breast_cancer_frame()
    frame["day"] = pd.date_range("2024-01-01", periods=len(frame), freq="D").astype(str)
    frame = frame.sample(frac=1.0, random_state=0)
    frame.to_csv(tmp_path / "data.csv", index=False)
    spec = spec_from_dict(iris_spec(data={"source": "data.csv", "target": "label"},
                                    split={"time_column": "day", "test_size": 100}),
                          base_dir=str(tmp_path))
    prep = prepare_data(spec)
    days = pd.to_datetime(frame["day"]).to_numpy()
    assert len(prep.test_idx) == 100
    assert days[prep.pool_idx].max() < days[prep.test_idx].min()


def test_test_file_split(tmp_path):
    frame = _breast_cancer_frame()
    frame.iloc[:400].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[400:].to_csv(tmp_path / "test.csv", index=False)
    spec = spec_from_dict(iris_spec(data={"source": "train.csv", "target": "label"},
                                    split={"test_file": "test.csv"}), base_dir=str(tmp_path))
    prep = prepare_data(spec)
    assert len(prep.pool_idx) == 400 and len(prep.test_idx) == 169


def test_fingerprint_sees_every_cell():
    frame = read_table("sklearn:digits")
    base = fingerprint_frame(frame)
    changed = frame.copy()
    changed.iloc[1500, 30] += 1.0  # one cell far beyond any sample of the first rows
    assert fingerprint_frame(changed) != base
    assert fingerprint_frame(frame.copy()) == base
    renamed = frame.rename(columns={"pixel_0_0": "p"})
    assert fingerprint_frame(renamed) != base


def test_regression_task_inferred():
    spec = spec_from_dict(iris_spec(data={"source": "sklearn:diabetes"}, metrics=["r2"]))
    prep = prepare_data(spec)
    assert prep.task == "regression" and prep.y.dtype == np.float64


@pytest.mark.parametrize("seed", range(5))
def test_nested_permutation_keeps_proportions_in_every_prefix(seed):
    rng = np.random.default_rng(seed)
    y = rng.choice(4, size=997, p=[0.6, 0.25, 0.1, 0.05])
    perm = nested_permutation(y, seed=seed)
    assert sorted(perm.tolist()) == list(range(len(y)))
    assert len(set(y[perm[:4]])) == 4  # every class once n >= number of classes
    shares = np.bincount(y, minlength=4)
    for n in range(4, len(y), 7):
        counts = np.bincount(y[perm[:n]], minlength=4)
        assert np.all(np.abs(counts - n * shares / len(y)) <= 2.0), n


def test_nested_permutation_depends_on_seed_only():
    y = np.repeat([0, 1, 2], 50)
    assert np.array_equal(nested_permutation(y, 3), nested_permutation(y, 3))
    assert not np.array_equal(nested_permutation(y, 3), nested_permutation(y, 4))


def test_float32_option_halves_float_columns_and_is_its_own_context():
    plain = spec_from_dict(iris_spec(data={"source": "sklearn:breast_cancer"}))
    small = spec_from_dict(iris_spec(data={"source": "sklearn:breast_cancer",
                                           "float32": True}))
    a, b = prepare_data(plain), prepare_data(small)
    assert set(b.X.dtypes.astype(str)) == {"float32"}
    assert b.X.memory_usage(deep=True).sum() < 0.6 * a.X.memory_usage(deep=True).sum()
    assert a.fingerprint == b.fingerprint  # same data on disk...
    assert a.context_hash(plain) != b.context_hash(small)  # ...but not comparable trials
    with pytest.raises(SpecError, match="data.float32: must be true or false"):
        spec_from_dict(iris_spec(data={"source": "sklearn:iris", "float32": "yes"}))
