"""Paired bootstrap of per-row differences, vectorised, with BCa intervals; BH procedure.

The statistic is the mean of a per-row difference ``d = candidate - baseline`` (value,
correctness, ...), overall and per group (segment or period). Resampling rows with
replacement and taking the mean of ``d`` is exactly scipy's
``bootstrap((baseline, candidate), lambda b, c: c.mean() - b.mean(), paired=True)``.

How it stays fast on a million rows (no Python loop over rows):

* Resampling n rows splits into a multinomial count per group,
  ``m ~ Multinomial(n, n_g / n)``, then ``m_g`` uniform draws inside group g. This is the
  same distribution as plain row resampling, so one pass gives the overall *and* every
  group's replicate from the same resample; draws index a group's small array (cache
  friendly) and are summed with ``np.add.reduceat``.
* When the rows take few distinct (group, values) combinations — a payoff matrix, a 0/1
  correctness difference — the counts of each combination are themselves multinomial,
  so a resample costs O(combinations) instead of O(n). Again exact in distribution.

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

from dataclasses import dataclass
from typing import Any

import numpy as np

from dataroi.exceptions import UsageError

__all__ = [
    "BootstrapResult",
    "Interval",
    "bca_interval",
    "benjamini_hochberg",
    "paired_bootstrap",
    "paired_t_pvalue",
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
    """

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    p_below_zero: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "se": self.se, "p_below_zero": self.p_below_zero, "n": self.n}


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
        replicates: (B, k) overall bootstrap means.
        group_labels: the group labels, in order.
        group_sizes: (G,) rows per group.
        group_estimates: (G, k) group means.
        group_replicates: (B, G, k) group bootstrap means (NaN where a resample drew no row
            of the group).
        accelerations: (k,) jackknife accelerations overall.
        group_accelerations: (G, k).
        confidence: the confidence level of the intervals.
    """

    estimates: np.ndarray
    replicates: np.ndarray
    group_labels: tuple[Any, ...]
    group_sizes: np.ndarray
    group_estimates: np.ndarray
    group_replicates: np.ndarray
    accelerations: np.ndarray
    group_accelerations: np.ndarray
    confidence: float

    def interval(self, stat: int = 0) -> Interval:
        """The overall BCa interval of statistic ``stat``."""
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


def paired_bootstrap(
    values: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int | np.random.SeedSequence = 0,
) -> BootstrapResult:
    """Bootstrap the mean of per-row differences overall and per group, in one pass.

    Args:
        values: (n,) or (n, k) per-row differences (candidate - baseline) of k statistics;
            all statistics share the same resamples.
        groups: (n,) group label of each row (segments, periods); None for one group.
        n_resamples: bootstrap resamples B.
        confidence: confidence level of the intervals.
        seed: root seed (an int or a ``SeedSequence``).

    Returns:
        The replicates; call :meth:`BootstrapResult.interval` for BCa intervals.
    """
    vals = np.asarray(values, dtype=np.float64)
    if vals.ndim == 1:
        vals = vals[:, None]
    n, k = vals.shape
    if n == 0:
        raise UsageError("no rows to bootstrap")
    if groups is None:
        labels: tuple[Any, ...] = ("all",)
        codes = np.zeros(n, dtype=np.int64)
    else:
        uniq, codes = np.unique(np.asarray(groups), return_inverse=True)
        labels = tuple(uniq.tolist())
        codes = codes.ravel()
    n_groups = len(labels)
    rng = np.random.default_rng(seed)
    order = np.argsort(codes, kind="stable")
    sorted_vals = vals[order]
    sizes = np.bincount(codes, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])

    group_est = np.empty((n_groups, k))
    group_acc = np.empty((n_groups, k))
    for g in range(n_groups):
        block = sorted_vals[starts[g]:starts[g] + sizes[g]]
        group_est[g] = block.mean(axis=0)
        group_acc[g] = [_acceleration(block[:, j]) for j in range(k)]
    est = vals.mean(axis=0)
    acc = np.array([_acceleration(vals[:, j]) for j in range(k)])

    # combinations of (group, values): the fast path when few
    cells = _cells(codes, vals)
    if cells is not None:
        cell_group, cell_vals, cell_counts = cells
        counts = rng.multinomial(n, cell_counts / n, size=n_resamples)  # (B, C)
        onehot = np.zeros((cell_group.size, n_groups))
        onehot[np.arange(cell_group.size), cell_group] = 1.0
        m = counts @ onehot                                             # (B, G)
        sums = np.einsum("bc,cg,ck->bgk", counts.astype(np.float64), onehot, cell_vals)
    else:
        m = rng.multinomial(n, sizes / n, size=n_resamples).astype(np.float64)
        sums = np.zeros((n_resamples, n_groups, k))
        for g in range(n_groups):
            block = np.ascontiguousarray(sorted_vals[starts[g]:starts[g] + sizes[g]])
            _group_sums(block, m[:, g].astype(np.int64), rng, sums[:, g, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        group_reps = sums / m[:, :, None]
    reps = sums.sum(axis=1) / n
    return BootstrapResult(estimates=est, replicates=reps, group_labels=labels,
                           group_sizes=sizes, group_estimates=group_est,
                           group_replicates=group_reps, accelerations=acc,
                           group_accelerations=group_acc, confidence=confidence)


def _cells(codes: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """Distinct (group, values) rows with their counts, or None when there are many."""
    n, _k = vals.shape
    # cheap early exit: many distinct values in the first column
    probe = np.unique(vals[: min(n, 200_000), 0])
    if probe.size > _FAST_PATH_CELLS:
        return None
    keys = np.column_stack([codes.astype(np.float64), vals])
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    if uniq.shape[0] > _FAST_PATH_CELLS:
        return None
    counts = np.bincount(inverse.ravel(), minlength=uniq.shape[0]).astype(np.float64)
    return uniq[:, 0].astype(np.int64), uniq[:, 1:], counts


def _group_sums(block: np.ndarray, m: np.ndarray, rng: np.random.Generator,
                out: np.ndarray) -> None:
    """Sum of m[b] uniform draws from ``block`` rows for every resample b, in chunks."""
    size = block.shape[0]
    if size == 0:
        return
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
            drawn = block[idx]
            offsets = np.concatenate([[0], np.cumsum(ms)[:-1]])
            nz = ms > 0
            out[b0:b1][nz] = np.add.reduceat(drawn, offsets[nz], axis=0)
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
