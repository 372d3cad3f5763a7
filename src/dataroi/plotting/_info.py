"""The numbers behind every chart, as plain data (house rule 12: data first).

Each ``_get_*_info`` function is pure: it takes trials, fitted curves or the value /
decision layers' plain-JSON results and returns a JSON-compatible dictionary with
everything a display draws (points, lines, bands, reference lines, axis labels). The
report stores these dictionaries in its JSON output, so every plotted number can be
traced and tested without drawing a pixel.

Example:
    >>> import pandas as pd
    >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": 0.9 - 1.0 / n ** 0.5 + 0.01 * r, "state": "complete"}
    ...         for n in (25, 50, 100, 200) for r in range(3)]
    >>> info = learning_curve_info(pd.DataFrame(rows), metric="accuracy")
    >>> m = info["models"][0]
    >>> m["mean"]["n_train"], round(m["mean"]["mean"][-1], 4)
    ([25, 50, 100, 200], 0.8393)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi.plotting._style import metric_axis_label, metric_unit, model_styles

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.value import StudyCurves

__all__ = [
    "cost_frontier_info",
    "learning_curve_info",
    "marginal_value_info",
    "model_difference_info",
]


def _num(v: Any) -> float | None:
    """A finite float or None (JSON has no NaN or infinity)."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _nums(values: Any) -> list[float | None]:
    return [_num(v) for v in np.asarray(values, dtype=float).ravel()]


def _mean_ci(values: np.ndarray, test_se: float | None = None
             ) -> tuple[float, float, float]:
    from dataroi.trial import mean_ci

    return mean_ci(values, test_se=test_se)


