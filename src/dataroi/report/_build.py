"""Build the report document of a study: plain data, versioned, one section at a time.

:func:`build_report` reads a study (its trials, spec, ledger), fits the curves once and
assembles seven sections in a fixed order (the answer, learning curves, data vs. model,
marginal value, stress tests and slices, diagnostics, reproducibility). Each section is
computed on its own: one whose inputs are missing (no ``costs:`` in the spec, a single
model, no ``stress:`` or ``slices:``...) is left out
(``null``) and the report says what to add; an unexpected error in one section becomes a
diagnostic and never stops the others.

The document is what ``--format json`` writes (schema: ``docs/report-schema.json``,
``schema_version`` :data:`SCHEMA_VERSION`); the HTML and Markdown renderers only
compose it.

Example:
    >>> sorted(SECTIONS)[:2], SCHEMA_VERSION
    (['answer', 'data_vs_model'], '1.4')
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import shlex
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dataroi._json import json_safe
from dataroi.exceptions import DataroiError

__all__ = ["SCHEMA_VERSION", "SECTIONS", "Report", "build_report"]

#: Version of the JSON document (``docs/report-schema.json``): major.minor; a new minor
#: only adds optional fields.
SCHEMA_VERSION = "1.4"

#: Section keys in the order they appear, with their titles.
SECTIONS: dict[str, str] = {
    "answer": "The answer",
    "learning_curves": "Learning curves",
    "data_vs_model": "Data vs. model",
    "marginal_value": "Marginal value of labels",
    "stress": "Stress tests and slices",
    "diagnostics": "Diagnostics",
    "reproducibility": "Reproducibility",
}

_ACTIONS = {
    "too_few_sizes": "add training sizes (schedule.sizes or schedule.geometric.count >= 4)",
    "failed_sizes": "see the failed trials below; fix the model and run "
                    "`dataroi run SPEC --retry-failed`",
    "non_monotone": "add repeats (schedule.repeats) to average out noise, and check the "
                    "model for instability (convergence warnings, regularisation)",
    "peaking": "check regularisation and early stopping; trust this model's extrapolation "
               "less",
    "saturated": "more labels of this kind will not help: consider better labels (label "
                 "noise, QA) or a better model",
    "families_disagree": "add larger training sizes or more repeats to narrow the "
                         "extrapolation",
    "flat": "check the model (scaling, class weights, convergence): a model that predicts "
            "one class cannot show what more labels buy",
}


@dataclass
class Report:
    """A built report: the JSON-compatible ``document`` and renderers.

    Attributes:
        document: the report as plain data (see ``docs/report-schema.json``).
        build_seconds: time spent building it.
    """

    document: dict[str, Any]
    build_seconds: float = 0.0
    _cache: dict[str, str] = field(default_factory=dict, repr=False)

    def to_json(self) -> str:
        """The JSON document (indented, no NaN)."""
        return json.dumps(self.document, indent=1, ensure_ascii=False, allow_nan=False)

    def to_markdown(self) -> str:
        """The Markdown report (tables, no images)."""
        from dataroi.report._markdown import render_markdown

        return render_markdown(self.document)

    def to_html(self) -> str:
        """The self-contained HTML page (inline CSS, embedded SVG images, no scripts)."""
        if "html" not in self._cache:
            from dataroi.report._html import render_html

            self._cache["html"] = render_html(self.document)
        return self._cache["html"]

    def render(self, fmt: str) -> str:
        """Render ``fmt`` = ``html``, ``md`` or ``json``."""
        renderers: dict[str, Callable[[], str]] = {
            "html": self.to_html, "md": self.to_markdown, "json": self.to_json}
        if fmt not in renderers:
            from dataroi.exceptions import UsageError

            raise UsageError(f"unknown report format {fmt!r}; use html, md or json")
        return renderers[fmt]()


class _ReadOnce:
    """A study whose ledger reads (trials, snapshots) and data preparation happen once.

    The value and decision layers read ``study.trials()`` / ``study.snapshots()`` again
    and again; the report hands them this wrapper so that every section sees the same
    trials and the ledger is read once. Everything else is the study's.
    """

    def __init__(self, study: Any) -> None:
        self._study = study
        self._snaps: list[Any] | None = None
        self._trials: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._study, name)

    def snapshots(self, *, check_data: bool = False) -> list[Any]:
        if check_data:
            return self._study.snapshots(check_data=True)
        if self._snaps is None:
            self._snaps = self._study.snapshots()
        return self._snaps

    def trials(self, *, check_data: bool = False) -> Any:
        if check_data:
            return self._study.trials(check_data=True)
        if self._trials is None:
            from dataroi.study import trials_frame

            self._trials = trials_frame(self.snapshots(), self._study.spec.metrics)
        return self._trials


class _Ctx:
    """What the sections share: the study, its trials, curves and recommendation."""

    def __init__(self, study: Any, n_draws: int) -> None:
        self.study = _ReadOnce(study)
        self.spec = study.spec
        self.n_draws = n_draws
        self.metric = self.spec.metrics[0]
        if self.spec.decision is not None and self.spec.decision.metric:
            self.metric = self.spec.decision.metric
        self.missing: list[dict[str, str]] = []
        self.items: list[dict[str, Any]] = []
        self.trials: Any = None
        self.snapshots: list[Any] = []
        self.prep: Any = None
        self.curves: Any = None
        self.rec: Any = None
        self.backtest: Any = None
        self.registration: dict[str, Any] | None = None
        self.tipping: dict[str, float | None] = {}

    def need(self, section: str, message: str) -> None:
        self.missing.append({"section": section, "message": message})

    def warn(self, code: str, message: str, action: str, *, model: str | None = None,
             kind: str = "warning") -> None:
        self.items.append({"kind": kind, "model": model, "code": code, "message": message,
                           "action": action})


def _guard(ctx: _Ctx, section: str, fn: Callable[[], dict[str, Any] | None]
           ) -> dict[str, Any] | None:
    """Run one section; a missing input or a failure leaves it out with a message."""
    try:
        return fn()
    except DataroiError as exc:
        ctx.need(section, str(exc))
    except Exception as exc:  # one section must never take the report down
        ctx.warn("section_failed", f"the {SECTIONS[section].lower()} section could not be "
                 f"computed ({type(exc).__name__}: {exc})",
                 "run with --debug for the traceback and report it if it persists")
    return None


# ------------------------------------------------------------------------ loading
def _load(ctx: _Ctx) -> None:
    study = ctx.study
    ctx.snapshots = study.snapshots()
    ctx.trials = study.trials()
    try:
        ctx.prep = study.prepare()
    except DataroiError as exc:
        ctx.warn("data_unavailable", f"the data could not be loaded ({exc}); the fingerprint "
                 "shown is the one recorded in the ledger", "restore the data file")
    if ctx.trials is None or len(ctx.trials) == 0:
        ctx.need("learning_curves", "no finished trial yet: run the study first "
                 "(`dataroi run SPEC`)")
        return
    from dataroi.value import fit_study_curves

    try:
        ctx.curves = fit_study_curves(study, metric=ctx.metric,
                                      random_state=ctx.spec.schedule.seed, trials=ctx.trials)
    except DataroiError as exc:
        ctx.need("learning_curves", f"the learning curves could not be fitted: {exc}")
        return
    for note in ctx.curves.notes:
        ctx.warn("curves_note", note, "", kind="note")
    # the study's own check of the extrapolation: its two largest sizes hidden (one when
    # it has only five); shown with the learning curves and stated by the answer
    from dataroi.value import backtest_study

    try:
        ctx.backtest = backtest_study(study, metric=ctx.metric, trials=ctx.trials, hold=None,
                                      random_state=ctx.spec.schedule.seed)
    except DataroiError as exc:
        ctx.need("learning_curves", f"no backtest of the extrapolation on this study: {exc}")


# ------------------------------------------------------------------------ sections
def _answer(ctx: _Ctx) -> dict[str, Any] | None:
    if ctx.curves is None:
        ctx.need("answer", "no recommendation without fitted curves: run the study first")
        return None
    spec = ctx.spec
    from dataroi.decide import decide, registration_status, rule_hash
    from dataroi.spec import DecisionSpec

    if spec.costs is None:
        ctx.need("answer", "add a costs: section to the spec (price_per_label_usd, "
                 "value_per_point_usd, engineering_cost_usd...) to get a recommendation "
                 "in money; see docs/decisions.md")
    if spec.decision is None:
        ctx.need("answer", "add a decision: section (target, risk, budget_usd, rule) and "
                 "pre-register it with `dataroi register SPEC` before `dataroi run`")
    rec = decide(ctx.curves, spec.costs, spec.decision or DecisionSpec(),
                 n_draws=ctx.n_draws, backtest=ctx.backtest)
    # the same input hashes as ``dataroi.decide.recommend`` (which would fit again)
    from dataroi import __version__

    hashes = dict(rec.hashes) | {"spec": spec.spec_hash,
                                 "rule": rule_hash(rec.decision, metric=ctx.metric),
                                 "dataroi_version": __version__}
    if ctx.prep is not None:
        hashes |= {"data_fingerprint": ctx.prep.fingerprint,
                   "context": ctx.prep.context_hash(spec)}
    rec = dataclasses.replace(rec, hashes=hashes)
    ctx.rec = rec
    try:
        ctx.registration = registration_status(ctx.study, spec.decision).to_dict()
    except DataroiError as exc:
        ctx.warn("registration", f"pre-registration status unknown: {exc}", "")
    d = rec.to_dict()
    plan = d.get("plan") or {}
    ranked = list(plan.get("ranked") or [])
    by_id = {o["option_id"]: o for o in (d.get("options") or {}).get("options", [])}
    chosen = d["chosen"]
    order = [chosen["option_id"]]
    if d.get("runner_up"):
        order.append(d["runner_up"]["option_id"])
    order += [i for i in ranked if i not in order]
    rows = []
    for i, oid in enumerate(order[:6]):
        o = by_id.get(oid)
        if o is None:
            continue
        rows.append({
            "option_id": oid, "label": o["label"],
            "role": "recommended" if i == 0 else ("runner-up" if i == 1 else "alternative"),
            "cost_usd": o.get("cost_usd"), "predicted": o.get("predicted"),
            "gain_mean": o.get("gain_mean"), "gain_q05": o.get("gain_q05"),
            "gain_q95": o.get("gain_q95"), "p_gain_positive": o.get("p_gain_positive"),
            "p_target": o.get("p_target"), "net_mean_usd": o.get("net_mean_usd"),
            "var05_usd": o.get("var05_usd")})
    reasons = list(d.get("reasons") or [])
    paragraph = " ".join(reasons[:2])
    return {
        "headline": chosen["label"], "paragraph": paragraph, "reasons": reasons,
        "metric": d.get("metric"), "current_model": d.get("current_model"),
        "current_n": d.get("current_n"), "today": d.get("today"),
        "rule": plan.get("rule"), "budget_usd": plan.get("budget_usd"),
        "target": (d.get("options") or {}).get("target"), "risk": plan.get("risk"),
        "higher_is_better": (d.get("options") or {}).get("higher_is_better", True),
        "has_money": any(o.get("net_mean_usd") is not None for o in by_id.values()),
        "options": rows, "n_options": len(by_id),
        "excluded": [{"option_id": e["option_id"], "label": e["label"],
                      "reasons": list(e["reasons"])} for e in plan.get("excluded", [])],
        "registration": ctx.registration, "hashes": d.get("hashes") or {},
    }


def _tipping(ctx: _Ctx) -> dict[str, float | None]:
    from dataroi.value import tipping_points

    spec = ctx.spec
    costs = spec.costs
    threshold = None
    if spec.decision is not None and spec.decision.guardrails.min_gain_per_1k is not None:
        threshold = spec.decision.guardrails.min_gain_per_1k
    if threshold is None and (costs is None or costs.value_per_point_usd is None
                              or costs.price_per_label_usd is None):
        return {}
    tp = tipping_points(ctx.curves, threshold_per_1k=threshold,
                        costs=costs if threshold is None else None,
                        n_draws=min(ctx.n_draws, 1000))
    return {r["model"]: r["tipping_delta_n"] for r in tp.rows}


def _learning_curves(ctx: _Ctx) -> dict[str, Any] | None:
    if ctx.trials is None or len(ctx.trials) == 0:
        return None
    from dataroi.plotting._info import _get_learning_curve_info

    try:
        ctx.tipping = _tipping(ctx) if ctx.curves is not None else {}
    except DataroiError as exc:
        ctx.need("learning_curves", f"no tipping points: {exc}")
    if ctx.curves is not None and not ctx.tipping:
        ctx.need("learning_curves", "add costs.price_per_label_usd and "
                 "costs.value_per_point_usd (or decision.guardrails.min_gain_per_1k) to "
                 "mark where more labels stop paying (the tipping point)")
    horizon = None
    if ctx.rec is not None:
        horizon = max((o.n_total for o in ctx.rec.options.options), default=None)
    target = ctx.spec.decision.target if ctx.spec.decision is not None else None
    info = _get_learning_curve_info(
        ctx.trials, metric=ctx.metric, curves=ctx.curves,
        pool_size=ctx.prep.pool_size if ctx.prep is not None else None,
        horizon_n=horizon, target=target, tipping=ctx.tipping)
    info["metrics_measured"] = list(ctx.spec.metrics)
    train = ctx.curves.train_today if ctx.curves is not None else {}
    fits = ctx.curves.fits if ctx.curves is not None else {}
    for m in info["models"]:
        m["train_today"] = train.get(m["model"])
        fit = fits.get(m["model"])
        m["curve_gate"] = fit.gate if fit is not None else None
    info["backtest"] = ctx.backtest.to_dict() if ctx.backtest is not None else None
    return info


def _data_vs_model(ctx: _Ctx) -> dict[str, Any] | None:
    if ctx.curves is None:
        return None
    if len(ctx.curves.models) < 2:
        ctx.need("data_vs_model", "add a second model to the spec to compare data with "
                 "model choice")
        return None
    from dataroi.plotting._info import _get_model_difference_info
    from dataroi.value import compare_models

    cmp = compare_models(ctx.curves, n_draws=min(ctx.n_draws, 1000))
    return _get_model_difference_info(cmp.to_dict(), models=list(ctx.curves.models))


def _marginal_value(ctx: _Ctx) -> dict[str, Any] | None:
    if ctx.curves is None:
        return None
    from dataroi.plotting._info import _get_cost_frontier_info, _get_marginal_value_info
    from dataroi.value import break_even_per_1k, labels_to_target, marginal_value

    costs = ctx.spec.costs
    be, note = None, None
    if costs is not None and costs.price_per_label_usd is not None \
            and costs.value_per_point_usd is not None:
        be = break_even_per_1k(costs)
        note = (f"labels pay for themselves above {be:.3g} {ctx.metric} per 1,000 labels "
                f"(cost per labeled item ${costs.cost_per_item_usd:,.3g}; one point "
                f"({costs.point:g}) is worth ${costs.value_per_point_usd:,.0f} × "
                f"{costs.periods:g} periods)")
    else:
        ctx.need("marginal_value", "add costs.price_per_label_usd and "
                 "costs.value_per_point_usd to the spec to draw the break-even line")
    mv = marginal_value(ctx.curves, n_draws=ctx.n_draws)
    out: dict[str, Any] = {"chart": _get_marginal_value_info(
        mv.to_dict(), break_even_per_1k=be, break_even_note=note), "frontier": None,
        "labels_to_target": None}
    if ctx.rec is not None and ctx.rec.options.options:
        d = ctx.rec.to_dict()
        hib = ctx.curves.higher_is_better
        ends = [b[1] if hib else b[0] for b in ctx.curves.bounds.values()]
        out["frontier"] = _get_cost_frontier_info(
            d["options"], chosen_id=d["chosen"]["option_id"],
            best=(max(ends) if hib else min(ends)) if ends else None,
            excluded=[e["option_id"] for e in d["plan"].get("excluded", [])])
        if not ctx.rec.options.has_money:
            out["frontier"]["note"] = "costs without a value per point: no net values"
    target = ctx.spec.decision.target if ctx.spec.decision is not None else None
    if target is not None:
        out["labels_to_target"] = labels_to_target(ctx.curves, target,
                                                   n_draws=ctx.n_draws).to_dict()
    return out


_STRESS_HINT = "add stress: (noise, prior, shift, acquisition) or slices: to the spec"


def _stress_groups(ctx: _Ctx) -> dict[str, Any]:
    """The stress arms (``dataroi.stress.analyze_stress``): per group, the arms' scores
    at the group's common size and the findings in words."""
    from dataroi.stress import analyze_stress

    analysis = analyze_stress(ctx.study, metric=ctx.metric, draws=min(ctx.n_draws, 400),
                              random_state=ctx.spec.schedule.seed, trials=ctx.trials)
    groups = [{"kind": g.kind, "base": g.base, "n0": int(g.n0),
               "arms": [{"arm": a, "score": g.today.get(a)} for a in g.arms],
               "statements": list(g.statements)} for g in analysis.groups]
    return {"groups": groups, "statements": analysis.statements(),
            "notes": list(analysis.notes)}


