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
        "predictions, report, environment lock, manifest)",
        description="Write the study as a bundle: the spec, its ledger rows as Parquet, "
        "the trials' stored predictions, the report (HTML and JSON), an environment lock, "
        "the data's fingerprint and a manifest with every member's SHA-256. The data "
        "itself only with --with-data. Check it elsewhere with `dataroi verify`.")
    s.add_argument("spec")
    add_ledger(s)
    s.add_argument("-o", "--output", required=True, metavar="FILE.zip",
                   help="the bundle to write (a .zip file; written atomically)")
    s.add_argument("--with-data", action="store_true",
                   help="bundle the data file(s) too (a note for a built-in data set)")
    s.add_argument("--force", action="store_true", help="overwrite an existing bundle")
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
    from dataroi.share import check_bundle_output, export_study

    check_bundle_output(args.output, force=args.force)  # before the spec is even read
    result = export_study(args.spec, args.output, ledger=args.ledger,
                          with_data=args.with_data, force=args.force)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        from dataroi.cli._output import print_json

        print_json(result.to_dict())
        return 0
    print(f"wrote {result.path} ({_size(result.bytes)}: {result.n_trials} trial rows, "
          f"{result.n_artifacts} stored predictions, {result.members} members"
          f"{', with the data' if args.with_data else ''}) in {result.seconds:.1f}s; "
          f"check it elsewhere with: dataroi verify {result.path.name}")
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
