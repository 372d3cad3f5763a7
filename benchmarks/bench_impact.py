"""Benchmark of ``dataroi.impact``: speed, the gate's error rates, coverage, FDR.

Every part runs on real data: NYC flights 2013 scored by a real logistic regression
(model A, the baseline) and a real gradient-boosting model (model B), see
``examples/impact/build_example.py``; value = the example's rebooking-desk expression,
both models thresholded at 0.35 unless said otherwise. The 60,000 scored flights are the
*population*: a sample is drawn from them with replacement, so every true difference
(overall, per segment) is known exactly.

1. Speed: 1,000,000 rows (real rows drawn with replacement), 10 carrier segments,
   2,000 paired bootstrap resamples, the whole assessment. Target < 10 s. A second line
   times the worst case: a value that reads the score, so every non-zero difference is
   distinct and no resample can be shortened to counts of distinct values.
2. The gate (issue #23). Segments: five departure-time bands, a fifth of the rows each.
   *Better everywhere*: a modest candidate, model B's decision on a fixed random 40 % of
   the flights and model A's on the others (better than A in every band; its gain is a
   few standard errors at 2,000 rows, the issue's regime). *Harmful*: the same outside
   the midday band; in it, model A's decisions with a share of its right ones and 0.6
   times that share of its wrong ones flipped, so that the band loses 1.5 times what
   the candidate gains per row overall (the issue's example: +0.54 overall, -0.83 in a
   fifth). Share of samples in which the gate ships each, at 2,000 and 8,000 rows: the
   default gate (``value_diff.ci_low > 0`` and ``no segment harmed beyond the margin``,
   margin auto) against the old documented gate (``value_diff.ci_low > 0`` and ``no
   segment significantly worse``), on the same assessments. Targets: harmful shipped
   <= 10 % (2,000 rows) and <= 5 % (8,000); better everywhere shipped >= 60 % (2,000).
   Then the harmful candidate at the edge (the band loses exactly the average gain, the
   auto margin), and how often the default gate ships the better-everywhere candidate at
   2,000 rows as its share of B decisions (its gain) grows.
3. Coverage of the segment intervals at a nominal 0.95: carrier segments of 2,000-row
   samples (16 carriers, many with few disagreeing rows), A vs B, against the
   population's carrier means, by disagreeing rows; the BCa bootstrap on the same
   segments (the interval used before for every segment) as the baseline. Target >= 0.93
   with <= 10 disagreeing rows.
4. False discoveries: in carrier EV the candidate is the baseline made worse, in B6
   better, in every other carrier the two real models' decisions are swapped at random
   per row (a null: the expected difference is exactly zero). The false-discovery rate of
   "significantly worse" (Benjamini–Hochberg, nominal 0.05) and the power to find EV.

Shares carry Wilson 95 % intervals over the repetitions.

Run: ``python benchmarks/bench_impact.py`` (about 10 minutes on one core; ``--quick`` for
a smaller smoke run).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

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
# the worst case for speed: the cost of an alert grows with the model's score, so
# every row a model alerts on has its own value
VALUE_CONTINUOUS = {**VALUE, "expression": VALUE["expression"] + " * (0.5 + score)"}
THRESHOLD = 0.35
OLD_GATE = ["value_diff.ci_low > 0", "no segment significantly worse"]
BANDS = ["early", "morning", "midday", "afternoon", "evening"]
HARMED = "midday"
HARM_RATIO = 1.5
MIX = 0.4
FIX_SHARE = 0.6


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # KiB on Linux


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a share k/n."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def share(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"{k / n:.3f} [{lo:.3f}, {hi:.3f}]" if n else "n/a"


def eval_table() -> pd.DataFrame:
    """The example's evaluation table (built once; 60,000 flights, two real models)."""
    path = ROOT / "examples" / "impact" / "flights_eval.csv"
    if not path.exists():
        from build_example import build

        build().to_csv(path, index=False)
    return pd.read_csv(path)


