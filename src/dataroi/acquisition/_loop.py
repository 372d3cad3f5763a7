"""Simulated pool-based active learning: the order in which a strategy labels the pool.

:func:`acquisition_order` starts from a seed set (the first ``initial`` rows of the repeat's
nested stratified permutation) and then, round after round, asks ``fit_proba`` for the
selector's probabilities on the unlabeled candidates and appends the batch the strategy
picks. The order is *nested*: the first ``n1`` positions of a longer run are exactly the
run for ``n1`` (every round is scored with a full ``batch_size`` batch and a short last
batch takes that batch's best-ranked rows), so position ``n`` is "the n-th label".

Example:
    >>> import numpy as np
    >>> y = np.array([0, 1] * 10)
    >>> def fit_proba(labeled, candidates):   # a toy selector: p(1) grows with the row
    ...     p1 = (candidates + 0.3) / 20.0
    ...     return np.column_stack([1 - p1, p1])
    >>> res = acquisition_order(6, n_pool=20, strategy="margin", batch_size=2, initial=2,
    ...                         seed=0, y=y, fit_proba=fit_proba, start_order=np.arange(20))
    >>> res.order.tolist()                      # seed set, then closest to p = 0.5 first
    [0, 1, 10, 9, 11, 8]
    >>> res.rounds, res.n_selector_fits
    (2, 2)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataroi._names import did_you_mean
from dataroi._random import derive_seed
from dataroi.acquisition._strategies import (
    MODEL_STRATEGIES,
    PRIORITIES,
    STRATEGIES,
    diverse_batch,
    rank_candidates,
)
from dataroi.exceptions import UsageError

__all__ = ["AcquisitionResult", "FitProba", "acquisition_order", "make_fit_proba"]

#: ``fit_proba(labeled_positions, candidate_positions) -> proba (n_candidates, n_columns)``.
FitProba = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class AcquisitionResult:
    """The labelling order a strategy produced, and what it cost to compute.

    Attributes:
        order: pool positions (``0..n_pool-1``), length ``n``, no repeats, read-only; the
            first ``k`` are the ``k`` labels the strategy picks.
        rounds: acquisition batches after the seed set, ``ceil((n - initial) / batch_size)``
            for every strategy (0 when ``n <= initial``).
        selection_seconds: wall time spent fitting the selector and scoring candidates
            (0.0 for ``random`` and ``stratified``).
        n_selector_fits: calls to ``fit_proba``; equals ``rounds`` for model strategies
            except rounds whose labeled set held a single class (picked at random).
    """

    order: np.ndarray
    rounds: int
    selection_seconds: float
    n_selector_fits: int


def _check_strategy(strategy: str) -> None:
    if strategy in STRATEGIES:
        return
    hint = did_you_mean(str(strategy), STRATEGIES)
    raise UsageError(
        f"unknown acquisition strategy {strategy!r}{hint}; known: {', '.join(STRATEGIES)}")


def _check_args(
    n: int, n_pool: int, strategy: str, batch_size: int, initial: int,
    max_candidates: int | None, fit_proba: FitProba | None,
) -> None:
    _check_strategy(strategy)
    if n_pool < 1:
        raise UsageError(f"n_pool must be >= 1, got {n_pool}")
    if n < 0 or n > n_pool:
        raise UsageError(f"n must be between 0 and n_pool={n_pool}, got {n}")
    if batch_size < 1:
        raise UsageError(f"batch_size must be >= 1, got {batch_size}")
    if initial < 1 or initial > n_pool:
        raise UsageError(f"initial must be between 1 and n_pool={n_pool}, got {initial}")
    if max_candidates is not None and max_candidates < batch_size:
        raise UsageError(
            f"max_candidates must be None or >= batch_size={batch_size}, got {max_candidates}")
    if strategy in MODEL_STRATEGIES and fit_proba is None:
        raise UsageError(f"strategy {strategy!r} needs fit_proba (a selector model)")


def _as_labels(y: np.ndarray, n_pool: int) -> np.ndarray:
    labels = np.asarray(y)
    if labels.ndim != 1 or len(labels) != n_pool:
        raise UsageError(f"y must be 1-D with n_pool={n_pool} labels, got shape {labels.shape}")
    return labels


def _as_permutation(start_order: np.ndarray, n_pool: int) -> np.ndarray:
    perm = np.asarray(start_order)
    if (perm.ndim != 1 or len(perm) != n_pool or not np.issubdtype(perm.dtype, np.integer)
            or not np.array_equal(np.sort(perm), np.arange(n_pool))):
        raise UsageError(f"start_order must be a permutation of range(n_pool={n_pool})")
    return perm.astype(np.intp)


def _as_features(features: np.ndarray | None, n_pool: int) -> np.ndarray:
    if features is None:
        raise UsageError("strategy 'diversity' requires features (numeric, n_pool × d)")
    rows = np.asarray(features)
    if rows.ndim != 2 or rows.shape[0] != n_pool or not np.issubdtype(rows.dtype, np.number):
        raise UsageError(
            f"features must be a numeric 2-D array with n_pool={n_pool} rows, "
            f"got shape {rows.shape} and dtype {rows.dtype}")
    rows = rows.astype(float)
    if not np.isfinite(rows).all():
        raise UsageError("features must be finite (no NaN or inf)")
    return rows


def _check_proba(proba: Any, n_candidates: int) -> np.ndarray:
    p = np.asarray(proba, dtype=float)
    if p.ndim != 2 or p.shape[0] != n_candidates or p.shape[1] < 1:
        raise UsageError(
            f"fit_proba must return shape ({n_candidates}, n_classes), got {p.shape}")
    if not np.isfinite(p).all():
        raise UsageError("fit_proba returned non-finite probabilities")
    return p


def _result(order: np.ndarray, rounds: int, seconds: float, fits: int) -> AcquisitionResult:
    out = np.asarray(order, dtype=np.intp).copy()
    out.flags.writeable = False
    return AcquisitionResult(order=out, rounds=rounds, selection_seconds=seconds,
                             n_selector_fits=fits)


def acquisition_order(
    n: int,
    *,
    n_pool: int,
    strategy: str,
    batch_size: int,
    initial: int,
    seed: int,
    y: np.ndarray,
    fit_proba: FitProba | None = None,
    features: np.ndarray | None = None,
    max_candidates: int | None = 20000,
    start_order: np.ndarray | None = None,
) -> AcquisitionResult:
    """The first ``n`` pool positions in the order ``strategy`` would label them.

    Seed set: ``start_order[:initial]`` when given (pass the repeat's nested stratified
    permutation so every strategy shares it), else the first ``initial`` rows of a nested
    stratified permutation of ``y`` drawn from ``seed``. Then rounds of ``batch_size``:

    * ``random``: a seeded uniform order of the rest of the pool (no model calls);
    * ``stratified``: the rest of that stratified permutation (no model calls);
    * ``uncertainty`` / ``margin`` / ``entropy``: ``fit_proba(labeled, candidates)`` and
      the candidates with the least confidence ``1 - max p`` / the smallest gap between
      the two largest ``p`` / the largest Shannon entropy;
    * ``diversity``: the top ``10 * batch_size`` by margin, clustered into ``batch_size``
      k-means clusters on standardised ``features``, the row nearest each centre.

    Candidates are all unlabeled rows, or a seeded random subsample of ``max_candidates``
    of them. Ties are broken by a seeded random array (``np.lexsort``). A round whose
    labeled rows hold a single class cannot fit a classifier: it picks its batch at random
    among the candidates and calls no model. The same arguments give the same order, and
    the order for ``n1 < n`` is a prefix of the order for ``n``.

    Args:
        n: number of positions to return (``0..n_pool``).
        n_pool: number of rows in the pool.
        strategy: one of :data:`STRATEGIES`.
        batch_size: rows labelled per round (``>= 1``).
        initial: size of the seed set (``1..n_pool``).
        seed: seed of every random choice (non-negative int).
        y: integer class codes of the pool rows (the "labels" of queried rows).
        fit_proba: ``fit_proba(labeled, candidates)`` → probabilities of the candidates,
            ``(len(candidates), n_columns)``; required by the model strategies.
        features: numeric ``(n_pool, d)`` array; required by ``diversity``.
        max_candidates: largest number of candidates scored per round (None: all).
        start_order: a permutation of ``range(n_pool)`` giving the seed set (and the
            ``stratified`` order).

    Raises:
        ValueError: on an unknown strategy or an invalid argument.
    """
    _check_args(n, n_pool, strategy, batch_size, initial, max_candidates, fit_proba)
    labels = _as_labels(y, n_pool)
    feats = _as_features(features, n_pool) if strategy == "diversity" else None
    if start_order is not None:
        base = _as_permutation(start_order, n_pool)
    else:
        from dataroi.data import nested_permutation

        base = nested_permutation(labels, derive_seed(seed, "acquisition", "start"))
    if n <= initial:
        return _result(base[:n], 0, 0.0, 0)
    rounds = math.ceil((n - initial) / batch_size)
    if strategy == "stratified":
        return _result(base[:n], rounds, 0.0, 0)
    if strategy == "random":
        rest = np.setdiff1d(np.arange(n_pool), base[:initial])  # sorted: seed-independent
        rng = np.random.default_rng(derive_seed(seed, "acquisition", "random"))
        return _result(np.concatenate([base[:initial], rng.permutation(rest)])[:n],
                       rounds, 0.0, 0)

    assert fit_proba is not None
    order = [int(i) for i in base[:initial]]
    labeled = np.zeros(n_pool, dtype=bool)
    labeled[order] = True
    seconds, fits = 0.0, 0
    for r in range(rounds):
        round_seed = derive_seed(seed, "acquisition", "round", r)
        rng = np.random.default_rng(round_seed)
        unlabeled = np.flatnonzero(~labeled)
        if max_candidates is not None and len(unlabeled) > max_candidates:
            candidates = np.sort(rng.choice(unlabeled, size=max_candidates, replace=False))
        else:
            candidates = unlabeled
        tiebreak = rng.random(len(candidates))
        b = min(batch_size, len(candidates))
        taken = np.asarray(order, dtype=np.intp)
        if len(np.unique(labels[taken])) < 2:
            # a single labeled class: no classifier can be fitted, pick at random
            batch = candidates[np.argsort(tiebreak, kind="stable")[:b]]
        else:
            start = time.perf_counter()
            proba = _check_proba(fit_proba(taken, candidates.copy()), len(candidates))
            fits += 1
            if strategy == "diversity":
                assert feats is not None
                picked = diverse_batch(proba, feats[candidates], b, tiebreak, round_seed)
            else:
                picked = rank_candidates(PRIORITIES[strategy](proba), tiebreak)[:b]
            batch = candidates[picked]
            seconds += time.perf_counter() - start
        batch = batch[: n - len(order)]
        order.extend(int(i) for i in batch)
        labeled[batch] = True
    return _result(np.asarray(order), rounds, seconds, fits)


def _softmax(scores: np.ndarray) -> np.ndarray:
    s = np.asarray(scores, dtype=float)
    if s.ndim == 1:  # binary decision_function: the score of classes_[1]
        s = np.column_stack([np.zeros_like(s), s])
    s = s - s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)


def make_fit_proba(
    estimator_factory: Callable[[], Any],
    X: Any,
    take: Callable[[Any, np.ndarray], Any],
    y: np.ndarray,
    n_classes: int,
) -> FitProba:
    """A ``fit_proba`` that fits a fresh estimator on the labeled rows of ``X``.

    Each call builds ``estimator_factory()``, fits it on ``take(X, labeled)`` with
    ``y[labeled]``, and returns ``predict_proba(take(X, candidates))`` (or a softmax of
    ``decision_function`` when the estimator has no ``predict_proba``) with its columns
    placed at the ``estimator.classes_`` codes of an ``(n, n_classes)`` matrix (zeros for
    classes the estimator did not see).

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> X, y = load_iris(return_X_y=True)
        >>> fp = make_fit_proba(lambda: LogisticRegression(max_iter=500), X,
        ...                     lambda data, idx: data[idx], y, n_classes=3)
        >>> p = fp(np.array([0, 1, 50, 51]), np.array([2, 100]))   # class 2 unseen
        >>> p.shape, bool((p[:, 2] == 0).all())
        ((2, 3), True)
    """
    codes_all = np.asarray(y)

    def fit_proba(labeled: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        estimator = estimator_factory()
        estimator.fit(take(X, labeled), codes_all[labeled])
        rows = take(X, candidates)
        if hasattr(estimator, "predict_proba"):
            proba = np.asarray(estimator.predict_proba(rows), dtype=float)
        elif hasattr(estimator, "decision_function"):
            proba = _softmax(estimator.decision_function(rows))
        else:
            raise UsageError(
                f"{type(estimator).__name__} has neither predict_proba nor decision_function")
        classes = np.asarray(estimator.classes_).astype(np.intp)
        if classes.min() < 0 or classes.max() >= n_classes:
            raise UsageError(f"estimator classes {classes.tolist()} are not codes "
                             f"0..{n_classes - 1}")
        out = np.zeros((proba.shape[0], n_classes))
        out[:, classes] = proba
        return out

    return fit_proba
