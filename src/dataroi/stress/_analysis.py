"""What a study's stress arms say: the value of cleaner labels, of an acquisition
strategy, the cost of a skewed class prior and of distribution shift — in labels.

:func:`analyze_stress` reads the finished trials of a study's stress arms (a trials
frame and the spec's ``stress:`` arms), fits a learning curve per arm
(``dataroi.value.fit_study_curves``, on the test scores alone, so the arms of one
comparison share a gate) and turns pairs of arms into equivalent labels
(:mod:`dataroi.stress._equivalence`) and paired per-size differences.
``Study.analyze().stress()`` calls it with the study's trials.

Noise arms also get the gap to their clean model forecast at 2×–16× today's labels. For
an arm whose share of flipped labels is known (symmetric noise at a rate; class-conditional
noise, approximately: given ``n_classes`` and, for a matrix without a rate, the classes'
shares), the forecast and the arm's equivalent labels come from the effective-sample rule
anchored at today's paired gap, with an interval calibrated on held-out data sets
(:mod:`dataroi.stress._noise_rule`); otherwise from the arms' own curves, as before. Each
figure names its method (``method`` in the JSON, the end of each sentence).

Example:
    >>> import dataroi, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "s.yaml").write_text('''
    ... data: sklearn:digits
    ... models: {lr: {estimator: sklearn.linear_model.LogisticRegression,
    ...               params: {max_iter: 300}}}
    ... schedule: {sizes: [60, 120, 240, 480], repeats: 2}
    ... stress: {noise: {rates: [0.1, 0.2]}}''')
    >>> study = dataroi.load_study(d / "s.yaml")
    >>> _ = study.run(progress=False)
    >>> a = analyze_stress(study.trials(), study.spec.stress, metric="accuracy", draws=100)
    >>> [e.reference for e in a.noise[0].equivalences]
    ['lr[noise=0.1]', 'lr', 'lr']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from dataroi.exceptions import UsageError
from dataroi.stress._equivalence import Equivalence, equivalent_labels, paired_differences
from dataroi.stress._noise_rule import (
    CURVES,
    DECAY_KINDS,
    RULE,
    GapForecast,
    curves_gap_forecast,
    effective_fraction,
    flipped_share,
    resolved_decay,
    resolved_scale,
    rule_equivalence,
    rule_gap_forecast,
)

if TYPE_CHECKING:
    from dataroi.spec import VariantSpec
    from dataroi.value import FitCache

__all__ = ["ArmGroup", "StressAnalysis", "analyze_stress", "strategy_curves"]


@dataclass(frozen=True)
class ArmGroup:
    """One base model's arms of one kind, compared with each other.

    Attributes:
        kind: ``noise`` | ``prior`` | ``shift`` | ``acquisition``.
        base: the base model.
        arms: the arms (and the base model where it is the reference), in order.
        n0: the largest size every arm of the group ran (today's labels).
        today: per arm, mean score at ``n0`` over repeats.
        equivalences: extra labels one arm needs to match another at ``n0``.
        differences: per arm pair ``(a, b)``, the paired per-size differences a − b.
        statements: the findings in plain words.
        extra: kind-specific numbers (e.g. selection seconds of acquisition strategies;
            a noise group's ``rates`` and, per arm, its ``method``, ``flipped_share`` and
            ``effective_fraction``).
        forecasts: noise groups: each arm's gap to the base model at 2×–16× today's
            labels (:class:`~dataroi.stress.GapForecast`, naming its method).
    """

    kind: str
    base: str
    arms: tuple[str, ...]
    n0: int
    today: dict[str, float]
    equivalences: tuple[Equivalence, ...] = ()
    differences: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
    statements: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    forecasts: tuple[GapForecast, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "base": self.base, "arms": list(self.arms),
                "n0": self.n0, "today": self.today,
                "equivalences": [e.to_dict() for e in self.equivalences],
                "differences": [{"a": a, "b": b, "rows": df.to_dict(orient="records")}
                                for (a, b), df in self.differences.items()],
                "statements": list(self.statements), "extra": self.extra,
                "forecasts": [f.to_dict() for f in self.forecasts]}


@dataclass(frozen=True)
class StressAnalysis:
    """Every stress group of a study for one metric."""

    metric: str
    higher_is_better: bool
    noise: tuple[ArmGroup, ...] = ()
    prior: tuple[ArmGroup, ...] = ()
    shift: tuple[ArmGroup, ...] = ()
    acquisition: tuple[ArmGroup, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def groups(self) -> tuple[ArmGroup, ...]:
        return self.noise + self.prior + self.shift + self.acquisition

    def statements(self) -> list[str]:
        return [s for g in self.groups for s in g.statements]

    def to_dict(self) -> dict[str, Any]:
        from dataroi._json import json_safe

        return json_safe({"metric": self.metric, "higher_is_better": self.higher_is_better,
                          "groups": [g.to_dict() for g in self.groups],
                          "notes": list(self.notes)})


def _fmt(v: float) -> str:
    return "n/a" if not math.isfinite(v) else f"{v:.4f}"


def _today(frame: pd.DataFrame, arms: list[str], n0: int) -> dict[str, float]:
    at = frame[(frame["n_train"] == n0) & frame["model"].isin(arms)]
    return {a: float(at.loc[at["model"] == a, "value"].mean()) for a in arms}


def _row_at(diff: pd.DataFrame, n0: int) -> Any:
    """The paired-difference row at size ``n0``, or None."""
    at = diff[diff["n_train"] == n0]
    return at.iloc[0] if len(at) else None


def _paired_at(frame: pd.DataFrame, diffs: dict[tuple[str, str], pd.DataFrame], a: str,
               b: str, n0: int) -> Any:
    """Measure ``a − b`` per size into ``diffs`` and return its row at ``n0`` (or None)."""
    diffs[(a, b)] = paired_differences(frame, a, b)
    return _row_at(diffs[(a, b)], n0)


def _interval(r: Any) -> str:
    """"90 % interval LOW to HIGH" of a paired-difference row."""
    return f"90 % interval {_fmt(r['low'])} to {_fmt(r['high'])}"


def _common_n(frame: pd.DataFrame, arms: list[str]) -> int | None:
    sets = [set(frame.loc[frame["model"] == a, "n_train"]) for a in arms]
    common = set.intersection(*sets) if sets else set()
    return int(max(common)) if common else None


class _Fitter:
    def __init__(self, metric: str, draws: int, random_state: int, trials: pd.DataFrame,
                 cache: FitCache | None, gain_model: Any = "auto") -> None:
        from dataroi.value import fit_study_curves

        self._fit = fit_study_curves
        self.metric, self.trials, self.cache = metric, trials, cache
        self.draws, self.random_state = draws, random_state
        self.gain_model = gain_model

    def curves(self, arms: list[str], n0: int, frame: pd.DataFrame | None = None) -> Any:
        """Curves of ``arms`` (from the study's trials, or from ``frame``)."""
        if frame is not None:
            return self._fit(frame[frame["model"].isin(arms)], metric=self.metric,
                             current_n=n0, random_state=self.random_state,
                             use_train_scores=False)
        return self._fit(self.trials, metric=self.metric, models=tuple(arms), current_n=n0,
                         random_state=self.random_state, use_train_scores=False,
                         cache=self.cache, gain_model=self.gain_model)

    def equivalence(self, curves: Any, ref: str, other: str, n0: int,
                    frame: pd.DataFrame) -> Equivalence:
        """Labels ``other`` needs to reach ``ref``'s measured mean at ``n0``, its curve
        supplying the gain beyond its own measured mean."""
        today = _today(frame, [ref, other], n0)
        return equivalent_labels(curves.fits[ref], curves.fits[other], n0, reference=ref,
                                 other=other, draws=self.draws,
                                 random_state=self.random_state, target=today[ref],
                                 other_today=today[other])


@dataclass(frozen=True)
class _NoiseFacts:
    """What the effective-sample rule needs beyond the trials (see :func:`analyze_stress`)."""

    n_classes: int | None = None
    class_shares: Mapping[str, float] | None = None
    interval_scale: Mapping[int, float] | None = None
    excess_decay: float | Mapping[str, float] | None = None

    def __post_init__(self) -> None:  # bad settings are refused before anything is fitted
        resolved_scale(self.interval_scale)
        given = self.excess_decay
        if isinstance(given, Mapping):
            unknown = sorted(map(str, set(given) - set(DECAY_KINDS)))
            if unknown:
                raise UsageError(f"excess_decay: unknown kind of noise {', '.join(unknown)}"
                                 f" (known: {', '.join(DECAY_KINDS)})")
            for v in given.values():
                resolved_decay(v)
        else:
            resolved_decay(given)

    def decay(self, arm: VariantSpec) -> float:
        """The rate at which ``arm``'s excess over the rule fades: given, else the one
        shipped for its kind of noise."""
        kind = str(arm.params.get("noise") or "symmetric")
        given = self.excess_decay
        if isinstance(given, Mapping):
            given = given.get(kind)
        return resolved_decay(given, kind)

    def rule(self, arm: VariantSpec) -> tuple[float, float] | None:
        """``(flipped share, effective fraction)`` of ``arm``, or None where the rule
        does not apply (the arm's own curves are used)."""
        r = flipped_share(arm.params, n_classes=self.n_classes,
                          class_shares=self.class_shares)
        if r is None or self.n_classes is None:
            return None
        f = effective_fraction(r, self.n_classes)
        return (r, f) if f > 0 else None


def _noise_groups(stress: Sequence[VariantSpec], frame: pd.DataFrame, fitter: _Fitter,
                  facts: _NoiseFacts) -> list[ArmGroup]:
    out = []
    for base in dict.fromkeys(a.base for a in stress if a.kind == "noise"):
        arms = [a for a in stress if a.kind == "noise" and a.base == base]
        rated = sorted((a for a in arms if a.params.get("rate") is not None),
                       key=lambda a: a.params["rate"])
        names = [base] + [a.name for a in arms]
        n0 = _common_n(frame, names)
        if n0 is None:
            continue
        curves = fitter.curves(names, n0)
        rate = {base: 0.0} | {a.name: a.params.get("rate") for a in arms}
        rule = {a.name: facts.rule(a) for a in arms}
        by_name = {a.name: a for a in arms}
        pairs: list[tuple[str, str]] = []
        for hi in rated:  # halving each rate, when the half was run
            half = [lo for lo in rated if math.isclose(lo.params["rate"],
                                                         hi.params["rate"] / 2)]
            if half:
                pairs.append((half[0].name, hi.name))
        for hi in rated + [a for a in arms if a.params.get("rate") is None]:
            pairs.append((base, hi.name))  # removing the injected noise altogether
        eqs, statements = [], []
        for ref, other in pairs:
            if ref not in curves.fits or other not in curves.fits:
                continue
            known = rule.get(other)
            if known is not None and base in curves.fits:
                eq = rule_equivalence(curves, frame, ref, other, base=base,
                                      fraction=known[1], n_draws=fitter.draws,
                                      decay=facts.decay(by_name[other]),
                                      scales=facts.interval_scale)
            else:
                eq = fitter.equivalence(curves, ref, other, n0, frame)
            eqs.append(eq)
            r_ref, r_oth = rate[ref], rate[other]
            today = _today(frame, [ref, other], n0)
            what = (f"{base}: halving label noise from {r_oth:.0%} to {r_ref:.0%}"
                    if r_ref else f"{base}: removing {other}'s added label noise "
                    f"({_fmt(today[other])} → {_fmt(today[ref])} measured at {n0:,} "
                    "labels)")
            statements.append(eq.sentence(what))
        forecasts = []
        for a in arms:
            if a.name not in curves.fits or base not in curves.fits:
                continue
            known = rule[a.name]
            if known is not None:
                fc = rule_gap_forecast(curves, frame, base, a.name, rate=known[0],
                                       fraction=known[1], n_draws=fitter.draws,
                                       scales=facts.interval_scale,
                                       decay=facts.decay(a))
            else:
                fc = curves_gap_forecast(curves, base, a.name, n_draws=fitter.draws)
            forecasts.append(fc)
            statements.append(fc.sentence(fitter.metric))
        diffs = {(base, a.name): paired_differences(frame, base, a.name) for a in arms}
        methods = {a.name: {"method": RULE if rule[a.name] else CURVES,
                            "flipped_share": rule[a.name][0] if rule[a.name] else None,
                            "effective_fraction": rule[a.name][1] if rule[a.name] else None}
                   for a in arms}
        out.append(ArmGroup("noise", base, tuple(names), n0, _today(frame, names, n0),
                            tuple(eqs), diffs, tuple(statements),
                            {"rates": {k: v for k, v in rate.items() if v is not None},
                             "arms": methods}, tuple(forecasts)))
    return out


def _prior_groups(stress: Sequence[VariantSpec], frame: pd.DataFrame, fitter: _Fitter
                 ) -> list[ArmGroup]:
    out = []
    for base in dict.fromkeys(a.base for a in stress if a.kind == "prior"):
        arms = [a.name for a in stress if a.kind == "prior" and a.base == base]
        names = [base, *arms]
        n0 = _common_n(frame, names)
        if n0 is None:
            continue
        curves = fitter.curves(names, n0)
        eqs, statements, diffs = [], [], {}
        for arm in arms:
            r = _paired_at(frame, diffs, arm, base, n0)
            if r is not None:
                statements.append(
                    f"{base}: training at the class prior of {arm} instead of the pool's "
                    f"changes {fitter.metric} by {r['diff']:+.4f} at {n0:,} labels (paired "
                    f"over {int(r['n_pairs'])} repeats, {_interval(r)})")
            if arm in curves.fits and base in curves.fits:
                eq = fitter.equivalence(curves, base, arm, n0, frame)
                eqs.append(eq)
                statements.append(eq.sentence(f"{base}: matching the pool's prior"))
        out.append(ArmGroup("prior", base, tuple(names), n0, _today(frame, names, n0),
                            tuple(eqs), diffs, tuple(statements)))
    return out


def _views(stress: Sequence[VariantSpec], kind: str, key: str) -> dict[str, dict[str, str]]:
    """Per base model, its arms of ``kind`` by the parameter ``key`` (view, strategy)."""
    out: dict[str, dict[str, str]] = {}
    for a in stress:
        if a.kind == kind:
            out.setdefault(a.base, {})[a.params[key]] = a.name
    return out


def _shift_groups(stress: Sequence[VariantSpec], frame: pd.DataFrame, fitter: _Fitter,
                  hib: bool) -> list[ArmGroup]:
    out = []
    for base, arms in _views(stress, "shift", "view").items():
        inn, shifted = arms["in"], arms["shifted"]
        # the in-distribution and held-out views make the section; the reweighted one
        # adds to it where it has trials (a model without sample weights fails it)
        n0 = _common_n(frame, [inn, shifted])
        if n0 is None:
            continue
        rw = arms.get("reweighted")
        names = [inn, shifted] + ([rw] if rw and _common_n(frame, [inn, shifted, rw]) == n0
                                  else [])
        diffs: dict[tuple[str, str], pd.DataFrame] = {}
        statements = []
        r = _paired_at(frame, diffs, inn, shifted, n0)
        if r is not None:
            worse = r["diff"] > 0 if hib else r["diff"] < 0
            statements.append(
                f"{base}: on the held-out slice the metric is {abs(r['diff']):.4f} "
                f"{'worse' if worse else 'better'} than in distribution at {n0:,} labels "
                f"(90 % interval of the paired difference {_fmt(r['low'])} to "
                f"{_fmt(r['high'])})")
        extra: dict[str, Any] = {}
        curves = fitter.curves(names, n0)
        if inn in curves.fits and shifted in curves.fits:
            at = [n0, 4 * n0]
            a = curves.fits[inn].sample(at, size=fitter.draws, random_state=1)
            b = curves.fits[shifted].sample(at, size=fitter.draws, random_state=2)
            g = a - b
            extra["gap_today_median"] = float(pd.Series(g[:, 0]).median())
            extra["gap_4x_median"] = float(pd.Series(g[:, 1]).median())
            extra["gap_4x_interval"] = [float(pd.Series(g[:, 1]).quantile(q))
                                        for q in (0.05, 0.95)]
            lo4, hi4 = extra["gap_4x_interval"]
            if lo4 <= extra["gap_today_median"] <= hi4:
                narrows = "cannot be told to narrow or widen"
            elif abs(extra["gap_4x_median"]) < abs(extra["gap_today_median"]):
                narrows = "narrow"
            else:
                narrows = "widen"
            statements.append(
                f"{base}: with 4× the labels the shift gap is projected at "
                f"{extra['gap_4x_median']:+.4f} (90 % interval "
                f"{extra['gap_4x_interval'][0]:+.4f} to {extra['gap_4x_interval'][1]:+.4f}); "
                f"today {extra['gap_today_median']:+.4f}: with more labels from the same "
                f"distribution the gap {narrows} (the two curves' draws are independent, "
                "so this interval is wide)")
        if rw and rw in names:
            r = _paired_at(frame, diffs, rw, shifted, n0)
            if r is not None:
                statements.append(
                    f"{base}: covariate-shift reweighting changes the held-out slice's "
                    f"metric by {r['diff']:+.4f} at {n0:,} labels ({_interval(r)})")
        elif rw:
            statements.append(
                f"{base}: covariate-shift reweighting is not judged: its arm ({rw}) has no "
                f"finished trial at {n0:,} labels (`dataroi status` says why its trials "
                "failed)")
        out.append(ArmGroup("shift", base, tuple(names), n0, _today(frame, names, n0),
                            (), diffs, tuple(statements), extra))
    return out


def _acquisition_groups(stress: Sequence[VariantSpec], frame: pd.DataFrame, fitter: _Fitter,
                        timing: pd.DataFrame, pool_size: int) -> list[ArmGroup]:
    # at the whole pool every strategy has labeled every row: strategies differ only below
    frame = frame[frame["n_train"] < pool_size]
    timing = timing[timing["n_train"] < pool_size]
    out = []
    for base, arms in _views(stress, "acquisition", "strategy").items():
        names = list(arms.values())
        n0 = _common_n(frame, names)
        if n0 is None:
            continue
        curves = fitter.curves(names, n0, frame)
        rnd = arms["random"]
        eqs, statements, diffs = [], [], {}
        at = timing[timing["n_train"] == n0].groupby("model")["fit_seconds"].mean()
        seconds = {s: float(at.get(name, math.nan)) for s, name in arms.items()}
        for strategy, name in arms.items():
            if strategy == "random":
                continue
            diffs[(name, rnd)] = paired_differences(frame, name, rnd)
            if name in curves.fits and rnd in curves.fits:
                eq = fitter.equivalence(curves, name, rnd, n0, frame)
                eqs.append(eq)
                r = _row_at(diffs[(name, rnd)], n0)
                if eq.added_q95 <= 0 and r is not None:
                    # random sampling is at the strategy's score already in every draw
                    today = _today(frame, [name, rnd], n0)
                    statements.append(
                        f"{base}: {strategy} sampling saves no labels at {n0:,}: it scores "
                        f"{_fmt(today[name])} against random sampling's {_fmt(today[rnd])} "
                        f"(paired difference {r['diff']:+.4f}, {_interval(r)}); training "
                        f"plus selection takes {seconds[strategy]:.2f}s vs "
                        f"{seconds['random']:.2f}s per model at {n0:,} labels")
                elif math.isfinite(eq.added_q50):
                    statements.append(
                        f"{base}: with {strategy} sampling, {n0:,} labels reach what random "
                        f"sampling needs ≈ {round(n0 + eq.added_q50):,} for (90 % "
                        f"interval {round(n0 + eq.added_q05):,}–"
                        + ("never" if not math.isfinite(eq.added_q95)
                           else f"{round(n0 + eq.added_q95):,}")
                        + f"); training plus selection takes {seconds[strategy]:.2f}s vs "
                        f"{seconds['random']:.2f}s per model at {n0:,} labels")
                else:
                    statements.append(eq.sentence(f"{base}: {strategy} sampling"))
        out.append(ArmGroup("acquisition", base, tuple(names), n0,
                            _today(frame, names, n0), tuple(eqs), diffs, tuple(statements),
                            {"fit_plus_selection_seconds": seconds}))
    return out


def analyze_stress(trials: pd.DataFrame, arms: Sequence[VariantSpec], *, metric: str,
                   pool_size: int | None = None, draws: int = 400, random_state: int = 0,
                   cache: FitCache | None = None, n_classes: int | None = None,
                   class_shares: Mapping[str, float] | None = None,
                   gain_model: Any = "auto",
                   interval_scale: Mapping[int, float] | None = None,
                   excess_decay: float | Mapping[str, float] | None = None
                   ) -> StressAnalysis:
    """Analyse every stress arm of a study (see the module doc).

    Args:
        trials: the study's trials (``Study.trials()``), the arms' and their base models'.
        arms: the spec's stress arms (``spec.stress``).
        metric: the metric.
        pool_size: the training pool (acquisition arms are compared below it).
        draws, random_state: curve draws and their root seed.
        cache: a :class:`~dataroi.value.FitCache` for the arms' curves.
        n_classes: the task's number of classes. With it, noise arms of a known rate are
            forecast by the effective-sample rule (:mod:`dataroi.stress._noise_rule`);
            without it, by their own curves (and a note says so).
        class_shares: class label → share of the training pool; needed for a
            class-conditional matrix without a rate (only the classes it names).
        gain_model: how the curves continue beyond today
            (:func:`~dataroi.value.fit_study_curves`'s ``gain_model``; default the
            shipped learned forecast).
        interval_scale: the rule's per-factor interval scale (default: the one shipped,
            ``noise_rule_scale.json``; a benchmark passes one learned without the data
            set it judges; ``{}``: the draws' own quantiles, not calibrated).
        excess_decay: the rate at which a noise arm's excess over the rule fades, for
            every arm or by kind of noise (``{"symmetric": β, "class_conditional": β}``;
            default: the one shipped for the arm's kind,
            :func:`~dataroi.stress.shipped_excess_decay`; a benchmark passes one learned
            without the data set it judges).

    Raises:
        UsageError: no arm, or no trial of one has finished.

    Example:
        >>> from dataroi.spec import VariantSpec
        >>> f = pd.DataFrame([{"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
        ...                    "value": 0.95 - 2 / (n * s) ** 0.5 + 0.003 * r,
        ...                    "fit_seconds": 0.01}
        ...                   for m, s in (("a", 1.0), ("a[noise=0.1]", 0.64))
        ...                   for n in (50, 100, 200, 400) for r in range(3)])
        >>> arm = VariantSpec("a", "noise", "noise=0.1", {"noise": "symmetric", "rate": 0.1})
        >>> g = analyze_stress(f, [arm], metric="accuracy", draws=200, n_classes=2).noise[0]
        >>> g.forecasts[0].method
        'effective-sample rule'
        >>> g.equivalences[0].method  # the shipped decay of a symmetric arm's excess
        'effective-sample rule (f = 0.640, excess fading as (N/n)^0.4)'
        >>> analyze_stress(f, [arm], metric="accuracy", draws=200).noise[0].forecasts[0].method
        'curves'
    """
    from dataroi.metrics import get_metric

    if not arms:
        raise UsageError("the spec has no stress: section; add one (noise, prior, shift or "
                         "acquisition) and run the study")
    present = set(trials["metric"]) if len(trials) else set()
    if metric not in present:
        raise UsageError(f"metric '{metric}' is not in the trials "
                         f"({', '.join(map(str, sorted(present))) or 'none'})")
    hib = get_metric(metric).higher_is_better
    frame = trials[trials["metric"] == metric]
    frame = frame[frame["value"].notna()]
    arm_names = {a.name for a in arms}
    if not set(frame["model"]) & arm_names:
        raise UsageError("no stress arm has a finished trial; run the study first "
                         "(`dataroi run SPEC`; an adaptive run leaves the arms out: "
                         "`dataroi run SPEC --full-grid`)")
    timing = frame[["model", "n_train", "repeat", "fit_seconds"]]
    fitter = _Fitter(metric, draws, random_state, trials, cache, gain_model)
    facts = _NoiseFacts(n_classes=n_classes, class_shares=class_shares,
                        interval_scale=interval_scale, excess_decay=excess_decay)
    notes = []
    noise_arms = [a for a in arms if a.kind == "noise"]
    if noise_arms and n_classes is None:
        notes.append("the number of classes was not given (analyze_stress(n_classes=...)):"
                     " the noise arms' figures come from their own curves (method "
                     "'curves'), not the effective-sample rule")
    elif any(facts.rule(a) is None for a in noise_arms):
        unknown = sorted({a.label for a in noise_arms if facts.rule(a) is None})
        notes.append(f"{', '.join(unknown)}: the effective-sample rule does not apply "
                     "(hard noise, a class-conditional matrix without the classes' shares "
                     "for an unknown share of flipped labels, or labels that carry no "
                     "signal at that rate): their figures come from their own curves "
                     "(method 'curves')")
    failed = trials[(trials["state"] == "failed") & trials["model"].isin(arm_names)] \
        if "state" in trials else trials.iloc[:0]
    if len(failed):
        notes.append(f"{failed['trial_id'].nunique() if 'trial_id' in failed else len(failed)}"
                     " stress trials failed and are left out (see `dataroi status`)")
    largest = int(frame["n_train"].max())
    return StressAnalysis(
        metric=metric, higher_is_better=hib,
        noise=tuple(_noise_groups(arms, frame, fitter, facts)),
        prior=tuple(_prior_groups(arms, frame, fitter)),
        shift=tuple(_shift_groups(arms, frame, fitter, hib)),
        acquisition=tuple(_acquisition_groups(arms, frame, fitter, timing,
                                              pool_size if pool_size else largest + 1)),
        notes=tuple(notes))


def strategy_curves(trials: pd.DataFrame, arms: Sequence[VariantSpec], *, metric: str,
                    pool_size: int | None = None, current_n: int | None = None,
                    random_state: int = 0) -> Any:
    """Learning curves of a study's acquisition arms for the planner, fitted on the sizes
    below the whole pool (where strategies differ) and read from ``current_n`` on.

    Raises:
        UsageError: the spec has no acquisition arms, or none has a finished trial.
    """
    from dataroi.value import fit_study_curves

    names = [a.name for a in arms if a.kind == "acquisition"]
    if not names:
        raise UsageError("the spec has no stress.acquisition section: no strategies to "
                         "offer")
    frame = trials[(trials["metric"] == metric) & trials["model"].isin(names)
                   & trials["value"].notna()]
    if pool_size is not None:
        frame = frame[frame["n_train"] < pool_size]
    if frame.empty:
        raise UsageError("no acquisition arm has a finished trial below the whole pool; "
                         "run the study first")
    return fit_study_curves(frame, metric=metric, current_n=current_n,
                            random_state=random_state, use_train_scores=False)
