"""The value of cleaner labels by the effective-sample rule, anchored at today's gap.

A label flipped at random carries less information than a clean one. With ``K`` classes
and a share ``r`` of the labels sent uniformly to one of the ``K − 1`` other classes, the
noisy label's class probabilities are ``(1 − rK/(K − 1)) p(x) + r/(K − 1)``: the part a
learner estimates shrinks by ``1 − rK/(K − 1)`` while the label's variance stays about
the same, so ``n`` noisy labels are worth ``f·n`` clean ones with

    f = (1 − r·K/(K − 1))²        ((1 − 2r)² for two classes; Angluin & Laird 1988)

(:func:`effective_fraction`). The noisy arm at ``M`` labels then scores like the clean arm
at ``f·M``. Read on its own that rule is not good enough (issue #26: the clean curve at
``f·M`` misses the level of the noisy arm), so dataroi anchors it at today's measured,
paired gap and uses it only for how the gap *changes*: from today's ``N`` labels the noisy
arm gains what the clean arm gains from ``f·N``,

    gap(kN) = gap(N) + [clean(kN) − clean(N)] − [clean(kN·f) − clean(N·f)].

Anchored that way the rule carries today's *excess* over it, ``E = gap(N) − [clean(N) −
clean(N·f)]`` (how much further behind the noisy arm is than the rule says), unchanged to
every size. On the corpus the excess fades: a learner fitted to few noisy labels is hurt
most (a tree ensemble memorises the flips), and with more labels the arm moves towards
what the rule says. So the excess is carried at ``(N/n)^β``,

    gap(kN) = [clean(kN) − clean(kN·f)] + E·k^(−β),

with ``β`` (:func:`shipped_excess_decay`) learned on the noise arms of the curve corpus
like the interval scale, one per kind of noise; ``β = 0`` is the anchored rule above.
Symmetric noise leaves the Bayes classifier where it was (the noisy labels' class
probabilities are a monotone map of the clean ones), so a flexible learner's excess fades
(β = 0.4 on the corpus); class-conditional noise moves it, and the excess stays (β 0.05).

``clean`` is the clean arm's curve: its measured means (log interpolation) from its
smallest measured size to ``N``, its curve draws elsewhere (beyond ``N`` the learned gain
forecast, :meth:`dataroi.value.StudyCurves.draws`). Each joint draw of the clean curve
plus a draw of today's paired gap (:meth:`~dataroi.value.StudyCurves.paired_today_draws`)
is one draw of the gap; the point is today's measured gap moved by the median clean
curve. The draws' 5–95 % interval is too narrow (it knows nothing of the rule's own
error), so it is widened about the point by a per-factor scale learned on the noise arms
of the curve corpus, each data set held out in turn (``benchmarks/bench_label_quality.py``;
the shipped scale, learned on every data set, is :data:`SCALE_FILE` beside this module,
written by ``benchmarks/learn_noise_rule_scale.py``).

Equivalent labels follow from the same rule: the noisy arm at ``n`` scores
``clean(n·f) − E·(N/n)^β`` and reaches the clean arm's score at ``N`` when that does, for
each draw (:func:`rule_equivalence`; with ``β = 0`` an excess the clean curve cannot gain
back from ``N·f`` is never closed, which the corpus showed false in 28 of 54 such cases).
The draws are spread about their median by the same interval scale as the gap's before
their first arrival is read (their own interval held a finite truth in 85 % of the
corpus's cases, widened 90 %).

The rule needs the share of labels flipped. It is known for symmetric noise at a rate
(``noise: {rates: [...], kind: symmetric}``) and, as an approximation (the flips are not
spread over every class), for class-conditional noise: the rate when given, else the
share of the training labels the matrix flips (which needs the classes' shares). Hard
noise, a matrix without the classes' shares, or an unknown number of classes: the arms'
own curves, as before (:func:`curves_gap_forecast`, :func:`~dataroi.stress.equivalent_labels`),
and every figure says which method produced it.

Example:
    >>> round(effective_fraction(0.1, 2), 2), round(effective_fraction(0.2, 10), 3)
    (0.64, 0.605)
    >>> flipped_share({"noise": "class_conditional", "rate": None,
    ...                "matrix": {"a": {"b": 0.2}}}, n_classes=2,
    ...               class_shares={"a": 0.6, "b": 0.4})
    0.12
    >>> calibrated_interval(0.03, 0.02, 0.05, 2.0)
    (0.0, 0.06)
    >>> shipped_excess_decay("class_conditional") < shipped_excess_decay("symmetric") < 1
    True
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from dataroi._money import signed
from dataroi.exceptions import UsageError
from dataroi.stress._equivalence import Equivalence, added_quantiles, first_reach

__all__ = [
    "CURVES",
    "DECAY_KINDS",
    "FACTORS",
    "RULE",
    "SCALE_FILE",
    "CleanPath",
    "GapForecast",
    "calibrated_interval",
    "curves_gap_forecast",
    "effective_fraction",
    "flipped_share",
    "resolved_decay",
    "resolved_scale",
    "rule_equivalence",
    "rule_gap_forecast",
    "scale_at",
    "shipped_excess_decay",
    "shipped_interval_scale",
]

#: The method names figures carry (``GapForecast.method``, ``Equivalence.method``).
RULE = "effective-sample rule"
CURVES = "curves"
#: Multiples of today's labels the gap is forecast at (the scale is learned at these).
FACTORS: tuple[int, ...] = (2, 4, 8, 16)
#: The kinds of noise a decay of the excess is learned for (``noise:`` of an arm).
DECAY_KINDS: tuple[str, ...] = ("symmetric", "class_conditional")
#: The per-factor interval scale shipped beside this module.
SCALE_FILE = "noise_rule_scale.json"


def effective_fraction(rate: float, n_classes: int) -> float:
    """Clean labels one noisy label is worth: ``(1 − rate·K/(K − 1))²`` (module doc).

    Args:
        rate: share of the labels flipped, each to a uniformly chosen other class.
        n_classes: the number of classes ``K`` (at least 2).

    Example:
        >>> effective_fraction(0.0, 3), round(effective_fraction(0.2, 2), 2)
        (1.0, 0.36)
    """
    k = max(int(n_classes), 2)
    return float(max(1.0 - float(rate) * k / (k - 1), 0.0) ** 2)


def flipped_share(params: Mapping[str, Any], *, n_classes: int | None,
                  class_shares: Mapping[str, float] | None = None) -> float | None:
    """The share of training labels a noise arm flips, or None where the rule does not
    apply (hard noise; a class-conditional matrix whose classes' shares are unknown; no
    number of classes).

    Args:
        params: the arm's parameters (``VariantSpec.params``: ``noise``, ``rate``,
            ``matrix``).
        n_classes: the number of classes of the task.
        class_shares: class label → share of the training pool (needed for a
            class-conditional matrix without a rate: only the classes it names are read).

    Example:
        >>> flipped_share({"noise": "symmetric", "rate": 0.1}, n_classes=3)
        0.1
        >>> flipped_share({"noise": "hard", "rate": 0.1}, n_classes=3) is None
        True
    """
    if not n_classes or int(n_classes) < 2:
        return None
    kind = params.get("noise") or "symmetric"
    rate = params.get("rate")
    if kind == "hard":  # flips concentrated on hard rows: not the rule's noise
        return None
    if rate is not None:  # symmetric, or a matrix saying where flips go and the rate how many
        return float(rate)
    matrix = params.get("matrix")
    if kind != "class_conditional" or not isinstance(matrix, Mapping) or class_shares is None:
        return None
    shares = {str(k): float(v) for k, v in class_shares.items()}
    total = 0.0
    for true, row in matrix.items():
        off = sum(float(p) for to, p in row.items() if str(to) != str(true))
        if off <= 0:
            continue
        if str(true) not in shares:
            return None
        total += shares[str(true)] * off
    return round(total, 12)


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Any]:
    try:
        return json.loads(resources.files("dataroi.stress").joinpath(SCALE_FILE).read_text())
    except (FileNotFoundError, ModuleNotFoundError):
        return {}


def shipped_excess_decay(kind: str = "symmetric") -> float:
    """The rate ``β`` at which today's excess over the rule fades for noise of ``kind``
    (``symmetric`` or ``class_conditional``; module doc), shipped in :data:`SCALE_FILE`
    (0.0, the excess kept at every size, for a kind the file lacks).

    Example:
        >>> isinstance(shipped_excess_decay("symmetric"), float)
        True
        >>> shipped_excess_decay("hard")
        0.0
    """
    decay = _shipped().get("excess_decay", {})
    return float(decay.get(kind, 0.0) if isinstance(decay, Mapping) else decay)


def resolved_decay(decay: float | None, kind: str = "symmetric") -> float:
    """``decay`` checked, or the one shipped for ``kind`` when None.

    Raises:
        UsageError: not a number in [0, 10).

    Example:
        >>> resolved_decay(0.25), resolved_decay(None) == shipped_excess_decay()
        (0.25, True)
    """
    if decay is None:
        return shipped_excess_decay(kind)
    try:
        beta = float(decay)
    except (TypeError, ValueError):
        beta = math.nan
    if not 0 <= beta < 10:
        raise UsageError(f"excess decay must be a number in [0, 10), got {decay!r}")
    return beta


def shipped_interval_scale() -> dict[int, float]:
    """The per-factor interval scale shipped in :data:`SCALE_FILE` (``{}`` when the file
    is missing: the draws' own interval is then used, and the figures say so).

    Example:
        >>> s = shipped_interval_scale()
        >>> sorted(s) == list(FACTORS) and all(v >= 1.0 for v in s.values())
        True
    """
    return {int(k): float(v) for k, v in _shipped().get("scale", {}).items()}


def resolved_scale(scales: Mapping[int, float] | None) -> dict[int, float]:
    """``scales`` checked (multiples of today's labels, each a whole number >= 1, to a
    positive widening), or the shipped scale when None; ``{}``: none.

    Raises:
        UsageError: not such a mapping.

    Example:
        >>> resolved_scale({"2": 1.5, 4: 2}), resolved_scale({})
        ({2: 1.5, 4: 2.0}, {})
        >>> resolved_scale(None) == shipped_interval_scale()
        True
    """
    if scales is None:
        return shipped_interval_scale()
    bad = UsageError("interval scale must map multiples of today's labels (whole numbers "
                     f">= 1) to positive numbers, e.g. {{2: 1.2, 4: 1.6}}; got {scales!r}")
    if not isinstance(scales, Mapping):
        raise bad
    out = {}
    for k, v in scales.items():
        try:
            factor, widen = int(k), float(v)
        except (TypeError, ValueError):
            raise bad from None
        if factor < 1 or factor != float(k) or not 0 < widen < math.inf:
            raise bad
        out[factor] = widen
    return out


def scale_at(scales: Mapping[int, float], factor: float) -> float:
    """The interval scale at ``factor`` × today's labels: the learned one at a learned
    factor, interpolated in log factor between them, the nearest one outside; 1.0 without
    any.

    Example:
        >>> scale_at({2: 1.5, 4: 2.0}, 4), scale_at({2: 1.5, 4: 2.0}, 2 ** 1.5)
        (2.0, 1.75)
        >>> scale_at({2: 1.5, 4: 2.0}, 32), scale_at({}, 4)
        (2.0, 1.0)
    """
    if not scales:
        return 1.0
    ks = sorted(scales)
    return float(np.interp(math.log2(factor), np.log2(ks), [scales[k] for k in ks]))


def calibrated_interval(point: float, q05: float, q95: float, scale: float
                        ) -> tuple[float, float]:
    """The draws' 5–95 % interval widened about ``point``: ``point ± scale × half its
    width`` (the form the scale was learned in, ``benchmarks/bench_label_quality.py``).

    Example:
        >>> calibrated_interval(0.5, 0.4, 0.8, 1.0)
        (0.3, 0.7)
    """
    half = max((float(q95) - float(q05)) / 2.0, 1e-6)
    return (round(point - scale * half, 12) + 0.0, round(point + scale * half, 12) + 0.0)


class CleanPath:
    """The clean arm's curve as the rule reads it: its measured means (log interpolation)
    from its smallest measured size up to today's, its curve draws elsewhere (one joint
    draw per row, :meth:`dataroi.value.StudyCurves.draws`).

    Args:
        curves: the fitted curves of the stress group.
        frame: the trials (one metric) the curves were fitted on.
        base: the clean model.
        n_draws: joint draws.

    Example:
        >>> from dataroi.value import fit_study_curves
        >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
        ...          "value": 0.9 - 1.5 / n ** 0.5 + 0.002 * r}
        ...         for n in (25, 50, 100, 200, 400) for r in range(3)]
        >>> f = pd.DataFrame(rows)
        >>> path = CleanPath(fit_study_curves(f, metric="accuracy", gain_model=None),
        ...                  f, "a", 200)
        >>> d = path.draws([100.0, 800.0])
        >>> d.shape, bool(np.all(d[:, 0] == d[0, 0])), bool(d[:, 1].std() > 0)
        ((200, 2), True, True)
    """

    def __init__(self, curves: Any, frame: pd.DataFrame, base: str, n_draws: int) -> None:
        n0 = int(curves.current_n)
        own = frame[(frame["model"] == base) & (frame["n_train"] <= n0)]
        means = own.groupby("n_train")["value"].mean().sort_index()
        self.curves, self.base, self.n0, self.n_draws = curves, base, n0, int(n_draws)
        self.sizes = means.index.to_numpy(float)
        self.means = means.to_numpy(float)

    def _measured(self, x: np.ndarray) -> np.ndarray:
        if len(self.sizes) == 0:
            return np.zeros(len(x), dtype=bool)
        return (x >= self.sizes[0]) & (x <= self.n0)

    def _interp(self, x: np.ndarray) -> np.ndarray:
        return np.interp(np.log(x), np.log(self.sizes), self.means)

    def draws(self, sizes: Sequence[float] | np.ndarray) -> np.ndarray:
        """Joint draws of the clean curve at ``sizes``: shape ``(n_draws, len(sizes))``
        (measured sizes: the measured mean in every row)."""
        x = np.asarray(sizes, dtype=float)
        out = np.empty((self.n_draws, len(x)))
        meas = self._measured(x)
        if meas.any():
            out[:, meas] = self._interp(x[meas])[None, :]
        if (~meas).any():
            out[:, ~meas] = self.curves.draws(self.base, x[~meas], self.n_draws)
        return out

    def point(self, sizes: Sequence[float] | np.ndarray) -> np.ndarray:
        """The clean curve's point at ``sizes``: the measured mean, else the median draw."""
        return np.median(self.draws(sizes), axis=0)