def _slices_part(ctx: _Ctx) -> dict[str, Any]:
    """Per-slice scores at the largest training size (``dataroi.stress.analyze_slices``):
    raw and partially pooled, with the pooled 90 % interval and the shrinkage."""
    from dataroi.stress import analyze_slices

    analysis = analyze_slices(ctx.study, metric=ctx.metric, trials=ctx.trials)
    pooled = analysis.pooled
    n_train = int(pooled["n_train"].max())
    at = pooled[pooled["n_train"] == n_train].sort_values(["model", "slice"])
    rows = [{"model": str(r["model"]), "slice": str(r["slice"]), "n_test": int(r["n_test"]),
             "raw": r["raw"], "pooled": r["pooled"], "low": r["low"], "high": r["high"],
             "shrinkage": r["shrinkage"]} for _, r in at.iterrows()]
    return {"column": analysis.column, "n_train": n_train, "rows": rows,
            "left_out": {str(k): int(v) for k, v in analysis.left_out.items()},
            "statements": list(analysis.statements)}


def _stress(ctx: _Ctx) -> dict[str, Any] | None:
    """Section 5: stress arms and slices; an analysis that fails shows its message."""
    spec = ctx.spec
    has_stress = bool(getattr(spec, "stress", ()))
    has_slices = getattr(spec, "slices", None) is not None
    if not has_stress and not has_slices:
        ctx.need("stress", _STRESS_HINT)
        return None
    out: dict[str, Any] = {"metric": ctx.metric, "groups": [], "statements": [],
                           "notes": [], "slices": None, "errors": []}
    if has_stress:
        try:
            out |= _stress_groups(ctx)
        except DataroiError as exc:
            out["errors"].append({"part": "stress", "message": str(exc)})
    if has_slices:
        try:
            out["slices"] = _slices_part(ctx)
        except DataroiError as exc:
            out["errors"].append({"part": "slices", "message": str(exc)})
    return out


