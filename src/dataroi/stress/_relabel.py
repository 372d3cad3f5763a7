"""Relabel or label new items? What cleaner labels are worth, in new labels and in money.

Today's labels carry noise rate ρ. Second and third opinions (majority of three) bring it
to ρ′ — measured from an annotation table (single-annotation vs consensus noise, see
``dataroi.annotation``) or, without one, the majority-of-three error of independent
annotators, ρ′ = 3ρ² − 2ρ³.

:class:`Relabeling` describes the choice as options of the decision (relabel today's
items, label new ones, both, or neither; :func:`dataroi.decide.evaluate_options` prices
them beside the others): its :meth:`~Relabeling.gain_draws` are the joint draws of what
relabeling, and relabeling plus new labels, gain. :func:`relabel_vs_new` (``dataroi
stress --noise-rate``) reads the same draws as a number of new labels and a price, so the
two commands value relabeling alike. The study's own noise arms (injected on top of
today's labels) do not value it; :func:`noise_arms_check` says whether they cost more or
less than the rule assumes.

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
from dataroi.stress._equivalence import first_reach
from dataroi.stress._noise_rule import RULE, effective_fraction

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.spec import CostSpec, VariantSpec

__all__ = ["RelabelDecision", "Relabeling", "majority_of_three", "noise_arms_check",
           "relabel_vs_new"]


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
        rate_source: where ``rate_after`` comes from (annotations, given, or the formula).
        method: how relabeling is valued: the effective-sample rule or a cleaner arm
            (:attr:`Relabeling.method`, as the planner values it).
        relabel_cost_usd: extra opinions × items × price per label, plus a round's fixed
            cost (as the planner prices relabeling).
        equivalent_q05, equivalent_q50, equivalent_q95: new labels worth as much as the
            relabeling (quantiles over curve draws; inf = never).
        new_labels_cost_usd: the median equivalent bought as new items (cost per item,
            plus a round's fixed cost).
        p_relabel_cheaper: share of draws where relabeling costs less than the new labels
            worth the same.
        choice: ``relabel`` or ``label new items``.
        sentence: the finding in plain words.
        arms_check: the study's noise arms against the rule (:func:`noise_arms_check`),
            or None.
    """

    model: str
    n0: int
    rate_now: float
    rate_after: float
    rate_source: str
    method: str
    relabel_cost_usd: float
    equivalent_q05: float
    equivalent_q50: float
    equivalent_q95: float
    new_labels_cost_usd: float
    p_relabel_cheaper: float
    choice: str
    sentence: str
    arms_check: str | None = None

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


