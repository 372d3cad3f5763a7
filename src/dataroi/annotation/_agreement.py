"""Chance-corrected agreement: Cohen's kappa, Fleiss' kappa, Krippendorff's alpha (nominal).

Each statistic is computed from per-item quantities, so a bootstrap over items is a
matrix product of item weights with those quantities (no Python loop over replicates).

Example:
    >>> counts = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
    ...           [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
    ...           [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    >>> round(fleiss_kappa(counts), 3)
    0.21
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dataroi._random import rng
from dataroi.exceptions import DataError, UsageError

__all__ = [
    "AgreementEstimate",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
]


@dataclass(frozen=True)
class AgreementEstimate:
    """A chance-corrected agreement statistic with a bootstrap interval over items.

    Attributes:
        statistic: ``cohen_kappa`` (mean pairwise for more than two annotators),
            ``fleiss_kappa`` or ``krippendorff_alpha``.
        value: the estimate (NaN when undefined, e.g. a single class or no item with two
            annotations).
        ci_low: lower end of the percentile interval.
        ci_high: upper end.
        level: interval level (e.g. 0.95).
        n_items: items that entered the statistic (two annotations or more).
        n_boot: bootstrap replicates (0: no interval).
    """

    statistic: str
    value: float
    ci_low: float
    ci_high: float
    level: float
    n_items: int
    n_boot: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dictionary (NaN becomes None)."""
        return {k: (None if isinstance(v, float) and v != v else v)
                for k, v in asdict(self).items()}


def rng_for(seed: int | None, purpose: str) -> np.random.Generator:
    """A generator keyed by the root seed and the purpose's name (not by call order)."""
    return np.random.default_rng() if seed is None else rng(seed, purpose)


