"""Follow-up: an earlier recommendation's forecasts against what was measured later.

A recommendation is a forecast ("buy 6,000 labels and logreg reaches 0.86 (0.84-0.88)").
When the study's data has grown and the study has run again, :func:`check_forecasts`
puts each model's forecast at the new size (from the earlier trials' curves: the same
draws the recommendation was made from) beside the score measured there: inside or
outside the 50 % and 90 % intervals, the error, and, with money, the realized net value
of the decision taken and its regret against the best choice in hindsight.
:func:`track_record` pools the checks of every follow-up in a ledger: coverage of the
intervals (with Wilson intervals), bias, error, realized regret, and the scale by which
the team's own record says future intervals should be widened or narrowed
(:attr:`TrackRecord.interval_scale`; None until :data:`MIN_CHECKS` forecasts exist).

Example:
    >>> import numpy as np
    >>> from dataroi.spec import CostSpec
    >>> rng = np.random.default_rng(0)
    >>> draws = 0.86 + 0.01 * rng.standard_normal(4000)
    >>> checks = check_forecasts(
    ...     chosen_model="logreg", current_model="logreg", today=0.80, n_then=2000,
    ...     n_now=8000, forecasts={"logreg": forecast_quantiles(draws)},
    ...     measured={"logreg": (0.875, 0.002, 5)},
    ...     higher_is_better=True,
    ...     costs=CostSpec(price_per_label_usd=0.1, value_per_point_usd=1000))
    >>> c = checks[0]
    >>> round(c.median, 3), c.inside50, c.inside90, round(c.error, 3)
    (0.86, False, True, 0.015)
    >>> round(c.realized_net_usd)   # 7.5 points x $1,000 - 6,000 labels x $0.10
    6900
    >>> [round(v) for v in (c.realized_net_q05_usd, c.realized_net_q95_usd)]  # ± 1.645 SE
    [6571, 7229]
    >>> track_record([c.to_dict()]).n_forecasts
    1
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi._json import json_safe
from dataroi._money import usd
from dataroi.decide._costs import CostModel
from dataroi.spec import CostSpec

if TYPE_CHECKING:
    from dataroi.ledger import DocumentStore

__all__ = ["MIN_CHECKS", "FollowUp", "ForecastCheck", "TrackRecord", "check_forecasts",
           "forecast_quantiles", "forecasts_at", "ledger_track_record", "measured_today",
           "recalibrate_draws", "track_record", "widen_quantiles"]

#: Forecasts a track record needs before it recalibrates intervals
#: (:attr:`TrackRecord.interval_scale`): with fewer, the 90 % quantile of the scaled
#: errors is too noisy to move an interval (at 30, its standard error is about 0.2 of
#: the interval's half-width on normal errors).
MIN_CHECKS = 30


@dataclass(frozen=True)
class ForecastCheck:
    """One model's forecast at the new size against the measurement there.

    Attributes:
        model: the model.
        chosen: it is the model the recommendation chose (the decision taken).
        n_then, n_now: labels when the forecast was made, and now (where it is checked).
        median, q05, q25, q75, q95: the forecast of the metric at ``n_now``.
        measured: the mean over repeats measured at ``n_now``; ``measured_se`` its
            standard error; ``repeats`` how many.
        error: ``measured - median`` (metric units; > 0: the metric came out higher).
        inside50, inside90: the measurement inside the forecast's 50 % / 90 % interval.
        z90: the error in units of the 90 % interval's half-width on its side (|z| <= 1
            is inside): what :func:`track_record` recalibrates from.
        realized_gain: the improvement over today's score (direction applied).
        realized_sd: the standard deviation of ``realized_gain``: the measurement's
            standard error and the two test sets' sampling noise (``test_sd``), combined
            (today's own repeat noise is not kept with a recommendation, so it is left
            out: the interval is a little narrow where today had few repeats).
        realized_net_usd: the realized value of that gain less the labels added and the
            switch (None without a value per point or a label price).
        realized_net_q05_usd, realized_net_q95_usd: its 90 % interval, from
            ``realized_gain ± 1.645 realized_sd`` (None without money, or without noise
            known: ``realized_sd`` 0).
        expected_net_usd: the net value the recommendation expected of its chosen
            option (chosen model only; None otherwise).
        regret_usd: the best realized net value in hindsight among staying and every
            model at ``n_now``, minus the chosen one's (chosen model only).
        best_in_hindsight: the model (or ``"stay"``) that was best in hindsight.
        source: ``"stated"`` (the recommendation's own option at ``n_now``: its
            quantiles as saved) or ``"recomputed"`` (the earlier trials' curve draws at
            ``n_now``, where no option was stated at that size).
        test_sd: the standard deviation of the test sets' sampling noise the quantiles
            were widened by (0: not widened; see :func:`check_forecasts`).
    """

    model: str
    chosen: bool
    n_then: int
    n_now: int
    median: float
    q05: float
    q25: float
    q75: float
    q95: float
    measured: float
    measured_se: float
    repeats: int
    error: float
    inside50: bool
    inside90: bool
    z90: float
    realized_gain: float
    realized_net_usd: float | None = None
    expected_net_usd: float | None = None
    regret_usd: float | None = None
    best_in_hindsight: str | None = None
    source: str = "recomputed"
    test_sd: float = 0.0
    realized_sd: float = 0.0
    realized_net_q05_usd: float | None = None
    realized_net_q95_usd: float | None = None

    @property
    def realized_gain_interval(self) -> tuple[float, float]:
        """The 90 % interval of :attr:`realized_gain` (``± 1.645 realized_sd``)."""
        half = _Z90 * self.realized_sd
        return self.realized_gain - half, self.realized_gain + half

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (what a ``followup`` document keeps)."""
        return json_safe(asdict(self))

    @property
    def verdict(self) -> str:
        """Inside the 50 % interval, the 90 % interval, or outside, in words."""
        if self.inside50:
            return "inside the 50 % interval"
        if self.inside90:
            return "inside the 90 % interval"
        return "OUTSIDE the 90 % interval"


