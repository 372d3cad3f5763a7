"""Relabel or buy new labels? dataroi's choice on the noise arms of the curve corpus,
against the rules a user would otherwise apply, in the same run (issue #26).

Reproduce (GAIN: ``learn_gain_model.py --folds-out``, as for ``bench_decisions.py``;
PCAL, optional: ``learn_p_calibration.py --folds-out``, to state P(net > 0) calibrated as
dataroi's ``decide`` does)::

    python benchmarks/bench_relabel.py --jobs 2 --gain-folds GAIN [--p-calibration-folds PCAL]

The noise arms (``benchmarks/corpus/noise_curves.parquet``, ``build_noise.py``: 16 data
sets, two learners each, arms clean / symmetric noise 5, 10, 20 % / ``cc-noise``, sizes
doubling from 64 to 8,192, 5 paired repeats). A *decision* is (data set, learner, setting,
cut N, price): today's N labels are those of the arm *now*; relabeling them (two more
opinions per item, a majority of three) gives the labels of the arm *after*:

=====================  ============  =============
setting                now           after
=====================  ============  =============
``0.05>clean``         noise=0.05    clean
``0.1>clean``          noise=0.1     clean
``0.2>clean``          noise=0.2     clean
``0.2>0.05``           noise=0.2     noise=0.05
``cc>clean``           cc-noise      clean
=====================  ============  =============

The options (the learner stays; only its labels change): neither; label ΔN new items at
today's quality (ΔN in {N, 3N, 7N, 15N} where N + ΔN was measured: a budget up to 16N
labels); relabel today's N items; relabel and label ΔN new items with the same two extra
opinions. A label costs $0.10, $1 or $5 (three scenarios); relabeling N items costs 2 × N
labels, ΔN new items with quality control 3 × ΔN; an accuracy point (0.01) is worth
$2,000. The realized net value of an option is $2,000 × (the measured mean accuracy of its
arm at its size − *now*'s at N) / 0.01 − its cost; regret = the best option in hindsight
minus the chosen one.

Who chooses, from the arms' trials at sizes <= N only:

* ``dataroi`` — ``dataroi.decide.evaluate_options(curves, costs, relabel=Relabeling(now,
  cleaner=after))`` and ``plan_budget(max_p_loss=0.35)`` (the default rule: the largest
  expected net value among the options that lose money with P <= 0.35, ties to the
  cheaper): relabeling is worth today's paired difference after − now; relabeling and new
  labels that plus the *after* arm's learned gain forecast; new labels the *now* arm's.
  ``curves`` is dataroi's curve pipeline (``dataroi.analyze(...).curves``) with the gain
  model learned without this data set (``--gain-folds``: leave-data-set-out).
* ``dataroi_rule`` — the same without the *after* arm (what a user who has not relabeled
  a pilot knows): ``Relabeling(now, rate_now, rate_after, n_classes=K)``, the
  effective-sample rule on the *now* arm's own curve (relabeled items are worth
  f(after)/f(now) of today's labels, f = (1 − rK/(K − 1))²).
* ``rule_A`` — "today's gap persists": relabeling gains the measured gap after − now at N,
  new labels the gain of a power law ``a − b n^-c`` fitted to *now*'s means (anchored at
  today's mean), relabeling and new labels both; the largest predicted net value.
* ``rule_B`` — the classical effective-sample rule: the *now* arm at M labels scores like
  the clean arm at M·f(now), the *after* arm like the clean arm at M·f(after), the clean
  curve its measured means (log interpolation) up to N and a power law beyond.
* ``pow3_new`` — more labels only, by the power law (relabeling never considered: the
  #19 baseline); ``relabel`` — always relabel, no new labels; ``stay``.

For ``cc-noise`` the rate is the share of all labels the arm flips (an approximation: the
flips go from one class to another, not everywhere). Nothing here is fitted on the held-out
data set: the gain model is each fold's; ``decision.max_p_loss`` is dataroi's default,
chosen in #19 on the clean curves of the corpus (these 16 data sets among 58).

Printed, each data set weighing the same, with 90 % intervals from resampling data sets:
mean regret per method and per setting, the differences to the rules, the share of
best-in-hindsight choices and of spending decisions that lose money, what each method
chose (neither / new / relabel / both), and the calibration of dataroi's stated P(net > 0).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
sys.path[:0] = [str(HERE), str(CORPUS), str(CORPUS / "specs")]

from bench_decisions import _pow3_fit  # noqa: E402
from bench_label_quality import (  # noqa: E402
    arm_fraction,
    boot_mean,
    boot_ratio,
    gain_models,
    load_arms,
)
from bench_label_quality import data_info as _data_info  # noqa: E402

METRIC = "accuracy"
CUTS = (256, 512, 1024)
SCENARIOS = {"cheap": 0.10, "mid": 1.0, "dear": 5.0}
VALUE_PER_POINT = 2000.0
POINT = 0.01
OPINIONS = 2
SETTINGS = {"0.05>clean": ("noise=0.05", "clean"), "0.1>clean": ("noise=0.1", "clean"),
            "0.2>clean": ("noise=0.2", "clean"), "0.2>0.05": ("noise=0.2", "noise=0.05"),
            "cc>clean": ("cc-noise", "clean")}
DEFAULT_WORK = CORPUS / "work" / "relabel"
REPRO = "python benchmarks/bench_relabel.py --jobs 2 --gain-folds GAIN"
UNIT_VERSION = 2
RULES = ("rule_A", "rule_B")
#: decision.max_p_loss values tried in dataroi's rule (the sweep; its default is 0.35)
P_LOSS_GRID = (1.0, 0.5, 0.35, 0.2, 0.1)
#: bootstrap resamples of the data sets (90 % intervals)
BOOT = 2000


@functools.cache
def data_info(name: str) -> dict[str, Any]:
    """A data set's facts (classes, shares; ``bench_label_quality.data_info``), read once."""
    return _data_info(name)


