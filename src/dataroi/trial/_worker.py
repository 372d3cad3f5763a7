"""The worker: fit one trial, predict the test set, score every metric, time it, size it.

``run_trial`` is a plain function of a picklable payload, so any executor can run it (in
process, in a process pool, on a Dask worker). It never writes the ledger (house rule 7):
it returns a frozen :class:`TrialResult`. A model that raises is a *failed trial* (house
rule 9), not an exception. The data set is opened once per worker process (memory-mapped)
and cached, never shipped per trial.

Example:
    >>> import tempfile
    >>> from dataroi.data import materialize, prepare_data
    >>> from dataroi.spec import spec_from_dict
    >>> spec = spec_from_dict({"data": "sklearn:iris", "schedule": {"sizes": [30]},
    ...                        "models": {"lr": "sklearn.linear_model.LogisticRegression"}})
    >>> path = materialize(prepare_data(spec), tempfile.mkdtemp())
    >>> payload = TrialPayload(trial_id=1, key=TrialKey("lr", 30, 0), seed=1, subset_seed=2,
    ...     model={"estimator": "sklearn.linear_model.LogisticRegression", "params": {}},
    ...     metrics=("accuracy",), data_path=path)
    >>> result = run_trial(payload)
    >>> result.state.value, 0.5 < result.metrics["accuracy"] <= 1.0
    ('complete', True)
"""

from __future__ import annotations

import math
import os
import pickle
import socket
import sys
import time
import traceback as tb
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataroi._orphans import exit_when_ended
from dataroi.data import WorkerData, nested_permutation, verify_cache
from dataroi.exceptions import UsageError
from dataroi.metrics import get_metric
from dataroi.trial._column_errors import explain_failure
from dataroi.trial._estimators import seed_estimator
from dataroi.trial._preprocess import TrialModel, build_trial_model
from dataroi.trial._values import TRAIN_PREFIX, TrialKey, TrialResult, TrialState
from dataroi.trial._variants import arm_rows, eval_mask, fit_kwargs

__all__ = ["TrialPayload", "ping", "run_trial", "train_indices", "warm_worker"]

_DATA: dict[str, WorkerData] = {}
_PERMS: dict[tuple[str, int], np.ndarray] = {}
_TEST: dict[str, Any] = {}
_STAMPS: dict[str, tuple[int, ...] | None] = {}


@dataclass(frozen=True)
class TrialPayload:
    """Everything a worker needs for one trial (small: no data inside).

    Attributes:
        trial_id: the ledger row id (echoed back, not used for computing).
        key: (model, n_train, repeat).
        seed: estimator seed (``random_state``).
        subset_seed: the repeat's permutation seed.
        model: the model spec as a plain dictionary.
        metrics: metric names to score.
        data_path: folder of the materialized data set.
        threads: BLAS/OpenMP threads for this trial (None: leave as is).
        keep_predictions: return test-set predictions for the artifact store.
        data_fingerprint: the data set's fingerprint; a worker that opens a folder with
            other content refuses it (a shared path pointing at the wrong data).
        resources: what the trial needs from a cluster worker (e.g. ``{"GPU": 1}``).
    """

    trial_id: int
    key: TrialKey
    seed: int
    subset_seed: int
    model: dict[str, Any]
    metrics: tuple[str, ...]
    data_path: str
    threads: int | None = None
    keep_predictions: bool = True
    data_fingerprint: str | None = None
    resources: dict[str, float] | None = None


def _stamp(path: str) -> tuple[int, ...] | None:
    """Identity of the copy in ``path``: its ``meta.json``'s device, inode, size and
    modification time (a rebuilt copy has a new ``meta.json``)."""
    try:
        st = os.stat(os.path.join(path, "meta.json"))
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _data(path: str, fingerprint: str | None = None) -> WorkerData:
    """The worker's view of the data copy in ``path``, opened once per copy.

    A copy is checked against its checksums when it is opened (the quick check of
    :func:`dataroi.data.verify_cache`; a worker on another machine may see another file
    system's copy), and opened again when the coordinator rebuilt it: a view kept from an
    earlier run would still read the old, replaced files.
    """
    view = _DATA.get(path)
    stamp = _stamp(path)
    if view is not None and _STAMPS.get(path) != stamp:
        view = None
        _TEST.pop(path, None)
        for key in [k for k in _PERMS if k[0] == path]:
            del _PERMS[key]
    if view is None:
        if not os.path.isdir(path):
            raise FileNotFoundError(
                f"data folder {path} is not visible on worker {socket.gethostname()}; "
                "the coordinator's .dataroi/cache must be on a file system the workers share")
        if len(_DATA) > 4:  # a long-lived worker that saw many data versions
            _DATA.clear()
            _PERMS.clear()
            _TEST.clear()
        problems = verify_cache(path)
        if problems:
            raise UsageError(f"data folder {path} is not as written ({problems[0]}); "
                             "run the study again: the coordinator rebuilds it")
        view = _DATA[path] = WorkerData.open(path)
        _STAMPS[path] = stamp
    if fingerprint is not None and view.fingerprint != fingerprint:
        raise UsageError(f"data folder {path} holds data {view.fingerprint[:12]}, expected "
                         f"{fingerprint[:12]}; it changed since the run started")
    return view


