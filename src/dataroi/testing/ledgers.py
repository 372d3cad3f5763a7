"""The ledger conformance suite: the contract of :class:`dataroi.ledger.BaseLedger`.

Every test takes a ``ledger`` fixture (an open, empty ledger) and, for the concurrency
tests, ``ledger_url`` (where a second connection can open the same ledger). A back end
runs the whole suite by providing those two fixtures in its test module and importing
this module's tests::

    from dataroi.testing.ledgers import *  # noqa: F403

(dataroi's own ``tests/ledger_tests/test_conformance.py`` does so for SQLite and
PostgreSQL; ``optuna.testing`` ships its storage tests the same way). Needs pytest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterable

import pytest

from dataroi.exceptions import LedgerError
from dataroi.ledger import BaseLedger, PlannedTrial, open_ledger
from dataroi.trial import TrialKey, TrialResult, TrialSnapshot, TrialState

FINGERPRINT = "ab" * 32


def make_context(ledger: BaseLedger, *, study: str = "demo", context_hash: str = "ctx") -> int:
    """Create a study, a dataset version and a context; return the context id."""
    study_id = ledger.upsert_study(study, spec_hash="spec-1", spec_text=f"name: {study}")
    dataset_id = ledger.record_dataset_version(
        fingerprint=FINGERPRINT, n_rows=1000, n_columns=4, dtypes={"x": "float64"}, source="x"
    )
    context_id, _ = ledger.upsert_context(
        study_id,
        dataset_version_id=dataset_id,
        context_hash=context_hash,
        description={"split": "holdout", "seed": 0},
    )
    return context_id


def grid(
    models: Iterable[str] = ("a", "b"),
    sizes: Iterable[int] = (10, 20),
    repeats: int = 2,
    model_hash: str = "h1",
) -> list[PlannedTrial]:
    """Plan models × sizes × repeats with a seed derived from the key."""
    return [
        PlannedTrial(TrialKey(m, n, r), model_hash=model_hash, seed=1000 * r + n)
        for m in models
        for n in sizes
        for r in range(repeats)
    ]


def complete(snapshot: TrialSnapshot, **metrics: float) -> TrialResult:
    """A complete result for a claimed trial."""
    return TrialResult(
        key=snapshot.key,
        state=TrialState.COMPLETE,
        seed=snapshot.seed,
        metrics=dict(metrics) or {"accuracy": 0.5},
        fit_seconds=1.5,
        predict_seconds=0.25,
        cpu_seconds=2.0,
        peak_rss_bytes=5 * 2**30,
        model_bytes=3 * 2**31,  # beyond a 32-bit integer
        n_predicted=1234,
        predictions_digest="d" * 64,
        worker="host:1",
    )


def failed(snapshot: TrialSnapshot) -> TrialResult:
    """A failed result for a claimed trial (it failed after predicting the test set)."""
    return TrialResult(
        key=snapshot.key,
        state=TrialState.FAILED,
        seed=snapshot.seed,
        n_predicted=99,
        error_type="ValueError",
        error_message="bad input",
        traceback="Traceback (most recent call last):\n  ...\nValueError: bad input",
        worker="host:2",
    )


# -- studies, data, environments, contexts ---------------------------------------------
def test_upsert_study_is_idempotent(ledger: BaseLedger) -> None:
    assert ledger.get_study_id("demo") is None
    sid = ledger.upsert_study("demo", spec_hash="h1", spec_text="name: demo")
    assert ledger.upsert_study("demo", spec_hash="h1", spec_text="name: demo") == sid
    assert ledger.upsert_study("demo", spec_hash="h2", spec_text="name: demo\n") == sid
    assert ledger.get_study_id("demo") == sid
    other = ledger.upsert_study("other", spec_hash="h1", spec_text="name: other")
    assert other != sid


def test_dataset_versions_are_keyed_by_fingerprint(ledger: BaseLedger) -> None:
    kwargs = {"n_rows": 10, "n_columns": 2, "dtypes": {"x": "int64"}, "source": "a.csv"}
    first = ledger.record_dataset_version(fingerprint=FINGERPRINT, **kwargs)  # type: ignore[arg-type]
    again = ledger.record_dataset_version(fingerprint=FINGERPRINT, **kwargs)  # type: ignore[arg-type]
    other = ledger.record_dataset_version(fingerprint="cd" * 32, **kwargs)  # type: ignore[arg-type]
    assert first == again != other
    with pytest.raises(LedgerError, match="64 lowercase hex"):
        ledger.record_dataset_version(fingerprint="xyz", **kwargs)  # type: ignore[arg-type]


def test_environments_are_deduplicated(ledger: BaseLedger) -> None:
    env = {"python": "3.12.1", "packages": {"numpy": "2.0.0", "scikit-learn": "1.5.0"}}
    first = ledger.record_environment(env)
    reordered = {"packages": {"scikit-learn": "1.5.0", "numpy": "2.0.0"}, "python": "3.12.1"}
    assert ledger.record_environment(reordered) == first
    second = ledger.record_environment({**env, "python": "3.13.0"})
    assert second != first
    assert ledger.get_environment(first) == env
    with pytest.raises(LedgerError, match="no environment"):
        ledger.get_environment(10_000)


def test_contexts(ledger: BaseLedger) -> None:
    sid = ledger.upsert_study("demo", spec_hash="h", spec_text="")
    dv = ledger.record_dataset_version(
        fingerprint=FINGERPRINT, n_rows=5, n_columns=1, dtypes={}, source=""
    )
    dv2 = ledger.record_dataset_version(
        fingerprint="ef" * 32, n_rows=6, n_columns=1, dtypes={}, source=""
    )
    c1, created1 = ledger.upsert_context(
        sid, dataset_version_id=dv, context_hash="c1", description={"split": {"test": 0.2}}
    )
    again, created_again = ledger.upsert_context(
        sid, dataset_version_id=dv, context_hash="c1", description={"split": {"test": 0.2}}
    )
    c2, created2 = ledger.upsert_context(
        sid, dataset_version_id=dv2, context_hash="c2", description={"split": "other"}
    )
    assert (created1, created_again, created2) == (True, False, True)
    assert again == c1 != c2
    listed = ledger.list_contexts(sid)
    assert [c["context_id"] for c in listed] == [c1, c2]
    assert set(listed[0]) == {
        "context_id",
        "context_hash",
        "dataset_version_id",
        "fingerprint",
        "description",
        "created_at",
    }
    assert listed[0]["description"] == {"split": {"test": 0.2}}
    assert listed[1]["fingerprint"] == "ef" * 32
    assert listed[1]["dataset_version_id"] == dv2
    assert listed[0]["created_at"].tzinfo is not None
    assert listed[0]["created_at"].utcoffset() == dt.timedelta(0)
    other_study = ledger.upsert_study("other", spec_hash="h", spec_text="")
    assert ledger.list_contexts(other_study) == []


# -- planning ------------------------------------------------------------------------
def test_plan_trials_is_idempotent(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    plan = grid()
    assert ledger.plan_trials(cid, plan) == 8
    assert ledger.plan_trials(cid, plan) == 0
    assert ledger.plan_trials(cid, plan + grid(sizes=(40,))) == 4
    assert ledger.plan_trials(cid, plan[:1] * 3) == 0
    assert ledger.plan_trials(cid, []) == 0
    assert len(ledger.get_trials(cid)) == 12
    # A changed model spec (new hash) is a new trial; duplicates in one call count once.
    changed = grid(models=("a",), model_hash="h2")
    assert ledger.plan_trials(cid, changed + changed) == 4
    assert ledger.state_counts(cid)[TrialState.WAITING] == 16


def test_planned_trials_are_waiting_with_their_seed(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    big_seed = 2**63 - 1
    ledger.plan_trials(cid, [PlannedTrial(TrialKey("m", 10, 3), "h", seed=big_seed)])
    [snap] = ledger.get_trials(cid)
    assert snap.state is TrialState.WAITING
    assert snap.key == TrialKey("m", 10, 3)
    assert snap.seed == big_seed
    assert snap.context_id == cid
    assert snap.metrics == {}
    assert snap.extra["owner"] is None
    assert snap.extra["created_at"].utcoffset() == dt.timedelta(0)
    with pytest.raises(LedgerError, match="64-bit"):
        ledger.plan_trials(cid, [PlannedTrial(TrialKey("m", 10, 4), "h", seed=2**64)])


def test_plan_trials_is_all_or_nothing(ledger: BaseLedger) -> None:
    with pytest.raises(LedgerError):
        ledger.plan_trials(987_654, grid())  # no such context: foreign key
    cid = make_context(ledger)
    assert ledger.get_trials(cid) == []


def test_plan_many_trials_is_fast(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    plan = grid(models=[f"m{i}" for i in range(10)], sizes=range(100, 3100, 100), repeats=10)
    assert len(plan) == 3000
    start = time.perf_counter()
    assert ledger.plan_trials(cid, plan) == 3000
    first = time.perf_counter() - start
    start = time.perf_counter()
    assert ledger.plan_trials(cid, plan) == 0
    second = time.perf_counter() - start
    # a guard against per-row round trips (~3000 × a few ms), loose enough for a loaded
    # shared machine; benchmarks/bench_scale.py measures the real overhead
    assert first < 5.0, f"planning 3000 trials took {first:.2f} s"
    assert second < 5.0, f"re-planning 3000 trials took {second:.2f} s"


# -- claiming, finishing, releasing -------------------------------------------------------
def test_claim_order_and_limit(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, list(reversed(grid(models=("b", "a"), sizes=(20, 10)))))
    first = ledger.claim_trials(cid, owner="w1", limit=3)
    # whole repeats first; within a repeat the largest sizes first (LPT scheduling)
    assert [s.key.as_tuple() for s in first] == [("a", 20, 0), ("b", 20, 0), ("a", 10, 0)]
    assert all(s.state is TrialState.RUNNING for s in first)
    assert all(s.extra["owner"] == "w1" for s in first)
    assert all(s.extra["started_at"] is not None for s in first)
    assert ledger.claim_trials(cid, owner="w1", limit=0) == []
    rest = ledger.claim_trials(cid, owner="w1")
    assert [s.key.as_tuple() for s in rest] == [
        ("b", 10, 0),
        ("a", 20, 1),
        ("b", 20, 1),
        ("a", 10, 1),
        ("b", 10, 1),
    ]
    with pytest.raises(LedgerError):
        ledger.claim_trials(cid, owner="w1", limit=-1)


def test_trial_counts_group_by_model_state_and_running_owner(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, grid(models=("a", "b"), sizes=(10, 20)))
    ledger.claim_trials(cid, owner="w1", limit=2)
    ledger.claim_trials(cid, owner="w2", limit=1)
    rows = ledger.trial_counts(cid)
    assert sum(n for *_, n in rows) == 8
    running = {(m, o): n for m, st, o, n in rows if st is TrialState.RUNNING}
    assert running == {("a", "w1"): 1, ("b", "w1"): 1, ("a", "w2"): 1}
    assert all(o is None for _, st, o, _ in rows if st is not TrialState.RUNNING)
    only_a = ledger.trial_counts(cid, model_hashes={"a": "h1"}, sizes=[20])
    assert sum(n for *_, n in only_a) == len(
        ledger.get_trials(cid, model_hashes={"a": "h1"}, sizes=[20])) == 2


def test_overview_aggregates_every_study(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, grid(models=("a", "b"), sizes=(10, 20), repeats=2))
    snaps = ledger.claim_trials(cid, owner="w1", limit=5)
    env = ledger.record_environment({"python": "3.12"})
    for i, snap in enumerate(snaps[:4]):
        ledger.finish_trial(snap.trial_id, complete(snap, accuracy=0.5 + 0.1 * i),
                            owner="w1", environment_id=env)
    ledger.finish_trial(snaps[4].trial_id, failed(snaps[4]), owner="w1", environment_id=env)
    ledger.upsert_study("empty", spec_hash="h2", spec_text="name: empty")
    o = ledger.overview()
    names = {s["name"]: s for s in o["studies"]}
    assert set(names) >= {"empty"} and names["empty"]["spec_hash"] == "h2"
    [ctx] = [c for c in o["contexts"] if c["context_id"] == cid]
    assert ctx["counts"] == {"complete": 4, "failed": 1, "waiting": 3}
    assert ctx["cpu_seconds"] == 4 * 2.0  # the failed result recorded no CPU time
    assert ctx["fit_seconds"] == 4 * 1.5
    assert ctx["first_finished_at"] <= ctx["last_finished_at"]
    cells = {(c["model"], c["n_train"]): c for c in o["cells"] if c["context_id"] == cid}
    done = {}
    for i, snap in enumerate(snaps[:4]):
        done.setdefault((snap.key.model, snap.key.n_train), []).append(0.5 + 0.1 * i)
    assert set(cells) == set(done)
    for k, vals in done.items():
        assert cells[k]["mean"] == pytest.approx(sum(vals) / len(vals))
        assert cells[k]["n"] == len(vals) and cells[k]["metric"] == "accuracy"


def test_add_metrics_only_adds_missing_names_to_complete_trials(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, grid(models=("a",), sizes=(10,), repeats=2))
    done = ledger.claim_trials(cid, owner="w1", limit=1)[0]
    assert ledger.finish_trial(done.trial_id, complete(done, accuracy=0.8), owner="w1",
                               environment_id=None)
    waiting = ledger.get_trials(cid, states=[TrialState.WAITING])[0]
    assert ledger.add_metrics(done.trial_id, {"accuracy": 0.1, "brier": float("nan"),
                                              "ece": 0.05}) == 2
    (snap,) = ledger.get_trials(cid, states=[TrialState.COMPLETE])
    assert snap.metrics["accuracy"] == 0.8  # never overwritten
    assert math.isnan(snap.metrics["brier"]) and snap.metrics["ece"] == 0.05
    assert ledger.add_metrics(done.trial_id, {"ece": 0.5}) == 0
    assert ledger.add_metrics(waiting.trial_id, {"ece": 0.5}) == 0


def test_add_metrics_many_is_one_transaction(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, grid(models=("a",), sizes=(10,), repeats=3))
    done = ledger.claim_trials(cid, owner="w1", limit=2)
    for snap in done:
        assert ledger.finish_trial(snap.trial_id, complete(snap, accuracy=0.8), owner="w1",
                                   environment_id=None)
    waiting = ledger.get_trials(cid, states=[TrialState.WAITING])[0]
    first, second = (s.trial_id for s in done)
    # a value that cannot be stored fails the whole batch: nothing is written
    with pytest.raises((TypeError, ValueError, LedgerError)):
        ledger.add_metrics_many({first: {"ece": 0.1}, second: {"ece": "not a number"}})
    assert all("ece" not in s.metrics for s in ledger.get_trials(cid))
    assert ledger.add_metrics_many({first: {"ece": 0.1, "accuracy": 0.2},
                                    second: {"ece": float("nan")},
                                    waiting.trial_id: {"ece": 0.3}}) == 2
    by_id = {s.trial_id: s.metrics for s in ledger.get_trials(cid)}
    assert by_id[first] == {"accuracy": 0.8, "ece": 0.1}  # never overwritten
    assert math.isnan(by_id[second]["ece"]) and "ece" not in by_id[waiting.trial_id]
    assert ledger.add_metrics_many({first: {"ece": 0.5}, second: {}}) == 0


def test_second_claim_never_returns_claimed_trials(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, grid())
    first = ledger.claim_trials(cid, owner="w1", limit=5)
    second = ledger.claim_trials(cid, owner="w2")
    third = ledger.claim_trials(cid, owner="w3")
    assert len(first) == 5 and len(second) == 3 and third == []
    assert not {s.trial_id for s in first} & {s.trial_id for s in second}
    running = ledger.get_trials(cid, states=[TrialState.RUNNING])
    owners = {s.trial_id: s.extra["owner"] for s in running}
    assert all(owners[s.trial_id] == "w1" for s in first)
    assert all(owners[s.trial_id] == "w2" for s in second)


def test_claim_is_scoped_to_context_and_models(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    other = make_context(ledger, context_hash="other")
    ledger.plan_trials(cid, grid())
    ledger.plan_trials(cid, grid(models=("a",), model_hash="old"))
    ledger.plan_trials(other, grid())
    claimed = ledger.claim_trials(cid, owner="w", model_hashes={"a": "h1"})
    assert {(s.key.model, s.model_hash) for s in claimed} == {("a", "h1")}
    assert len(claimed) == 4
    assert all(s.context_id == cid for s in claimed)
    assert ledger.claim_trials(cid, owner="w", model_hashes={}) == []
    assert ledger.state_counts(other)[TrialState.WAITING] == 8
    filtered = ledger.get_trials(cid, model_hashes={"a": "old", "b": "h1"})
    assert {(s.key.model, s.model_hash) for s in filtered} == {("a", "old"), ("b", "h1")}


def test_claim_and_get_filter_by_sizes_and_repeats(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, grid(sizes=(10, 20, 40), repeats=3))
    got = ledger.get_trials(cid, sizes=[10, 40], repeats=2)
    assert {(s.key.n_train, s.key.repeat) for s in got} == {
        (n, r) for n in (10, 40) for r in range(2)
    }
    assert len(got) == 8
    assert ledger.get_trials(cid, sizes=[]) == []
    assert len(ledger.get_trials(cid, repeats=1, model_hashes={"b": "h1"})) == 3
    claimed = ledger.claim_trials(
        cid, owner="w", sizes=(20,), repeats=2, model_hashes={"a": "h1", "b": "h1"}
    )
    assert [s.key.as_tuple() for s in claimed] == [
        ("a", 20, 0),
        ("b", 20, 0),
        ("a", 20, 1),
        ("b", 20, 1),
    ]
    assert ledger.claim_trials(cid, owner="w", sizes=(20,), repeats=2) == []
    assert ledger.claim_trials(cid, owner="w", sizes=()) == []
    assert ledger.claim_trials(cid, owner="w", repeats=0) == []
    assert len(ledger.claim_trials(cid, owner="w", repeats=1, limit=2)) == 2


def test_finish_trial_records_result_and_metrics(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, grid(models=("a",), sizes=(10,), repeats=1))
    [snap] = ledger.claim_trials(cid, owner="w1")
    env_id = ledger.record_environment({"python": "3.12"})
    result = complete(snap, accuracy=0.75, log_loss=0.5)
    assert ledger.finish_trial(snap.trial_id, result, owner="w1", environment_id=env_id)
    [done] = ledger.get_trials(cid)
    assert done.state is TrialState.COMPLETE
    assert done.metrics == {"accuracy": 0.75, "log_loss": 0.5}
    assert done.extra["fit_seconds"] == 1.5
    assert done.extra["predict_seconds"] == 0.25
    assert done.extra["cpu_seconds"] == 2.0
    assert done.extra["peak_rss_bytes"] == 5 * 2**30
    assert done.extra["model_bytes"] == 3 * 2**31
    assert done.extra["n_predicted"] == 1234
    assert done.extra["predictions_digest"] == "d" * 64
    assert done.extra["worker"] == "host:1"
    assert done.extra["environment_id"] == env_id
    assert done.extra["owner"] == "w1"
    started, finished = done.extra["started_at"], done.extra["finished_at"]
    assert started.utcoffset() == dt.timedelta(0)
    assert started <= finished <= dt.datetime.now(dt.UTC)
    expected_extra = {
        "fit_seconds",
        "predict_seconds",
        "cpu_seconds",
        "peak_rss_bytes",
        "model_bytes",
        "n_predicted",
        "error_type",
        "error_message",
        "traceback",
        "predictions_digest",
        "worker",
        "owner",
        "environment_id",
        "created_at",
        "started_at",
        "finished_at",
    }
    assert expected_extra <= set(done.extra)


def test_finish_by_wrong_owner_returns_false(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, grid(models=("a",), sizes=(10,), repeats=1))
    [snap] = ledger.claim_trials(cid, owner="w1")
    assert not ledger.finish_trial(snap.trial_id, complete(snap), owner="w2", environment_id=None)
    [still] = ledger.get_trials(cid)
    assert still.state is TrialState.RUNNING and still.metrics == {}
    assert not ledger.finish_trial(10_000, complete(snap), owner="w1", environment_id=None)


def test_finished_trials_are_immutable(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, grid(models=("a",), sizes=(10,), repeats=2))
    done, bad = ledger.claim_trials(cid, owner="w1")
    assert ledger.finish_trial(
        done.trial_id, complete(done, accuracy=0.9), owner="w1", environment_id=None
    )
    assert ledger.finish_trial(bad.trial_id, failed(bad), owner="w1", environment_id=None)
    before = {s.trial_id: s for s in ledger.get_trials(cid)}
    # A second finish, a release, a stale sweep, a claim: nothing moves a finished trial.
    assert not ledger.finish_trial(
        done.trial_id, complete(done, accuracy=0.1), owner="w1", environment_id=None
    )
    assert not ledger.finish_trial(bad.trial_id, complete(bad), owner="w1", environment_id=None)
    assert ledger.release_trials([done.trial_id, bad.trial_id], owner="w1") == 0
    assert ledger.release_stale(cid, older_than_seconds=0) == 0
    assert ledger.claim_trials(cid, owner="w2") == []
    ledger.heartbeat("w1")
    after = {s.trial_id: s for s in ledger.get_trials(cid)}
    assert after == before


def test_finish_trial_needs_a_finished_state(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, grid(models=("a",), sizes=(10,), repeats=1))
    [snap] = ledger.claim_trials(cid, owner="w1")
    running = dataclasses.replace(complete(snap), state=TrialState.RUNNING)
    with pytest.raises(LedgerError, match="complete or failed"):
        ledger.finish_trial(snap.trial_id, running, owner="w1", environment_id=None)
    assert ledger.get_trials(cid)[0].state is TrialState.RUNNING


def test_nan_and_infinite_metrics_round_trip(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, grid(models=("a",), sizes=(10,), repeats=1))
    [snap] = ledger.claim_trials(cid, owner="w")
    result = complete(snap, roc_auc=math.nan, accuracy=1.0, loss=math.inf, zero=0.0, neg=-2.5)
    assert ledger.finish_trial(snap.trial_id, result, owner="w", environment_id=None)
    metrics = ledger.get_trials(cid)[0].metrics
    assert set(metrics) == {"roc_auc", "accuracy", "loss", "zero", "neg"}
    assert isinstance(metrics["roc_auc"], float) and math.isnan(metrics["roc_auc"])
    assert metrics["accuracy"] == 1.0
    assert metrics["loss"] == math.inf
    assert metrics["zero"] == 0.0
    assert metrics["neg"] == -2.5


def test_failed_trials_and_reset_failed(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, grid(models=("a",), sizes=(10, 20), repeats=1))
    first, second = ledger.claim_trials(cid, owner="w")
    assert ledger.finish_trial(first.trial_id, failed(first), owner="w", environment_id=None)
    assert ledger.finish_trial(second.trial_id, complete(second), owner="w", environment_id=None)
    [bad] = ledger.get_trials(cid, states=[TrialState.FAILED])
    assert bad.extra["error_type"] == "ValueError"
    assert bad.extra["error_message"] == "bad input"
    assert "ValueError: bad input" in bad.extra["traceback"]
    assert bad.extra["model_bytes"] is None and bad.extra["n_predicted"] == 99
    assert bad.metrics == {}
    assert ledger.reset_failed(cid) == 1
    assert ledger.reset_failed(cid) == 0
    [again] = ledger.get_trials(cid, states=[TrialState.WAITING])
    assert again.trial_id == first.trial_id
    assert again.extra["error_type"] is None and again.extra["owner"] is None
    assert again.extra["finished_at"] is None
    assert again.extra["n_predicted"] is None  # a reset trial keeps nothing of its run
    [retry] = ledger.claim_trials(cid, owner="w2")
    assert retry.trial_id == first.trial_id
    assert ledger.finish_trial(retry.trial_id, complete(retry), owner="w2", environment_id=None)
    assert ledger.state_counts(cid)[TrialState.COMPLETE] == 2


def test_release_trials_only_moves_own_running_trials(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, grid())
    mine = ledger.claim_trials(cid, owner="me", limit=3)
    theirs = ledger.claim_trials(cid, owner="them", limit=2)
    ids = [s.trial_id for s in mine + theirs]
    assert ledger.release_trials(ids, owner="me") == 3
    assert ledger.release_trials(ids, owner="me") == 0
    assert ledger.release_trials([], owner="me") == 0
    counts = ledger.state_counts(cid)
    assert counts[TrialState.RUNNING] == 2 and counts[TrialState.WAITING] == 6
    released = {s.trial_id for s in ledger.get_trials(cid, states=[TrialState.WAITING])}
    assert {s.trial_id for s in mine} <= released
    assert not ledger.finish_trial(
        mine[0].trial_id, complete(mine[0]), owner="me", environment_id=None
    )
    reclaimed = ledger.claim_trials(cid, owner="again")
    assert {s.trial_id for s in mine} <= {s.trial_id for s in reclaimed}


def test_release_stale_uses_heartbeats(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    other = make_context(ledger, context_hash="other")
    ledger.plan_trials(cid, grid())
    ledger.plan_trials(other, grid())
    alive = ledger.claim_trials(cid, owner="alive", limit=2)
    dead = ledger.claim_trials(cid, owner="dead", limit=2)
    ledger.claim_trials(other, owner="dead", limit=2)
    assert ledger.release_stale(cid, older_than_seconds=3600) == 0
    time.sleep(0.6)
    ledger.heartbeat("alive")
    assert ledger.release_stale(cid, older_than_seconds=0.3) == 2
    running = ledger.get_trials(cid, states=[TrialState.RUNNING])
    assert {s.trial_id for s in running} == {s.trial_id for s in alive}
    waiting_ids = {s.trial_id for s in ledger.get_trials(cid, states=[TrialState.WAITING])}
    assert {s.trial_id for s in dead} <= waiting_ids
    assert ledger.state_counts(other)[TrialState.RUNNING] == 2  # other contexts untouched
    beat = running[0].extra["heartbeat_at"]
    assert beat > running[0].extra["started_at"]


def test_state_counts_lists_every_state(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    assert ledger.state_counts(cid) == dict.fromkeys(TrialState, 0)
    ledger.plan_trials(cid, grid())
    a, b, _ = ledger.claim_trials(cid, owner="w", limit=3)
    ledger.finish_trial(a.trial_id, complete(a), owner="w", environment_id=None)
    ledger.finish_trial(b.trial_id, failed(b), owner="w", environment_id=None)
    assert ledger.state_counts(cid) == {
        TrialState.WAITING: 5,
        TrialState.RUNNING: 1,
        TrialState.COMPLETE: 1,
        TrialState.FAILED: 1,
    }


def test_get_trials_order_filters_and_frozen_snapshots(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    ledger.plan_trials(cid, list(reversed(grid(models=("b", "a")))))
    keys = [s.key.as_tuple() for s in ledger.get_trials(cid)]
    assert keys == sorted(keys)
    [claimed] = ledger.claim_trials(cid, owner="w", limit=1)
    assert ledger.get_trials(cid, states=[TrialState.RUNNING]) == [claimed]
    assert len(ledger.get_trials(cid, states=[TrialState.WAITING, TrialState.RUNNING])) == 8
    assert ledger.get_trials(cid, states=[]) == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        claimed.state = TrialState.COMPLETE  # type: ignore[misc]
    claimed.metrics["x"] = 1.0  # a snapshot's dict is a copy: the ledger is unaffected
    assert ledger.get_trials(cid, states=[TrialState.RUNNING])[0].metrics == {}


# -- reproductions ------------------------------------------------------------------------
def test_reproductions(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    assert ledger.list_reproductions(cid) == []
    first = ledger.record_reproduction(cid, {"max_abs_diff": 0.0, "trials": 4, "ok": True})
    second = ledger.record_reproduction(cid, {"max_abs_diff": 1e-9, "trials": 2, "ok": False})
    listed = ledger.list_reproductions(cid)
    assert [r["reproduction_id"] for r in listed] == [first, second]
    assert listed[0]["trials"] == 4 and listed[1]["ok"] is False
    assert listed[0]["created_at"].utcoffset() == dt.timedelta(0)
    json.dumps({k: v for k, v in listed[0].items() if k != "created_at"})


# -- documents ----------------------------------------------------------------------------
def test_documents_round_trip(ledger: BaseLedger) -> None:
    payload = {
        "rule": {"metric": "accuracy", "target": 0.9, "budget_usd": 1_000_000},
        "levels": [0.5, {"deep": [1, 2, [3, None]]}, "text ü ✓", True, False, None],
        "big": 2**62,
        "negative": -2.5,
        "empty": {"list": [], "dict": {}},
    }
    doc = ledger.record_document("recommendation", payload)
    assert isinstance(doc, int)
    [stored] = ledger.list_documents("recommendation")
    assert set(stored) == {
        "document_id",
        "kind",
        "study_id",
        "context_id",
        "content_hash",
        "payload",
        "created_at",
    }
    assert stored["document_id"] == doc
    assert stored["kind"] == "recommendation"
    assert stored["study_id"] is None and stored["context_id"] is None
    assert stored["content_hash"] is None
    assert stored["payload"] == payload
    assert isinstance(stored["payload"]["big"], int)
    json.dumps(stored["payload"], allow_nan=False)


def test_document_nan_and_infinities_are_stored_as_null(ledger: BaseLedger) -> None:
    payload = {
        "nan": math.nan,
        "inf": math.inf,
        "minus_inf": -math.inf,
        "nested": {"values": [1.0, math.nan, (math.inf, 2.0)]},
        "fine": 0.25,
    }
    ledger.record_document("impact_assessment", payload)
    [stored] = ledger.list_documents("impact_assessment")
    assert stored["payload"] == {
        "nan": None,
        "inf": None,
        "minus_inf": None,
        "nested": {"values": [1.0, None, [None, 2.0]]},
        "fine": 0.25,
    }
    assert payload["nan"] is not None and math.isnan(payload["nan"])  # the input is unchanged


def test_documents_are_filtered_by_kind_study_context_and_hash(ledger: BaseLedger) -> None:
    c1 = make_context(ledger, study="one", context_hash="c1")
    c2 = make_context(ledger, study="one", context_hash="c2")
    c3 = make_context(ledger, study="two", context_hash="c3")
    s1, s2 = ledger.get_study_id("one"), ledger.get_study_id("two")
    assert s1 is not None and s2 is not None
    rule_a = ledger.record_document("decision_rule", {"n": 1}, study_id=s1, content_hash="ha")
    rule_b = ledger.record_document("decision_rule", {"n": 2}, study_id=s2, content_hash="hb")
    rule_a2 = ledger.record_document("decision_rule", {"n": 3}, study_id=s2, content_hash="ha")
    rec1 = ledger.record_document("recommendation", {"n": 4}, study_id=s1, context_id=c1)
    rec2 = ledger.record_document("recommendation", {"n": 5}, study_id=s1, context_id=c2)
    rec3 = ledger.record_document("recommendation", {"n": 6}, context_id=c3)
    free = ledger.record_document("recommendation", {"n": 7}, content_hash="ha")

    def ids(kind: str, **filters: object) -> list[int]:
        return [d["document_id"] for d in ledger.list_documents(kind, **filters)]  # type: ignore[arg-type]

    assert ids("decision_rule") == [rule_a, rule_b, rule_a2]
    assert ids("recommendation") == [rec1, rec2, rec3, free]
    assert ids("impact_assessment") == []
    assert ids("decision_rule", study_id=s1) == [rule_a]
    assert ids("decision_rule", study_id=s2) == [rule_b, rule_a2]
    assert ids("decision_rule", content_hash="ha") == [rule_a, rule_a2]
    assert ids("decision_rule", study_id=s2, content_hash="ha") == [rule_a2]
    assert ids("decision_rule", content_hash="nope") == []
    assert ids("recommendation", content_hash="ha") == [free]  # hashes are per kind
    assert ids("recommendation", study_id=s1) == [rec1, rec2]
    assert ids("recommendation", context_id=c2) == [rec2]
    assert ids("recommendation", study_id=s1, context_id=c2) == [rec2]
    assert ids("recommendation", study_id=s2, context_id=c2) == []
    assert ids("recommendation", context_id=c3) == [rec3]  # the study is not filled in
    assert ids("recommendation", study_id=s2) == []
    [stored] = ledger.list_documents("recommendation", context_id=c1)
    assert (stored["study_id"], stored["context_id"], stored["content_hash"]) == (s1, c1, None)
    assert stored["payload"] == {"n": 4}


def test_documents_are_listed_oldest_first_with_aware_utc_times(ledger: BaseLedger) -> None:
    start = dt.datetime.now(dt.UTC)
    made = []
    for i in range(5):
        made.append(ledger.record_document("note", {"i": i}))
        time.sleep(0.002)
    end = dt.datetime.now(dt.UTC)
    listed = ledger.list_documents("note")
    assert [d["document_id"] for d in listed] == made
    assert [d["payload"]["i"] for d in listed] == list(range(5))
    times = [d["created_at"] for d in listed]
    assert times == sorted(times)
    for when in times:
        assert isinstance(when, dt.datetime)
        assert when.tzinfo is not None and when.utcoffset() == dt.timedelta(0)
        assert start - dt.timedelta(seconds=1) <= when <= end + dt.timedelta(seconds=1)


def test_documents_are_independent_of_trials(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    sid = ledger.get_study_id("demo")
    ledger.plan_trials(cid, grid())
    before_counts = ledger.state_counts(cid)
    before_trials = ledger.get_trials(cid)
    doc = ledger.record_document("recommendation", {"next": "labels"}, study_id=sid, context_id=cid)
    assert ledger.state_counts(cid) == before_counts
    assert ledger.get_trials(cid) == before_trials
    # Running, failing, resetting and finishing trials leaves the document alone.
    first, second, *_ = ledger.claim_trials(cid, owner="w")
    ledger.finish_trial(first.trial_id, failed(first), owner="w", environment_id=None)
    ledger.finish_trial(second.trial_id, complete(second), owner="w", environment_id=None)
    assert ledger.reset_failed(cid) == 1
    assert ledger.release_stale(cid, older_than_seconds=0) == 6
    ledger.plan_trials(cid, grid(sizes=(40,)))
    [stored] = ledger.list_documents("recommendation")
    assert stored["document_id"] == doc
    assert stored["payload"] == {"next": "labels"}
    assert ledger.list_reproductions(cid) == []


def test_listed_documents_are_copies(ledger: BaseLedger) -> None:
    ledger.record_document("note", {"list": [1, 2], "dict": {"a": 1}})
    [first] = ledger.list_documents("note")
    first["payload"]["list"].append(3)
    first["payload"]["dict"]["b"] = 2
    first["kind"] = "changed"
    [again] = ledger.list_documents("note")
    assert again["payload"] == {"list": [1, 2], "dict": {"a": 1}}
    assert again["kind"] == "note"


def test_record_document_refuses_bad_input_and_writes_nothing(ledger: BaseLedger) -> None:
    cid = make_context(ledger)
    sid = ledger.get_study_id("demo")
    other = ledger.upsert_study("other", spec_hash="h", spec_text="")
    with pytest.raises(LedgerError, match="kind"):
        ledger.record_document("", {"a": 1})
    with pytest.raises(LedgerError, match="no study with id 987654"):
        ledger.record_document("note", {"a": 1}, study_id=987_654)
    with pytest.raises(LedgerError, match="no context with id 987654"):
        ledger.record_document("note", {"a": 1}, context_id=987_654)
    with pytest.raises(LedgerError, match=f"context {cid} belongs to study {sid}"):
        ledger.record_document("note", {"a": 1}, study_id=other, context_id=cid)
    with pytest.raises(LedgerError, match="dict"):
        ledger.record_document("note", [1, 2])  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match=r"payload\['when'\]: cannot store a datetime"):
        ledger.record_document("note", {"when": dt.datetime.now(dt.UTC)})
    assert ledger.list_documents("note") == []


# -- schema, life cycle -------------------------------------------------------------------
def test_schema_version_is_head(ledger: BaseLedger) -> None:
    from dataroi.ledger import head_revision

    assert ledger.schema_version() == head_revision()


def test_closed_ledger_raises(ledger_url: str) -> None:
    ledger = open_ledger(ledger_url)
    ledger.close()
    ledger.close()
    with pytest.raises(LedgerError, match="closed"):
        ledger.get_study_id("demo")


# -- concurrency --------------------------------------------------------------------------
def _drain(url: str, cid: int, owner: str, limit: int, out: list[int], errors: list[str]) -> None:
    try:
        with open_ledger(url) as mine:
            while True:
                claimed = mine.claim_trials(cid, owner=owner, limit=limit)
                if not claimed:
                    return
                for snap in claimed:
                    out.append(snap.trial_id)
                    if not mine.finish_trial(
                        snap.trial_id, complete(snap), owner=owner, environment_id=None
                    ):
                        errors.append(f"{owner} could not finish {snap.trial_id}")
    except Exception as err:  # surfaced by the assertion in the test
        errors.append(f"{owner}: {type(err).__name__}: {err}")


@pytest.mark.parametrize("limit", [1, 3])
def test_concurrent_threads_never_share_a_trial(
    ledger: BaseLedger, ledger_url: str, limit: int
) -> None:
    cid = make_context(ledger)
    planned = ledger.plan_trials(
        cid, grid(models=("a", "b", "c"), sizes=range(10, 110, 10), repeats=3)
    )
    results: dict[str, list[int]] = {f"w{i}": [] for i in range(4)}
    errors: list[str] = []
    threads = [
        threading.Thread(target=_drain, args=(ledger_url, cid, owner, limit, ids, errors))
        for owner, ids in results.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    all_ids = [i for ids in results.values() for i in ids]
    assert len(all_ids) == len(set(all_ids)) == planned
    assert ledger.state_counts(cid)[TrialState.COMPLETE] == planned


_CHILD = textwrap.dedent(
    """
    import json, sys
    from dataroi.ledger import open_ledger
    url, cid, owner = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ids = []
    with open_ledger(url) as ledger:
        while True:
            claimed = ledger.claim_trials(cid, owner=owner, limit=2)
            if not claimed:
                break
            ids.extend(s.trial_id for s in claimed)
            ledger.release_trials([], owner=owner)
    print(json.dumps(ids))
    """
)


def test_concurrent_processes_never_share_a_trial(ledger: BaseLedger, ledger_url: str) -> None:
    cid = make_context(ledger)
    planned = ledger.plan_trials(cid, grid(models=("a", "b"), sizes=range(10, 210, 10), repeats=5))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, ledger_url, str(cid), f"proc{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    claimed: list[int] = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        claimed.extend(json.loads(out))
    assert len(claimed) == len(set(claimed)) == planned
    assert ledger.state_counts(cid)[TrialState.RUNNING] == planned
