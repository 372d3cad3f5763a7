"""The Markdown report: the same sections as the HTML page, as headings and tables.

Meant for a pull request or a wiki on a code-hosting site: no images (the HTML report
has the charts), tables in GitHub-flavoured Markdown, and every user string escaped so
that it cannot break a table or become HTML.

Example:
    >>> md_escape("a|b <script>")
    'a\\\\|b &lt;script&gt;'
"""

from __future__ import annotations

from typing import Any

from dataroi.report._document import SECTIONS
from dataroi.report._html import (
    fmt_int,
    fmt_money,
    fmt_num,
    fmt_signed,
    gate_sentence,
    reach,
)

__all__ = ["md_escape", "render_markdown"]

_SPECIAL = {"\\": "\\\\", "|": "\\|", "<": "&lt;", ">": "&gt;", "&": "&amp;", "`": "\\`",
            "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]", "\n": " ", "\r": " "}


def md_escape(text: Any) -> str:
    """Escape a string for Markdown text and table cells."""
    return "".join(_SPECIAL.get(ch, ch) for ch in str(text))


def _code(text: Any) -> str:
    """A code span; text with markup characters is escaped as plain text instead."""
    t = str(text).replace("\n", " ")
    if any(ch in t for ch in "<>`&"):
        return md_escape(t)
    return "`" + t.replace("|", "\\|") + "`"


def _far(v: Any) -> str:
    return "beyond the limit" if v is None else fmt_int(v)


def _table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    al = align or ("l" + "r" * (len(header) - 1))
    sep = ["---" if a == "l" else "---:" for a in al]
    return ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"] + [
        "| " + " | ".join(r) + " |" for r in rows] + [""]


def _bullets(items: list[str]) -> list[str]:
    """Escaped list items and a blank line (nothing for no items)."""
    return [f"- {md_escape(t)}" for t in items] + [""] if items else []


def _slices_md(sl: dict[str, Any]) -> list[str]:
    """The per-slice table at the largest training size, what was left out, findings."""
    e = md_escape
    out = [f"**Slices of {e(sl['column'])} at {fmt_int(sl['n_train'])} labels:**", ""]
    out += _table(["model", "slice", "test rows", "raw", "pooled", "90 % interval",
                   "shrinkage"],
                  [[e(r["model"]), e(r["slice"]), fmt_int(r["n_test"]), fmt_num(r["raw"]),
                    fmt_num(r["pooled"]), f"{fmt_num(r['low'])} – {fmt_num(r['high'])}",
                    fmt_num(r["shrinkage"], 2)] for r in sl["rows"]], "llrrrrr")
    if sl.get("left_out"):
        out += ["Left out (too few test rows): " + ", ".join(
            f"{e(k)} ({v})" for k, v in sl["left_out"].items()), ""]
    return out + _bullets(sl.get("statements") or [])


def _stress_md(st: dict[str, Any] | None, todo: list[str]) -> list[str]:
    """Section 5: per stress group the arms' scores and findings; the slices; notes."""
    if not st and not todo:
        return []
    e = md_escape
    out = [f"## 5. {SECTIONS['stress']}", ""]
    if st:
        out += [f"**{e(x['part'])}:** {e(x['message'])}" for x in st.get("errors") or []]
        out += [""] if st.get("errors") else []
        for g in st.get("groups") or []:
            out += [f"**{e(g['kind'])}: {e(g['base'])}**", ""]
            out += _table(["arm", f"{e(st['metric'])} at {fmt_int(g['n0'])} labels"],
                          [[e(a["arm"]), fmt_num(a["score"])] for a in g["arms"]])
            out += _bullets(g.get("statements") or [])
        if st.get("slices"):
            out += _slices_md(st["slices"])
        if st.get("notes"):
            out += ["**Notes:**", "", *_bullets(st["notes"])]
    return out + todo