def learning_curve_info(
    trials: pd.DataFrame,
    *,
    metric: str,
    curves: StudyCurves | None = None,
    higher_is_better: bool | None = None,
    pool_size: int | None = None,
    horizon_n: int | None = None,
    target: float | None = None,
    tipping: Mapping[str, float | None] | None = None,
    n_grid: int = 60,
) -> dict[str, Any]:
    """Numbers of the learning-curve chart.

    Args:
        trials: the tidy trials frame (``Study.trials()``).
        metric: the metric to show.
        curves: fitted curves of that metric (``dataroi.value.fit_study_curves``); without
            them only the measured scores are shown.
        higher_is_better: the metric's direction (default: from the curves, else the
            metric registry).
        pool_size: labels available today (a reference line; default: today's size).
        horizon_n: planning horizon: the extrapolation reaches this size (default 9×
            today's size, i.e. 8× more labels).
        target: the target metric value (a reference line).
        tipping: model → *added* labels beyond which more labels stop paying (0: already
            past; None or infinity: not within the horizon).
        n_grid: points of the extrapolation grid.

    Returns:
        ``{"metric", "higher_is_better", "xlabel", "ylabel", "current_n", "pool_size",
        "horizon_n", "target", "models": [...]}``; each model holds ``points`` (one per
        repeat and size), ``mean`` (mean and 95 % CI: the repeats' spread and the test
        set's sampling noise), ``extrapolation`` (median and 50 % / 90 % bands on a log
        grid, or None), ``tipping``, ``style`` and ``train_mean`` (the mean score on the
        training rows per size, or None when the trials did not record it).
    """
    sub = trials[(trials["metric"] == metric)]
    models = list(curves.models) if curves is not None else list(dict.fromkeys(sub["model"]))
    for m in dict.fromkeys(sub["model"]):
        if m not in models:
            models.append(m)
    if higher_is_better is None:
        if curves is not None:
            higher_is_better = curves.higher_is_better
        else:
            from dataroi.metrics import get_metric

            try:
                higher_is_better = get_metric(metric).higher_is_better
            except KeyError:
                higher_is_better = True
    current_n = curves.current_n if curves is not None else (
        int(sub["n_train"].max()) if len(sub) else None)
    if horizon_n is None and current_n is not None:
        horizon_n = 9 * int(current_n)
    styles = model_styles(models)
    from dataroi.trial import holdout_noise

    noise = holdout_noise(trials, metric, curves.test_boot if curves is not None else None)
    out_models = []
    for m in models:
        ms = sub[sub["model"] == m]
        ok = ms[np.isfinite(ms["value"].to_numpy(dtype=float))]
        points = {"n_train": [int(v) for v in ok["n_train"]],
                  "repeat": [int(v) for v in ok["repeat"]],
                  "value": _nums(ok["value"])}
        mean: dict[str, list[Any]] = {"n_train": [], "mean": [], "ci_low": [], "ci_high": [],
                                      "repeats": []}
        best = None  # the metric's best value (1.0 for accuracy): CIs stop there
        if curves is not None and m in curves.bounds:
            best = curves.bounds[m][1] if higher_is_better else curves.bounds[m][0]
        for n, g in ok.groupby("n_train", sort=True):
            mu, lo, hi = _mean_ci(g["value"].to_numpy(dtype=float),
                                  noise.get((str(m), int(n))))
            if best is not None and math.isfinite(best):
                lo, hi = (min(lo, best), min(hi, best)) if higher_is_better else (
                    max(lo, best), max(hi, best))
            mean["n_train"].append(int(n))
            mean["mean"].append(_num(mu))
            mean["ci_low"].append(_num(lo))
            mean["ci_high"].append(_num(hi))
            mean["repeats"].append(len(g))
        train_mean = None
        if "train_value" in ms and ms["train_value"].notna().any():
            import pandas as pd

            tv = ms.assign(train_value=pd.to_numeric(ms["train_value"], errors="coerce"))
            by = tv.groupby("n_train", sort=True)["train_value"].mean().dropna()
            train_mean = {"n_train": [int(n) for n in by.index], "mean": _nums(by)}
        extrap = None
        tip = None
        fit = curves.fits.get(m) if curves is not None else None
        if fit is not None and mean["n_train"] and horizon_n:
            lo_n = float(mean["n_train"][0])
            grid = np.unique(np.round(np.geomspace(lo_n, max(float(horizon_n), lo_n * 1.01),
                                                   n_grid)))
            med = curves.clip(m, fit.predict(grid)) if curves is not None else fit.predict(grid)
            l50, h50 = fit.interval(grid, 0.5)
            l90, h90 = fit.interval(grid, 0.9)
            clip = curves.clip if curves is not None else (lambda _m, v: v)
            if curves is not None and m in curves.forecasts:
                # beyond today the decisions use the learned forecast: so does the band
                ahead = grid > curves.current_n
                if ahead.any():
                    q = np.quantile(curves.draws(m, grid[ahead], 2000),
                                    [0.5, 0.25, 0.75, 0.05, 0.95], axis=0)
                    for arr, row in zip((med, l50, h50, l90, h90), q, strict=True):
                        arr[ahead] = row
            extrap = {"n": [int(v) for v in grid], "median": _nums(med),
                      "low50": _nums(clip(m, l50)), "high50": _nums(clip(m, h50)),
                      "low90": _nums(clip(m, l90)), "high90": _nums(clip(m, h90))}
            added = (tipping or {}).get(m)
            if added is not None and current_n is not None and math.isfinite(added):
                n_tip = float(current_n) + float(added)
                at_tip = (np.median(curves.draws(m, [n_tip], 2000), axis=0)
                          if curves is not None and m in curves.forecasts
                          and n_tip > curves.current_n else fit.predict([n_tip]))
                tip = {"added_n": int(added), "n": int(n_tip),
                       "value": _num(clip(m, at_tip)[0]),
                       "already_passed": added <= 0}
        out_models.append({
            "model": m, "style": styles[m], "points": points, "mean": mean,
            "extrapolation": extrap, "tipping": tip, "train_mean": train_mean,
            "diagnostics": dict(fit.diagnostics) if fit is not None else {},
        })
    return {
        "metric": metric, "higher_is_better": bool(higher_is_better),
        "unit": metric_unit(metric), "focus_ylim": _focus_ylim(out_models, current_n),
        "xlabel": "training-set size n_train (labeled rows, log scale)",
        "ylabel": metric_axis_label(metric, higher_is_better),
        "current_n": None if current_n is None else int(current_n),
        "pool_size": int(pool_size) if pool_size else (
            None if current_n is None else int(current_n)),
        "horizon_n": None if horizon_n is None else int(horizon_n),
        "target": _num(target), "models": out_models,
    }


def _focus_ylim(models: list[dict[str, Any]], current_n: int | None
                ) -> list[float] | None:
    """A y range that shows the region a decision is about: every mean at sizes of at
    least an eighth of today's, and every extrapolation band (the smallest sizes, often
    far worse, may fall below it). None when that hides nothing."""
    if not current_n:
        return None
    keep: list[float] = []
    every: list[float] = []
    for m in models:
        for n, v in zip(m["mean"]["n_train"], m["mean"]["mean"], strict=True):
            if v is not None:
                every.append(v)
                if n >= current_n / 8:
                    keep.append(v)
        ex = m["extrapolation"]
        if ex:
            start = [i for i, n in enumerate(ex["n"]) if n >= current_n / 8]
            keep += [ex[k][i] for k in ("low90", "high90") for i in start
                     if ex[k][i] is not None]
    if not keep or not every:
        return None
    lo, hi = min(keep), max(keep)
    pad = 0.08 * max(hi - lo, 1e-6)
    if min(every) >= lo - pad and max(every) <= hi + pad:
        return None
    return [lo - pad, hi + pad]


