"""Adaptive studies on the curve corpus: does spending compute only where it can change
the decision reach the full grid's recommendation at a fraction of its CPU?

For every corpus data set and cut N of the decisions benchmark (``bench_decisions.py``:
the same units, current models, cost scenarios and options), the *full grid* is every
learner at every measured size <= N, 5 repeats; its recommendation is dataroi's
(``dataroi.analyze(...).recommend(...)``, the option it chooses now). The adaptive
schedule (``dataroi.study.AdaptiveSchedule``) replays the same measured trials in the
order it asks for them (``replay``), from its coarse grid until ``P(same recommendation
with the full grid) >= 0.95`` or no trial left can move the decision. A trial's CPU cost
is its measured ``fit_seconds + predict_seconds``.

Compared in the same run, on the same trials:

* ``lccv`` — an LCCV-style discard of candidates (Mohr and van Rijn): the current model
  first, every size from the smallest up, 3 repeats a size (all 5 at N); after each
  size a candidate whose optimistic continuation (its last doubling's gain repeated up
  to N) cannot reach the incumbent's score at N is dropped; dataroi decides among the
  survivors;
* ``small_grid`` — a fixed small grid of the adaptive run's CPU cost: the largest (in
  CPU) of "the first r repeats at every size, or at every other size down from N" that
  costs no more than the adaptive run did.

Printed, grouped by data set (each weighs the same; 90 % intervals from resampling data
sets): the share of cases reaching the full grid's recommendation, the share of the full
grid's CPU used, the mean regret (realized net value of the best option in hindsight
minus the chosen one's, from the measured means, as in the decisions benchmark) and the
difference to the full grid's regret.

Run::

    python benchmarks/bench_adaptive.py --quick                   # 6 data sets, N = 512
    python benchmarks/bench_adaptive.py --cuts 512 --jobs 2       # every data set, N = 512
    python benchmarks/bench_adaptive.py --jobs 2                  # every cut (slow)
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "corpus"), str(HERE)]

from load import load_curves  # noqa: E402

import bench_decisions as bd  # noqa: E402

QUICK = ("digits", "flights", "star", "keel_penbased", "election_tweets", "labsup")
LCCV_REPEATS = 3
METHODS = ("adaptive", "lccv", "small_grid")


def _costs(price: float) -> dict[str, float]:
    return {"price_per_label_usd": price, "value_per_point_usd": bd.VALUE_PER_POINT,
            "engineering_cost_usd": bd.SWITCH_USD}


def _seconds(frame: pd.DataFrame) -> float:
    from dataroi.study._adaptive import trial_seconds

    return float(trial_seconds(frame.drop_duplicates(["model", "n_train", "repeat"])).sum())


def realized(means: dict, unit: bd.Unit, cur: str, price: float, model: str, delta: int
             ) -> float:
    """The realized net value of (model, delta) as the decisions benchmark counts it."""
    today = means[(unit.dataset, cur, unit.n0)]
    cost = price * delta + (bd.SWITCH_USD if model != cur else 0.0)
    return bd.VALUE_PER_POINT * (means[(unit.dataset, model, unit.n0 + delta)]
                                 - today) / bd.POINT - cost


def lccv_trials(full: pd.DataFrame, models: list[str], sizes: list[int], current: str,
                repeats: int) -> tuple[pd.DataFrame, list[str]]:
    """The trials an LCCV-style discard runs, and the surviving models."""
    acc = full[full["metric"] == bd.METRIC]
    n = sizes[-1]
    order = [current, *(m for m in models if m != current)]
    keep_rows, survivors = [], []
    incumbent = -math.inf
    for m in order:
        mine = acc[acc["model"] == m]
        means: list[float] = []
        dropped = False
        for s in sizes:
            reps = repeats if s == n else min(LCCV_REPEATS, repeats)
            cell = mine[(mine["n_train"] == s) & (mine["repeat"] < reps)]
            keep_rows.append(full[(full["model"] == m) & (full["n_train"] == s)
                                  & (full["repeat"] < reps)])
            means.append(float(cell["value"].mean()))
            if m != current and len(means) >= 2 and s < n:
                slope = max(means[-1] - means[-2], 0.0) / max(math.log2(s / sizes[
                    sizes.index(s) - 1]), 1e-9)
                if means[-1] + slope * math.log2(n / s) < incumbent:
                    dropped = True
                    break
        if not dropped:
            survivors.append(m)
            incumbent = max(incumbent, means[-1])
    return pd.concat(keep_rows, ignore_index=True), survivors


def small_grid(full: pd.DataFrame, sizes: list[int], repeats: int, budget: float
               ) -> pd.DataFrame:
    """The fixed grid (first r repeats at every size, or every other size down from N)
    with the largest CPU cost within ``budget`` (the cheapest one if none fits)."""
    designs = []
    for stride in (1, 2):
        chosen = sizes[::-1][::stride]
        for r in range(1, repeats + 1):
            sub = full[full["n_train"].isin(chosen) & (full["repeat"] < r)]
            designs.append((_seconds(sub), len(chosen), sub))
    fits = [d for d in designs if d[0] <= budget + 1e-12]
    pick = max(fits, key=lambda d: (d[0], d[1])) if fits else min(designs,
                                                                   key=lambda d: d[0])
    return pick[2].reset_index(drop=True)


def run_unit(args: tuple[str, bd.Unit, int, float, tuple[str, ...]]) -> list[dict[str, Any]]:
    """Every (current model, scenario) case of one unit: the full grid's, the adaptive
    run's, LCCV's and the small grid's recommendation, CPU and regret."""
    corpus, unit, draws, target, roles = args
    from dataroi.study import AdaptiveSchedule, replay

    warnings.simplefilter("ignore")
    frame = load_curves(corpus)
    full = bd._trials(frame, unit)
    means = bd.measured_means(frame)
    models = sorted(full["model"].unique())
    sizes = sorted(int(s) for s in full["n_train"].unique())
    repeats = int(full["repeat"].nunique())
    full_cpu = _seconds(full)
    rows: list[dict[str, Any]] = []
    done: dict[str, str] = {}  # current model → the role whose cases were run for it
    with tempfile.TemporaryDirectory(prefix="bench-adaptive-") as cache:
        for role, cur in bd._current_models(means, unit, models).items():
            if role not in roles:
                continue
            if cur in done:  # the same current model: the same cases (deterministic)
                rows += [r | {"current": role} for r in rows if r["current"] == done[cur]]
                continue
            done[cur] = role
            lccv, survivors = lccv_trials(full, models, sizes, cur, repeats)
            for scen, price in bd.SCENARIOS.items():
                kw = {"costs": _costs(price), "current_model": cur,
                      "add": list(unit.deltas), "grid": ()}
                schedule = AdaptiveSchedule(models, sizes, repeats, recommend=kw,
                                            metric=bd.METRIC, target=target,
                                            n_draws=draws, cache_dir=cache)
                t0 = time.perf_counter()
                run = replay(schedule, full)
                secs = time.perf_counter() - t0
                options = [(m, 0) for m in models] + [(m, d) for m in models
                                                      for d in unit.deltas]
                best = max(realized(means, unit, cur, price, m, d) for m, d in options)
                picks = {"full": (schedule.analyze(full).chosen, full_cpu),
                         "adaptive": (None, run.cpu_seconds)}
                lccv_sched = AdaptiveSchedule(survivors, sizes, repeats, recommend=kw,
                                              metric=bd.METRIC, n_draws=draws,
                                              cache_dir=cache)
                picks["lccv"] = (lccv_sched.analyze(lccv[lccv["model"].isin(survivors)]
                                                    .reset_index(drop=True)).chosen,
                                 _seconds(lccv))
                grid = small_grid(full, sizes, repeats, run.cpu_seconds)
                picks["small_grid"] = (schedule.analyze(grid).chosen, _seconds(grid))
                full_id = picks["full"][0].option_id
                for method, (chosen, cpu) in picks.items():
                    if method == "adaptive":
                        model, delta = run.recommendation.rsplit("+", 1)
                        oid = run.recommendation
                    else:
                        model, delta, oid = chosen.model, chosen.delta_n, chosen.option_id
                    net = realized(means, unit, cur, price, model, int(delta))
                    rows.append({
                        "dataset": unit.dataset, "n0": unit.n0, "current": role,
                        "scenario": scen, "method": method, "option": oid,
                        "agrees": oid == full_id, "cpu_share": cpu / full_cpu,
                        "regret": best - net,
                        "stability": run.stability if method == "adaptive" else None,
                        "stop": run.stop_reason if method == "adaptive" else None,
                        "steps": len(run.steps) if method == "adaptive" else None,
                        "trials": (len(run.choices) if method == "adaptive" else None),
                        "seconds": secs if method == "adaptive" else None})
    return rows


