"""The observed outcome of a shipped model change: an A/B split, checked and estimated.

After the change ships to part of the traffic, ``observe`` takes the outcome table (one
row per unit: its arm and its realized value, and optionally the same unit's value in a
pre-period) and says:

* **Sample ratio**: whether the arms' sizes match the planned split (a chi-square
  goodness-of-fit test; a mismatch at p < 0.001 means the assignment or the logging is
  broken and no effect estimate should be trusted: Kohavi, Tang & Xu, *Trustworthy
  Online Controlled Experiments*, 2020, ch. 21);
* **The realized effect**: the difference in mean value (treatment − control) with a
  Welch t interval, and with CUPED (Deng, Xu, Kohavi & Walker, WSDM 2013): the value
  adjusted by the pre-period covariate, ``y - theta (x - mean x)`` with ``theta =
  cov(y, x) / var(x)`` pooled over both arms — the same expectation, a smaller variance
  when the pre-period predicts the outcome (the ratio of the interval widths is printed);
* **A ratio metric** (``denominator``: value per order, per session, when a unit has
  several): each arm's ratio of sums ``Σ y / Σ x`` and their difference, with the delta
  method's standard error (the linearized values ``(y - R x) / mean x``; Deng, Knoblich &
  Lu, KDD 2018) and a normal interval — a ratio of sums is not a mean of independent
  rows, so a t-test on per-row ratios would answer another question;
* **The prediction against the outcome**: whether the pre-ship assessment's interval for
  the value difference per row (``dataroi impact run --json``) covers the realized
  effect, and by how much it missed.

The Welch interval and the chi-square test are scipy's; CUPED is two lines of numpy on top
(scipy has none). What this module adds is the order — the sample ratio first — and the
comparison with the prediction.

Example:
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> pre = rng.normal(10, 3, 4000)
    >>> arm = np.where(rng.random(4000) < 0.5, "new", "old")
    >>> y = pre + rng.normal(0, 1, 4000) + (arm == "new") * 0.2
    >>> obs = observe(pd.DataFrame({"arm": arm, "v": y, "pre": pre}), arm="arm",
    ...               treatment="new", value="v", pre="pre")
    >>> obs.srm_ok, round(obs.cuped.estimate, 2), obs.width_ratio < 0.5
    (True, 0.2, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi.exceptions import UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["OBSERVATION_KIND", "Effect", "Observation", "observe"]

#: the ledger document kind of a recorded observation (``impact observe --ledger``)
OBSERVATION_KIND = "impact_observation"

#: a sample ratio mismatch below this p-value stops the analysis (Kohavi et al. 2020)
SRM_ALPHA = 0.001


@dataclass(frozen=True)
class Effect:
    """A difference in means (treatment − control) with its Welch t interval."""

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    df: float

    def to_dict(self) -> dict[str, float]:
        """Plain data."""
        return {"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "se": self.se, "df": self.df}


@dataclass(frozen=True)
class Observation:
    """What :func:`observe` found (see the module doc)."""

    n_control: int
    n_treatment: int
    expected_share: float
    srm_p: float
    plain: Effect
    cuped: Effect | None
    theta: float | None
    confidence: float
    predicted: Mapping[str, float] | None = None
    notes: tuple[str, ...] = field(default=())
    denominator: str | None = None

    @property
    def srm_ok(self) -> bool:
        """No sample ratio mismatch (p >= :data:`SRM_ALPHA`)."""
        return self.srm_p >= SRM_ALPHA

    @property
    def effect(self) -> Effect:
        """The estimate to use: CUPED when a pre-period was given, else the plain one."""
        return self.cuped if self.cuped is not None else self.plain

    @property
    def width_ratio(self) -> float | None:
        """CUPED's interval width over the plain one's (below 1: narrower)."""
        if self.cuped is None:
            return None
        return (self.cuped.ci_high - self.cuped.ci_low) / max(
            self.plain.ci_high - self.plain.ci_low, 1e-300)

    @property
    def prediction_covers(self) -> bool | None:
        """Whether the pre-ship interval covers the realized effect (None: no
        prediction)."""
        return covers(self.predicted, self.effect.estimate)

    def lines(self) -> list[str]:
        """The findings in words, the sample ratio first."""
        share = self.n_treatment / max(self.n_control + self.n_treatment, 1)
        out = [f"sample ratio: {self.n_treatment:,} treatment and {self.n_control:,} "
               f"control rows ({share:.1%} treatment, planned {self.expected_share:.1%}): "
               + ("no mismatch" if self.srm_ok else "MISMATCH")
               + f" (chi-square p = {_p(self.srm_p)})"]
        if not self.srm_ok:
            out.append("the assignment or the logging is broken: the effect below is not "
                       "to be trusted until the mismatch is explained")
        pct = f"{self.confidence:.0%}"
        p = self.plain
        if self.denominator is not None:
            out.append(f"realized effect per {self.denominator}, difference in ratios of "
                       f"sums: {p.estimate:+,.4g} [{p.ci_low:+,.4g}, {p.ci_high:+,.4g}] "
                       f"({pct} delta-method interval)")
        else:
            out.append(f"realized effect per row, difference in means: {p.estimate:+,.4g} "
                       f"[{p.ci_low:+,.4g}, {p.ci_high:+,.4g}] ({pct} Welch t interval)")
        if self.cuped is not None:
            c = self.cuped
            out.append(f"with CUPED on the pre-period (theta {self.theta:.3g}): "
                       f"{c.estimate:+,.4g} [{c.ci_low:+,.4g}, {c.ci_high:+,.4g}], an "
                       f"interval {self.width_ratio:.2f}x as wide")
        if self.predicted is not None:
            out.append(prediction_line(self.predicted, self.effect.estimate))
        return out + list(self.notes)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``dataroi impact observe --json``)."""
        return {"n_control": self.n_control, "n_treatment": self.n_treatment,
                "expected_share": self.expected_share, "srm_p": self.srm_p,
                "srm_ok": self.srm_ok, "confidence": self.confidence,
                "plain": self.plain.to_dict(),
                "cuped": self.cuped.to_dict() if self.cuped else None, "theta": self.theta,
                "width_ratio": self.width_ratio, "predicted": dict(self.predicted)
                if self.predicted else None, "prediction_covers": self.prediction_covers,
                "denominator": self.denominator,
                "lines": self.lines()}