_Z90 = 1.6448536269514722  # the standard normal's 95 % quantile: a two-sided 90 % interval


def _z90(err: float, median: float, q05: float, q95: float) -> float:
    half = (q95 - median) if err >= 0 else (median - q05)
    if half <= 0:
        return 0.0 if err == 0 else math.copysign(math.inf, err)
    return err / half


def check_forecasts(*, chosen_model: str, current_model: str, today: float, n_then: int,
                    n_now: int, forecasts: Mapping[str, Sequence[float]],
                    measured: Mapping[str, tuple[float, float, int]],
                    higher_is_better: bool, costs: CostSpec | None = None,
                    expected_net_usd: float | None = None, chose_stay: bool = False,
                    sources: Mapping[str, str] | None = None,
                    scale: float | None = None,
                    test_sd: Mapping[str, float] | None = None) -> list[ForecastCheck]:
    """Check each model's forecast at ``n_now`` against its measurement there.

    Args:
        chosen_model: the model the recommendation chose.
        current_model: the model in use when it was made (switching costs from it).
        today: the current model's score then.
        n_then, n_now: labels then and now.
        forecasts: model → its forecast of the metric at ``n_now`` as the 5 %, 25 %,
            50 %, 75 % and 95 % quantiles (:func:`forecast_quantiles` of draws).
        measured: model → (mean, standard error, repeats) measured at ``n_now``.
        higher_is_better: the metric's direction.
        costs: prices and the value of a point (money fields are None without them).
        expected_net_usd: what the recommendation expected of its chosen option.
        chose_stay: the recommendation was to stay (label nothing, keep the model).
        sources: model → where its forecast comes from (``"stated"``: the
            recommendation's own option at ``n_now``; ``"recomputed"``: the earlier
            trials' curve draws at ``n_now``).
        scale: widen (> 1) or narrow the intervals around the median first (a track
            record's ``interval_scale``; see :func:`recalibrate_draws`).
        test_sd: model → the standard deviation of the difference between its score on
            the test set the forecast was made on and on the one it is measured on (two
            test sets' sampling noise: a new data version draws a new test set). The
            curve draws forecast the score on the old test set, so each quantile is
            then widened as a normal noise of that spread would widen it
            (:func:`widen_quantiles`); without it, 1,600 test rows' noise alone (±0.012
            accuracy) put three forecasts of Chem97 "OUTSIDE the 90 % interval".

    Returns:
        One :class:`ForecastCheck` per model with both a forecast and a measurement,
        the chosen model first.
    """
    sign = 1.0 if higher_is_better else -1.0
    cm = CostModel(costs) if costs is not None else None
    priced = (cm is not None and cm.has_value and costs is not None
              and costs.price_per_label_usd is not None)
    added = max(int(n_now) - int(n_then), 0)
    rows: list[ForecastCheck] = []
    nets: dict[str, float] = {}
    for model, quantiles in forecasts.items():
        if model not in measured or not np.isfinite(np.asarray(quantiles, float)).all():
            continue
        q = np.asarray(quantiles, dtype=float)
        if scale is not None:
            q = recalibrate_draws(q, scale)
        sd = float((test_sd or {}).get(model, 0.0) or 0.0)
        if sd > 0 and math.isfinite(sd):
            q = widen_quantiles(q, sd)
        else:
            sd = 0.0
        q05, q25, med, q75, q95 = (float(v) for v in q)
        mean, se, reps = measured[model]
        err = float(mean - med)
        gain = sign * (float(mean) - float(today))
        gain_sd = math.hypot(float(se) if math.isfinite(float(se)) else 0.0, sd)
        net = net_lo = net_hi = None
        if priced:
            assert cm is not None
            cost = cm.labeling_usd(added) + cm.engineering_usd(model, current_model)
            net = float(cm.value_usd(gain) - cost)
            if gain_sd > 0:  # no noise known (one repeat, no test noise): no interval
                net_lo = float(cm.value_usd(gain - _Z90 * gain_sd) - cost)
                net_hi = float(cm.value_usd(gain + _Z90 * gain_sd) - cost)
            nets[model] = net
        rows.append(ForecastCheck(
            model=model, chosen=model == chosen_model, n_then=int(n_then), n_now=int(n_now),
            median=med, q05=q05, q25=q25, q75=q75, q95=q95, measured=float(mean),
            measured_se=float(se), repeats=int(reps), error=err,
            inside50=q25 <= mean <= q75, inside90=q05 <= mean <= q95,
            z90=_z90(err, med, q05, q95), realized_gain=gain, realized_net_usd=net,
            source=(sources or {}).get(model, "recomputed"), test_sd=sd,
            realized_sd=gain_sd, realized_net_q05_usd=net_lo, realized_net_q95_usd=net_hi))
    rows.sort(key=lambda c: (not c.chosen, c.model))
    if priced and rows and rows[0].chosen:
        options = {"stay": 0.0, **nets}
        best = max(options, key=lambda k: options[k])
        taken = 0.0 if chose_stay else nets[rows[0].model]
        rows[0] = ForecastCheck(**{**asdict(rows[0]), "expected_net_usd": expected_net_usd,
                                   "regret_usd": options[best] - taken,
                                   "best_in_hindsight": best})
    return rows