def _diagnostics(ctx: _Ctx) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    if ctx.curves is not None:
        for m in ctx.curves.models:
            for code, msg in ctx.curves.fits[m].diagnostics.items():
                items.append({"kind": "curve", "model": m, "code": code, "message": msg,
                              "action": _ACTIONS.get(code, "")})
    if ctx.rec is not None:
        for n in ctx.rec.plan.notes:
            items.append({"kind": "note", "model": None, "code": "plan_note", "message": n,
                          "action": ""})
    groups: Counter[tuple[str, str]] = Counter()
    models: dict[tuple[str, str], set[str]] = {}
    for s in ctx.snapshots:
        if s.state.value == "failed":
            key = (str(s.extra.get("error_type") or "Error"),
                   str(s.extra.get("error_message") or ""))
            groups[key] += 1
            models.setdefault(key, set()).add(s.key.model)
    failed = [{"error_type": k[0], "message": k[1], "count": n, "models": sorted(models[k]),
               "action": "fix the model or its parameters, then `dataroi run SPEC "
                         "--retry-failed`"}
              for k, n in groups.most_common()]
    unfinished = sum(1 for s in ctx.snapshots if not s.state.is_finished)
    if unfinished:
        ctx.warn("unfinished", f"{unfinished} trials are not finished: the curves use the "
                 "finished ones only", "run `dataroi run SPEC` to finish them")
    reg = ctx.registration
    if reg and reg.get("status") in ("after_results", "not_registered"):
        ctx.warn("registration", str(reg.get("message")),
                 "register the decision rule before running the next study "
                 "(`dataroi register SPEC`)")
    if reg and reg.get("changed"):
        ctx.warn("rule_changed", "the decision rule changed after it was first registered",
                 "report the first rule's outcome too, or explain the change")
    items += ctx.items
    return {"items": items, "failed_groups": failed,
            "n_failed": sum(g["count"] for g in failed)}