def _answer_md(a: dict[str, Any]) -> list[str]:
    e = md_escape
    out: list[str] = []
    out += [f"**Recommendation: {e(a['headline'])}**", "", e(a["paragraph"]), ""]
    head = ["option", "cost", f"expected {e(a['metric'])}",
            "expected gain [90 %]", "P(gain > 0)"]
    if a.get("target") is not None:
        head.append(f"P({e(a['metric'])} {reach(a)} {a['target']})")
    if a.get("has_money"):
        head += ["expected net", "P(net > 0)", "5 % VaR"]
    if a.get("has_serving"):
        head += ["predict ms / 1k rows", "model MB"]
    if a.get("has_energy"):
        head.append("training energy kWh")
    if a.get("has_co2"):
        head.append("CO2 g")
    rows = []
    for o in a["options"]:
        label = f"{e(o['label'])} ({o['role']})"
        if o["role"] == "recommended":
            label = f"**{label}**"
        r = [label, fmt_money(o["cost_usd"]), fmt_num(o["predicted"]),
             f"{fmt_signed(o['gain_mean'])} [{fmt_signed(o['gain_q05'])}, "
             f"{fmt_signed(o['gain_q95'])}]", fmt_num(o["p_gain_positive"], 2)]
        if a.get("target") is not None:
            r.append(fmt_num(o.get("p_target"), 2))
        if a.get("has_money"):
            r += [fmt_money(o.get("net_mean_usd")), fmt_num(o.get("p_net_positive"), 2),
                  fmt_money(o.get("var05_usd"))]
        if a.get("has_serving"):
            r += [fmt_num(o.get("predict_ms_per_1k"), 3), fmt_num(o.get("model_mb"), 3)]
        if a.get("has_energy"):
            r.append(fmt_num(o.get("energy_kwh"), 3))
        if a.get("has_co2"):
            r.append(fmt_num(o.get("co2_g"), 3))
        rows.append(r)
    out += _table(head, rows)
    reg = a.get("registration") or {}
    status = str(reg.get("status", "unknown")).replace("_", " ")
    out += [f"**Pre-registration:** {e(status)} — {e(reg.get('message', ''))}", ""]
    if a.get("excluded"):
        out += [f"**Excluded options ({len(a['excluded'])}):**", ""]
        out += [f"- {e(x['label'])}: {e('; '.join(x['reasons']))}"
                for x in a["excluded"]] + [""]
    if len(a["reasons"]) > 2:
        out += ["**More reasons:**", ""] + [f"- {e(r)}" for r in a["reasons"][2:]]
        out.append("")
    return out


def _curves_md(lc: dict[str, Any]) -> list[str]:
    e = md_escape
    out: list[str] = []
    read = gate_sentence(lc["models"], e)
    read = f" {read}" if read else ""
    out += [f"{e(lc['metric'])} on the held-out test set ({e(lc['unit'])}); pool "
            f"{fmt_int(lc['pool_size'])} labels; extrapolated to "
            f"{fmt_int(lc['horizon_n'])} labels.{read}", ""]
    rows = []
    for m in lc["models"]:
        mean, ex, tip = m["mean"], m["extrapolation"], m.get("tipping")
        rows.append([
            e(m["model"]), fmt_num(mean["mean"][-1]) if mean["mean"]
            else "failed: no finished trial",
            f"{fmt_num(mean['ci_low'][-1] if mean['ci_low'] else None)} – "
            f"{fmt_num(mean['ci_high'][-1] if mean['ci_high'] else None)}",
            fmt_num(m.get("train_today")),
            fmt_num(ex["median"][-1]) if ex else "n/a",
            f"{fmt_num(ex['low90'][-1])} – {fmt_num(ex['high90'][-1])}" if ex
            else "n/a",
            ("already passed" if tip["already_passed"] else f"+{fmt_int(tip['added_n'])}")
            if tip else "n/a"])
    out += _table(["model", "today (mean)", "95 % CI", "on its training rows",
                   f"predicted at {fmt_int(lc['horizon_n'])}", "90 % band there",
                   "tipping point (added labels)"], rows, "lrrrrrr")
    bt = lc.get("backtest")
    if bt:
        said = str(bt["summary"]).removeprefix("backtest: ")
        out += ["**Does the extrapolation work on this study? (backtest)**", "",
                f"{e(said[:1].upper() + said[1:])}.", ""]
        out += _table(
            ["model", "labels", f"predicted from sizes ≤ {fmt_int(bt['cut_n'])}",
             "90 % interval", "measured", "error", "inside"],
            [[e(r["model"]), fmt_int(r["n_train"]), fmt_num(r["predicted"]),
              f"{fmt_num(r['low90'])} – {fmt_num(r['high90'])}",
              fmt_num(r["measured"]), fmt_signed(r["error"]),
              "yes" if r["in90"] else "NO"] for r in bt["rows"]], "lrrrrrl")
    return out