def file_digest(path: str) -> str:
    """The first 12 hex digits of a file's SHA-256 (a gain model's identity in the cache:
    two folds folders name their files alike)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


@dataclass(frozen=True)
class Unit:
    """One (data set, learner, cut): one analysis of its arms at sizes <= n0."""

    dataset: str
    learner: str
    n0: int
    deltas: tuple[int, ...]

    @property
    def key(self) -> str:
        return f"{self.dataset}__{self.learner}__{self.n0}"


def model_name(learner: str, arm: str) -> str:
    """dataroi's name of an arm (``hgb[noise=0.1]``; the clean arm is the learner)."""
    return learner if arm == "clean" else f"{learner}[{arm}]"


def units(frame: pd.DataFrame) -> list[Unit]:
    """Every (data set, learner, cut) where 2N was measured on every arm."""
    out = []
    for (ds, lr), sub in frame.groupby(["dataset", "learner"], observed=True):
        sizes = set(sub["n_train"].unique())
        for n0 in CUTS:
            deltas = tuple(k * n0 for k in (1, 3, 7, 15) if n0 * (k + 1) in sizes)
            if n0 in sizes and deltas:
                out.append(Unit(str(ds), str(lr), n0, deltas))
    return out


def trials_of(frame: pd.DataFrame, unit: Unit) -> pd.DataFrame:
    """The unit's trials at sizes <= n0 in dataroi's tidy shape."""
    sub = frame[(frame["dataset"] == unit.dataset) & (frame["learner"] == unit.learner)
                & (frame["n_train"] <= unit.n0)]
    model = [model_name(unit.learner, a) for a in sub["arm"]]
    return pd.DataFrame({"model": model, "n_train": sub["n_train"].to_numpy(),
                         "repeat": sub["repeat"].to_numpy(), "metric": METRIC,
                         "value": sub["value"].to_numpy(),
                         "train_value": sub["train_value"].to_numpy(),
                         "fit_seconds": sub["fit_seconds"].to_numpy(), "state": "complete"})


def rates(unit: Unit, arm: str) -> float:
    """The share of labels an arm flips (0 for clean)."""
    if arm == "clean":
        return 0.0
    return arm_fraction(unit.dataset, arm, data_info(unit.dataset))[0]


