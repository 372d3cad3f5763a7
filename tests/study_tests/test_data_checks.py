"""A study checks its data before the first trial (ISLR/Default, real SQLite ledgers):
warnings are issued as DataWarning and kept in the summary; a hard problem raises one
DataError and writes nothing to the ledger."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pytest

import dataroi
from dataroi.exceptions import DataError, DataWarning
from tests._default_table import default_spec, default_table, write_parquet
from tests.value_tests.helpers import write

SCHEDULE_WARNING = ("schedule: at 50 rows the rarest class 'Yes' has about 1-2 rows (3.3 % "
                    "of the training pool); scores at that size will be noisy or undefined; "
                    "start at 150 rows")


def _spec(source, **extra):
    return default_spec(source, models={"lr": "sklearn.linear_model.LogisticRegression"},
                        schedule={"sizes": [50, 200], "repeats": 1, "seed": 0}, **extra)


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_warnings_before_the_run_and_a_hard_problem_writes_nothing(tmp_path):
    frame = default_table()
    source = write_parquet(frame, tmp_path / "default.parquet")
    ledger = tmp_path / "ledger.db"
    study = dataroi.load_study(write(tmp_path / "s", _spec(source)), ledger=str(ledger))
    with pytest.warns(DataWarning) as caught:
        summary = study.run(jobs=1, progress=False)
    assert [str(w.message) for w in caught if w.category is DataWarning] == [SCHEDULE_WARNING]
    assert summary.warnings == [SCHEDULE_WARNING] == summary.to_dict()["warnings"]
    assert (summary.completed, summary.failed) == (2, 0)
    assert [c.message for c in study.check_data()] == [SCHEDULE_WARNING]

    # the same study on the table with an empty column and no preprocessing: logistic
    # regression cannot take it, so nothing runs — and the ledger is not touched
    before = _digest(ledger)
    broken = write_parquet(frame.assign(empty=np.nan), tmp_path / "broken.parquet")
    study = dataroi.load_study(write(tmp_path / "s", _spec(broken, preprocess="none")),
                               ledger=str(ledger))
    with pytest.raises(DataError) as err, warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # raised before any warning is issued
        study.run(jobs=1, progress=False)
    assert str(err.value).startswith(
        "the data cannot be used as it is: column 'empty' (empty): no model of the spec "
        "takes it: lr (ValueError: Input X contains NaN")
    assert "remove preprocess: mode none" in str(err.value)
    assert _digest(ledger) == before
    with dataroi.open_ledger(str(ledger), create=False) as led:
        (ctx,) = led.list_contexts(led.get_study_id("default"))
        assert len(led.get_trials(ctx["context_id"])) == 2


def test_a_hard_problem_creates_no_ledger(tmp_path):
    frame = default_table()[["default", "student"]].assign(balance=np.nan, income=np.inf)
    source = write_parquet(frame.assign(student="No"), tmp_path / "t.parquet")
    ledger = tmp_path / "new" / "ledger.db"
    study = dataroi.load_study(write(tmp_path / "s", _spec(source)), ledger=str(ledger))
    with pytest.raises(DataError, match="no feature column carries information: 'balance', "
                                        "'income', 'student'"):
        study.run(jobs=1, progress=False)
    assert not ledger.exists() and not ledger.parent.exists()