def _data_vs_model_md(dm: dict[str, Any]) -> list[str]:
    e = md_escape
    out: list[str] = []
    rows = []
    for t, p in zip(dm["today"], dm["projected"], strict=True):
        rows.append([e(t["label"]), fmt_signed(t["diff"]),
                     f"{fmt_signed(t['ci_low'])} to {fmt_signed(t['ci_high'])}",
                     f"n ≈ {fmt_int(p['crossing_n'])}" if p.get("crossing_n")
                     else "none", e(t["summary"])])
    out += _table(["pair a − b", "difference today", "CI", "crossing", "in words"],
                  rows, "lrrll")
    return out


def _marginal_md(mv: dict[str, Any]) -> list[str]:
    e = md_escape
    out: list[str] = []
    ch = mv["chart"]
    if ch.get("break_even_note"):
        out += [f"Break-even: {e(ch['break_even_note'])}.", ""]
    rows = []
    for m in ch["models"]:
        for i, d in enumerate(m["delta_n"]):
            rows.append([e(m["model"]), fmt_int(d), fmt_num(m["per_1k_mean"][i], 5),
                         f"{fmt_num(m['per_1k_q05'][i], 5)} – "
                         f"{fmt_num(m['per_1k_q95'][i], 5)}",
                         fmt_num(m["p_gain_positive"][i], 2)])
    out += _table(["model", "added labels", "expected gain per 1,000",
                   "90 % band", "P(gain > 0)"], rows)
    fr = mv.get("frontier")
    if fr:
        front = [o for o in fr["options"] if o["on_frontier"]]
        out += ["Efficient frontier (no cheaper option is better):", ""]
        out += _table(["option", "cost", f"expected {e(fr['metric'])}"],
                      [[e(o["label"]) + (" **(recommended)**" if o["chosen"] else ""),
                        fmt_money(o["cost_usd"]), fmt_num(o["expected"])]
                       for o in front])
    lt = mv.get("labels_to_target")
    if lt:
        out += [f"Labels to reach {e(lt['metric'])} {reach(lt)} {lt['target']}:", ""]
        out += _table(["model", "today", "added: median", "5 % – 95 %",
                       "P(not within limit)"],
                      [[e(r["model"]), fmt_num(r["today"]),
                        "reached" if r["already_reached"] else _far(r["added_q50"]),
                        f"{_far(r['added_q05'])} – {_far(r['added_q95'])}",
                        fmt_num(r["p_never"], 2)] for r in lt["rows"]])
    return out


def _diagnostics_md(dg: dict[str, Any], missing: list[dict[str, Any]]) -> list[str]:
    e = md_escape
    out = [f"## 6. {SECTIONS['diagnostics']}", ""]
    if dg.get("items"):
        out += _table(["what", "model", "finding", "what to do"],
                      [[e(f"{d['kind']}: {d['code']}"), e(d.get("model") or ""),
                        e(d["message"]), e(d["action"])] for d in dg["items"]], "llll")
    else:
        out += ["No ill-behaved curves, disagreeing families or warnings.", ""]
    if dg.get("failed_groups"):
        out += _table(["count", "error", "models", "what to do"],
                      [[str(g["count"]), e(f"{g['error_type']}: {g['message']}"),
                        e(", ".join(g["models"])), e(g["action"])]
                       for g in dg["failed_groups"]], "rlll")
    else:
        out += ["Failed trials: none.", ""]
    if missing:
        out += ["**To complete this report:**", ""]
        out += [f"- {SECTIONS.get(m['section'], m['section'])}: {e(m['message'])}"
                for m in missing] + [""]
    return out