def relabel_vs_new(curves: Any, costs: CostSpec | None, relabeling: Relabeling, *,
                   n_draws: int = 400, max_factor: float = 64.0,
                   rate_source: str = "given", arms_check: str | None = None
                   ) -> RelabelDecision:
    """Compare relabeling today's items with labeling new ones, valued as the planner
    values its relabel options (:meth:`Relabeling.gain_draws`, so ``dataroi stress`` and
    ``dataroi plan`` cannot disagree on what relabeling is worth).

    Per joint draw, the equivalent is the smallest number of new labels (at today's
    quality) whose gain on the model's own curve reaches relabeling's gain. By the
    effective-sample rule that is ``N·(m − 1)`` in every draw (relabeled labels are worth
    ``m`` of today's; the curve does not enter); with a cleaner arm it follows the measured
    paired difference and the model's curve, and varies over the draws.

    Args:
        curves: the study's fitted curves (:class:`~dataroi.value.StudyCurves`; the
            analysis's, as the planner reads them).
        costs: the spec's costs (``price_per_label_usd`` is needed).
        relabeling: what relabeling does (its ``model`` must be set).
        n_draws: joint draws.
        max_factor: new labels are searched up to ``max_factor`` × today's labels.
        rate_source: where ``relabeling.rate_after`` came from, in words.
        arms_check: a sentence to keep with the result (the study's noise arms against
            the rule, :func:`noise_arms_check`), or None.

    Raises:
        UsageError: no ``price_per_label_usd``, or the model is not among the curves.

    Example: the last lines of :class:`Relabeling`'s.
    """
    if costs is None or costs.price_per_label_usd is None:
        raise UsageError("relabel vs new needs costs.price_per_label_usd in the spec")
    if relabeling.model is None:
        raise UsageError("relabel: name the model whose labels are relabeled")
    model = curves.check_model(relabeling.model)
    n0 = int(curves.current_n)
    rule = relabeling.cleaner is None
    if rule:  # one curve per draw: the new labels that gain as much are N·(m − 1)
        added = np.full(n_draws, float(round(n0 * (relabeling.multiplier - 1.0))))
    else:
        gained, _ = relabeling.gain_draws(curves, [], n_draws)
        grid = np.unique(np.round(np.geomspace(1.0, max_factor * n0, 240)))
        values = curves.gain_draws(model, grid, n_draws)
        added, _ = first_reach(values, gained, grid)
        added[gained <= 0] = 0.0  # relabeling gains nothing: no new label is needed
    # priced as the planner prices its options (one labeling round each)
    relabel_cost = costs.relabeling_usd(n0, relabeling.opinions)
    q = [float(np.quantile(added, p, method="inverted_cdf")) for p in (0.05, 0.5, 0.95)]
    p_cheaper = float(np.mean([costs.labeling_usd(x) > relabel_cost for x in added]))
    new_cost = costs.labeling_usd(q[1])
    choice = "relabel" if p_cheaper >= 0.5 else "label new items"
    k = relabeling.opinions
    what = (f"{model}: relabeling today's {n0:,} items ({k} more opinion"
            f"{'s' if k != 1 else ''} each, ${relabel_cost:,.0f}) lowers noise from "
            f"{relabeling.rate_now:.1%} to {float(relabeling.rate_after):.1%}")  # type: ignore[arg-type]
    if rule:
        sentence = (f"{what}, worth {q[1]:,.0f} new labels by the {RULE} (relabeled labels "
                    f"worth {relabeling.multiplier:.2f}× today's: {n0:,} × "
                    f"{relabeling.multiplier - 1:.2f}); buying those costs ${new_cost:,.0f}"
                    f" → {choice}")
    elif math.isfinite(q[1]):
        high = "never" if not math.isfinite(q[2]) else f"{q[2]:,.0f}"
        sentence = (f"{what}, worth ≈ {q[1]:,.0f} new labels as measured on "
                    f"{relabeling.cleaner} (90 % interval {q[0]:,.0f}–{high}); buying those "
                    f"costs ${new_cost:,.0f} → {choice} (P(relabeling is cheaper) = "
                    f"{p_cheaper:.2f})")
    else:
        sentence = (f"{what}, as measured on {relabeling.cleaner}; new labels at "
                    f"{relabeling.rate_now:.1%} do not reach that score within "
                    f"{max_factor:g}× today's labels → {choice} (P(relabeling is cheaper) "
                    f"= {p_cheaper:.2f})")
    return RelabelDecision(
        model=model, n0=n0, rate_now=float(relabeling.rate_now),
        rate_after=float(relabeling.rate_after),  # type: ignore[arg-type]
        rate_source=rate_source, method=relabeling.method,
        relabel_cost_usd=relabel_cost, equivalent_q05=q[0], equivalent_q50=q[1],
        equivalent_q95=q[2], new_labels_cost_usd=new_cost, p_relabel_cheaper=p_cheaper,
        choice=choice, sentence=sentence, arms_check=arms_check)


