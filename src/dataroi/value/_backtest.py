"""Does the extrapolation work on *this* study? Refit without the largest sizes and check.

The curve models and their intervals are learned and checked on thousands of LCDB curves
(``docs/curves.md``); a user's data may behave differently. A backtest hides the largest
``hold`` training sizes of the study, refits every model's curve on the sizes below, and
compares the predictions at the hidden sizes with what the study measured there: the
error, and whether the 50 % and 90 % intervals held the measured mean. It is a check of
the method on the user's own data, at extrapolation ratios smaller than the ones asked
about (the hidden sizes are at most a few doublings beyond the cut), and with few points:
read the counts, not a coverage rate.

Example:
    >>> import pandas as pd
    >>> rows = [{"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": base - 2.0 / n ** 0.5 + 0.002 * r}
    ...         for m, base in (("a", 0.9), ("b", 0.95))
    ...         for n in (25, 50, 100, 200, 400, 800) for r in range(3)]
    >>> bt = backtest_study(pd.DataFrame(rows), metric="accuracy")
    >>> bt.cut_n, bt.held
    (200, (400, 800))
    >>> bt.covered(0.9)
    (4, 4)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi._json import json_safe
from dataroi.exceptions import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.value._cache import FitCache

__all__ = ["Backtest", "backtest_study", "study_backtest"]

#: Interval levels a backtest checks.
BACKTEST_LEVELS: tuple[float, ...] = (0.5, 0.9)
#: Fewest sizes the refit keeps (a curve needs three; four make the gate's prefix check).
MIN_FIT_SIZES = 4


@dataclass(frozen=True)
class Backtest:
    """Predictions of curves refitted on the sizes up to ``cut_n``, at the hidden sizes.

    Attributes:
        metric: the metric.
        higher_is_better: its direction.
        cut_n: the largest size the refits saw.
        held: the hidden sizes (increasing).
        rows: one per (model, hidden size): ``model``, ``n_train``, ``ratio`` (n / cut_n),
            ``predicted`` (median), ``low50``/``high50``, ``low90``/``high90``,
            ``measured`` (mean over repeats), ``measured_se``, ``error``
            (predicted − measured), ``in50``, ``in90``.
        notes: what the reader should know.
    """

    metric: str
    higher_is_better: bool
    cut_n: int
    held: tuple[int, ...]
    rows: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = field(default=())

    def covered(self, level: float) -> tuple[int, int]:
        """(points inside the ``level`` intervals, points checked)."""
        key = f"in{round(level * 100)}"
        return sum(bool(r[key]) for r in self.rows), len(self.rows)

    @property
    def mean_abs_error(self) -> float:
        """Mean absolute error of the predicted medians (metric units)."""
        return float(np.mean([abs(r["error"]) for r in self.rows])) if self.rows else math.nan

    def summary(self) -> str:
        """One sentence for people.

        Example:
            >>> Backtest("accuracy", True, 200, (400,), ()).summary()
            'backtest: nothing to check'
        """
        if not self.rows:
            return "backtest: nothing to check"
        in50, m = self.covered(0.5)
        in90, _ = self.covered(0.9)
        width = float(np.median([r["high90"] - r["low90"] for r in self.rows]))
        held = ", ".join(f"{n:,}" for n in self.held)
        s = (f"backtest: refitted on sizes up to {self.cut_n:,} and predicted {held}: "
             f"{in90} of {m} measured means inside the 90 % intervals, {in50} of {m} inside "
             f"the 50 % ones; mean absolute error {self.mean_abs_error:.4f} {self.metric} "
             f"(median 90 % width {width:.4f})")
        missed = sorted({r["model"] for r in self.rows if not r["in90"]})
        if missed:
            s += (f". Outside the 90 % interval: {', '.join(missed)}: trust "
                  f"{'its' if len(missed) == 1 else 'their'} extrapolation less")
        return s

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        in50, m = self.covered(0.5)
        in90, _ = self.covered(0.9)
        return json_safe({
            "metric": self.metric, "higher_is_better": self.higher_is_better,
            "cut_n": self.cut_n, "held": list(self.held), "rows": [dict(r) for r in self.rows],
            "in50": in50, "in90": in90, "points": m, "mean_abs_error": self.mean_abs_error,
            "summary": self.summary(), "notes": list(self.notes),
        })


def backtest_study(
    trials: pd.DataFrame,
    *,
    metric: str | None = None,
    hold: int | None = 2,
    random_state: int = 0,
    models: Sequence[str] | None = None,
    cache: FitCache | None = None,
) -> Backtest:
    """Hide the ``hold`` largest sizes, refit every model below them, compare.

    Args:
        trials: a tidy trials frame (as :func:`~dataroi.value.fit_study_curves` takes).
        metric: the metric (default: the frame's only one).
        hold: how many of the largest sizes (shared by every model) to hide; ``None``:
            two when the study has at least six sizes, else one.
        random_state: root seed of the refits.
        models: the models to check (default: every model of the frame).
        cache: a :class:`~dataroi.value.FitCache` for the refits.

    Returns:
        A :class:`Backtest`.

    Raises:
        UsageError: ``hold`` < 1, no finished trial, an unknown or unnamed metric, or too
            few sizes: the refit needs at least four sizes below the hidden ones.
        DataError: every trial of the metric failed.
    """
    from dataroi.value._curves import fit_study_curves, study_trials

    if hold is not None and int(hold) < 1:
        raise UsageError(f"hold must be at least 1, got {hold}")
    sub, metric = study_trials(trials, metric=metric, purpose="backtest")
    if models is not None:
        sub = sub[sub["model"].isin(list(models))]
        if sub.empty:
            raise UsageError(f"no finished trial of {', '.join(models)} for metric "
                             f"'{metric}'")
    names = [m for m in (models or dict.fromkeys(sub["model"])) if m in set(sub["model"])]
    common = sorted(set.intersection(*(set(sub.loc[sub["model"] == m, "n_train"])
                                       for m in names)))
    if hold is None:
        hold = 2 if len(common) >= MIN_FIT_SIZES + 2 else 1
    if len(common) < MIN_FIT_SIZES + int(hold):
        raise UsageError(
            f"a backtest hiding {hold} size{'s' if int(hold) > 1 else ''} needs at least "
            f"{MIN_FIT_SIZES + int(hold)} training sizes shared by every model; the study "
            f"has {len(common)} (add sizes: schedule.sizes or schedule.geometric.count)")
    cut = int(common[-int(hold) - 1])
    held = tuple(int(n) for n in common[-int(hold):])
    below = sub[sub["n_train"] <= cut]
    curves = fit_study_curves(below, metric=metric, current_n=cut, random_state=random_state,
                              models=names, cache=cache)
    rows = []
    for m in curves.models:
        fit = curves.fits[m]
        pred = fit.predict(list(held))
        ivs = {lv: fit.interval(list(held), level=lv) for lv in BACKTEST_LEVELS}
        for j, n in enumerate(held):
            vals = sub.loc[(sub["model"] == m) & (sub["n_train"] == n), "value"].to_numpy(float)
            measured = float(vals.mean())
            se = float(vals.std(ddof=1) / math.sqrt(len(vals))) if len(vals) > 1 else math.nan
            row: dict[str, Any] = {"model": m, "n_train": n, "ratio": n / cut,
                                   "predicted": float(pred[j]), "measured": measured,
                                   "measured_se": se, "error": float(pred[j]) - measured}
            for lv, (lo, hi) in ivs.items():
                k = round(lv * 100)
                row[f"low{k}"], row[f"high{k}"] = float(lo[j]), float(hi[j])
                row[f"in{k}"] = bool(lo[j] <= measured <= hi[j])
            rows.append(row)
    notes = [f"{len(rows)} points: too few for a coverage rate; a miss says more than a hit"]
    notes += list(curves.notes)
    return Backtest(metric=metric, higher_is_better=curves.higher_is_better, cut_n=cut,
                    held=held, rows=tuple(rows), notes=tuple(notes))


def study_backtest(trials: pd.DataFrame, *, metric: str | None = None, random_state: int = 0,
                   models: Sequence[str] | None = None, cache: FitCache | None = None
                   ) -> Backtest | None:
    """:func:`backtest_study` with ``hold=None``, or None when the study cannot have one
    (too few sizes, no finished trial): what the recommendation and the report show.

    Example:
        >>> import pandas as pd
        >>> rows = [{"model": "a", "n_train": n, "repeat": 0, "metric": "accuracy",
        ...          "value": 0.9 - 1 / n}  for n in (10, 20, 40)]
        >>> study_backtest(pd.DataFrame(rows)) is None
        True
    """
    from dataroi.exceptions import DataroiError

    try:
        return backtest_study(trials, metric=metric, hold=None, random_state=random_state,
                              models=models, cache=cache)
    except DataroiError:
        return None
