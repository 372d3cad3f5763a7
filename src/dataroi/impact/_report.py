"""The impact report: one self-contained HTML file, Markdown and JSON.

Order: the verdict (and the gate) first, then the value difference with its interval,
ML metrics, segments (a forest plot), periods, what-if scenarios and break-even values,
the contract's checks and a reproducibility appendix.

Plots are data first (house rule 12): :func:`_get_forest_info` and
:func:`_get_periods_info` are pure functions of the result; :class:`ForestDisplay` and
:class:`PeriodsDisplay` draw them with matplotlib into SVG, embedded as a base64 ``data:``
image (so no text of the data can become markup; no CDN, fonts or scripts). Every user
string in the HTML goes through Jinja2's autoescaping. Files are written atomically.

Example:
    >>> info = _get_forest_info_from_rows([("carrier=AA", 1.0, 0.5, 1.5, False)],
    ...                                   overall=(0.8, 0.6, 1.0))
    >>> info["labels"][0], info["estimates"][-1]
    ('carrier=AA', 0.8)
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dataroi._json import json_safe

if TYPE_CHECKING:
    from dataroi.impact._assess import ImpactResult
    from dataroi.impact._gate import GateResult

__all__ = ["ForestDisplay", "PeriodsDisplay", "render_html", "render_markdown", "to_json",
           "write_report"]


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
    """Numbers of the segment forest plot: one row per tested segment, then overall."""
    rows = [(f"{s.column}={s.level} (n={s.n_rows})", s.value_diff.estimate,
             s.value_diff.ci_low, s.value_diff.ci_high, s.significantly_worse)
            for s in result.segments if s.value_diff is not None]
    iv = result.value_diff
    info = _get_forest_info_from_rows(rows, overall=(iv.estimate, iv.ci_low, iv.ci_high))
    info["xlabel"] = (f"value difference, {result.settings['currency']} per row "
                      f"(candidate - baseline), {result.settings['confidence']:.0%} BCa CI")
    return info


def _get_periods_info(result: ImpactResult) -> dict[str, Any]:
    """Numbers of the per-period plot."""
    return {"periods": [p.period for p in result.periods],
            "estimates": [p.value_diff.estimate for p in result.periods],
            "ci_low": [p.value_diff.ci_low for p in result.periods],
            "ci_high": [p.value_diff.ci_high for p in result.periods],
            "ylabel": f"value difference, {result.settings['currency']} per row"}


def _svg_data_uri(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


@dataclass
class ForestDisplay:
    """Draws a forest plot from :func:`_get_forest_info`."""

    info: dict[str, Any]

    def plot(self) -> Any:
        """Return a matplotlib figure."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        n = len(self.info["labels"])
        fig, ax = plt.subplots(figsize=(7.5, 0.35 * n + 1.2))
        ys = list(range(n))[::-1]
        for y, est, lo, hi, worse, overall in zip(
                ys, self.info["estimates"], self.info["ci_low"], self.info["ci_high"],
                self.info["worse"], self.info["is_overall"], strict=True):
            color = "#c0392b" if worse else ("#1f4e79" if overall else "#555555")
            ax.plot([lo, hi], [y, y], color=color, lw=2)
            ax.plot([est], [y], marker="D" if overall else "o", color=color)
        ax.axvline(0, color="#999999", lw=1, ls="--")
        ax.set_yticks(ys)
        ax.set_yticklabels(self.info["labels"], fontsize=8)
        ax.set_xlabel(self.info.get("xlabel", ""), fontsize=8)
        fig.tight_layout()
        return fig

    def data_uri(self) -> str:
        """The plot as a ``data:image/svg+xml;base64`` URI."""
        return _svg_data_uri(self.plot())


