"""A metric added to a spec after its trials ran: scored from the stored predictions,
reproduced exactly, and never half-written when a stored file is damaged."""

from __future__ import annotations

import sqlite3
import warnings

import pytest

import dataroi
from dataroi.artifacts import ArtifactStore
from dataroi.exceptions import DataWarning
from tests.conftest import iris_spec

#: brier's float32 and float64 values differ in the 9th digit on these trials; roc_auc
#: (rank-based) and accuracy (labels) do not
ADDED = ["brier", "roc_auc"]


def _ran(write_spec, tmp_path, metrics=("accuracy", "log_loss")):
    spec = iris_spec(metrics=list(metrics))
    study = dataroi.load_study(write_spec(spec), ledger=str(tmp_path / "ledger.db"))
    study.run(jobs=1, progress=False)
    return spec, study


def _with_metrics(write_spec, tmp_path, spec, metrics):
    spec = dict(spec, metrics=list(metrics))
    return dataroi.load_study(write_spec(spec), ledger=str(tmp_path / "ledger.db"))


def test_metrics_added_later_are_reproduced_exactly(write_spec, tmp_path):
    spec, _ = _ran(write_spec, tmp_path)
    study = _with_metrics(write_spec, tmp_path, spec, [*spec["metrics"], *ADDED])
    summary = study.run(jobs=1, progress=False)
    assert summary.completed == 0
    assert any("scored new metrics on 6 finished trials" in n for n in summary.notes)
    reproduced = study.reproduce(sample=6)
    assert reproduced["sample"] == 6 and reproduced["differing"] == 0
    assert all(t["predictions_match"] for t in reproduced["trials"])
    # brier was backfilled from float32 probabilities: reproduced by that same path
    assert all("brier" in t["scored_from_stored_predictions"] for t in reproduced["trials"])
    assert all("log_loss" not in t["scored_from_stored_predictions"]
               for t in reproduced["trials"])
    # still exact: a backfilled value off in the last digits is a difference
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        conn.execute("UPDATE trial_metrics SET value = value + 1e-12 WHERE name = 'brier'")
    reproduced = study.reproduce(sample=6)
    assert reproduced["differing"] == 6
    assert {d["metric"] for t in reproduced["trials"] for d in t["metric_differences"]} == {
        "brier"}


def test_damaged_stored_predictions_are_skipped_with_a_warning(write_spec, tmp_path):
    spec, study = _ran(write_spec, tmp_path)
    store = ArtifactStore(study.workdir / "artifacts")
    digests = sorted(s.extra["predictions_digest"] for s in study.snapshots())
    truncated, garbage = store.path(digests[0]), store.path(digests[1])
    truncated.write_bytes(truncated.read_bytes()[:100])
    garbage.write_bytes(b"\x00garbage" * 64)

    study = _with_metrics(write_spec, tmp_path, spec, [*spec["metrics"], "brier"])
    with pytest.warns(DataWarning, match=r"^2 stored predictions are damaged or truncated"):
        summary = study.run(jobs=1, progress=False)
    (line,) = [w for w in summary.warnings if "damaged" in w]
    assert "\n" not in line and "--rerun logreg" in line
    assert any("scored new metrics on 4 finished trials" in n for n in summary.notes)
    frame = study.trials()
    brier = frame[frame["metric"] == "brier"]
    assert len(brier) == 6 and brier["value"].notna().sum() == 4
    damaged = {s.trial_id for s in study.snapshots()
               if s.extra["predictions_digest"] in digests[:2]}
    assert set(brier[brier["value"].isna()]["trial_id"]) == damaged

    # the remedy the warning names: the models run again; their predictions (the same:
    # the seeds are the same) replace the damaged files, and every trial has brier
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        rerun = study.run(jobs=1, progress=False, rerun=["logreg"])
    assert rerun.completed == 6 and not rerun.warnings
    assert store.intact(digests[0]) and store.intact(digests[1])
    frame = study.trials()
    assert frame.loc[frame["metric"] == "brier", "value"].notna().all()
