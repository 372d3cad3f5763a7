"""Benchmark of ``dataroi.impact``: speed and memory at 1M rows, and FDR under the null.

Two parts, both on real data (NYC flights 2013, scored by a real logistic regression and
a real gradient-boosting model, see ``examples/impact/build_example.py``):

1. Speed: 1,000,000 rows (real rows drawn with replacement from the scored evaluation
   table), 10 carrier segments, 2,000 paired bootstrap resamples, a continuous per-row
   value expression (the worst case: no grouping shortcut). Targets: < 30 s, < 4 GB.
2. Error control: a synthetic candidate built from the two real models — in carrier EV
   it is the baseline made worse, in carrier B6 better, and in every other carrier the
   two real models' decisions are swapped at random per row (a null: the expected
   difference is exactly zero). Over 200 repetitions: the false-discovery rate of "the
   candidate is significantly worse in segment s" (Benjamini–Hochberg, nominal 0.05),
   and the power to find EV.

Run: ``python benchmarks/bench_impact.py`` (``--quick`` for a smaller smoke run).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "impact"))

VALUE = {
    "expression": "saving_per_passenger * passengers * (pred == 1) * (y == 1)"
                  " - rebooking_cost * (pred == 1)",
    "terms": {"saving_per_passenger": 12.0, "rebooking_cost": 400.0},
    "volume": {"rows_per_period": 27000, "period": "month"},
}


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # KiB on Linux


def eval_table() -> pd.DataFrame:
    """The example's evaluation table (built once; 60,000 flights, two real models)."""
    path = ROOT / "examples" / "impact" / "flights_eval.csv"
    if not path.exists():
        from build_example import build

        build().to_csv(path, index=False)
    return pd.read_csv(path)


def speed(table: pd.DataFrame, rows: int, resamples: int) -> dict[str, float]:
    from dataroi.impact import ImpactAssessment, load_value_model

    rng = np.random.default_rng(0)
    big = table.iloc[rng.integers(0, len(table), rows)].reset_index(drop=True)
    big["id"] = np.arange(rows)
    top = big["carrier"].value_counts().index[:9]
    big["segment"] = big["carrier"].where(big["carrier"].isin(top), "other")
    rss_before = _peak_rss_gb()
    t0 = time.perf_counter()
    res = ImpactAssessment(load_value_model(VALUE), target="delayed", segments=["segment"],
                           n_resamples=resamples, seed=0).run(
        big, baseline="col:p_baseline", candidate="col:p_candidate",
        baseline_threshold=0.25, candidate_threshold=0.25)
    seconds = time.perf_counter() - t0
    iv = res.value_diff
    return {"rows": rows, "segments": big["segment"].nunique(), "resamples": resamples,
            "seconds": seconds, "peak_rss_gb": _peak_rss_gb(), "rss_before_gb": rss_before,
            "diff": iv.estimate, "lo": iv.ci_low, "hi": iv.ci_high}


def fdr(table: pd.DataFrame, reps: int, alpha: float = 0.05) -> dict[str, float]:
    from dataroi.impact import ImpactAssessment, load_value_model

    vm = load_value_model(VALUE)
    y = table["delayed"].to_numpy()
    a = (table["p_baseline"].to_numpy() >= 0.25).astype(int)   # model A decisions
    b = (table["p_candidate"].to_numpy() >= 0.25).astype(int)  # model B decisions
    carrier = table["carrier"].to_numpy()
    worse, better = carrier == "EV", carrier == "B6"
    null = ~(worse | better)
    fdps, found, better_flagged, discoveries = [], 0, 0, 0
    t0 = time.perf_counter()
    for r in range(reps):
        rng = np.random.default_rng(1000 + r)
        swap = rng.random(len(y)) < 0.5
        base = np.where(null & swap, b, a)
        cand = np.where(null & ~swap, b, a)
        flip_bad = worse & (a == y) & (rng.random(len(y)) < 0.04)
        flip_good = better & (a != y) & (rng.random(len(y)) < 0.10)
        cand = np.where(flip_bad | flip_good, 1 - a, cand)
        frame = table.assign(pred_base=base, pred_cand=cand)
        res = ImpactAssessment(vm, target="delayed", segments=["carrier"], n_resamples=100,
                               min_segment_size=200, fdr=alpha, seed=r).run(
            frame, baseline="col:pred_base", candidate="col:pred_cand")
        flagged = {s.level for s in res.segments if s.significantly_worse}
        false = len(flagged - {"EV"})
        fdps.append(false / len(flagged) if flagged else 0.0)
        discoveries += len(flagged)
        found += "EV" in flagged
        better_flagged += "B6" in flagged
    tested = sum(1 for s in res.segments if not s.too_small)
    return {"reps": reps, "alpha": alpha, "fdr": float(np.mean(fdps)),
            "fdr_se": float(np.std(fdps, ddof=1) / np.sqrt(reps)) if reps > 1 else 0.0,
            "power": found / reps, "better_flagged": better_flagged / reps,
            "tested": tested, "discoveries": discoveries / reps,
            "seconds": time.perf_counter() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description="benchmark dataroi.impact")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="100k rows, 20 repetitions")
    args = ap.parse_args()
    if args.quick:
        args.rows, args.reps = 100_000, 20
    table = eval_table()
    s = speed(table, args.rows, args.resamples)
    print(f"speed: {s['rows']:,} rows, {s['segments']} segments, {s['resamples']:,} resamples: "
          f"{s['seconds']:.1f} s (target < 30 s), peak RSS {s['peak_rss_gb']:.2f} GB "
          f"(target < 4 GB; {s['rss_before_gb']:.2f} GB before the assessment)")
    print(f"       value difference {s['diff']:.3f} USD/row, 95 % BCa CI "
          f"[{s['lo']:.3f}, {s['hi']:.3f}]")
    f = fdr(table, args.reps)
    print(f"fdr:   {f['reps']} repetitions on {len(table):,} real flights, {f['tested']} "
          f"carriers tested, BH at {f['alpha']}: false-discovery rate {f['fdr']:.3f} "
          f"(± {f['fdr_se']:.3f} s.e.; nominal {f['alpha']}), power to find the worse "
          f"segment {f['power']:.2f}, better segment flagged as worse {f['better_flagged']:.2f},"
          f" {f['discoveries']:.2f} discoveries per repetition ({f['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
