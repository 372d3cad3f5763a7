"""Compose the report document from an analysis: plain data, one section at a time.

:func:`build_report` takes an :class:`~dataroi.analysis.Analysis` (its trials, curves,
recommendation, stress and slice analyses) and assembles seven sections in a fixed order
(the answer, learning curves, data vs. model, marginal value, stress tests and slices,
diagnostics, reproducibility). Each section is computed on its own: one whose inputs are
missing (no ``costs:``, a single model, no ``stress:`` or ``slices:``...) is left out
(``null``) and the report says what to add; an unexpected error in one section becomes a
diagnostic and never stops the others. Every number comes from the analysis, so the
answer and its reasons are those of ``dataroi plan``, and crossings and horizons those of
``dataroi value``.

The document is what ``--format json`` writes (:data:`dataroi.report.SCHEMA_VERSION`);
:mod:`dataroi.report` renders it.

Example:
    >>> import pandas as pd
    >>> from dataroi.analysis import analyze
    >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": 0.9 - 1.5 / n ** 0.5 + 0.002 * r}
    ...         for n in (25, 50, 100, 200, 400) for r in range(3)]
    >>> doc = analyze(pd.DataFrame(rows), n_draws=200).report().document
    >>> doc["sections"]["learning_curves"]["current_n"]
    400
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shlex
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dataroi._json import json_safe
from dataroi._money import value_text
from dataroi.data import preprocess_summary
from dataroi.exceptions import DataroiError
from dataroi.report import SCHEMA_VERSION, SECTIONS, Report

if TYPE_CHECKING:
    from dataroi.analysis._analysis import Analysis

__all__ = ["build_report"]

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


class _Ctx:
    """What the sections share: the analysis and what the report says is missing."""

    def __init__(self, analysis: Analysis) -> None:
        self.a = analysis
        ctx = analysis.context
        self.spec = ctx.spec if ctx is not None else None
        self.snapshots = list(ctx.snapshots) if ctx is not None else []
        self.metric = analysis.metric
        self.missing: list[dict[str, str]] = []
        self.items: list[dict[str, Any]] = []
        self.curves: Any = None
        self.rec: Any = None
        self.registration: dict[str, Any] | None = None

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
    a = ctx.a
    if a.trials is None or len(a.trials) == 0:
        ctx.need("learning_curves", "no finished trial yet: run the study first "
                 "(`dataroi run SPEC`)")
        return
    try:
        ctx.curves = a.curves
    except DataroiError as exc:
        ctx.need("learning_curves", f"the learning curves could not be fitted: {exc}")
        return
    for note in ctx.curves.notes:
        ctx.warn("curves_note", note, "", kind="note")
    if a.backtest is None:
        try:
            a.backtest_with(None)
        except DataroiError as exc:
            ctx.need("learning_curves", f"no backtest of the extrapolation on this study: "
                     f"{exc}")


# ------------------------------------------------------------------------ sections
def _answer(ctx: _Ctx) -> dict[str, Any] | None:
    if ctx.curves is None:
        ctx.need("answer", "no recommendation without fitted curves: run the study first")
        return None
    a = ctx.a
    if a.costs is None:
        ctx.need("answer", "add a costs: section to the spec (price_per_label_usd, "
                 "value_per_point_usd, engineering_cost_usd...) to get a recommendation "
                 "in money; see docs/decisions.md")
    if a.decision is None:
        ctx.need("answer", "add a decision: section (target, risk, budget_usd, rule) and "
                 "pre-register it with `dataroi register SPEC` before `dataroi run`")
    rec = a.recommend()  # the very recommendation `dataroi plan` shows
    ctx.rec = rec
    ctx.registration = rec.registration
    d = rec.to_dict()
    plan = d.get("plan") or {}
    ranked = list(plan.get("ranked") or [])
    by_id = {o["option_id"]: o for o in (d.get("options") or {}).get("options", [])}
    chosen = d["chosen"]
    order = [chosen["option_id"]]
    if d.get("runner_up"):
        order.append(d["runner_up"]["option_id"])
    order += [i for i in ranked if i not in order]
    # and the best allowed relabel (or strategy) option when none is among the first six
    # (the excluded ones are listed below with their reasons)
    order = [o.option_id for o in rec.plan.with_each_kind(
        [rec.options.get(i) for i in order[:6] if i in by_id], allowed_only=True)]
    rows = []
    for i, oid in enumerate(order):
        o = by_id.get(oid)
        if o is None:
            continue
        rows.append({
            "option_id": oid, "label": o["label"],
            "role": "recommended" if i == 0 else ("runner-up" if i == 1 else "alternative"),
            "cost_usd": o.get("cost_usd"), "predicted": o.get("predicted"),
            "gain_mean": o.get("gain_mean"), "gain_q05": o.get("gain_q05"),
            "gain_q95": o.get("gain_q95"),
            # keeping everything as it is has no chance of a gain to state (as `plan` prints)
            "p_gain_positive": None if _is_baseline(o) else o.get("p_gain_positive"),
            "p_target": o.get("p_target"), "net_mean_usd": o.get("net_mean_usd"),
            "var05_usd": o.get("var05_usd"), "p_net_positive": o.get("p_net_positive"),
            "predict_ms_per_1k": o.get("predict_ms_per_1k"), "model_mb": o.get("model_mb"),
            "energy_kwh": o.get("energy_kwh"), "co2_g": o.get("co2_g")})
    reasons = list(d.get("reasons") or [])
    return {
        "headline": d.get("headline") or d.get("first_step") or chosen["label"],
        "paragraph": d.get("summary") or " ".join(reasons[:2]), "reasons": reasons,
        "metric": d.get("metric"), "current_model": d.get("current_model"),
        "current_n": d.get("current_n"), "today": d.get("today"),
        "rule": plan.get("rule"), "budget_usd": plan.get("budget_usd"),
        "target": (d.get("options") or {}).get("target"), "risk": plan.get("risk"),
        "higher_is_better": (d.get("options") or {}).get("higher_is_better", True),
        "has_money": any(o.get("net_mean_usd") is not None for o in by_id.values()),
        "options": rows, "n_options": len(by_id),
        "has_serving": any(o.get("predict_ms_per_1k") is not None
                           or o.get("model_mb") is not None for o in rows),
        "has_energy": any(o.get("energy_kwh") is not None for o in rows),
        "has_co2": any(o.get("co2_g") is not None for o in rows),
        "excluded": [{"option_id": e["option_id"], "label": e["label"],
                      "reasons": list(e["reasons"])} for e in plan.get("excluded", [])],
        "registration": ctx.registration, "hashes": d.get("hashes") or {},
    }


def _learning_curves(ctx: _Ctx) -> dict[str, Any] | None:
    a = ctx.a
    if a.trials is None or len(a.trials) == 0:
        return None
    from dataroi.plotting import learning_curve_info

    chart: dict[str, Any] = {"pool_size": a.context.pool_size if a.context else None,
                             "horizon_n": None, "target": None, "tipping": {}}
    if ctx.curves is not None:
        try:
            chart = a.chart_context()
        except DataroiError as exc:
            ctx.need("learning_curves", f"no tipping points: {exc}")
        if not chart["tipping"]:
            ctx.need("learning_curves", "add costs.price_per_label_usd and "
                     "costs.value_per_point_usd (or decision.guardrails.min_gain_per_1k) "
                     "to mark where more labels stop paying (the tipping point)")
    info = learning_curve_info(a.trials, metric=ctx.metric, curves=ctx.curves, **chart)
    info["metrics_measured"] = (list(ctx.spec.metrics) if ctx.spec is not None
                                else sorted(set(map(str, a.trials["metric"]))))
    train = ctx.curves.train_today if ctx.curves is not None else {}
    fits = ctx.curves.fits if ctx.curves is not None else {}
    for m in info["models"]:
        m["train_today"] = train.get(m["model"])
        fit = fits.get(m["model"])
        m["curve_gate"] = fit.gate if fit is not None else None
    info["backtest"] = a.backtest.to_dict() if ctx.curves is not None and a.backtest else None
    return info


def _data_vs_model(ctx: _Ctx) -> dict[str, Any] | None:
    if ctx.curves is None:
        return None
    if len(ctx.curves.models) < 2:
        ctx.need("data_vs_model", "add a second model to the spec to compare data with "
                 "model choice")
        return None
    from dataroi.plotting import model_difference_info

    cmp = ctx.a.compare()  # the horizon of every section: the pool and the deadline
    return model_difference_info(cmp.to_dict(), models=list(ctx.curves.models))


def _marginal_value(ctx: _Ctx) -> dict[str, Any] | None:
    if ctx.curves is None:
        return None
    from dataroi.plotting import cost_frontier_info, marginal_value_info

    a = ctx.a
    costs = a.costs
    be, note = a.break_even_per_1k(), None
    if be is not None and costs is not None:
        note = (f"labels pay for themselves above {be:.3g} {ctx.metric} per 1,000 labels "
                f"(cost per labeled item ${costs.cost_per_item_usd:,.3g}; one point "
                f"({costs.point:g}) is worth ${costs.value_per_point_usd:,.0f} × "
                f"{costs.periods:g} periods)")
    else:
        ctx.need("marginal_value", "add costs.price_per_label_usd and "
                 "costs.value_per_point_usd to the spec to draw the break-even line")
    out: dict[str, Any] = {"chart": marginal_value_info(
        a.marginal_value().to_dict(), break_even_per_1k=be, break_even_note=note),
        "frontier": None, "labels_to_target": None}
    if ctx.rec is not None and ctx.rec.options.options:
        d = ctx.rec.to_dict()
        hib = ctx.curves.higher_is_better
        ends = [b[1] if hib else b[0] for b in ctx.curves.bounds.values()]
        out["frontier"] = cost_frontier_info(
            d["options"], chosen_id=d["chosen"]["option_id"],
            best=(max(ends) if hib else min(ends)) if ends else None,
            excluded=[e["option_id"] for e in d["plan"].get("excluded", [])])
        if not ctx.rec.options.has_money:
            out["frontier"]["note"] = "costs without a value per point: no net values"
    ltt = a.labels_to_target()
    if ltt is not None:
        out["labels_to_target"] = ltt.to_dict()
    return out


_STRESS_HINT = "add stress: (noise, prior, shift, acquisition) or slices: to the spec"


def _stress_groups(ctx: _Ctx) -> dict[str, Any]:
    """The stress arms (``Analysis.stress``): per group, the arms' scores at the group's
    common size and the findings in words."""
    analysis = ctx.a.stress(draws=min(ctx.a.n_draws, 400))
    groups = [{"kind": g.kind, "base": g.base, "n0": int(g.n0),
               "arms": [{"arm": a, "score": g.today.get(a)} for a in g.arms],
               "statements": list(g.statements)} for g in analysis.groups]
    return {"groups": groups, "statements": analysis.statements(),
            "notes": list(analysis.notes)}


def _slices_part(ctx: _Ctx) -> dict[str, Any]:
    """Per-slice scores at the largest training size (``Analysis.slices``): raw and
    partially pooled, with the pooled 90 % interval and the shrinkage."""
    analysis = ctx.a.slices()
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
    """Environments and reproductions, read through the analysis's ledger handle."""
    study = ctx.a.context
    store = study.store if study is not None else None
    env_ids = sorted({int(s.extra["environment_id"]) for s in ctx.snapshots
                      if s.extra.get("environment_id") is not None})
    context_id = ctx.snapshots[0].context_id if ctx.snapshots else None
    envs: list[dict[str, Any]] = []
    reps: list[dict[str, Any]] = []
    if store is None:
        return envs, reps, context_id
    for i in env_ids:
        try:
            envs.append({"environment_id": i, **store.get_environment(i)})
        except DataroiError:
            continue
    if context_id is not None:
        for r in store.list_reproductions(context_id):
            s = r.get("summary") or r  # the summary, merged or nested
            reps.append({"reproduction_id": r.get("reproduction_id"),
                         "created_at": r.get("created_at"),
                         "sample": s.get("sample"), "differing": s.get("differing"),
                         "environment_differences": list(
                             s.get("environment_differences") or [])})
    return envs, reps, context_id