def dataroi_unit(args: tuple[Unit, str, int, str]) -> dict[str, Any]:
    """dataroi's choices for every setting × scenario × method of a unit (cached)."""
    unit, gain, draws, cache = args
    stem = Path(cache) / f"{unit.key}__{file_digest(gain)}__{draws}.json"
    if stem.exists():
        got = json.loads(stem.read_text())
        if got.get("version") == UNIT_VERSION:
            return got
    warnings.simplefilter("ignore")
    import dataroi
    from dataroi.decide import evaluate_options, plan_budget
    from dataroi.spec import CostSpec, DecisionSpec
    from dataroi.stress import Relabeling

    frame = load_arms("parquet", Path("-"), Path(cache), [unit.dataset])[0]
    trials = trials_of(frame, unit)
    classes = int(data_info(unit.dataset)["classes"])
    analysis = dataroi.analyze(trials, metric=METRIC, n_draws=draws, random_state=0,
                               curves=gain, p_calibration="none")
    curves = analysis.curves
    choices: dict[str, Any] = {}
    for setting, (now_arm, after_arm) in SETTINGS.items():
        now = model_name(unit.learner, now_arm)
        after = model_name(unit.learner, after_arm)
        r_now, r_after = rates(unit, now_arm), rates(unit, after_arm)
        methods = {"dataroi": Relabeling(now, rate_now=r_now, rate_after=r_after,
                                         opinions=OPINIONS, cleaner=after),
                   "dataroi_rule": Relabeling(now, rate_now=r_now, rate_after=r_after,
                                              opinions=OPINIONS, n_classes=classes)}
        for scen, price in SCENARIOS.items():
            costs = CostSpec(price_per_label_usd=price, value_per_point_usd=VALUE_PER_POINT)
            for method, rl in methods.items():
                opts = evaluate_options(curves, costs, current_model=now, models=[now],
                                        add=list(unit.deltas), grid=(), n_draws=draws,
                                        relabel=rl)
                plan = plan_budget(opts, max_p_loss=DecisionSpec().max_p_loss)
                c = plan.chosen
                sweep = {}
                for p_loss in P_LOSS_GRID:
                    cp = plan_budget(opts, max_p_loss=None if p_loss >= 1 else p_loss).chosen
                    sweep[str(p_loss)] = [int(cp.delta_n), bool(cp.relabel),
                                          cp.p_net_positive]
                choices[f"{setting}|{scen}|{method}"] = {
                    "delta": int(c.delta_n), "relabel": bool(c.relabel),
                    "cost": float(c.cost_usd), "net_mean": c.net_mean_usd,
                    "p_net_positive": c.p_net_positive, "by_p_loss": sweep}
    out = {"version": UNIT_VERSION, "unit": unit.key, "choices": choices}
    stem.write_text(json.dumps(out))
    return out


# ---------------------------------------------------------------- the rules


def _means(frame: pd.DataFrame, unit: Unit) -> dict[tuple[str, int], float]:
    sub = frame[(frame["dataset"] == unit.dataset) & (frame["learner"] == unit.learner)]
    return {(str(a), int(n)): float(v)
            for (a, n), v in sub.groupby(["arm", "n_train"], observed=True)["value"].mean()
            .items()}


def _curve_upto(means: dict[tuple[str, int], float], arm: str, n0: int
                ) -> tuple[np.ndarray, np.ndarray]:
    pts = sorted((n, v) for (a, n), v in means.items() if a == arm and n <= n0)
    return np.array([p[0] for p in pts], float), np.array([p[1] for p in pts], float)


