"""The coordinator loop: claim trials, submit them, record results as they arrive.

It is the only writer of the ledger (house rule 7). It bounds the work in flight
(``wait(FIRST_COMPLETED)``), writes each result in its own transaction as soon as it
arrives, refreshes a heartbeat, and on Ctrl-C / SIGTERM returns claimed-but-unfinished
trials to waiting before it re-raises. A ``kill -9`` loses at most the trials in flight:
the next run releases them (SQLite: one coordinator per file, so every running trial of
a dead coordinator is released at start; Postgres: after a heartbeat timeout).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from dataroi._interrupts import interrupt_once
from dataroi.artifacts import ArtifactStore
from dataroi.exceptions import Interrupted, WorkerCrashed
from dataroi.ledger import BaseLedger
from dataroi.study._plan import Plan
from dataroi.trial import TrialPayload, TrialResult, TrialSnapshot, TrialState, run_trial

__all__ = ["Interrupted", "RunOutcome", "WorkerCrashed", "coordinate", "new_owner_id"]

#: Default seconds after which another coordinator's silent claims are taken back.
HEARTBEAT_TIMEOUT_SECONDS = 120.0


@dataclass
class RunOutcome:
    """What one coordinator run did."""

    completed: int = 0
    failed: int = 0
    released: int = 0
    results: list[TrialResult] = field(default_factory=list)


def new_owner_id() -> str:
    """A coordinator id that names the machine and process (shown by ``status``)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def _shielded() -> Iterator[None]:
    """Ctrl-C and SIGTERM ignored while an interrupted run records what arrived and puts
    its trials back (a second or so): GNU ``timeout`` sends SIGTERM to the process and
    again to its group, and users press Ctrl-C twice; a second interrupt in the middle
    of the clean-up left the trials claimed and the run's summary unsaid.

    The :class:`~dataroi._interrupts.InterruptOnce` that wraps :func:`coordinate` already
    ignores a signal after the first, from the handler itself (this block alone left a
    gap, before it began, that a busy machine hit); this covers an interruption that did
    not come through it (a worker's failure, a KeyboardInterrupt raised in code)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@interrupt_once()  # wraps the clean-up too: a second signal is ignored from the first on
def coordinate(
    *,
    ledger: BaseLedger,
    context_id: int,
    plan: Plan,
    executor: Any,
    make_payload: Callable[[TrialSnapshot], TrialPayload],
    store: ArtifactStore,
    environment_id: int | None,
    owner: str,
    max_in_flight: int,
    on_result: Callable[[TrialResult], None] | None = None,
    heartbeat_timeout_seconds: float = HEARTBEAT_TIMEOUT_SECONDS,
    poll_seconds: float | None = None,
) -> RunOutcome:
    """Run every waiting trial of the plan through ``executor``; return what happened.

    The coordinator refreshes its heartbeat every ``heartbeat_timeout_seconds / 4``.
    When nothing is left to claim but other coordinators still hold running trials of
    the plan, it waits for them, and takes back claims whose heartbeat is older than
    ``heartbeat_timeout_seconds`` (a coordinator that died), so the study always ends
    complete.

    Raises:
        Interrupted: on Ctrl-C/SIGTERM, after releasing unfinished trials.
        WorkerCrashed: when a worker process died, after releasing unfinished trials.
    """
    outcome = RunOutcome()
    in_flight: dict[Future[Any], TrialSnapshot] = {}
    claimed: dict[int, TrialSnapshot] = {}
    last_beat = time.monotonic()
    beat_every = heartbeat_timeout_seconds / 4
    poll = poll_seconds if poll_seconds is not None else min(5.0, beat_every)
    exhausted = False

    def record(snap: TrialSnapshot, result: TrialResult) -> None:
        digest = None
        if result.predictions:
            digest = store.put(result.predictions)
        clean = dataclasses.replace(result, predictions=None, predictions_digest=digest)
        if ledger.finish_trial(snap.trial_id, clean, owner=owner,
                               environment_id=environment_id):
            if clean.state is TrialState.COMPLETE:
                outcome.completed += 1
            else:
                outcome.failed += 1
            outcome.results.append(clean)
        claimed.pop(snap.trial_id, None)
        if on_result is not None:
            on_result(clean)

    try:
        while True:
            free = max_in_flight - len(in_flight)
            if free > 0 and not exhausted:
                batch = ledger.claim_trials(context_id, owner=owner, limit=free,
                                            model_hashes=plan.model_hashes,
                                            sizes=plan.sizes, repeats=plan.repeats)
                if not batch:
                    exhausted = True
                for snap in batch:
                    claimed[snap.trial_id] = snap
                    fut = executor.submit(run_trial, make_payload(snap))
                    in_flight[fut] = snap
            if not in_flight:
                if not exhausted:
                    continue
                if not _others_running(ledger, context_id, plan):
                    break
                # other coordinators hold trials: wait, and take back dead ones' claims
                time.sleep(poll)
                ledger.release_stale(context_id,
                                     older_than_seconds=heartbeat_timeout_seconds)
                exhausted = False
                continue
            done, _ = wait(list(in_flight), timeout=beat_every,
                           return_when=FIRST_COMPLETED)
            for fut in done:
                snap = in_flight.pop(fut)
                record(snap, _result_of(fut, snap))
            if time.monotonic() - last_beat > beat_every:
                ledger.heartbeat(owner)
                last_beat = time.monotonic()
    except KeyboardInterrupt:
        with _shielded():
            _drain_done(in_flight, record)
            _stop(executor)
            outcome.released = _release(ledger, context_id, plan, owner, claimed)
        raise Interrupted(
            f"interrupted: {outcome.completed + outcome.failed} trials recorded in this run, "
            f"{outcome.released} unfinished trials returned to waiting; "
            "run again to continue") from None
    except BrokenProcessPool:
        with _shielded():
            _drain_done(in_flight, record)
            _stop(executor)
            outcome.released = _release(ledger, context_id, plan, owner, claimed)
        raise WorkerCrashed(
            "a worker process died (out of memory, or killed); "
            f"{outcome.released} unfinished trials returned to waiting; run again to "
            "continue, with fewer --jobs if memory is short") from None
    except BaseException:
        _stop(executor)
        _release(ledger, context_id, plan, owner, claimed)
        raise
    return outcome


def _release(ledger: BaseLedger, context_id: int, plan: Plan, owner: str,
             claimed: dict[int, TrialSnapshot]) -> int:
    """Return this coordinator's unfinished trials to waiting; return how many moved.

    Besides the trials it knows it claimed, those of the plan the ledger shows running
    under its ``owner``: a Ctrl-C or SIGTERM that arrives after a claim's transaction
    committed but before ``claim_trials`` returned would otherwise leave them running
    under a coordinator that is gone (until the next SQLite run, or a heartbeat timeout
    on PostgreSQL).
    """
    ids = set(claimed)
    ids.update(s.trial_id for s in ledger.get_trials(
        context_id, states=[TrialState.RUNNING], model_hashes=plan.model_hashes,
        sizes=plan.sizes, repeats=plan.repeats) if s.extra.get("owner") == owner)
    return ledger.release_trials(sorted(ids), owner=owner)


def _others_running(ledger: BaseLedger, context_id: int, plan: Plan) -> bool:
    counts = ledger.trial_counts(context_id, model_hashes=plan.model_hashes,
                                 sizes=plan.sizes, repeats=plan.repeats)
    return any(state is TrialState.RUNNING and n for _, state, _, n in counts)


def _result_of(fut: Future[Any], snap: TrialSnapshot) -> TrialResult:
    """The trial's result; an executor-level failure (e.g. Dask's KilledWorker after a
    trial killed several workers) becomes a failed trial: data, not a crash."""
    try:
        return fut.result()
    except BrokenProcessPool:
        raise
    except Exception as exc:
        return TrialResult(key=snap.key, state=TrialState.FAILED, seed=snap.seed,
                           error_type=type(exc).__name__,
                           error_message=(str(exc).strip().splitlines() or [""])[0][:500])


def _drain_done(in_flight: dict[Future[Any], TrialSnapshot],
                record: Callable[[TrialSnapshot, TrialResult], None]) -> None:
    """Record results that arrived before the interruption; they are not lost."""
    for fut, snap in list(in_flight.items()):
        if fut.done() and not fut.cancelled() and fut.exception() is None:
            record(snap, fut.result())
            del in_flight[fut]


def _stop(executor: Any) -> None:
    kill = getattr(executor, "kill_workers", None)
    if callable(kill):
        kill()
    try:
        executor.shutdown(wait=False, cancel_futures=True)
    except TypeError:  # an executor without cancel_futures
        executor.shutdown(wait=False)
    join = getattr(executor, "join_manager", None)
    if callable(join):  # no exit-time traceback from the pool's own thread
        join()
