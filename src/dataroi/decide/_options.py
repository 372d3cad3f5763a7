"""Options = (model, added labels): their cost, gain, net value, ROI and risk.

An option is "keep the current model, label ΔN", "switch to model M, no labels" or
"switch to M and label ΔN" (and "keep, no labels": the baseline, which costs nothing and
gains nothing). Its gain, in metric units relative to the current model today, is

    today's paired difference (M − current, from the repeats)  +  M's own gain from ΔN
    (from M's joint curve draws),

so every number of one option comes from the same draws, and the switch part of the
gain uses the paired repeats (same subsets, same test rows).

Example:
    >>> import pandas as pd
    >>> from dataroi.spec import CostSpec
    >>> from dataroi.value import fit_study_curves
    >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": 0.95 - 2.0 / n ** 0.5 + 0.003 * r}
    ...         for n in (25, 50, 100, 200, 400) for r in range(3)]
    >>> curves = fit_study_curves(pd.DataFrame(rows), metric="accuracy")
    >>> opts = evaluate_options(curves, CostSpec(price_per_label_usd=0.5,
    ...                                          value_per_point_usd=2000))
    >>> base = opts.get("a+0")
    >>> base.cost_usd, base.gain_mean, base.label
    (0.0, 0.0, 'keep a, no labels')
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi._json import json_safe
from dataroi.decide._costs import CostModel
from dataroi.exceptions import UsageError
from dataroi.spec import CostSpec
from dataroi.value import DEFAULT_GRID, StudyCurves, delta_grid

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.stress import Relabeling

__all__ = ["Option", "OptionSet", "evaluate_options"]


@dataclass(frozen=True)
class Option:
    """One option with its numbers (metric gains are relative to the current model today,
    in metric units, positive = better; money in USD; ``None`` where not computable).

    Attributes:
        option_id: ``"{model}+{delta_n}"``.
        label: the option in plain words.
        model, delta_n, n_total, switch: what the option does.
        cost_usd: labeling_usd + compute_usd + engineering_usd.
        labeling_usd: added labels with QA and the round's fixed cost.
        compute_usd: extra training compute over today's (``retrains`` × predicted
            training time at ``n_total`` minus today's; negative if cheaper).
        engineering_usd: cost of switching models.
        labeling_days: days to label ``delta_n`` items at the spec's throughput.
        predicted: median predicted metric after the option.
        gain_mean, gain_q05 … gain_q95: the gain's mean and quantiles (5/10/25/50/75/90/95).
        p_gain_positive: probability the option improves the metric.
        gain_per_1k: expected gain of the added labels per 1,000 labels (None: no labels).
        p_target: probability of reaching the target (None without a target).
        value_mean_usd: expected money value of the gain.
        net_mean_usd, net_q05_usd … net_q95_usd: net value (value − cost) and quantiles.
        p_net_positive: probability that the option beats staying in money (net > 0);
            None for the baseline and without a value per point.
        roi: expected net value / cost (None at zero cost).
        var05_usd: value-at-risk: the 5 % quantile of the net value (a loss if < 0).
        cvar05_usd: conditional value-at-risk: mean net value in the worst 5 % of draws.
        predict_ms_per_1k: the model's prediction time per 1,000 rows (ms) at
            ``n_total``, from the trials' timings (None where not recorded).
        model_mb: the model's pickled size (MB) at ``n_total`` (None where not recorded).
        energy_kwh: extra training energy over today's (``retrains`` × predicted training
            seconds × ``costs.watts_per_core``; an estimate), None when neither
            ``costs.energy_price_per_kwh`` nor ``costs.co2_g_per_kwh`` is set.
        co2_g: its emissions at ``costs.co2_g_per_kwh`` (None without it).
        relabel: the option relabels today's items (:class:`dataroi.stress.Relabeling`);
            its ``delta_n`` new items get the same extra opinions.
    """

    option_id: str
    label: str
    model: str
    delta_n: int
    n_total: int
    switch: bool
    cost_usd: float
    labeling_usd: float
    compute_usd: float
    engineering_usd: float
    labeling_days: float | None
    predicted: float
    gain_mean: float
    gain_q05: float
    gain_q10: float
    gain_q25: float
    gain_q50: float
    gain_q75: float
    gain_q90: float
    gain_q95: float
    p_gain_positive: float
    gain_per_1k: float | None
    p_target: float | None = None
    value_mean_usd: float | None = None
    net_mean_usd: float | None = None
    net_q05_usd: float | None = None
    net_q10_usd: float | None = None
    net_q50_usd: float | None = None
    net_q90_usd: float | None = None
    net_q95_usd: float | None = None
    p_net_positive: float | None = None
    roi: float | None = None
    var05_usd: float | None = None
    cvar05_usd: float | None = None
    predict_ms_per_1k: float | None = None
    model_mb: float | None = None
    energy_kwh: float | None = None
    co2_g: float | None = None
    relabel: bool = False

    @property
    def is_baseline(self) -> bool:
        """Keep the current model and its labels as they are, label nothing."""
        return not self.switch and self.delta_n == 0 and not self.relabel

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return json_safe(asdict(self))


@dataclass(frozen=True)
class OptionSet:
    """Every option of one decision, and what they were computed from."""

    metric: str
    higher_is_better: bool
    current_model: str
    current_n: int
    today: float
    target: float | None
    options: tuple[Option, ...]
    costs: CostSpec
    notes: tuple[str, ...] = field(default=())
    draws: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False,
                                           compare=False)

    def gain_draws(self, option_id: str) -> np.ndarray:
        """The joint draws of an option's gain (what its quantiles and probabilities
        were computed from; the same draws for every option of one model)."""
        self.get(option_id)
        return self.draws[option_id]

    def net_draws(self, option_id: str) -> np.ndarray:
        """The draws of an option's net value in USD (value of the gain − cost).

        Raises:
            UsageError: no value per point (``costs.value_per_point_usd``).
        """
        o = self.get(option_id)
        cm = CostModel(self.costs)
        if not cm.has_value:
            raise UsageError("net values need costs.value_per_point_usd")
        return cm.value_usd(self.draws[option_id]) - o.cost_usd

    @property
    def reach(self) -> str:
        """"≥" or "≤": what reaching the target means for this metric."""
        return "≥" if self.higher_is_better else "≤"

    @property
    def has_money(self) -> bool:
        """Whether net values are available (a value per point was given)."""
        return any(o.net_mean_usd is not None for o in self.options)

    def get(self, option_id: str) -> Option:
        """The option with this id."""
        for o in self.options:
            if o.option_id == option_id:
                return o
        raise UsageError(f"no option '{option_id}'")

    def to_frame(self) -> pd.DataFrame:
        """One row per option."""
        import pandas as pd

        return pd.DataFrame([asdict(o) for o in self.options])

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return json_safe({
            "metric": self.metric, "higher_is_better": self.higher_is_better,
            "current_model": self.current_model, "current_n": self.current_n,
            "today": self.today, "target": self.target,
            "options": [o.to_dict() for o in self.options], "notes": list(self.notes),
        })


def _fmt_int(n: int) -> str:
    return f"{n:,}"


def _strategy_effects(strategies: StudyCurves | None, model: str, deltas: Sequence[int],
                      n_draws: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Per acquisition strategy of ``model``: extra gain over the selection the study's
    own curves use (draws × deltas) and extra seconds (selection and training) at each
    size.

    The study's subsets are stratified random, so the baseline is the ``stratified`` arm
    when the spec ran it (else ``random``); neither is offered as an option itself.
    """
    if strategies is None or not deltas:
        return []
    prefix = f"{model}[al="
    base_arm = next((a for a in (f"{prefix}stratified]", f"{prefix}random]")
                     if a in strategies.fits), None)
    if base_arm is None:
        return []
    n_total = [strategies.current_n + d for d in deltas]
    base_gain = strategies.gain_draws(base_arm, deltas, n_draws)
    base_secs = np.nan_to_num(strategies.training_seconds(base_arm, n_total))
    out = []
    for arm in strategies.models:
        name = arm[len(prefix):-1] if arm.startswith(prefix) else None
        if name is None or name in ("random", "stratified"):
            continue
        extra = strategies.gain_draws(arm, deltas, n_draws) - base_gain
        secs = np.nan_to_num(strategies.training_seconds(arm, n_total)) - base_secs
        out.append((name, extra, np.maximum(secs, 0.0)))
    return out


