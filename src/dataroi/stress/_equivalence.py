"""Equivalent labels: how many extra labels one curve needs to match another.

"Halving label noise is worth N extra labels" and "with margin sampling, n labels reach
what random sampling needs N for" are the same computation: draw the other arm's learning
curve (joint draws, so each draw is a whole coherent curve), take the reference arm's score
at today's size ``n0``, and find for each draw the first size at which the other arm
reaches it. The quantiles of ``size − n0`` over draws are the answer, with the share
of draws that never reach it within ``max_factor × n0``.

"Never" is a statement, made only when the 90 % interval says it: when at least 95 % of
the draws do not arrive within the horizon (:data:`NEVER_SHARE`, the interval's lower
end beyond it). Between half and 95 % the sentence says the arm more likely than not
does not arrive within the horizon, with the lower end of the interval and P(never): on
the noise arms of the curve corpus (``benchmarks/bench_label_quality.py``) a "never" at
P(never) just above one half was wrong as often as a coin.

When the reference was measured at ``n0`` (the stress analysis always has it), its mean
over repeats is the target and only the other curve is drawn; otherwise both curves are
drawn, independently (the trials themselves are paired: same subsets and seeds; the
pairing shows in the per-size paired differences, see :func:`paired_differences`).

Example:
    >>> from dataroi.curves import fit_curve
    >>> sizes = [50, 100, 200, 400, 800]
    >>> clean = fit_curve(sizes, [[0.9 - 2 / n ** 0.5] * 3 for n in sizes], random_state=0)
    >>> noisy = fit_curve(sizes, [[0.88 - 2.2 / n ** 0.5] * 3 for n in sizes],
    ...                   random_state=0)
    >>> eq = equivalent_labels(clean, noisy, 800, reference="clean", other="noisy")
    >>> eq.added_q50 > 800
    True
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["NEVER_SHARE", "Equivalence", "added_quantiles", "equivalent_labels",
           "first_reach", "paired_differences"]

#: The share of draws not arriving within the horizon from which an equivalence says
#: "never": the lower end of its 90 % interval (the 5 % quantile) is beyond the horizon.
NEVER_SHARE = 0.95


@dataclass(frozen=True)
class Equivalence:
    """Extra labels ``other`` needs to reach what ``reference`` reaches with ``n0``.

    Attributes:
        reference, other: arm (or model) names.
        n0: today's labels.
        target: the reference's median predicted score at ``n0``.
        other_today: the other arm's median predicted score at ``n0``.
        added_q05, added_q50, added_q95: quantiles of the extra labels over all draws,
            a draw that never arrives counting as infinite (:func:`added_quantiles`); the
            median and upper end are NaN when more than half of the draws never arrive,
            the lower end when 95 % do not.
        p_never: share of draws that do not reach it within ``max_factor × n0``.
        max_factor: the search horizon as a multiple of ``n0``.
        method: what produced the figure: ``"curves"`` (the other arm's fitted curve,
            :func:`equivalent_labels`) or ``"effective-sample rule (f = …)"`` (a noise
            arm of known rate, :func:`dataroi.stress.rule_equivalence`).
    """

    reference: str
    other: str
    n0: int
    target: float
    other_today: float
    added_q05: float
    added_q50: float
    added_q95: float
    p_never: float
    max_factor: float
    method: str = "curves"

    @property
    def says_never(self) -> bool:
        """Whether the equivalence states that the other arm never arrives within the
        horizon: P(never) >= :data:`NEVER_SHARE` (the 90 % interval beyond it)."""
        return self.p_never >= NEVER_SHARE

    def sentence(self, what: str) -> str:
        """A plain-words statement: ``"<what> is worth ≈ N extra labels (90 % interval
        ...)"``; where more than half of the draws never arrive, that the other arm more
        likely than not does not reach the reference within the horizon (with the lower
        end of the interval); where 95 % of them never do, that it does not.

        Example:
            >>> e = Equivalence("a", "b", 100, 0.9, 0.8, 350.0, math.nan, math.nan, 0.6,
            ...                 64.0)
            >>> e.says_never, e.sentence("x").split(" (")[0].split(": ")[1]
            (False, "b more likely than not does not reach a's score within 64× today's 100 labels")
        """
        how = ("from the arms' fitted curves" if self.method == "curves"
               else f"by the {self.method}")
        if self.says_never or math.isnan(self.added_q05):
            return (f"{what}: {self.other} does not reach {self.reference}'s score within "
                    f"{self.max_factor:g}× today's {self.n0:,} labels "
                    f"(P(never) = {self.p_never:.2f}; {how})")
        if math.isnan(self.added_q50):
            return (f"{what}: {self.other} more likely than not does not reach "
                    f"{self.reference}'s score within {self.max_factor:g}× today's "
                    f"{self.n0:,} labels (P(never) = {self.p_never:.2f}; 90 % interval "
                    f"from {_n(self.added_q05)} extra labels to never; {how})")
        return (f"{what} is worth ≈ {_n(self.added_q50)} extra labels (90 % interval "
                f"{_n(self.added_q05)}–{_n(self.added_q95)}; P(never within "
                f"{self.max_factor:g}×) = {self.p_never:.2f}; {how})")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _n(v: float) -> str:
    return "never" if not math.isfinite(v) else f"{round(v):,}"


def equivalent_labels(fit_ref: Any, fit_other: Any, n0: int, *, reference: str = "reference",
                      other: str = "other", draws: int = 400, max_factor: float = 64.0,
                      random_state: int = 0, target: float | None = None,
                      other_today: float | None = None) -> Equivalence:
    """Extra labels ``fit_other`` needs to match ``fit_ref`` at ``n0`` (see module doc).

    Args:
        fit_ref, fit_other: fitted curves (:class:`dataroi.curves.CurveFit`) in the same
            metric and direction.
        n0: today's number of labels.
        target: the score to reach, when measured (the reference's mean at ``n0`` over
            repeats); default: the reference curve's draws at ``n0``. A measured target
            keeps the other curve's draws as the only source of noise.
        other_today: the other arm's measured mean at ``n0``; when given, it is the
            other arm's score at ``n0`` and the draws beyond ``n0`` are the curve's
            calibrated scores there, so a gain is measured from the measured score, as
            ``StudyCurves.gain_draws`` measures it (subtracting each draw's own level at
            ``n0`` instead cancelled uncertainty that held-out LCDB curves show is real).
        draws: joint curve draws per arm.
        max_factor: search up to ``max_factor × n0`` labels.
        random_state: seed of the draws.
    """
    hib = bool(fit_ref.higher_is_better)
    grid = np.unique(np.round(n0 * np.geomspace(1.0, max_factor, 240)).astype(np.int64))
    rs = np.random.SeedSequence(random_state).spawn(2)
    if target is not None and np.isfinite(target):
        a = np.full(draws, float(target))
    else:
        a = np.asarray(fit_ref.sample([n0], size=draws,
                                      random_state=np.random.default_rng(rs[0])),
                       dtype=float)[:, 0]
    b = np.asarray(fit_other.sample(grid, size=draws,
                                    random_state=np.random.default_rng(rs[1])), dtype=float)
    if other_today is not None and np.isfinite(other_today):
        b[:, 0] = float(other_today)   # grid[0] is n0: today's score is the measured one
    sign = 1.0 if hib else -1.0
    a, b = sign * a, sign * b
    needed, ok = first_reach(b, a, grid)
    p_never = float(1 - ok.mean())
    q = added_quantiles(needed - n0, ok)
    return Equivalence(
        reference=reference, other=other, n0=int(n0), target=float(sign * np.median(a)),
        other_today=float(sign * np.median(b[:, 0])), added_q05=q[0], added_q50=q[1],
        added_q95=q[2], p_never=p_never, max_factor=float(max_factor))


def added_quantiles(added: np.ndarray, ok: np.ndarray) -> list[float]:
    """The 5 %, 50 % and 95 % quantiles of the extra labels over every draw, a draw that
    never arrives (``ok`` False) counting as infinite so the quantiles stay honest; the
    median and the upper end NaN when more than half never arrive, the lower end NaN when
    :data:`NEVER_SHARE` of them do not (then the statement is "never").

    Example:
        >>> added = np.array([10.0, 20.0, 30.0, np.inf, np.inf, np.inf, np.inf])
        >>> added_quantiles(added, np.isfinite(added))  # 4 of 7 never: no median
        [10.0, nan, nan]
        >>> added_quantiles(added[2:], np.isfinite(added[2:]))  # 4 of 5: still a lower end
        [30.0, nan, nan]
        >>> added_quantiles(np.array([5.0, 7.0, 9.0]), np.ones(3, bool))
        [5.0, 7.0, 9.0]
    """
    added = np.where(ok, np.asarray(added, float), np.inf)
    share = float(np.mean(ok)) if len(ok) else 0.0
    q = [float(np.quantile(added, p, method="inverted_cdf")) if len(added) else math.nan
         for p in (0.05, 0.5, 0.95)]
    if share < 0.5:
        q[1] = q[2] = math.nan
    if 1.0 - share >= NEVER_SHARE:
        q[0] = math.nan
    return q


def first_reach(values: np.ndarray, targets: np.ndarray, grid: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per draw (a row of ``values``, scores at the sizes ``grid``, higher better), the
    size at which it first reaches its ``target``, interpolated in log size between the
    last miss and the first hit (``grid[0]`` when reached there); +inf, and False in the
    second array, where it never does.

    Example:
        >>> sizes, ok = first_reach(np.array([[0.1, 0.3, 0.5], [0.1, 0.2, 0.2]]),
        ...                         np.array([0.4, 0.4]), np.array([100, 200, 400]))
        >>> round(float(sizes[0])), ok.tolist(), float(sizes[1])
        (283, [True, False], inf)
    """
    reach = values >= targets[:, None]
    ok = reach.any(axis=1)
    first = np.argmax(reach, axis=1)
    needed = np.full(len(values), np.inf)
    for d in np.flatnonzero(ok):
        j = first[d]
        if j == 0:
            needed[d] = float(grid[0])
            continue
        lo, hi = values[d, j - 1], values[d, j]
        t = 0.0 if hi == lo else float(np.clip((targets[d] - lo) / (hi - lo), 0, 1))
        needed[d] = float(np.exp(np.log(grid[j - 1]) + t * np.log(grid[j] / grid[j - 1])))
    return needed, ok