def _trial_counts(ctx: _Ctx) -> tuple[dict[str, int], dict[str, Any] | None]:
    """Trials by state, and those of the plan not in the ledger yet (for a table: the
    distinct trials it holds); and, when an adaptive run that stopped left them out on
    purpose, its last look (:func:`_adaptive_run`)."""
    from dataroi.trial import TrialState

    if ctx.a.context is None:
        t = ctx.a.trials
        keys = [c for c in ("model", "n_train", "repeat") if c in t]
        return {"in the table": int(t[keys].drop_duplicates().shape[0]) if keys else 0}, None
    counts = {s.value: 0 for s in TrialState}
    for s in ctx.snapshots:
        counts[s.state.value] += 1
    study = ctx.a.context
    planned = study.n_planned if study is not None else len(ctx.snapshots)
    missing = max(0, planned - len(ctx.snapshots))
    # an adaptive run that stopped left the rest of the grid out on purpose
    # ("adaptive_step" documents: dataroi.study._adaptive, a layer above this one)
    looks = []
    if missing and study is not None and study.store is not None:
        try:
            looks = study.store.list_documents(
                "adaptive_step", study_id=study.study_id,
                context_id=(study.context or {}).get("context_id"))
        except DataroiError as exc:
            ctx.warn("ledger", f"the adaptive run's looks could not be read: {exc}", "")
    stopped = bool(looks) and looks[-1]["payload"].get("stop_reason") is not None
    counts["not needed (adaptive run)" if stopped else "not planned yet"] = missing
    return counts, (_adaptive_run(looks[-1]["payload"]) if stopped else None)


