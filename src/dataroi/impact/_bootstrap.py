"""Paired bootstrap of per-row differences with BCa intervals, keyed streams; BH procedure.

The statistic is the mean of a per-row difference ``d = candidate - baseline`` (value,
correctness, ...), overall and per group (segment or period). Resampling rows with
replacement and taking the mean of ``d`` is exactly scipy's
``bootstrap((baseline, candidate), lambda b, c: c.mean() - b.mean(), paired=True)``; a
group is resampled on its own rows, exactly as scipy would on the group alone.

Every resampling *stream* is keyed by its role: the overall stream by ``"overall"``, a
group's by its label (house rule 4). So the overall interval does not change when the
segment list changes, and a segment's interval does not change when another segment or
column is added.

How a stream stays fast on a million rows (no Python loop over rows), exact in
distribution:

* Rows whose differences are all zero (the two models agree) are one cell: the number of
  draws that land on them is binomial, and only the other rows are drawn one by one.
* When the non-zero rows take few distinct values (payoff matrices, 0/1 correctness,
  most expressions), the counts of each distinct value are multinomial, so a resample
  costs O(distinct values) instead of O(rows).

BCa follows Efron & Tibshirani (1993) §14.3 as scipy does; the jackknife acceleration of
a mean has the closed form ``a = Σ(x - x̄)³ / (6 (Σ(x - x̄)²)^1.5)``.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> d = rng.normal(0.1, 1.0, 2000)
    >>> res = paired_bootstrap(d[:, None], n_resamples=999, seed=1)
    >>> iv = res.interval(0)
    >>> iv.ci_low < 0.1 < iv.ci_high
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataroi.exceptions import UsageError

__all__ = [
    "BootstrapResult",
    "Interval",
    "bca_interval",
    "benjamini_hochberg",
    "child_seed",
    "format_share",
    "paired_bootstrap",
    "paired_t_pvalue",
    "stream_means",
]

_FAST_PATH_CELLS = 4096
_CHUNK_DRAWS = 1 << 24


@dataclass(frozen=True)
class Interval:
    """A point estimate with its BCa interval and bootstrap summaries.

    Attributes:
        estimate: the statistic on the data.
        ci_low: lower bound of the interval.
        ci_high: upper bound of the interval.
        se: bootstrap standard error.
        p_below_zero: share of bootstrap replicates below 0 (for a candidate-minus-baseline
            difference: the bootstrap probability that the candidate is worse).
        n: rows the estimate rests on.
        method: ``"BCa"`` (bootstrap) or ``"t"`` (Student t with borrowed variance, for
            groups with few disagreeing rows; see :mod:`dataroi.impact._segments`).
        df: degrees of freedom of a ``"t"`` interval, else None.
    """

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    p_below_zero: float
    n: int
    method: str = "BCa"
    df: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "se": self.se, "p_below_zero": self.p_below_zero, "n": self.n,
                "method": self.method, "df": self.df}


def format_share(p: float, n_resamples: int) -> str:
    """A bootstrap share worded as what it is: a share of ``n_resamples`` replicates.

    A share of 1 (or 0) means "every replicate", not certainty: B replicates resolve a
    probability to about 1/B, so it is written as ``> 1 - 1/B`` (or ``< 1/B``).

    Example:
        >>> format_share(1.0, 2000), format_share(0.0, 2000), format_share(0.4125, 2000)
        ('> 0.9995', '< 0.0005', '0.412')
    """
    if p != p:
        return "n/a"
    edge = 1.0 / int(n_resamples)
    if p >= 1.0:
        return f"> {_round_down(1 - edge)}"
    if p <= 0.0:
        return f"< {_round_up(edge)}"
    return f"{p:.3g}"


def _round_down(x: float) -> str:
    digits = max(1, int(np.ceil(-np.log10(1 - x))))
    return f"{np.floor(x * 10 ** digits) / 10 ** digits:.{digits}f}"


def _round_up(x: float) -> str:
    digits = max(1, int(np.ceil(-np.log10(x))))
    return f"{np.ceil(x * 10 ** digits) / 10 ** digits:.{digits}f}"


def bca_interval(estimate: float, replicates: np.ndarray, acceleration: float, *,
                 confidence: float = 0.95) -> tuple[float, float]:
    """BCa bounds from bootstrap replicates (NaN replicates are ignored).

    Example:
        >>> import numpy as np
        >>> lo, hi = bca_interval(0.0, np.linspace(-1, 1, 1001), 0.0)
        >>> round(lo, 3), round(hi, 3)
        (-0.95, 0.95)
    """
    from scipy.special import ndtr, ndtri

    reps = replicates[np.isfinite(replicates)]
    if reps.size == 0:
        return float("nan"), float("nan")
    if np.all(reps == reps[0]):
        return float(reps[0]), float(reps[0])
    pct = ((reps < estimate).sum() + (reps <= estimate).sum()) / (2.0 * reps.size)
    z0 = float(ndtri(pct))
    alpha = (1.0 - confidence) / 2.0
    z_a = float(ndtri(alpha))
    a = acceleration if np.isfinite(acceleration) else 0.0
    n1, n2 = z0 + z_a, z0 - z_a
    a1 = float(ndtr(z0 + n1 / (1 - a * n1)))
    a2 = float(ndtr(z0 + n2 / (1 - a * n2)))
    if not (np.isfinite(a1) and np.isfinite(a2)):
        return float("nan"), float("nan")
    lo, hi = np.percentile(reps, [100 * a1, 100 * a2])
    return float(lo), float(hi)


def _acceleration(x: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Jackknife acceleration of the mean of x (optionally x given with repeat counts)."""
    if weights is None:
        if x.size < 3:
            return 0.0
        u = x - x.mean()
        num, den = float((u ** 3).sum()), float((u ** 2).sum())
    else:
        total = weights.sum()
        if total < 3:
            return 0.0
        u = x - (weights * x).sum() / total
        num, den = float((weights * u ** 3).sum()), float((weights * u ** 2).sum())
    return 0.0 if den <= 0 else num / (6.0 * den ** 1.5)


