"""Noise arms for the curve corpus: the clean curve beside the same curve on noisy labels.

For each data set of :data:`NOISE_SETS` the driver writes two study specs that share one
study (``corpus-noise-<name>``), and so one set of trials for the clean arm:

* ``specs/noise/<name>.yaml``: the clean learners plus symmetric label noise at 5, 10 and
  20 % (arms ``logreg[noise=0.05]`` ...);
* ``specs/noise/<name>-cc.yaml``: the same clean learners plus one class-conditional arm
  (``logreg[cc-noise]``): 20 % of the labels of the most frequent class flipped to the
  second most frequent class, the other classes clean (a ``stress:`` section holds one
  noise kind, so the second kind is a second revision of the same study; its clean trials
  are the first one's, reused from the ledger).

Everything else is the clean corpus spec's (:func:`build.spec_for`): the same prepared
table, split, repeats, seed and metrics; the sizes are the clean ones up to
:data:`MAX_NOISE_SIZE` (8,192, to bound the compute); two learners, a linear one and a
tree ensemble (:data:`NOISE_LEARNERS`). dataroi's stress arms share their base model's
nested subsets and estimator seeds, and seeds are keyed by identity (root seed, repeat,
size, model), so the clean arm here is the clean corpus's trial, and each noisy arm is
paired with it trial by trial.

The trials go to their own ledger (``<workdir>/noise_ledger.db``, beside the clean
build's ``ledger.db``); rerunning continues where it stopped. ``--export-only`` writes the
committed files from the ledger: ``noise_curves.parquet`` (one row per trial and metric,
the columns of ``curves.parquet`` plus ``arm``, ``noise_kind``, ``noise_rate``) and
``noise_manifest.csv``; only data sets whose every planned trial is finished are exported.

Usage::

    python benchmarks/corpus/build_noise.py --dry-run          # trials per data set
    nohup python benchmarks/corpus/build_noise.py --jobs 1 \\
        > benchmarks/corpus/work/noise_build.log 2>&1 &         # build (resumable), export
    python benchmarks/corpus/build_noise.py --export-only       # the committed files

By hand (the learners module must be importable)::

    PYTHONPATH=benchmarks/corpus/specs dataroi run benchmarks/corpus/specs/noise/flights.yaml \\
        --ledger benchmarks/corpus/work/noise_ledger.db

Example:
    >>> [n for n in NOISE_SETS if by_name(n).kind == "text"]
    ['newsgroups20', 'healthtweets', 'election_tweets']
    >>> arm_facts("logreg[noise=0.1]"), arm_facts("hgb")
    (('logreg', 'noise=0.1', 'symmetric', 0.1), ('hgb', 'clean', 'none', 0.0))
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "specs")]

from build import (  # noqa: E402
    SPECS,
    atomic_write,
    curve_rows,
    prepared_table,
    run_study,
    spec_for,
)
from datasets import CorpusSet, by_name  # noqa: E402

NOISE_SPECS = SPECS / "noise"
#: Symmetric noise: exactly round(rate * n) training labels flipped to another class.
NOISE_RATES = (0.05, 0.1, 0.2)
#: Class-conditional noise: this share of the most frequent class's training labels is
#: flipped to the second most frequent class.
CC_RATE = 0.2
MAX_NOISE_SIZE = 8_192
#: A linear learner and a tree ensemble of each kind (``specs/corpus_learners.py``).
NOISE_LEARNERS = {"tabular": ("logreg", "hgb"), "text": ("logreg", "rf")}
#: 16 data sets: 3 text, 6 binary and 7 multi-class tables; every pool reaches 4,096 rows
#: (all but election_tweets 8,192), and each has signal to lose (the clean curves of
#: seattlepets and friends stay near the majority share, so they are left out).
NOISE_SETS = (
    "newsgroups20", "healthtweets", "election_tweets",
    "flights", "labsup", "star", "nesarc_drinkspd", "nlswork", "mortgages",
    "doctorcontacts", "tuna", "birds", "anes_partytherms", "keel_penbased", "military",
    "happiness",
)
ARMS = ("clean", *(f"noise={r}" for r in NOISE_RATES), "cc-noise")


def cpu_paths() -> tuple[str, str]:
    """The code paths this machine's arithmetic takes: OpenBLAS's kernel family and
    numpy's SIMD targets found here (e.g. ``('SkylakeX', 'X86_V3,X86_V4,AVX512_ICL')``).

    The clean corpus (``curves.parquet``) was computed on AVX-512 paths (OpenBLAS
    ``SkylakeX``, numpy's AVX-512 loops): there the clean arm reproduces it to the bit. On
    an AVX2-only machine (OpenBLAS ``Haswell``/``Zen``) the last bits differ, and where a
    learner is sensitive to them, more (README, noise arms; ``tests/test_corpus_noise.py``).
    """
    try:
        from threadpoolctl import threadpool_info

        blas = sorted({str(i.get("architecture")) for i in threadpool_info()
                       if i.get("internal_api") == "openblas"}) or ["not OpenBLAS"]
    except Exception:  # no threadpoolctl: say so rather than fail a build
        blas = ["unknown"]
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

        simd = [t for t in __cpu_dispatch__ if __cpu_features__.get(t)]
    except Exception:
        simd = ["unknown"]
    return ",".join(blas), ",".join(simd)


#: OpenBLAS kernel families with the AVX-512 kernels the corpus was built with.
AVX512_BLAS = ("SkylakeX", "Cooperlake", "SapphireRapids")


def arm_facts(model: str) -> tuple[str, str, str, float]:
    """dataroi's model name of a trial as ``(learner, arm, noise_kind, noise_rate)``.

    The class-conditional arm's rate is :data:`CC_RATE`, the share of its one noisy
    class's labels flipped (the manifest gives that class's share of the data).

    Example:
        >>> arm_facts("rf[cc-noise]")
        ('rf', 'cc-noise', 'class_conditional', 0.2)
    """
    if "[" not in model:
        return model, "clean", "none", 0.0
    learner, arm = model.split("[", 1)
    arm = arm.removesuffix("]")
    if arm == "cc-noise":
        return learner, arm, "class_conditional", CC_RATE
    if arm.startswith("noise="):
        return learner, arm, "symmetric", float(arm.split("=", 1)[1])
    raise ValueError(f"not a noise arm of this build: {model!r}")


def cc_classes(data_path: Path, target: str) -> tuple[str, str, float]:
    """The class-conditional arm's classes: the most frequent class (whose labels get
    noisy), the second most frequent (where they go), and the first one's share of the
    prepared table (ties broken by label)."""
    import pandas as pd

    y = pd.read_parquet(data_path, columns=[target])[target].astype(str)
    counts = y.value_counts().rename_axis("label").reset_index(name="n")
    counts = counts.sort_values(["n", "label"], ascending=[False, True])
    first, second = (str(v) for v in counts["label"].iloc[:2])
    return first, second, float(counts["n"].iloc[0] / len(y))


def noise_spec(ds: CorpusSet, info: dict[str, Any], kind: str,
               cc: tuple[str, str, float]) -> dict[str, Any]:
    """The spec of one noise revision (``kind``: ``symmetric`` or ``cc``) of ``ds``: the
    clean corpus spec with two learners, sizes up to :data:`MAX_NOISE_SIZE` and a
    ``stress:`` section."""
    spec = spec_for(ds, info["rows"])
    spec["name"] = f"corpus-noise-{ds.name}"
    spec["data"]["source"] = f"../../work/data/{ds.name}.parquet"
    spec["models"] = {k: v for k, v in spec["models"].items() if k in NOISE_LEARNERS[ds.kind]}
    sched = spec["schedule"]
    sched["sizes"] = [n for n in sched["sizes"] if n <= MAX_NOISE_SIZE]
    if kind == "symmetric":
        noise: dict[str, Any] = {"rates": list(NOISE_RATES), "kind": "symmetric"}
    else:
        noise = {"kind": "class_conditional", "matrix": {cc[0]: {cc[1]: CC_RATE}}}
    spec["stress"] = {"noise": noise}
    return {k: spec[k] for k in ("name", "data", "split", "models", "metrics", "schedule",
                                 "stress")}


def _yaml(spec: dict[str, Any], ds: CorpusSet, kind: str) -> str:
    import yaml

    what = ("symmetric label noise at 5, 10 and 20 %" if kind == "symmetric" else
            "class-conditional label noise (one class)")
    head = (f"# Noise arms of corpus data set '{ds.name}' ({ds.package} {ds.item}): {what};\n"
            "# written by benchmarks/corpus/build_noise.py. The clean spec is "
            f"../{ds.name}.yaml (same data,\n# split, repeats, seed and metrics).\n")
    return head + yaml.safe_dump(spec, sort_keys=False, width=100)


def spec_paths(name: str) -> dict[str, Path]:
    """The two committed spec files of a data set, by noise kind."""
    return {"symmetric": NOISE_SPECS / f"{name}.yaml", "cc": NOISE_SPECS / f"{name}-cc.yaml"}


def studies(ds: CorpusSet, workdir: Path, **kw: Any) -> dict[str, Any]:
    """The two dataroi studies of ``ds`` (symmetric, cc) on the noise ledger; writes the
    prepared table and the spec files when missing or different."""
    import yaml

    import dataroi

    data_path, info = prepared_table(ds, workdir)
    cc = cc_classes(data_path, ds.target)
    NOISE_SPECS.mkdir(exist_ok=True)
    out = {}
    for kind, path in spec_paths(ds.name).items():
        text = _yaml(noise_spec(ds, info, kind, cc), ds, kind)
        if not path.exists() or path.read_text() != text:
            atomic_write(path, lambda p, text=text: p.write_text(text))
        spec: Any = str(path)
        if workdir != HERE / "work":  # point the spec at this work folder's data
            spec = yaml.safe_load(text)
            spec["data"]["source"] = str(data_path)
        out[kind] = dataroi.load_study(spec, ledger=str(workdir / "noise_ledger.db"), **kw)
    return out


def dry_run(names: list[str], workdir: Path) -> int:
    """Print the trials each data set plans (a clean arm counted once); return the total."""
    total = 0
    for name in names:
        ds = by_name(name)
        _, info = prepared_table(ds, workdir)
        spec = noise_spec(ds, info, "symmetric", ("a", "b", 0.0))
        sizes = spec["schedule"]["sizes"]
        n = len(spec["models"]) * len(ARMS) * len(sizes) * spec["schedule"]["repeats"]
        total += n
        print(f"{name:18s} {ds.kind:8s} {info['classes']:3d} classes, sizes {sizes[0]}.."
              f"{sizes[-1]} ({len(sizes)}), {'+'.join(spec['models'])}: {n} trials")
    print(f"total: {total:,} trials on {len(names)} data sets")
    return total


def _facts(ds: CorpusSet, info: dict[str, Any], frame: Any, clean: Any,
           cc: tuple[str, str, float]) -> dict[str, Any]:
    """A data set's row of the noise manifest."""
    spec = noise_spec(ds, info, "symmetric", cc)
    key = ["learner", "n_train", "repeat", "metric"]
    mine = frame[frame["arm"] == "clean"].merge(
        clean[clean["dataset"] == ds.name], on=key, suffixes=("", "_corpus"))
    # identical: the same float64 (parquet keeps it exactly), or both NaN
    same = (mine["value"] == mine["value_corpus"]) | (
        mine["value"].isna() & mine["value_corpus"].isna())
    return {
        "dataset": ds.name, "kind": ds.kind, "classes": info["classes"],
        "majority_share": info["majority_share"], "rows_used": info["rows"],
        "test_rows": spec["split"]["test_size"],
        "max_n_train": spec["schedule"]["sizes"][-1],
        "clean_max_n_train": spec_for(ds, info["rows"])["schedule"]["sizes"][-1],
        "learners": ";".join(spec["models"]), "arms": ";".join(ARMS),
        "noise_rates": ";".join(str(r) for r in NOISE_RATES),
        "cc_class": cc[0], "cc_to_class": cc[1], "cc_rate": CC_RATE,
        "cc_class_share": round(cc[2], 4), "cc_expected_share_flipped": round(CC_RATE * cc[2], 4),
        "trials": frame.groupby(["learner", "arm", "n_train", "repeat"]).ngroups,
        "clean_rows_compared": len(mine),
        "clean_equal_to_corpus": round(float(same.mean()), 4) if len(mine) else float("nan"),
        "clean_max_abs_diff": float((mine["value"] - mine["value_corpus"]).abs().max())
        if len(mine) else float("nan"),
        "specs": ";".join(str(p.relative_to(HERE)) for p in spec_paths(ds.name).values()),
    }