@dataclass
class PeriodsDisplay:
    """Draws the per-period difference with its intervals."""

    info: dict[str, Any]

    def plot(self) -> Any:
        """Return a matplotlib figure."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        x = list(range(len(self.info["periods"])))
        fig, ax = plt.subplots(figsize=(7.5, 3))
        ax.fill_between(x, self.info["ci_low"], self.info["ci_high"], color="#9ecae1",
                        alpha=0.6)
        ax.plot(x, self.info["estimates"], color="#1f4e79", marker="o")
        ax.axhline(0, color="#999999", lw=1, ls="--")
        ax.set_xticks(x)
        ax.set_xticklabels(self.info["periods"], rotation=45, fontsize=7, ha="right")
        ax.set_ylabel(self.info["ylabel"], fontsize=8)
        fig.tight_layout()
        return fig

    def data_uri(self) -> str:
        """The plot as a ``data:image/svg+xml;base64`` URI."""
        return _svg_data_uri(self.plot())


def _f(v: Any, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if isinstance(v, float | int):
        return f"{v:,.{digits}g}"
    return str(v)


def _context(result: ImpactResult, gate: GateResult | None,
             history_check: dict[str, Any] | None) -> dict[str, Any]:
    s = result.settings
    return {"r": result, "s": s, "gate": gate, "check": history_check, "f": _f,
            "pct": round(s["confidence"] * 100), "cur": s["currency"],
            "prov": result.provenance,
            "tested": [x for x in result.segments if x.value_diff is not None],
            "small": [x for x in result.segments if x.value_diff is None]}


_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>dataroi impact: {{ prov.baseline_id }} → {{ prov.candidate_id }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:980px;margin:2em auto;
color:#222;line-height:1.45;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ddd;padding-bottom:.2em;
margin-top:1.8em}table{border-collapse:collapse;font-size:.9em}
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}
.verdict{font-size:1.3em;font-weight:600;padding:.6em 1em;border-radius:6px}
.better{background:#e3f4e8}.worse{background:#fbe4e1}.inconclusive{background:#fff4d6}
.fail{color:#c0392b;font-weight:600}.pass{color:#1e7b34;font-weight:600}
code{background:#f4f4f4;padding:0 .2em}.muted{color:#666;font-size:.9em}
</style></head><body>
<h1>Impact of a model change</h1>
<p class="muted">baseline <code>{{ prov.baseline_id }}</code> → candidate
<code>{{ prov.candidate_id }}</code>; {{ f(prov.n_rows_evaluated) }} rows evaluated;
{{ prov.created_at }}</p>
<div class="verdict {{ r.verdict.split()[-1] }}">Verdict: {{ r.verdict }}
{% if gate %} — gate <span class="{{ 'pass' if gate.passed else 'fail' }}">
{{ 'PASSED' if gate.passed else 'FAILED' }}</span>{% endif %}</div>
{% if gate %}<ul>{% for c in gate.conditions %}
<li class="{{ 'pass' if c.passed else 'fail' }}">{{ c.line() }}</li>{% endfor %}</ul>{% endif %}
{% if check and check.message %}<p>History: {{ check.message }}</p>{% endif %}

<h2>Value difference</h2>
<table><tr><th class="l"></th><th>estimate</th><th>{{ pct }} % CI (BCa)</th></tr>
<tr><td class="l">per row ({{ cur }})</td><td>{{ f(r.value_diff.estimate) }}</td>
<td>{{ f(r.value_diff.ci_low) }} to {{ f(r.value_diff.ci_high) }}</td></tr>
<tr><td class="l">per {{ s.period_name }} ({{ f(s.volume_per_period) }} rows)</td>
<td>{{ f(r.value_diff_per_period.estimate) }}</td>
<td>{{ f(r.value_diff_per_period.ci_low) }} to {{ f(r.value_diff_per_period.ci_high) }}</td></tr>
<tr><td class="l">evaluation set total</td><td>{{ f(r.value_diff_total.estimate) }}</td>
<td>{{ f(r.value_diff_total.ci_low) }} to {{ f(r.value_diff_total.ci_high) }}</td></tr>
</table>
<p>P(candidate worse) = {{ f(r.p_candidate_worse, 3) }} (share of {{ s.n_resamples }} paired
bootstrap resamples below zero). {{ (s.var_level * 100)|round|int }} % value-at-risk per
{{ s.period_name }}: {{ f(r.var_per_period) }} {{ cur }}; CVaR {{ f(r.cvar_per_period) }}
{{ cur }} (lower tail of the per-period difference).</p>

<h2>Models</h2>
<table><tr><th class="l">model</th><th>value/row</th><th>accuracy</th><th>ROC AUC</th>
<th>Brier</th><th>ECE</th><th>threshold</th></tr>
{% for role, m in [("baseline", r.baseline), ("candidate", r.candidate)] %}
<tr><td class="l">{{ role }}: {{ m.identifier }}</td><td>{{ f(m.value_per_row) }}</td>
<td>{{ f(m.accuracy) }}</td><td>{{ f(m.roc_auc) }}</td><td>{{ f(m.brier) }}</td>
<td>{{ f(m.ece) }}</td><td>{{ f(m.threshold) }}</td></tr>{% endfor %}
<tr><td class="l">difference</td><td>{{ f(r.value_diff.estimate) }}</td>
<td>{{ f(r.accuracy_diff.estimate) }} [{{ f(r.accuracy_diff.ci_low) }},
{{ f(r.accuracy_diff.ci_high) }}]</td><td>{{ f(r.roc_auc_diff) }}</td><td></td><td></td>
<td></td></tr></table>

{% if r.segments %}<h2>Segments</h2>
<p>{{ tested|length }} segments tested (at least {{ s.min_segment_size }} rows);
{{ r.n_significantly_worse }} significantly worse at a false-discovery rate of
{{ s.fdr }} (Benjamini–Hochberg over one-sided paired t-tests).</p>
{% if forest %}<img alt="forest plot of the segment differences" src="{{ forest }}">{% endif %}
<table><tr><th class="l">segment</th><th>rows</th><th>baseline/row</th>
<th>candidate/row</th><th>difference [CI]</th><th>Δ accuracy</th><th>adj. p</th>
<th class="l">flag</th></tr>
{% for x in r.segments %}<tr><td class="l">{{ x.column }} = {{ x.level }}</td>
<td>{{ x.n_rows }}</td><td>{{ f(x.baseline_value_per_row) }}</td>
<td>{{ f(x.candidate_value_per_row) }}</td>
<td>{% if x.value_diff %}{{ f(x.value_diff.estimate) }} [{{ f(x.value_diff.ci_low) }},
{{ f(x.value_diff.ci_high) }}]{% else %}too small{% endif %}</td>
<td>{{ f(x.accuracy_diff) }}</td><td>{{ f(x.p_adjusted, 3) }}</td>
<td class="l">{% if x.significantly_worse %}<span class="fail">worse</span>{% endif %}</td>
</tr>{% endfor %}</table>{% endif %}

{% if r.periods %}<h2>Over time (per {{ s.period }})</h2>
{% if periods_plot %}<img alt="difference per period" src="{{ periods_plot }}">{% endif %}
<table><tr><th class="l">period</th><th>rows</th><th>difference/row [CI]</th>
<th>total difference</th></tr>{% for p in r.periods %}
<tr><td class="l">{{ p.period }}</td><td>{{ p.n_rows }}</td>
<td>{{ f(p.value_diff.estimate) }} [{{ f(p.value_diff.ci_low) }},
{{ f(p.value_diff.ci_high) }}]</td><td>{{ f(p.value_diff_total) }}</td></tr>
{% endfor %}</table>{% endif %}

<h2>What-if scenarios</h2>
<table><tr><th class="l">scenario</th><th>difference/row [{{ pct }} % CI, normal]</th>
<th>per {{ s.period_name }}</th><th class="l">sign flips?</th></tr>
{% for sc in r.scenarios %}<tr><td class="l">{{ sc.name }}</td>
<td>{{ f(sc.value_diff_per_row) }} [{{ f(sc.ci_low) }}, {{ f(sc.ci_high) }}]</td>
<td>{{ f(sc.value_diff_per_period) }}</td>
<td class="l">{{ 'YES' if sc.sign_flips else 'no' }}</td></tr>{% endfor %}</table>
<h3>Break-even values</h3>
<table><tr><th class="l">term</th><th>current</th><th>break-even</th><th class="l">note</th></tr>
{% for b in r.break_even %}<tr><td class="l">{{ b.term }}</td><td>{{ f(b.current) }}</td>
<td>{{ f(b.break_even) }}</td><td class="l">{{ b.note }}</td></tr>{% endfor %}</table>

<h2>Data contract</h2>
{% if r.contract %}<p class="pass">passed: {{ r.contract.n_rows }} rows checked</p>
<ul>{% for c in r.contract.checks %}<li>{{ c }}</li>{% endfor %}</ul>
{% else %}<p>No contract was given.</p>{% endif %}

{% if r.notes %}<h2>Notes</h2><ul>{% for n in r.notes %}<li>{{ n }}</li>{% endfor %}</ul>
{% endif %}
<h2>Reproducibility</h2>
<table>
<tr><td class="l">data fingerprint (SHA-256, full content)</td>
<td class="l"><code>{{ prov.data_fingerprint }}</code></td></tr>
<tr><td class="l">contract hash</td><td class="l"><code>{{ prov.contract_hash }}</code></td></tr>
<tr><td class="l">value model hash</td>
<td class="l"><code>{{ prov.value_model_hash }}</code></td></tr>
<tr><td class="l">seed / resamples</td><td class="l">{{ prov.seed }} / {{ s.n_resamples }}</td></tr>
<tr><td class="l">environment</td><td class="l">dataroi {{ prov.environment.dataroi }}, Python
{{ prov.environment.python }}, {% for k, v in prov.environment.packages.items() %}{{ k }}
{{ v }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
<tr><td class="l">settings</td><td class="l"><code>{{ settings_json }}</code></td></tr>
</table>
<p class="muted">Value model: <code>{{ value_model_json }}</code></p>
</body></html>
"""