def warm_worker(data_path: str | None = None, coordinator_pid: int | None = None) -> None:
    """Process-pool initializer: ignore Ctrl-C (the coordinator handles it), exit when the
    coordinator is gone (even after a ``kill -9``: see :mod:`dataroi._orphans`), and open
    the data now when its folder is known (else on the first trial)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if coordinator_pid:
        import threading

        threading.Thread(target=exit_when_ended, args=(coordinator_pid,), daemon=True,
                         name="dataroi-watch-coordinator").start()
    if data_path:
        _data(data_path)


def ping() -> int:
    """A no-op task that makes a pool start its worker processes."""
    return os.getpid()


def train_indices(data: WorkerData, subset_seed: int, n_train: int) -> np.ndarray:
    """Row positions of the first ``n_train`` rows of the repeat's nested permutation."""
    cache_key = (data.path, subset_seed)
    perm = _PERMS.get(cache_key)
    if perm is None:
        pool = np.asarray(data.pool_idx)
        if data.task == "classification":
            perm = pool[nested_permutation(np.asarray(data.y)[pool], subset_seed)]
        else:
            perm = pool[nested_permutation(None, subset_seed, n=len(pool))]
        if len(_PERMS) > 256:
            _PERMS.clear()
        _PERMS[cache_key] = perm
    if n_train > len(perm):
        raise UsageError(f"n_train={n_train} exceeds the pool of {len(perm)} rows")
    return perm[:n_train]


def _test_set(data: WorkerData) -> tuple[Any, np.ndarray]:
    cached = _TEST.get(data.path)
    if cached is None:
        idx = np.asarray(data.test_idx)
        cached = _TEST[data.path] = (data.rows(idx), np.asarray(data.y)[idx])
    return cached


def _full_width(est: Any, values: np.ndarray, n_classes: int) -> np.ndarray:
    """Place per-class columns of a model that saw only some classes at their codes."""
    classes = np.asarray(getattr(est, "classes_", np.arange(values.shape[1])), dtype=int)
    if values.ndim == 1:  # binary decision_function
        values = np.column_stack([-values, values])
    if values.shape[1] == n_classes and np.array_equal(classes, np.arange(n_classes)):
        return np.asarray(values, dtype=float)
    out = np.zeros((values.shape[0], n_classes), dtype=float)
    out[:, classes] = values
    return out


