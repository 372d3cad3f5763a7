"""CLI commands ``dataroi export`` and ``dataroi verify``: share a study as one zip file
and check it on another machine.

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> sorted(add_commands(sub))
    ['export', 'verify']
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from dataroi.cli._options import add_json, add_ledger, bounded_int

__all__ = ["add_commands"]


def add_commands(subparsers: Any) -> dict[str, Any]:
    """Add ``export`` and ``verify``; return their handlers by name."""
    s = subparsers.add_parser(
        "export", help="write a study as one zip file to share (spec, ledger rows, "
        "predictions, report, environment lock, manifest), or log it to MLflow",
        description="Write the study as a bundle: the spec, its ledger rows as Parquet, "
        "the trials' stored predictions, the report (HTML and JSON), an environment lock, "
        "the data's fingerprint and a manifest with every member's SHA-256. The data "
        "itself only with --with-data. Check it elsewhere with `dataroi verify`. With "
        "--mlflow URI, log it to an MLflow tracking store: a parent run for the study "
        "(parameters, learning curves as metric histories, the report as artifacts) and "
        "a child run per (model, size) cell (means, standard deviations, 95 % "
        "intervals, every repeat).")
    s.add_argument("spec")
    add_ledger(s)
    s.add_argument("-o", "--output", metavar="FILE.zip",
                   help="the bundle to write (a .zip file; written atomically)")
    s.add_argument("--with-data", action="store_true",
                   help="bundle the data file(s) too (a note for a built-in data set)")
    s.add_argument("--mlflow", metavar="URI",
                   help="log the study to this MLflow tracking store (sqlite:///mlflow.db, "
                   "http://host:5000...; needs pip install 'dataroi[mlflow]')")
    s.add_argument("--experiment", metavar="NAME",
                   help="the MLflow experiment (default: the study's name)")
    s.add_argument("--force", action="store_true",
                   help="overwrite an existing bundle; log to MLflow trials logged before")
    add_json(s)

    s = subparsers.add_parser(
        "verify", help="check a study bundle: hashes, environment, report numbers, "
        "re-run trials",
        description="Check a bundle written by `dataroi export`: every member's SHA-256, "
        "this environment against the bundle's lock, that every number of the report "
        "traces back to the bundled trial rows, the report recomputed from them, and a "
        "sample of trials re-run from the bundled spec and data. Exit 0: verified; 1: "
        "a mismatch (the first is named); 2: the bundle cannot be used. Re-running "
        "trials runs the spec's models: verify bundles you would run.")
    s.add_argument("bundle")
    s.add_argument("--sample", type=bounded_int(0, 100_000), default=5,
                   help="trials to re-run (default 5; 0: none)")
    s.add_argument("--seed", type=int, default=0, help="seed of the choice of trials")
    s.add_argument("--data", metavar="PATH",
                   help="the spec's data file, when the bundle has none (default: where "
                   "the exporter had it, then beside the bundle)")
    add_json(s)
    return {"export": _cmd_export, "verify": _cmd_verify}


def _size(n: int) -> str:
    return f"{n / 1024:,.0f} KB" if n < 10 * 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MB"


def _cmd_export(args: argparse.Namespace) -> int:
    from dataroi.exceptions import UsageError
    from dataroi.share import check_bundle_output, check_tracking_uri, export_study

    if args.output is None and args.mlflow is None:
        raise UsageError("export needs -o FILE.zip (a bundle), --mlflow URI (an MLflow "
                         "tracking store), or both")
    if args.with_data and args.output is None:
        raise UsageError("--with-data goes with -o FILE.zip (MLflow gets no data)")
    if args.experiment is not None and args.mlflow is None:
        raise UsageError("--experiment goes with --mlflow URI")
    # every output is checked before the spec is even read
    if args.output is not None:
        check_bundle_output(args.output, force=args.force)
    if args.mlflow is not None:
        check_tracking_uri(args.mlflow)  # MLflow installed first
    if args.experiment is not None and not args.experiment.strip():
        raise UsageError("--experiment needs a name")
    out: dict[str, Any] = {}
    lines = []
    if args.output is not None:
        result = export_study(args.spec, args.output, ledger=args.ledger,
                              with_data=args.with_data, force=args.force)
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
        out = result.to_dict()
        shared = (f" in {result.n_artifacts:,} files"
                  if result.n_artifacts != result.n_predicted_trials else "")
        lines.append(f"wrote {result.path} ({_size(result.bytes)}: {result.n_trials:,} trial "
                     f"rows, the predictions of {result.n_predicted_trials:,}{shared}, "
                     f"{result.members:,} members"
                     f"{', with the data' if args.with_data else ''}) in "
                     f"{result.seconds:.1f}s; check it elsewhere with: dataroi verify "
                     f"{result.path.name}")
    if args.mlflow is not None:
        from dataroi.share import log_to_mlflow

        logged = log_to_mlflow(args.spec, args.mlflow, ledger=args.ledger,
                               experiment=args.experiment, force=args.force)
        for note in logged.notes:
            print(f"note: {note}", file=sys.stderr)
        out = {**out, "mlflow": logged.to_dict()} if out else logged.to_dict()
        lines.append(f"logged to MLflow {logged.tracking_uri}: experiment "
                     f"{logged.experiment!r}, run {logged.run_id} with {logged.child_runs} "
                     f"child runs (one per model and size), {logged.metrics:,} metric "
                     f"values, the report as artifacts, in {logged.seconds:.1f}s")
    if args.json:
        from dataroi.cli._output import print_json

        print_json(out)
        return 0
    for line in lines:
        print(line)
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from dataroi.share import Step, verify_bundle

    def show(step: Step) -> None:
        if not args.json:
            print(f"{step.name:<18} {step.status:<8} {step.detail}", flush=True)

    result = verify_bundle(args.bundle, sample=args.sample, seed=args.seed,
                           data=args.data, on_step=show)
    if args.json:
        from dataroi.cli._output import print_json

        print_json(result.to_dict())
        return result.exit_code
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for mismatch in result.mismatches[1:6]:
        print(f"  also: {mismatch}")
    print(result.verdict)
    return result.exit_code