def report(res: pd.DataFrame) -> None:
    cases = res[res["method"] == "full"]
    print(f"\n{res['dataset'].nunique()} data sets, {len(cases)} cases ((data set, N) × "
          f"current model × cost scenario); values per data set averaged, data sets weigh "
          "the same; [90 % interval from resampling data sets]")
    print("\nmethod      | reaches the full grid's recommendation | CPU share of the full "
          "grid | mean regret ($)")
    for m in ("full", *METHODS):
        d = res[res["method"] == m]
        agree = bd._boot(d["agrees"].astype(float), d["dataset"])
        cpu = bd._boot(d["cpu_share"], d["dataset"])
        reg = bd._boot(d["regret"], d["dataset"])
        a = f"{agree[0]:6.1%} [{agree[1]:.1%}, {agree[2]:.1%}]"
        c = f"{cpu[0]:6.1%} [{cpu[1]:.1%}, {cpu[2]:.1%}]"
        print(f"  {m:10s} | {a:38s} | {c:26s} | {reg[0]:8,.0f} [{reg[1]:,.0f}, "
              f"{reg[2]:,.0f}]")
    key = ["dataset", "n0", "current", "scenario"]
    base = res[res["method"] == "full"].set_index(key)["regret"]
    print("\nregret difference to the full grid (positive: worse than the full grid):")
    for m in METHODS:
        other = res[res["method"] == m].set_index(key)["regret"]
        diff = (other - base).reset_index()
        mean, lo, hi = bd._boot(diff["regret"], diff["dataset"])
        print(f"  {m:10s} {mean:+9,.0f} [{lo:+,.0f}, {hi:+,.0f}]")
    ad = res[res["method"] == "adaptive"]
    print(f"\nadaptive runs: stop reasons {ad['stop'].value_counts().to_dict()}; "
          f"{ad['steps'].mean():.1f} looks and {ad['trials'].mean():.0f} trials on "
          f"average; {ad['seconds'].mean():.1f} s of analysis per run")
    stable = ad[ad["stop"] == "stable"]
    if len(stable):
        print(f"  stopped as stable (P(same) >= target) in {len(stable)} cases: "
              f"{stable['agrees'].mean():.1%} of them reach the full grid's recommendation")
    by_n = ad.groupby("n0").agg(cases=("agrees", "size"), agrees=("agrees", "mean"),
                                cpu=("cpu_share", "mean"))
    print("  by N: " + "; ".join(f"N={n}: {r.agrees:.0%} agree, CPU {r.cpu:.0%} "
                                  f"({int(r.cases)} cases)" for n, r in by_n.iterrows()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--draws", type=int, default=400)
    ap.add_argument("--target", type=float, default=0.95)
    ap.add_argument("--datasets", help="comma-separated subset of the corpus")
    ap.add_argument("--cuts", help="comma-separated N (default: the decisions benchmark's)")
    ap.add_argument("--current", default="best_today,simple",
                    help="current-model roles (best_today, simple)")
    ap.add_argument("--quick", action="store_true",
                    help=f"{len(QUICK)} data sets at N = 512 (development)")
    ap.add_argument("--corpus", default=str(HERE / "corpus" / "curves.parquet"))
    ap.add_argument("--out", type=Path, help="CSV of every case (default: a temp folder)")
    ap.add_argument("--report", type=Path, help="only print the report of a CSV written "
                    "before (--out; also a partial one)")
    args = ap.parse_args(argv)
    if args.report:
        report(pd.read_csv(args.report))
        return 0
    frame = load_curves(args.corpus)
    datasets = args.datasets.split(",") if args.datasets else (
        list(QUICK) if args.quick else None)
    cuts = [int(c) for c in args.cuts.split(",")] if args.cuts else (
        [512] if args.quick else list(bd.CUTS))
    todo = [u for u in bd.units(frame, datasets) if u.n0 in cuts]
    roles = tuple(args.current.split(","))
    print(f"{len(todo)} (data set, N) units on {len({u.dataset for u in todo})} data sets, "
          f"N in {sorted({u.n0 for u in todo})}; target P(same) >= {args.target}; "
          f"{args.draws} draws")
    t0 = time.perf_counter()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-adaptive-")) / "adaptive.csv"
    work = [(args.corpus, u, args.draws, args.target, roles) for u in todo]
    rows: list[dict[str, Any]] = []

    def keep(unit_rows: list[dict[str, Any]]) -> None:  # written as units finish
        rows.extend(unit_rows)
        pd.DataFrame(rows).to_csv(out, index=False)

    if args.jobs <= 1:
        for w in work:
            keep(run_unit(w))
    else:
        with ProcessPoolExecutor(args.jobs) as pool:
            for unit_rows in pool.map(run_unit, work, chunksize=1):
                keep(unit_rows)
    res = pd.DataFrame(rows)
    print(f"ran in {time.perf_counter() - t0:.0f} s")
    report(res)
    print(f"\nper-case results: {out}")
    given = list(argv if argv is not None else sys.argv[1:])
    shown = [a for i, a in enumerate(given)
             if not a.startswith("--out") and not (i and given[i - 1] == "--out")]
    print("reproduce: " + " ".join(["python benchmarks/bench_adaptive.py", *shown]))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
