"""Learn the calibration of the P(net > 0) dataroi states, from the decisions benchmark.

Reproduce (after a run of the decisions benchmark *without* a calibration, whose
``decisions.csv`` holds the policy's stated and realized outcomes)::

    python benchmarks/bench_decisions.py --jobs 2 --no-baseline-rev --no-p-calibration \\
        --gain-folds GAIN --workdir RUN
    python benchmarks/learn_p_calibration.py --decisions RUN/decisions.csv \\
        --gain-folds GAIN --folds-out PCAL --out src/dataroi/decide/p_calibration.json

What is learned (:mod:`dataroi.decide._calibration`): for the staged plan and for the
chosen one-shot option, a logistic regression (Platt scaling: scikit-learn's
``LogisticRegression`` on the log-odds of the stated P(net > 0), two parameters,
tabulated as knots at most 0.995) of "the policy ended with more money than staying",
over the decisions where dataroi's policy *at the default* ``decision.max_p_loss``
(``dataroi@<default>`` of the benchmark's sweep) spent — following a staged plan, or
taking an option at once; data sets weigh the same (each decision weighs 1 / its data
set's count); a kind with fewer than ``MIN_DECISIONS`` decisions gets no map. The
realized rate depends on the policy: the same stated 0.65 ended with more money in 52 %
of the decisions without a limit at the later stages (``dataroi@1.0``) and in 83 % with
the default's, so the map is learned on the policy dataroi follows. Below the smallest
stated probability it saw (the default's limit keeps plans under 1 - max_p_loss out),
the map is the identity: it knows nothing there, and at the default limit the
calibrated check holds back (nearly) the plans the model's did.

Why two parameters and not an isotonic step function (``--method isotonic``, what
shipped before): the decisions crowd near 1 (three in five state 0.95 or more), and an
isotonic fit on a few hundred of them has steps the next data sets do not repeat; on
the corpus's held-out folds the isotonic map's 0.92 was realized 98 % of the time (6
points off), the logistic map's bins are within 5 (docs/decisions.md). The printed
held-out check applies each fold's map to that fold's decisions: at the default limit
the decisions are the run's (it says how many would now be held back), so it is what
``bench_decisions.py --p-calibration-folds`` prints.

Leave-data-set-out: one map per fold of the gain models (``learn_gain_model.py
--folds-out``'s ``folds.json``: the same partition of data sets), learned on the other
folds' decisions, written as ``PCAL/fold-K.json`` (``bench_decisions.py
--p-calibration-folds PCAL`` reads them); ``--out`` gets the map learned on every data
set, the one dataroi ships.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from dataroi.decide._calibration import p_calibration_from_dict
from dataroi.spec import DecisionSpec

#: the largest probability a map states: a few hundred outcomes cannot show certainty
MAX_REALIZED = 0.995
#: the fewest decisions a map is learned from (a kind with fewer is left uncalibrated)
MIN_DECISIONS = 30
#: knots tabulating a logistic map (evenly spaced in log-odds)
LOGISTIC_KNOTS = 40
#: the sweep entry whose decisions the maps are learned on: the default max_p_loss
SOURCE_METHOD = f"dataroi@{DecisionSpec().max_p_loss:g}"


def outcomes(dec: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The decisions a map of ``kind`` learns from: stated p, realized (net > 0), data set."""
    d = dec[(dec["method"] == SOURCE_METHOD) & (dec["cost"] > 0)
            & dec["p_net_positive"].notna()]
    d = d[d["stages"] > 0] if kind == "staged" else d[d["stages"] == 0]
    return pd.DataFrame({"dataset": d["dataset"], "p": d["p_net_positive"].astype(float),
                         "won": (d["net"] > 0).astype(float)})


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, float), 1e-4, 1 - 1e-4)
    return np.log(p / (1.0 - p))


def fit_map(rows: pd.DataFrame, weight: str = "dataset",
            method: str = "logistic") -> dict[str, list[float]]:
    """The map's knots (stated → realized); ``weight="dataset"``: data sets weigh the
    same, ``"decision"``: every decision does. ``method="logistic"``: Platt scaling on
    the log-odds (realized = σ(a·logit(stated) + b), two parameters, tabulated at
    ``LOGISTIC_KNOTS`` knots from the smallest stated probability seen); ``"isotonic"``:
    scikit-learn's ``IsotonicRegression``."""
    w = (1.0 / rows.groupby("dataset")["p"].transform("size") if weight == "dataset"
         else pd.Series(1.0, index=rows.index))
    if method == "logistic":
        lr = LogisticRegression(C=1e6).fit(_logit(rows["p"].to_numpy())[:, None],
                                           rows["won"].to_numpy(), sample_weight=w.to_numpy())
        if lr.coef_[0, 0] <= 0:
            raise SystemExit("the logistic map came out decreasing: too few decisions")
        lo = float(rows["p"].min())
        grid = np.unique(np.r_[lo, 1.0 / (1.0 + np.exp(-np.linspace(
            _logit(lo), _logit(1.0), LOGISTIC_KNOTS))), 1.0])
        fitted = np.minimum(lr.predict_proba(_logit(grid)[:, None])[:, 1], MAX_REALIZED)
        x = [round(float(v), 6) for v in grid]
        y = [round(float(v), 6) for v in np.maximum.accumulate(fitted)]
    else:
        iso = IsotonicRegression(y_min=0.0, y_max=MAX_REALIZED, increasing=True,
                                 out_of_bounds="clip")
        iso.fit(rows["p"], rows["won"], sample_weight=w)
        x = [round(float(v), 6) for v in iso.X_thresholds_]
        y = [round(float(v), 6) for v in iso.y_thresholds_]
    if len(x) < 2:  # one distinct stated value: flat from there to 1
        x, y = [x[0], 1.0], [y[0], y[0]]
    # below what it saw, the identity (up to just under its first knot)
    if x[0] > 0.0:
        lo = round(min(x[0] - 1e-6, y[0]), 6)
        x, y = [0.0, lo, *x], [0.0, lo, *y]
    return {"stated": x, "realized": y}


