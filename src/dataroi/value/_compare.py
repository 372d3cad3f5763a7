"""Data vs. model: paired differences today, projected differences and crossings later.

Today (at ``current_n``) every model saw the same subsets and test rows per repeat, so
the difference between two models is measured per repeat and its confidence interval
comes from the repeats (a paired t-interval) and, when the study kept its predictions,
from a bootstrap of the shared test rows as well: at the full pool every repeat trains on
the same rows, so the repeats alone can agree exactly while the test set is still a
sample. At larger sizes the difference is
projected as today's paired difference plus each model's own gain from its joint curve
draws; a crossing is where the expected difference changes sign.

The two models' extrapolation errors are not independent: on LCDB, the normalised
residuals of two learners on the same data set have a rank correlation of +0.14 (2×) to
+0.23 (16×) out of fold on the training half and +0.17 to +0.30 on the held-out half
(``benchmarks/learn_curve_model.py`` with the shipped calibration; the run is quoted in
``docs/decisions.md``). The projected difference therefore
pairs the two models' draws with a rank correlation of :data:`PAIR_RANK_CORRELATION`
(the smallest of those figures, to stay conservative), by reordering whole draws
(Iman & Conover, 1982): each model's draws, and so its marginal intervals, are unchanged,
and every draw stays one coherent curve.

Example:
    >>> import pandas as pd
    >>> rows = [{"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": top - k / n ** 0.5 + 0.002 * r}
    ...         for m, top, k in (("simple", 0.86, 1.0), ("deep", 0.97, 3.5))
    ...         for n in (25, 50, 100, 200, 400) for r in range(4)]
    >>> cmp = compare_models(fit_study_curves(pd.DataFrame(rows), metric="accuracy"))
    >>> p = cmp.pairs[0]
    >>> p["better_today"], p["crossing_delta_n"] is not None
    ('simple', True)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataroi._counts import short_count
from dataroi._json import json_safe
from dataroi._random import seed_sequence
from dataroi.exceptions import UsageError
from dataroi.value._curves import StudyCurves, fit_study_curves
from dataroi.value._marginal import DEFAULT_GRID, _as_curves, delta_grid

__all__ = ["PAIR_RANK_CORRELATION", "ModelComparison", "compare_models", "fit_study_curves",
           "pair_draws"]

#: Rank correlation of two models' curve draws in a projected difference (see above).
PAIR_RANK_CORRELATION = 0.14


def pair_draws(score_a: np.ndarray, score_b: np.ndarray, rho: float, seed: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Row orders that give two sets of draws a rank correlation ``rho`` (Iman–Conover).

    Args:
        score_a, score_b: one number per draw that orders each model's draws (e.g. its
            mean gain over the sizes of interest).
        rho: target Spearman rank correlation, in [0, 1).
        seed: seed of the normal scores.

    Returns:
        ``(ia, ib)``: index arrays; ``draws_a[ia]`` and ``draws_b[ib]`` are the paired draws.

    Example:
        >>> from scipy.stats import spearmanr
        >>> rng = np.random.default_rng(0)
        >>> a, b = rng.normal(size=4000), rng.normal(size=4000)
        >>> ia, ib = pair_draws(a, b, 0.3, seed=1)
        >>> round(float(spearmanr(a[ia], b[ib]).statistic), 1)
        0.3
    """
    k = len(score_a)
    if len(score_b) != k:
        raise UsageError("both models need the same number of draws")
    if rho <= 0:
        return np.arange(k), np.arange(k)
    r = 2.0 * math.sin(math.pi * min(rho, 0.999) / 6.0)  # Spearman -> Pearson (normal)
    z = np.random.default_rng(seed).multivariate_normal([0.0, 0.0], [[1.0, r], [r, 1.0]], k)
    order_a = np.argsort(np.asarray(score_a, float), kind="stable")
    order_b = np.argsort(np.asarray(score_b, float), kind="stable")
    rank_a = np.argsort(np.argsort(z[:, 0], kind="stable"), kind="stable")
    rank_b = np.argsort(np.argsort(z[:, 1], kind="stable"), kind="stable")
    return order_a[rank_a], order_b[rank_b]