@dataclass(frozen=True)
class GapForecast:
    """How far a noise arm trails its clean model at multiples of today's labels.

    The gap is ``sign × (clean − noisy)`` in the metric's units: positive when the noisy
    arm is worse (for accuracy, clean − noisy).

    Attributes:
        base: the clean model.
        arm: the noise arm.
        n0: today's labels.
        method: :data:`RULE` (the effective-sample rule anchored at today's gap) or
            :data:`CURVES` (today's paired gap plus the two arms' own curve gains, their
            draws paired at :data:`dataroi.value.PAIR_RANK_CORRELATION`).
        today: the measured gap at ``n0`` (mean over the paired repeats).
        factors: multiples of ``n0`` forecast.
        point, low, high: per factor, the forecast and its 90 % interval (the rule's:
            widened by ``scale``).
        raw_low, raw_high: per factor, the draws' own 5–95 % quantiles.
        scale: per factor, the widening applied (1.0: none).
        rate: the share of labels flipped (the rule), else None.
        fraction: the effective fraction ``f`` (the rule), else None.
        clean_curve: where the clean curve's draws beyond today come from.
        calibrated: whether a learned scale widened the interval.
        excess: today's gap beyond what the rule says (the rule), else None.
        decay: the rate ``β`` at which that excess fades, ``(N/n)^β`` (the rule).
    """

    base: str
    arm: str
    n0: int
    method: str
    today: float
    factors: tuple[float, ...]
    point: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    raw_low: tuple[float, ...]
    raw_high: tuple[float, ...]
    scale: tuple[float, ...]
    rate: float | None = None
    fraction: float | None = None
    clean_curve: str = ""
    calibrated: bool = False
    excess: float | None = None
    decay: float = 0.0

    def at(self, factor: float) -> tuple[float, float, float]:
        """``(point, low, high)`` at ``factor`` × today's labels (one of ``factors``)."""
        j = [float(k) for k in self.factors].index(float(factor))
        return self.point[j], self.low[j], self.high[j]

    def rescaled(self, scales: Mapping[int, float]) -> GapForecast:
        """The same forecast with its interval widened by ``scales`` (per factor, as
        :func:`scale_at` reads them) instead: what the rule's interval is with another
        calibration (a benchmark's, learned without the data set it judges). Empty
        ``scales``: the draws' own 5–95 % quantiles, not calibrated."""
        if not scales:
            return dataclasses.replace(self, low=self.raw_low, high=self.raw_high,
                                       scale=(1.0,) * len(self.factors), calibrated=False)
        sc = tuple(scale_at(scales, k) for k in self.factors)
        lows, highs = zip(*(calibrated_interval(p, lo, hi, s) for p, lo, hi, s in zip(
            self.point, self.raw_low, self.raw_high, sc, strict=True)), strict=True)
        return dataclasses.replace(self, low=tuple(lows), high=tuple(highs), scale=sc,
                                   calibrated=bool(scales))

    @property
    def method_detail(self) -> str:
        """The method in words, as the sentence ends."""
        if self.method == RULE:
            cal = ("interval widened ×" + "/".join(f"{s:.2f}" for s in self.scale)
                   + " as calibrated on held-out data sets" if self.calibrated
                   else "interval of the draws, not calibrated")
            fade = (f", today's excess over the rule ({signed(self.excess)}) fading as "
                    f"(N/n)^{self.decay:g}" if self.decay and self.excess is not None
                    else "")
            return (f"{RULE}: {self.rate:.1%} of labels flipped, a noisy label worth "
                    f"f = {self.fraction:.3f} clean ones, anchored at today's paired gap"
                    f"{fade}; {cal}")
        return "the two arms' curves, today's paired gap plus each arm's own gain"

    def sentence(self, metric: str) -> str:
        """The finding in plain words, naming the method."""
        parts = [f"{signed(self.point[j])} at {k:g}× (90 % interval {signed(self.low[j])} "
                 f"to {signed(self.high[j])})" for j, k in enumerate(self.factors)]
        today = (f"{self.arm} trails {self.base} by {abs(self.today):.4f} {metric}"
                 if self.today >= 0 else
                 f"{self.arm} scores {-self.today:.4f} {metric} above {self.base} (the noise "
                 "costs nothing measurable here)")
        return (f"{self.base}: {today} at {self.n0:,} labels; the gap with more labels: "
                + ", ".join(parts) + f" [{self.method_detail}]")

    def to_dict(self) -> dict[str, Any]:
        from dataroi._json import json_safe

        return json_safe(dataclasses.asdict(self) | {"method_detail": self.method_detail})


