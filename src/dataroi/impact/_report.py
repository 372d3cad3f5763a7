"""The impact report: one self-contained HTML file, Markdown and JSON.

Order: the verdict (and the gate) first, then the value difference with its interval,
ML metrics, segments (a forest plot), periods, what-if scenarios and break-even values,
the contract's checks and a reproducibility appendix.

It goes through the one report system (:mod:`dataroi.report`): the page extends the
study report's base template (its Content-Security-Policy and style sheet; every user
string autoescaped), the figures are embedded the same way (SVG ``data:`` images), and
files are written atomically. Plots are data first (house rule 12):
:func:`_get_forest_info` and :func:`_get_periods_info` are pure functions of the result;
:class:`dataroi.plotting.ForestDisplay` and :class:`~dataroi.plotting.PeriodsDisplay`
draw them.

Example:
    >>> info = _get_forest_info_from_rows([("carrier=AA", 1.0, 0.5, 1.5, False)],
    ...                                   overall=(0.8, 0.6, 1.0))
    >>> info["labels"][0], info["estimates"][-1]
    ('carrier=AA', 0.8)
"""

from __future__ import annotations

import json
import math
import os
from typing import TYPE_CHECKING, Any

from dataroi._json import json_safe
from dataroi._money import amount
from dataroi.impact._segments import HARM

if TYPE_CHECKING:
    from dataroi.impact._assess import ImpactResult
    from dataroi.impact._gate import GateResult

__all__ = ["render_html", "render_markdown", "to_json", "write_report"]


def _get_forest_info_from_rows(rows: list[tuple[str, float, float, float, bool]], *,
                               overall: tuple[float, float, float]) -> dict[str, Any]:
    labels = [r[0] for r in rows] + ["overall"]
    return {
        "labels": labels,
        "estimates": [r[1] for r in rows] + [overall[0]],
        "ci_low": [r[2] for r in rows] + [overall[1]],
        "ci_high": [r[3] for r in rows] + [overall[2]],
        "worse": [r[4] for r in rows] + [False],
        "is_overall": [False] * len(rows) + [True],
    }


def _get_forest_info(result: ImpactResult) -> dict[str, Any]:
    """Numbers of the segment forest plot: one row per tested segment, then overall.

    A segment is drawn as "worse" when harm was found in it (or it is significantly
    worse); its interval is BCa, or t with borrowed variance when few rows disagree.
    """
    rows = [(f"{s.column}={s.level} (n={s.n_rows:,}, {s.n_disagree:,} disagree)",
             s.value_diff.estimate, s.value_diff.ci_low, s.value_diff.ci_high,
             s.significantly_worse or s.harm == HARM)
            for s in result.segments if s.value_diff is not None]
    iv = result.value_diff
    info = _get_forest_info_from_rows(rows, overall=(iv.estimate, iv.ci_low, iv.ci_high))
    info["margin"] = float(result.margin) if result.margin else None
    info["xlabel"] = (f"value difference, {result.settings['currency']} per row "
                      f"(candidate - baseline), {result.settings['confidence']:.0%} CI "
                      f"(margin -{amount(result.margin)})")
    return info


def _get_periods_info(result: ImpactResult) -> dict[str, Any]:
    """Numbers of the per-period plot."""
    return {"periods": [p.period for p in result.periods],
            "estimates": [p.value_diff.estimate for p in result.periods],
            "ci_low": [p.value_diff.ci_low for p in result.periods],
            "ci_high": [p.value_diff.ci_high for p in result.periods],
            "ylabel": f"value difference, {result.settings['currency']} per row"}


def _f(v: Any, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if isinstance(v, float | int):
        return amount(v, digits)
    return str(v)


class _PageView:
    """The result as the page template (``dataroi.report``'s ``impact.html.j2``) reads it.

    The template prints ``r.p_candidate_worse`` as a number and "at least
    ``s.min_segment_size`` rows"; here the share is worded as a bootstrap share
    (``> 0.9995``, not ``1``), the minimum says it counts disagreeing rows, and the
    segments' harm verdicts (harm found, not enough data) lead the notes.
    """

    def __init__(self, result: ImpactResult) -> None:
        self._result = result
        self.p_candidate_worse = result.p_candidate_worse_text
        harm = [line for line in result.harm_lines()
                if line.startswith(("harm found", "not enough data"))]
        self.notes = (tuple(g.sentence() for g in result.guardrails)
                      + tuple(f"segment: {line}" for line in harm) + tuple(result.notes))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._result, name)