@dataclass(frozen=True)
class ModelComparison:
    """Every pair of models, today and projected.

    ``pairs`` hold, for models ``a`` and ``b`` (difference = a − b, positive = a better):
    today_diff, today_ci_low, today_ci_high (at ``level``: the paired t-interval over
    repeats, with the test-row bootstrap added when the study has one), n_repeats,
    better_today, projected (a list of {delta_n, diff_mean, diff_q05, diff_q95,
    p_a_better}), crossing_delta_n (added labels where the expected difference changes
    sign, None if it does not within the grid), p_b_better_at_max / p_a_better_at_max,
    and a plain-words ``summary``.
    """

    metric: str
    current_n: int
    level: float
    pairs: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return json_safe({"metric": self.metric, "current_n": self.current_n,
                       "level": self.level, "pairs": list(self.pairs)})



#: P(a statement holds) within these bounds is "a coin flip" in the comparison's words.
_COIN_FLIP = (0.4, 0.6)


def _odds(p: float) -> str:
    """What a comparison adds after the probability ``p`` that its statement holds: a
    coin flip near even, "more likely not" below it, nothing above (the statement is
    made from the expected curves; the draws can disagree when a few of them carry the
    mean).

    Example:
        >>> _odds(0.9), _odds(0.5)
        ('', ', close to a coin flip')
        >>> _odds(0.13)
        ': more likely not (a minority of the draws carry the expected curves)'
    """
    if p >= _COIN_FLIP[1]:
        return ""
    if p >= _COIN_FLIP[0]:
        return ", close to a coin flip"
    return ": more likely not (a minority of the draws carry the expected curves)"


def _fmt_factor(k: float) -> str:
    """A multiple of today's labels in two digits (the unlabeled pool makes it any number).

    Example:
        >>> [_fmt_factor(k) for k in (3.818588, 0.75, 10.0, 64.0, 0.1)]
        ['3.8', '0.75', '10', '64', '0.1']
    """
    return f"{k:,.0f}" if k >= 10 else f"{k:.2g}"