def _environments(ctx: _Ctx) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Any]:
    from dataroi.ledger import open_ledger

    env_ids = sorted({int(s.extra["environment_id"]) for s in ctx.snapshots
                      if s.extra.get("environment_id") is not None})
    context_id = ctx.snapshots[0].context_id if ctx.snapshots else None
    envs, reps = [], []
    with open_ledger(ctx.study.ledger_url, create=False) as ledger:
        for i in env_ids:
            try:
                envs.append({"environment_id": i, **ledger.get_environment(i)})
            except DataroiError:
                continue
        if context_id is not None:
            for r in ledger.list_reproductions(context_id):
                s = r.get("summary") or r  # the summary, merged or nested
                reps.append({"reproduction_id": r.get("reproduction_id"),
                             "created_at": r.get("created_at"),
                             "sample": s.get("sample"), "differing": s.get("differing"),
                             "environment_differences": list(
                                 s.get("environment_differences") or [])})
    return envs, reps, context_id


def _reproducibility(ctx: _Ctx, command: str) -> dict[str, Any]:
    spec = ctx.spec
    status = ctx.study.status()
    seeds = sorted((s.key.model, s.key.n_train, s.key.repeat, s.seed) for s in ctx.snapshots)
    seeds_hash = hashlib.sha256(json.dumps(seeds).encode("utf-8")).hexdigest()
    times = sorted(str(s.extra.get("finished_at")) for s in ctx.snapshots
                   if s.extra.get("finished_at") is not None)
    try:
        envs, reps, context_id = _environments(ctx)
    except DataroiError as exc:
        envs, reps, context_id = [], [], None
        ctx.warn("ledger", f"environments could not be read: {exc}", "")
    prep = ctx.prep
    data = {"source": spec.data.source, "target": spec.data.target,
            "features": list(spec.data.features) if spec.data.features else None,
            "split": spec.to_dict().get("split"),
            "fingerprint": prep.fingerprint if prep is not None else status.fingerprint,
            "task": prep.task if prep is not None else None,
            "n_rows": prep.n_rows_loaded if prep is not None else None,
            "pool_size": prep.pool_size if prep is not None else None,
            "test_size": len(prep.test_idx) if prep is not None else None}
    reg = ctx.registration or {}
    git = next((e.get("git") for e in reversed(envs) if e.get("git")), None)
    from dataroi import __version__

    return {
        "study": spec.name, "spec_hash": spec.spec_hash, "ledger_url": ctx.study.ledger_url,
        "context_id": context_id, "data": data,
        "decision_rule": {"rule_hash": reg.get("rule_hash"), "status": reg.get("status"),
                          "registered_at": reg.get("registered_at"),
                          "message": reg.get("message")} if reg else None,
        "hashes": dict(ctx.rec.hashes) if ctx.rec is not None else {},
        "seeds": {"root_seed": spec.schedule.seed, "repeats": spec.schedule.repeats,
                  "curve_random_state": spec.schedule.seed,
                  "n_trial_seeds": len(seeds), "trial_seeds_sha256": seeds_hash},
        "trial_counts": dict(status.counts),
        "first_trial_finished_at": times[0] if times else None,
        "last_trial_finished_at": times[-1] if times else None,
        "environments": envs,
        "code_version": {"dataroi": __version__, "git": git},
        "command": command,
        "reproductions": reps,
    }