def rule_predictions(means: dict[tuple[str, int], float], unit: Unit, setting: str
                     ) -> dict[str, dict[tuple[int, bool], float]]:
    """Each rule's predicted gain over *now* today, per option (delta, relabel)."""
    now_arm, after_arm = SETTINGS[setting]
    n0 = unit.n0
    today = means[(now_arm, n0)]
    gap = means[(after_arm, n0)] - today
    sizes, acc = _curve_upto(means, now_arm, n0)
    fn = _pow3_fit(sizes, acc)

    def pow3(d: int) -> float:
        return float(fn(np.array([n0 + d]))[0] - fn(np.array([n0]))[0]) if fn else 0.0

    out: dict[str, dict[tuple[int, bool], float]] = {"rule_A": {}, "rule_B": {},
                                                      "pow3_new": {}}
    for d in (0, *unit.deltas):
        out["rule_A"][(d, False)] = pow3(d)
        out["rule_A"][(d, True)] = gap + pow3(d)
        out["pow3_new"][(d, False)] = pow3(d)
    cs, cacc = _curve_upto(means, "clean", n0)
    cfn = _pow3_fit(cs, cacc)
    info = data_info(unit.dataset)
    f_now = 1.0 if now_arm == "clean" else arm_fraction(unit.dataset, now_arm, info)[1]
    f_after = 1.0 if after_arm == "clean" else arm_fraction(unit.dataset, after_arm, info)[1]

    def clean(x: float) -> float:
        if cs[0] <= x <= n0:
            return float(np.interp(np.log(x), np.log(cs), cacc))
        if cfn is None:
            return float(cacc[0] if x < cs[0] else cacc[-1])
        # continue the power law from the measured end it leaves
        edge = cs[0] if x < cs[0] else n0
        at = float(np.interp(np.log(edge), np.log(cs), cacc))
        return at + float(cfn(np.array([x]))[0] - cfn(np.array([edge]))[0])

    base = clean(n0 * f_now)
    for d in (0, *unit.deltas):
        out["rule_B"][(d, False)] = clean((n0 + d) * f_now) - base
        out["rule_B"][(d, True)] = clean((n0 + d) * f_after) - base
    return out


def cost_of(price: float, n0: int, d: int, relabel: bool) -> float:
    """An option's cost: new labels, and two more opinions per item relabeled or new."""
    return price * d + (OPINIONS * price * (n0 + d) if relabel else 0.0)


def _pick(pred: dict[tuple[int, bool], float], price: float, n0: int) -> tuple[int, bool]:
    """The largest predicted net value; ties go to the cheaper option."""
    net = {o: VALUE_PER_POINT * g / POINT - cost_of(price, n0, *o) for o, g in pred.items()}
    return max(net, key=lambda o: (round(net[o], 9), -cost_of(price, n0, *o)))


# ---------------------------------------------------------------- evaluation


def evaluate(frame: pd.DataFrame, todo: list[Unit], results: dict[str, dict]) -> pd.DataFrame:
    """One row per decision and method: the choice, its realized net value and regret."""
    rows = []
    for u in todo:
        means = _means(frame, u)
        res = results[u.key]["choices"]
        for setting, (now_arm, after_arm) in SETTINGS.items():
            preds = rule_predictions(means, u, setting)
            today = means[(now_arm, u.n0)]
            options = [(d, r) for d in (0, *u.deltas) for r in (False, True)]
            for scen, price in SCENARIOS.items():
                real = {o: VALUE_PER_POINT * (means[(after_arm if o[1] else now_arm,
                                                     u.n0 + o[0])] - today) / POINT
                        - cost_of(price, u.n0, *o) for o in options}
                best = max(real.values())
                chosen: dict[str, tuple[int, bool]] = {
                    "stay": (0, False), "relabel": (0, True),
                    **{r: _pick(preds[r], price, u.n0) for r in (*RULES, "pow3_new")}}
                stated: dict[str, float | None] = {}
                for m in ("dataroi", "dataroi_rule"):
                    c = res[f"{setting}|{scen}|{m}"]
                    chosen[m] = (int(c["delta"]), bool(c["relabel"]))
                    stated[m] = c["p_net_positive"]
                    if abs(c["cost"] - cost_of(price, u.n0, *chosen[m])) > 1e-6:
                        raise SystemExit(f"cost mismatch {u.key} {setting} {scen} {m}")
                    if m == "dataroi":
                        for v, (d, r, p) in c["by_p_loss"].items():
                            chosen[f"dataroi@{v}"] = (int(d), bool(r))
                            stated[f"dataroi@{v}"] = p
                hind = max(real, key=lambda o: real[o])
                for method, o in chosen.items():
                    rows.append({
                        "dataset": u.dataset, "learner": u.learner, "n0": u.n0,
                        "setting": setting, "scenario": scen, "method": method,
                        "delta": o[0], "relabel": o[1], "kind": kind(o),
                        "hindsight": kind(hind), "cost": cost_of(price, u.n0, *o),
                        "net": real[o], "regret": best - real[o],
                        "best_chosen": real[o] >= best - 1e-9,
                        "p_net_positive": stated.get(method)})
    return pd.DataFrame(rows)