def compare_models(
    curves: StudyCurves | Any,
    *,
    add: Sequence[int] | None = None,
    grid: Sequence[float] = DEFAULT_GRID,
    level: float = 0.95,
    n_draws: int = 2000,
    max_factor: float = 64.0,
    rank_correlation: float = PAIR_RANK_CORRELATION,
) -> ModelComparison:
    """Paired difference of every pair of models today, and projected at larger sizes.

    Args:
        curves: a :class:`StudyCurves` (or a trials frame).
        add: added-label counts besides the grid.
        grid: multiples of today's labels for the projected table.
        level: confidence level of today's paired interval.
        n_draws: joint draws per model.
        max_factor: crossings are searched up to ``max_factor`` × today's labels.
        rank_correlation: rank correlation given to the two models' curve draws in the
            projected difference (0: independent draws).
    """
    c = _as_curves(curves)
    deltas = delta_grid(c.current_n, grid=grid, add=add)
    fine = np.unique(np.round(np.geomspace(max(1.0, 0.05 * c.current_n),
                                           max_factor * c.current_n, 120)))
    pairs = []
    for a, b in itertools.combinations(c.models, 2):
        d = c.paired_today(a, b)
        mean = float(d.mean()) if len(d) else float("nan")
        today_draws = c.paired_today_draws(a, b, n_draws)
        if len(d) and a in c.test_boot and b in c.test_boot:
            # repeats' noise plus the test rows' (bootstrap): at the full pool every
            # repeat trains on the same rows, and the repeats alone would give width 0
            ci = np.quantile(today_draws, [0.5 - level / 2, 0.5 + level / 2])
            lo, hi = float(ci[0]), float(ci[1])
        elif len(d) >= 2:
            from scipy.special import stdtrit  # Student-t quantile (lighter than stats)

            half = float(stdtrit(len(d) - 1, 0.5 + level / 2) * d.std(ddof=1)
                         / math.sqrt(len(d)))
            lo, hi = mean - half, mean + half
        else:
            lo = hi = float("nan")
        # the same draw index is the same curve at every size, so one pairing serves both
        # the table's sizes and the fine grid
        fa, fb = c.gain_draws(a, fine, n_draws), c.gain_draws(b, fine, n_draws)
        seed = int(seed_sequence(c.random_state, f"{a}|{b}", "pair").generate_state(1)[0])
        ia, ib = pair_draws(fa.mean(axis=1), fb.mean(axis=1), rank_correlation, seed)
        ga = c.gain_draws(a, deltas, n_draws)[ia]
        gb = c.gain_draws(b, deltas, n_draws)[ib]
        diff = today_draws[:, None] + ga - gb
        projected = [
            {"delta_n": int(dn), "n_total": int(c.current_n + dn),
             "diff_mean": float(diff[:, j].mean()),
             "diff_q05": float(np.quantile(diff[:, j], 0.05)),
             "diff_q95": float(np.quantile(diff[:, j], 0.95)),
             "p_a_better": float((diff[:, j] > 0).mean())}
            for j, dn in enumerate(deltas)
        ]
        fd = today_draws[:, None] + fa[ia] - fb[ib]
        fmean = fd.mean(axis=0)
        sign_today = np.sign(mean) if math.isfinite(mean) and mean != 0 else np.sign(fmean[0])
        flip = np.nonzero(np.sign(fmean) == -sign_today)[0] if sign_today != 0 else []
        crossing = float(fine[flip[0]]) if len(flip) else None
        p_a_max = float((fd[:, -1] > 0).mean())
        better_today = a if mean > 0 else b
        other = b if better_today == a else a
        sig = bool(math.isfinite(lo) and math.isfinite(hi) and (lo > 0 or hi < 0))
        p_other = p_a_max if other == a else 1 - p_a_max
        at_max = f"{short_count(max_factor * c.current_n)} added"
        if crossing is not None and not sig and p_other < _COIN_FLIP[1]:
            # a crossing of two curves within noise of each other is not news
            head = (f"{better_today} and {other} are level today ({better_today} ahead by "
                    f"{abs(mean):.4f} {c.metric}, not significant)")
            summary = (f"{head} and stay level: their expected curves cross at "
                       f"~{short_count(crossing)} added labels, but P({other} better at "
                       f"{at_max}) = {p_other:.2f}, a coin flip"
                       if p_other >= _COIN_FLIP[0] else
                       f"{head}, and {better_today} more likely stays ahead: their expected "
                       f"curves cross at ~{short_count(crossing)} added labels, but "
                       f"P({other} better at {at_max}) = {p_other:.2f}")
        elif crossing is not None:
            summary = (f"{other} is worse than {better_today} today by {abs(mean):.4f} "
                       f"{c.metric}{'' if sig else ' (not significant)'}, but better beyond "
                       f"~{short_count(crossing)} added labels (n ≈ "
                       f"{short_count(c.current_n + crossing)}); P({other} better at "
                       f"{at_max}) = {p_other:.2f}{_odds(p_other)}")
        else:
            p_keep = p_a_max if better_today == a else 1 - p_a_max
            summary = (f"{better_today} is better than {other} today by {abs(mean):.4f} "
                       f"{c.metric}{'' if sig else ' (not significant)'} and stays better up to "
                       f"+{at_max} labels ({_fmt_factor(max_factor)}× today's; P = "
                       f"{p_keep:.2f} at the end{_odds(p_keep)})")
        pairs.append({
            "a": a, "b": b, "today_diff": mean, "today_ci_low": lo,
            "today_ci_high": hi, "n_repeats": len(d), "better_today": better_today,
            "significant_today": bool(sig), "projected": projected,
            "crossing_delta_n": crossing, "p_a_better_at_max": p_a_max,
            "p_b_better_at_max": 1 - p_a_max, "summary": summary,
        })
    return ModelComparison(metric=c.metric, current_n=c.current_n, level=level,
                           pairs=tuple(pairs))
