"""Acquisition strategies: score candidates from predicted probabilities and pick a batch.

Every scoring function maps a probability matrix ``(n_candidates, n_columns)`` to a
*priority* (higher = more worth labelling). :func:`rank_candidates` turns priorities into
a deterministic ranking (ties broken by a seeded random array through ``np.lexsort``) and
:func:`diverse_batch` picks a diverse batch among the most uncertain candidates
(Zhdanov 2019: k-means on the top ``10 * b`` by margin, one row per cluster).

Example:
    >>> import numpy as np
    >>> proba = np.array([[0.9, 0.1], [0.55, 0.45], [0.7, 0.3]])
    >>> margin_priority(proba).round(2).tolist()
    [-0.8, -0.1, -0.4]
    >>> rank_candidates(margin_priority(proba), np.zeros(3)).tolist()
    [1, 2, 0]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from dataroi.spec import STRATEGIES as _SPEC_STRATEGIES

__all__ = [
    "MODEL_STRATEGIES",
    "STRATEGIES",
    "diverse_batch",
    "entropy_priority",
    "least_confidence_priority",
    "margin_priority",
    "rank_candidates",
]

#: Every acquisition strategy :func:`dataroi.acquisition.acquisition_order` knows (the
#: spec validates against the same tuple).
STRATEGIES: tuple[str, ...] = _SPEC_STRATEGIES

#: The strategies that fit a selector model every round (the others call no model).
MODEL_STRATEGIES: tuple[str, ...] = ("uncertainty", "margin", "entropy", "diversity")

#: Above this many clustered rows, :func:`diverse_batch` uses ``MiniBatchKMeans``.
_MINIBATCH_ABOVE = 5000


def _sorted_desc(proba: np.ndarray) -> np.ndarray:
    """Each row sorted from the largest probability down, padded to at least 2 columns."""
    p = np.asarray(proba, dtype=float)
    if p.shape[1] < 2:
        p = np.hstack([p, np.zeros((p.shape[0], 2 - p.shape[1]))])
    return -np.sort(-p, axis=1)


def least_confidence_priority(proba: np.ndarray) -> np.ndarray:
    """Least confidence ``1 - max_k p_k`` (higher = less confident).

    Example:
        >>> least_confidence_priority(np.array([[0.8, 0.2], [0.5, 0.5]])).round(2).tolist()
        [0.2, 0.5]
    """
    return 1.0 - _sorted_desc(proba)[:, 0]


def margin_priority(proba: np.ndarray) -> np.ndarray:
    """Negated margin ``-(p_(1) - p_(2))`` between the two largest probabilities.

    A single-column matrix counts the missing second column as 0.

    Example:
        >>> margin_priority(np.array([[0.6, 0.3, 0.1]])).round(2).tolist()
        [-0.3]
    """
    top = _sorted_desc(proba)
    return -(top[:, 0] - top[:, 1])


def entropy_priority(proba: np.ndarray) -> np.ndarray:
    """Shannon entropy ``-sum_k p_k log p_k`` in nats (``0 log 0 = 0``).

    Example:
        >>> entropy_priority(np.array([[0.5, 0.5], [1.0, 0.0]])).round(3).tolist()
        [0.693, 0.0]
    """
    p = np.asarray(proba, dtype=float)
    logs = np.log(np.where(p > 0, p, 1.0))
    return 0.0 - (p * logs).sum(axis=1)  # 0.0 - x: no negative zero


#: Priority function of each ranking strategy.
PRIORITIES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "uncertainty": least_confidence_priority,
    "margin": margin_priority,
    "entropy": entropy_priority,
}


def rank_candidates(priority: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Candidate indices from the highest priority down; ties go to the smaller tiebreak.

    Example:
        >>> rank_candidates(np.array([1.0, 2.0, 1.0]), np.array([0.9, 0.5, 0.1])).tolist()
        [1, 2, 0]
    """
    return np.lexsort((np.asarray(tiebreak), -np.asarray(priority, dtype=float)))


def _standardise(features: np.ndarray) -> np.ndarray:
    centred = features - features.mean(axis=0)
    scale = features.std(axis=0)
    return centred / np.where(scale > 0, scale, 1.0)


def diverse_batch(
    proba: np.ndarray, features: np.ndarray, batch_size: int, tiebreak: np.ndarray,
    random_state: int,
) -> np.ndarray:
    """A diverse batch of ``batch_size`` candidate indices, best margin rank first.

    Takes the top ``min(n, 10 * batch_size)`` candidates by margin, standardises their
    ``features`` columns, clusters them into ``batch_size`` groups with k-means (one
    initialisation; ``MiniBatchKMeans`` above 5000 rows) and keeps the row closest to each
    centre. Empty clusters (duplicate rows) are filled with the next rows by margin. The
    batch is returned ordered by margin rank, so a shorter batch is its prefix.

    Args:
        proba: predicted probabilities of the candidates, ``(n, n_columns)``.
        features: numeric features of the candidates, ``(n, d)``.
        batch_size: number of rows to pick (``>= 1``).
        tiebreak: seeded random array of length ``n`` breaking ties in the margin rank.
        random_state: seed of the k-means initialisation.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> p = rng.dirichlet([1, 1, 1], size=50)
        >>> batch = diverse_batch(p, rng.normal(size=(50, 2)), 4, rng.random(50), 0)
        >>> len(set(batch.tolist()))
        4
    """
    ranked = rank_candidates(margin_priority(proba), tiebreak)
    b = min(batch_size, len(ranked))
    top = ranked[: min(len(ranked), 10 * b)]
    if len(top) <= b:
        return top
    rows = _standardise(np.asarray(features, dtype=float)[top])
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.exceptions import ConvergenceWarning

    if len(top) > _MINIBATCH_ABOVE:
        km: KMeans | MiniBatchKMeans = MiniBatchKMeans(
            n_clusters=b, n_init=1, random_state=random_state)
    else:
        km = KMeans(n_clusters=b, n_init=1, random_state=random_state)
    with warnings.catch_warnings():
        # duplicate rows can leave fewer distinct clusters than b: filled below
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = km.fit_predict(rows)
    dist = ((rows - km.cluster_centers_[labels]) ** 2).sum(axis=1)
    rank_pos = np.arange(len(top))
    # per cluster, the row nearest its centre (ties: the better margin rank)
    by_cluster = np.lexsort((rank_pos, dist, labels))
    first = np.ones(len(top), dtype=bool)
    first[1:] = labels[by_cluster][1:] != labels[by_cluster][:-1]
    chosen = np.zeros(len(top), dtype=bool)
    chosen[by_cluster[first]] = True
    missing = b - int(chosen.sum())
    if missing > 0:
        chosen[np.flatnonzero(~chosen)[:missing]] = True
    return top[np.flatnonzero(chosen)[:b]]