def noise_arms_check(curves: Any, frame: pd.DataFrame, model: str,
                     arms: Sequence[VariantSpec], n_classes: int | None) -> str | None:
    """How the study's own symmetric noise arms of ``model`` compare with the rule: each
    arm's measured paired gap today (:func:`~dataroi.stress.paired_differences`) against
    the gap the rule predicts, ``clean(N) − clean(N·f)`` on the model's curve as the
    rule's forecasts read it (:class:`~dataroi.stress.CleanPath`). A rule that
    under-predicts the arms' gaps under-values relabeling on this data (on the curve
    corpus it did at 20 % noise; docs/decisions.md). None without such arms or trials.

    Args:
        curves: the study's fitted curves (with ``model``).
        frame: the study's trials of the curves' metric (``model``, ``n_train``,
            ``repeat``, ``value``; the arms' too).
        model: the clean model.
        arms: the spec's stress arms.
        n_classes: the task's classes.

    Example:
        >>> import pandas as pd
        >>> from dataroi.spec import VariantSpec
        >>> from dataroi.value import fit_study_curves
        >>> arm = VariantSpec("a", "noise", "noise=0.2", {"noise": "symmetric", "rate": 0.2})
        >>> f = pd.DataFrame([{"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
        ...                    "value": 0.9 - 1.0 / (n * s) ** 0.5 - (0.05 if s < 1 else 0)}
        ...                   for m, s in (("a", 1.0), ("a[noise=0.2]", 0.36))
        ...                   for n in (100, 200, 400, 800) for r in range(3)])
        >>> c = fit_study_curves(f[f["model"] == "a"], metric="accuracy", gain_model=None)
        >>> text = noise_arms_check(c, f, "a", [arm], 2)
        >>> text.split(": ")[1]
        'a[noise=0.2] trails by +0.0736 today, the rule says +0.0245'
        >>> "cost 3.0× or more what the rule says" in text
        True
    """
    from dataroi.stress._equivalence import paired_differences
    from dataroi.stress._noise_rule import CleanPath

    if n_classes is None or n_classes < 2 or model not in curves.models:
        return None
    arms = [a for a in arms if a.kind == "noise" and a.base == model
            and a.params.get("noise") == "symmetric" and a.params.get("rate") is not None
            and float(a.params["rate"]) < (n_classes - 1) / n_classes]  # some signal left
    n0 = int(curves.current_n)
    path = CleanPath(curves, frame, model, 200)
    parts, ratios = [], []
    for a in sorted(arms, key=lambda a: a.params["rate"]):
        diff = paired_differences(frame, model, a.name)
        at = diff[diff["n_train"] == n0]
        if not len(at):
            continue
        measured = curves.sign * float(at["diff"].iloc[0])
        f = effective_fraction(float(a.params["rate"]), n_classes)
        clean_n0, clean_fn0 = path.point([n0, n0 * f])
        said = curves.sign * float(clean_n0 - clean_fn0)
        parts.append(f"{a.name} trails by {measured:+.4f} today, the rule says {said:+.4f}")
        if said > 0:
            ratios.append(measured / said)
    if not parts:
        return None
    tail = ""
    if ratios and min(ratios) > 1.5:
        tail = (f": the noise arms cost {min(ratios):.1f}× or more what the rule says, so "
                "the rule likely under-values relabeling here (a relabeled pilot, run as a "
                "model of the study and named by relabel.cleaner, values it from data)")
    elif ratios and max(ratios) < 1 / 1.5:
        tail = (": the noise arms cost less than the rule says, so the rule may over-value "
                "relabeling here")
    return f"{model}'s noise arms against the {RULE}: " + "; ".join(parts) + tail


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

        The same relabeling as a number of new labels and a price
        (:func:`relabel_vs_new`): 400 × (2.25 − 1) labels, $500 of them against $800:

        >>> from dataroi.spec import CostSpec
        >>> d = relabel_vs_new(c, CostSpec(price_per_label_usd=1.0), rl, n_draws=200)
        >>> round(d.equivalent_q50), d.relabel_cost_usd, d.choice
        (500, 800.0, 'label new items')
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