@dataclass(frozen=True)
class BootstrapResult:
    """Replicates of the mean of each statistic, overall and per group.

    Attributes:
        estimates: (k,) overall means of the k statistics.
        replicates: (B, k) overall bootstrap means (the ``"overall"`` stream), or None
            when only the groups were resampled.
        group_labels: the group labels, in order.
        group_sizes: (G,) rows per group.
        group_estimates: (G, k) group means.
        group_replicates: (B, G, k) group bootstrap means, each group resampled on its
            own rows from its own stream (keyed by its label).
        accelerations: (k,) jackknife accelerations overall.
        group_accelerations: (G, k).
        confidence: the confidence level of the intervals.
    """

    estimates: np.ndarray
    replicates: np.ndarray | None
    group_labels: tuple[Any, ...]
    group_sizes: np.ndarray
    group_estimates: np.ndarray
    group_replicates: np.ndarray
    accelerations: np.ndarray
    group_accelerations: np.ndarray
    confidence: float

    def interval(self, stat: int = 0) -> Interval:
        """The overall BCa interval of statistic ``stat``."""
        if self.replicates is None:
            raise UsageError("the overall stream was not resampled (overall=False)")
        return self._make(self.estimates[stat], self.replicates[:, stat],
                          self.accelerations[stat], int(self.group_sizes.sum()))

    def group_interval(self, group: int, stat: int = 0) -> Interval:
        """The BCa interval of statistic ``stat`` in group number ``group``."""
        return self._make(self.group_estimates[group, stat],
                          self.group_replicates[:, group, stat],
                          self.group_accelerations[group, stat], int(self.group_sizes[group]))

    def _make(self, est: float, reps: np.ndarray, acc: float, n: int) -> Interval:
        lo, hi = bca_interval(float(est), reps, float(acc), confidence=self.confidence)
        ok = reps[np.isfinite(reps)]
        se = float(ok.std(ddof=1)) if ok.size > 1 else float("nan")
        p = float((ok < 0).mean()) if ok.size else float("nan")
        return Interval(estimate=float(est), ci_low=lo, ci_high=hi, se=se, p_below_zero=p,
                        n=n)


def child_seed(seed: int | np.random.SeedSequence, *parts: Any) -> np.random.SeedSequence:
    """The seed of one resampling stream: ``seed`` extended by the stream's identity.

    Example:
        >>> a = child_seed(7, "group", "carrier=AA").generate_state(1)
        >>> bool((a == child_seed(7, "group", "carrier=AA").generate_state(1)).all())
        True
        >>> bool((a == child_seed(7, "group", "carrier=B6").generate_state(1)).all())
        False
    """
    base = seed if isinstance(seed, np.random.SeedSequence) else \
        np.random.SeedSequence(int(seed))
    key = tuple(int.from_bytes(hashlib.sha256(str(p).encode("utf-8", "surrogatepass"))
                               .digest()[:8], "little") for p in parts)
    return np.random.SeedSequence(base.entropy, spawn_key=tuple(base.spawn_key) + key)