def _measured_gap(curves: Any, base: str, arm: str) -> float:
    d = curves.paired_today(base, arm)
    if len(d):
        return float(d.mean())
    return float(curves.sign * (curves.observed_today(base) - curves.observed_today(arm)))


def rule_gap_forecast(curves: Any, frame: pd.DataFrame, base: str, arm: str, *,
                      rate: float, fraction: float, factors: Sequence[float] = FACTORS,
                      n_draws: int = 1000, scales: Mapping[int, float] | None = None,
                      decay: float | None = None) -> GapForecast:
    """The gap of ``arm`` to ``base`` at ``factors`` × today's labels by the anchored
    effective-sample rule, today's excess over the rule fading as ``k^(−decay)`` (module
    doc).

    Args:
        curves: the group's fitted curves (:class:`~dataroi.value.StudyCurves`, with
            ``base`` and ``arm``).
        frame: the trials (one metric) they were fitted on.
        base, arm: the clean model and its noise arm.
        rate: the share of labels the arm flips.
        fraction: its effective fraction ``f`` (:func:`effective_fraction`), in (0, 1].
        factors: multiples of today's labels.
        n_draws: joint draws.
        scales: the per-factor interval scale (default: the shipped one; ``{}``: the
            draws' own quantiles, not calibrated).
        decay: the rate ``β`` at which today's excess over the rule fades (default: the
            one shipped for symmetric noise, :func:`shipped_excess_decay`; 0: kept at
            every size).

    Raises:
        UsageError: ``decay`` outside [0, 10).

    Example:
        >>> from dataroi.value import fit_study_curves
        >>> f = pd.DataFrame([{"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
        ...                    "value": 0.95 - 2 / (n * s) ** 0.5 + 0.003 * r}
        ...                   for m, s in (("a", 1.0), ("a[noise=0.1]", 0.64))
        ...                   for n in (50, 100, 200, 400) for r in range(3)])
        >>> c = fit_study_curves(f, metric="accuracy", gain_model=None)
        >>> g = rule_gap_forecast(c, f, "a", "a[noise=0.1]", rate=0.1, fraction=0.64,
        ...                       n_draws=300)
        >>> g.method, g.point[0] < g.today, g.low[1] <= g.point[1] <= g.high[1]
        ('effective-sample rule', True, True)

        With ``decay=0`` the excess is kept: the gap moves by the clean curve's gains
        alone, and a faster decay brings it closer to the rule's own gap:

        >>> kept = rule_gap_forecast(c, f, "a", "a[noise=0.1]", rate=0.1, fraction=0.64,
        ...                          n_draws=300, decay=0.0)
        >>> fast = rule_gap_forecast(c, f, "a", "a[noise=0.1]", rate=0.1, fraction=0.64,
        ...                          n_draws=300, decay=1.0)
        >>> rule_gap = [p - kept.excess for p in kept.point]
        >>> all(abs(q - r) <= abs(p - r) + 1e-12
        ...     for p, q, r in zip(kept.point, fast.point, rule_gap))
        True
    """
    beta = resolved_decay(decay)
    n0 = int(curves.current_n)
    ks = np.asarray([float(k) for k in factors])
    path = CleanPath(curves, frame, base, n_draws)
    sizes = np.concatenate([[n0, n0 * fraction], ks * n0, ks * n0 * fraction])
    c = path.draws(sizes)
    m = len(ks)
    s = curves.sign
    today_draws = curves.paired_today_draws(base, arm, n_draws)
    fade = ks ** -beta
    # the rule's own gap at k·N plus today's excess over the rule's gap at N, faded
    excess_draws = today_draws - s * (c[:, 0] - c[:, 1])
    draws = s * (c[:, 2:2 + m] - c[:, 2 + m:]) + excess_draws[:, None] * fade[None, :]
    med = np.median(c, axis=0)
    today = _measured_gap(curves, base, arm)
    excess = today - s * (med[0] - med[1])
    points = s * (med[2:2 + m] - med[2 + m:]) + excess * fade
    q05, q95 = np.quantile(draws, [0.05, 0.95], axis=0)
    sc = resolved_scale(scales)
    raw = GapForecast(base=base, arm=arm, n0=n0, method=RULE, today=today,
                      factors=tuple(float(k) for k in ks),
                      point=tuple(float(p) for p in points),
                      low=tuple(float(v) for v in q05), high=tuple(float(v) for v in q95),
                      raw_low=tuple(float(v) for v in q05),
                      raw_high=tuple(float(v) for v in q95), scale=(1.0,) * m,
                      rate=float(rate), fraction=float(fraction),
                      clean_curve=curves.curve_source, excess=float(excess), decay=beta)
    return raw.rescaled(sc)