@dataclass(frozen=True)
class FollowUp:
    """One earlier recommendation checked against the measurements after the data grew.

    Attributes:
        study: the study's name.
        recommendation_id: the ledger document of the recommendation checked.
        made_at: when it was saved (ISO, UTC).
        first_step: what it said to do.
        metric, current_model, today: the situation then (``today``: the current model's
            score then).
        chosen_model: the model it chose; ``planned_n`` the labels its chosen option
            planned in all; ``chose_stay`` it said to stay.
        n_then, n_now: labels then and now (where the forecasts are checked).
        checks: the chosen model's check first, then every other model's.
        notes: what the reader should know (labels added differ from the plan, costs
            changed, a model not measured now...).
        document_id: the ``followup`` document recorded in the ledger (None: not saved).
    """

    study: str
    recommendation_id: int
    made_at: str
    first_step: str
    metric: str
    current_model: str
    today: float
    chosen_model: str
    planned_n: int
    chose_stay: bool
    n_then: int
    n_now: int
    checks: tuple[ForecastCheck, ...]
    notes: tuple[str, ...] = ()
    document_id: int | None = None

    @property
    def chosen(self) -> ForecastCheck | None:
        """The chosen model's check (None when it was not measured now)."""
        return next((c for c in self.checks if c.chosen), None)

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any], *,
                  document_id: int | None = None) -> FollowUp:
        """Back from :meth:`to_dict` (a recorded ``followup`` document's payload)."""
        names = {f for f in cls.__dataclass_fields__}
        d = {k: v for k, v in payload.items() if k in names}
        check_names = set(ForecastCheck.__dataclass_fields__)
        d["checks"] = tuple(ForecastCheck(**{k: v for k, v in c.items() if k in check_names})
                            for c in payload.get("checks", ()))
        d["notes"] = tuple(payload.get("notes", ()))
        d["document_id"] = document_id if document_id is not None else d.get("document_id")
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (the ``followup`` document's payload)."""
        d = asdict(self)
        d["checks"] = [c.to_dict() for c in self.checks]
        return json_safe({"kind": "dataroi.followup", **d})

    def lines(self) -> list[str]:
        """The follow-up in plain words, one line each."""
        out = [f"recommendation {self.recommendation_id} of {self.made_at[:19]} "
               f"({self.n_then:,} labels): {self.first_step}"]
        c = self.chosen
        if c is not None:
            out.append(f"forecast for {c.model} at {c.n_now:,} labels: {c.median:.4f} "
                       f"(50 %: {c.q25:.4f}-{c.q75:.4f}; 90 %: {c.q05:.4f}-{c.q95:.4f}); "
                       f"measured {c.measured:.4f} ± {c.measured_se:.4f} "
                       f"({c.repeats} repeats): {c.verdict}, error {c.error:+.4f}")
            if c.realized_net_usd is not None:
                span = ("" if c.realized_net_q05_usd is None or c.realized_net_q95_usd is None
                        else f"90 %: {usd(c.realized_net_q05_usd)} to "
                             f"{usd(c.realized_net_q95_usd)}")
                exp = "" if c.expected_net_usd is None else f"expected {usd(c.expected_net_usd)}"
                regret = (f"regret {usd(c.regret_usd)} (best in hindsight: "
                          f"{c.best_in_hindsight})")
                added = self.n_now - self.n_then
                if self.chose_stay and added > 0:
                    # the decision bought nothing: the labels added anyway are not its own
                    out.append(f"realized net value of labeling nothing $0"
                               f"{f' ({exp})' if exp else ''}; the {added:,} labels added "
                               f"anyway realized {usd(c.realized_net_usd)}"
                               f"{f' ({span})' if span else ''} with {c.model}; {regret}")
                else:
                    said = "; ".join(p for p in (span, exp) if p)
                    out.append(f"realized net value {usd(c.realized_net_usd)}"
                               f"{f' ({said})' if said else ''}; {regret}")
        inside = sum(x.inside90 for x in self.checks)
        out.append(f"{inside} of {len(self.checks)} models' measurements inside their 90 % "
                   "interval")
        out += list(self.notes)
        return out


def forecasts_at(rec: Mapping[str, Any], curves: Any, n: int, *, n_draws: int = 2000
                 ) -> tuple[dict[str, tuple[float, ...]], dict[str, str]]:
    """Each model's forecast at ``n`` labels (5/25/50/75/95 % quantiles) and where it
    comes from: the recommendation ``rec`` (a saved payload) as **stated** where it priced
    an option at exactly ``n`` (today's score plus the option's gain quantiles; a switch
    option's include today's paired difference), else **recomputed** from ``curves``
    (the :class:`~dataroi.value.StudyCurves` of the trials the recommendation was made
    from: the same fits and seeded draws).
    """
    sign = 1.0 if curves.higher_is_better else -1.0
    qs = ("05", "25", "50", "75", "95") if sign > 0 else ("95", "75", "50", "25", "05")
    forecasts: dict[str, tuple[float, ...]] = {}
    sources: dict[str, str] = {}
    for o in (rec.get("options") or {}).get("options", ()):
        if int(o["n_total"]) == n and o.get("gain_q05") is not None:
            forecasts[o["model"]] = tuple(float(rec["today"]) + sign * float(o[f"gain_q{q}"])
                                          for q in qs)
            sources[o["model"]] = "stated"
    for m in curves.models:
        if m not in forecasts:
            forecasts[m] = forecast_quantiles(curves.draws(m, [n], n_draws)[:, 0])
            sources[m] = "recomputed"
    return forecasts, sources


def measured_today(curves: Any) -> dict[str, tuple[float, float, int]]:
    """Each model's (mean, standard error, repeats) at ``curves.current_n``, over its
    finite repeats (standard error NaN with one)."""
    out = {}
    for m in curves.models:
        vals = np.array([v for v in curves.today[m].values() if np.isfinite(v)], float)
        if vals.size:
            se = float(vals.std(ddof=1) / np.sqrt(vals.size)) if vals.size > 1 else math.nan
            out[m] = (float(vals.mean()), se, int(vals.size))
    return out


def forecast_quantiles(draws: Any) -> tuple[float, float, float, float, float]:
    """The 5/25/50/75/95 % quantiles of finite draws (NaN when there are none).

    Example:
        >>> forecast_quantiles(np.arange(101.0))
        (5.0, 25.0, 50.0, 75.0, 95.0)
    """
    d = np.asarray(draws, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return (math.nan,) * 5  # type: ignore[return-value]
    a, b, c, e, f = (float(v) for v in np.quantile(d, [.05, .25, .5, .75, .95]))
    return (a, b, c, e, f)


#: Standard normal quantiles of the 5/25/50/75/95 % levels.
_Z = np.array([-1.6448536, -0.6744898, 0.0, 0.6744898, 1.6448536])


def widen_quantiles(q: Sequence[float], sd: float) -> np.ndarray:
    """The 5/25/50/75/95 % quantiles ``q`` of a forecast with independent normal noise
    of spread ``sd`` added, each side treated as normal: the half-width ``h`` of a level
    becomes ``sqrt(h² + (z·sd)²)``, ``z`` that level's normal quantile (the median
    stays).

    Example:
        >>> [round(float(v), 4) for v in widen_quantiles([.30, .34, .35, .36, .40], 0.01)]
        [0.2974, 0.3379, 0.35, 0.3621, 0.4026]
    """
    q = np.asarray(q, dtype=float)
    med = q[2]
    half = q - med
    return med + np.sign(_Z) * np.sqrt(half ** 2 + (_Z * sd) ** 2)


def recalibrate_draws(draws: np.ndarray, scale: float) -> np.ndarray:
    """Stretch draws around their median by ``scale`` (> 1 widens every interval).

    Example:
        >>> recalibrate_draws(np.array([1.0, 2.0, 4.0]), 2.0).tolist()
        [0.0, 2.0, 6.0]
    """
    d = np.asarray(draws, dtype=float)
    med = float(np.median(d))
    return med + float(scale) * (d - med)


def _mean_interval(values: Sequence[float], *, seed: int = 0,
                   resamples: int = 2000) -> tuple[float, float] | None:
    """90 % percentile-bootstrap interval of the mean of ``values`` (None below two).

    scipy's percentile bootstrap rather than a t-interval: regrets are >= 0 and skewed (most
    decisions lose nothing, a few lose much), and the interval should not run below 0.

    Example:
        >>> _mean_interval([0.0, 0.0, 0.0, 400.0])
        (0.0, 200.0)
        >>> _mean_interval([5.0]) is None, _mean_interval([2.0, 2.0])
        (True, (2.0, 2.0))
    """
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        return None
    if np.ptp(v) == 0:  # scipy warns and returns NaN on a degenerate sample
        return (float(v[0]), float(v[0]))
    from scipy.stats import bootstrap

    ci = bootstrap((v,), np.mean, confidence_level=0.9, n_resamples=resamples,
                   method="percentile", rng=np.random.default_rng(seed)).confidence_interval
    return (float(ci.low), float(ci.high))


def _wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return (float("nan"), float("nan"))
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=0.9, method="wilson")
    return (float(ci.low), float(ci.high))


@dataclass(frozen=True)
class TrackRecord:
    """How good a ledger's forecasts were, pooled over its follow-ups.

    Attributes:
        n_forecasts: forecasts checked (every model of every follow-up).
        n_decisions: decisions checked (the chosen model of each follow-up).
        coverage50, coverage90: the share of measurements inside the 50 % / 90 %
            intervals, each with a 90 % Wilson interval (``*_ci``).
        bias: mean of measured − forecast median (metric units; > 0: forecasts too low).
        mae: mean absolute error.
        mean_regret_usd: mean realized regret of the decisions taken (None without money).
        realized_net_usd: total realized net value of the decisions taken.
        interval_scale: the factor that would have made 90 % of the past measurements fall
            inside the 90 % intervals (the 90 % quantile of ``|z90|``): > 1 widens future
            intervals, < 1 narrows them. None until :data:`MIN_CHECKS` forecasts exist
            (the recalibration is off until then).
        by_study: study → (forecasts, share inside 90 %).
        mean_regret_ci: 90 % interval of the mean realized regret, from resampling the
            decisions (a seeded percentile bootstrap); None below two decisions with
            money.
    """

    n_forecasts: int
    n_decisions: int
    coverage50: float
    coverage50_ci: tuple[float, float]
    coverage90: float
    coverage90_ci: tuple[float, float]
    bias: float
    mae: float
    mean_regret_usd: float | None
    realized_net_usd: float | None
    interval_scale: float | None
    by_study: Mapping[str, tuple[int, float]] = field(default_factory=dict)
    mean_regret_ci: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return json_safe(asdict(self))

    def lines(self) -> list[str]:
        """The record in plain words, one line each."""
        if self.n_forecasts == 0:
            return ["no forecast has been checked yet (`dataroi followup SPEC` after the "
                    "data grew and the study ran again)"]
        lo50, hi50 = self.coverage50_ci
        lo90, hi90 = self.coverage90_ci
        out = [f"{self.n_forecasts} forecast{'s' if self.n_forecasts != 1 else ''} checked "
               f"({self.n_decisions} decision{'s' if self.n_decisions != 1 else ''})",
               f"50 % intervals covered {self.coverage50:.0%} (90 % CI {lo50:.0%}-{hi50:.0%})",
               f"90 % intervals covered {self.coverage90:.0%} (90 % CI {lo90:.0%}-{hi90:.0%})",
               f"bias (measured - forecast) {self.bias:+.4f}; mean absolute error "
               f"{self.mae:.4f}"]
        if self.mean_regret_usd is not None:
            ci = ("" if self.mean_regret_ci is None else
                  f" (90 % CI {usd(self.mean_regret_ci[0])}-{usd(self.mean_regret_ci[1])})")
            out.append(f"mean realized regret of the decisions {usd(self.mean_regret_usd)}"
                       f"{ci}; realized net value {usd(self.realized_net_usd)} in all")
        if self.interval_scale is None:
            out.append(f"recalibration off: it needs {MIN_CHECKS} checked forecasts")
        else:
            out.append(f"recalibration: the record says intervals x{self.interval_scale:.2f}")
        return out


def track_record(checks: Iterable[Mapping[str, Any]], *,
                 min_checks: int = MIN_CHECKS) -> TrackRecord:
    """Pool forecast checks (``ForecastCheck.to_dict()`` rows, each optionally with a
    ``study`` key) into a :class:`TrackRecord`.

    Example:
        >>> rows = [{"error": e, "inside50": abs(e) < .01, "inside90": abs(e) < .02,
        ...          "z90": e / .02, "chosen": True, "regret_usd": 0.0,
        ...          "realized_net_usd": 10.0} for e in (-.03, .0, .01, .015)]
        >>> r = track_record(rows, min_checks=4)
        >>> r.coverage90, round(r.bias, 4), round(r.interval_scale, 2)
        (0.75, -0.0012, 1.28)
    """
    rows: Sequence[Mapping[str, Any]] = list(checks)
    n = len(rows)
    if n == 0:
        nan = float("nan")
        return TrackRecord(0, 0, nan, (nan, nan), nan, (nan, nan), nan, nan, None, None,
                           None)
    err = np.array([float(r["error"]) for r in rows])
    in50 = sum(bool(r["inside50"]) for r in rows)
    in90 = sum(bool(r["inside90"]) for r in rows)
    chosen = [r for r in rows if r.get("chosen")]
    regrets = [float(r["regret_usd"]) for r in chosen if r.get("regret_usd") is not None]
    nets = [float(r["realized_net_usd"]) for r in chosen
            if r.get("realized_net_usd") is not None]
    z = np.abs(np.array([float(r["z90"]) for r in rows]))
    scale = float(np.quantile(z, 0.9)) if n >= min_checks and np.isfinite(z).all() else None
    studies: dict[str, list[bool]] = {}
    for r in rows:
        studies.setdefault(str(r.get("study", "")), []).append(bool(r["inside90"]))
    return TrackRecord(
        n_forecasts=n, n_decisions=len(chosen), coverage50=in50 / n,
        coverage50_ci=_wilson(in50, n), coverage90=in90 / n, coverage90_ci=_wilson(in90, n),
        bias=float(err.mean()), mae=float(np.abs(err).mean()),
        mean_regret_usd=float(np.mean(regrets)) if regrets else None,
        realized_net_usd=float(np.sum(nets)) if nets else None, interval_scale=scale,
        by_study={k: (len(v), sum(v) / len(v)) for k, v in studies.items()},
        mean_regret_ci=_mean_interval(regrets))


def ledger_track_record(store: DocumentStore, *, study: str | None = None,
                        min_checks: int = MIN_CHECKS) -> TrackRecord:
    """The :class:`TrackRecord` of every ``followup`` document in a ledger (of one
    ``study`` when given). Never writes."""
    rows: list[dict[str, Any]] = []
    for doc in store.list_documents("followup"):
        p = doc["payload"]
        if study is not None and p.get("study") != study:
            continue
        rows += [{**c, "study": p.get("study", "")} for c in p.get("checks", ())]
    return track_record(rows, min_checks=min_checks)