def _adaptive_run(last: dict[str, Any]) -> dict[str, Any]:
    """What the report says of an adaptive run that stopped, from its last look's
    ``adaptive_step`` payload: why it stopped, its recommendation, ``P(same
    recommendation with the full grid)`` and the expected loss of deciding then, in the
    unit the look recorded (None for a look recorded before looks stated it).

    Example:
        >>> _adaptive_run({"step": 3, "stop_reason": "stable", "label": "keep a",
        ...                "stability": 0.97, "expected_loss": 0.0125,
        ...                "expected_loss_unit": "gain"})["expected_loss"]
        '0.0125 of gain'
    """
    loss = last.get("expected_loss")
    money = last.get("expected_loss_unit") != "gain"
    return {"looks": int(last.get("step", 0)), "stop_reason": last.get("stop_reason"),
            "label": last.get("label"), "stability": last.get("stability"),
            "expected_loss": None if loss is None else value_text(loss, money=money)}


def _reproducibility(ctx: _Ctx, command: str) -> dict[str, Any]:
    from dataroi import __version__

    study = ctx.a.context
    spec = ctx.spec
    seeds = sorted((s.key.model, s.key.n_train, s.key.repeat, s.seed) for s in ctx.snapshots)
    seeds_hash = hashlib.sha256(json.dumps(seeds).encode("utf-8")).hexdigest()
    times = sorted(str(s.extra.get("finished_at")) for s in ctx.snapshots
                   if s.extra.get("finished_at") is not None)
    try:
        envs, reps, context_id = _environments(ctx)
    except DataroiError as exc:
        envs, reps, context_id = [], [], None
        ctx.warn("ledger", f"environments could not be read: {exc}", "")
    desc = ((study.context or {}).get("description") or {}) if study is not None else {}
    data = None
    if spec is not None:
        data = {"source": spec.data.source, "target": spec.data.target,
                "features": list(spec.data.features) if spec.data.features else None,
                "split": spec.to_dict().get("split"),
                "fingerprint": study.fingerprint if study is not None else None,
                "task": desc.get("task"), "n_rows": desc.get("n_rows"),
                "pool_size": desc.get("pool_size"), "test_size": desc.get("test_size"),
                "n_used": _rows_used(desc, spec),
                "preprocess": preprocess_summary(desc.get("preprocess"))}
    reg = ctx.registration or {}
    git = next((e.get("git") for e in reversed(envs) if e.get("git")), None)
    counts, adaptive = _trial_counts(ctx)
    return {
        "study": ctx.a.name, "spec_hash": spec.spec_hash if spec is not None else None,
        "ledger_url": study.ledger_url if study is not None else None,
        "context_id": context_id, "data": data,
        "decision_rule": {"rule_hash": reg.get("rule_hash"), "status": reg.get("status"),
                          "registered_at": reg.get("registered_at"),
                          "message": reg.get("message")} if reg else None,
        "hashes": dict(ctx.rec.hashes) if ctx.rec is not None else {},
        "seeds": {"root_seed": spec.schedule.seed if spec is not None else None,
                  "repeats": spec.schedule.repeats if spec is not None else None,
                  "curve_random_state": ctx.a.random_state,
                  "n_trial_seeds": len(seeds), "trial_seeds_sha256": seeds_hash},
        "trial_counts": counts,
        "adaptive": adaptive,
        "first_trial_finished_at": times[0] if times else None,
        "last_trial_finished_at": times[-1] if times else None,
        "environments": envs,
        "code_version": {"dataroi": __version__, "git": git},
        "command": command,
        "reproductions": reps,
    }