def _reproducibility_md(r: dict[str, Any]) -> list[str]:
    e = md_escape
    out: list[str] = []
    d = r.get("data")
    out += [f"## 7. {SECTIONS['reproducibility']}", "",
            f"Re-create this report: {_code(r['command'])}", ""]
    if d:  # a study (an analysis of a plain table of trials has no data or spec)
        out += [f"- data: {_code(d['source'])}, target column {_code(d['target'])}, "
                f"{fmt_int(d['n_rows'])} rows ("
                + (f"{fmt_int(d['n_used'])} used: the others have no label; "
                   if d.get("n_used") is not None else "")
                + f"pool {fmt_int(d['pool_size'])}, test {fmt_int(d['test_size'])})",
                *([f"- preprocessing: {e(d['preprocess'])}"] if d.get("preprocess") else []),
                f"- dataset fingerprint (SHA-256): {_code(d['fingerprint'])}",
                f"- spec hash: {_code(r['spec_hash'])}"]
    if r.get("decision_rule"):
        dr = r["decision_rule"]
        out.append(f"- decision rule: {_code(dr['rule_hash'])}, registered at "
                   f"{dr.get('registered_at') or 'never'}")
    sd = r["seeds"]
    if sd.get("root_seed") is not None:
        out.append(f"- seeds: root {sd['root_seed']}, {sd['repeats']} repeats, "
                   f"{sd['n_trial_seeds']} trial seeds (SHA-256 "
                   f"{_code(sd['trial_seeds_sha256'])})")
    out.append("- trials: " + ", ".join(f"{k} {v}" for k, v in r["trial_counts"].items()))
    if r.get("adaptive"):
        ad = r["adaptive"]
        loss = (f", expected loss of deciding then rather than after the full grid "
                f"{ad['expected_loss']}" if ad.get("expected_loss") else "")
        p = ("" if ad.get("stability") is None else
             f"; P(same recommendation with the full grid) {float(ad['stability']):.2f}")
        out.append(f"- adaptive run: stopped after look {ad['looks']} ({ad['stop_reason']}): "
                   f"{e(ad['label'])}{p}{loss}")
    cv = r["code_version"]
    git = cv.get("git") or {}
    out.append(f"- code: dataroi {cv['dataroi']}"
               + (f", git {_code(git.get('commit'))}" if git else ""))
    for env in r["environments"]:
        pk = ", ".join(f"{k} {v}" for k, v in (env.get("packages") or {}).items())
        out.append(f"- environment #{env['environment_id']}: Python {e(env.get('python'))} "
                   f"on {e(env.get('platform'))}, {e(env.get('cpu'))}; {e(pk)}")
    if r["reproductions"]:
        for x in r["reproductions"]:
            out.append(f"- reproduction {x['created_at']}: {x['sample']} trials re-run, "
                       f"{x['differing']} differing")
    elif d:
        out.append("- reproduction checks: none yet (`dataroi reproduce SPEC`)")
    out.append("")
    return out


def render_markdown(doc: dict[str, Any]) -> str:
    """Render the report document as Markdown (one function per section)."""
    e = md_escape
    s = doc.get("sections") or {}
    study = doc.get("study") or {}
    missing = doc.get("missing") or []
    out = [f"# dataroi report: {e(study.get('name', ''))}", "",
           f"Primary metric **{e(study.get('metric', ''))}**; models "
           + ", ".join(_code(m) for m in study.get("models", []))
           + f"; generated {doc.get('generated_at', '')}; schema {doc.get('schema_version')}."
           " The charts are in the HTML report (`--format html`).", ""]

    def todo(key: str) -> list[str]:
        msgs = [m["message"] for m in missing if m["section"] == key]
        return (["> **To complete this section:**"] + [f"> - {e(m)}" for m in msgs] + [""]
                ) if msgs else []

    for number, key, part in ((1, "answer", _answer_md), (2, "learning_curves", _curves_md),
                              (3, "data_vs_model", _data_vs_model_md),
                              (4, "marginal_value", _marginal_md)):
        section = s.get(key)
        if section or todo(key):
            out += [f"## {number}. {SECTIONS[key]}", ""]
            out += (part(section) if section else []) + todo(key)
    out += _stress_md(s.get("stress"), todo("stress"))
    out += _diagnostics_md(s.get("diagnostics") or {}, missing)
    if s.get("reproducibility"):
        out += _reproducibility_md(s["reproducibility"])
    return "\n".join(out)
