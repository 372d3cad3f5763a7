"""Benchmark dataroi.curves on LCDB 1.0 learning curves (extrapolation, intervals, labels).

Fit validation error on anchors <= N (N in {128, 512}), predict the exact LCDB anchors 4N and
16N (target = mean over seeds) and print, for dataroi's ensemble and the pow3,
best-single-family and last1 baselines: MAE, median absolute error, bias, coverage and median
width of 80 % / 90 % intervals (next to a plain conformal band), labels-to-target accuracy
and seconds per fit. The OpenML data sets are split in two halves by id (fixed seed); the
learned parts (gate, scale model, calibration table, the choice of the best single family)
come from the training half only, and only curves of the held-out half are evaluated.

Run (LCDB fetched as described in ``benchmarks/_lcdb.py``)::

    # re-learn the shipped gates + calibrations on the training data sets, then evaluate:
    python benchmarks/bench_extrapolation.py --lcdb /work/lcdb --learn
    # evaluate the shipped files only:
    python benchmarks/bench_extrapolation.py --lcdb /work/lcdb

A last section (``--study-n``, see ``_studylike.py``) refits the held-out curves the way a
study sees them (a few doublings below N = 512, 1024, 2048) and checks the calibration there.
Another (``--study-shapes K``, see ``_studyshape.py``) cuts K held-out learners per data set
to the shapes of a study (few sizes, few seeds, the truth being the same seeds' mean later)
and checks the level and gain intervals; ``--study-shapes-only`` runs that section alone,
with whatever calibration dataroi loads. An ablation of the scale model's behaviour
features::

    cp -r src /tmp/ablate_src
    python benchmarks/learn_curve_model.py --cache RECS --keep-gates --no-behaviour \
        --out /tmp/ablate_src/dataroi/curves
    PYTHONPATH=/tmp/ablate_src python benchmarks/bench_extrapolation.py --lcdb /work/lcdb \
        --study-shapes-only

LCDB: MIT License, Copyright (c) 2021 Felix Mohr.
"""

from __future__ import annotations

import argparse
import math
import os
import pickle
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lcdb import LcdbCurve, load_lcdb_curves, set_mean
from _studylike import report_study_like, run_study_like
from _studyshape import collect_learn, family_arrays, report_eval, run_eval
from dataroi.curves import fit_curve
from dataroi.curves._families import FAMILIES
from dataroi.curves._stack import loss_unit

#: Families the learned gate chooses among (``families="auto"`` once it is shipped).
CANDIDATES: tuple[str, ...] = (
    "pow2", "pow3", "pow4", "log2", "exp4", "vap3", "mmf4", "wbl4", "janoschek", "last1",
)

LCDB_NOTICE = "LCDB 1.0 (Mohr et al., 2022), MIT License, Copyright (c) 2021 Felix Mohr"
SPLIT_SEED = 20240521
LEVELS = (0.8, 0.9)


MIT_TEXT = (
    "MIT License\nCopyright (c) 2021 Felix Mohr\nPermission is hereby granted, free of "
    "charge, to any person obtaining a copy of this software and associated documentation "
    "files (the \"Software\"), to deal in the Software without restriction, including without "
    "limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, "
    "and/or sell copies of the Software, and to permit persons to whom the Software is "
    "furnished to do so, subject to the following conditions:\nThe above copyright notice and "
    "this permission notice shall be included in all copies or substantial portions of the "
    "Software.\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR "
    "IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A "
    "PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT "
    "HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF "
    "CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR "
    "THE USE OR OTHER DEALINGS IN THE SOFTWARE."
)


def lcdb_licence_text() -> str:
    """The MIT notice of LCDB, kept with every derived file."""
    return MIT_TEXT