# -- 1. speed --------------------------------------------------------------------------
def speed(table: pd.DataFrame, rows: int, resamples: int,
          value: dict[str, Any] = VALUE) -> dict[str, float]:
    from dataroi.impact import ImpactAssessment, load_value_model

    rng = np.random.default_rng(0)
    big = table.iloc[rng.integers(0, len(table), rows)].reset_index(drop=True)
    big["id"] = np.arange(rows)
    top = big["carrier"].value_counts().index[:9]
    big["segment"] = big["carrier"].where(big["carrier"].isin(top), "other")
    rss_before = _peak_rss_gb()
    t0 = time.perf_counter()
    res = ImpactAssessment(load_value_model(value), target="delayed", segments=["segment"],
                           n_resamples=resamples, seed=0).run(
        big, baseline="col:p_baseline", candidate="col:p_candidate",
        baseline_threshold=0.25, candidate_threshold=0.25)
    seconds = time.perf_counter() - t0
    iv = res.value_diff
    return {"rows": rows, "segments": big["segment"].nunique(), "resamples": resamples,
            "seconds": seconds, "peak_rss_gb": _peak_rss_gb(), "rss_before_gb": rss_before,
            "diff": iv.estimate, "lo": iv.ci_low, "hi": iv.ci_high}


# -- shared: the population ---------------------------------------------------------------
def population(table: pd.DataFrame, mix: float = MIX,
               ratio: float = HARM_RATIO) -> dict[str, Any]:
    """Decisions of both real models, the value of every row, bands and candidates."""
    from dataroi.impact import load_value_model

    vm = load_value_model(VALUE)
    y = table["delayed"].to_numpy()
    a = (table["p_baseline"].to_numpy() >= THRESHOLD).astype(int)
    b_real = (table["p_candidate"].to_numpy() >= THRESHOLD).astype(int)
    env = {"passengers": table["passengers"].to_numpy()}

    def value(pred: np.ndarray) -> np.ndarray:
        return vm.row_values(env, y=y, pred=pred)

    band = pd.qcut(table["sched_dep_time"], 5, labels=BANDS).astype(str).to_numpy()
    harmed = band == HARMED
    # a modest candidate (the regime: a gain of a few standard errors at 2,000
    # rows): B's decision on a fixed random share `mix` of the flights, A's elsewhere
    b = np.where(np.random.default_rng(3).random(len(y)) < mix, b_real, a)
    # the harmful candidate: the modest B outside the midday band; in it, A with a share
    # r of its right decisions and FIX_SHARE * r of its wrong ones flipped (a noisy,
    # worse model there), r chosen (bisection on fixed draws) so that the band loses
    # HARM_RATIO times the candidate's overall gain per row
    u = np.random.default_rng(7).random(len(y))
    va = value(a)

    def harmful(r: float) -> np.ndarray:
        flip = u < np.where(a == y, r, FIX_SHARE * r)
        return np.where(harmed, np.where(flip, 1 - a, a), b)

    lo, hi = 0.0, 1.0
    for _ in range(40):
        r = (lo + hi) / 2
        d = value(harmful(r)) - va
        gain, loss = d.mean(), -d[harmed].mean()
        lo, hi = (r, hi) if loss < ratio * gain else (lo, r)
    cand_harm = harmful(hi)
    d_harm = value(cand_harm) - va
    d_b = value(b) - va
    return {"y": y, "a": a, "b": b, "band": band, "harmful": cand_harm, "flip_rate": hi,
            "harm_gain": float(d_harm.mean()), "harm_loss": float(-d_harm[harmed].mean()),
            "b_bands": {lab: float(d_b[band == lab].mean()) for lab in BANDS},
            "b_gain": float(d_b.mean()), "b_real": b_real, "d_real": value(b_real) - va}


# -- 2. the gate ---------------------------------------------------------------------------
def gate_rates(table: pd.DataFrame, pop: dict[str, Any], candidate: np.ndarray, rows: int,
               reps: int, resamples: int) -> dict[str, Any]:
    """Share of samples of ``rows`` rows in which each gate ships ``candidate``."""
    from dataroi.impact import ImpactAssessment, default_gate, load_gate, load_value_model

    vm = load_value_model(VALUE)
    frame = pd.DataFrame({"id": np.arange(len(table)), "delayed": pop["y"],
                          "passengers": table["passengers"].to_numpy(),
                          "band": pop["band"], "pred_base": pop["a"],
                          "pred_cand": candidate})
    new_gate, old_gate = default_gate(), load_gate({"conditions": OLD_GATE})
    new = old = 0
    t0 = time.perf_counter()
    for r in range(reps):
        rng = np.random.default_rng(10_000 * rows + r)
        sample = frame.iloc[rng.integers(0, len(frame), rows)].reset_index(drop=True)
        sample["id"] = np.arange(rows)
        res = ImpactAssessment(vm, target="delayed", segments=["band"],
                               n_resamples=resamples, seed=r).run(
            sample, baseline="col:pred_base", candidate="col:pred_cand")
        new += new_gate.evaluate(res).passed
        old += old_gate.evaluate(res).passed
    return {"rows": rows, "reps": reps, "new": new, "old": old,
            "seconds": time.perf_counter() - t0}