def curves_gap_forecast(curves: Any, base: str, arm: str, *,
                        factors: Sequence[float] = FACTORS, n_draws: int = 1000
                        ) -> GapForecast:
    """The gap of ``arm`` to ``base`` from the two arms' own curves, as
    :func:`dataroi.value.compare_models` projects a difference (dataroi's method before
    the rule, and where the rule does not apply).

    Example:
        >>> from dataroi.value import fit_study_curves
        >>> f = pd.DataFrame([{"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
        ...                    "value": 0.95 - 2 / (n * s) ** 0.5 + 0.003 * r}
        ...                   for m, s in (("a", 1.0), ("a[hard-noise=0.1]", 0.5))
        ...                   for n in (50, 100, 200, 400) for r in range(3)])
        >>> c = fit_study_curves(f, metric="accuracy", gain_model=None)
        >>> g = curves_gap_forecast(c, "a", "a[hard-noise=0.1]", n_draws=300)
        >>> g.method, g.factors, g.scale
        ('curves', (2.0, 4.0, 8.0, 16.0), (1.0, 1.0, 1.0, 1.0))
    """
    from dataroi.value import compare_models

    n0 = int(curves.current_n)
    pair_curves = dataclasses.replace(curves, models=(base, arm))
    add = [max(1, round((float(k) - 1.0) * n0)) for k in factors]
    comp = compare_models(pair_curves, add=add, grid=(), n_draws=n_draws)
    proj = {int(p["delta_n"]): p for p in comp.pairs[0]["projected"]}
    rows = [proj[a] for a in add]
    pts = tuple(float(r["diff_mean"]) for r in rows)
    lo = tuple(float(r["diff_q05"]) for r in rows)
    hi = tuple(float(r["diff_q95"]) for r in rows)
    return GapForecast(base=base, arm=arm, n0=n0, method=CURVES,
                       today=_measured_gap(curves, base, arm),
                       factors=tuple(float(k) for k in factors), point=pts, low=lo, high=hi,
                       raw_low=lo, raw_high=hi, scale=(1.0,) * len(add),
                       clean_curve=curves.curve_source)