def weight_chunks(rng: np.random.Generator, n_items: int, n_boot: int,
                  max_cells: int = 2_000_000) -> Iterator[np.ndarray]:
    """Bootstrap item weights (multinomial resample counts) in ``(chunk, n_items)`` blocks."""
    chunk = max(1, min(n_boot, max_cells // max(n_items, 1)))
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        flat = rng.integers(0, n_items, size=(b, n_items)) + (np.arange(b) * n_items)[:, None]
        done += b
        yield np.bincount(flat.ravel(), minlength=b * n_items).reshape(b, n_items).astype(float)


def percentile_interval(draws: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of finite draws (NaN, NaN when there are none)."""
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _as_counts(counts: Any) -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2 or c.size == 0:
        raise UsageError(f"counts must be a non-empty (n_items, n_classes) table, got shape "
                         f"{c.shape}")
    if (c < 0).any() or not np.isfinite(c).all():
        raise DataError("counts must be finite and non-negative")
    return c


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(a, dtype=float) / b
    out[~np.isfinite(out)] = np.nan
    return out


# --- Fleiss' kappa --------------------------------------------------------------------


def _fleiss_parts(c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pairable item: observed agreement P_i, class counts, number of ratings."""
    m = c.sum(axis=1)
    keep = m >= 2
    c, m = c[keep], m[keep]
    p_i = ((c * c).sum(axis=1) - m) / (m * (m - 1))
    return p_i, c, m


def _fleiss_from(w: np.ndarray, p_i: np.ndarray, c: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Fleiss' kappa for item weights ``w`` of shape (B, n)."""
    p_bar = _divide(w @ p_i, w.sum(axis=1))
    p_j = _divide(w @ c, (w @ m)[:, None])
    p_e = (p_j**2).sum(axis=1)
    return _divide(p_bar - p_e, 1 - p_e)


def fleiss_kappa(counts: Any) -> float:
    """Fleiss' kappa from an ``(n_items, n_classes)`` table of rating counts.

    ``P_i = (Σ_j n_ij² − n_i) / (n_i (n_i − 1))``, ``P̄ = mean_i P_i``,
    ``p_j = Σ_i n_ij / Σ_i n_i``, ``P_e = Σ_j p_j²`` and ``κ = (P̄ − P_e) / (1 − P_e)``
    (Fleiss 1971). Items may have different numbers of ratings; items with fewer than
    two are left out. With equal numbers this is exactly Fleiss' statistic.

    Args:
        counts: rating counts per item (rows) and class (columns).

    Returns:
        The kappa (NaN when undefined: one class only, or no item rated twice).

    Example:
        >>> round(fleiss_kappa([[2, 0], [0, 2], [1, 1]]), 4)
        0.3333
    """
    p_i, c, m = _fleiss_parts(_as_counts(counts))
    if p_i.size == 0:
        return float("nan")
    return float(_fleiss_from(np.ones((1, p_i.size)), p_i, c, m)[0])


# --- Krippendorff's alpha ------------------------------------------------------------


def _alpha_parts(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pairable unit: observed disagreeing pairable values D_u and class counts."""
    m = c.sum(axis=1)
    keep = m >= 2
    c, m = c[keep], m[keep]
    d_u = (m * m - (c * c).sum(axis=1)) / (m - 1)
    return d_u, c


def _alpha_from(w: np.ndarray, d_u: np.ndarray, c: np.ndarray) -> np.ndarray:
    n_c = w @ c
    n = n_c.sum(axis=1)
    expected = n * n - (n_c * n_c).sum(axis=1)
    return 1 - _divide((n - 1) * (w @ d_u), expected)


def krippendorff_alpha(reliability_data: Any) -> float:
    """Krippendorff's alpha for nominal data, with missing values.

    ``reliability_data`` is Krippendorff's layout: one row per coder, one column per unit,
    ``None``/NaN where a coder gave no value. With ``o_ck`` the coincidence matrix (each
    unit's ``m_u`` values give ``m_u (m_u − 1)`` ordered pairs of weight ``1 / (m_u − 1)``),
    ``n_c = Σ_k o_ck`` and ``n = Σ_c n_c``:
    ``α = 1 − (n − 1) Σ_{c≠k} o_ck / Σ_{c≠k} n_c n_k`` (Krippendorff 2011). Units with one
    value are not pairable and are left out.

    Args:
        reliability_data: coders × units values (any hashable labels).

    Returns:
        The alpha (NaN when undefined).

    Example:
        >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        ...         [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]
        >>> round(krippendorff_alpha(data), 3)
        0.743
    """
    import pandas as pd

    frame = pd.DataFrame(reliability_data)
    if frame.ndim != 2 or frame.size == 0:
        raise UsageError("reliability_data must be a non-empty coders × units table")
    long = frame.stack().dropna()
    if long.empty:
        return float("nan")
    units = np.asarray(long.index.get_level_values(1))
    unit_idx, _ = pd.factorize(units)
    value_idx, values = pd.factorize(long.to_numpy())
    c = np.zeros((unit_idx.max() + 1, len(values)))
    np.add.at(c, (unit_idx, value_idx), 1.0)
    return alpha_from_counts(c)


def alpha_from_counts(counts: Any) -> float:
    """Krippendorff's nominal alpha from an ``(n_units, n_classes)`` table of value counts.

    Example:
        >>> alpha_from_counts([[2, 0], [0, 2], [1, 1]])
        0.4444444444444444
    """
    d_u, c = _alpha_parts(_as_counts(counts))
    if d_u.size == 0:
        return float("nan")
    return float(_alpha_from(np.ones((1, d_u.size)), d_u, c)[0])


# --- Cohen's kappa -------------------------------------------------------------------


def _kappa_from(w: np.ndarray, agree: np.ndarray, onehot_a: np.ndarray,
                onehot_b: np.ndarray) -> np.ndarray:
    s = w.sum(axis=1)
    p_o = _divide(w @ agree, s)
    p_e = (_divide(w @ onehot_a, s[:, None]) * _divide(w @ onehot_b, s[:, None])).sum(axis=1)
    return _divide(p_o - p_e, 1 - p_e)


def cohen_kappa(labels_a: Sequence[Any], labels_b: Sequence[Any]) -> float:
    """Cohen's kappa of two annotators who labeled the same items.

    ``κ = (p_o − p_e) / (1 − p_e)`` with ``p_o`` the share of items on which they agree and
    ``p_e = Σ_c p_a(c) p_b(c)`` the agreement expected from their marginals (Cohen 1960).

    Args:
        labels_a: the first annotator's labels.
        labels_b: the second annotator's labels, same items, same order.

    Returns:
        The kappa (NaN when both gave one and the same class to every item).

    Example:
        >>> cohen_kappa(["a", "a", "b", "b"], ["a", "b", "b", "b"])
        0.5
    """
    import pandas as pd

    a, b = np.asarray(labels_a, dtype=object), np.asarray(labels_b, dtype=object)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise UsageError(f"cohen_kappa needs two non-empty label sequences of equal length, "
                         f"got {a.shape} and {b.shape}")
    codes, uniques = pd.factorize(np.concatenate([a, b]))
    k = len(uniques)
    eye = np.eye(k)
    ca, cb = codes[: a.size], codes[a.size:]
    return float(_kappa_from(np.ones((1, a.size)), (ca == cb).astype(float), eye[ca],
                             eye[cb])[0])


# --- bootstrap over items ------------------------------------------------------------


def _pairs(matrix: np.ndarray, min_items: int) -> list[tuple[int, int, np.ndarray]]:
    present = (matrix >= 0).astype(float)
    together = present.T @ present
    out = []
    n_ann = matrix.shape[1]
    for a in range(n_ann):
        for b in range(a + 1, n_ann):
            if together[a, b] >= min_items:
                out.append((a, b, np.flatnonzero((matrix[:, a] >= 0) & (matrix[:, b] >= 0))))
    return out


def agreement_estimates(
    counts: np.ndarray,
    matrix: np.ndarray,
    *,
    n_boot: int,
    level: float,
    rng: np.random.Generator,
    min_pair_items: int = 2,
) -> tuple[list[AgreementEstimate], list[dict[str, Any]]]:
    """Cohen (mean pairwise), Fleiss and Krippendorff with a shared bootstrap over items.

    Args:
        counts: ``(n_items, n_classes)`` rating counts.
        matrix: ``(n_items, n_annotators)`` class codes, ``-1`` where missing.
        n_boot: bootstrap replicates (0 for none).
        level: interval level.
        rng: generator of the item resamples.
        min_pair_items: fewest shared items for a pair of annotators to enter Cohen's kappa.

    Returns:
        The three estimates and the pairwise Cohen kappas
        (``{"a", "b", "n_items", "kappa"}`` with annotator codes).
    """
    k = counts.shape[1]
    eye = np.eye(k)
    n_rated = counts.sum(axis=1)
    pairable = n_rated >= 2
    f_parts = _fleiss_parts(counts.astype(float))
    a_parts = _alpha_parts(counts.astype(float))
    pairs = _pairs(matrix, min_pair_items)
    pair_data = []
    for a, b, idx in pairs:
        la, lb = matrix[idx, a], matrix[idx, b]
        pair_data.append((idx, (la == lb).astype(float), eye[la], eye[lb]))

    def stats(w: np.ndarray) -> dict[str, np.ndarray]:
        wp = w[:, pairable]
        out = {"fleiss_kappa": _fleiss_from(wp, *f_parts),
               "krippendorff_alpha": _alpha_from(wp, *a_parts)}
        if pair_data:
            per_pair = np.stack([_kappa_from(w[:, idx], ag, oa, ob)
                                 for idx, ag, oa, ob in pair_data], axis=1)
            with np.errstate(invalid="ignore"):
                finite = np.isfinite(per_pair)
                total = np.where(finite, per_pair, 0.0).sum(axis=1)
                out["cohen_kappa"] = _divide(total, finite.sum(axis=1))
            out["_pairs"] = per_pair
        else:
            out["cohen_kappa"] = np.full(w.shape[0], np.nan)
        return out

    point = stats(np.ones((1, counts.shape[0])))
    draws: dict[str, list[np.ndarray]] = {"fleiss_kappa": [], "krippendorff_alpha": [],
                                          "cohen_kappa": []}
    if n_boot > 0 and pairable.any():
        for w in weight_chunks(rng, counts.shape[0], n_boot):
            s = stats(w)
            for name in draws:
                draws[name].append(s[name])
    n_items = {"fleiss_kappa": int(pairable.sum()), "krippendorff_alpha": int(pairable.sum()),
               "cohen_kappa": int(np.unique(np.concatenate([p[2] for p in pairs])).size)
               if pairs else 0}
    estimates = []
    for name in ("cohen_kappa", "fleiss_kappa", "krippendorff_alpha"):
        value = float(point[name][0])
        lo, hi = (percentile_interval(np.concatenate(draws[name]), level)
                  if draws[name] and np.isfinite(value) else (float("nan"), float("nan")))
        estimates.append(AgreementEstimate(name, value, lo, hi, level, n_items[name],
                                           n_boot if draws[name] else 0))
    pair_rows = [{"a": a, "b": b, "n_items": int(idx.size),
                  "kappa": float(point["_pairs"][0, j])}
                 for j, (a, b, idx) in enumerate(pairs)]
    return estimates, pair_rows


def bootstrap_ratio(rng: np.random.Generator, numerator: np.ndarray, denominator: np.ndarray,
                    n_boot: int, level: float) -> tuple[float, float]:
    """Interval of ``Σ num / Σ den`` under a bootstrap over the rows (clusters)."""
    if n_boot <= 0 or numerator.size == 0:
        return float("nan"), float("nan")
    draws = np.concatenate([_divide(w @ numerator, w @ denominator)
                            for w in weight_chunks(rng, numerator.size, n_boot)])
    return percentile_interval(draws, level)