def _limit_option(cm: CostModel, grid: Sequence[float], current_n: int,
                  add: Sequence[int] | None) -> list[int]:
    """``add`` and, when the unlabeled pool or the deadline caps added labels below the
    grid's largest option, the cap itself: "label the whole pool" is then an option,
    not only the grid's multiples of today around it (every one beyond it excluded).

    Example:
        >>> _limit_option(CostModel(CostSpec(unlabeled_items=2800)), (0.5, 2, 8), 1000, None)
        [2800]
        >>> _limit_option(CostModel(CostSpec(unlabeled_items=9000)), (0.5, 2, 8), 1000, [5])
        [5]
    """
    out = [int(a) for a in add or ()]
    limits = cm.label_limits()
    if limits and grid:
        cap = int(min(limits.values()))
        if 1 <= cap < max(g * current_n for g in grid):
            out.append(cap)
    return out


def evaluate_options(
    curves: StudyCurves,
    costs: CostSpec | None = None,
    *,
    current_model: str | None = None,
    add: Sequence[int] | None = None,
    grid: Sequence[float] = DEFAULT_GRID,
    target: float | None = None,
    models: Sequence[str] | None = None,
    n_draws: int = 2000,
    strategies: StudyCurves | None = None,
    relabel: Relabeling | None = None,
) -> OptionSet:
    """Cost, gain, net value, ROI and risk of every (model, added labels) option.

    Args:
        curves: fitted curves of the study (:func:`dataroi.value.fit_study_curves`).
        costs: the cost spec (default: nothing priced; then only gains are available
            and options that add labels need ``costs.price_per_label_usd``).
        current_model: the model in use today (default: the best one today).
        add: added-label counts besides the grid (and besides the cap that the unlabeled
            pool or the deadline sets, an option of its own when it is below the grid's
            largest).
        grid: multiples of today's labels (default 0.25×…8×).
        target: a target metric value (for ``p_target``).
        models: the candidate models (default: all).
        n_draws: joint draws per model.
        strategies: curves of a study's acquisition arms (``"<model>[al=<strategy>]"``,
            see :func:`dataroi.stress.strategy_curves`): each model with arms also gets
            "label +ΔN by <strategy> sampling" options — its own gain plus the gain of the
            strategy's curve over that of the selection the study used (stratified
            random) from today's size, and the strategy's extra training and selection
            time. The two arms' draws are independent, so these options carry more
            uncertainty than the others.
        relabel: relabeling today's items (:class:`dataroi.stress.Relabeling`): its
            model (without one, every candidate model by the rule; with a cleaner arm
            and no model, the current one) also gets "relabel its N items" and
            "relabel and label +ΔN" options (the new items with the same extra
            opinions), priced by
            :meth:`~dataroi.decide.CostModel.relabeling_usd`, their gains drawn jointly
            with each other (:meth:`~dataroi.stress.Relabeling.gain_draws`).

    Returns:
        An :class:`OptionSet`.

    Raises:
        UsageError: naming the missing cost field (``costs.price_per_label_usd``) when
            options add labels.
    """
    cm = CostModel(costs or CostSpec())
    current = curves.check_model(current_model) if current_model else curves.best_today()
    cands = [curves.check_model(m) for m in (models or curves.models)]
    if current not in cands:
        cands = [current, *cands]
    if relabel is not None and relabel.model is None and relabel.cleaner is not None:
        relabel = dataclasses.replace(relabel, model=current)
    if relabel is not None and relabel.model is not None \
            and curves.check_model(relabel.model) not in cands:
        raise UsageError(f"relabel: {relabel.model} is not among the candidate models "
                         f"({', '.join(cands)})")
    added = _limit_option(cm, grid, curves.current_n, add)
    deltas = [0, *delta_grid(curves.current_n, grid=grid, add=added)]
    today = curves.observed_today(current)
    sign = curves.sign
    base_seconds = float(curves.training_seconds(current, [curves.current_n])[0])
    base_compute = cm.compute_usd(base_seconds)
    energy = costs is not None and (costs.energy_price_per_kwh is not None
                                    or costs.co2_g_per_kwh is not None)
    options = []
    draws: dict[str, np.ndarray] = {}

    def add_option(m: str, d: int, g: np.ndarray, own_j: np.ndarray, secs: float,
                   strategy: str | None = None, relabeled: bool = False) -> None:
        is_base = m == current and d == 0 and strategy is None and not relabeled
        lab = cm.labeling_usd(d)
        if relabeled:
            lab += cm.relabeling_usd(curves.current_n + d, relabel.opinions)  # type: ignore[union-attr]
        comp = 0.0 if is_base else cm.compute_usd(float(secs)) - base_compute
        eng = cm.engineering_usd(m, current)
        cost = lab + comp + eng
        qs = {p: float(np.quantile(g, p)) for p in (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)}
        what = "no labels" if d == 0 else f"label +{_fmt_int(d)}"
        if strategy is not None:
            what += f" by {strategy} sampling"
        if relabeled:
            k = relabel.opinions  # type: ignore[union-attr]
            what = (f"relabel {_fmt_int(curves.current_n)}"
                    + ("" if d == 0 else f", label +{_fmt_int(d)}")
                    + f" (+{k} opinion{'s' if k != 1 else ''} each)")
        label = (f"keep {m}, " if m == current else f"switch to {m}, ") + what
        kw: dict[str, Any] = {}
        if target is not None:
            score = curves.clip(m, today + sign * g)
            kw["p_target"] = float((sign * (score - target) >= 0).mean())
        if cm.has_value:
            net = cm.value_usd(g) - cost
            q05 = float(np.quantile(net, 0.05))
            kw |= {
                "value_mean_usd": float(cm.value_usd(float(g.mean()))),
                "net_mean_usd": float(net.mean()),
                "net_q05_usd": q05,
                "net_q10_usd": float(np.quantile(net, 0.10)),
                "net_q50_usd": float(np.quantile(net, 0.50)),
                "net_q90_usd": float(np.quantile(net, 0.90)),
                "net_q95_usd": float(np.quantile(net, 0.95)),
                "p_net_positive": None if is_base else float((net > 0).mean()),
                "roi": float(net.mean() / cost) if cost > 0 else None,
                "var05_usd": q05,
                "cvar05_usd": float(net[net <= q05].mean()),
            }
        per_1k = float(own_j.mean() / d * 1000.0) if d > 0 else None
        serve = curves.serving.get(m)
        if serve is not None:
            kw["predict_ms_per_1k"], kw["model_mb"] = serve.at(curves.current_n + d)
        if energy:
            extra = 0.0 if is_base else float(secs) - base_seconds
            if math.isfinite(extra):
                kw["energy_kwh"] = cm.energy_kwh(extra)
                kw["co2_g"] = cm.co2_g(extra)
        options.append(Option(
            option_id=f"{m}+{d}" + (f"@{strategy}" if strategy else "")
            + ("@relabel" if relabeled else ""), label=label,
            model=m, delta_n=int(d), n_total=int(curves.current_n + d), switch=m != current,
            cost_usd=float(cost), labeling_usd=lab, compute_usd=float(comp),
            engineering_usd=eng, labeling_days=cm.labeling_days(d),
            predicted=float(curves.clip(m, today + sign * qs[0.5])),
            gain_mean=0.0 if is_base else float(g.mean()), gain_q05=qs[0.05],
            gain_q10=qs[0.1], gain_q25=qs[0.25], gain_q50=qs[0.5], gain_q75=qs[0.75],
            gain_q90=qs[0.9], gain_q95=qs[0.95],
            p_gain_positive=float((g > 0).mean()), gain_per_1k=per_1k, relabel=relabeled,
            **kw))
        draws[options[-1].option_id] = np.zeros_like(g) if is_base else g

    for m in cands:
        own = np.concatenate([np.zeros((n_draws, 1)),
                              curves.gain_draws(m, deltas[1:], n_draws)], axis=1)
        switch_part = curves.paired_today_draws(m, current, n_draws)
        gains = switch_part[:, None] + own
        secs = curves.training_seconds(m, [curves.current_n + d for d in deltas])
        for j, d in enumerate(deltas):
            add_option(m, d, gains[:, j], own[:, j], float(secs[j]))
        for s, extra, extra_secs in _strategy_effects(strategies, m, deltas[1:], n_draws):
            # the model's own gain plus what the strategy adds over stratified random
            with_s = own[:, 1:] + extra
            for j, d in enumerate(deltas[1:]):
                add_option(m, d, switch_part + with_s[:, j], with_s[:, j],
                           float(secs[j + 1]) + float(extra_secs[j]), strategy=s)
        if relabel is not None and relabel.model in (None, m):
            alone, both = dataclasses.replace(relabel, model=m).gain_draws(
                curves, deltas[1:], n_draws)
            for j, d in enumerate(deltas):
                g = alone if d == 0 else both[:, j - 1]
                # gain per 1,000 labels: what the added labels gain beyond relabeling
                add_option(m, d, switch_part + g, g - alone, float(secs[j]),
                           relabeled=True)
    notes = list(curves.notes) + cm.notes()
    if relabel is not None:
        notes.append(relabel.describe(curves.current_n))
    if target is not None and math.isfinite(today) and sign * (today - target) >= 0:
        notes.append(f"the target {target:g} is already reached today by {current} "
                     f"({today:.4f})")
    return OptionSet(metric=curves.metric, higher_is_better=curves.higher_is_better,
                     current_model=current, current_n=curves.current_n, today=today,
                     target=target, options=tuple(options), costs=cm.spec,
                     notes=tuple(notes), draws=draws)