def rule_equivalence(curves: Any, frame: pd.DataFrame, ref: str, other: str, *, base: str,
                     fraction: float, n_draws: int = 1000, max_factor: float = 64.0,
                     decay: float | None = None, scales: Mapping[int, float] | None = None
                     ) -> Equivalence:
    """Extra labels ``other`` (a noise arm of ``base`` with effective fraction
    ``fraction``) needs to reach ``ref``'s measured score at today's size, by the anchored
    rule (module doc): per draw, the first ``n`` at which ``other``'s gain from ``N``,
    the clean curve's gain from ``N·f`` to ``n·f`` plus the part of today's excess over
    the rule that has faded by then, ``E·(1 − (N/n)^β)``, closes today's paired gap
    ``ref − other`` (a draw of it). Quantiles as in
    :func:`~dataroi.stress.equivalent_labels` (:func:`~dataroi.stress.added_quantiles`:
    draws that never arrive within ``max_factor × N`` count as infinite; the median is
    NaN when more than half never do, the lower end when 95 % never do). ``decay``: ``β``
    (default: the one shipped for symmetric noise,
    :func:`shipped_excess_decay`; 0: the excess is never gained back); outside [0, 10):
    :class:`~dataroi.exceptions.UsageError`. ``scales``: the gap forecast's per-factor
    interval scale (default: the shipped one; ``{}``: none): the draws of how far the arm
    is from the target at ``n`` are widened about their median by the scale at ``n / N``
    (1 at ``N``, interpolated in log factor) before their first arrival is read — the
    same draws the gap forecast widens, so its interval and the equivalence's agree.

    Example:
        >>> from dataroi.value import fit_study_curves
        >>> f = pd.DataFrame([{"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
        ...                    "value": 0.95 - 2 / (n * s) ** 0.5 + 0.003 * r}
        ...                   for m, s in (("a", 1.0), ("a[noise=0.1]", 0.64))
        ...                   for n in (50, 100, 200, 400) for r in range(3)])
        >>> c = fit_study_curves(f, metric="accuracy", gain_model=None)
        >>> e = rule_equivalence(c, f, "a", "a[noise=0.1]", base="a", fraction=0.64,
        ...                      n_draws=300)
        >>> e.method.startswith("effective-sample rule"), 0 < e.added_q50 < 64 * 400
        (True, True)
    """
    beta = resolved_decay(decay)
    n0 = int(curves.current_n)
    grid = np.unique(np.round(n0 * np.geomspace(1.0, max_factor, 240)).astype(np.int64))
    path = CleanPath(curves, frame, base, n_draws)
    c = path.draws(np.concatenate([[n0, n0 * fraction], grid * fraction]))
    s = curves.sign
    gain = s * (c[:, 2:] - c[:, [1]])                      # the other arm's gain from N
    need = curves.paired_today_draws(ref, other, n_draws)  # today's gap to close
    if beta > 0:  # plus the excess over the rule it has gained back by n
        behind = need if ref == base else curves.paired_today_draws(base, other, n_draws)
        excess = behind - s * (c[:, 0] - c[:, 1])
        gain = gain + excess[:, None] * (1.0 - (n0 / grid.astype(float)) ** beta)[None, :]
    gain[:, 0] = 0.0  # grid[0] is n0: nothing gained yet, a draw not behind has reached
    ahead = gain - need[:, None]  # >= 0: arrived
    sc = resolved_scale(scales)
    if sc:  # widened like the gap forecast's interval, about the median draw
        widen = np.array([scale_at({1: 1.0, **sc}, g / n0) for g in grid])
        mid = np.median(ahead, axis=0)
        ahead = mid[None, :] + widen[None, :] * (ahead - mid[None, :])
    needed, ok = first_reach(ahead, np.zeros(len(ahead)), grid)
    q = added_quantiles(needed - n0, ok)
    return Equivalence(
        reference=ref, other=other, n0=n0, target=float(curves.observed_today(ref)),
        other_today=float(curves.observed_today(other)), added_q05=q[0], added_q50=q[1],
        added_q95=q[2], p_never=float(1 - ok.mean()), max_factor=float(max_factor),
        method=f"{RULE} (f = {fraction:.3f}" + (f", excess fading as (N/n)^{beta:g})"
                                                 if beta > 0 else ")"))
