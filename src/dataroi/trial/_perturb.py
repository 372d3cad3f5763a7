"""Perturb one trial's training data: noisy labels, class-prior subsets, shift weights.

Everything here is pure numpy (plus scikit-learn for the small auxiliary models) and
works on one trial's *training* rows only. Every random function takes an ``int`` seed
or a :class:`numpy.random.Generator`, is deterministic for a given seed and never
modifies its inputs.

* :func:`flip_labels` — label noise at an *exact* rate: symmetric, class-conditional
  (a noise-transition matrix) or "hard" (concentrated on rows with high hardness).
* :func:`hardness_scores` — 1 − out-of-fold probability of the true class.
* :func:`prior_subset`, :func:`class_priors`, :func:`thinned_priors` — training subsets
  at a chosen class prior, nested across sizes.
* :func:`shift_weights` — covariate-shift importance weights from a domain classifier.
* :func:`numeric_matrix` — a float matrix for those auxiliary models.

Example:
    >>> import numpy as np
    >>> y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    >>> noisy = flip_labels(y, 0.3, n_classes=3, seed=0)
    >>> int((noisy != y).sum())
    3
    >>> order = np.arange(10)
    >>> prior_subset(order, y, 4, priors={0: 0.5, 1: 0.5}).tolist()
    [0, 1, 3, 4]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dataroi.exceptions import UsageError
from dataroi.spec import NOISE_KINDS

__all__ = [
    "class_priors",
    "flip_labels",
    "hardness_scores",
    "numeric_matrix",
    "prior_subset",
    "shift_weights",
    "thinned_priors",
]

Seed = int | np.random.Generator

_KINDS = NOISE_KINDS
_ROW_SUM_TOL = 1e-6
_PRIOR_SUM_TOL = 1e-6


# --------------------------------------------------------------------------- helpers


def _rng(seed: Seed) -> np.random.Generator:
    """A Generator from an int seed (or the Generator itself)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _int_seed(seed: Seed) -> int:
    """An int for scikit-learn's ``random_state`` (drawn from a Generator if given one)."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**32 - 1))
    return int(seed)


def _check_n_classes(n_classes: int) -> int:
    if isinstance(n_classes, bool) or not isinstance(n_classes, int | np.integer):
        raise UsageError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    if n_classes < 2:
        raise UsageError(f"n_classes must be >= 2, got {n_classes}")
    return int(n_classes)


def _check_labels(y: Any, n_classes: int) -> np.ndarray:
    """``y`` as a 1-D integer array with codes in ``0..n_classes-1`` (not copied)."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise UsageError(f"y must be 1-D, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise UsageError(f"y must hold integer class codes, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise UsageError(
            f"y must hold class codes in 0..{n_classes - 1}, "
            f"found values in {int(arr.min())}..{int(arr.max())}"
        )
    return arr


def _check_rate(rate: Any) -> float:
    if isinstance(rate, bool) or not isinstance(rate, int | float | np.integer | np.floating):
        raise UsageError(f"rate must be a number in [0, 1), got {rate!r}")
    value = float(rate)
    if not math.isfinite(value) or not 0.0 <= value < 1.0:
        raise UsageError(f"rate must be a finite number in [0, 1), got {rate!r}")
    return value


