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

Example:
    >>> majority_of_three(0.1)
    0.028
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi.exceptions import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.spec import CostSpec, VariantSpec
    from dataroi.value import FitCache

__all__ = ["RelabelDecision", "majority_of_three", "relabel_vs_new"]


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
    if not 0 <= rate_now < 1:
        raise UsageError(f"rate_now must be in [0, 1), got {rate_now}")
    source = "given"
    if rate_after is None:
        rate_after, source = majority_of_three(rate_now), "majority of three (formula)"
    if not 0 <= rate_after <= rate_now:
        raise UsageError(f"rate_after ({rate_after}) must be in [0, rate_now={rate_now}]")
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
