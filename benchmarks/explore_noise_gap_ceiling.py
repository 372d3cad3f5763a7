"""How far below "today's gap persists" can a forecast of the noise gap at 4x get? (#26)

Reproduce::

    python benchmarks/explore_noise_gap_ceiling.py
    python benchmarks/explore_noise_gap_ceiling.py \
        --cases benchmarks/corpus/work/label-quality/cases.csv

#26 asks dataroi's forecast of the gap clean − noisy at 4N to err at most 0.7x as much as
the better of two rules (rule A, "today's gap persists", is the better one on the corpus).
``bench_label_quality.py`` measures dataroi at 0.79x. This script asks what the same
effective-sample rule could reach with more than dataroi can know, on the same cases (the
noise arms of the curve corpus, ``noise_curves.parquet``: data set × learner × noisy arm ×
cut N in 256/512/1024 with 4N measured; every data set weighs the same; 90 % intervals
from resampling data sets):

* **floor**: the error of a forecast that knew the gap's expected value at 4N exactly: the
  truth is itself a mean of 5 paired repeats, E|error| = sqrt(2/pi) × its standard error.
* **hindsight clean curve**: dataroi's rule, gap(kN) = [clean(kN) − clean(kN·f)] +
  E·k^(−β) with E today's excess over the rule, where clean(x) is the clean arm's
  *measured* mean at x (interpolated in log size; below the smallest size continued by
  the line through the two smallest), at the β of each kind dataroi ships
  (``noise_rule_scale.json``) and at the β of each kind with the least MAE over 2x-16x in
  hindsight. Better than any
  forecast of the clean curve can be: clean(4N) is measured, and it is part of the truth.
* **held-out corrections** of that rule: the truth's change from today's gap regressed
  (median regression, each data set equal) on the rule's predicted change, alone and with
  today's excess or the gap's change since N/2, learned on the other data sets.
* with ``--cases`` (``bench_label_quality.py``'s per-case rows): dataroi's own forecast
  shrunk towards today's gap, A + λ·(dataroi − A), λ and β per kind of noise chosen on the
  other data sets.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "corpus"), str(HERE / "corpus" / "specs")]

from bench_label_quality import (  # noqa: E402
    CUTS,
    DECAYS,
    FACTORS,
    arm_fraction,
    boot_ratio,
    data_info,
    interp_log,
)

REPRO = "python benchmarks/explore_noise_gap_ceiling.py"
BETAS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0)
LAMBDAS = tuple(np.round(np.arange(0.3, 1.51, 0.05), 2))


def clean_at(sizes: np.ndarray, means: np.ndarray, x: float) -> float:
    """The clean arm's measured mean at ``x``, interpolated in log size; below the smallest
    size, the line through the two smallest continued.

    Example:
        >>> s, m = np.array([64.0, 128.0, 256.0]), np.array([0.6, 0.7, 0.75])
        >>> round(clean_at(s, m, 128.0), 3), round(clean_at(s, m, 32.0), 3)
        (0.7, 0.5)
    """
    if x < sizes[0]:
        slope = (means[1] - means[0]) / math.log(sizes[1] / sizes[0])
        return float(means[0] - slope * math.log(sizes[0] / x))
    return interp_log(sizes, means, x)


def hindsight_cases(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per case and factor: the truth, its standard error, today's gap and its
    value at N/2, and the rule's gap today and at kN on the measured clean curve."""
    acc = frame[frame["metric"] == "accuracy"]
    means = acc.groupby(["dataset", "learner", "arm", "n_train"], observed=True)["value"] \
        .mean()
    paired = acc.pivot_table(index=["dataset", "learner", "n_train", "repeat"],
                             columns="arm", values="value", observed=True)
    rows = []
    for ds in sorted(acc["dataset"].unique()):
        info = data_info(ds)
        for learner in sorted(acc.loc[acc["dataset"] == ds, "learner"].unique()):
            clean = means.loc[(ds, learner, "clean")]
            sizes, cm = clean.index.to_numpy(float), clean.to_numpy(float)
            for arm in [a for a in paired.columns if a != "clean"]:
                _, f = arm_fraction(ds, arm, info)
                diff = (paired.loc[(ds, learner)]["clean"] - paired.loc[(ds, learner)][arm])
                stats = diff.groupby(level="n_train").agg(["mean", "std", "count"])
                for n0 in CUTS:
                    if 4 * n0 not in stats.index:
                        continue

                    def rule(n: float, f: float = f, sizes: np.ndarray = sizes,
                             cm: np.ndarray = cm) -> float:
                        return clean_at(sizes, cm, n) - clean_at(sizes, cm, n * f)

                    for k in FACTORS:
                        if k * n0 not in stats.index:
                            continue
                        t = stats.loc[k * n0]
                        rows.append({
                            "dataset": ds, "learner": learner, "arm": arm,
                            "kind": "cc" if arm == "cc-noise" else "sym", "n0": n0, "k": k,
                            "truth": t["mean"], "truth_se": t["std"] / math.sqrt(t["count"]),
                            "A": stats.loc[n0, "mean"], "half": stats.loc[n0 // 2, "mean"],
                            "rule_today": rule(n0), "rule_k": rule(k * n0)})
    return pd.DataFrame(rows)


def shipped_beta() -> dict[str, float]:
    """dataroi's shipped β per kind of noise (``noise_rule_scale.json``), keyed as the
    cases' ``kind``.

    Example:
        >>> sorted(shipped_beta())
        ['cc', 'sym']
    """
    from dataroi.stress import shipped_excess_decay

    return {"sym": shipped_excess_decay("symmetric"),
            "cc": shipped_excess_decay("class_conditional")}


def rule_at(cases: pd.DataFrame, beta: pd.Series | float) -> pd.Series:
    """The rule on the hindsight clean curve with today's excess fading as k^(−β)."""
    excess = cases["A"] - cases["rule_today"]
    return cases["rule_k"] + excess * cases["k"].astype(float) ** (-np.asarray(beta))


def set_mae(cases: pd.DataFrame, pred: pd.Series) -> pd.Series:
    """Mean absolute error per data set."""
    return (pred - cases["truth"]).abs().groupby(cases["dataset"]).mean()


def ratio_text(cases: pd.DataFrame, pred: pd.Series, reps: int) -> str:
    """MAE / rule A's, over data sets, with its 90 % interval."""
    r, lo, hi = boot_ratio(set_mae(cases, pred), [set_mae(cases, cases["A"])], reps)
    return f"{r:.3f} [{lo:.2f}, {hi:.2f}]"


def held_out_median_regression(cases: pd.DataFrame, features: list[str]) -> pd.Series:
    """Today's gap plus the truth's change predicted by a median regression on
    ``features``, learned without the data set judged (each data set weighs the same)."""
    from sklearn.linear_model import QuantileRegressor

    y = cases["truth"] - cases["A"]
    out = pd.Series(np.nan, index=cases.index)
    for ds in cases["dataset"].unique():
        train = (cases["dataset"] != ds).to_numpy()
        w = 1.0 / cases.loc[train, "dataset"].map(cases.loc[train, "dataset"].value_counts())
        model = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs")
        model.fit(cases.loc[train, features], y[train], sample_weight=w)
        out[~train] = cases.loc[~train, "A"] + model.predict(cases.loc[~train, features])
    return out


def shrunk_held_out(cases: pd.DataFrame) -> tuple[pd.Series, dict[str, set]]:
    """A + λ·(dataroi at β − A), λ and β per kind of noise chosen on the other data sets
    (the least mean over factors of the per-data-set MAE)."""
    kind = np.where(cases["arm"] == "cc-noise", "cc", "sym")
    betas = [b for b in DECAYS if f"dataroi@{b:g}" in cases]

    def pred(sub: pd.DataFrame, lam: float, beta: float) -> pd.Series:
        return sub["A"] + lam * (sub[f"dataroi@{beta:g}"] - sub["A"])

    def loss(sub: pd.DataFrame, lam: float, beta: float) -> float:
        err = (pred(sub, lam, beta) - sub["truth"]).abs()
        return float(err.groupby([sub["k"], sub["dataset"]]).mean().groupby(level=0).mean()
                     .mean())

    out = pd.Series(np.nan, index=cases.index)
    chosen: dict[str, set] = {"sym": set(), "cc": set()}
    for ds in cases["dataset"].unique():
        for kd in ("sym", "cc"):
            mine = (kind == kd)
            train = cases[mine & (cases["dataset"] != ds).to_numpy()]
            lam, beta = min(((la, b) for la in LAMBDAS for b in betas),
                            key=lambda lb: loss(train, *lb))
            held = mine & (cases["dataset"] == ds).to_numpy()
            out[held] = pred(cases[held], lam, beta)
            chosen[kd].add((float(lam), float(beta)))
    return out, chosen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--curves", type=Path, default=HERE / "corpus" / "noise_curves.parquet")
    ap.add_argument("--cases", type=Path, help="bench_label_quality.py's cases.csv")
    ap.add_argument("--boot", type=int, default=2000)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    if not args.curves.exists():
        print(f"explore_noise_gap_ceiling: no {args.curves}", file=sys.stderr)
        return 2
    cases = hindsight_cases(pd.read_parquet(args.curves))
    print(f"{cases.groupby(['dataset', 'learner', 'arm', 'n0']).ngroups} cases on "
          f"{cases['dataset'].nunique()} data sets; MAE / rule A's at each factor "
          "(data sets equal, 90 % interval from resampling data sets):")
    beta = shipped_beta()
    shipped = rule_at(cases, cases["kind"].map(beta))
    best = {}
    for kd in ("sym", "cc"):
        sub = cases[cases["kind"] == kd]
        best[kd] = min(BETAS, key=lambda b: set_mae(sub, rule_at(sub, b)).mean())
    hind = rule_at(cases, cases["kind"].map(best))
    floor = math.sqrt(2 / math.pi) * cases["truth_se"]
    for k in FACTORS:
        at = (cases["k"] == k).to_numpy()
        sub = cases[at]
        print(f"  {k:2d}x  rule A MAE {set_mae(sub, sub['A']).mean():.4f}; "
              f"floor / rule A {floor[at].groupby(sub['dataset']).mean().mean() / set_mae(sub, sub['A']).mean():.3f}; "  # noqa: E501
              f"rule on the hindsight clean curve, shipped β ({beta['sym']:g} symmetric, "
              f"{beta['cc']:g} cc) {ratio_text(sub, shipped[at], args.boot)}, "
              f"β best over 2x-16x in hindsight ({best['sym']:g} symmetric, {best['cc']:g} cc) "
              f"{ratio_text(sub, hind[at], args.boot)}")
    four = cases[cases["k"] == 4].copy()
    four["change"] = rule_at(four, four["kind"].map(beta)) - four["A"]
    four["excess"] = four["A"] - four["rule_today"]
    four["trend"] = four["A"] - four["half"]
    print("at 4x, the rule on the hindsight clean curve corrected by a median regression "
          "learned without the data set judged:")
    for feats in (["change"], ["change", "excess"], ["change", "trend"],
                  ["change", "excess", "trend"]):
        pred = held_out_median_regression(four, feats)
        print(f"  on {' + '.join(feats):24s} {ratio_text(four, pred, args.boot)}")
    if args.cases:
        if not args.cases.exists():
            print(f"explore_noise_gap_ceiling: no {args.cases}", file=sys.stderr)
            return 2
        bench = pd.read_csv(args.cases)
        shrunk, chosen = shrunk_held_out(bench)
        at = (bench["k"] == 4).to_numpy()
        print(f"dataroi's own forecasts ({args.cases}), at 4x: as judged by the benchmark "
              f"{ratio_text(bench[at], bench.loc[at, 'dataroi'], args.boot)}; shrunk towards "
              f"today's gap, λ and β per kind chosen without the data set "
              f"{ratio_text(bench[at], shrunk[at], args.boot)} (λ, β chosen: "
              + "; ".join(f"{kd} " + ", ".join(f"{la:g}/{b:g}" for la, b in sorted(v))
                          for kd, v in chosen.items()) + ")")
    print(f"reproduce: {REPRO}" + (f" --cases {args.cases}" if args.cases else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