def model_difference_info(comparison: Mapping[str, Any], *,
                               models: Sequence[str] | None = None) -> dict[str, Any]:
    """Numbers of the data-vs-model chart from ``ModelComparison.to_dict()``.

    Today: the paired difference ``a − b`` of every pair with its confidence interval
    over repeats. Projected: the expected difference and its 90 % band as labels are
    added (today's paired difference plus each model's own gain), and where it crosses
    zero. Positive means ``a`` is better, whatever the metric's direction.

    Example:
        >>> cmp = {"metric": "accuracy", "current_n": 100, "level": 0.95, "pairs": [
        ...     {"a": "x", "b": "y", "today_diff": 0.02, "today_ci_low": 0.01,
        ...      "today_ci_high": 0.03, "significant_today": True, "n_repeats": 5,
        ...      "crossing_delta_n": None, "summary": "x is better",
        ...      "projected": [{"delta_n": 100, "n_total": 200, "diff_mean": 0.01,
        ...                     "diff_q05": 0.0, "diff_q95": 0.02, "p_a_better": 0.9}]}]}
        >>> info = model_difference_info(cmp)
        >>> info["today"][0]["label"], info["projected"][0]["n_total"]
        ('x − y', [100, 200])
    """
    metric = str(comparison.get("metric", ""))
    current_n = int(comparison.get("current_n") or 0)
    today, projected = [], []
    for p in comparison.get("pairs", ()):
        label = f"{p['a']} − {p['b']}"
        today.append({"a": p["a"], "b": p["b"], "label": label,
                      "diff": _num(p.get("today_diff")), "ci_low": _num(p.get("today_ci_low")),
                      "ci_high": _num(p.get("today_ci_high")),
                      "n_repeats": int(p.get("n_repeats") or 0),
                      "significant": bool(p.get("significant_today")),
                      "summary": str(p.get("summary", ""))})
        rows = sorted(p.get("projected", ()), key=lambda r: r["n_total"])
        cross = p.get("crossing_delta_n")
        projected.append({
            "a": p["a"], "b": p["b"], "label": label,
            "n_total": [current_n] + [int(r["n_total"]) for r in rows],
            "diff_mean": [_num(p.get("today_diff"))] + [_num(r["diff_mean"]) for r in rows],
            "diff_q05": [_num(p.get("today_ci_low"))] + [_num(r["diff_q05"]) for r in rows],
            "diff_q95": [_num(p.get("today_ci_high"))] + [_num(r["diff_q95"]) for r in rows],
            "p_a_better": [None] + [_num(r.get("p_a_better")) for r in rows],
            "crossing_n": None if cross is None else int(current_n + float(cross)),
        })
    names = list(models) if models else list(dict.fromkeys(
        [t["a"] for t in today] + [t["b"] for t in today]))
    return {"metric": metric, "current_n": current_n,
            "level": _num(comparison.get("level")), "models": names,
            "styles": model_styles(names), "today": today, "projected": projected,
            "today_xlabel": (f"paired difference a − b in {metric} at n = {current_n:,} "
                             f"({metric_unit(metric)}; > 0: a better), "
                             f"{round(100 * float(comparison.get('level') or 0.95))} % CI"),
            "projected_xlabel": "total labels n (log scale)",
            "projected_ylabel": f"expected difference a − b ({metric}; > 0: a better)"}


def marginal_value_info(marginal: Mapping[str, Any], *,
                             break_even_per_1k: float | None = None,
                             break_even_note: str | None = None) -> dict[str, Any]:
    """Numbers of the marginal-value chart from ``MarginalValue.to_dict()``.

    For each model and added amount ΔN: the expected gain per 1,000 added labels
    (``1000 × gain / ΔN``, averaged over the purchase) with 50 % and 90 % bands, and the
    break-even gain per 1,000 labels at which labels pay for themselves.

    Example:
        >>> mv = {"metric": "accuracy", "current_n": 100, "rows": [
        ...     {"model": "a", "delta_n": 100, "gain_mean": 0.02, "gain_q05": 0.0,
        ...      "gain_q25": 0.01, "gain_q50": 0.02, "gain_q75": 0.03, "gain_q95": 0.04,
        ...      "p_gain_positive": 0.95, "gain_per_1k": 0.2}]}
        >>> info = marginal_value_info(mv, break_even_per_1k=0.05)
        >>> info["models"][0]["per_1k_q95"], info["break_even_per_1k"]
        ([0.4], 0.05)
    """
    metric = str(marginal.get("metric", ""))
    rows = list(marginal.get("rows", ()))
    names = list(dict.fromkeys(r["model"] for r in rows))
    styles = model_styles(names)
    out = []
    for m in names:
        rs = sorted((r for r in rows if r["model"] == m), key=lambda r: r["delta_n"])
        entry: dict[str, Any] = {"model": m, "style": styles[m],
                                 "delta_n": [int(r["delta_n"]) for r in rs],
                                 "per_1k_mean": [_num(r.get("gain_per_1k")) for r in rs],
                                 "gain_mean": [_num(r.get("gain_mean")) for r in rs],
                                 "p_gain_positive": [_num(r.get("p_gain_positive"))
                                                     for r in rs]}
        for q in ("q05", "q25", "q50", "q75", "q95"):
            entry[f"per_1k_{q}"] = [
                None if r.get(f"gain_{q}") is None
                else _num(1000.0 * float(r[f"gain_{q}"]) / float(r["delta_n"])) for r in rs]
        out.append(entry)
    return {"metric": metric, "current_n": int(marginal.get("current_n") or 0),
            "models": out, "break_even_per_1k": _num(break_even_per_1k),
            "break_even_note": break_even_note,
            "xlabel": "added labels ΔN (log scale)",
            "ylabel": f"expected gain per 1,000 added labels ({metric}, {metric_unit(metric)})"}


