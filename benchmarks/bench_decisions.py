"""Decisions on data dataroi never saw: the regret of its recommendation on the curve
corpus, against the simple rules a user would otherwise apply, in the same run.

For every corpus data set (``benchmarks/corpus``) and cut N in {256, 512, 1024, 2048}
(where 4N was measured), dataroi sees only the trials at sizes <= N and recommends among
every learner × added labels at the measured totals (N, 2N, 4N, 8N, 16N: a budget up to
16N labels). The current model is the best today or a fixed simple one (logistic
regression). Three cost scenarios price a label at $0.10, $1 or $5; an accuracy point
(0.01) is worth $2,000 and switching models costs $500. The realized net value of an
option comes from the measured means (all repeats) at its total size; regret = the best
option in hindsight minus the chosen one.

Compared on the same options, in the same run:

* ``stay`` — keep the current model, buy nothing;
* ``best_today`` — switch to today's best model, buy nothing;
* ``pow3`` — a power law ``acc = a - b n^-c`` fitted to each learner's means (scipy),
  anchored at today's mean; the option with the largest predicted net value;
* ``last_gain`` — the next doubling gains what the last one did, each further doubling
  half of the one before; the largest predicted net value;
* ``dataroi`` — this checkout's recommendation (``dataroi.analyze(...).recommend()``),
  followed as a policy: when its first step is the staged plan, label N more, take the
  curves measured at 2N and ask again;
* ``dataroi_oneshot`` — the option it would choose if it had to decide now;
* ``dataroi@P`` — the same policy with ``decision.max_p_loss`` P (the sweep), and
  ``dataroi_cv`` — P chosen per fold of data sets on the other folds (the lowest regret
  among the settings whose decisions that spend lose money in at most 5 % of cases, the
  issue's target; the fewest losses when none does);
* ``dataroi_main`` — the recommendation of ``--baseline-rev`` (main before the decisions
  work), run from that revision's code in a subprocess.

Printed, per method and grouped by data set (each data set weighs the same; 90 %
intervals from resampling data sets): mean regret and its difference to the baselines,
the share of best-in-hindsight choices, the share of money-spending decisions that lose
money, the calibration of dataroi's stated P(net > 0) in bins; and the extrapolation
error (MAE, bias, 50/90 % coverage at 2x-16x) of dataroi's curves against pow3, vap3,
last1 and last-gain, with the median width of the 90 % intervals beside a split-conformal
band's (pow3 residuals of the other data sets).

Anything learned from the corpus is evaluated by leave-data-set-out folds: each held-out
fold is analysed with the gain model learned without it (``--gain-folds``) and its
stated P(net > 0) calibrated by the map learned without it (``--p-calibration-folds``,
``learn_p_calibration.py``; ``--no-p-calibration``: the model's probabilities).

Run (GAIN: ``learn_gain_model.py --folds-out``; PCAL: ``learn_p_calibration.py
--folds-out``, learned from a ``--no-p-calibration`` run; docs/decisions.md)::

    python benchmarks/bench_decisions.py --jobs 2 --gain-folds GAIN --p-calibration-folds PCAL
    python benchmarks/bench_decisions.py --jobs 2 --no-baseline-rev --gain-folds GAIN \
        --p-calibration-folds PCAL                                  # ~38 min on 2 cores
    python benchmarks/bench_decisions.py --datasets digits,flights --no-baseline-rev \
        --gain-folds GAIN --no-p-calibration

A study of 2 repeats (dataroi and the rules see repeats 0-1; the truth stays the mean of
all five), with today's paired spread pooled (the default) or not (``--paired-df 1``),
the default policy only (docs/decisions.md, "A study of 2 repeats"; ~40 min each)::

    python benchmarks/bench_decisions.py --jobs 2 --no-baseline-rev --no-p-calibration \
        --gain-folds GAIN --repeats 2 --no-sweep [--paired-df 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE / "corpus")]

from load import load_curves, load_manifest  # noqa: E402

from _gainfolds import gain_folds  # noqa: E402

CUTS = (256, 512, 1024, 2048)
FACTORS = (2, 4, 8, 16)
SCENARIOS = {"cheap": 0.10, "mid": 1.0, "dear": 5.0}
VALUE_PER_POINT = 2000.0
SWITCH_USD = 500.0
POINT = 0.01
SIMPLE = "logreg"
METRIC = "accuracy"
DEFAULT_BASELINE_REV = "8f6a048"
#: decision.max_p_loss values tried (the default is chosen among them by leave-data-set-out
#: regret: ``dataroi_cv``)
P_LOSS_GRID = (1.0, 0.5, 0.4, 0.35, 0.3, 0.25, 0.2, 0.1)
#: ``dataroi_cv`` takes the lowest regret on the other folds among the settings whose
#: decisions that spend lose money in at most this share (the issue's target)
CV_MAX_LOSS = 0.05


@dataclass(frozen=True)
class Unit:
    """One (data set, cut): the trials dataroi may see and what was measured later."""

    dataset: str
    n0: int
    deltas: tuple[int, ...]


def units(frame: pd.DataFrame, datasets: list[str] | None) -> list[Unit]:
    out = []
    acc = frame[frame["metric"] == METRIC]
    for ds, g in acc.groupby("dataset"):
        if datasets and ds not in datasets:
            continue
        largest = int(g.groupby("learner")["n_train"].max().min())
        for n0 in CUTS:
            if 4 * n0 > largest:
                continue
            deltas = tuple(k * n0 - n0 for k in FACTORS if k * n0 <= largest)
            out.append(Unit(str(ds), n0, deltas))
    return out


def measured_means(frame: pd.DataFrame) -> dict[tuple[str, str, int], float]:
    acc = frame[frame["metric"] == METRIC]
    means = acc.groupby(["dataset", "learner", "n_train"])["value"].mean()
    return {(d, lr, int(n)): float(v) for (d, lr, n), v in means.items()}


def seen_repeats(frame: pd.DataFrame, repeats: int | None) -> pd.DataFrame:
    """The trials of the first ``repeats`` repeats (all when None): what a study of that
    many repeats would have measured; the truth stays the mean of every repeat."""
    return frame if repeats is None else frame[frame["repeat"] < repeats]


def _trials(frame: pd.DataFrame, unit: Unit) -> pd.DataFrame:
    sub = frame[(frame["dataset"] == unit.dataset) & (frame["n_train"] <= unit.n0)]
    return (sub.rename(columns={"learner": "model"}).drop(columns=["dataset"])
            .assign(state="complete").reset_index(drop=True))


def _current_models(means: dict, unit: Unit, learners: list[str]) -> dict[str, str]:
    today = {lr: means[(unit.dataset, lr, unit.n0)] for lr in learners}
    best = max(today, key=lambda lr: today[lr])
    out = {"best_today": best}
    if SIMPLE in learners:
        out["simple"] = SIMPLE
    return out


# ---------------------------------------------------------------- dataroi's decisions
def dataroi_unit(args: tuple[Any, ...]) -> dict[str, Any]:
    """dataroi's choice for every (current model, scenario) of a unit, and its curves'
    predictions at the measured totals (for the extrapolation table).

    ``ablate``: ``{"repeats": K}`` shows dataroi the first K repeats only (the current
    models and the truth stay those of every repeat); ``{"paired_df": D}`` sets
    ``dataroi.value._curves.MIN_PAIRED_DF`` in this worker (1: today's spread is never
    pooled with the sizes below); ``{"no_sweep": True}`` skips the max_p_loss sweep."""
    corpus_path, unit, draws, curves, p_cal, *rest = args
    ablate: dict[str, Any] = rest[0] if rest else {}
    import dataroi

    if "paired_df" in ablate:
        import dataroi.value._curves as study_curves

        study_curves.MIN_PAIRED_DF = int(ablate["paired_df"])
    warnings.simplefilter("ignore")
    full = load_curves(corpus_path)
    frame = seen_repeats(full, ablate.get("repeats"))
    trials = _trials(frame, unit)
    learners = sorted(trials["model"].unique())
    means = measured_means(full)
    # ``curves``: the gain model learned without this data set's fold, or "fitted";
    # None in the subprocess of --baseline-rev (its code has no such parameter)
    kw: dict[str, Any] = {} if curves is None else {"curves": curves}
    if p_cal is not None:  # the fold's calibration of P(net > 0), or "none"
        kw["p_calibration"] = p_cal
    analysis = dataroi.analyze(trials, metric=METRIC, n_draws=draws, random_state=0, **kw)
    choices = {}
    later: dict[int, Any] = {}  # the analyses at the sizes a staged plan re-measures
    for role, cur in _current_models(means, unit, learners).items():
        for scen, price in SCENARIOS.items():
            costs = {"price_per_label_usd": price, "value_per_point_usd": VALUE_PER_POINT,
                     "engineering_cost_usd": SWITCH_USD}
            rec = analysis.recommend(costs=costs, current_model=cur, add=list(unit.deltas),
                                     grid=())
            c = rec.chosen
            choice = {"model": c.model, "delta": int(c.delta_n),
                      "p_net_positive": getattr(c, "p_net_positive", None),
                      "net_mean": c.net_mean_usd,
                      "by_p_loss": None if ablate.get("no_sweep") else _p_loss_sweep(
                          rec, analysis, frame, unit, cur, costs, draws, kw, later),
                      "oneshot": {"model": c.model, "delta": int(c.delta_n)}, "stages": 0}
            staged = getattr(rec, "staged", None)
            if staged is not None and staged.recommended:
                m, delta, stages = _follow_staged(frame, unit, cur, costs, draws, kw,
                                                  later)
                choice |= {"model": m, "delta": delta, "stages": stages,
                           "p_net_positive": staged.p_net_positive}
            choices[f"{role}|{scen}"] = choice
    preds = {}
    curves = analysis.curves
    for lr in learners:
        totals = [unit.n0 + d for d in unit.deltas]
        dr = curves.draws(lr, totals, draws)
        preds[lr] = {"n": totals, "mean": dr.mean(axis=0).tolist(),
                     "median": np.median(dr, axis=0).tolist(),
                     **{f"q{int(q * 100):02d}": np.quantile(dr, q, axis=0).tolist()
                        for q in (0.05, 0.25, 0.75, 0.95)}}
    return {"dataset": unit.dataset, "n0": unit.n0, "choices": choices, "preds": preds}


def _decide_at(rec: Any, analysis: Any, draws: int, max_p_loss: float | None
               ) -> tuple[Any, Any]:
    """The plan and staged plan of ``rec``'s options under ``max_p_loss`` (None: off),
    as :func:`dataroi.decide.decide` makes them (the options' probabilities already
    calibrated, the staged plan's calibrated by the analysis' map), without evaluating
    the options again."""
    from dataroi.decide import plan_budget, plan_staged
    from dataroi.spec import GuardrailSpec

    plan = plan_budget(rec.options, rule=rec.plan.rule, guardrails=GuardrailSpec(),
                       max_p_loss=max_p_loss)
    return plan, plan_staged(analysis.curves, rec.options, plan, n_outer=draws,
                             max_p_loss=max_p_loss, calibration=analysis.p_calibration)


def _follow_staged(frame: pd.DataFrame, unit: Unit, cur: str, costs: dict[str, Any],
                   draws: int, kw: dict[str, Any], analyses: dict[int, Any],
                   max_p_loss: Any = ...) -> tuple[str, int, int]:
    """The staged plan as a policy: label today's N again, re-analyse on the trials
    measured up to 2N (the corpus measured them), decide there among the totals the
    unit offers (under ``max_p_loss``: None is off; ``...``, the engine's default), and
    stage again while dataroi says so. Returns
    the final (model, labels added since the unit's N) and the number of
    re-measurements. ``analyses`` keeps the analysis of each size (the same trials for
    every current model and scenario)."""
    import dataroi

    totals = [unit.n0 + d for d in unit.deltas]
    at, stages = 2 * unit.n0, 1
    while True:
        if at not in analyses:
            analyses[at] = dataroi.analyze(_trials(frame, Unit(unit.dataset, at, ())),
                                           metric=METRIC, n_draws=draws, random_state=0,
                                           **kw)
        more = [t - at for t in totals if t > at]
        rec = analyses[at].recommend(costs=costs, current_model=cur, add=more, grid=())
        # the same setting at every stage (the recommendation carries the default's)
        plan, staged = ((rec.plan, rec.staged) if max_p_loss is ... else
                        _decide_at(rec, analyses[at], draws, max_p_loss))
        if staged is not None and staged.recommended and 2 * at in totals:
            at, stages = 2 * at, stages + 1
            continue
        return plan.chosen.model, at + int(plan.chosen.delta_n) - unit.n0, stages


def _p_loss_sweep(rec: Any, analysis: Any, frame: pd.DataFrame, unit: Unit, cur: str,
                  costs: dict[str, Any], draws: int, kw: dict[str, Any],
                  later: dict[int, Any]) -> dict[str, Any] | None:
    """dataroi's policy (deciding now, or the staged plan followed on the measured
    curve) for each max_p_loss of :data:`P_LOSS_GRID`, on the same options (None for an
    engine without the setting)."""
    try:
        out = {}
        for v in P_LOSS_GRID:
            lim = None if v >= 1 else v
            plan, staged = _decide_at(rec, analysis, draws, lim)
            c = plan.chosen
            entry = {"model": c.model, "delta": int(c.delta_n),
                     "p_net_positive": c.p_net_positive, "stages": 0}
            if staged is not None and staged.recommended:
                m, delta, stages = _follow_staged(frame, unit, cur, costs, draws, kw,
                                                  later, lim)
                entry |= {"model": m, "delta": delta, "stages": stages,
                          "p_net_positive": staged.p_net_positive}
            out[str(v)] = entry
        return out
    except (TypeError, ImportError, AttributeError):  # an engine without max_p_loss
        return None


def run_dataroi(corpus_path: str, todo: list[Unit], jobs: int, draws: int,
                curves: dict[str, str] | str | None = None,
                p_cal: dict[str, str] | str | None = None,
                ablate: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """dataroi's choices per unit; ``curves``: data set → its fold's gain model file, or
    one value for every unit (``"fitted"``), or None (the engine's default); ``p_cal``
    the same for the calibration of P(net > 0) (``"none"``: off); ``ablate``: see
    :func:`dataroi_unit`."""
    def pick(what: dict[str, str] | str | None, u: Unit) -> str | None:
        return what.get(u.dataset) if isinstance(what, dict) else what

    args = [(corpus_path, u, draws, pick(curves, u), pick(p_cal, u), ablate or {})
            for u in todo]
    if jobs <= 1:
        return [dataroi_unit(a) for a in args]
    with ProcessPoolExecutor(jobs) as pool:
        return list(pool.map(dataroi_unit, args, chunksize=1))


def run_baseline_rev(rev: str, corpus_path: str, todo: list[Unit], jobs: int, draws: int,
                     workdir: Path, repeats: int | None = None) -> list[dict[str, Any]]:
    """dataroi's choices with the code of ``rev`` (a git archive, in a subprocess),
    shown the same repeats as this run's."""
    src = workdir / f"dataroi-{rev}"
    if not (src / "src" / "dataroi").exists():
        src.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    out = workdir / f"choices-{rev}.json"
    units_arg = ",".join(f"{u.dataset}:{u.n0}" for u in todo)
    env = dict(os.environ, PYTHONPATH=str(src / "src"))
    subprocess.run([sys.executable, __file__, "--engine-only", str(out), "--corpus",
                    corpus_path, "--units", units_arg, "--jobs", str(jobs), "--draws",
                    str(draws), *(["--repeats", str(repeats)] if repeats else [])],
                   env=env, check=True)
    return json.loads(out.read_text())


# ---------------------------------------------------------------- the simple rules
def _pow3_fit(sizes: np.ndarray, acc: np.ndarray) -> Any:
    """``acc = a - b n^-c`` fitted by scipy to the means (None when it fails)."""
    from scipy.optimize import curve_fit

    def f(n: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
        return a - b * np.power(n, -c)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p, _ = curve_fit(f, sizes, acc, p0=(min(1.0, acc[-1] + 0.05), 1.0, 0.5),
                             bounds=([0, 0, 0], [1.5, np.inf, 3]), maxfev=5000)
        return lambda n: f(np.asarray(n, float), *p)
    except Exception:
        return None


def _vap3_fit(sizes: np.ndarray, acc: np.ndarray) -> Any:
    """``err = exp(a + b/n + c log n)`` (LCDB's vap3) fitted to the error rates."""
    from scipy.optimize import curve_fit

    err = np.clip(1.0 - acc, 1e-6, 1.0)

    def f(n: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
        return a + b / n + c * np.log(n)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p, _ = curve_fit(f, sizes, np.log(err), p0=(0.0, 0.0, -0.2), maxfev=5000)
        return lambda n: 1.0 - np.exp(f(np.asarray(n, float), *p))
    except Exception:
        return None


def rule_gains(frame: pd.DataFrame, unit: Unit, learner: str) -> dict[str, np.ndarray]:
    """Each simple rule's predicted gain (over the learner's mean today) at the unit's
    totals."""
    sub = frame[(frame["dataset"] == unit.dataset) & (frame["learner"] == learner)
                & (frame["metric"] == METRIC) & (frame["n_train"] <= unit.n0)]
    means = sub.groupby("n_train")["value"].mean().sort_index()
    sizes, acc = means.index.to_numpy(float), means.to_numpy(float)
    totals = np.array([unit.n0 + d for d in unit.deltas], float)
    today = acc[-1]
    out = {"last1": np.zeros(len(totals))}
    for name, fitter in (("pow3", _pow3_fit), ("vap3", _vap3_fit)):
        fn = fitter(sizes, acc)
        out[name] = (fn(totals) - fn(np.array([unit.n0], float))[0]) if fn else out["last1"]
    last = today - acc[-2] if len(acc) >= 2 else 0.0
    k = np.log2(totals / unit.n0)
    out["last_gain"] = np.array([last * (2 - 2 ** (1 - kk)) for kk in k])
    return out


def _pick(nets: dict[tuple[str, int], float], costs: dict[tuple[str, int], float]
          ) -> tuple[str, int]:
    """The largest net value; ties go to the cheaper option."""
    return max(nets, key=lambda o: (round(nets[o], 9), -costs[o]))


# ---------------------------------------------------------------- evaluation
def evaluate(frame: pd.DataFrame, todo: list[Unit], results: dict[str, list[dict]],
             seen: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per decision: every method's choice, realized net and regret; per prediction:
    the measured mean and each predictor's value. The simple rules see ``seen`` (the
    repeats dataroi saw; default every repeat), the truth is the mean of ``frame``."""
    seen = frame if seen is None else seen
    means = measured_means(frame)
    by_unit = {name: {(r["dataset"], r["n0"]): r for r in rs} for name, rs in results.items()}
    rows, preds = [], []
    for u in todo:
        learners = sorted(frame.loc[frame["dataset"] == u.dataset, "learner"].unique())
        gains = {lr: rule_gains(seen, u, lr) for lr in learners}
        today = {lr: means[(u.dataset, lr, u.n0)] for lr in learners}
        main = by_unit["dataroi"][(u.dataset, u.n0)]
        for lr in learners:
            p = main["preds"][lr]
            for j, d in enumerate(u.deltas):
                truth = means[(u.dataset, lr, u.n0 + d)]
                preds.append({
                    "dataset": u.dataset, "learner": lr, "n0": u.n0, "factor": (u.n0 + d) // u.n0,
                    "truth": truth, "today": today[lr],
                    "dataroi": p["median"][j], "dataroi_mean": p["mean"][j],
                    **{f"dataroi_{q}": p[q][j] for q in ("q05", "q25", "q75", "q95")},
                    **{r: today[lr] + gains[lr][r][j] for r in ("pow3", "vap3", "last1",
                                                                 "last_gain")}})
        for role, cur in _current_models(means, u, learners).items():
            for scen, price in SCENARIOS.items():
                options = [(lr, 0) for lr in learners] + [(lr, d) for lr in learners
                                                          for d in u.deltas]
                cost = {o: price * o[1] + (SWITCH_USD if o[0] != cur else 0.0)
                        for o in options}
                real = {o: VALUE_PER_POINT * (means[(u.dataset, o[0], u.n0 + o[1])]
                                              - today[cur]) / POINT - cost[o]
                        for o in options}
                best = max(real.values())
                chosen: dict[str, tuple[str, int]] = {
                    "stay": (cur, 0),
                    "best_today": (max(today, key=lambda lr: today[lr]), 0)}
                for rule in ("pow3", "last_gain"):
                    pred = {o: VALUE_PER_POINT * (today[o[0]] - today[cur]
                                                   + (gains[o[0]][rule][u.deltas.index(o[1])]
                                                      if o[1] else 0.0)) / POINT - cost[o]
                            for o in options}
                    chosen[rule] = _pick(pred, cost)
                stated, stages = {}, {}
                for name in results:
                    c = by_unit[name][(u.dataset, u.n0)]["choices"][f"{role}|{scen}"]
                    chosen[name] = (c["model"], int(c["delta"]))
                    stated[name] = c.get("p_net_positive")
                    stages[name] = int(c.get("stages", 0))
                    if name == "dataroi" and c.get("oneshot"):
                        chosen["dataroi_oneshot"] = (c["oneshot"]["model"],
                                                     int(c["oneshot"]["delta"]))
                        stated["dataroi_oneshot"] = None
                    if name == "dataroi" and c.get("by_p_loss"):
                        for v, cv in c["by_p_loss"].items():
                            chosen[f"dataroi@{v}"] = (cv["model"], int(cv["delta"]))
                            stated[f"dataroi@{v}"] = cv.get("p_net_positive")
                            stages[f"dataroi@{v}"] = int(cv.get("stages", 0))
                for method, o in chosen.items():
                    rows.append({
                        "dataset": u.dataset, "n0": u.n0, "current": role, "scenario": scen,
                        "method": method, "model": o[0], "delta": o[1], "cost": cost[o],
                        "net": real[o], "regret": best - real[o], "best": best,
                        "best_chosen": real[o] >= best - 1e-9,
                        "p_net_positive": stated.get(method),
                        "stages": stages.get(method, 0)})
    return pd.DataFrame(rows), pd.DataFrame(preds)


def cross_validated(dec: pd.DataFrame, fold_of: dict[str, str]) -> pd.DataFrame:
    """``dataroi_cv``: for each fold of data sets, dataroi with the max_p_loss of
    :data:`P_LOSS_GRID` chosen on the other folds: the lowest mean regret (data sets
    weigh the same) among the settings whose decisions that spend lose money in at most
    :data:`CV_MAX_LOSS` of cases (the issue asks for both; the fewest losses when no
    setting is that safe). Prints the value each fold chose."""
    sweep = dec[dec["method"].str.startswith("dataroi@")]
    if sweep.empty:
        return dec
    folds = dec["dataset"].map(fold_of).fillna("?")
    rows = []
    for f in sorted(folds.unique()):
        other = sweep[folds[sweep.index] != f]
        if other.empty:  # one fold only (--datasets): nothing to choose on
            continue
        per = other.groupby(["method", "dataset"])["regret"].mean().groupby(level=0).mean()
        spend = other[other["cost"] > 0]
        lost = (spend["net"] < 0).groupby(spend["method"]).mean()
        lost = lost.reindex(per.index).fillna(0.0)  # a setting that never spends
        safe = lost[lost <= CV_MAX_LOSS].index
        pick = per[safe].idxmin() if len(safe) else lost.idxmin()
        held = sweep[(sweep["method"] == pick) & (folds[sweep.index] == f)]
        rows.append(held.assign(method="dataroi_cv", p_loss=pick.split("@")[1]))
    if not rows:
        return dec
    cv = pd.concat(rows)
    picks = cv.groupby("dataset")["p_loss"].first().value_counts().to_dict()
    print(f"dataroi_cv: max_p_loss chosen on the other folds (data sets per value): {picks}")
    return pd.concat([dec, cv.drop(columns=["p_loss"])], ignore_index=True)


def _boot(values: pd.Series, groups: pd.Series, stat: Any = np.mean, n: int = 2000,
          seed: int = 0) -> tuple[float, float, float]:
    """The mean over data sets of the per-data-set means, and a 90 % interval from
    resampling data sets."""
    per = values.groupby(groups).mean()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(per), size=(n, len(per)))
    boots = np.asarray(per)[idx].mean(axis=1)
    return float(per.mean()), float(np.quantile(boots, 0.05)), float(np.quantile(boots, 0.95))


def paired_with(dec: pd.DataFrame, earlier: pd.DataFrame) -> None:
    """This run's regret minus an earlier run's (its ``decisions.csv``) on the same
    decisions, per method both hold: data sets weigh the same, a 90 % interval from
    resampling data sets, and how many decisions changed."""
    key = ["dataset", "n0", "current", "scenario", "method"]
    both = dec.merge(earlier, on=key, suffixes=("", "_then"))
    print("\nthis run - the earlier one (paired decisions; negative: this run better):")
    for m, d in both.groupby("method", sort=False):
        diff, lo, hi = _boot(d["regret"] - d["regret_then"], d["dataset"])
        now = d.groupby("dataset")["regret"].mean().mean()
        then = d.groupby("dataset")["regret_then"].mean().mean()
        moved = (d["model"] != d["model_then"]) | (d["delta"] != d["delta_then"])
        print(f"  {m:16s} ${now:,.0f} against ${then:,.0f}: {diff:+,.0f} [{lo:+,.0f}, "
              f"{hi:+,.0f}]; {int(moved.sum()):,} of {len(d):,} decisions changed on "
              f"{d.loc[moved, 'dataset'].nunique()} data sets")


def report(dec: pd.DataFrame, pred: pd.DataFrame, methods: list[str]) -> None:
    print(f"\n{dec['dataset'].nunique()} data sets, {len(dec) // len(methods)} decisions "
          f"each for {len(methods)} methods; values per data set averaged, data sets "
          "weigh the same; [90 % interval from resampling data sets]")
    print("\nmean regret ($) | best chosen | money spent and lost (share of decisions "
          "that spend)")
    for m in methods:
        d = dec[dec["method"] == m]
        reg = _boot(d["regret"], d["dataset"])
        best = _boot(d["best_chosen"].astype(float), d["dataset"])
        spend = d[d["cost"] > 0]
        lost = (spend["net"] < 0).mean() if len(spend) else float("nan")
        print(f"  {m:13s} ${reg[0]:8,.0f} [{reg[1]:,.0f}, {reg[2]:,.0f}] | "
              f"{best[0]:.0%} | {lost:.1%} of {len(spend)}")
    staged = dec[(dec["method"] == "dataroi") & (dec["stages"] > 0)]
    if len(staged):
        one = dec[dec["method"] == "dataroi_oneshot"].set_index(
            ["dataset", "n0", "current", "scenario"])["regret"]
        st = staged.set_index(["dataset", "n0", "current", "scenario"])["regret"]
        print(f"\nstaged plans followed in {len(staged)} of "
              f"{(dec['method'] == 'dataroi').sum()} decisions ({staged['stages'].mean():.1f} "
              f"re-measurements on average): their regret ${st.mean():,.0f} against "
              f"${one.loc[st.index].mean():,.0f} deciding at once (same decisions)")
    if "dataroi" in methods:
        base = dec[dec["method"] == "dataroi"].set_index(
            ["dataset", "n0", "current", "scenario"])["regret"]
        print("\nregret difference dataroi - other (negative: dataroi better):")
        for m in methods:
            if m == "dataroi":
                continue
            other = dec[dec["method"] == m].set_index(
                ["dataset", "n0", "current", "scenario"])["regret"]
            diff = (base - other).reset_index()
            mean, lo, hi = _boot(diff["regret"], diff["dataset"])
            ratio = base.groupby(level=0).mean().mean() / max(
                other.groupby(level=0).mean().mean(), 1e-9)
            print(f"  vs {m:13s} {mean:+9,.0f} [{lo:+,.0f}, {hi:+,.0f}]  ratio "
                  f"{ratio:.2f}")
    for who in ("dataroi", "dataroi_cv"):
        stated = dec[(dec["method"] == who) & dec["p_net_positive"].notna()
                     & (dec["cost"] > 0)]
        if len(stated):
            print(f"\ncalibration of {who}'s stated P(net > 0) (decisions that spend):")
            bins = [0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001]
            cut = pd.cut(stated["p_net_positive"].astype(float), bins, right=False)
            for b, g in stated.groupby(cut, observed=True):
                print(f"  {b!s:14s} stated {g['p_net_positive'].mean():.2f}, realized "
                      f"{(g['net'] > 0).mean():.2f} ({len(g)} decisions)")
    print("\nextrapolation of accuracy at 2x-16x (|predicted - measured mean|; "
          "grouped by data set):")
    cols = ["dataroi", "pow3", "vap3", "last1", "last_gain"]
    for k in sorted(pred["factor"].unique()):
        p = pred[pred["factor"] == k]
        parts = []
        for c in cols:
            err = p[c] - p["truth"]
            mae = _boot(err.abs(), p["dataset"])
            parts.append(f"{c} {mae[0]:.4f}")
        bias = _boot(p["dataroi"] - p["truth"], p["dataset"])[0]
        in50 = ((p["dataroi_q25"] <= p["truth"]) & (p["truth"] <= p["dataroi_q75"])).mean()
        in90 = ((p["dataroi_q05"] <= p["truth"]) & (p["truth"] <= p["dataroi_q95"])).mean()
        width = float((p["dataroi_q95"] - p["dataroi_q05"]).median())
        conf = _conformal_width(p)
        mae_d = _boot((p["dataroi"] - p["truth"]).abs(), p["dataset"])[0]
        mae_p = _boot((p["pow3"] - p["truth"]).abs(), p["dataset"])[0]
        print(f"  {k:2d}x ({len(p)} predictions): MAE {', '.join(parts)}; dataroi/pow3 "
              f"{mae_d / mae_p:.2f}; dataroi bias {bias:+.4f}; coverage 50 % {in50:.0%}, "
              f"90 % {in90:.0%}; median 90 % width {width:.4f} (conformal pow3 band "
              f"{conf:.4f})")


def sweep_table(dec: pd.DataFrame) -> None:
    """Regret and money lost for each max_p_loss (every data set; the choice among them
    is ``dataroi_cv``'s)."""
    sweep = dec[dec["method"].str.startswith("dataroi@")]
    if sweep.empty:
        return
    print("\nmax_p_loss sweep (the policy: deciding now or the staged plan followed; all "
          "data sets; in-sample):")
    for m, d in sweep.groupby("method", sort=False):
        reg = _boot(d["regret"], d["dataset"])
        spend = d[d["cost"] > 0]
        lost = (spend["net"] < 0).mean() if len(spend) else float("nan")
        print(f"  {m.split('@')[1]:>5s}: regret ${reg[0]:,.0f} [{reg[1]:,.0f}, "
              f"{reg[2]:,.0f}], spends in {len(spend)}, loses money in {lost:.1%} of them")


def _conformal_width(p: pd.DataFrame) -> float:
    """Median width of a split-conformal 90 % band around pow3: for each data set, the
    90 % quantile of |pow3 residuals| over the other data sets, doubled."""
    res = (p["pow3"] - p["truth"]).abs()
    widths = []
    for ds in p["dataset"].unique():
        other = res[p["dataset"] != ds]
        if len(other):
            widths.append(2 * float(np.quantile(other, 0.9)))
    return float(np.median(widths)) if widths else float("nan")


def p_calibration_folds(args: argparse.Namespace) -> dict[str, str] | str:
    """Data set → the P(net > 0) calibration learned without its fold, or ``"none"``.
    The shipped calibration was learned on every corpus data set: the benchmark never
    uses it (it would judge decisions on the data it was learned from)."""
    if args.no_p_calibration:
        print("P(net > 0): the model's, uncalibrated (--no-p-calibration)")
        return "none"
    folder = args.p_calibration_folds
    if folder is None or not (folder / "folds.json").exists():
        raise SystemExit("give --p-calibration-folds DIR (learn_p_calibration.py "
                         "--folds-out) or --no-p-calibration")
    index = json.loads((folder / "folds.json").read_text())
    print(f"P(net > 0): calibrated per fold, without the held-out data sets ({folder})")
    return {d: str(folder / name) for d, name in index.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--datasets", help="comma-separated subset of the corpus")
    ap.add_argument("--corpus", default=str(HERE / "corpus" / "curves.parquet"))
    ap.add_argument("--baseline-rev", default=DEFAULT_BASELINE_REV,
                    help="git revision of 'dataroi of main before the decisions work'")
    ap.add_argument("--no-baseline-rev", action="store_true")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--gain-folds", type=Path,
                    help="folder of learn_gain_model.py --folds-out (default: learn now)")
    ap.add_argument("--lcdb", help="LCDB's database-accuracy.csv, to learn the folds with")
    ap.add_argument("--p-calibration-folds", type=Path,
                    help="folder of learn_p_calibration.py --folds-out (P(net > 0) "
                         "calibrated without each data set's fold)")
    ap.add_argument("--no-p-calibration", action="store_true",
                    help="the model's P(net > 0), uncalibrated (what learn_p_calibration.py "
                         "learns from)")
    ap.add_argument("--also-fitted", action="store_true",
                    help="also run dataroi with the fitted curve families only")
    ap.add_argument("--repeats", type=int, default=None,
                    help="show dataroi and the rules the first K repeats only (the truth "
                         "stays the mean of every repeat): a study of K repeats")
    ap.add_argument("--paired-df", type=int, default=None,
                    help="ablation: dataroi.value._curves.MIN_PAIRED_DF in the workers "
                         "(1: today's paired spread never pooled with the sizes below)")
    ap.add_argument("--no-sweep", action="store_true",
                    help="skip the max_p_loss sweep (and dataroi_cv): the default policy only")
    ap.add_argument("--paired-with", type=Path, default=None,
                    help="an earlier run's decisions.csv: print this run's regret minus "
                         "its on the same decisions (a change's effect)")
    ap.add_argument("--engine-only", help=argparse.SUPPRESS)
    ap.add_argument("--units", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.repeats is not None and not 2 <= args.repeats <= 5:
        ap.error("--repeats: between 2 and the corpus's 5 (one repeat has no spread)")
    frame = load_curves(args.corpus)
    if args.engine_only:  # the subprocess of --baseline-rev: dataroi's choices only
        wanted = [tuple(x.split(":")) for x in args.units.split(",")]
        everything = {(u.dataset, u.n0): u for u in units(frame, None)}
        todo = [everything[(d, int(n))] for d, n in wanted]
        out = run_dataroi(args.corpus, todo, args.jobs, args.draws,
                          ablate={"repeats": args.repeats} if args.repeats else None)
        Path(args.engine_only).write_text(json.dumps(out))
        return 0
    datasets = args.datasets.split(",") if args.datasets else None
    todo = units(frame, datasets)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-decisions-"))
    workdir.mkdir(parents=True, exist_ok=True)
    kinds = load_manifest().set_index("dataset")["kind"].to_dict()
    sets = {u.dataset for u in todo}
    print(f"{len(todo)} (data set, cut) units on {len(sets)} data sets "
          f"({sum(kinds[d] == 'text' for d in sets)} text, "
          f"{sum(kinds[d] == 'image' for d in sets)} image); work folder {workdir}")
    folds = gain_folds(workdir, args.lcdb, args.gain_folds)
    p_cal = p_calibration_folds(args)
    t0 = time.perf_counter()
    ablate: dict[str, Any] = {}
    if args.repeats is not None:
        ablate["repeats"] = args.repeats
        print(f"dataroi and the rules see repeats 0-{args.repeats - 1} only; the truth is "
              "the mean of every repeat")
    if args.paired_df is not None:
        ablate["paired_df"] = args.paired_df
        print(f"ablation: MIN_PAIRED_DF = {args.paired_df}")
    if args.no_sweep:
        ablate["no_sweep"] = True
    results = {"dataroi": run_dataroi(args.corpus, todo, args.jobs, args.draws, folds,
                                      p_cal, ablate)}
    print(f"dataroi: {time.perf_counter() - t0:.0f} s")
    if args.also_fitted:
        t0 = time.perf_counter()
        results["dataroi_fitted"] = run_dataroi(args.corpus, todo, args.jobs, args.draws,
                                                "fitted")
        print(f"dataroi_fitted: {time.perf_counter() - t0:.0f} s")
    if not args.no_baseline_rev:
        t0 = time.perf_counter()
        results["dataroi_main"] = run_baseline_rev(args.baseline_rev, args.corpus, todo,
                                                   args.jobs, args.draws, workdir,
                                                   args.repeats)
        print(f"dataroi_main ({args.baseline_rev}): {time.perf_counter() - t0:.0f} s")
    dec, pred = evaluate(frame, todo, results, seen_repeats(frame, args.repeats))
    if isinstance(folds, dict):
        dec = cross_validated(dec, folds)
        sweep_table(dec)
    dec.to_csv(workdir / "decisions.csv", index=False)
    pred.to_csv(workdir / "predictions.csv", index=False)
    methods = ["dataroi", *(m for m in ("dataroi_oneshot", "dataroi_cv", "dataroi_fitted",
                                        "dataroi_main")
                            if m in set(dec["method"])),
               "pow3", "last_gain", "stay", "best_today"]
    report(dec, pred, methods)
    if args.paired_with is not None:
        paired_with(dec, pd.read_csv(args.paired_with))
    print(f"\nper-decision results: {workdir / 'decisions.csv'}")
    print("reproduce: python benchmarks/bench_decisions.py --jobs 2"
          + (" --no-p-calibration" if args.no_p_calibration else
             " --p-calibration-folds DIR")
          + (f" --datasets {args.datasets}" if args.datasets else "")
          + (f" --repeats {args.repeats}" if args.repeats is not None else "")
          + (f" --paired-df {args.paired_df}" if args.paired_df is not None else "")
          + (" --no-sweep" if args.no_sweep else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