def _check_matrix(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise UsageError(f"{name} must be a 2-D numeric array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise UsageError(f"{name} must be finite (use numeric_matrix to impute NaN)")
    return arr


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer counts proportional to ``weights`` (sum exactly total).

    Floors of the quotas, then one more each for the largest fractional parts; ties go to
    the lower index.

    >>> _largest_remainder(11, np.array([0.1, 0.1])).tolist()
    [6, 5]
    """
    if total == 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    quotas = total * weights / weights.sum()
    counts = np.floor(quotas).astype(np.int64)
    short = total - int(counts.sum())
    if short > 0:
        frac = quotas - counts
        counts[np.argsort(-frac, kind="stable")[:short]] += 1
    return counts


def _other_class(labels: np.ndarray, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random class different from each of ``labels``."""
    offsets = rng.integers(1, n_classes, size=len(labels))
    return (labels.astype(np.int64) + offsets) % n_classes


# --------------------------------------------------------------------------- label noise


def flip_labels(
    y: Any,
    rate: float | None,
    *,
    n_classes: int,
    seed: Seed,
    kind: str = "symmetric",
    matrix: Any = None,
    hardness: Any = None,
) -> np.ndarray:
    """A copy of the training labels ``y`` with an exact number of them flipped.

    Kinds:

    * ``"symmetric"`` — exactly ``round(rate * len(y))`` positions, chosen uniformly
      without replacement, each get a uniformly random *other* class.
    * ``"class_conditional"`` — ``matrix`` is a row-stochastic (k, k) noise-transition
      matrix, ``T[i, j] = P(noisy = j | true = i)``. Of the ``n_i`` rows of true class
      ``i`` exactly ``round(n_i * (1 - T[i, i]))`` are flipped (positions random), and
      their new labels go to the classes ``j != i`` in exact counts proportional to
      ``T[i, j]`` (largest remainder, ties to the lower class code). ``rate`` is ignored.
    * ``"hard"`` — like symmetric (exactly ``round(rate * len(y))`` flips), but positions
      are drawn without replacement with probability proportional to ``hardness``
      (plus an epsilon of 1e-6 × max hardness, so zero-hardness rows stay possible and
      are used when there are too few hard rows).

    ``round`` is Python's (half to even). ``matrix`` and ``hardness`` are ignored by the
    kinds that do not use them.

    Args:
        y: integer class codes ``0..n_classes-1`` of the training rows.
        rate: share of rows to flip, in [0, 1) (ignored for ``"class_conditional"``).
        n_classes: number of classes k (>= 2).
        seed: int seed or Generator.
        kind: ``"symmetric"``, ``"class_conditional"`` or ``"hard"``.
        matrix: the (k, k) transition matrix for ``"class_conditional"``.
        hardness: per-row hardness (>= 0, larger = harder) for ``"hard"``, e.g. from
            :func:`hardness_scores`.

    Returns:
        The noisy labels, a new array of ``y``'s dtype.

    Example:
        >>> import numpy as np
        >>> y = np.repeat([0, 1], 50)
        >>> T = np.array([[0.8, 0.2], [0.1, 0.9]])
        >>> noisy = flip_labels(y, None, n_classes=2, seed=1, kind="class_conditional",
        ...                     matrix=T)
        >>> int((noisy[:50] == 1).sum()), int((noisy[50:] == 0).sum())
        (10, 5)
    """
    k = _check_n_classes(n_classes)
    labels = _check_labels(y, k)
    if kind not in _KINDS:
        raise UsageError(f"kind must be one of {', '.join(_KINDS)}; got {kind!r}")
    rng = _rng(seed)
    out = labels.copy()
    n = len(labels)

    if kind == "class_conditional":
        T = _transition_matrix(matrix, k)
        for i in range(k):
            rows = np.flatnonzero(labels == i)
            off = T[i].copy()
            off[i] = 0.0
            n_flip = round(len(rows) * (1.0 - T[i, i])) if off.sum() > 0 else 0
            n_flip = min(n_flip, len(rows))
            if n_flip == 0:
                continue
            chosen = rng.choice(rows, size=n_flip, replace=False)
            new = np.repeat(np.arange(k), _largest_remainder(n_flip, off))
            out[chosen] = rng.permutation(new)
        return out

    value = _check_rate(rate)
    n_flip = min(round(value * n), n)
    if n_flip == 0:
        return out
    if kind == "symmetric":
        chosen = rng.choice(n, size=n_flip, replace=False)
    else:
        weights = _hardness_weights(hardness, n)
        # Exponential race: the n_flip smallest Exp(weight) keys are a weighted draw
        # without replacement (successive sampling proportional to weight).
        keys = rng.exponential(size=n) / weights
        chosen = np.argsort(keys, kind="stable")[:n_flip]
    out[chosen] = _other_class(labels[chosen], k, rng)
    return out


def _transition_matrix(matrix: Any, k: int) -> np.ndarray:
    if matrix is None:
        raise UsageError("kind='class_conditional' needs a (k, k) transition matrix")
    T = np.asarray(matrix, dtype=np.float64)
    if T.shape != (k, k):
        raise UsageError(
            f"matrix must be square ({k}, {k}) for n_classes={k}, got shape {T.shape}"
        )
    if not np.all(np.isfinite(T)):
        raise UsageError("matrix must be finite")
    if np.any(T < 0):
        raise UsageError("matrix must be non-negative")
    sums = T.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > _ROW_SUM_TOL)
    if bad.size:
        i = int(bad[0])
        raise UsageError(f"matrix rows must sum to 1; row {i} sums to {sums[i]:.6g}")
    return T


def _hardness_weights(hardness: Any, n: int) -> np.ndarray:
    if hardness is None:
        raise UsageError("kind='hard' needs per-row hardness scores")
    h = np.asarray(hardness, dtype=np.float64)
    if h.shape != (n,):
        raise UsageError(f"hardness must have one value per label ({n}), got shape {h.shape}")
    if not np.all(np.isfinite(h)) or np.any(h < 0):
        raise UsageError("hardness must be finite and >= 0")
    top = float(h.max())
    eps = 1e-6 * top if top > 0 else 1.0
    return h + eps


def hardness_scores(
    X: Any,
    y: Any,
    *,
    n_classes: int,
    seed: Seed,
    folds: int = 5,
) -> np.ndarray:
    """How hard each row is: 1 − out-of-fold predicted probability of its true class.

    A standardised ``LogisticRegression(max_iter=200)`` is cross-validated with shuffled
    stratified folds (``random_state`` from ``seed``). If the smallest class has fewer
    rows than ``folds``, the folds are reduced (minimum 2); if that is impossible
    (a class with one row, or only one class) every score is 0. Convergence warnings of
    this auxiliary model are silenced.

    Args:
        X: numeric 2-D float array of the training rows (see :func:`numeric_matrix`).
        y: their integer class codes ``0..n_classes-1``.
        n_classes: number of classes (>= 2).
        seed: int seed or Generator.
        folds: number of cross-validation folds (>= 2).

    Returns:
        A float array, one score in [0, 1] per row.

    Example:
        >>> import numpy as np
        >>> X = np.array([[0.0], [0.1], [0.2], [0.3], [1.0], [1.1], [1.2], [0.15]])
        >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
        >>> h = hardness_scores(X, y, n_classes=2, seed=0, folds=2)
        >>> bool(h[7] > h[:7].max())
        True
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    k = _check_n_classes(n_classes)
    labels = _check_labels(y, k)
    features = _check_matrix(X, "X")
    if features.shape[0] != len(labels):
        raise UsageError(f"X has {features.shape[0]} rows but y has {len(labels)} labels")
    if isinstance(folds, bool) or not isinstance(folds, int | np.integer) or folds < 2:
        raise UsageError(f"folds must be an integer >= 2, got {folds!r}")
    counts = np.bincount(labels, minlength=k)
    present = counts[counts > 0]
    n_folds = min(int(folds), int(present.min())) if present.size else 0
    if present.size < 2 or n_folds < 2:
        return np.zeros(len(labels), dtype=np.float64)
    cv = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=_int_seed(seed))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=200))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        proba = cross_val_predict(model, features, labels, cv=cv, method="predict_proba")
    column = np.searchsorted(np.unique(labels), labels)
    p_true = proba[np.arange(len(labels)), column]
    return np.clip(1.0 - p_true, 0.0, 1.0)


# --------------------------------------------------------------------------- class priors


def _check_priors(priors: Any, name: str = "priors") -> dict[int, float]:
    """``priors`` as {int class: float share}, validated (shares >= 0, sum 1 ± 1e-6)."""
    if not isinstance(priors, Mapping) or not priors:
        raise UsageError(f"{name} must be a non-empty dict of class code -> share")
    out: dict[int, float] = {}
    for key, share in priors.items():
        if isinstance(key, bool) or not isinstance(key, int | np.integer):
            raise UsageError(f"{name} keys must be integer class codes, got {key!r}")
        value = float(share)
        if not math.isfinite(value) or value < 0:
            raise UsageError(f"{name}[{key}] must be a finite share >= 0, got {share!r}")
        out[int(key)] = value
    total = sum(out.values())
    if abs(total - 1.0) > _PRIOR_SUM_TOL:
        raise UsageError(f"{name} must sum to 1, got {total:.6g}")
    return out


def _prior_counts(n: int, priors: dict[int, float]) -> dict[int, int]:
    """Per-class counts for ``n`` rows, house-monotone in ``n`` and within quota.

    The Balinski–Young quota method: seats are handed out one at a time, each to the
    class with the largest ``p / (count + 1)`` among those still below their upper quota
    ``m * p`` at house size ``m`` (ties to the lower class code). Counts therefore never
    decrease as ``n`` grows (unlike largest-remainder rounding — the Alabama paradox) and
    always lie between ``floor(n * p)`` and ``ceil(n * p)``.

    >>> [_prior_counts(n, {0: 0.5, 1: 0.3, 2: 0.2}) for n in (1, 3)]
    [{0: 1, 1: 0, 2: 0}, {0: 2, 1: 1, 2: 0}]
    """
    classes = sorted(priors)
    total = sum(priors.values())
    share = [priors[c] / total for c in classes]
    active = [i for i, p in enumerate(share) if p > 0]
    counts = [0] * len(classes)
    for m in range(1, n + 1):
        best, best_priority = active[0], -1.0
        for i in active:
            if counts[i] < m * share[i] - 1e-9:
                priority = share[i] / (counts[i] + 1)
                if priority > best_priority:
                    best, best_priority = i, priority
        counts[best] += 1
    return dict(zip(classes, counts, strict=True))


def prior_subset(order: Any, y: Any, n: int, *, priors: Mapping[int, float]) -> np.ndarray:
    """Exactly ``n`` row positions at the class prior ``priors``, nested across ``n``.

    The per-class counts come from a house-monotone apportionment of ``n`` (they lie
    between ``floor(n * p)`` and ``ceil(n * p)`` and never decrease as ``n`` grows); for
    each class the *first* rows of that class in ``order`` are taken, so
    ``prior_subset(order, y, n1)`` ⊆ ``prior_subset(order, y, n2)`` for ``n1 < n2``.

    Args:
        order: a permutation of candidate row positions (the repeat's nested order).
        y: integer labels indexed by row position (``y[order[i]]`` is the label of the
            i-th candidate).
        n: number of rows to return (>= 0).
        priors: {class code: share}; shares >= 0 summing to 1 ± 1e-6; classes missing
            from the dict get 0.

    Returns:
        The chosen positions, in the order they appear in ``order``.

    Raises:
        ValueError: a class has too few rows in ``order`` for its count.

    Example:
        >>> import numpy as np
        >>> y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
        >>> order = np.array([9, 0, 8, 1, 2, 7, 3, 6, 4, 5])
        >>> prior_subset(order, y, 4, priors={0: 0.5, 1: 0.5}).tolist()
        [9, 0, 8, 1]
    """
    shares = _check_priors(priors)
    positions = np.asarray(order)
    labels_by_row = np.asarray(y)
    if positions.ndim != 1 or (positions.size and not np.issubdtype(positions.dtype,
                                                                      np.integer)):
        raise UsageError("order must be a 1-D array of integer row positions")
    if labels_by_row.ndim != 1:
        raise UsageError(f"y must be 1-D, got shape {labels_by_row.shape}")
    if positions.size and (positions.min() < 0 or positions.max() >= len(labels_by_row)):
        raise UsageError(f"order holds positions outside 0..{len(labels_by_row) - 1}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise UsageError(f"n must be an integer >= 0, got {n!r}")
    labels = labels_by_row[positions]
    keep: list[np.ndarray] = []
    for cls, count in _prior_counts(int(n), shares).items():
        if count == 0:
            continue
        where = np.flatnonzero(labels == cls)
        if len(where) < count:
            raise UsageError(
                f"class {cls} needs {count} rows for n={n} at prior {shares[cls]:.4g}, "
                f"but only {len(where)} exist"
            )
        keep.append(where[:count])
    if not keep:
        return positions[:0].copy()
    return positions[np.sort(np.concatenate(keep))]


def thinned_priors(
    base_priors: Mapping[int, float], thin: Mapping[int, float]
) -> dict[int, float]:
    """Priors with some classes thinned: share × (1 − rate), then renormalised.

    Args:
        base_priors: {class code: share}, summing to 1 (e.g. from :func:`class_priors`).
        thin: {class code: rate in [0, 1)}; every class must be in ``base_priors``.

    Returns:
        New {class code: share} with the same keys, summing to 1.

    Example:
        >>> thinned_priors({0: 0.5, 1: 0.5}, {1: 0.5})
        {0: 0.6666666666666666, 1: 0.3333333333333333}
    """
    base = _check_priors(base_priors, "base_priors")
    if not isinstance(thin, Mapping):
        raise UsageError("thin must be a dict of class code -> rate")
    scaled = dict(base)
    for cls, rate in thin.items():
        if isinstance(cls, bool) or not isinstance(cls, int | np.integer) or int(cls) not in base:
            raise UsageError(
                f"thin names unknown class {cls!r}; known classes: {sorted(base)}"
            )
        try:
            value = _check_rate(rate)
        except ValueError:
            raise UsageError(
                f"thin rate for class {cls} must be a finite number in [0, 1), got {rate!r}"
            ) from None
        scaled[int(cls)] *= 1.0 - value
    total = sum(scaled.values())
    return {cls: share / total for cls, share in scaled.items()}


def class_priors(y: Any, n_classes: int) -> dict[int, float]:
    """Empirical class shares of ``y``: {class code: share} for every code 0..k-1.

    Example:
        >>> class_priors([0, 1, 1, 1], 3)
        {0: 0.25, 1: 0.75, 2: 0.0}
    """
    k = _check_n_classes(n_classes)
    labels = _check_labels(y, k)
    if labels.size == 0:
        raise UsageError("y is empty: class priors are undefined")
    counts = np.bincount(labels, minlength=k)
    return {c: float(counts[c] / labels.size) for c in range(k)}


# --------------------------------------------------------------------------- covariate shift


def shift_weights(
    X_train: Any, X_target: Any, *, seed: Seed, clip: float = 20.0
) -> np.ndarray:
    """Covariate-shift importance weights ``w(x) = p_target(x) / p_train(x)``.

    A domain classifier (standardised ``LogisticRegression``) tells target rows from
    training rows; its out-of-fold probability ``p`` of "target" for each training row
    (5 shuffled stratified folds, fewer if a side has fewer than 5 rows) gives
    ``w = p / (1 - p) * n_train / n_target``, clipped to ``[1/clip, clip]`` and then
    normalised to mean 1 (so after normalisation a weight may lie slightly outside the
    clip range).

    Args:
        X_train: numeric 2-D float array of the training rows.
        X_target: numeric 2-D float array of rows from the target distribution, same
            columns.
        seed: int seed or Generator (for the folds).
        clip: > 1; bounds the weights' spread.

    Returns:
        One weight per training row, mean 1.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X_train = rng.normal(0.0, 1.0, size=(200, 1))
        >>> X_target = rng.normal(1.0, 1.0, size=(200, 1))
        >>> w = shift_weights(X_train, X_target, seed=0)
        >>> round(float(w.mean()), 6), bool(w[X_train[:, 0] > 1].mean() > 1)
        (1.0, True)
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train = _check_matrix(X_train, "X_train")
    target = _check_matrix(X_target, "X_target")
    if train.shape[1] != target.shape[1]:
        raise UsageError(
            f"X_train has {train.shape[1]} columns but X_target has {target.shape[1]}"
        )
    clip_value = float(clip)
    if not math.isfinite(clip_value) or clip_value <= 1.0:
        raise UsageError(f"clip must be a finite number > 1, got {clip!r}")
    n_train, n_target = train.shape[0], target.shape[0]
    n_folds = min(5, n_train, n_target)
    if n_folds < 2:
        raise UsageError(
            f"shift_weights needs at least 2 training and 2 target rows, "
            f"got {n_train} and {n_target}"
        )
    features = np.vstack([train, target])
    domain = np.r_[np.zeros(n_train, dtype=np.int64), np.ones(n_target, dtype=np.int64)]
    cv = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=_int_seed(seed))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=200))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        proba = cross_val_predict(model, features, domain, cv=cv, method="predict_proba")
    p = np.clip(proba[:n_train, 1], 1e-12, 1.0 - 1e-12)
    w = p / (1.0 - p) * (n_train / n_target)
    w = np.clip(w, 1.0 / clip_value, clip_value)
    return w / w.mean()


