"""One analysis object from trials to decision and report.

An :class:`Analysis` is made from a study (``study.analyze()``) or from a plain table of
trials (:func:`analyze`: a frame, the CSV ``dataroi trials`` writes, or scikit-learn
``learning_curve`` arrays). It resolves the metric once, reads the trials once, holds one
ledger handle (for a study), and offers every computation of the value and decision
layers on the same fitted curves: the backtest, the value of labels, data vs. model, the
recommendation (made here and nowhere else), the stress and slice analyses, the report.
The command line, the report and the demo all go through it.

Example:
    >>> import pandas as pd
    >>> rows = [{"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": base - 2.0 / n ** 0.5 + 0.002 * r}
    ...         for m, base in (("a", 0.9), ("b", 0.93)) for n in (25, 50, 100, 200, 400)
    ...         for r in range(3)]
    >>> a = analyze(pd.DataFrame(rows), costs={"price_per_label_usd": 0.5,
    ...                                         "value_per_point_usd": 400})
    >>> a.metric, a.curves.current_n, a.models
    ('accuracy', 400, ('a', 'b'))
    >>> rec = a.recommend()
    >>> rec.chosen.label.startswith(("keep", "switch", "label", "add"))
    True
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import math
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataroi.analysis._context import StudyContext
from dataroi.exceptions import UsageError
from dataroi.metrics import get_metric
from dataroi.spec import is_arm_name

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.decide import Recommendation, Registration
    from dataroi.report import Report
    from dataroi.spec import CostSpec, DecisionSpec
    from dataroi.value import (
        Backtest,
        LabelsToTarget,
        MarginalValue,
        ModelComparison,
        StudyCurves,
        TippingPoints,
    )

__all__ = ["Analysis", "analyze"]


class Analysis:
    """Curves, value, recommendation and report of one set of trials, for one metric.

    Args:
        trials: a tidy trials frame (``model, n_train, repeat, metric, value`` and, when
            recorded, ``train_value``, ``fit_seconds``, ``predictions_digest``...).
        metric: the metric (default: ``decision.metric``, else the study's primary
            metric, else the frame's only metric).
        costs: the ``costs:`` section (a :class:`~dataroi.spec.CostSpec` or a mapping;
            default: the study's).
        decision: the ``decision:`` section (a :class:`~dataroi.spec.DecisionSpec` or a
            mapping; default: the study's).
        higher_is_better: the metric's direction (default: from the metric registry).
        random_state: root seed of every curve fit and draw (a study's: its seed).
        n_draws: joint curve draws per model.
        models: the models, in order (default: the study's, else the frame's).
        context: what a study hands over (:class:`StudyContext`); None for a table.
        cache_dir: a folder for fitted curves (a study's: ``<workdir>/cache/fits``).
        curves: how curves continue beyond today's size: ``"learned"`` (the gain
            forecast learned on the curve corpus and shipped with dataroi, where the
            metric allows: bounded in [0, 1], higher better), ``"fitted"`` (the fitted
            curve families only), the path of another gain model file, or a
            :class:`~dataroi.curves.GainModel`. Default: ``decision.curves``, else
            ``"learned"``.
        p_calibration: the calibration of the P(net > 0) a recommendation states,
            learned on the curve corpus with the learned forecast: None (the shipped
            one), ``"none"`` (the model's probabilities as they are), the path of another
            calibration file, or a :class:`~dataroi.decide.PCalibration`. With
            ``curves="fitted"`` there is none.

    Use it as a context manager (or call :meth:`close`) to release a study's ledger.
    """

    def __init__(self, trials: pd.DataFrame, *, metric: str | None = None,
                 costs: CostSpec | Mapping[str, Any] | None = None,
                 decision: DecisionSpec | Mapping[str, Any] | None = None,
                 higher_is_better: bool | None = None, random_state: int = 0,
                 n_draws: int = 2000, models: Sequence[str] | None = None,
                 context: StudyContext | None = None,
                 cache_dir: str | Path | None = None,
                 curves: Any = None, p_calibration: Any = None) -> None:
        from dataroi.spec import parse_costs, parse_decision
        from dataroi.value import FitCache

        spec = context.spec if context is not None else None
        self.trials = trials
        self.context = context
        self.costs = parse_costs(costs) if costs is not None else (
            spec.costs if spec is not None else None)
        self.decision = parse_decision(decision) if decision is not None else (
            spec.decision if spec is not None else None)
        self.metric = self._resolve_metric(metric, spec)
        self.higher_is_better = higher_is_better
        self.random_state = int(random_state)
        if int(n_draws) < 100:
            raise UsageError(f"n_draws must be at least 100, got {n_draws}")
        self.n_draws = int(n_draws)
        names = tuple(dict.fromkeys(trials["model"])) if "model" in trials else ()
        if models is not None:
            self.models = tuple(models)
        elif spec is not None:
            self.models = tuple(m.name for m in spec.models)
        else:
            self.models = names
        #: the stress arms of a table of trials left out of its models (a note says so)
        self._arms_left_out = () if spec is not None else tuple(
            m for m in names if is_arm_name(m) and m not in self.models)
        if cache_dir is None and context is not None and context.workdir is not None:
            cache_dir = Path(context.workdir) / "cache" / "fits"
        self.cache = FitCache(cache_dir)
        self._predictions_skipped: str | None = None  # why no test-set bootstrap
        if curves is None:
            curves = self.decision.curves if self.decision is not None else "learned"
        #: what :func:`~dataroi.value.fit_study_curves` extrapolates with
        self.gain_model = {"learned": "auto", "fitted": None}.get(curves, curves) \
            if isinstance(curves, str) else curves
        #: what turns the recommendation's modelled P(net > 0) into a calibrated one
        self.p_calibration = self._p_calibration(p_calibration)
        #: where a table of trials came from (a file path), for the report's command
        self.source: str | None = None
        self._recommendations: dict[str, Recommendation] = {}

    # -- set-up -------------------------------------------------------------------------
    def _p_calibration(self, given: Any) -> Any:
        """The :class:`~dataroi.decide.PCalibration` of ``given`` (see the class)."""
        from dataroi.decide import PCalibration, load_p_calibration

        if isinstance(given, PCalibration):
            return given
        if self.gain_model is None:  # learned with the learned forecast only
            return PCalibration.off()
        return load_p_calibration(None if given is None else str(given))

    def _resolve_metric(self, metric: str | None, spec: Any) -> str:
        """The metric: given, else the decision's, else the study's primary one, else the
        frame's only one (the rule "decision.metric or the first metric", once)."""
        if metric is None and self.decision is not None:
            metric = self.decision.metric
        if metric is None and spec is not None:
            metric = spec.metrics[0]
        present = (list(dict.fromkeys(self.trials["metric"]))
                   if len(self.trials) and "metric" in self.trials else [])
        if metric is None:
            if len(present) != 1:
                raise UsageError("name the metric: the trials hold "
                                 f"{', '.join(map(str, present)) or 'no metric'}")
            metric = str(present[0])
        if spec is not None and metric not in spec.metrics:
            raise UsageError(f"metric '{metric}' is not one of the study's metrics "
                             f"({', '.join(spec.metrics)})")
        if spec is None and present and metric not in present:  # a table of trials
            raise UsageError(f"metric '{metric}' is not in the table of trials (its metrics: "
                             f"{', '.join(map(str, present))})")
        return metric

    def __enter__(self) -> Analysis:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the study's ledger handle (idempotent)."""
        if self.context is not None:
            self.context.close()

    @property
    def name(self) -> str:
        """The study's name (``trials`` for a table)."""
        return self.context.name if self.context is not None else "trials"

    # -- curves ---------------------------------------------------------------------------
    @cached_property
    def predictions(self) -> Any:
        """The study's stored test-set predictions (None for a table)."""
        from dataroi.analysis._predictions import stored_predictions

        if self.context is None:
            return None
        try:
            return stored_predictions(self.context)
        except Exception as exc:  # no data to read the test labels from: said in the notes
            self._predictions_skipped = (
                "test-set bootstrap skipped: the test labels are not in the artifact store "
                f"and the data cannot be read ({type(exc).__name__}: {exc}); today's "
                "differences carry only the repeats' noise, so intervals are narrower than "
                "where the data is (give the data, or share the runner's artifacts: folder)")
            return None

    @property
    def bootstrap_skipped(self) -> str | None:
        """Why the test-set bootstrap cannot run here (a sentence), or None when it can
        or the analysis has no study (a table of trials)."""
        return self._predictions_skipped if self.predictions is None else None

    @cached_property
    def curves(self) -> StudyCurves:
        """One fitted learning curve (and training-time curve) per model."""
        from dataroi.value import fit_study_curves

        curves = fit_study_curves(self.trials, metric=self.metric,
                                  higher_is_better=self.higher_is_better,
                                  random_state=self.random_state,
                                  models=self.models or None, cache=self.cache,
                                  test_predictions=self.predictions,
                                  gain_model=self.gain_model)
        skipped = self.bootstrap_skipped
        if skipped is not None:
            curves = dataclasses.replace(curves, notes=(*curves.notes, skipped))
        arms = self._arms_left_out
        if arms:
            shown = ", ".join(arms[:4]) + (f" and {len(arms) - 4} more" if len(arms) > 4
                                           else "")
            curves = dataclasses.replace(curves, notes=(
                *curves.notes, f"the table's stress arms ({shown}) are not models to "
                "choose: left out (`dataroi stress SPEC` reads them)"))
        record = self.track_record
        if record is None or record.interval_scale is None:
            return curves
        note = (f"forecast intervals beyond today x{record.interval_scale:.2f}: the "
                f"ledger's track record ({record.n_forecasts} forecasts checked by dataroi "
                f"followup, {record.coverage90:.0%} inside their 90 % interval); "
                "decision.recalibrate: false turns this off")
        return dataclasses.replace(curves, interval_scale=record.interval_scale,
                                   notes=(*curves.notes, note))

    @cached_property
    def track_record(self) -> Any:
        """The ledger's forecast track record (:func:`~dataroi.decide.ledger_track_record`
        over every ``followup`` document), or None: no ledger, or the decision rule says
        ``recalibrate: false``. Once it holds :data:`~dataroi.decide.MIN_CHECKS` checked
        forecasts its ``interval_scale`` stretches the curves' draws beyond today
        (:attr:`~dataroi.value.StudyCurves.interval_scale`)."""
        from dataroi.decide import ledger_track_record

        if self.decision is not None and not self.decision.recalibrate:
            return None
        ctx = self.context
        if ctx is None or ctx.store is None:
            return None
        return ledger_track_record(ctx.store)

    @cached_property
    def left_out(self) -> dict[str, str]:
        """The study's models with no finished trial of the metric, and why (the most
        common error of their failed trials), in study order.

        Example:
            >>> import pandas as pd
            >>> rows = [{"model": m, "n_train": n, "repeat": 0, "metric": "accuracy",
            ...          "value": v, "state": s, "error_type": e}
            ...         for n in (50, 100, 200)
            ...         for m, v, s, e in (("a", 0.7 + n / 1000, "complete", None),
            ...                            ("b", float("nan"), "failed", "ValueError"))]
            >>> Analysis(pd.DataFrame(rows), metric="accuracy").left_out
            {'b': 'all 3 trials failed (ValueError)'}
        """
        import pandas as pd

        fitted = set(self.curves.models)
        frame = self.trials
        sub = frame[frame["metric"] == self.metric] if "metric" in frame else frame
        names = list(self.models) or list(dict.fromkeys(sub["model"]))
        messages: dict[str, list[str]] = {}
        for snap in (self.context.snapshots if self.context is not None else ()):
            if snap.extra.get("error_message") or snap.extra.get("error_type"):
                text = f"{snap.extra.get('error_type') or 'error'}: " \
                    f"{str(snap.extra.get('error_message') or '').strip()}".rstrip(": ")
                messages.setdefault(snap.key.model, []).append(text.splitlines()[0][:160])
        out: dict[str, str] = {}
        for m in names:
            if m in fitted:
                continue
            mine = sub[sub["model"] == m]
            failed = int((mine.get("state", pd.Series(dtype=str)) == "failed").sum())
            if failed == 0 and mine.empty:
                out[m] = "no trial has finished yet"
                continue
            errs = messages.get(m) or [str(e) for e in mine.get(
                "error_type", pd.Series(dtype=str)).dropna()]
            why = max(set(errs), key=errs.count) if errs else "no finite score"
            out[m] = f"all {len(mine)} trials failed ({why})"
        return out

    @cached_property
    def backtest(self) -> Backtest | None:
        """The study's own check of its curves (largest sizes hidden, refitted), or None
        when it has too few sizes."""
        from dataroi.value import study_backtest

        return study_backtest(self.trials, metric=self.metric,
                              random_state=self.random_state,
                              models=self.curves.models, cache=self.cache)

    def backtest_with(self, hold: int | None) -> Backtest:
        """A backtest hiding ``hold`` sizes (None: as :attr:`backtest`).

        Raises:
            UsageError: too few sizes for it.
        """
        from dataroi.value import backtest_study

        if hold is None and self.backtest is not None:
            return self.backtest
        return backtest_study(self.trials, metric=self.metric, hold=hold,
                              random_state=self.random_state, models=self.curves.models,
                              cache=self.cache)

    # -- value ----------------------------------------------------------------------------
    def _add(self, add: Sequence[int] | None) -> list[int]:
        extra = list(self.decision.add) if self.decision is not None else []
        return sorted(set(extra) | {int(a) for a in (add or ())})

    def horizon_factor(self) -> float:
        """How far (× today's labels added) crossings between models are looked for: the
        unlabeled pool when the costs give one (at least 0.1×), else 64×
        (:meth:`~dataroi.decide.CostModel.horizon_factor`, as the recommendation's
        comparisons use it)."""
        from dataroi.decide import CostModel

        if self.costs is None:
            return 64.0
        return CostModel(self.costs).horizon_factor(self.curves.current_n)

    def marginal_value(self, add: Sequence[int] | None = None) -> MarginalValue:
        """The gain of added labels per model, with quantiles."""
        from dataroi.value import marginal_value

        return marginal_value(self.curves, add=self._add(add), n_draws=self.n_draws)

    def compare(self, add: Sequence[int] | None = None) -> ModelComparison:
        """Data vs. model: every pair today (paired) and projected, with crossings
        searched within :meth:`horizon_factor`."""
        from dataroi.value import compare_models

        return compare_models(self.curves, add=self._add(add), n_draws=self.n_draws,
                              max_factor=self.horizon_factor())

    def labels_to_target(self, target: float | None = None) -> LabelsToTarget | None:
        """Labels to add to reach ``target`` (default: the decision's), or None."""
        from dataroi.value import labels_to_target

        if target is None and self.decision is not None:
            target = self.decision.target
        if target is None:
            return None
        target = self._check_target(target)  # before the curves are fitted
        return labels_to_target(self.curves, target, n_draws=self.n_draws)

    def _check_target(self, target: float | None) -> float | None:
        """``target`` if the metric can take it, before any curve is fitted or anything saved.

        Raises:
            UsageError: the target is not a finite value inside the metric's range.
        """
        if target is None:
            return None
        metric = get_metric(self.metric)
        low, high = metric.value_range
        if math.isfinite(target) and (target > high if metric.higher_is_better
                                      else target < low):
            raise UsageError(f"target {target:g} is beyond the best possible {self.metric} "
                             f"({metric.best_value:g}): give it on the metric's own scale "
                             "(e.g. 0.92, not 92)")
        if not (math.isfinite(target) and low <= target <= high):
            raise UsageError(f"target {target:g} is outside the values {self.metric} can take "
                             f"([{low:g}, {high:g}]); give a target inside that range")
        return target

    def break_even_per_1k(self) -> float | None:
        """The gain per 1,000 labels at which labels pay for themselves, when the costs
        price labels and metric points."""
        from dataroi.value import break_even_per_1k

        c = self.costs
        if c is None or c.price_per_label_usd is None or c.value_per_point_usd is None:
            return None
        return break_even_per_1k(c)

    def tipping_points(self, threshold_per_1k: float | None = None) -> TippingPoints | None:
        """Added labels beyond which the gain per 1,000 labels stays under the threshold
        (given; else the decision's ``min_gain_per_1k`` guardrail; else the break-even of
        the costs); None when there is no threshold."""
        from dataroi.value import tipping_points

        if threshold_per_1k is None and self.decision is not None:
            threshold_per_1k = self.decision.guardrails.min_gain_per_1k
        if threshold_per_1k is not None:
            return tipping_points(self.curves, threshold_per_1k=threshold_per_1k,
                                  n_draws=min(self.n_draws, 1000))
        if self.break_even_per_1k() is None:
            return None
        return tipping_points(self.curves, costs=self.costs,
                              n_draws=min(self.n_draws, 1000))

    def train_vs_test(self) -> list[dict[str, Any]]:
        """Per model with training scores: today's test and training score, their gap
        (training − test in the improving direction), whether the gap is within noise
        (the fit's ``gap_closed`` diagnostic) and which gate weighed its families."""
        c = self.curves
        return [{"model": m, "test": c.observed_today(m), "train": c.train_today[m],
                 "gap": c.sign * (c.train_today[m] - c.observed_today(m)),
                 "gap_closed": "gap_closed" in c.fits[m].diagnostics,
                 "curve_gate": c.fits[m].gate}
                for m in c.models if m in c.train_today]

    def chart_context(self) -> dict[str, Any]:
        """What the learning-curve chart marks: the pool, the horizon, the target and
        the tipping points. The horizon is the largest option the labels can reach: an
        option beyond the unlabeled pool or the deadline is listed (excluded) by the
        plan, but the chart stops where the labels do."""
        from dataroi.decide import CostModel

        cap = min(CostModel(self.costs).label_limits().values(), default=math.inf) \
            if self.costs is not None else math.inf
        horizon = None
        with contextlib.suppress(UsageError):
            horizon = max((o.n_total for o in self.recommend().options.options
                           if o.delta_n <= cap), default=None)
        tips = self.tipping_points()
        return {"pool_size": self.context.pool_size if self.context else None,
                "horizon_n": horizon,
                "target": self.decision.target if self.decision is not None else None,
                "tipping": {r["model"]: r["tipping_delta_n"] for r in tips.rows}
                if tips is not None else {}}

    # -- decision -------------------------------------------------------------------------
    def registration(self, decision: DecisionSpec | None = None,
                     costs: CostSpec | None = None) -> Registration | None:
        """Where the decision rule stands against the results (None for a table)."""
        from dataroi.decide import (
            first_result_at,
            registration_status,
            study_first_result_at,
        )

        ctx = self.context
        if ctx is None or ctx.spec is None:
            return None
        # the study's first result on any of its data versions, as `dataroi register`
        # reads it (this version's trials are read already)
        first = first_result_at(ctx.snapshots)
        if ctx.store is not None:
            current = (ctx.context or {}).get("context_id")
            first = study_first_result_at(
                ctx.store, ctx.study_id,
                known={current: ctx.snapshots} if current is not None else None) or first
        return registration_status(
            ctx.store, study=ctx.name, decision=decision if decision is not None
            else self.decision, metric=ctx.spec.metrics[0],
            costs=costs if costs is not None else self.costs, first_result=first)

    def recommend(self, *, budget_usd: float | None = None, target: float | None = None,
                  risk: float | None = None, rule: str | None = None,
                  current_model: str | None = None, add: Sequence[int] | None = None,
                  costs: CostSpec | Mapping[str, Any] | None = None,
                  max_p_loss: float | None = None,
                  strategies: bool = False, save: bool = False,
                  grid: Sequence[float] | None = None,
                  relabel: Any = None) -> Recommendation:
        """Where the next dollar goes: the one place a recommendation is made.

        Keyword arguments override the ``decision:`` (and ``costs:``) sections. The
        result states the pre-registration status and every input hash; with ``save``
        it is stored in the study's ledger (a ``recommendation`` document). ``grid``:
        the multiples of today's labels offered besides ``add`` (default 0.25×…8×;
        ``()`` offers only ``add``). ``relabel``: better labels as options beside the
        others — a :class:`dataroi.stress.Relabeling` or its fields as a mapping (e.g.
        ``{"rate_now": 0.1}``; default: the spec's ``decision.relabel``; the number of
        classes defaults to the task's): "relabel today's items" and "relabel and label
        +ΔN", for every candidate model (the labels are the data's).

        Raises:
            UsageError: no finished trials, a cost field the computation needs is
                missing, or ``save`` without a ledger.
        """
        import json

        from dataroi import __version__
        from dataroi.decide import decide, rule_hash
        from dataroi.spec import DecisionSpec, parse_costs

        self._check_target(target)  # the overrides, before any curve is fitted
        if budget_usd is not None and not (math.isfinite(budget_usd) and budget_usd >= 0):
            raise UsageError(f"budget must be a number >= 0 (USD), got {budget_usd:g}")
        if current_model is not None and self.models and current_model not in self.models:
            from dataroi._names import did_you_mean

            raise UsageError(f"current model '{current_model}' is not a model of the study"
                             f"{did_you_mean(current_model, self.models)}; models: "
                             f"{', '.join(self.models)}")
        budget = budget_usd if budget_usd is not None else (
            self.decision.budget_usd if self.decision is not None else None)
        if budget is not None:  # said before any curve is fitted (seconds on a big study)
            given = costs if costs is not None else self.costs
            price = (given.get("price_per_label_usd") if isinstance(given, Mapping)
                     else getattr(given, "price_per_label_usd", None))
            if price is None:
                raise UsageError("a budget needs costs.price_per_label_usd to price added "
                                 "labels; add it to the spec's costs: section (dataroi "
                                 "init writes one, commented)")
        if relabel is None and self.decision is not None and \
                self.decision.relabel is not None:
            relabel = self.decision.relabel.to_dict()
        relabeling = self._relabeling(relabel)
        costs_used = parse_costs(costs, models=self.curves.models) if costs is not None \
            else self.costs
        key = json.dumps([budget_usd, target, risk, rule, current_model, max_p_loss,
                          sorted(add or ()), costs_used.to_dict() if costs_used else None,
                          strategies, None if grid is None else list(grid),
                          repr(relabeling)], default=str)
        rec = self._recommendations.get(key)
        if rec is None:
            decision = self.decision or DecisionSpec()
            rec = decide(self.curves, costs_used, decision, budget_usd=budget_usd,
                         target=target, risk=risk, rule=rule, current_model=current_model,
                         max_p_loss=max_p_loss, add=add, n_draws=self.n_draws,
                         strategies=self._strategy_curves() if strategies else None,
                         backtest=self.backtest, p_calibration=self.p_calibration,
                         relabel=relabeling,
                         **({} if grid is None else {"grid": tuple(grid)}))
            if not math.isfinite(rec.today):
                raise UsageError(f"{rec.current_model} has no finite {self.metric} today")
            hashes = dict(rec.hashes) | {"rule": rule_hash(rec.decision, metric=self.metric),
                                         "dataroi_version": __version__}
            reasons = list(rec.reasons)
            registration = None
            if self.context is not None:
                hashes |= self.context.hashes()
                overridden = any(v is not None for v in (budget_usd, target, risk, rule,
                                                         current_model, max_p_loss))
                reg = self.registration(rec.decision if self.decision is not None
                                        or overridden else None, costs=costs_used)
                if reg is not None:
                    registration = reg.to_dict()
                    reasons.append("Pre-registration: " + reg.message + ".")
            if self.left_out:
                reasons.insert(0, "Not compared: " + "; ".join(
                    f"{m} ({why})" for m, why in self.left_out.items())
                    + ". The recommendation is among the other models only.")
            rec = dataclasses.replace(rec, registration=registration, hashes=hashes,
                                      reasons=tuple(reasons), left_out=dict(self.left_out))
            self._recommendations[key] = rec
        if save:
            self.save(rec)
        return rec

    def _relabeling(self, relabel: Any) -> Any:
        """``relabel`` as a :class:`dataroi.stress.Relabeling` (None stays None), the
        task's number of classes filled in where the rule needs it."""
        if relabel is None:
            return None
        from dataroi.stress import Relabeling

        if isinstance(relabel, Mapping):
            fields = {f.name for f in dataclasses.fields(Relabeling)}
            unknown = sorted(set(relabel) - fields)
            if unknown:
                raise UsageError(f"relabel: unknown field(s) {', '.join(unknown)}; use "
                                 f"{', '.join(sorted(fields))}")
            given = dict(relabel)
            if given.get("rate_now") is None:
                raise UsageError("relabel: rate_now is needed (the share of today's labels "
                                 "that is wrong, e.g. 0.1)")
            if given.get("n_classes") is None and given.get("cleaner") is None:
                given["n_classes"] = self._classes()[0]
            if given.get("n_classes") is None and given.get("cleaner") is None:
                raise UsageError("relabel options need the task's number of classes (a "
                                 "classification study) or a cleaner arm (relabel.cleaner)")
            relabel = Relabeling(**given)
        if not isinstance(relabel, Relabeling):
            raise UsageError(f"relabel must be a Relabeling or a mapping of its fields, got "
                             f"{type(relabel).__name__}")
        if relabel.model is not None and self.models and relabel.model not in self.models:
            raise UsageError(f"relabel: '{relabel.model}' is not a model of the study; "
                             f"models: {', '.join(self.models)}")
        return relabel

    def save(self, rec: Recommendation) -> None:
        """Store ``rec`` in the study's ledger (a ``recommendation`` document).

        Raises:
            UsageError: the analysis has no ledger (it was made from a table).
        """
        from dataroi.spec import canonical_hash

        ctx = self.context
        if ctx is None or ctx.store is None:
            raise UsageError("nothing to save the recommendation in: this analysis has no "
                             "ledger (it was made from a table of trials)")
        payload = rec.to_dict()
        ctx.store.record_document(
            "recommendation", payload, study_id=ctx.study_id,
            context_id=(ctx.context or {}).get("context_id"),
            content_hash=canonical_hash(payload))

    def _strategy_curves(self) -> Any:
        from dataroi.stress import strategy_curves

        return strategy_curves(self.trials, self._arms(), metric=self.metric,
                               pool_size=self._pool_size(),
                               current_n=self.curves.current_n,
                               random_state=self.random_state)

    # -- stress and slices ----------------------------------------------------------------
    def _arms(self) -> tuple[Any, ...]:
        spec = self.context.spec if self.context is not None else None
        return tuple(spec.stress) if spec is not None else ()

    def _pool_size(self) -> int | None:
        if self.context is None:
            return None
        return self.context.pool_size or self.context.prepared().pool_size

    def _classes(self) -> tuple[int | None, dict[str, float] | None]:
        """The task's number of classes and each class's share of the training pool
        (None, None for a table of trials or a regression task)."""
        import numpy as np

        if self.context is None:
            return None, None
        prep = self.context.prepared()
        if prep.task != "classification" or not len(prep.classes):
            return None, None
        counts = np.bincount(np.asarray(prep.y)[prep.pool_idx].astype(int),
                             minlength=len(prep.classes))
        total = max(int(counts.sum()), 1)
        return len(prep.classes), {str(c): float(k) / total
                                   for c, k in zip(prep.classes, counts, strict=True)}

    def stress(self, *, draws: int = 400) -> Any:
        """What the study's stress arms say (:func:`dataroi.stress.analyze_stress`): a
        noise arm of known rate is forecast by the effective-sample rule, with the
        task's classes; the others by their own curves."""
        from dataroi.stress import analyze_stress

        n_classes, shares = self._classes()
        return analyze_stress(self.trials, self._arms(), metric=self.metric,
                              pool_size=self._pool_size(), draws=draws,
                              random_state=self.random_state, cache=self.cache,
                              n_classes=n_classes, class_shares=shares,
                              gain_model=self.gain_model)

    def relabel(self, *, rate_now: float, rate_after: float | None = None,
                opinions: int = 2, model: str | None = None, cleaner: str | None = None,
                draws: int = 400) -> Any:
        """Relabel today's items or label new ones (:func:`dataroi.stress.relabel_vs_new`),
        valued as :meth:`recommend` values its relabel options.

        Args:
            rate_now: the share of today's labels that is wrong.
            rate_after: the share after relabeling (default: a majority of three).
            opinions: extra labels per relabeled item.
            model: whose labels (default: the decision's current model, else the best
                model today).
            cleaner: a model of the study that stands for the relabeled labels (a pilot).
            draws: joint curve draws.
        """
        from dataroi.stress import noise_arms_check, relabel_vs_new

        if model is None:
            model = (self.decision.current_model if self.decision is not None else None) \
                or self.curves.best_today()
        rl = self._relabeling({"model": model, "rate_now": rate_now,
                               "rate_after": rate_after, "opinions": opinions,
                               "cleaner": cleaner})
        check = None if cleaner is not None else noise_arms_check(
            self.curves, self.trials[self.trials["metric"] == self.metric], rl.model,
            self._arms(), self._classes()[0])
        source = "given" if rate_after is not None else "majority of three (formula)"
        return relabel_vs_new(self.curves, self.costs, rl, n_draws=draws,
                              rate_source=source, arms_check=check)

    def slices(self, *, column: str | None = None, budget_usd: float | None = None,
               objective: str = "overall") -> Any:
        """Per-slice scores with partial pooling, and with a budget the labels per slice
        (:func:`dataroi.slices.analyze_slices`).

        Raises:
            UsageError: no slice column (``slices:`` in the spec or ``column``), an
                analysis made from a table, or no trial with stored predictions.
        """
        from dataroi.slices import analyze_slices, slice_labels, slice_table
        from dataroi.trial import train_indices

        ctx = self.context
        spec = ctx.spec if ctx is not None else None
        slices: Any = column or (spec.slices if spec is not None else None)
        if ctx is None or slices is None:
            raise UsageError("name a slice column: slices: {column: ...} in the spec")
        prep = ctx.prepared()
        if isinstance(slices, str) and slices not in prep.X.columns:
            raise UsageError(f"slice column '{slices}' is not a feature column")
        preds = self.predictions
        if preds is None:
            raise UsageError("no stored predictions to slice; run the study first")
        labels = slice_labels(prep.X, slices)
        data = _worker_view(ctx, prep)
        root = spec.schedule.seed if spec is not None else 0
        seed_of = ctx.subset_seed or (lambda r: r)
        table = slice_table(
            self.trials, labels=labels, test_idx=preds.test_idx
            if preds.test_idx is not None else prep.test_idx, y_test=preds.y_test,
            n_classes=preds.n_classes, metric=self.metric, models=self.models,
            predictions=preds.load,
            train_rows=lambda r, n: train_indices(data, seed_of(r), n))
        del root
        opts = spec.slices if spec is not None and spec.slices is not None else None
        default_price = self.costs.cost_per_item_usd if self.costs is not None else 1.0
        return analyze_slices(
            table, column=column or (opts.label if opts else str(slices)), metric=self.metric,
            min_test_rows=opts.min_test_rows if opts else 30, budget_usd=budget_usd,
            price_per_label=opts.price_per_label_usd if opts else None,
            default_price=default_price, objective=objective,
            random_state=self.random_state)

    # -- report ---------------------------------------------------------------------------
    def report(self, *, spec_path: str | None = None, output: str | None = None,
               fmt: str = "html") -> Report:
        """The report: the answer, curves, data vs. model, value of labels, stress and
        slices, diagnostics, reproducibility (render with ``to_html()`` ...)."""
        from dataroi.analysis._report import build_report

        return build_report(self, spec_path=spec_path, output=output, fmt=fmt)

    def _repr_html_(self) -> str:
        """A notebook's view: the recommendation and each model's score today."""
        esc = html.escape
        parts = [f"<div><b>dataroi analysis</b> of {esc(self.name)} "
                 f"({esc(self.metric)})"]
        try:
            c = self.curves
            rows = "".join(
                f"<tr><td>{esc(m)}</td><td>{c.observed_today(m):.4f}</td></tr>"
                for m in c.models)
            parts.append(f"<table><tr><th>model</th><th>{esc(self.metric)} at "
                         f"{c.current_n:,} labels</th></tr>{rows}</table>")
            rec = self.recommend()
            parts.append(f"<p><b>Recommendation:</b> {esc(rec.chosen.label)}</p><ul>"
                         + "".join(f"<li>{esc(r)}</li>" for r in rec.reasons[:3]) + "</ul>")
        except UsageError as exc:
            parts.append(f"<p>{esc(str(exc))}</p>")
        return "".join(parts) + "</div>"

    def __repr__(self) -> str:
        return (f"Analysis({self.name!r}, metric={self.metric!r}, models={list(self.models)}, "
                f"trials={len(self.trials)})")


def _worker_view(ctx: StudyContext, prep: Any) -> Any:
    """The prepared data as the workers see it (to recompute a trial's training rows)."""
    from dataroi.data import WorkerData, materialize

    if ctx.workdir is None:
        raise UsageError("no folder to keep the data copy in")
    return WorkerData.open(materialize(prep, Path(ctx.workdir) / "cache"))


def analyze(trials: Any, *, metric: str | None = None,
            costs: CostSpec | Mapping[str, Any] | None = None,
            decision: DecisionSpec | Mapping[str, Any] | None = None,
            higher_is_better: bool | None = None, random_state: int = 0,
            n_draws: int = 2000, models: Sequence[str] | None = None,
            cache_dir: str | Path | None = None, curves: Any = None,
            p_calibration: Any = None) -> Analysis:
    """An :class:`Analysis` of a plain table of trials.

    Args:
        trials: a tidy trials frame; the path of the CSV (JSON, Parquet) that
            ``dataroi trials`` writes; or a mapping model name → what
            ``sklearn.model_selection.learning_curve`` returns.
        metric, costs, decision, higher_is_better, random_state, n_draws, models,
            cache_dir, curves, p_calibration: see :class:`Analysis`.

    Raises:
        UsageError: an unreadable table, or several metrics and none named.
    """
    from dataroi.analysis._tables import load_trials

    frame = load_trials(trials, metric=metric)
    analysis = Analysis(frame, metric=metric, costs=costs, decision=decision,
                        higher_is_better=higher_is_better, random_state=random_state,
                        n_draws=n_draws, models=models, cache_dir=cache_dir,
                        curves=curves, p_calibration=p_calibration)
    if isinstance(trials, (str, Path)):
        analysis.source = str(trials)
    return analysis