def learn(dec: pd.DataFrame, kinds: list[str], source: str, weight: str = "dataset",
          method: str = "logistic") -> dict:
    """The calibration file's content, learned on ``dec``."""
    rows = {k: outcomes(dec, k) for k in kinds}
    return {"source": source,
            "maps": {k: fit_map(r, weight, method) for k, r in rows.items()
                     if len(r) >= MIN_DECISIONS}}


def held_out_check(dec: pd.DataFrame, maps: dict[str, dict], fold_of: dict[str, str],
                   kinds: list[str]) -> None:
    """Print the calibration of the default policy's stated P(net > 0) with each data
    set's probabilities mapped by its fold's map (learned without it), in the decisions
    benchmark's bins. At the default ``max_p_loss`` the maps leave the decisions as they
    are (the identity below what they saw), so this is what a run with
    ``--p-calibration-folds`` prints, without the run."""
    d = dec[(dec["method"] == SOURCE_METHOD) & (dec["cost"] > 0)
            & dec["p_net_positive"].notna()].copy()
    kind = np.where(d["stages"] > 0, "staged", "option")

    # each fold's map read and applied by dataroi itself (what ships is what is checked)
    fold_cal = {f: p_calibration_from_dict(body) for f, body in maps.items()}
    d["cal"] = [fold_cal[fold_of[ds]].apply(k, p) if k in kinds else p for p, k, ds in
                zip(d["p_net_positive"].astype(float), kind, d["dataset"], strict=True)]
    bins = [0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001]
    held = int((d["cal"] < 1.0 - DecisionSpec().max_p_loss).sum())
    print(f"held-out check ({len(d)} decisions that spend, {SOURCE_METHOD}; stated → "
          "realized, each data set by its fold's map; "
          + (f"{held} would now be held back by max_p_loss, a run differs there):"
             if held else "the decisions are the run's):"))
    for b, g in d.groupby(pd.cut(d["cal"], bins, right=False), observed=True):
        gap = (g["net"] > 0).mean() - g["cal"].mean()
        print(f"  {b!s:14s} stated {g['cal'].mean():.2f}, realized {(g['net'] > 0).mean():.2f}"
              f" ({len(g)} decisions; {gap:+.2f})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--decisions", type=Path, required=True,
                    help="decisions.csv of bench_decisions.py --no-p-calibration")
    ap.add_argument("--gain-folds", type=Path, required=True,
                    help="learn_gain_model.py --folds-out folder (its folds.json)")
    ap.add_argument("--folds-out", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--kinds", default="staged,option",
                    help="what gets a map: the staged plan's P(net > 0), the chosen one-shot "
                         "option's")
    ap.add_argument("--weight", choices=["dataset", "decision"], default="dataset",
                    help="what weighs the same in the fit")
    ap.add_argument("--method", choices=["logistic", "isotonic"], default="logistic")
    args = ap.parse_args(argv)
    kinds = args.kinds.split(",")
    dec = pd.read_csv(args.decisions)
    fold_of = {d: Path(p).stem for d, p in
               json.loads((args.gain_folds / "folds.json").read_text()).items()}
    dec = dec[dec["dataset"].isin(fold_of)]
    args.folds_out.mkdir(parents=True, exist_ok=True)
    index: dict[str, str] = {}
    maps: dict[str, dict] = {}
    for fold in sorted(set(fold_of.values())):
        held = {d for d, f in fold_of.items() if f == fold}
        train = dec[~dec["dataset"].isin(held)]
        body = learn(train, kinds, f"bench_decisions outcomes without {fold} "
                                   f"({train['dataset'].nunique()} data sets)", args.weight,
                     args.method)
        maps[fold] = body
        (args.folds_out / f"{fold}.json").write_text(json.dumps(body, indent=1) + "\n")
        index.update({d: f"{fold}.json" for d in held})
    (args.folds_out / "folds.json").write_text(json.dumps(index, indent=1, sort_keys=True)
                                               + "\n")
    body = learn(dec, kinds, f"bench_decisions outcomes of {dec['dataset'].nunique()} "
                             f"corpus data sets ({SOURCE_METHOD}, decisions that spend)",
                 args.weight, args.method)
    args.out.write_text(json.dumps(body, indent=1) + "\n")
    cal = p_calibration_from_dict(body)
    for k in kinds:
        rows = outcomes(dec, k)
        if k not in body["maps"]:
            print(f"{k}: {len(rows)} decisions, fewer than {MIN_DECISIONS}: no map")
            continue
        print(f"{k}: {len(rows)} decisions on {rows['dataset'].nunique()} data sets; "
              "stated → realized at " + ", ".join(
                  f"{p:.2f} → {cal.apply(k, p):.2f}" for p in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)))
    held_out_check(dec, maps, fold_of, kinds)
    print(f"wrote {args.out} and {len(set(fold_of.values()))} fold maps in {args.folds_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
