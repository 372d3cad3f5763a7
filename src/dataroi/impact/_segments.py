"""Segment statistics: intervals that stay honest with few disagreeing rows, and harm.

Only the rows where the two models' decisions differ carry information about a
difference (elsewhere ``d = 0``). A segment with ten such rows has the spread of its
difference estimated from ten numbers, whatever its row count: a bootstrap interval
(or a t-interval with ``n - 1`` degrees of freedom) is then too narrow, and covers 0.83
to 0.87 of the time at a nominal 0.95 on the flights table (``benchmarks/bench_impact.py``).

**The interval of a segment with few non-zero differences** (fewer than
:data:`BCA_MIN_NONZERO`) is a Student t interval whose variance borrows
:data:`PSEUDO_DISAGREEMENTS` pseudo-rows of the whole table's typical squared difference
``Q`` (the mean of ``d²`` over all non-zero rows)::

    se² = (Σ (d - d̄)² + 2 Q) / ((n - 1) n),    df = (non-zero rows) + 2 - 1

It is the analogue, for a mean of sparse differences, of the "add two" rules of
Agresti–Coull and Wilson for a count: the variance a few events show is too small as often
as the count is, and two pseudo-events of the table's typical size correct it (checked by
simulation on the flights table: 0.94 or more at every count of disagreeing rows, also with
none). With many non-zero rows the pseudo-rows weigh nothing and the BCa bootstrap interval
is used. The same ``se`` and ``df`` give the one-sided t-test of "candidate worse" that the
false-discovery search uses, the minimum detectable effect and the rows needed.

**Harm** (the default gate): a segment shows *no harm beyond the margin* when its lower
confidence bound lies above ``-margin``; *harm* when its upper bound lies below
``-margin``, or it is significantly worse (Benjamini–Hochberg) and harm beyond the margin
is not ruled out; otherwise *not enough data*, with the rows it would need.

Example:
    >>> import numpy as np
    >>> d = np.zeros(400); d[:6] = [-400, -400, 800, -400, 1200, -400]
    >>> se, df = t_stats(float(d.mean()), float(((d - d.mean()) ** 2).sum()), d.size,
    ...                  n_nonzero=6, pooled_square=400_000.0)
    >>> iv = t_interval(float(d.mean()), se, df, d.size, confidence=0.95)
    >>> iv.method, iv.df, iv.ci_low < 0 < iv.ci_high
    ('t', 7.0, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dataroi.impact._bootstrap import Interval

__all__ = [
    "BCA_MIN_NONZERO",
    "HARM",
    "NOT_ENOUGH",
    "NOT_JUDGED",
    "NO_HARM",
    "POWER",
    "PSEUDO_DISAGREEMENTS",
    "HarmCheck",
    "auto_margin",
    "harm_check",
    "t_interval",
    "t_stats",
    "worse_pvalue",
]

#: Pseudo-rows of the table's typical squared difference added to a segment's variance.
PSEUDO_DISAGREEMENTS = 2
#: Segments with at least this many non-zero differences get the BCa bootstrap interval.
BCA_MIN_NONZERO = 50
#: Power behind the minimum detectable effect and the rows needed.
POWER = 0.8

HARM = "harm found"
NO_HARM = "no harm beyond the margin"
NOT_ENOUGH = "not enough data"
NOT_JUDGED = "not judged"


def t_stats(mean: float, ss_dev: float, n: int, *, n_nonzero: int,
            pooled_square: float) -> tuple[float, float]:
    """Standard error and degrees of freedom of a segment mean (borrowed variance).

    Args:
        mean: the segment's mean difference.
        ss_dev: Σ (d - mean)² over the segment's rows.
        n: the segment's rows.
        n_nonzero: rows whose difference is not zero.
        pooled_square: mean of d² over the non-zero rows of the whole table.

    Example:
        >>> se, df = t_stats(0.0, 0.0, 10_000, n_nonzero=0, pooled_square=100.0)
        >>> round(se, 6), df
        (0.001414, 1.0)
    """
    if n < 2:
        return float("nan"), float("nan")
    c = PSEUDO_DISAGREEMENTS
    var = (max(ss_dev, 0.0) + c * pooled_square) / (n - 1)
    return float(np.sqrt(var / n)), float(n_nonzero + c - 1)


def t_interval(mean: float, se: float, df: float, n: int, *,
               confidence: float) -> Interval:
    """The two-sided Student t interval ``mean ± t(df) se`` as an :class:`Interval`.

    ``p_below_zero`` is the t probability of a mean below zero (the bootstrap share's
    analogue).

    Example:
        >>> iv = t_interval(1.0, 0.5, 9.0, 400, confidence=0.95)
        >>> round(iv.ci_low, 3), round(iv.ci_high, 3), iv.method
        (-0.131, 2.131, 't')
    """
    from scipy.stats import t as student_t

    if not (np.isfinite(se) and se > 0):
        return Interval(estimate=mean, ci_low=mean, ci_high=mean, se=0.0,
                        p_below_zero=float(mean < 0), n=n, method="t", df=df)
    q = float(student_t.ppf(0.5 + confidence / 2, df))
    p = float(student_t.cdf(-mean / se, df))
    return Interval(estimate=mean, ci_low=mean - q * se, ci_high=mean + q * se, se=se,
                    p_below_zero=p, n=n, method="t", df=df)


def worse_pvalue(mean: float, se: float, df: float) -> float:
    """One-sided p-value of "candidate worse" (H1: mean < 0) with the borrowed variance.

    Example:
        >>> worse_pvalue(-2.0, 1.0, 30.0) < 0.05 < worse_pvalue(-1.0, 1.0, 30.0)
        True
    """
    from scipy.stats import t as student_t

    if not (np.isfinite(se) and se > 0):
        return 0.0 if mean < 0 else 1.0
    return float(student_t.cdf(mean / se, df))


def auto_margin(overall_estimate: float) -> float:
    """The default margin: the candidate's average gain per row (0 when it gains nothing).

    No segment may lose, per row, more than the candidate gains per row on average.

    Example:
        >>> auto_margin(0.54), auto_margin(-3.0)
        (0.54, 0.0)
    """
    return max(float(overall_estimate), 0.0) if np.isfinite(overall_estimate) else 0.0


@dataclass(frozen=True)
class HarmCheck:
    """The non-inferiority verdict of one segment.

    Attributes:
        status: :data:`HARM`, :data:`NO_HARM`, :data:`NOT_ENOUGH` or :data:`NOT_JUDGED`.
        mde: minimum detectable effect per row: ``(z(1-α) + z(power)) se`` — a difference
            this large is found 80 % of the time (α one-sided, the interval's own).
        rows_needed: rows of the segment for an 80 % chance of showing no harm beyond the
            margin if the true difference were the current estimate — the standard error
            shrinks as ``1/sqrt(rows)`` (only for :data:`NOT_ENOUGH`; None when the
            estimate lies at or beyond ``-margin``: more rows would not rule harm out).
    """

    status: str
    mde: float | None = None
    rows_needed: float | None = None


def harm_check(interval: Interval, *, se: float, significantly_worse: bool, margin: float,
               confidence: float) -> HarmCheck:
    """Non-inferiority at ``margin`` for one tested segment.

    Example:
        >>> from dataroi.impact import Interval
        >>> iv = Interval(estimate=-5.0, ci_low=-9.0, ci_high=-1.0, se=2.0,
        ...               p_below_zero=0.99, n=900)
        >>> harm_check(iv, se=2.0, significantly_worse=True, margin=3.0,
        ...            confidence=0.95).status
        'harm found'
        >>> check = harm_check(iv, se=2.0, significantly_worse=False, margin=10.0,
        ...                    confidence=0.95)
        >>> check.status, round(check.mde, 2)
        ('no harm beyond the margin', 5.6)
    """
    from scipy.special import ndtri

    z = float(ndtri(0.5 + confidence / 2)) + float(ndtri(POWER))
    mde = z * se if np.isfinite(se) else None
    if interval.ci_low > -margin:
        return HarmCheck(NO_HARM, mde)
    if interval.ci_high < -margin or significantly_worse:
        return HarmCheck(HARM, mde)
    gap = interval.estimate + margin
    needed = None
    if gap > 0 and mde is not None:
        needed = float(np.ceil(interval.n * (mde / gap) ** 2))
    return HarmCheck(NOT_ENOUGH, mde, needed)