def _pareto(costs: Sequence[float], values: Sequence[float]) -> list[bool]:
    """Efficient frontier: no other option costs less or the same and is better."""
    order = sorted(range(len(costs)), key=lambda i: (costs[i], -values[i]))
    best = -math.inf
    on = [False] * len(costs)
    for i in order:
        if values[i] > best + 1e-12:
            on[i] = True
            best = values[i]
    return on


def cost_frontier_info(options: Mapping[str, Any], *, chosen_id: str | None = None,
                            excluded: Sequence[str] = (),
                            best: float | None = None) -> dict[str, Any]:
    """Numbers of the cost-vs-expected-metric chart from ``OptionSet.to_dict()``.

    Each option's expected metric is today's plus its expected gain (in the metric's
    direction), with the 5–95 % range of its gain (clipped at the metric's ``best``
    possible value, e.g. 1.0 for accuracy); the efficient frontier (options no
    cheaper-or-equal option beats) is marked, as are the chosen and excluded options.

    Example:
        >>> opts = {"metric": "accuracy", "higher_is_better": True, "today": 0.9,
        ...         "options": [
        ...     {"option_id": "a+0", "label": "keep", "model": "a", "delta_n": 0,
        ...      "cost_usd": 0.0, "gain_mean": 0.0, "gain_q05": 0.0, "gain_q95": 0.0},
        ...     {"option_id": "a+100", "label": "label", "model": "a", "delta_n": 100,
        ...      "cost_usd": 50.0, "gain_mean": 0.01, "gain_q05": 0.0, "gain_q95": 0.02},
        ...     {"option_id": "b+0", "label": "switch", "model": "b", "delta_n": 0,
        ...      "cost_usd": 80.0, "gain_mean": 0.005, "gain_q05": -0.01, "gain_q95": 0.02}]}
        >>> info = cost_frontier_info(opts, chosen_id="a+100")
        >>> [o["on_frontier"] for o in info["options"]]
        [True, True, False]
    """
    metric = str(options.get("metric", ""))
    hib = bool(options.get("higher_is_better", True))
    sign = 1.0 if hib else -1.0
    today = float(options.get("today") or 0.0)
    opts = [o for o in options.get("options", ()) if _num(o.get("cost_usd")) is not None
            and _num(o.get("gain_mean")) is not None]
    costs = [float(o["cost_usd"]) for o in opts]
    gains = [float(o["gain_mean"]) for o in opts]
    frontier = _pareto(costs, gains)
    models = list(dict.fromkeys(o["model"] for o in opts))
    styles = model_styles(models)
    excl = set(excluded)

    def bound(v: float) -> float:
        if best is None:
            return v
        return min(v, best) if hib else max(v, best)

    rows = []
    for o, on in zip(opts, frontier, strict=True):
        q05, q95 = _num(o.get("gain_q05")), _num(o.get("gain_q95"))
        ends = [bound(today + sign * q) for q in (q05, q95) if q is not None]
        lo, hi = (min(ends), max(ends)) if len(ends) == 2 else (None, None)
        rows.append({
            "option_id": o["option_id"], "label": o.get("label", o["option_id"]),
            "model": o["model"], "delta_n": int(o.get("delta_n") or 0),
            "cost_usd": float(o["cost_usd"]),
            "expected": bound(today + sign * float(o["gain_mean"])),
            "low": lo, "high": hi,
            "on_frontier": on, "chosen": o["option_id"] == chosen_id,
            "excluded": o["option_id"] in excl,
        })
    return {"metric": metric, "higher_is_better": hib, "today": today, "options": rows,
            "models": models, "styles": styles,
            "xlabel": "total cost of the option (USD: labels + compute + engineering)",
            "ylabel": f"expected {metric_axis_label(metric, hib)}"}