# -- 3. coverage ---------------------------------------------------------------------------
_BUCKETS = ((2, 4, "2-4"), (5, 10, "5-10"), (11, 49, "11-49"), (50, 10**9, ">= 50"))


def coverage(table: pd.DataFrame, pop: dict[str, Any], rows: int, reps: int,
             resamples: int) -> dict[str, Any]:
    """Coverage of the carrier segments' intervals, by disagreeing rows."""
    from dataroi.impact import ImpactAssessment, load_value_model, paired_bootstrap

    vm = load_value_model(VALUE)
    carrier = table["carrier"].to_numpy()
    truth = {c: float(pop["d_real"][carrier == c].mean()) for c in np.unique(carrier)}
    frame = pd.DataFrame({"id": np.arange(len(table)), "delayed": pop["y"],
                          "passengers": table["passengers"].to_numpy(), "carrier": carrier,
                          "pred_base": pop["a"], "pred_cand": pop["b_real"]})
    hits: dict[str, list[int]] = {lab: [0, 0, 0] for *_, lab in _BUCKETS}  # new, bca, n
    t0 = time.perf_counter()
    for r in range(reps):
        rng = np.random.default_rng(20_000 + r)
        idx = rng.integers(0, len(frame), rows)
        sample = frame.iloc[idx].reset_index(drop=True)
        sample["id"] = np.arange(rows)
        res = ImpactAssessment(vm, target="delayed", segments=["carrier"],
                               n_resamples=resamples, seed=r, min_segment_size=2).run(
            sample, baseline="col:pred_base", candidate="col:pred_cand")
        d = pop["d_real"][idx]
        for s in res.segments:
            if s.value_diff is None:
                continue
            lab = next(lab for lo, hi, lab in _BUCKETS if lo <= s.n_disagree <= hi)
            mu = truth[s.level]
            iv = s.value_diff
            mask = sample["carrier"].to_numpy() == s.level
            old = paired_bootstrap(d[mask], n_resamples=resamples, seed=r).interval(0)
            hits[lab][0] += iv.ci_low <= mu <= iv.ci_high
            hits[lab][1] += old.ci_low <= mu <= old.ci_high
            hits[lab][2] += 1
    return {"rows": rows, "reps": reps, "hits": hits, "seconds": time.perf_counter() - t0}