def covers(predicted: Mapping[str, float] | None, realized: float) -> bool | None:
    """Whether a pre-ship interval (``ci_low``, ``ci_high``) covers ``realized`` (None:
    no prediction).

    Example:
        >>> covers({"estimate": 1.0, "ci_low": 0.5, "ci_high": 1.5}, 1.7), covers(None, 1)
        (False, None)
    """
    if predicted is None:
        return None
    return bool(predicted["ci_low"] <= realized <= predicted["ci_high"])


def prediction_line(predicted: Mapping[str, float], realized: float) -> str:
    """The pre-ship prediction against the realized effect, in words."""
    verdict = "covers" if covers(predicted, realized) else "does NOT cover"
    return (f"the pre-ship prediction {predicted['estimate']:+,.4g} "
            f"[{predicted['ci_low']:+,.4g}, {predicted['ci_high']:+,.4g}] {verdict} the "
            f"realized {realized:+,.4g} (error {realized - predicted['estimate']:+,.4g} per "
            "row)")


def _p(p: float) -> str:
    return "< 1e-12" if p < 1e-12 else f"{p:.3g}"


def _welch(a: np.ndarray, b: np.ndarray, confidence: float) -> Effect:
    """Mean of ``b`` − mean of ``a`` with scipy's Welch t interval."""
    from scipy.stats import ttest_ind

    res = ttest_ind(b, a, equal_var=False)
    ci = res.confidence_interval(confidence)
    d = float(b.mean() - a.mean())
    se = float(np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))
    return Effect(d, float(ci.low), float(ci.high), se, float(res.df))


def _delta_ratio(y: np.ndarray, x: np.ndarray, t: np.ndarray, confidence: float) -> Effect:
    """Treatment ratio of sums − control's, with the delta method's normal interval.

    Example:
        >>> y = np.array([2.0, 4.0, 3.0, 6.0, 9.0, 7.0]); x = np.array([1.0, 2, 1, 2, 3, 2])
        >>> e = _delta_ratio(y, x, np.array([0, 0, 0, 1, 1, 1], bool), 0.95)
        >>> round(e.estimate, 4)   # 22/7 - 9/4
        0.8929
    """
    from scipy.stats import norm

    parts = []
    for mask in (~t, t):
        yy, xx = y[mask], x[mask]
        r = yy.sum() / xx.sum()
        lin = (yy - r * xx) / xx.mean()
        parts.append((float(r), float(lin.var(ddof=1) / len(yy))))
    (rc, vc), (rt, vt) = parts
    d, se = rt - rc, float(np.sqrt(vc + vt))
    z = float(norm.ppf(0.5 + confidence / 2))
    return Effect(d, d - z * se, d + z * se, se, float("inf"))