def paired_differences(frame: pd.DataFrame, a: str, b: str, *, level: float = 0.9
                       ) -> pd.DataFrame:
    """Per size, the mean paired difference ``a − b`` over repeats with a t interval.

    ``frame`` is a tidy trials frame for one metric (columns model, n_train, repeat,
    value). Arms share subsets and seeds with their base model per (size, repeat), so
    the difference of each repeat is paired.

    Example:
        >>> f = pd.DataFrame({"model": ["a", "a", "b", "b"], "n_train": [10] * 4,
        ...                   "repeat": [0, 1, 0, 1], "value": [0.8, 0.9, 0.7, 0.7]})
        >>> paired_differences(f, "a", "b")[["n_train", "diff", "n_pairs"]].round(3)
           n_train  diff  n_pairs
        0       10  0.15        2
    """
    from scipy import stats

    wide = frame[frame["model"].isin([a, b])].pivot_table(
        index=["n_train", "repeat"], columns="model", values="value", aggfunc="mean")
    rows = []
    if a in wide and b in wide:
        d = (wide[a] - wide[b]).dropna()
        for n, grp in d.groupby(level="n_train"):
            k = len(grp)
            mean = float(grp.mean())
            if k >= 2:
                half = float(stats.t.ppf(0.5 + level / 2, k - 1) * grp.std(ddof=1) / k ** 0.5)
            else:
                half = math.nan
            rows.append({"n_train": int(n), "diff": mean, "low": mean - half,
                         "high": mean + half, "n_pairs": k})
    return pd.DataFrame(rows, columns=["n_train", "diff", "low", "high", "n_pairs"])