def _command(analysis: Analysis, spec_path: str | None, output: str | None,
             fmt: str) -> str:
    """The command that makes this report again."""
    study = analysis.context
    if study is None:
        parts = ["dataroi", "report", "--trials", analysis.source or "TRIALS.csv",
                 "--costs", "COSTS.yaml"]
    else:
        parts = ["dataroi", "report", spec_path or "SPEC"]
    if study is not None and not study.default_ledger:
        parts += ["--ledger", study.ledger_url]
    if output:
        parts += ["-o", output]
    if fmt != "html" or not output:
        parts += ["--format", fmt]
    if analysis.n_draws != 2000:
        parts += ["--draws", str(analysis.n_draws)]
    return " ".join(shlex.quote(p) for p in parts)


def build_report(analysis: Analysis, *, spec_path: str | None = None,
                 output: str | None = None, fmt: str = "html") -> Report:
    """The report document of ``analysis`` (never writes anything).

    Args:
        analysis: the :class:`~dataroi.analysis.Analysis` (of a study, or of a table).
        spec_path: the spec's path, for the command that re-creates the report.
        output: the report's path, for that command.
        fmt: the output format, for that command.

    Returns:
        A :class:`~dataroi.report.Report`; render it with ``to_html()``,
        ``to_markdown()`` or ``to_json()``, or write it with
        :func:`dataroi.report.write_report`.
    """
    t0 = time.perf_counter()
    ctx = _Ctx(analysis)
    _load(ctx)
    sections: dict[str, Any] = {}
    sections["answer"] = _guard(ctx, "answer", lambda: _answer(ctx))
    sections["learning_curves"] = _guard(ctx, "learning_curves", lambda: _learning_curves(ctx))
    sections["data_vs_model"] = _guard(ctx, "data_vs_model", lambda: _data_vs_model(ctx))
    sections["marginal_value"] = _guard(ctx, "marginal_value", lambda: _marginal_value(ctx))
    sections["stress"] = _guard(ctx, "stress", lambda: _stress(ctx))
    command = _command(analysis, spec_path, output, fmt)
    sections["reproducibility"] = _guard(ctx, "reproducibility",
                                         lambda: _reproducibility(ctx, command))
    sections["diagnostics"] = _diagnostics(ctx)
    spec = ctx.spec
    doc = {
        "kind": "dataroi.report", "schema_version": SCHEMA_VERSION,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "study": {"name": analysis.name, "metric": ctx.metric,
                  "metrics": list(spec.metrics) if spec is not None else [ctx.metric],
                  "models": list(analysis.models), "spec_path": spec_path},
        "section_order": list(SECTIONS),
        "section_titles": dict(SECTIONS),
        "sections": {k: sections.get(k) for k in SECTIONS},
        "missing": ctx.missing,
    }
    return Report(document=json_safe(doc), build_seconds=time.perf_counter() - t0)