def observe(frame: pd.DataFrame, *, arm: str, treatment: Any, value: str,
            pre: str | None = None, expected_share: float = 0.5,
            confidence: float = 0.95,
            predicted: Mapping[str, float] | None = None,
            denominator: str | None = None) -> Observation:
    """Check the sample ratio and estimate the realized effect of an A/B split.

    Args:
        frame: one row per unit.
        arm: the column naming each row's arm; ``treatment``: its value for the treated
            (new model) rows; every other value is control.
        value: the realized value per row (a number).
        pre: the same unit's value in a pre-period (CUPED's covariate), or None.
        expected_share: the planned share of treatment rows.
        confidence: of the intervals.
        predicted: the pre-ship estimate of the value difference per row
            (``estimate``, ``ci_low``, ``ci_high``), or None.
        denominator: a ratio metric: the effect is the difference of the arms' ratios
            ``Σ value / Σ denominator`` (value per order, per session), with the delta
            method's interval; not with ``pre``.

    Raises:
        UsageError: a missing column, a non-numeric value, an arm with fewer than two
            rows, a share or confidence outside (0, 1).
    """
    import pandas as pd
    from scipy.stats import chisquare

    if denominator is not None and pre is not None:
        raise UsageError("--denominator and --pre together are not supported: CUPED on a "
                         "ratio metric needs the pre-period's ratio too; give one of them")
    for name, col in (("--arm", arm), ("--value", value), ("--pre", pre),
                      ("--denominator", denominator)):
        if col is not None and col not in frame.columns:
            raise UsageError(f"{name} {col}: no such column (columns: "
                             f"{', '.join(map(str, frame.columns[:12]))})")
    if not 0 < expected_share < 1:
        raise UsageError(f"the planned treatment share must be in (0, 1), got {expected_share}")
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must be in (0, 1), got {confidence}")
    notes: list[str] = []
    is_t = frame[arm].astype(str) == str(treatment)
    if not is_t.any():
        raise UsageError(f"--treatment {treatment}: no row of column {arm} has it (values: "
                         f"{', '.join(map(str, frame[arm].dropna().unique()[:8]))})")
    y = pd.to_numeric(frame[value], errors="coerce")
    if y.notna().sum() == 0:
        raise UsageError(f"--value {value}: not a number in any row")
    keep = y.notna() & np.isfinite(y)
    den = None
    if denominator is not None:
        den = pd.to_numeric(frame[denominator], errors="coerce")
        keep &= den.notna() & np.isfinite(den) & (den >= 0)
    x = None
    if pre is not None:
        x = pd.to_numeric(frame[pre], errors="coerce")
        keep &= x.notna() & np.isfinite(x)
    dropped = int((~keep).sum())
    if dropped:
        notes.append(f"{dropped:,} rows without a finite value"
                     f"{' or pre-period value' if pre else ''}"
                     f"{' or a finite denominator >= 0' if denominator else ''} left out")
    n_t, n_c = int((is_t & keep).sum()), int((~is_t & keep).sum())
    if min(n_t, n_c) < 2:
        raise UsageError(f"each arm needs at least 2 rows with a value; treatment has {n_t}, "
                         f"control {n_c}")
    # the sample ratio is checked on every row assigned, kept or not
    counts = np.array([(~is_t).sum(), is_t.sum()], dtype=float)
    srm_p = float(chisquare(counts, counts.sum() * np.array([1 - expected_share,
                                                             expected_share])).pvalue)
    yy = y[keep].to_numpy(float)
    tt = is_t[keep].to_numpy()
    if den is not None:
        dd = den[keep].to_numpy(float)
        if dd[tt].sum() <= 0 or dd[~tt].sum() <= 0:
            raise UsageError(f"--denominator {denominator}: sums to 0 in an arm; a ratio "
                             "needs a positive total in each")
        plain = _delta_ratio(yy, dd, tt, confidence)
        notes.append(f"ratio metric: {value} per {denominator} (sum over sum per arm; "
                     "delta-method normal interval)")
    else:
        plain = _welch(yy[~tt], yy[tt], confidence)
    cuped, theta = None, None
    if x is not None:
        xx = x[keep].to_numpy(float)
        vx = xx.var(ddof=1)
        if vx > 0:
            theta = float(np.cov(yy, xx, ddof=1)[0, 1] / vx)
            adj = yy - theta * (xx - xx.mean())
            cuped = _welch(adj[~tt], adj[tt], confidence)
        else:
            notes.append(f"--pre {pre} is constant: no CUPED adjustment")
    if predicted is not None:
        predicted = {k: float(predicted[k]) for k in ("estimate", "ci_low", "ci_high")}
    return Observation(n_control=n_c, n_treatment=n_t, expected_share=float(expected_share),
                       srm_p=srm_p, plain=plain, cuped=cuped, theta=theta,
                       confidence=float(confidence), predicted=predicted,
                       notes=tuple(notes), denominator=denominator)