def _context(result: ImpactResult, gate: GateResult | None,
             history_check: dict[str, Any] | None,
             spec: dict[str, Any] | None = None) -> dict[str, Any]:
    s = dict(result.settings)
    s["min_segment_size"] = f"{s['min_segment_size']} disagreeing"
    return {"r": _PageView(result), "s": s, "gate": gate, "check": history_check, "f": _f,
            "spec": spec,
            "pct": round(s["confidence"] * 100), "cur": s["currency"],
            "prov": result.provenance,
            "tested": [x for x in result.segments if x.value_diff is not None],
            "small": [x for x in result.segments if x.value_diff is None]}



def render_html(result: ImpactResult, *, gate: GateResult | None = None,
                 history_check: dict[str, Any] | None = None,
                 spec: dict[str, Any] | None = None) -> str:
    """The self-contained HTML report (the report system's page; plots embedded);
    ``spec``: what the assessment says about its impact spec (its ``lines``)."""
    from dataroi.plotting import ForestDisplay, PeriodsDisplay
    from dataroi.report import render_template, svg_data_uri

    ctx = _context(result, gate, history_check, spec)
    ctx["forest"] = (svg_data_uri(ForestDisplay(_get_forest_info(result)).plot().figure_)
                     if ctx["tested"] else None)
    ctx["periods_plot"] = (svg_data_uri(PeriodsDisplay(_get_periods_info(result)).plot()
                                        .figure_) if result.periods else None)
    ctx["settings_json"] = json.dumps(result.settings, default=str)
    ctx["value_model_json"] = json.dumps(result.provenance["value_model"], default=str)
    return render_template("impact.html.j2", strict=True, **ctx)


