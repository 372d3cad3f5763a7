"""Relabel or label new items? A cost-aware choice read off the noise curves.

Today's labels carry noise rate ρ. Second and third opinions (majority of three) bring it
to ρ′ — measured from an annotation table (single-annotation vs consensus noise, see
``dataroi.annotation``) or, without one, the majority-of-three error of independent
annotators, ρ′ = 3ρ² − 2ρ³. The study's noise arms give learning curves at several
injected rates; the curve at any rate in between is interpolated draw by draw. The value
of relabeling is then the number of new labels at rate ρ that reach the score the data
would have at ρ′ with today's labels — priced with the cost spec and compared with the
price of relabeling.

Injected rates are on top of the data's own labels, which count as rate 0 here: read the
result as "relative to the labels as they are".

:class:`Relabeling` describes the same choice as options of the decision (relabel today's
items, label new ones, both, or neither; :func:`dataroi.decide.evaluate_options` prices
them beside the others): its :meth:`~Relabeling.gain_draws` are the joint draws of what
relabeling, and relabeling plus new labels, gain.

Example:
    >>> majority_of_three(0.1)
    0.028
    >>> Relabeling("lr", rate_now=0.2, rate_after=0.05, n_classes=2).method
    'effective-sample rule'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import KW_ONLY, asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi.exceptions import UsageError
from dataroi.stress._noise_rule import RULE, effective_fraction

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.spec import CostSpec, VariantSpec
    from dataroi.value import FitCache

__all__ = ["RelabelDecision", "Relabeling", "majority_of_three", "relabel_vs_new"]


def majority_of_three(rate: float) -> float:
    """Error of a majority vote of three independent annotators of error ``rate``
    (an upper bound with more than two classes, where wrong votes can disagree)."""
    return round(3 * rate ** 2 - 2 * rate ** 3, 12)


@dataclass(frozen=True)
class RelabelDecision:
    """The relabel-vs-new comparison for one model.

    Attributes:
        model: the base model.
        n0: today's labels.
        rate_now, rate_after: noise before and after relabeling.
        rate_source: where ``rate_after`` comes from (annotations or the formula).
        relabel_cost_usd: extra opinions × items × price per label.
        equivalent_q05, equivalent_q50, equivalent_q95: new labels worth as much as the
            relabeling (quantiles over curve draws; inf = never).
        new_labels_cost_usd: the median equivalent bought as new items (cost per item).
        p_relabel_cheaper: share of draws where relabeling costs less than the new labels
            worth the same.
        choice: ``relabel`` or ``label new items``.
        sentence: the finding in plain words.
    """

    model: str
    n0: int
    rate_now: float
    rate_after: float
    rate_source: str
    relabel_cost_usd: float
    equivalent_q05: float
    equivalent_q50: float
    equivalent_q95: float
    new_labels_cost_usd: float
    p_relabel_cheaper: float
    choice: str
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        from dataroi._json import json_safe

        return json_safe(asdict(self))


def _checked_rates(rate_now: float, rate_after: float | None) -> float:
    """``rate_after`` (default: :func:`majority_of_three` of ``rate_now``), both checked:
    ``0 <= rate_after <= rate_now < 1``.

    Example:
        >>> _checked_rates(0.1, None)
        0.028
    """
    for name, v in (("rate_now", rate_now), ("rate_after", rate_after)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                              or not math.isfinite(v)):
            raise UsageError(f"{name} must be a number, got {v!r}")
    if not 0 <= rate_now < 1:
        raise UsageError(f"rate_now must be in [0, 1), got {rate_now}")
    if rate_after is None and rate_now > 0.5:
        raise UsageError(f"rate_now {rate_now:g}: a majority of three helps only below 50 % "
                         "noise; give the rate after relabeling (rate_after)")
    after = majority_of_three(rate_now) if rate_after is None else float(rate_after)
    if not 0 <= after <= rate_now:
        raise UsageError(f"rate_after ({after:g}) must be in [0, rate_now = {rate_now:g}]")
    return after


def _interp(rates: np.ndarray, draws: np.ndarray, rate: float) -> np.ndarray:
    """Draws (k, grid) at ``rate``, linear between the two nearest arms' draws."""
    if rate <= rates[0]:
        return draws[0]
    if rate >= rates[-1]:
        raise UsageError(f"noise rate {rate:g} is above the largest rate the study ran "
                         f"({rates[-1]:g}); add it to stress.noise.rates")
    j = int(np.searchsorted(rates, rate))
    w = (rate - rates[j - 1]) / (rates[j] - rates[j - 1])
    return (1 - w) * draws[j - 1] + w * draws[j]