def stream_means(values: np.ndarray, n_resamples: int,
                 rng: np.random.Generator) -> np.ndarray:
    """(B, k) means of B resamples of the rows of ``values`` (n, k), with replacement.

    Exact in distribution (the same as drawing n row indices uniformly each time); rows
    that are all zero form one cell, and few distinct non-zero rows are drawn as
    multinomial counts (see the module docstring).

    Example:
        >>> import numpy as np
        >>> d = np.array([[0.0], [0.0], [2.0], [4.0]])
        >>> m = stream_means(d, 4000, np.random.default_rng(0))
        >>> m.shape, round(float(m.mean()), 1)
        ((4000, 1), 1.5)
    """
    vals = np.asarray(values, dtype=np.float64)
    n, k = vals.shape
    n_res = int(n_resamples)
    sums = np.zeros((n_res, k))
    nonzero = np.flatnonzero(np.any(vals != 0, axis=1))
    if nonzero.size == 0:
        return sums
    block = np.ascontiguousarray(vals[nonzero])
    # distinct rows pay off when they are much fewer than the rows: a cell costs a
    # binomial draw per resample (~130 ns), a row draw 5-10 ns
    limit = min(_FAST_PATH_CELLS, max(16, nonzero.size // 16))
    cells = _distinct_rows(block, limit)
    if cells is not None:
        cell_vals, cell_counts = cells
        p = np.append(cell_counts, n - nonzero.size) / n
        counts = rng.multinomial(n, p, size=n_res)[:, :-1]
        sums = counts.astype(np.float64) @ cell_vals
    else:
        m = (rng.binomial(n, nonzero.size / n, size=n_res) if nonzero.size < n
             else np.full(n_res, n, dtype=np.int64))
        _group_sums(block, m.astype(np.int64), rng, sums)
    return sums / n


def paired_bootstrap(
    values: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    labels: Sequence[Any] | None = None,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int | np.random.SeedSequence = 0,
    overall: bool = True,
    resample_groups: Sequence[bool] | np.ndarray | None = None,
) -> BootstrapResult:
    """Bootstrap the mean of per-row differences overall and per group.

    The overall stream is keyed ``"overall"``, each group's by its label: what one of
    them gives does not depend on the others.

    Args:
        values: (n,) or (n, k) per-row differences (candidate - baseline) of k statistics;
            all statistics of a stream share its resamples.
        groups: (n,) group label of each row (segments, periods); None for one group.
            With ``labels``: integer codes into ``labels``.
        labels: the group labels when ``groups`` holds codes (0 .. len(labels) - 1).
        n_resamples: bootstrap resamples B.
        confidence: confidence level of the intervals.
        seed: root seed (an int or a ``SeedSequence``).
        overall: resample the overall stream (False: only the groups).
        resample_groups: (G,) which groups to resample (None: all); the replicates of
            the others are NaN (their estimates and accelerations are still computed).

    Returns:
        The replicates; call :meth:`BootstrapResult.interval` for BCa intervals.
    """
    vals = np.asarray(values, dtype=np.float64)
    if vals.ndim == 1:
        vals = vals[:, None]
    n, k = vals.shape
    if n == 0:
        raise UsageError("no rows to bootstrap")
    n_res = int(n_resamples)
    if groups is None:
        names: tuple[Any, ...] = ("all",)
        codes = np.zeros(n, dtype=np.int64)
    elif labels is not None:
        names = tuple(labels)
        codes = np.asarray(groups, dtype=np.int64)
    else:
        uniq, codes = np.unique(np.asarray(groups), return_inverse=True)
        names = tuple(uniq.tolist())
        codes = codes.ravel()
    n_groups = len(names)
    est = vals.mean(axis=0)
    acc = np.array([_acceleration(vals[:, j]) for j in range(k)])
    reps = (stream_means(vals, n_res, np.random.default_rng(child_seed(seed, "overall")))
            if overall else None)
    sizes = np.bincount(codes, minlength=n_groups)
    group_est = np.empty((n_groups, k))
    group_acc = np.empty((n_groups, k))
    group_reps = np.empty((n_res, n_groups, k))
    if groups is None:
        group_est[0], group_acc[0] = est, acc
        group_reps[:, 0, :] = reps if reps is not None else stream_means(
            vals, n_res, np.random.default_rng(child_seed(seed, "overall")))
    else:
        order = np.argsort(codes, kind="stable")
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        for g in range(n_groups):
            block = vals[order[starts[g]:starts[g] + sizes[g]]]
            if block.shape[0] == 0:
                group_est[g] = group_acc[g] = np.nan
                group_reps[:, g, :] = np.nan
                continue
            group_est[g] = block.mean(axis=0)
            group_acc[g] = [_acceleration(block[:, j]) for j in range(k)]
            if resample_groups is not None and not resample_groups[g]:
                group_reps[:, g, :] = np.nan
                continue
            rng = np.random.default_rng(child_seed(seed, "group", names[g]))
            group_reps[:, g, :] = stream_means(block, n_res, rng)
    return BootstrapResult(estimates=est, replicates=reps, group_labels=names,
                           group_sizes=sizes, group_estimates=group_est,
                           group_replicates=group_reps, accelerations=acc,
                           group_accelerations=group_acc, confidence=confidence)


def _distinct_rows(block: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Distinct rows of ``block`` with their counts, or None when more than ``limit``."""
    n, k = block.shape
    # cheap early exit: many distinct values in the first column
    if np.unique(block[: min(n, 200_000), 0]).size > limit:
        return None
    key = np.zeros(n, dtype=np.int64)
    radix = 1
    for j in range(k):
        uniq, inv = np.unique(block[:, j], return_inverse=True)
        if uniq.size > limit or radix * uniq.size >= 2 ** 62:
            return None
        key += inv.ravel().astype(np.int64) * radix
        radix *= uniq.size
    ukey, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if ukey.size > limit:
        return None
    counts = np.bincount(inverse.ravel(), minlength=ukey.size).astype(np.float64)
    return block[first], counts


def _group_sums(block: np.ndarray, m: np.ndarray, rng: np.random.Generator,
                out: np.ndarray) -> None:
    """Sum of m[b] uniform draws from ``block`` rows for every resample b, in chunks.

    Each statistic is gathered from its own contiguous column (a row gather of a 2-D
    array is several times slower); the draws are shared by the statistics.
    """
    size = block.shape[0]
    if size == 0:
        return
    columns = [np.ascontiguousarray(block[:, j]) for j in range(block.shape[1])]
    dtype = np.uint32 if size < 2 ** 32 else np.uint64
    b0 = 0
    n_res = m.size
    while b0 < n_res:
        total = 0
        b1 = b0
        while b1 < n_res and (total == 0 or total + m[b1] <= _CHUNK_DRAWS):
            total += int(m[b1])
            b1 += 1
        ms = m[b0:b1]
        if total:
            idx = rng.integers(0, size, total, dtype=dtype)
            offsets = np.concatenate([[0], np.cumsum(ms)[:-1]])
            nz = ms > 0
            rows = np.flatnonzero(nz) + b0
            for j, col in enumerate(columns):
                out[rows, j] = np.add.reduceat(col[idx], offsets[nz])
        b0 = b1


def paired_t_pvalue(d: np.ndarray) -> float:
    """One-sided p-value of the paired t-test, H1: mean(d) < 0 (candidate worse).

    Example:
        >>> import numpy as np
        >>> paired_t_pvalue(np.array([-1.0, -2.0, -1.5, -0.5])) < 0.05
        True
    """
    from scipy.stats import t as student_t

    d = np.asarray(d, dtype=np.float64)
    n = d.size
    if n < 2:
        return float("nan")
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    if sd == 0:
        return 0.0 if mean < 0 else 1.0
    return float(student_t.cdf(mean / (sd / np.sqrt(n)), n - 1))


def benjamini_hochberg(pvalues: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """Benjamini–Hochberg step-up: (rejected, adjusted p-values). NaN p-values never reject.

    Example:
        >>> rej, adj = benjamini_hochberg(np.array([0.01, 0.03, 0.02, 0.20]), alpha=0.05)
        >>> rej.tolist(), [round(float(v), 3) for v in adj]
        ([True, True, True, False], [0.04, 0.04, 0.04, 0.2])
    """
    p = np.asarray(pvalues, dtype=np.float64)
    ok = np.isfinite(p)
    adjusted = np.full(p.shape, np.nan)
    rejected = np.zeros(p.shape, dtype=bool)
    m = int(ok.sum())
    if m == 0:
        return rejected, adjusted
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    adj_sorted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    adj = np.empty(m)
    adj[order] = adj_sorted
    adjusted[ok] = adj
    # step-up: reject the k smallest where k is the largest i with p_(i) <= i alpha / m
    below = np.flatnonzero(pv[order] <= np.arange(1, m + 1) * alpha / m)
    rej = np.zeros(m, dtype=bool)
    if below.size:
        rej[order[: below[-1] + 1]] = True
    rejected[ok] = rej
    return rejected, adjusted