def _md_escape(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(result: ImpactResult, *, gate: GateResult | None = None,
                    history_check: dict[str, Any] | None = None,
                    spec: dict[str, Any] | None = None) -> str:
    """The Markdown report (same order as the HTML one, without plots)."""
    s, p = result.settings, result.provenance
    cur, pct = s["currency"], round(s["confidence"] * 100)
    e = _md_escape
    iv, pp = result.value_diff, result.value_diff_per_period
    lines = [f"# Impact of a model change: {e(p['baseline_id'])} → {e(p['candidate_id'])}", "",
             f"**Verdict: {result.verdict}**"
             + (f" — gate **{'PASSED' if gate.passed else 'FAILED'}**" if gate else ""), ""]
    if gate:
        lines += [f"- {e(c.line())}" for c in gate.conditions] + [""]
    if history_check and history_check.get("message"):
        lines += [f"History: {e(history_check['message'])}", ""]
    if spec:
        lines += ["## Impact spec", ""] + [f"- {e(x)}" for x in spec["lines"]] + [""]
    lines += ["## Value difference", "",
              f"| | estimate | {pct} % CI (BCa) |", "|---|---:|---:|",
              f"| per row ({cur}) | {_f(iv.estimate)} | {_f(iv.ci_low)} to {_f(iv.ci_high)} |",
              f"| per {e(s['period_name'])} | {_f(pp.estimate)} | {_f(pp.ci_low)} to "
              f"{_f(pp.ci_high)} |", "",
              f"P(candidate worse) = {result.p_candidate_worse_text} (share of "
              f"{s['n_resamples']:,} bootstrap resamples); "
              f"{s['var_level']:.0%} VaR per {e(s['period_name'])} = "
              f"{_f(result.var_per_period)} {cur}, CVaR = {_f(result.cvar_per_period)} {cur}.",
              "", "## Models", ""]
    a = result.accuracy_diff
    regression = s.get("task") == "regression"
    metrics = (("MAE", "mae"), ("RMSE", "rmse")) if regression else (
        ("accuracy", "accuracy"), ("ROC AUC", "roc_auc"), ("Brier", "brier"), ("ECE", "ece"))
    lines += ["| model | value/row | " + " | ".join(h for h, _ in metrics) + " |",
              "|---|---:|" + "---:|" * len(metrics)]
    for role in ("baseline", "candidate"):
        m = getattr(result, role)
        lines.append(f"| {role}: {e(m.identifier)} | {_f(m.value_per_row)} | "
                     + " | ".join(_f(getattr(m, k)) for _, k in metrics) + " |")
    what = "Reduction in absolute error per row" if regression else "Accuracy difference"
    lines += ["", f"{what} {_f(a.estimate)} [{_f(a.ci_low)}, {_f(a.ci_high)}].", ""]
    if result.segments:
        auto = " (auto: the candidate's average gain per row)" if s.get("margin") == "auto" \
            else ""
        lines += ["## Segments", "",
                  f"{result.n_tested} of {len(result.segments)} segments tested (segments "
                  f"under {s['min_segment_size']} disagreeing rows are not); "
                  f"{result.n_significantly_worse} significantly worse (Benjamini–Hochberg, "
                  f"FDR {s['fdr']}). Harm is judged against a margin of "
                  f"{_f(result.margin)} {cur}/row{auto}: no harm when the lower bound lies "
                  "above -margin.", "",
                  "| segment | rows | disagreeing | difference/row [CI] | MDE | adj. p | "
                  "harm |", "|---|---:|---:|---:|---:|---:|---|"]
        for x in result.segments:
            diff = (f"{_f(x.value_diff.estimate)} [{_f(x.value_diff.ci_low)}, "
                    f"{_f(x.value_diff.ci_high)}] ({x.value_diff.method})" if x.value_diff
                    else "not tested")
            lines.append(f"| {e(x.column)} = {e(x.level)} | {x.n_rows:,} | {x.n_disagree:,} | "
                         f"{diff} | {_f(x.mde)} | {_f(x.p_adjusted, 3)} | {e(x.harm)}"
                         f"{' (significantly worse)' if x.significantly_worse else ''} |")
        harm = [h for h in result.harm_lines() if h.startswith(("harm found", "not enough"))]
        lines += [""] + [f"- {e(h)}" for h in harm] + ([""] if harm else [])
    if result.guardrails:
        lines += ["## Guardrails", ""] + [f"- {e(g.sentence())}" for g in result.guardrails]
        lines += [""]
    if result.periods:
        lines += [f"## Over time (per {s['period']})", "",
                  "| period | rows | difference/row [CI] |", "|---|---:|---:|"]
        lines += [f"| {e(q.period)} | {q.n_rows:,} | {_f(q.value_diff.estimate)} "
                  f"[{_f(q.value_diff.ci_low)}, {_f(q.value_diff.ci_high)}] |"
                  for q in result.periods] + [""]
    lines += ["## What-if scenarios", "", "| scenario | difference/row [CI] | per period | "
              "sign flips |", "|---|---:|---:|---|"]
    lines += [f"| {e(sc.name)} | {_f(sc.value_diff_per_row)} [{_f(sc.ci_low)}, "
              f"{_f(sc.ci_high)}] | {_f(sc.value_diff_per_period)} | "
              f"{'YES' if sc.sign_flips else 'no'} |" for sc in result.scenarios]
    lines += ["", "| term | current | break-even | note |", "|---|---:|---:|---|"]
    lines += [f"| {e(b.term)} | {_f(b.current)} | {_f(b.break_even)} | {e(b.note)} |"
              for b in result.break_even]
    lines += ["", "## Data contract", ""]
    if result.contract:
        lines += [f"Passed ({result.contract['n_rows']:,} rows):", ""]
        lines += [f"- {e(c)}" for c in result.contract["checks"]]
    else:
        lines.append("No contract was given.")
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {e(n)}" for n in result.notes]
    env = p["environment"]
    lines += ["", "## Reproducibility", "",
              f"- data fingerprint: `{p['data_fingerprint']}`",
              f"- contract hash: `{p['contract_hash']}`",
              f"- value model hash: `{p['value_model_hash']}`",
              f"- seed {p['seed']}, {s['n_resamples']} resamples",
              f"- dataroi {env['dataroi']}, Python {env['python']}, "
              + ", ".join(f"{k} {v}" for k, v in env["packages"].items()), ""]
    return "\n".join(lines)


def to_json(result: ImpactResult, *, gate: GateResult | None = None,
            history_check: dict[str, Any] | None = None,
            spec: dict[str, Any] | None = None) -> str:
    """The JSON report: verdict, gate, result (NaN and infinities as null), and what the
    assessment says about its impact spec when one was used (``impact_spec``)."""
    doc = {"verdict": result.verdict, "gate": gate.to_dict() if gate else None,
           "history_check": history_check, "result": result.to_dict()}
    if spec is not None:
        doc["impact_spec"] = spec
    return json.dumps(json_safe(doc), indent=1, default=str)


def write_report(result: ImpactResult, *, html: str | os.PathLike[str] | None = None,
                 markdown: str | os.PathLike[str] | None = None,
                 json: str | os.PathLike[str] | None = None,
                 gate: GateResult | None = None,
                 history_check: dict[str, Any] | None = None,
                 spec: dict[str, Any] | None = None) -> list[str]:
    """Render and atomically write the requested formats; return the paths written."""
    from dataroi._files import write_atomic

    texts = []
    if html:
        texts.append((html, render_html(result, gate=gate, history_check=history_check,
                                        spec=spec)))
    if markdown:
        texts.append((markdown, render_markdown(result, gate=gate,
                                                history_check=history_check, spec=spec)))
    if json:
        texts.append((json, to_json(result, gate=gate, history_check=history_check,
                                    spec=spec)))
    for path, text in texts:  # render everything first, then write
        write_atomic(path, text)
    return [str(p) for p, _ in texts]