def relabel_vs_new(trials: pd.DataFrame, arms: Sequence[VariantSpec],
                   costs: CostSpec | None, *, rate_now: float,
                   rate_after: float | None = None, opinions: int = 2,
                   model: str | None = None, metric: str, draws: int = 400,
                   max_factor: float = 64.0, random_state: int = 0,
                   cache: FitCache | None = None) -> RelabelDecision:
    """Compare relabeling today's items with labeling new ones (see the module doc).

    Args:
        trials: the study's trials (``Study.trials()``).
        arms: the spec's stress arms; symmetric ``stress.noise`` rates are needed.
        costs: the spec's costs (``price_per_label_usd`` is needed).
        rate_now: the noise rate of today's labels (e.g. from ``dataroi annotations``).
        rate_after: the rate after relabeling (default: majority of three).
        opinions: extra labels bought per item.
        model: the base model (default: the first with noise arms).
        metric: the metric.
        cache: a :class:`~dataroi.value.FitCache` for the arms' curves.

    Raises:
        UsageError: no symmetric noise arms, a rate outside the studied range, no costs.
    """
    from dataroi.metrics import get_metric
    from dataroi.value import fit_study_curves

    arms = [a for a in arms if a.kind == "noise"
            and a.params.get("noise") == "symmetric" and a.params.get("rate") is not None]
    if not arms:
        raise UsageError("relabel vs new needs symmetric noise arms (stress.noise.rates)")
    model = model or arms[0].base
    arms = sorted((a for a in arms if a.base == model), key=lambda a: a.params["rate"])
    if not arms:
        raise UsageError(f"model '{model}' has no noise arms")
    source = "given" if rate_after is not None else "majority of three (formula)"
    rate_after = _checked_rates(rate_now, rate_after)
    if costs is None or costs.price_per_label_usd is None:
        raise UsageError("relabel vs new needs costs.price_per_label_usd in the spec")
    hib = get_metric(metric).higher_is_better
    names = [model, *(a.name for a in arms)]
    rates = np.array([0.0, *(a.params["rate"] for a in arms)])
    curves = fit_study_curves(trials, metric=metric, models=tuple(names),
                              random_state=random_state, use_train_scores=False, cache=cache)
    n0 = int(curves.current_n)
    grid = np.unique(np.round(n0 * np.geomspace(1.0, max_factor, 240)).astype(np.int64))
    stack = np.stack([np.asarray(curves.fits[m].sample(
        grid, size=draws, random_state=np.random.default_rng([random_state, i])), dtype=float)
        for i, m in enumerate(names)])
    sign = 1.0 if hib else -1.0
    now = sign * _interp(rates, stack, rate_now)
    after = sign * _interp(rates, stack, rate_after)[:, 0]
    reach = now >= after[:, None]
    ok = reach.any(axis=1)
    first = np.argmax(reach, axis=1)
    added = np.where(ok, grid[first] - n0, np.inf).astype(float)
    relabel_cost = n0 * opinions * float(costs.price_per_label_usd)
    item_cost = float(costs.cost_per_item_usd)
    q = [float(np.quantile(added, p, method="inverted_cdf")) for p in (0.05, 0.5, 0.95)]
    p_cheaper = float(np.mean(added * item_cost > relabel_cost))
    new_cost = q[1] * item_cost
    choice = "relabel" if p_cheaper >= 0.5 else "label new items"
    what = (f"{model}: relabeling today's {n0:,} items ({opinions} more opinions each, "
            f"${relabel_cost:,.0f}) lowers noise from {rate_now:.1%} to {rate_after:.1%}")
    if math.isfinite(q[1]):
        high = "never" if not math.isfinite(q[2]) else f"{q[2]:,.0f}"
        sentence = (f"{what}, worth ≈ {q[1]:,.0f} new labels (90 % interval "
                    f"{q[0]:,.0f}–{high}); buying those costs ${new_cost:,.0f}")
    else:
        sentence = (f"{what}; new labels at {rate_now:.1%} do not reach that score within "
                    f"{max_factor:g}× today's labels")
    sentence += f" → {choice} (P(relabeling is cheaper) = {p_cheaper:.2f})"
    return RelabelDecision(
        model=model, n0=n0, rate_now=float(rate_now), rate_after=float(rate_after),
        rate_source=source, relabel_cost_usd=relabel_cost, equivalent_q05=q[0],
        equivalent_q50=q[1], equivalent_q95=q[2], new_labels_cost_usd=new_cost,
        p_relabel_cheaper=p_cheaper, choice=choice, sentence=sentence)