def _predict(est: Any, X: Any, data: WorkerData, metrics: tuple[str, ...], *,
             always_proba: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Predicted labels and, for classification, full-width class scores:
    ``predict_proba`` (always, or only when a metric needs more than labels), else
    ``decision_function`` when a metric needs scores."""
    pred = np.asarray(est.predict(X))
    proba = None
    if data.task == "classification":
        n_classes = int(data.n_classes or 0)
        needs = {get_metric(m).needs for m in metrics}
        if hasattr(est, "predict_proba") and (always_proba or needs != {"pred"}):
            proba = _full_width(est, np.asarray(est.predict_proba(X)), n_classes)
        elif "score" in needs and hasattr(est, "decision_function"):
            proba = _full_width(est, np.asarray(est.decision_function(X)), n_classes)
    return pred, proba


def _score(y: np.ndarray, pred: np.ndarray, proba: np.ndarray | None, data: WorkerData,
           metrics: tuple[str, ...], *, nan_on_error: bool = False) -> dict[str, float]:
    """Each metric of ``metrics``; NaN where it needs class scores and there are none
    (and, with ``nan_on_error``, where scoring raises)."""
    out: dict[str, float] = {}
    for name in metrics:
        metric = get_metric(name)
        if metric.needs != "pred" and proba is None:
            out[name] = math.nan
            continue
        try:
            out[name] = float(metric.score(y, pred=pred, proba=proba,
                                           n_classes=data.n_classes))
        except Exception:
            if not nan_on_error:
                raise
            out[name] = math.nan
    return out


def _train_scores(est: Any, X_train: Any, y_train: np.ndarray, data: WorkerData,
                  metrics: tuple[str, ...]) -> dict[str, float]:
    """Each metric on the rows the model was trained on (``train:<metric>``), as
    scikit-learn's ``learning_curve`` reports them: the gap to the test score tells a
    model that more labels can still help (high variance) from one that has learned what
    it can (high bias). A metric the training rows cannot score is NaN; scoring never
    fails the trial."""
    try:
        pred, proba = _predict(est, X_train, data, metrics, always_proba=False)
    except Exception:
        return {TRAIN_PREFIX + m: math.nan for m in metrics}
    scores = _score(np.asarray(y_train), pred, proba, data, metrics, nan_on_error=True)
    return {TRAIN_PREFIX + m: v for m, v in scores.items()}


def _peak_rss_bytes() -> int | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)


class _ByteCounter:
    """A write-only file that counts what is written to it and keeps nothing."""

    def __init__(self) -> None:
        self.n_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        n = memoryview(data).nbytes  # a protocol-5 buffer may have items wider than a byte
        self.n_bytes += n
        return n


def _pickled_bytes(est: Any) -> int | None:
    """Size of ``pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL)`` in bytes, measured
    without holding the pickle in memory; None when ``est`` cannot be pickled.

    Example:
        >>> from sklearn.linear_model import LinearRegression
        >>> est = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
        >>> _pickled_bytes(est) == len(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))
        True
        >>> _pickled_bytes(lambda x: x) is None  # a lambda cannot be pickled
        True
    """
    counter = _ByteCounter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pickle.Pickler(counter, protocol=pickle.HIGHEST_PROTOCOL).dump(est)
    except Exception:  # e.g. PicklingError, TypeError, AttributeError, RecursionError
        return None
    return counter.n_bytes


def run_trial(payload: TrialPayload) -> TrialResult:
    """Fit, predict and score one trial; return a frozen result (never raises for the
    model's own errors)."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    cpu0 = time.process_time()
    fit_seconds = predict_seconds = None
    n_predicted: int | None = None
    built: TrialModel | None = None
    X_train: Any = None
    X_test: Any = None
    try:
        data = _data(payload.data_path, payload.data_fingerprint)
        variant = payload.model.get("variant")
        X_test, y_test = _test_set(data)
        # wrapped in the study's preprocessing when the table needs it (fitted by
        # ``est.fit`` below on the training rows only)
        built = build_trial_model(payload.model, data)
        est = seed_estimator(built.estimator, payload.seed)
        limiter = None
        if payload.threads is not None:
            from threadpoolctl import threadpool_limits

            limiter = threadpool_limits(limits=payload.threads)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mask = None
                fit_kw: dict[str, Any] = {}
                selection_seconds = 0.0
                if variant:  # a stress arm: its own rows, labels, weights, test view
                    arm = arm_rows(data, variant, subset_seed=payload.subset_seed,
                                   n_train=payload.key.n_train)
                    train, y_train = arm.train, arm.y_train
                    fit_kw = fit_kwargs(est, arm.sample_weight)
                    selection_seconds = arm.selection_seconds
                    mask = eval_mask(data, variant)
                else:
                    train = train_indices(data, payload.subset_seed, payload.key.n_train)
                    y_train = np.asarray(data.y)[train]
                X_train = data.rows(train)
                t0 = time.perf_counter()
                est.fit(X_train, y_train, **fit_kw)
                # an acquisition arm's training cost includes choosing its rows
                fit_seconds = time.perf_counter() - t0 + selection_seconds
                t0 = time.perf_counter()
                pred, proba = _predict(est, X_test, data, payload.metrics)
                predict_seconds = time.perf_counter() - t0
                n_predicted = len(X_test)  # the whole test set, also for a shift view
                train_scores = _train_scores(est, X_train, y_train, data, payload.metrics)
        finally:
            if limiter is not None:
                limiter.restore_original_limits()
        # predictions cover the whole test set; a shift view is scored on its rows
        y_eval, pred_eval, proba_eval = y_test, pred, proba
        if mask is not None:
            y_eval, pred_eval = y_test[mask], pred[mask]
            proba_eval = None if proba is None else proba[mask]
        with warnings.catch_warnings():  # a metric's warnings would garble the progress bar
            warnings.simplefilter("ignore")
            metrics = _score(y_eval, pred_eval, proba_eval, data, payload.metrics)
        metrics |= train_scores
        size_bytes = _pickled_bytes(est)  # outside fit and predict timing
        predictions = None
        if payload.keep_predictions:
            predictions = {"pred": pred}
            if proba is not None:
                predictions["proba"] = proba.astype(np.float32)
        return TrialResult(
            key=payload.key, state=TrialState.COMPLETE, seed=payload.seed, metrics=metrics,
            fit_seconds=fit_seconds, predict_seconds=predict_seconds,
            cpu_seconds=time.process_time() - cpu0, peak_rss_bytes=_peak_rss_bytes(),
            model_bytes=size_bytes, n_predicted=n_predicted,
            worker=worker, predictions=predictions,
        )
    except Exception as exc:  # the model's failure is data (house rule 9)
        # a failure about a column's content names the model and the column
        explained = explain_failure(exc, [X_train, X_test], model=payload.key.model,
                                    built=built)
        return TrialResult(
            key=payload.key, state=TrialState.FAILED, seed=payload.seed,
            fit_seconds=fit_seconds, predict_seconds=predict_seconds,
            cpu_seconds=time.process_time() - cpu0, peak_rss_bytes=_peak_rss_bytes(),
            n_predicted=n_predicted, error_type=type(exc).__name__,
            error_message=(explained or (str(exc).strip().splitlines() or [""])[0])[:500],
            traceback=tb.format_exc()[-8000:], worker=worker,
        )
