"""Build the curve corpus with dataroi itself: one study per data set, every trial in a ledger.

For every data set of :data:`datasets.CORPUS` the driver

1. writes the prepared table (``<workdir>/data/<name>.parquet``; identifiers and leaking
   columns dropped, at most 50,000 rows) unless it is there already;
2. writes the study spec ``specs/<name>.yaml`` (committed: sizes doubling from 64 to
   min(32,768, pool), 5 repeats, one stratified test set of min(5,000, 20 %) rows,
   accuracy, log-loss and ROC AUC, the kind's learners from ``specs/corpus_learners.py``);
3. runs it through dataroi's public API (``dataroi.load_study(spec).run(jobs=...)``)
   on one SQLite ledger (``<workdir>/ledger.db``).

Rerunning continues where it stopped: finished trials are reused (dataroi's ledger);
Ctrl-C returns the trials in flight to waiting. ``--export`` then writes the committed
files: ``curves.parquet`` (one row per trial and metric) and ``manifest.csv``.

Usage::

    export DATAROI_KERNLAB=/path/to/RPKG/usr/lib/R/site-library   # see datasets.py
    python benchmarks/corpus/build.py --jobs 2            # build (resumable), then export
    python benchmarks/corpus/build.py --only flights,digits --no-export
    python benchmarks/corpus/build.py --export-only       # the committed files from the ledger

The same study can be run by hand (the learners module must be importable)::

    PYTHONPATH=benchmarks/corpus/specs dataroi run benchmarks/corpus/specs/flights.yaml \\
        --ledger benchmarks/corpus/work/ledger.db
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SPECS = HERE / "specs"
sys.path[:0] = [str(HERE), str(SPECS)]

from corpus_learners import LEARNERS  # noqa: E402
from datasets import CORPUS, CorpusSet, prepare  # noqa: E402

MAX_ROWS = 50_000
MIN_SIZE, MAX_SIZE = 64, 32_768
REPEATS = 5
MAX_TEST = 5_000
METRICS = ("accuracy", "log_loss", "roc_auc")
#: Classes with fewer rows than this are dropped (a stratified test set needs each class
#: in both parts); the manifest lists the rows dropped.
MIN_CLASS_ROWS = 20


def test_rows(n_rows: int) -> int:
    """min(5,000, 20 %) of the rows.

    Example:
        >>> test_rows(50_000), test_rows(1_797)
        (5000, 359)
    """
    return int(min(MAX_TEST, int(0.2 * n_rows)))


def sizes_for(pool: int) -> list[int]:
    """Sizes doubling from 64 up to min(32,768, pool).

    Example:
        >>> sizes_for(1_438)
        [64, 128, 256, 512, 1024]
    """
    out, n = [], MIN_SIZE
    while n <= min(MAX_SIZE, pool):
        out.append(n)
        n *= 2
    return out


def spec_for(ds: CorpusSet, n_rows: int) -> dict[str, Any]:
    """The study spec of a corpus data set (as a plain dictionary)."""
    sizes = sizes_for(n_rows - test_rows(n_rows))
    return {
        "name": f"corpus-{ds.name}",
        "data": {"source": f"../work/data/{ds.name}.parquet", "target": ds.target,
                 "task": "classification"},
        "split": {"test_size": test_rows(n_rows)},
        "models": {name: {"factory": "corpus_learners:make",
                          "params": {"learner": name, "kind": ds.kind}}
                   for name in LEARNERS[ds.kind]},
        "metrics": list(METRICS),
        "schedule": {"sizes": sizes, "repeats": REPEATS, "seed": 0},
    }


def _yaml(spec: dict[str, Any], ds: CorpusSet) -> str:
    import yaml

    head = (f"# Corpus data set '{ds.name}' ({ds.package} {ds.item}); written by "
            "benchmarks/corpus/build.py.\n# The data file is made by the driver (see "
            "datasets.py); the learners are in corpus_learners.py.\n")
    return head + yaml.safe_dump(spec, sort_keys=False, width=100)


def atomic_write(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def prepared_table(ds: CorpusSet, workdir: Path) -> tuple[Path, dict[str, Any]]:
    """Write (once) and describe the prepared table of ``ds``."""
    import pandas as pd

    data_dir = workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"{ds.name}.parquet"
    info_path = data_dir / f"{ds.name}.json"
    if path.exists() and info_path.exists():
        return path, json.loads(info_path.read_text())
    raw = prepare(ds, max_rows=MAX_ROWS)
    counts = raw[ds.target].value_counts()
    rare = counts[counts < MIN_CLASS_ROWS]
    df = raw[~raw[ds.target].isin(rare.index)].reset_index(drop=True)
    features = df.drop(columns=[ds.target])
    kinds = sorted({"text" if ds.kind == "text" else
                    "categorical" if isinstance(t, pd.CategoricalDtype) else
                    "boolean" if pd.api.types.is_bool_dtype(t) else "numeric"
                    for t in features.dtypes})
    share = df[ds.target].value_counts(normalize=True)
    info = {
        "rows": len(df), "features": features.shape[1], "classes": int(share.size),
        "majority_share": round(float(share.iloc[0]), 4), "feature_kinds": ";".join(kinds),
        "missing_share": round(float(features.isna().to_numpy().mean()), 4),
        "rare_classes_dropped": {str(k): int(v) for k, v in rare.items()},
    }
    atomic_write(path, lambda p: df.to_parquet(p, index=False))
    atomic_write(info_path, lambda p: p.write_text(json.dumps(info, indent=1)))
    return path, info


def write_spec(ds: CorpusSet, n_rows: int) -> Path:
    """Write ``specs/<name>.yaml``; the committed file is rewritten only if it differs."""
    path = SPECS / f"{ds.name}.yaml"
    text = _yaml(spec_for(ds, n_rows), ds)
    if not path.exists() or path.read_text() != text:
        atomic_write(path, lambda p: p.write_text(text))
    return path


def load(ds: CorpusSet, workdir: Path, **kw: Any) -> Any:
    """The dataroi study of ``ds``: its committed spec, with the data file in ``workdir``."""
    import yaml

    import dataroi

    data_path, info = prepared_table(ds, workdir)
    spec_path = write_spec(ds, info["rows"])
    if workdir == HERE / "work":
        spec: Any = str(spec_path)
    else:  # the spec names ../work/data/; point it at this work folder instead
        spec = yaml.safe_load(spec_path.read_text())
        spec["data"]["source"] = str(data_path)
    return dataroi.load_study(spec, ledger=str(workdir / "ledger.db"), **kw)


def run_study(study: Any, label: str, jobs: int, *, threads: int | None = None
              ) -> dict[str, Any]:
    """Run one study (resumable: finished trials are reused) and print one line."""
    t0 = time.perf_counter()
    summary = study.run(jobs=jobs, threads=threads, progress=sys.stderr.isatty())
    seconds = time.perf_counter() - t0
    print(f"{label:20s} {summary.completed:5d} run, {summary.already_done:5d} reused, "
          f"{summary.failed:3d} failed in {seconds:7.1f} s", flush=True)
    for (etype, message), n in summary.error_groups.items():
        print(f"    {n} failed: {etype}: {message}", flush=True)
    return {"name": label, "seconds": seconds, "completed": summary.completed,
            "failed": summary.failed}


def run_one(ds: CorpusSet, workdir: Path, jobs: int) -> dict[str, Any]:
    return run_study(load(ds, workdir), ds.name, jobs)


def curve_rows(name: str, t: Any) -> Any:
    """The finished trials of a study's ``trials()`` frame as corpus rows: ``dataset,
    learner, n_train, repeat, metric, value, train_value, fit_seconds, predict_seconds``
    (``learner`` is dataroi's model name)."""
    import pandas as pd

    t = t[t["state"] == "complete"]
    return pd.DataFrame({
        "dataset": name, "learner": t["model"].astype(str),
        "n_train": t["n_train"].astype("int32"), "repeat": t["repeat"].astype("int8"),
        "metric": t["metric"].astype(str), "value": t["value"].astype("float64"),
        "train_value": t["train_value"].astype("float64"),
        "fit_seconds": t["fit_seconds"].astype("float32"),
        "predict_seconds": t["predict_seconds"].astype("float32"),
    })


def export(workdir: Path, names: list[str]) -> None:
    """Write ``curves.parquet`` and ``manifest.csv`` from the ledger."""
    import pandas as pd

    frames, rows = [], []
    by = {d.name: d for d in CORPUS}
    for name in names:
        ds = by[name]
        _, info = prepared_table(ds, workdir)
        study = load(ds, workdir, build_models=False)
        rows_of = curve_rows(name, study.trials())
        if rows_of.empty:
            print(f"{name}: no finished trials yet; left out", file=sys.stderr)
            continue
        frames.append(rows_of)
        spec = spec_for(ds, info["rows"])
        rows.append({
            "dataset": name, "kind": ds.kind, "source_package": ds.package,
            "package_version": ds.version, "item": ds.item, "licence": ds.licence,
            "target": ds.target, "rows_used": info["rows"],
            "test_rows": spec["split"]["test_size"], "max_n_train": spec["schedule"]["sizes"][-1],
            "classes": info["classes"], "majority_share": info["majority_share"],
            "feature_kinds": info["feature_kinds"], "features": info["features"],
            "missing_share": info["missing_share"],
            "leaking_columns_dropped": ";".join(ds.leaks),
            "identifiers_dropped": ";".join(c for c in ds.ids),
            "rare_classes_dropped": ";".join(f"{k} ({v} rows)" for k, v in
                                             info["rare_classes_dropped"].items()),
            "note": ds.note,
        })
    curves = pd.concat(frames, ignore_index=True)
    for col in ("dataset", "learner", "metric"):
        curves[col] = curves[col].astype("category")
    curves = curves.sort_values(["dataset", "learner", "metric", "n_train", "repeat"])
    atomic_write(HERE / "curves.parquet",
                  lambda p: curves.to_parquet(p, index=False, compression="zstd"))
    atomic_write(HERE / "manifest.csv",
                  lambda p: pd.DataFrame(rows).to_csv(p, index=False))
    n_curves = curves.groupby(["dataset", "learner"], observed=True).ngroups
    print(f"exported {len(curves):,} rows ({n_curves} curves, {len(rows)} data sets) "
          f"to {HERE / 'curves.parquet'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", type=Path, default=HERE / "work",
                    help="prepared data and the ledger (default: benchmarks/corpus/work)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", help="comma-separated data set names")
    ap.add_argument("--kernlab", help="RPKG/usr/lib/R/site-library (or DATAROI_KERNLAB)")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--export-only", action="store_true")
    args = ap.parse_args(argv)
    if args.kernlab:
        os.environ["DATAROI_KERNLAB"] = args.kernlab
    # worker processes import corpus_learners by name
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(SPECS), *filter(None, [os.environ.get("PYTHONPATH")])])
    names = [d.name for d in CORPUS]
    if args.only:
        wanted = args.only.split(",")
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            ap.error(f"unknown data sets: {', '.join(unknown)}")
        names = [n for n in names if n in wanted]
    workdir = args.workdir.resolve()
    if not args.export_only:
        by = {d.name: d for d in CORPUS}
        # prepare every table first (a missing package fails now, not after hours)
        sizes = {n: prepared_table(by[n], workdir)[1]["rows"] for n in names}
        order = sorted(names, key=lambda n: sizes[n])
        t0 = time.perf_counter()
        done = [run_one(by[n], workdir, args.jobs) for n in order]
        total = time.perf_counter() - t0
        print(f"build: {len(done)} data sets, {sum(d['completed'] for d in done):,} trials run, "
              f"{sum(d['failed'] for d in done)} failed, {total / 60:.1f} min wall "
              f"(jobs={args.jobs})")
    if not args.no_export:
        export(workdir, names)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
