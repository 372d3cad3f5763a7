"""A run never trusts the workers' data copy by its name: an edited copy is found and
rebuilt before any new trial is computed from it."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import dataroi
from dataroi.cli import main
from tests.conftest import iris_spec


def _metrics(study) -> pd.Series:
    frame = study.trials()
    return frame.set_index(["model", "n_train", "repeat", "metric"])["value"].sort_index()


def _copy_folder(study) -> Path:
    (folder,) = (study.workdir / "cache").glob("data-*")
    return folder


@pytest.mark.parametrize("edited", [
    "y.npy", pytest.param("c0.npy", marks=pytest.mark.slow)])  # labels; a feature
def test_an_edited_copy_is_rebuilt_before_new_trials_use_it(write_spec, tmp_path, edited):
    spec = iris_spec()
    study = dataroi.load_study(write_spec(spec), ledger=str(tmp_path / "ledger.db"))
    study.run(jobs=1, progress=False)  # this process keeps its view of the copy open
    path = _copy_folder(study) / edited
    values = np.load(path)
    np.save(path, np.roll(values, 17))  # labels (or a feature) shuffled in place

    spec["schedule"] = dict(spec["schedule"], repeats=3)  # new trials to run
    study = dataroi.load_study(write_spec(spec), ledger=str(tmp_path / "ledger.db"))
    summary = study.run(jobs=1, progress=False)
    assert summary.completed == 3
    (note,) = [n for n in summary.notes if "data copy" in n]
    assert f"{edited} changed" in note and note.endswith("rebuilt it from the source data")
    np.testing.assert_array_equal(np.load(path), values)

    # the new trials are exactly those of a study that never saw the edited copy
    clean = dataroi.load_study(write_spec(spec, "clean.yaml"),
                               ledger=str(tmp_path / "clean" / "ledger.db"))
    clean.run(jobs=1, progress=False)
    pd.testing.assert_series_equal(_metrics(study), _metrics(clean))
    assert {s.extra.get("predictions_digest") for s in study.snapshots()} == {
        s.extra.get("predictions_digest") for s in clean.snapshots()}


def test_run_check_data_hashes_the_copy_in_full(capsys, tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(20_000, 5)), columns=list("abcde"))
    frame["target"] = (frame["a"] > 0).astype(int)
    frame.to_parquet(tmp_path / "table.parquet")
    spec = {"name": "big", "data": {"source": "table.parquet", "target": "target"},
            "models": {"lr": "sklearn.linear_model.LogisticRegression"},
            "metrics": ["accuracy"], "schedule": {"sizes": [50], "repeats": 1, "seed": 0}}
    spec_path = tmp_path / "study.yaml"
    spec_path.write_text(yaml.safe_dump(spec))
    assert main(["run", str(spec_path), "--jobs", "1", "--no-progress"]) == 0
    (folder,) = (tmp_path / ".dataroi" / "cache").glob("data-*")
    # one value changed between the blocks the quick check samples, the time put back
    path = folder / "c1.npy"
    st = path.stat()
    original = np.load(path)
    values = original.copy()
    values[9_000] += 1.0
    np.save(path, values)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    spec["schedule"]["repeats"] = 2
    spec_path.write_text(yaml.safe_dump(spec))
    capsys.readouterr()
    assert main(["run", str(spec_path), "--jobs", "1", "--no-progress",
                 "--check-data"]) == 0
    err = capsys.readouterr().err
    assert "note: the data copy" in err and "c1.npy changed" in err, err
    np.testing.assert_array_equal(np.load(path), original)