# -- 4. false discoveries ------------------------------------------------------------------
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
                               fdr=alpha, seed=r).run(
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
            "power": found, "better_flagged": better_flagged,
            "tested": tested, "discoveries": discoveries / reps,
            "seconds": time.perf_counter() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description="benchmark dataroi.impact")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--gate-reps", type=int, default=1000)
    ap.add_argument("--gate-resamples", type=int, default=2000)
    ap.add_argument("--cov-reps", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=200, help="false-discovery repetitions")
    ap.add_argument("--quick", action="store_true",
                    help="100k rows, 40 gate / 30 coverage / 20 FDR repetitions")
    args = ap.parse_args()
    if args.quick:
        args.rows, args.reps, args.gate_reps, args.cov_reps = 100_000, 20, 40, 30
    started = time.perf_counter()
    cmd = "python benchmarks/bench_impact.py" + (" " + " ".join(sys.argv[1:])
                                                  if sys.argv[1:] else "")
    print(f"$ {cmd}")
    table = eval_table()
    s = speed(table, args.rows, args.resamples)
    print(f"speed: {s['rows']:,} rows, {s['segments']} segments, {s['resamples']:,} resamples: "
          f"{s['seconds']:.1f} s (target < 10 s), peak RSS {s['peak_rss_gb']:.2f} GB "
          f"(target < 4 GB; {s['rss_before_gb']:.2f} GB before the assessment)")
    print(f"       value difference {s['diff']:.3f} USD/row, 95 % BCa CI "
          f"[{s['lo']:.3f}, {s['hi']:.3f}]")
    w = speed(table, args.rows, args.resamples, VALUE_CONTINUOUS)
    print(f"       worst case, every non-zero difference distinct (value reads the score): "
          f"{w['seconds']:.1f} s")

    pop = population(table)
    print(f"gate:  population {len(table):,} flights, 5 departure-time bands; harmful "
          f"candidate: +{pop['harm_gain']:.2f} USD/row overall, {-pop['harm_loss']:.2f} "
          f"USD/row in the {HARMED} band ({HARM_RATIO:g} x the gain; {pop['flip_rate']:.1%} "
          f"of A's right decisions there flipped); better everywhere (B on {MIX:.0%}): "
          f"+{pop['b_gain']:.2f} overall, bands "
          + ", ".join(f"{k} {v:+.1f}" for k, v in pop["b_bands"].items()))
    print(f"       default gate = value_diff.ci_low > 0 and no segment harmed beyond the "
          f"margin (auto); old gate = {' and '.join(OLD_GATE)}; {args.gate_resamples:,} "
          "resamples; share of samples shipped [Wilson 95 %]:")
    for label, cand, rows, target in (
            ("harmful", pop["harmful"], 2000, "<= 0.10"),
            ("harmful", pop["harmful"], 8000, "<= 0.05"),
            ("better everywhere", pop["b"], 2000, ">= 0.60"),
            ("better everywhere", pop["b"], 8000, "")):
        g = gate_rates(table, pop, cand, rows, args.gate_reps, args.gate_resamples)
        print(f"       {label:>17} at {rows:>5,} rows ({g['reps']} samples): default gate "
              f"{share(g['new'], g['reps'])}"
              + (f" (target {target})" if target else "")
              + f"; old gate {share(g['old'], g['reps'])} ({g['seconds']:.0f} s)")
    edge = population(table, ratio=1.0)
    for rows in (2000, 8000):
        g = gate_rates(table, edge, edge["harmful"], rows, max(args.gate_reps // 2, 10),
                       args.gate_resamples)
        print(f"       at the margin (loss {edge['harm_loss']:.2f} = gain "
              f"{edge['harm_gain']:.2f}) at {rows:>5,} rows ({g['reps']} samples): default "
              f"gate {share(g['new'], g['reps'])} (2.5 % with a fixed margin); old gate "
              f"{share(g['old'], g['reps'])}")
    curve = []
    for mix in (0.2, 0.3, 0.4, 0.6, 1.0):
        p = population(table, mix)
        g = gate_rates(table, p, p["b"], 2000, max(args.gate_reps // 4, 10),
                       args.gate_resamples)
        curve.append(f"B on {mix:.0%} (+{p['b_gain']:.1f}/row) "
                     f"{share(g['new'], g['reps'])} vs old {g['old'] / g['reps']:.2f}")
    print(f"       better everywhere at 2,000 rows by its gain ({max(args.gate_reps // 4, 10)} "
          f"samples each): " + "; ".join(curve))

    c = coverage(table, pop, 2000, args.cov_reps, args.gate_resamples)
    print(f"cover: carrier segments of {c['rows']:,}-row samples, {c['reps']} samples, "
          f"nominal 0.95; coverage [Wilson 95 %] by disagreeing rows (min_segment_size 2 "
          f"here; the default 5 tests from 5): this interval vs BCa on the same segments "
          f"({c['seconds']:.0f} s)")
    small = [0, 0, 0]
    for lo, _hi, lab in _BUCKETS:
        new, old, n = c["hits"][lab]
        if lo <= 10:
            small = [small[0] + new, small[1] + old, small[2] + n]
        print(f"       {lab:>6} disagreeing: {n:>5} intervals, {share(new, n)} vs BCa "
              f"{share(old, n)}")
    print(f"       <= 10 disagreeing: {share(small[0], small[2])} (target >= 0.93) vs BCa "
          f"{share(small[1], small[2])}")

    f = fdr(table, args.reps)
    print(f"fdr:   {f['reps']} repetitions on {len(table):,} real flights, {f['tested']} "
          f"carriers tested, BH at {f['alpha']}: false-discovery rate {f['fdr']:.3f} "
          f"(± {f['fdr_se']:.3f} s.e.; nominal {f['alpha']}), power to find the worse "
          f"segment {share(f['power'], f['reps'])}, better segment flagged as worse "
          f"{share(f['better_flagged'], f['reps'])}, {f['discoveries']:.2f} discoveries per "
          f"repetition ({f['seconds']:.0f} s)")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
