"""The adaptive schedule's learned stop (issue #25): learned, and judged held out.

Before it, the adaptive rule stopped when its stated ``P(same recommendation with the
full grid)`` reached 0.95, or the recommendation held at three looks with ``P(same) >=
0.8`` (the steady stop): on the corpus replay, 95.6 % agreement with the full grid at
53 % of its CPU, while a stop that knows the answer needs 38 % on the same order of
trials (``bench_adaptive.py --ceiling``). Part of that gap is how the stop reads what a
look knows. This learns the chance that a look's recommendation is the full grid's from
what the run knows at that look, and stops at the first look whose chance reaches a
threshold (the least at which the stops agree in >= 95 % of the cases, on out-of-fold
scores: 5 folds of data sets); as in the schedule, a look whose stated ``P(same)``
reaches the target (0.95) stops too. Judged leave-data-set-out (each data set by the map
and threshold learned on the others), on the same looks the rule saw: the order of the
trials does not depend on the stop.

What a look knows: dataroi's features (``StopModel.features``: the stated ``P(same)``,
the looks in a row the recommendation held, their product, whether it buys labels) —
what ships — and, for comparison (``all``), also the two looks' ``P(same)`` before, the
least of the last three, whether the recommendation just changed, the look's index and
the CPU share spent (the replay's measured share; a run would use a predicted one).

Learners: a logistic regression (scikit-learn, standardized inputs; what ships, folded
into raw weights) and gradient-boosted trees, data sets weighing the same. Printed: the
steady rule's stop and each learned stop, held out, grouped by data set with 90 %
intervals from resampling data sets, and the paired difference to the steady rule.
``--out`` writes the logistic map on dataroi's features, fitted on every data set, as
``src/dataroi/study/stop_model.json``.

Run (after ``bench_adaptive.py --cuts 512 --jobs 2 --draws 200 --ceiling --out A.csv``;
the looks do not depend on the stop, only the rule's rows do)::

    python benchmarks/explore_adaptive_stop.py A.csv
    python benchmarks/explore_adaptive_stop.py A.csv --learners logistic:shipped \\
        --out src/dataroi/study/stop_model.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "corpus"), str(HERE)]

import bench_decisions as bd  # noqa: E402
from bench_adaptive import LOOK, rule_stop  # noqa: E402

KEY = ["dataset", "n0", "current", "scenario"]
THRESHOLDS = np.round(np.arange(0.5, 1.0, 0.01), 2)
#: the schedule's own stop that the learned one joins: P(same) >= the target (0.95)
P_TARGET = 0.95


def features(looks: pd.DataFrame) -> pd.DataFrame:
    """The rule-phase looks of ``bench_adaptive``'s CSV, one row each, in order, with
    what the run knows at each (see the module's docstring)."""
    from dataroi.study._stop import buys_labels, looks_held

    d = looks[(looks["method"] == LOOK) & (looks["phase"] == "rule")].copy()
    d = d.sort_values([*KEY, "look"]).reset_index(drop=True)
    g = d.groupby(KEY, sort=False)
    d["p"] = d["stability"].astype(float)
    d["j"] = g.cumcount()
    d["last"] = d["j"] == g["look"].transform("size") - 1
    d["changed"] = (d["option"] != g["option"].shift(1)).astype(float)
    d["run"] = [h for _, recs in g["option"] for h in
                (looks_held(r, list(recs)[:i]) for i, r in enumerate(recs))]
    d["p1"] = g["p"].shift(1).fillna(0.0)
    d["p2"] = g["p"].shift(2).fillna(0.0)
    d["pmin3"] = g["p"].transform(lambda s: s.rolling(3, min_periods=1).min())
    d["adds"] = d["option"].astype(str).map(buys_labels).astype(float)
    d["share"] = d["cpu_share"].astype(float)
    d["agrees"] = d["agrees"].astype(bool)
    return d


def matrix(d: pd.DataFrame, which: str = "shipped") -> np.ndarray:
    """The learner's inputs: dataroi's own (``StopModel.features``: P(same), looks held,
    their product, buys labels) or ``all`` (those and more of what a look knows)."""
    from dataroi.study._stop import StopModel

    shipped = np.array([StopModel.features(p, h, b) for p, h, b in
                        zip(d["p"], d["run"], d["adds"] > 0, strict=True)]).reshape(-1, 4)
    if which == "shipped":
        return shipped
    return np.column_stack([shipped, d["p1"], d["p2"], d["pmin3"], d["changed"],
                            np.log1p(d["j"]), d["share"]])


def first_at(d: pd.DataFrame, score: np.ndarray, threshold: float) -> pd.DataFrame:
    """The look at which each case stops: the first whose score reaches ``threshold`` or
    whose stated P(same) reaches the schedule's target (:data:`P_TARGET`, the stop the
    learned one joins), else its last (the rule has nothing left to offer)."""
    hit = ((score >= threshold) | (d["p"].to_numpy() >= P_TARGET)
           | d["last"].to_numpy())
    first = pd.Series(hit, index=d.index).groupby([d[k] for k in KEY], sort=False).idxmax()
    return d.loc[first.to_numpy()]


def per_dataset(stops: pd.DataFrame) -> tuple[float, float]:
    by = stops.groupby("dataset")[["agrees", "share"]].mean()
    return float(by["agrees"].mean()), float(by["share"].mean())


def learner(kind: str):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return HistGradientBoostingClassifier(max_depth=3, max_iter=200, learning_rate=0.05,
                                          random_state=0)


def _fit(kind: str, d: pd.DataFrame, which: str):
    weight = 1.0 / d.groupby("dataset")["p"].transform("size")  # data sets weigh the same
    key = "logisticregression__sample_weight" if kind == "logistic" else "sample_weight"
    return learner(kind).fit(matrix(d, which), d["agrees"], **{key: weight.to_numpy()})


def threshold(d: pd.DataFrame, kind: str, which: str, target: float, inner: int = 5
              ) -> float:
    """The least threshold whose stops agree in >= ``target`` of ``d``'s cases (data
    sets weigh the same) on out-of-fold scores (``inner`` folds of data sets: a
    threshold chosen on the scores of the data the learner was fitted to would be
    optimistic); the largest one tried when none does."""
    from sklearn.model_selection import GroupKFold

    oof = np.empty(len(d))
    for a, b in GroupKFold(min(inner, d["dataset"].nunique())).split(
            d, groups=d["dataset"]):
        oof[b] = _fit(kind, d.iloc[a], which).predict_proba(matrix(d.iloc[b], which))[:, 1]
    for t in THRESHOLDS:
        if per_dataset(first_at(d, oof, t))[0] >= target:
            return float(t)  # the lowest threshold that agrees enough stops soonest
    return float(max(THRESHOLDS))


def held_out(d: pd.DataFrame, kind: str, which: str, target: float) -> pd.DataFrame:
    """Each data set's stops by the learner fitted, and its threshold chosen, on the
    others (:func:`threshold`)."""
    out = []
    for ds in sorted(d["dataset"].unique()):
        train, test = d[d["dataset"] != ds], d[d["dataset"] == ds]
        t = threshold(train, kind, which, target)
        score = _fit(kind, train, which).predict_proba(matrix(test, which))[:, 1]
        out.append(first_at(test, score, t).assign(threshold=t))
    return pd.concat(out)


def shipped_model(d: pd.DataFrame, target: float, source: str) -> dict:
    """The logistic map on dataroi's features fitted on every data set, in raw units
    (the scaler folded into the weights), and its threshold: ``stop_model.json``."""
    fit = _fit("logistic", d, "shipped")
    scaler, logit = fit[0], fit[-1]
    w = logit.coef_[0] / scaler.scale_
    b = float(logit.intercept_[0] - (logit.coef_[0] * scaler.mean_ / scaler.scale_).sum())
    return {"intercept": round(b, 6), "weights": [round(float(v), 6) for v in w],
            "threshold": threshold(d, "logistic", "shipped", target), "looks_cap": 8,
            "source": source}


def show(name: str, stops: pd.DataFrame) -> None:
    a = bd._boot(stops["agrees"].astype(float), stops["dataset"])
    c = bd._boot(stops["share"].astype(float), stops["dataset"])
    print(f"  {name:34s} agrees {a[0]:6.1%} [{a[1]:.1%}, {a[2]:.1%}], CPU {c[0]:6.1%} "
          f"[{c[1]:.1%}, {c[2]:.1%}] ({len(stops)} cases, {stops['dataset'].nunique()} "
          "data sets)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", type=Path, help="bench_adaptive.py --ceiling --out's CSV")
    ap.add_argument("--target", type=float, default=0.95,
                    help="the agreement a threshold must reach on the other data sets")
    ap.add_argument("--learners", default="logistic:shipped,logistic:all,trees:all",
                    help="learner:features, comma-separated (features: shipped or all)")
    ap.add_argument("--out", type=Path, help="write the map fitted on every data set "
                    "(src/dataroi/study/stop_model.json)")
    args = ap.parse_args(argv)
    d = features(pd.read_csv(args.csv))
    print(f"{len(d)} looks of the rule's order, {d.groupby(KEY).ngroups} cases, "
          f"{d['dataset'].nunique()} data sets; data sets weigh the same, [90 % interval "
          "from resampling data sets]")
    rule = [c.iloc[rule_stop(c["p"].tolist(), c["option"].astype(str).tolist(), 0.95,
                             (3, 0.8))] for _, c in d.groupby(KEY, sort=False)]
    show("the rule (0.95, steady 3 at 0.8)", pd.DataFrame(rule))
    for spec in args.learners.split(","):
        kind, which = spec.split(":")
        stops = held_out(d, kind, which, args.target)
        show(f"learned, {kind} on {which} features", stops)
        paired = stops[[*KEY, "agrees", "share"]].merge(
            pd.DataFrame(rule)[[*KEY, "agrees", "share"]], on=KEY, suffixes=("", "_rule"))
        for col, name in (("agrees", "agreement"), ("share", "CPU share")):
            diff = paired[col].astype(float) - paired[f"{col}_rule"].astype(float)
            m, lo, hi = bd._boot(diff, paired["dataset"])
            print(f"    {name} - the rule's: {m:+.1%} [{lo:+.1%}, {hi:+.1%}]")
        chosen = stops.groupby("dataset")["threshold"].first().value_counts()
        print(f"    thresholds chosen (data sets): {chosen.sort_index().to_dict()}")
    if args.out:
        model = shipped_model(d, args.target, f"{args.csv.name}: {len(d)} looks, "
                              f"{d['dataset'].nunique()} data sets of the curve corpus")
        args.out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}: {model}")
    given = list(argv if argv is not None else sys.argv[1:])
    print("\n$ " + " ".join(["python benchmarks/explore_adaptive_stop.py", *given]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