def kind(o: tuple[int, bool]) -> str:
    """neither / new / relabel / both."""
    return {(False, False): "neither", (True, False): "new", (False, True): "relabel",
            (True, True): "both"}[(o[0] > 0, o[1])]


def calibrate_stated(dec: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """``dec`` with the stated P(net > 0) as dataroi's ``decide`` states it: the chosen
    option's mapped by the option calibration learned without its data set
    (``learn_p_calibration.py --folds-out``'s folder) when it only buys labels, the
    draws' own when it relabels (relabel options are not calibrated). The decisions are
    the ones the model's probability made (at the default limit the maps are the
    identity below 0.65, so they hold back the same options)."""
    from dataroi.decide import load_p_calibration

    index = json.loads((folder / "folds.json").read_text())
    out = dec.copy()
    stated = out["p_net_positive"].astype(float)
    out["p_net_positive"] = [
        p if np.isnan(p) or relabeled or ds not in index else
        load_p_calibration(str(folder / index[ds])).apply("option", p)
        for p, ds, relabeled in zip(stated, out["dataset"], out["relabel"].astype(bool),
                                    strict=True)]
    return out


def report(dec: pd.DataFrame) -> None:
    """Print the figures (see the module doc)."""
    methods = ["dataroi", "dataroi_rule", "rule_A", "rule_B", "pow3_new", "relabel", "stay"]
    per = dec.groupby(["method", "dataset"])["regret"].mean()
    n_dec = len(dec[dec["method"] == "dataroi"])
    print(f"\n{n_dec} decisions on {dec['dataset'].nunique()} data sets "
          f"({', '.join(SETTINGS)}; {', '.join(SCENARIOS)} labels; cuts "
          f"{sorted(int(n) for n in dec['n0'].unique())})")
    print("mean regret ($) [90 % interval, data sets resampled] | best chosen | money "
          "spent and lost (share of decisions that spend) | chose neither/new/relabel/both")
    for m in methods:
        d = dec[dec["method"] == m]
        mean, lo, hi = boot_mean(per[m], BOOT)
        spend = d[d["cost"] > 0]
        lost = float((spend["net"] < 0).mean()) if len(spend) else float("nan")
        mix = d["kind"].value_counts(normalize=True)
        print(f"  {m:<13} ${mean:>9,.0f} [{lo:,.0f}, {hi:,.0f}] | "
              f"{d.groupby('dataset')['best_chosen'].mean().mean():.0%} | "
              f"{lost:.1%} of {len(spend)} | "
              + "/".join(f"{mix.get(k, 0.0):.0%}" for k in ("neither", "new", "relabel",
                                                             "both")))
    hmix = dec[dec["method"] == "stay"]["hindsight"].value_counts(normalize=True)
    print("  best in hindsight: " + "/".join(f"{hmix.get(k, 0.0):.0%}" for k in
                                             ("neither", "new", "relabel", "both")))
    for m in ("dataroi", "dataroi_rule"):
        for r in RULES:
            mean, lo, hi = boot_mean(per[m] - per[r], BOOT)
            print(f"  {m} vs {r}: {mean:+,.0f} [{lo:+,.0f}, {hi:+,.0f}]")
        ratio, lo, hi = boot_ratio(per[m], [per[r] for r in RULES], BOOT)
        print(f"  {m} / the better rule: {ratio:.2f} [{lo:.2f}, {hi:.2f}]  (target <= 0.70, "
              "the interval of the difference excluding 0)")
    print("\ndecision.max_p_loss sweep (dataroi, in-sample: regret | spending decisions that "
          "lose money):")
    print("  " + "; ".join(
        f"{v:g} ${per[f'dataroi@{v}'].mean():,.0f} / "
        f"{(dec[(dec['method'] == f'dataroi@{v}') & (dec['cost'] > 0)]['net'] < 0).mean():.1%}"
        for v in P_LOSS_GRID))
    print("\nmean regret ($) by setting (data sets equal):")
    print("  setting      " + " ".join(f"{m:>12}" for m in methods))
    for s in SETTINGS:
        sub = dec[dec["setting"] == s]
        p = sub.groupby(["method", "dataset"])["regret"].mean()
        print(f"  {s:<12} " + " ".join(f"{p[m].mean():>12,.0f}" for m in methods))
    print("\nmean regret ($) by label price (data sets equal):")
    for sc in SCENARIOS:
        sub = dec[dec["scenario"] == sc]
        p = sub.groupby(["method", "dataset"])["regret"].mean()
        print(f"  {sc:<12} " + " ".join(f"{p[m].mean():>12,.0f}" for m in methods))
    print("\nby data set (mean regret $):")
    print("  data set           " + " ".join(f"{m:>12}" for m in methods))
    for ds in sorted(dec["dataset"].unique()):
        print(f"  {ds:<18} " + " ".join(f"{per[m][ds]:>12,.0f}" for m in methods))
    for m in ("dataroi", "dataroi_rule"):
        d = dec[(dec["method"] == m) & (dec["cost"] > 0)].dropna(subset=["p_net_positive"])
        print(f"\ncalibration of {m}'s stated P(net > 0) (decisions that spend):")
        for lo_, hi_ in ((0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95),
                         (0.95, 1.01)):
            b = d[(d["p_net_positive"] >= lo_) & (d["p_net_positive"] < hi_)]
            if len(b):
                print(f"  [{lo_:.2f}, {min(hi_, 1.0):.2f})  stated "
                      f"{b['p_net_positive'].mean():.2f}, realized "
                      f"{(b['net'] > 0).mean():.2f} ({len(b)} decisions)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--gain-folds", type=Path, default=None,
                    help="learn_gain_model.py --folds-out's folder (leave-data-set-out)")
    ap.add_argument("--lcdb", default=None, help="LCDB's database-accuracy.csv (to learn "
                    "the folds when --gain-folds is not given)")
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--only", default=None, help="comma-separated data sets")
    ap.add_argument("--out", type=Path, default=None, help="write the decisions (CSV)")
    ap.add_argument("--p-calibration-folds", type=Path, default=None,
                    help="learn_p_calibration.py --folds-out's folder: state P(net > 0) "
                         "calibrated as dataroi does, each data set by its fold's map")
    args = ap.parse_args(argv)
    t0 = time.time()
    workdir = args.workdir.resolve()
    cache = workdir / "units"
    cache.mkdir(parents=True, exist_ok=True)
    only = args.only.split(",") if args.only else None
    frame, _, _ = load_arms("parquet", Path("-"), workdir, only)
    gains = gain_models("folds", workdir, args.lcdb, args.gain_folds)
    todo = units(frame)
    print(f"{len(todo)} units (data set × learner × cut) on {frame['dataset'].nunique()} "
          f"data sets; gain model: leave-data-set-out folds; {args.draws} draws", flush=True)
    work = [(u, gains[u.dataset][0], args.draws, str(cache)) for u in todo]
    results: dict[str, dict] = {}
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            for r in pool.map(dataroi_unit, work):
                results[r["unit"]] = r
    else:
        for w in work:
            r = dataroi_unit(w)
            results[r["unit"]] = r
    dec = evaluate(frame, todo, results)
    if args.p_calibration_folds is not None:
        dec = calibrate_stated(dec, args.p_calibration_folds)
        print(f"P(net > 0): calibrated per fold ({args.p_calibration_folds})")
    if args.out:
        dec.to_csv(args.out, index=False)
    report(dec)
    print(f"\nreproduce: {REPRO}"
          + (" --p-calibration-folds PCAL" if args.p_calibration_folds else "")
          + f"   ({time.time() - t0:,.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
