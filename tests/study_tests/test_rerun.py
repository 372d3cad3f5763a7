"""Study.run(rerun=...): a model run again on purpose gets a new identity (its arms too);
its finished trials stay in the ledger; an interrupted re-run continues with the next
run; the readers follow the latest identity."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import Future
from typing import Any

import pytest

import dataroi
from dataroi.exceptions import Interrupted, UsageError
from dataroi.ledger import open_ledger
from tests._specs import IRIS_DATA, LOGREG, TREE


class _InterruptAfter:
    """A real executor (runs each call here) that is interrupted, like Ctrl-C, at the
    call after the first ``n``."""

    max_workers = 1

    def __init__(self, n: int) -> None:
        self.left = n

    def submit(self, fn: Any, /, *args: Any) -> Future[Any]:
        if self.left == 0:
            raise KeyboardInterrupt
        self.left -= 1
        fut: Future[Any] = Future()
        fut.set_result(fn(*args))
        return fut

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None


def _study(tmp_path) -> dataroi.Study:
    return dataroi.load_study({
        "name": "rerun", "data": dict(IRIS_DATA),
        "models": {"lr": dict(LOGREG), "tree": dict(TREE)},
        "schedule": {"sizes": [30, 60], "repeats": 2},
        "stress": {"noise": {"rates": [0.2]}}}, ledger=str(tmp_path / "ledger.db"))


def _rows(study: dataroi.Study) -> Counter[tuple[str, str]]:
    """(model, state) of every trial row in the ledger, superseded ones too."""
    with open_ledger(study.ledger_url, create=False) as ledger:
        (ctx,) = ledger.list_contexts(ledger.get_study_id("rerun"))
        return Counter((s.key.model, s.state.value)
                       for s in ledger.get_trials(ctx["context_id"]))


def test_an_interrupted_rerun_continues_and_loses_no_trial(tmp_path):
    study = _study(tmp_path)
    assert study.run(jobs=1, progress=False).completed == 16  # lr, tree and their arms
    before = study.trials()

    with pytest.raises(Interrupted):
        study.run(executor=_InterruptAfter(1), progress=False, rerun=["lr"])
    rows = _rows(study)
    # the old trials are all there; one trial of the new identity finished
    assert rows[("lr", "complete")] == 5 and rows[("tree", "complete")] == 4
    assert rows[("lr[noise=0.2]", "complete")] == 4  # the arm re-runs with its model

    summary = study.run(jobs=1, progress=False)  # no --rerun: the re-run continues
    assert (summary.completed, summary.already_done) == (7, 9)
    rows = _rows(study)
    assert rows[("lr", "complete")] == 8 and rows[("lr[noise=0.2]", "complete")] == 8
    assert rows[("tree", "complete")] == 4

    # the readers see the re-run trials, as many as before
    after = study.trials()
    assert len(after) == len(before)
    kept = before.trial_id[before.model.str.startswith("tree")]  # tree and its arm
    assert set(after.trial_id) & set(before.trial_id) == set(kept)
    assert study.status().counts["complete"] == 16


def test_rerun_names_only_models_of_the_spec(tmp_path):
    study = _study(tmp_path)
    with pytest.raises(UsageError, match=r"'tre' is not a model of the study \(did you "
                                         r"mean 'tree'\?\)"):
        study.run(jobs=1, progress=False, rerun=["lr", "tre"])
    with pytest.raises(UsageError, match="a stress arm re-runs with its model"):
        study.run(jobs=1, progress=False, rerun=["lr[noise=0.2]"])
    assert not (tmp_path / "ledger.db").exists()
    # a model with nothing finished yet simply runs
    summary = study.run(jobs=1, progress=False, rerun=["tree"])
    assert summary.completed == 16
    assert any("--rerun tree: no finished trial" in n for n in summary.notes)