def export(workdir: Path, names: list[str]) -> None:
    """Write ``noise_curves.parquet`` and ``noise_manifest.csv`` from the noise ledger
    (the data sets whose every planned trial is finished)."""
    import pandas as pd
    from load import load_curves

    clean = load_curves()
    frames, rows = [], []
    for name in names:
        ds = by_name(name)
        data_path, info = prepared_table(ds, workdir)
        parts = []
        for study in studies(ds, workdir, build_models=False).values():
            parts.append(curve_rows(name, study.trials()))
        frame = pd.concat(parts, ignore_index=True).drop_duplicates(
            subset=["learner", "n_train", "repeat", "metric"])
        spec = noise_spec(ds, info, "symmetric", ("a", "b", 0.0))
        want = (len(spec["models"]) * len(ARMS) * len(spec["schedule"]["sizes"])
                * spec["schedule"]["repeats"] * len(spec["metrics"]))
        if len(frame) < want:
            print(f"{name}: {len(frame):,} of {want:,} rows finished; left out",
                  file=sys.stderr)
            continue
        facts = [arm_facts(m) for m in frame["learner"]]
        frame["learner"] = [f[0] for f in facts]
        frame["arm"] = [f[1] for f in facts]
        frame["noise_kind"] = [f[2] for f in facts]
        frame["noise_rate"] = [f[3] for f in facts]
        frames.append(frame)
        rows.append(_facts(ds, info, frame, clean, cc_classes(data_path, ds.target)))
    if not frames:
        print("no data set is finished yet: nothing exported", file=sys.stderr)
        return
    curves = pd.concat(frames, ignore_index=True)
    for col in ("dataset", "learner", "metric", "arm", "noise_kind"):
        curves[col] = curves[col].astype("category")
    curves["noise_rate"] = curves["noise_rate"].astype("float32")
    curves = curves.sort_values(["dataset", "learner", "arm", "metric", "n_train", "repeat"])
    atomic_write(HERE / "noise_curves.parquet",
                 lambda p: curves.to_parquet(p, index=False, compression="zstd"))
    atomic_write(HERE / "noise_manifest.csv",
                 lambda p: pd.DataFrame(rows).to_csv(p, index=False))
    n_curves = curves.groupby(["dataset", "learner", "arm"], observed=True).ngroups
    print(f"exported {len(curves):,} rows ({n_curves} curves, {len(rows)} data sets) "
          f"to {HERE / 'noise_curves.parquet'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", type=Path, default=HERE / "work",
                    help="prepared data and the ledgers (default: benchmarks/corpus/work)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS/OpenMP threads per trial (default 1)")
    ap.add_argument("--only", help="comma-separated data set names (of NOISE_SETS)")
    ap.add_argument("--dry-run", action="store_true", help="count the trials, run nothing")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--export-only", action="store_true")
    args = ap.parse_args(argv)
    # worker processes import corpus_learners by name
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(SPECS), *filter(None, [os.environ.get("PYTHONPATH")])])
    names = list(NOISE_SETS)
    if args.only:
        wanted = args.only.split(",")
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            ap.error(f"not noise data sets: {', '.join(unknown)}; known: {', '.join(names)}")
        names = [n for n in names if n in wanted]
    workdir = args.workdir.resolve()
    if args.dry_run:
        dry_run(names, workdir)
        return 0
    blas, simd = cpu_paths()
    print(f"CPU code paths: OpenBLAS {blas}; numpy SIMD {simd}", flush=True)
    if not any(a in blas for a in AVX512_BLAS):
        print("note: curves.parquet was computed with OpenBLAS's AVX-512 (SkylakeX) kernels "
              "and numpy's AVX-512 loops; on other paths the clean arm differs from it in "
              "the last bits, and where a learner is sensitive to them by up to 1.4e-3 "
              "accuracy (logistic regression) and 0.071 log-loss (newsgroups20's random "
              "forest): README, noise arms; tests/test_corpus_noise.py", flush=True)
    if not args.export_only:
        # prepare every table first (a missing package fails now, not after hours)
        rows = {n: prepared_table(by_name(n), workdir)[1]["rows"] for n in names}
        order = sorted(names, key=lambda n: rows[n])
        t0 = time.perf_counter()
        done = []
        for n in order:
            for kind, study in studies(by_name(n), workdir).items():
                done.append(run_study(study, f"{n} ({kind})", args.jobs,
                                      threads=args.threads))
        total = time.perf_counter() - t0
        print(f"noise build: {len(order)} data sets, "
              f"{sum(d['completed'] for d in done):,} trials run, "
              f"{sum(d['failed'] for d in done)} failed, {total / 60:.1f} min wall "
              f"(jobs={args.jobs}, threads={args.threads})", flush=True)
    if not args.no_export:
        export(workdir, names)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
