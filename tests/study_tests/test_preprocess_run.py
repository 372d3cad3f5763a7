"""A study on a real table runs end to end (ISLR/Default with a text column, missing
values and an infinity); changing ``preprocess:`` re-runs the trials; ``mode: none`` gives
the old failures, with a message that names the model and the column."""

from __future__ import annotations

import pytest

import dataroi
from tests._default_table import default_spec, default_table, write_parquet
from tests.value_tests.helpers import run_study, write


@pytest.mark.slow
def test_a_real_table_just_works_and_the_section_is_part_of_the_identity(tmp_path):
    source = write_parquet(default_table(), tmp_path / "default.parquet")
    spec = default_spec(source)
    study = run_study(tmp_path / "s", spec)  # asserts: no trial failed
    frame = study.trials()
    assert set(frame["model"]) == {"lr", "hgb"} and frame["value"].notna().all()
    auc = frame[frame.metric == "roc_auc"].groupby("model")["value"].mean()
    assert auc["lr"] > 0.85 and auc["hgb"] > 0.8

    again = dataroi.load_study(write(tmp_path / "s", spec)).run(jobs=1, progress=False)
    assert (again.planned_new, again.already_done) == (0, 8)
    changed = dataroi.load_study(write(tmp_path / "s", default_spec(
        source, preprocess={"max_onehot": 5, "scale": False}))).run(jobs=1, progress=False)
    assert (changed.planned_new, changed.completed, changed.failed) == (8, 8, 0)


@pytest.mark.slow
def test_mode_none_fails_as_before_and_says_where(tmp_path):
    source = write_parquet(default_table(), tmp_path / "default.parquet")
    study = dataroi.load_study(write(tmp_path / "s", default_spec(source, preprocess="none")))
    summary = study.run(jobs=1, progress=False)
    failed = {message: n for (kind, message), n in summary.error_groups.items()
              if message.startswith("model 'lr'")}
    assert sum(failed.values()) == 4 and summary.failed >= 4
    (message,) = failed
    assert message.startswith("model 'lr': column 'student' holds text ('No') that "
                              "LogisticRegression cannot take; preprocess: mode none was set")