def render_html(result: ImpactResult, *, gate: GateResult | None = None,
                history_check: dict[str, Any] | None = None) -> str:
    """The self-contained HTML report (escaped; plots as embedded SVG images)."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    ctx = _context(result, gate, history_check)
    ctx["forest"] = ForestDisplay(_get_forest_info(result)).data_uri() if ctx["tested"] \
        else None
    ctx["periods_plot"] = PeriodsDisplay(_get_periods_info(result)).data_uri() \
        if result.periods else None
    ctx["settings_json"] = json.dumps(result.settings, default=str)
    ctx["value_model_json"] = json.dumps(result.provenance["value_model"], default=str)
    return env.from_string(_HTML).render(**ctx)


def _md_escape(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(result: ImpactResult, *, gate: GateResult | None = None,
                    history_check: dict[str, Any] | None = None) -> str:
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
    lines += ["## Value difference", "",
              f"| | estimate | {pct} % CI (BCa) |", "|---|---:|---:|",
              f"| per row ({cur}) | {_f(iv.estimate)} | {_f(iv.ci_low)} to {_f(iv.ci_high)} |",
              f"| per {e(s['period_name'])} | {_f(pp.estimate)} | {_f(pp.ci_low)} to "
              f"{_f(pp.ci_high)} |", "",
              f"P(candidate worse) = {_f(result.p_candidate_worse, 3)}; "
              f"{s['var_level']:.0%} VaR per {e(s['period_name'])} = "
              f"{_f(result.var_per_period)} {cur}, CVaR = {_f(result.cvar_per_period)} {cur}.",
              "", "## Models", "", "| model | value/row | accuracy | ROC AUC | Brier | ECE |",
              "|---|---:|---:|---:|---:|---:|"]
    for role in ("baseline", "candidate"):
        m = getattr(result, role)
        lines.append(f"| {role}: {e(m.identifier)} | {_f(m.value_per_row)} | {_f(m.accuracy)} "
                     f"| {_f(m.roc_auc)} | {_f(m.brier)} | {_f(m.ece)} |")
    a = result.accuracy_diff
    lines += ["", f"Accuracy difference {_f(a.estimate)} [{_f(a.ci_low)}, {_f(a.ci_high)}].", ""]
    if result.segments:
        lines += ["## Segments", "", f"{result.n_significantly_worse} significantly worse "
                  f"(Benjamini–Hochberg, FDR {s['fdr']}; segments under "
                  f"{s['min_segment_size']} rows are not tested).", "",
                  "| segment | rows | difference/row [CI] | adj. p | flag |",
                  "|---|---:|---:|---:|---|"]
        for x in result.segments:
            diff = (f"{_f(x.value_diff.estimate)} [{_f(x.value_diff.ci_low)}, "
                    f"{_f(x.value_diff.ci_high)}]" if x.value_diff else "too small")
            lines.append(f"| {e(x.column)} = {e(x.level)} | {x.n_rows} | {diff} | "
                         f"{_f(x.p_adjusted, 3)} | {'worse' if x.significantly_worse else ''} |")
        lines.append("")
    if result.periods:
        lines += [f"## Over time (per {s['period']})", "",
                  "| period | rows | difference/row [CI] |", "|---|---:|---:|"]
        lines += [f"| {e(q.period)} | {q.n_rows} | {_f(q.value_diff.estimate)} "
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
        lines += [f"Passed ({result.contract['n_rows']} rows):", ""]
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
            history_check: dict[str, Any] | None = None) -> str:
    """The JSON report: verdict, gate, result (NaN and infinities as null)."""
    doc = {"verdict": result.verdict, "gate": gate.to_dict() if gate else None,
           "history_check": history_check, "result": result.to_dict()}
    return json.dumps(json_safe(doc), indent=1, default=str)


def write_report(result: ImpactResult, *, html: str | os.PathLike[str] | None = None,
                 markdown: str | os.PathLike[str] | None = None,
                 json: str | os.PathLike[str] | None = None,
                 gate: GateResult | None = None,
                 history_check: dict[str, Any] | None = None) -> list[str]:
    """Render and atomically write the requested formats; return the paths written."""
    from dataroi._files import write_atomic

    texts = []
    if html:
        texts.append((html, render_html(result, gate=gate, history_check=history_check)))
    if markdown:
        texts.append((markdown, render_markdown(result, gate=gate,
                                                history_check=history_check)))
    if json:
        texts.append((json, to_json(result, gate=gate, history_check=history_check)))
    for path, text in texts:  # render everything first, then write
        write_atomic(path, text)
    return [str(p) for p, _ in texts]
