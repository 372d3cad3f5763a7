"""Nested training subsets: one (stratified) permutation of the pool per repeat.

Size n trains on the first n rows of the repeat's permutation (house rule 5), so the
subsets are nested and every model sees the same rows for the same (size, repeat).

For classification the permutation is stratified in every prefix: it starts with one
row of each class (in random order), so any prefix of n ≥ number of classes holds every
class; the rest interleaves the classes so that each prefix keeps the class proportions
within about one row per class.

Example:
    >>> import numpy as np
    >>> y = np.array([0] * 90 + [1] * 10)
    >>> perm = nested_permutation(y, seed=0)
    >>> sorted(set(y[perm[:2]].tolist()))
    [0, 1]
    >>> int(y[perm[:50]].sum())
    5
"""

from __future__ import annotations

import numpy as np

__all__ = ["nested_permutation"]


def nested_permutation(y_codes: np.ndarray | None, seed: int, n: int | None = None) -> np.ndarray:
    """Return a permutation of ``range(len(y_codes))`` (or ``range(n)`` for regression).

    Args:
        y_codes: integer class codes of the pool rows, or None for an unstratified one.
        seed: the repeat's seed.
        n: the pool size when ``y_codes`` is None.
    """
    rng = np.random.default_rng(seed)
    if y_codes is None:
        assert n is not None
        return rng.permutation(n)
    y = np.asarray(y_codes)
    classes = np.unique(y)
    order_keys = np.empty(len(y), dtype=float)
    firsts = []
    for c in classes:
        idx = np.flatnonzero(y == c)
        idx = rng.permutation(idx)
        n_c = len(idx)
        offset = rng.random()
        # the i-th row of class c sits at (i + offset) / n_c in [0, 1): a prefix of any
        # length takes each class in proportion to its share (systematic sampling)
        order_keys[idx] = (np.arange(n_c) + offset) / n_c
        firsts.append(idx[0])
    firsts_arr = rng.permutation(np.array(firsts))
    order_keys[firsts_arr] = -1.0 - np.arange(len(firsts_arr))[::-1] / (len(firsts_arr) + 1)
    # ties between classes are broken at random, not by class order
    tiebreak = rng.random(len(y))
    return np.lexsort((tiebreak, order_keys))