def build_report(
    study: Any,
    *,
    spec_path: str | None = None,
    output: str | None = None,
    fmt: str = "html",
    n_draws: int = 2000,
) -> Report:
    """Build the report of a study whose trials have run (never writes anything).

    Args:
        study: a :class:`~dataroi.study.Study`.
        spec_path: the spec's path, for the command that re-creates the report.
        output: the report's path, for that command.
        fmt: the output format, for that command.
        n_draws: joint curve draws per model (2000, as ``dataroi plan``, gives the same
            recommendation as ``dataroi plan``).

    Returns:
        A :class:`Report`; render it with ``to_html()``, ``to_markdown()`` or
        ``to_json()``, or write it with :func:`dataroi.report.write_report`.

    Raises:
        LedgerError: the ledger does not exist or cannot be read.

    Example:
        >>> import os, tempfile, dataroi
        >>> d = tempfile.mkdtemp()
        >>> study = dataroi.load_study({"name": "iris", "data": "sklearn:iris",
        ...     "models": {"lr": "sklearn.linear_model.LogisticRegression"},
        ...     "schedule": {"sizes": [20, 40, 80], "repeats": 2}},
        ...     ledger=os.path.join(d, "ledger.db"))
        >>> _ = study.run(jobs=1, progress=False)
        >>> doc = build_report(study, n_draws=200).document
        >>> doc["schema_version"], doc["sections"]["learning_curves"]["current_n"]
        ('1.4', 80)
    """
    import time

    t0 = time.perf_counter()
    ctx = _Ctx(study, n_draws=int(n_draws))
    _load(ctx)
    sections: dict[str, Any] = {}
    sections["answer"] = _guard(ctx, "answer", lambda: _answer(ctx))
    sections["learning_curves"] = _guard(ctx, "learning_curves", lambda: _learning_curves(ctx))
    sections["data_vs_model"] = _guard(ctx, "data_vs_model", lambda: _data_vs_model(ctx))
    sections["marginal_value"] = _guard(ctx, "marginal_value", lambda: _marginal_value(ctx))
    sections["stress"] = _guard(ctx, "stress", lambda: _stress(ctx))
    parts = ["dataroi", "report", spec_path or "SPEC"]
    if study.ledger_url != _default_ledger(study):
        parts += ["--ledger", study.ledger_url]
    if output:
        parts += ["-o", output]
    if fmt != "html" or not output:
        parts += ["--format", fmt]
    if n_draws != 2000:
        parts += ["--draws", str(n_draws)]
    command = " ".join(shlex.quote(p) for p in parts)
    sections["reproducibility"] = _guard(ctx, "reproducibility",
                                         lambda: _reproducibility(ctx, command))
    sections["diagnostics"] = _diagnostics(ctx)
    ordered = {k: sections.get(k) for k in SECTIONS}
    doc = {
        "kind": "dataroi.report", "schema_version": SCHEMA_VERSION,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "study": {"name": study.spec.name, "metric": ctx.metric,
                  "metrics": list(study.spec.metrics),
                  "models": [m.name for m in study.spec.models],
                  "spec_path": spec_path},
        "section_order": list(SECTIONS),
        "section_titles": dict(SECTIONS),
        "sections": ordered,
        "missing": ctx.missing,
    }
    return Report(document=json_safe(doc), build_seconds=time.perf_counter() - t0)


def _default_ledger(study: Any) -> str:
    from dataroi.study._study import resolve_ledger_url

    try:
        return resolve_ledger_url(study.spec, None)
    except DataroiError:
        return ""
