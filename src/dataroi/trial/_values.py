"""Frozen values that describe a trial and its result.

A trial is one (model, training-set size, repeat) cell of a study; a stress arm is a model
named ``"<model>[<label>]"``. These values cross
process boundaries (they are pickled to workers and back), so they hold only plain data.

Example:
    >>> key = TrialKey(model="logreg", n_train=100, repeat=0)
    >>> key.as_tuple()
    ('logreg', 100, 0)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TRAIN_PREFIX", "TrialKey", "TrialResult", "TrialSnapshot", "TrialState"]

#: Prefix of the training-set scores among a trial's metrics: ``train:accuracy`` is the
#: accuracy on the rows the model was trained on (``accuracy`` is on the test set).
TRAIN_PREFIX = "train:"


class TrialState(enum.StrEnum):
    """Life cycle of a trial: waiting → running → complete | failed (finished is final)."""

    WAITING = "waiting"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"

    @property
    def is_finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.FAILED)


@dataclass(frozen=True, order=True)
class TrialKey:
    """Identity of a trial inside one study context (data version, split, root seed).

    Attributes:
        model: the model's name in the spec.
        n_train: number of training rows (a prefix of the repeat's permutation).
        repeat: repeat index, 0-based.
    """

    model: str
    n_train: int
    repeat: int

    def as_tuple(self) -> tuple[str, int, int]:
        return (self.model, self.n_train, self.repeat)


@dataclass(frozen=True)
class TrialResult:
    """What a worker returns for one trial. Workers never write the ledger.

    Attributes:
        key: the trial's identity.
        state: ``COMPLETE`` or ``FAILED``.
        seed: the estimator seed used (a plain int passed as ``random_state``).
        metrics: metric name → value (empty when failed; NaN where a metric is undefined);
            ``train:<metric>`` holds the same metric on the training rows.
        fit_seconds, predict_seconds: wall time of ``fit`` and of predicting the test set
            (an acquisition arm's ``fit_seconds`` include choosing its rows).
        cpu_seconds: process CPU time (user + system) spent in the trial.
        peak_rss_bytes: the worker process's peak resident memory after the trial.
        model_bytes: size of the fitted estimator pickled with the highest protocol (what
            shipping it costs); None when it cannot be pickled or the trial failed.
        n_predicted: test rows the model predicted in ``predict_seconds`` (the whole test
            set), so latency per 1,000 rows is ``predict_seconds / n_predicted * 1e6`` ms.
        error_type, error_message, traceback: set when the trial failed.
        predictions_digest: SHA-256 of the stored test-set predictions artifact, if stored.
        worker: host:pid that ran the trial.
        predictions: test-set predictions (``"pred"``, and ``"proba"`` when available) as
            numpy arrays; the coordinator moves them to the artifact store and drops them.
    """

    key: TrialKey
    state: TrialState
    seed: int
    metrics: dict[str, float] = field(default_factory=dict)
    fit_seconds: float | None = None
    predict_seconds: float | None = None
    cpu_seconds: float | None = None
    peak_rss_bytes: int | None = None
    model_bytes: int | None = None
    n_predicted: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    traceback: str | None = None
    predictions_digest: str | None = None
    worker: str | None = None
    predictions: dict[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class TrialSnapshot:
    """A read-only copy of a trial row as the ledger holds it (like Optuna's FrozenTrial).

    Attributes:
        trial_id: the ledger's row id.
        context_id: the study context (dataset version + split + seed) the trial belongs to.
        key: the trial's identity.
        model_hash: hash of the model's spec (estimator, params); changing it re-plans.
        seed: the estimator seed.
        state: the current state.
        metrics: metric name → value for finished trials.
        extra: the remaining recorded fields (timings, error, owner, timestamps...).
    """

    trial_id: int
    context_id: int
    key: TrialKey
    model_hash: str
    seed: int
    state: TrialState
    metrics: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