#: the method of a :class:`Relabeling` with a cleaner arm measured
ARM = "the cleaner arm"


@dataclass(frozen=True)
class Relabeling:
    """Relabeling today's items as an option of the decision: what it gains, alone and
    with new labels (bought with the same quality control), drawn jointly.

    Two ways to know what cleaner labels are worth:

    * **the cleaner arm** (``cleaner`` given): a model or stress arm of the study whose
      labels are what relabeling gives (e.g. a pilot relabeled with more opinions, or,
      on the curve corpus, a noise arm at the lower rate). Relabeling gains today's
      paired difference ``cleaner − model`` (from the repeats); relabeling plus ``ΔN``
      new labels gains that plus the cleaner arm's own gain from ``ΔN``.
    * **the effective-sample rule** (no ``cleaner``): a label flipped with probability
      ``r`` is worth ``f(r) = (1 − rK/(K − 1))²`` clean ones
      (:func:`~dataroi.stress.effective_fraction`), so the ``N`` items relabeled from
      ``rate_now`` to ``rate_after`` are worth ``N·m`` of today's labels with
      ``m = f(rate_after) / f(rate_now)``: relabeling gains what the model's own curve
      gains from ``N`` to ``N·m``, and relabeling plus ``ΔN`` new labels what it gains
      from ``N`` to ``(N + ΔN)·m`` — one curve per draw (the learned gain forecast,
      :meth:`dataroi.value.StudyCurves.gain_draws`), so the options' draws are joint.

    Either way new labels *without* relabeling are the model's ordinary options (its own
    curve). Rates are shares of labels flipped, on the scale of the study's noise arms.

    Args:
        model: the model whose labels are relabeled (None: every candidate model of
            the decision, as the labels are the data's; with ``cleaner``, the current
            one).
        rate_now: the share of today's labels that is wrong.
        rate_after: the share after relabeling (default: :func:`majority_of_three`).
        opinions: extra labels bought per relabeled item (and per new item, with it).
        cleaner: a model of the study that stands for the relabeled labels (optional).
        n_classes: the task's classes (needed by the rule).

    Example:
        >>> import pandas as pd
        >>> from dataroi.value import fit_study_curves
        >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
        ...          "value": 0.9 - 1.5 / n ** 0.5 + 0.002 * r}
        ...         for n in (25, 50, 100, 200, 400) for r in range(3)]
        >>> c = fit_study_curves(pd.DataFrame(rows), metric="accuracy", gain_model=None)
        >>> rl = Relabeling("a", rate_now=0.2, rate_after=0.05, n_classes=2)
        >>> round(rl.multiplier, 3)
        2.25
        >>> relabel, both = rl.gain_draws(c, [400, 1200], n_draws=200)
        >>> relabel.shape, both.shape
        ((200,), (200, 2))
        >>> bool(0 < relabel.mean() < both[:, 0].mean() < both[:, 1].mean())
        True
    """

    model: str | None = None
    _: KW_ONLY
    rate_now: float
    rate_after: float | None = None
    opinions: int = 2
    cleaner: str | None = None
    n_classes: int | None = None

    def __post_init__(self) -> None:
        try:
            after = _checked_rates(self.rate_now, self.rate_after)
        except UsageError as exc:
            raise UsageError(f"relabel: {exc}") from None
        object.__setattr__(self, "rate_after", after)
        if int(self.opinions) != self.opinions or self.opinions < 1:
            raise UsageError(f"relabel: opinions must be a whole number >= 1, got "
                             f"{self.opinions}")
        if self.cleaner is None:
            k = self.n_classes
            if k is None or int(k) != k or k < 2:
                raise UsageError("relabel without a cleaner arm needs the number of classes "
                                 f"(n_classes >= 2, got {k}) for the effective-sample rule")
            if self.rate_now >= (k - 1) / k:
                raise UsageError(f"relabel: rate_now {self.rate_now:g} leaves no signal with "
                                 f"{k} classes (it must be below {(k - 1) / k:.3g})")

    @property
    def method(self) -> str:
        """:data:`ARM` with a cleaner arm, else :data:`~dataroi.stress.RULE`."""
        return ARM if self.cleaner is not None else RULE

    @property
    def multiplier(self) -> float:
        """``m = f(rate_after) / f(rate_now)``: relabeled labels are worth ``m`` of today's
        (the rule; NaN without the number of classes)."""
        if self.n_classes is None:
            return math.nan
        return (effective_fraction(float(self.rate_after), int(self.n_classes))  # type: ignore[arg-type]
                / effective_fraction(self.rate_now, int(self.n_classes)))

    def describe(self, n_items: int) -> str:
        """The relabeling in words, with its method."""
        how = (f"as measured on {self.cleaner}" if self.cleaner is not None else
               f"{RULE}: relabeled labels worth {self.multiplier:.2f}× today's")
        k = self.opinions
        whose = f"{self.model}'s" if self.model else "today's"
        return (f"relabel {whose} {n_items:,} items ({k} more "
                f"opinion{'s' if k != 1 else ''} each): noise {self.rate_now:.1%} → "
                f"{float(self.rate_after):.1%} ({how})")  # type: ignore[arg-type]

    def gain_draws(self, curves: Any, deltas: Sequence[int], n_draws: int = 2000
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Joint draws of the gain over ``model`` today (metric units, positive = better)
        of relabeling alone, shape ``(n_draws,)``, and of relabeling plus each of
        ``deltas`` new labels, shape ``(n_draws, len(deltas))``.

        Raises:
            UsageError: no ``model``, or ``model`` or ``cleaner`` is not among the curves.
        """
        if self.model is None:
            raise UsageError("relabel: name the model whose labels are relabeled")
        model = curves.check_model(self.model)
        d = np.asarray([float(x) for x in deltas], dtype=float)
        if self.cleaner is not None:
            cleaner = curves.check_model(self.cleaner)
            today = curves.paired_today_draws(cleaner, model, n_draws)
            own = curves.gain_draws(cleaner, d, n_draws) if len(d) else np.zeros((n_draws, 0))
            return today, today[:, None] + own
        n0 = float(curves.current_n)
        m = self.multiplier
        to = np.concatenate([[n0 * (m - 1.0)], (n0 + d) * m - n0])
        g = curves.gain_draws(model, to, n_draws)
        return g[:, 0], g[:, 1:]