def _is_baseline(option: dict[str, Any]) -> bool:
    """The option keeps the current model and its labels as they are (``Option.is_baseline``
    on its plain-JSON form)."""
    return not option.get("switch") and not option.get("delta_n") and not option.get("relabel")


def _rows_used(desc: dict[str, Any], spec: Any) -> int | None:
    """The rows a study used (pool + test) when fewer than it loaded: the rows without a
    label were dropped (``data.drop_missing_target``); None when it used them all, or
    when the description cannot tell (a separate test file, an older ledger).

    Example:
        >>> from dataroi.spec import spec_from_dict
        >>> spec = spec_from_dict({"data": {"source": "t.csv", "target": "y",
        ...                                 "drop_missing_target": True},
        ...                        "models": {"m": "a.b"}, "schedule": {"sizes": [10]}})
        >>> _rows_used({"n_rows": 100, "pool_size": 60, "test_size": 20}, spec)
        80
        >>> _rows_used({"n_rows": 100, "pool_size": 80, "test_size": 20}, spec) is None
        True
    """
    n, pool, test = desc.get("n_rows"), desc.get("pool_size"), desc.get("test_size")
    if spec.split.test_file or not spec.data.drop_missing_target \
            or None in (n, pool, test) or pool + test >= n:
        return None
    return int(pool + test)