# --------------------------------------------------------------------------- features


def numeric_matrix(frame: pd.DataFrame) -> np.ndarray:
    """A float64 matrix of a feature frame, for *auxiliary* models only.

    Meant for the small models of this package (hardness, shift weights, diversity), not
    for the user's model: numeric and bool columns are kept as numbers with NaN/±inf
    replaced by the column median (0 if the column has no finite value); every other
    column (categorical, object, string, datetime …) becomes its category codes, a
    missing value replaced by the most frequent code (0 if all are missing).

    Args:
        frame: the feature columns.

    Returns:
        A (rows, columns) float64 array with no NaN.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"a": [1.0, None, 3.0], "b": ["x", None, "x"],
        ...                    "c": [True, False, True]})
        >>> numeric_matrix(df).tolist()
        [[1.0, 0.0, 1.0], [2.0, 0.0, 0.0], [3.0, 0.0, 1.0]]
    """
    if not isinstance(frame, pd.DataFrame):
        raise UsageError(f"numeric_matrix needs a pandas DataFrame, got {type(frame).__name__}")
    out = np.zeros(frame.shape, dtype=np.float64)
    for j in range(frame.shape[1]):
        col = frame.iloc[:, j]
        dtype = col.dtype
        numeric = (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)) \
            and not isinstance(dtype, pd.CategoricalDtype)
        if numeric:
            values = col.to_numpy(dtype=np.float64, na_value=np.nan)
            finite = np.isfinite(values)
            fill = float(np.median(values[finite])) if finite.any() else 0.0
            out[:, j] = np.where(finite, values, fill)
        else:
            codes = np.asarray(pd.Categorical(col).codes, dtype=np.int64)
            valid = codes >= 0
            fill = int(np.bincount(codes[valid]).argmax()) if valid.any() else 0
            out[:, j] = np.where(valid, codes, fill)
    return out
