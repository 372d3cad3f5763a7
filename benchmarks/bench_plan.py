"""How long ``dataroi plan`` takes on the demo study, against the version before the
analysis object (measured in the same run, on the same study).

The demo study (digits, 3 models, 8 sizes, 5 repeats) is run once by each version
(each version on its own ledger: older code refuses a newer ledger schema); then
``dataroi plan SPEC --no-save`` runs ``--rounds`` times with each version,
alternating, after one warm-up run each (warm caches: the old version kept its fitted
curves in the ledger, this one in ``.dataroi/cache/fits``). The baseline is the code of
``--baseline`` (a git revision of this repository), unpacked with ``git archive``.

It also counts, for this version, what one ``plan --no-save`` does to the ledger: the
SQL connections it opens, the times it reads the trials, and whether the ledger's
content changed (target: at most 2 connections, 1 read, no change).

Run::

    python benchmarks/bench_plan.py                     # baseline d3a8e1e (before #20)
    python benchmarks/bench_plan.py --baseline HEAD~5 --rounds 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _plan_seconds(src: Path, spec: Path, cwd: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(src))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dataroi", "plan", str(spec), "--no-save"],
                   cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _counts(spec: Path) -> dict[str, object]:
    """Connections, trial reads and ledger changes of one ``plan --no-save`` (in-process)."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from dataroi.cli import main
    from dataroi.ledger import SQLLedger

    ledger = spec.parent / ".dataroi" / "ledger.db"

    def dump() -> list[str]:
        with sqlite3.connect(ledger) as conn:
            return list(conn.iterdump())

    connects: list[int] = []
    reads: list[int] = []
    original = SQLLedger.get_trials

    def counting(self: SQLLedger, *a: object, **k: object) -> object:
        reads.append(1)
        return original(self, *a, **k)

    def on_connect(*_: object) -> None:
        connects.append(1)

    before = dump()
    event.listen(Engine, "connect", on_connect)
    SQLLedger.get_trials = counting  # type: ignore[method-assign]
    try:
        with open(os.devnull, "w") as null:
            saved, sys.stdout = sys.stdout, null
            try:
                code = main(["plan", str(spec), "--no-save"])
            finally:
                sys.stdout = saved
    finally:
        SQLLedger.get_trials = original  # type: ignore[method-assign]
        event.remove(Engine, "connect", on_connect)
    return {"exit": code, "connections": len(connects), "trial_reads": len(reads),
            "ledger_unchanged": dump() == before}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", default="d3a8e1e",
                    help="git revision to compare with (default: main before issue #20)")
    ap.add_argument("--rounds", type=int, default=5, help="timed runs per version")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the study here")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-plan-"))
    base_src = work / "baseline"
    if not (base_src / "src" / "dataroi").exists():
        base_src.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline, "src"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base_src)], input=archive, check=True)
    # the study: the demo's spec, run once with this checkout
    from dataroi.cli._decide import DEMO_DECISION
    from dataroi.spec import DEMO_SPEC

    # each version runs the demo study on its own ledger (a newer ledger schema is refused
    # by older code), with the same spec, data and seeds: the same trials
    versions = {"before (" + args.baseline + ")": base_src / "src", "this checkout": ROOT / "src"}
    specs: dict[str, Path] = {}
    for i, (name, src) in enumerate(versions.items()):
        study_dir = work / f"demo-{i}"
        study_dir.mkdir(exist_ok=True)
        spec = specs[name] = study_dir / "demo.yaml"
        spec.write_text(DEMO_SPEC + DEMO_DECISION, encoding="utf-8")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dataroi", "run", str(spec), "--no-progress"],
                       cwd=work, env=dict(os.environ, PYTHONPATH=str(src)), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"demo study run by {name} in {time.perf_counter() - t0:.0f} s ({spec})")
    for name, src in versions.items():  # warm-up: caches filled, files in the page cache
        _plan_seconds(src, specs[name], work)
    times: dict[str, list[float]] = {k: [] for k in versions}
    for _ in range(args.rounds):
        for name, src in versions.items():
            times[name].append(_plan_seconds(src, specs[name], work))
    print(f"`dataroi plan demo.yaml --no-save`, warm caches, {args.rounds} runs each "
          f"(alternating), {os.cpu_count()} cores:")
    med = {k: statistics.median(v) for k, v in times.items()}
    for name, v in times.items():
        print(f"  {name:22s} median {med[name]:.2f} s (min {min(v):.2f}, max {max(v):.2f})")
    old, new = med[next(iter(versions))], med["this checkout"]
    print(f"RATIO plan time this / before: {new / old:.2f} (target: <= 1.2 s; measured "
          f"{new:.2f} s)")
    counts = _counts(specs["this checkout"])
    print(f"one `plan --no-save` of this checkout: {counts['connections']} SQL connection(s) "
          f"(target <= 2), {counts['trial_reads']} read(s) of the trials (target 1), ledger "
          f"{'unchanged' if counts['ledger_unchanged'] else 'CHANGED'}")
    print(f"reproduce: python benchmarks/bench_plan.py --baseline {args.baseline} "
          f"--rounds {args.rounds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