def split_ids(ids: list[int], seed: int = SPLIT_SEED) -> tuple[set[int], set[int]]:
    """Half of the OpenML ids (seeded permutation) for training, the rest held out."""
    ids = sorted(set(ids))
    perm = np.random.default_rng(seed).permutation(len(ids))
    train = {ids[i] for i in perm[: len(ids) // 2]}
    return train, set(ids) - train


def _first_cross(grid: np.ndarray, loss: np.ndarray, target: float) -> float:
    hit = np.nonzero(loss <= target)[0]
    return float(grid[hit[0]]) if hit.size else math.inf


def eval_curve(args: tuple[LcdbCurve, int, str, str]) -> dict[str, Any] | None:
    """Fit one curve on anchors <= N; return everything the learner and the report need.

    ``mode`` "learn" fits the candidate families and records the gate's inputs (with the
    training-score features); "eval" fits with the shipped defaults (``families="auto"``)
    and records predictions, intervals and labels-to-target, plus the baselines and a
    second fit that also gets the training scores (``train_*`` keys).
    """
    curve, n_max, mode, best_family = args
    sizes = curve.sizes
    err = curve.error
    fit_rows = sizes <= n_max
    later = sizes > n_max
    if fit_rows.sum() < 3 or not np.any(np.isclose(sizes, 4 * n_max, rtol=0.02)):
        return None
    truth_all = np.nanmean(err, axis=1)
    fams: Any = CANDIDATES if mode == "learn" else "auto"
    train_err = curve.train_error[fit_rows]
    t0 = time.perf_counter()
    fit = fit_curve(sizes[fit_rows], err[fit_rows], higher_is_better=False, families=fams,
                    random_state=0, calibrate=mode == "eval",
                    train_scores=train_err if mode == "learn" else None)
    seconds = time.perf_counter() - t0
    keep = later & (sizes <= 16.5 * n_max)
    ev = sizes[keep]
    truth = truth_all[keep]
    big_f, big_o, fam = family_arrays(fit, CANDIDATES, ev / fit.n_ref)
    shared, own, avail = fit.stack_inputs(CANDIDATES)
    big_f[~avail], big_o[~avail] = np.nan, np.nan
    rec: dict[str, Any] = {
        "openmlid": curve.openmlid, "learner": curve.learner, "N": n_max,
        "ratio": ev / n_max, "truth": truth, "family_pred": fam,
        "shared": shared, "own": own, "avail": avail, "F": big_f, "F_obs": big_o,
        "mean_loss": fit.mean_loss.copy(), "shape": "full",
        "unit": loss_unit(fit.mean_loss), "y_last": float(fit.mean_loss[-1]),
        "seconds": seconds, "diagnostics": sorted(fit.diagnostics), "weights": fit.weights,
        "train_feats": fit.train_inputs(CANDIDATES) if mode == "learn" else None,
    }
    i16 = np.nonzero(np.isclose(sizes, 16 * n_max, rtol=0.02))[0]
    fit_t = None
    if mode == "eval":
        rec["pred"], rec["scale"] = fit._pred_and_scale(ev)
        rec["interval"] = {lv: fit.interval(ev, level=lv) for lv in LEVELS}
        t0 = time.perf_counter()
        fit_t = fit_curve(sizes[fit_rows], err[fit_rows], higher_is_better=False,
                          random_state=0, train_scores=train_err)
        rec["train_seconds"] = time.perf_counter() - t0
        rec["train_gate"] = fit_t.gate
        rec["train_feats"] = fit_t.train_inputs(CANDIDATES)
        rec["train_pred"] = fit_t.predict(ev)
        rec["train_interval"] = {lv: fit_t.interval(ev, level=lv) for lv in LEVELS}
    # labels-to-target: target = error reached at 16N
    if mode == "eval" and i16.size:
        target = float(truth_all[i16[0]])
        seen_best = float(np.nanmin(truth_all[fit_rows]))
        if seen_best > target:
            cand = np.nonzero(later & (truth_all <= target))[0]
            true_n = float(sizes[cand[0]])
            r = fit.n_to_reach(target, confidence=0.9)
            grid = np.unique(np.geomspace(n_max, 1000 * n_max, 240).round())
            gx = grid / fit.n_ref
            gcomp = fit._component_loss(gx)
            rec["ltt"] = {
                "target": target, "true_n": true_n, "n_median": r.n_median, "n90": r.n,
                "p_never": r.p_never,
                "n_median_train": fit_t.n_to_reach(target, confidence=0.9).n_median
                if fit_t is not None else math.nan,
                "point": _first_cross(grid, fit._pred_loss(gx), target),
                "family": {c.family: _first_cross(grid, gcomp[i], target)
                           for i, c in enumerate(fit.components)},
            }
    if mode == "eval":
        for name in dict.fromkeys(("pow3", best_family, "last1")):
            b = fit_curve(sizes[fit_rows], err[fit_rows], higher_is_better=False,
                          families=(name,), random_state=0, calibrate=False)
            rec[f"{name}_interval"] = {lv: b.interval(ev, level=lv) for lv in LEVELS}
    return rec


def select_curves(curves: list[LcdbCurve], ids: set[int], per_dataset: int,
                  seed: int) -> list[LcdbCurve]:
    """Up to ``per_dataset`` curves (learners drawn at random) of each data set in ids."""
    by_id: dict[int, list[LcdbCurve]] = defaultdict(list)
    for c in curves:
        if c.openmlid in ids:
            by_id[c.openmlid].append(c)
    rng = np.random.default_rng(seed)
    out = []
    for oid in sorted(by_id):
        cs = by_id[oid]
        take = rng.permutation(len(cs))[: per_dataset if per_dataset > 0 else len(cs)]
        out.extend(cs[i] for i in sorted(take))
    return out


def run(curves: list[LcdbCurve], ns: list[int], jobs: int, mode: str,
        best_family: str = "pow3") -> list[dict]:
    tasks = [(c, n, mode, best_family) for n in ns for c in curves]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as ex:
            res = list(ex.map(eval_curve, tasks, chunksize=4))
    else:
        res = [eval_curve(t) for t in tasks]
    return [r for r in res if r is not None]


# ----------------------------------------------------------------------------- report


def _at(r: dict, ratio: float) -> int | None:
    hit = np.nonzero(np.isclose(r["ratio"], ratio, rtol=0.02))[0]
    return int(hit[0]) if hit.size else None


def report(recs: list[dict], best_family: str, train_recs: list[dict]) -> None:
    """Print the benchmark table (held-out records; ``train_recs`` carry out-of-fold
    predictions ``pred`` used for the plain conformal band)."""
    # plain conformal band (|residual| quantile per ratio, learned on training data sets)
    plain: dict[tuple[float, float], float] = {}
    for ratio in (4.0, 16.0):
        res = [abs(r["truth"][i] - r["pred"][i]) for r in train_recs
               if (i := _at(r, ratio)) is not None]
        for lv in LEVELS:
            plain[(ratio, lv)] = float(np.quantile(res, lv)) if res else math.nan
    for n_max in sorted({r["N"] for r in recs}):
        rs = [r for r in recs if r["N"] == n_max]
        n_ds = len({r["openmlid"] for r in rs})
        print(f"\n=== N = {n_max}: {len(rs)} held-out curves from {n_ds} data sets "
              f"(means are over data sets; each data set counts once) ===")
        hdr = (f"{'method':<18}{'ratio':>6}{'curves':>7}{'MAE':>8}{'medAE':>8}{'bias':>8}"
               f"{'cov80':>7}{'w80':>7}{'cov90':>7}{'w90':>7}")
        print(hdr)
        for ratio in (4.0, 16.0):
            rows = [(r, i) for r in rs if (i := _at(r, ratio)) is not None]
            if not rows:
                continue
            g = [r["openmlid"] for r, _ in rows]
            truth = np.array([r["truth"][i] for r, i in rows])
            methods: dict[str, np.ndarray] = {
                "dataroi": np.array([r["pred"][i] for r, i in rows]),
                "dataroi+train": np.array([r["train_pred"][i] for r, i in rows]),
                "pow3": np.array([r["family_pred"].get("pow3", [np.nan] * 99)[i]
                                  for r, i in rows]),
                f"best1={best_family}": np.array(
                    [r["family_pred"].get(best_family, [np.nan] * 99)[i] for r, i in rows]),
                "last1": np.array([r["y_last"] for r, _ in rows]),
            }
            for name, p in methods.items():
                ae = np.abs(p - truth)
                ok = np.isfinite(ae)
                mae = set_mean(list(ae[ok]), [g[k] for k in np.nonzero(ok)[0]])
                med = float(np.median(ae[ok]))
                bias = set_mean(list((p - truth)[ok]), [g[k] for k in np.nonzero(ok)[0]])
                cov = {}
                wid = {}
                for lv in LEVELS:
                    key = {"dataroi": "interval", "dataroi+train": "train_interval"}.get(
                        name, f"{name.split('=')[-1]}_interval")
                    if key not in rows[0][0]:
                        cov[lv] = wid[lv] = math.nan
                        continue
                    lo = np.array([r[key][lv][0][i] for r, i in rows])
                    hi = np.array([r[key][lv][1][i] for r, i in rows])
                    inside = ((truth >= lo) & (truth <= hi)).astype(float)
                    cov[lv] = set_mean(list(inside), g)
                    wid[lv] = float(np.median(hi - lo))
                print(f"{name:<18}{ratio:>5.0f}x{len(rows):>7}{mae:>8.4f}{med:>8.4f}"
                      f"{bias:>+8.4f}{cov[0.8]:>7.1%}{wid[0.8]:>7.3f}{cov[0.9]:>7.1%}"
                      f"{wid[0.9]:>7.3f}")
            for lv in LEVELS:
                pred = methods["dataroi"]
                h = plain[(ratio, lv)]
                inside = (np.abs(truth - pred) <= h).astype(float)
                print(f"{'  plain conformal':<18}{ratio:>5.0f}x  level {lv:.0%}: coverage "
                      f"{set_mean(list(inside), g):.1%}, width {2 * h:.3f} "
                      f"(dataroi median width above)")
        # labels to target
        lt = [r for r in rs if "ltt" in r]
        if lt:
            g = [r["openmlid"] for r in lt]
            print(f"labels-to-target (target = error at 16N; {len(lt)} curves not already "
                  "there):")
            print(f"{'  estimator':<30}{'within2x':>9}{'under':>8}{'never':>8}")
            ests = {
                "dataroi n_median": [r["ltt"]["n_median"] for r in lt],
                "dataroi+train n_median": [r["ltt"]["n_median_train"] for r in lt],
                "dataroi n(conf=0.9)": [r["ltt"]["n90"] for r in lt],
                "dataroi point crossing": [r["ltt"]["point"] for r in lt],
                "pow3 crossing": [r["ltt"]["family"].get("pow3", math.inf) for r in lt],
                f"best1={best_family} crossing": [
                    r["ltt"]["family"].get(best_family, math.inf) for r in lt],
            }
            true_n = np.array([r["ltt"]["true_n"] for r in lt])
            for name, est in ests.items():
                e = np.array(est, float)
                within = ((e >= true_n / 2) & (e <= true_n * 2)).astype(float)
                under = (e < true_n).astype(float)
                never = np.isinf(e).astype(float)
                print(f"  {name:<28}{set_mean(list(within), g):>9.1%}"
                      f"{set_mean(list(under), g):>8.1%}{set_mean(list(never), g):>8.1%}")
            print("  " + _ltt_headroom(lt))
            print("  " + _ltt_hindsight(lt))
        for label, key in (("", "seconds"), (" with train_scores", "train_seconds")):
            secs = np.array([r[key] for r in rs])
            print(f"seconds per fit_curve{label}: median {np.median(secs):.3f}, p90 "
                  f"{np.quantile(secs, 0.9):.3f}, max {secs.max():.3f}")
        gates = [r["train_gate"] for r in rs]
        print(f"fits given train_scores that used the training-score gate: "
              f"{gates.count('train')}/{len(gates)}")


def _ltt_headroom(lt: list[dict]) -> str:
    """How often a requirement within 2x is possible at all with the level error at 16N.

    Near 16N the target lies on a flattening curve: an estimate lands within 2x of the
    true requirement only if the predicted error at 16N is off by less than the curve's
    drop over its last doubling (8N -> 16N). The share of curves where that holds is
    roughly the ceiling of the within-2x share for this predictor.
    """
    drops, errs, g = [], [], []
    for r in lt:
        i8, i16 = _at(r, 8.0), _at(r, 16.0)
        if i8 is None or i16 is None:
            continue
        drops.append(float(r["truth"][i8] - r["truth"][i16]))
        errs.append(abs(float(r["pred"][i16] - r["truth"][i16])))
        g.append(r["openmlid"])
    if not drops:
        return "no curve with anchors at 8N and 16N"
    ok = [float(e < max(d, 0.0)) for d, e in zip(drops, errs, strict=True)]
    return (f"ceiling: |error at 16N| < drop 8N->16N for {set_mean(ok, g):.1%} of curves "
            f"(median drop {np.median(drops):.4f}, median |error| {np.median(errs):.4f})")


def _ltt_hindsight(lt: list[dict]) -> str:
    """Within-2x shares of two family choices that see the future (no estimator can).

    ``oracle family``: on each curve, the family whose prediction at 16N was closest to the
    truth; ``any family``: a curve counts if any fitted family's crossing is within 2x. They
    bound what selecting or weighting these families can reach on this measure.
    """
    oracle, anyf, g = [], [], []
    for r in lt:
        i16 = _at(r, 16.0)
        fam = r["ltt"]["family"]
        if i16 is None or not fam:
            continue
        true_n = r["ltt"]["true_n"]
        ok = {k: float(true_n / 2 <= v <= 2 * true_n) for k, v in fam.items()}
        errs = {k: abs(float(r["family_pred"][k][i16] - r["truth"][i16]))
                for k in fam if k in r["family_pred"]}
        oracle.append(ok[min(errs, key=errs.__getitem__)])
        anyf.append(max(ok.values()))
        g.append(r["openmlid"])
    if not g:
        return "hindsight: no curve with an anchor at 16N"
    return (f"hindsight: the family closest to the truth at 16N lands within 2x for "
            f"{set_mean(oracle, g):.1%}; some family does for {set_mean(anyf, g):.1%}")


def per_family_mae(recs: list[dict], ratio: float) -> dict[str, float]:
    """Held-out MAE of each family that was fitted on (nearly) every curve."""
    out = {}
    for name in FAMILIES:
        vals, g, n_all = [], [], 0
        for r in recs:
            i = _at(r, ratio)
            if i is None:
                continue
            n_all += 1
            fp = r["family_pred"].get(name)
            if fp is None:
                continue
            vals.append(abs(fp[i] - r["truth"][i]))
            g.append(r["openmlid"])
        if vals and len(vals) >= 0.9 * n_all:
            out[name] = set_mean(vals, g)
    return out


def per_learner(recs: list[dict], ratio: float) -> None:
    by: dict[str, list[dict]] = defaultdict(list)
    for r in recs:
        if _at(r, ratio) is not None:
            by[r["learner"]].append(r)
    print(f"\nper learner (N=128 -> {ratio:.0f}N): MAE dataroi / last1 / pow3, curves")
    for learner in sorted(by):
        rs = by[learner]
        d = np.mean([abs(r["pred"][_at(r, ratio)] - r["truth"][_at(r, ratio)]) for r in rs])
        last = np.mean([abs(r["y_last"] - r["truth"][_at(r, ratio)]) for r in rs])
        p3 = np.mean([abs(r["family_pred"].get("pow3", [r["y_last"]] * 99)[_at(r, ratio)]
                          - r["truth"][_at(r, ratio)]) for r in rs])
        print(f"  {learner:<34}{d:>8.4f}{last:>8.4f}{p3:>8.4f}{len(rs):>6}")


def _replay_shipped(recs: list[dict]) -> None:
    """Predictions of the shipped gate on learn-mode records (``pred``), in place."""
    from dataroi.curves._stack import load_stacker
    from learn_curve_model import _arrays, predict_gate

    st = load_stacker()
    if st is None:
        raise SystemExit("no stacker.json shipped: run with --learn")
    d = _arrays(recs, len(st.families))
    theta = np.concatenate([st.bias, st.coef_shared.ravel(), st.coef_own.ravel()])
    _, pred = predict_gate(theta, st.mean, st.std, d)
    for i, r in enumerate(recs):
        r["pred"] = pred[i, : len(r["ratio"])]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lcdb", default=os.environ.get("DATAROI_LCDB"),
                    help="database-accuracy.csv or a folder containing it (env DATAROI_LCDB)")
    ap.add_argument("--n", type=int, nargs="+", default=[128, 512],
                    help="largest observed sizes evaluated on the held-out data sets")
    ap.add_argument("--train-n", type=int, nargs="+", default=[128, 256, 512],
                    help="largest observed sizes of the training fits (learned parts)")
    ap.add_argument("--per-dataset", type=int, default=3,
                    help="held-out curves (learners, drawn at random) per data set; 0 = all")
    ap.add_argument("--per-dataset-train", type=int, default=5,
                    help="training curves per data set; 0 = all")
    ap.add_argument("--max-datasets", type=int, default=0,
                    help="use only the first k data sets of each half (quick runs); 0 = all")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--learn", action="store_true",
                    help="re-learn the gate and calibration on the training data sets and "
                         "write them to --out before evaluating")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "src" /
                                         "dataroi" / "curves"))
    ap.add_argument("--collect-only", action="store_true",
                    help="only collect learn-mode records of both halves into --cache")
    ap.add_argument("--cache", default=None, help="pickle the per-curve records here")
    ap.add_argument("--study-n", type=int, nargs="*", default=[512, 1024, 2048],
                    help="also check the calibration on held-out curves fitted like a study "
                         "(anchors in [N/2**span, N]) for these N; none: skip")
    ap.add_argument("--study-span", type=float, default=5.0,
                    help="doublings below N that a study-like fit sees")
    ap.add_argument("--study-shapes", type=int, default=10, metavar="K",
                    help="learners per data set cut to study shapes (few sizes and seeds, "
                         "_studyshape.py): with --learn the calibration is learned on their "
                         "training cuts too; the held-out cuts are checked in a last "
                         "section; 0 = neither")
    ap.add_argument("--study-shapes-only", action="store_true",
                    help="run the study-shaped check of the held-out curves only, with the "
                         "calibration dataroi loads (e.g. an ablation's, via PYTHONPATH)")
    ap.add_argument("--keep-gates", action="store_true",
                    help="with --learn: write the calibration files only, keep the shipped "
                         "gate files")
    args = ap.parse_args(argv)
    cmd = " ".join(["python benchmarks/bench_extrapolation.py", *sys.argv[1:]])
    print(f"reproduce with: {cmd}", flush=True)
    from dataroi.curves._calibration import load_calibration
    from dataroi.curves._stack import load_stacker
    from learn_curve_model import learn

    curves = load_lcdb_curves(args.lcdb)
    all_ids = sorted({c.openmlid for c in curves})
    train_ids, test_ids = split_ids(all_ids)
    if args.max_datasets:
        train_ids = set(sorted(train_ids)[: args.max_datasets])
        test_ids = set(sorted(test_ids)[: args.max_datasets])
    t0 = time.perf_counter()
    if args.study_shapes_only:
        shipped = set(load_calibration().meta.get("train_openml_ids", []))
        study_shaped_section(curves, test_ids - shipped, args)
        return 0
    train_curves = select_curves(curves, train_ids, args.per_dataset_train, args.seed)
    train_recs = run(train_curves, args.train_n, args.jobs, "learn")
    print(f"training fits: {len(train_recs)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    train_study: list[dict] = []
    if args.study_shapes and (args.learn or args.collect_only):
        t1 = time.perf_counter()
        train_study = collect_learn(
            select_curves(curves, train_ids, args.study_shapes, args.seed + 1), CANDIDATES,
            args.jobs)
        print(f"study-shaped training cuts: {len(train_study)} "
              f"({time.perf_counter() - t1:.0f} s)", flush=True)
    test_curves = select_curves(curves, test_ids, args.per_dataset, args.seed)
    if args.collect_only:
        test_recs = run(test_curves, args.n, args.jobs, "learn")
        with open(args.cache, "wb") as fh:
            pickle.dump({"train": train_recs, "test": test_recs, "train_study": train_study,
                         "train_ids": sorted(train_ids)}, fh)
        print(f"records -> {args.cache} ({time.perf_counter() - t0:.0f} s)")
        return 0
    if args.learn:
        _, _, oof = learn(train_recs, CANDIDATES, sorted(train_ids), Path(args.out),
                          lcdb_licence_text(), SPLIT_SEED, study_recs=train_study or None,
                          write_gate=not args.keep_gates)
        learn(train_recs, CANDIDATES, sorted(train_ids), Path(args.out), lcdb_licence_text(),
              SPLIT_SEED, train=True, study_recs=train_study or None,
              write_gate=not args.keep_gates)
        for i, r in enumerate(train_recs):
            r["pred"] = oof[i, : len(r["ratio"])]
        load_stacker.cache_clear()
        load_calibration.cache_clear()
        conformal_note = "out-of-fold gate residuals of the training data sets"
    else:
        shipped = set(load_calibration().meta.get("train_openml_ids", []))
        if shipped and shipped != set(split_ids(all_ids)[0]):
            print("warning: shipped models were learned on another split")
        test_ids = test_ids - shipped
        test_curves = select_curves(curves, test_ids, args.per_dataset, args.seed)
        _replay_shipped(train_recs)
        conformal_note = "in-sample gate residuals of the training data sets"
    # best single family: chosen on the training data sets at 4N (smallest N)
    fam_mae = per_family_mae([r for r in train_recs if r["N"] == min(args.n)], 4.0)
    best_family = min((k for k in fam_mae if k != "last1"), key=fam_mae.__getitem__)
    recs = run(test_curves, args.n, args.jobs, "eval", best_family)
    if args.cache:
        with open(args.cache, "wb") as fh:
            pickle.dump({"train": train_recs, "test": recs, "train_ids": sorted(train_ids)}, fh)
    print(f"data sets: {len(train_ids)} training (gate, scale model, calibration, best-family "
          f"choice; N in {args.train_n}, <= {args.per_dataset_train or 'all'} curves each), "
          f"{len(test_ids)} held out (<= {args.per_dataset or 'all'} curves each); "
          f"plain conformal band from {conformal_note}; wall {time.perf_counter() - t0:.0f} s")
    report(recs, best_family, train_recs)
    for n_max in args.n:
        for ratio in (4.0, 16.0):
            fm = per_family_mae([r for r in recs if r["N"] == n_max], ratio)
            ranked = sorted(fm.items(), key=lambda kv: kv[1])
            print(f"held-out MAE per family, N={n_max} -> {ratio:.0f}N: "
                  + ", ".join(f"{k} {v:.4f}" for k, v in ranked))
            print(f"  oracle best family per curve: {oracle_mae(recs, n_max, ratio):.4f}")
    per_learner([r for r in recs if r["N"] == min(args.n)], 4.0)
    if args.study_n:
        t1 = time.perf_counter()
        rows = run_study_like(test_curves, args.study_n, args.study_span, args.jobs)
        report_study_like(rows, args.study_span)
        print(f"study-like section: {time.perf_counter() - t1:.0f} s")
    if args.study_shapes:
        study_shaped_section(curves, test_ids, args)
    return 0


def study_shaped_section(curves: list[LcdbCurve], test_ids: set[int],
                         args: argparse.Namespace) -> None:
    """Cut ``args.study_shapes`` learners per held-out data set to study shapes and print
    the coverage of the calibration dataroi loads (``_studyshape.py``)."""
    t1 = time.perf_counter()
    shaped = select_curves(curves, test_ids, args.study_shapes, args.seed + 1)
    report_eval(run_eval(shaped, args.jobs))
    print(f"study-shaped section ({args.study_shapes} learners per held-out data set): "
          f"{time.perf_counter() - t1:.0f} s")


def oracle_mae(recs: list[dict], n_max: int, ratio: float) -> float:
    """MAE if the best family of every curve were known (the room left for selection)."""
    vals, g = [], []
    for r in recs:
        i = _at(r, ratio)
        if r["N"] != n_max or i is None:
            continue
        errs = [abs(v[i] - r["truth"][i]) for v in r["family_pred"].values()]
        vals.append(min(errs))
        g.append(r["openmlid"])
    return set_mean(vals, g)


if __name__ == "__main__":
    raise SystemExit(main())
