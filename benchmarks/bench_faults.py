"""Bad input and hard stops, counted: the figures the hardening issue asks for.

Part 1 runs the bad-input catalogue (every ``tests/*/test_refusals*.py``: specs, data,
command lines, costs and decision overrides, impact, annotations, reports) in-process and
counts, over all cases: refused cleanly (exit 2, one ``error:`` line, no file touched),
tracebacks, internal errors, writes, and the slowest case (a hang would show here).

Part 2 stops real ``dataroi run`` processes (4 worker processes, piped stdout/stderr,
40 trials that sleep 0.5 s each): ``SIGKILL`` at seeded random moments, each run resuming
the last on one ledger, then a run to the end, which counts trials lost (planned but not
finished) and recorded twice; and ``SIGTERM`` at random moments of fresh runs (exit code
130 expected). After each stop it checks that the caller's ``communicate()`` returned
within 5 s (else: a hang) and counts the run's processes still alive 5 s later.

Run::

    python benchmarks/bench_faults.py                 # 10 kills, 4 SIGTERMs, seed 0
    python benchmarks/bench_faults.py --kills 20 --terms 6 --seed 1
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

N_TRIALS = 40


def catalogue() -> dict[str, object]:
    """Run every refusal case; return the counts over the harness's records."""
    import pytest
    from tests.cli_tests import _refusals

    files = sorted(str(p) for p in ROOT.glob("tests/*/test_refusals*.py"))
    code = pytest.main(["-q", "-p", "no:cacheprovider", "--no-header", "-o",
                        "addopts=", *files])
    records = _refusals.RECORDS
    by_file = Counter(r["file"] for r in records)
    return {"pytest exit": int(code), "cases": len(records),
            "clean refusals": sum(r["clean"] for r in records),
            "tracebacks": sum(r["traceback"] for r in records),
            "internal errors": sum(r["internal"] for r in records),
            "cases that wrote": sum(r["written"] > 0 for r in records),
            "slowest case s": round(max((r["seconds"] for r in records), default=0.0), 2),
            "by area": dict(sorted(by_file.items()))}


def _stop(spec: Path, ledger: str, sig: int, after: float) -> dict[str, object]:
    from tests.study_tests._processes import kill_marked, new_mark, spawn_run, wait_gone

    mark = new_mark()
    proc = spawn_run(spec, ledger, mark, "--jobs", "4")
    time.sleep(after)
    proc.send_signal(sig)
    hang = False
    try:
        proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        hang = True
        kill_marked(mark)
        proc.communicate()
    left = wait_gone(mark, timeout=5)
    kill_marked(mark)
    return {"hang": hang, "left": len(left), "exit": proc.returncode}


def kills(n_kill: int, n_term: int, seed: int) -> dict[str, object]:
    """SIGKILL one study ``n_kill`` times at random moments (one ledger, each run resuming
    the last), then run it to the end; SIGTERM ``n_term`` fresh runs at random moments."""
    import yaml
    from tests.study_tests._processes import (
        kill_marked,
        ledger_counts,
        new_mark,
        slow_spec,
        spawn_run,
    )

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "study.yaml"
        spec.write_text(yaml.safe_dump(slow_spec(0.5, repeats=N_TRIALS // 5),
                                       sort_keys=False))
        ledger = str(Path(tmp) / "ledger.db")
        killed = []
        for _ in range(n_kill):
            after = rng.uniform(0.2, 5.0)
            killed.append(_stop(spec, ledger, signal.SIGKILL, after) | {"after": after})
        mark = new_mark()
        proc = spawn_run(spec, ledger, mark, "--jobs", "4")
        try:
            proc.communicate(timeout=300)
        finally:
            kill_marked(mark)
        counts = ledger_counts(ledger)
        termed = []
        for i in range(n_term):
            after = rng.uniform(0.2, 4.0)
            fresh = str(Path(tmp) / f"term{i}.db")
            termed.append(_stop(spec, fresh, signal.SIGTERM, after) | {"after": after})
    stops = killed + termed
    return {"SIGKILLs (one ledger)": n_kill, "SIGTERMs (fresh ledgers)": n_term,
            "hangs (communicate > 5 s)": sum(bool(r["hang"]) for r in stops),
            "processes left after 5 s": sum(int(r["left"]) for r in stops),
            "SIGTERM exit codes": [r["exit"] for r in termed],
            "final run exit": proc.returncode,
            "trials planned": N_TRIALS,
            "trials lost": N_TRIALS - counts.get("complete", 0),
            "trials recorded twice": counts.get("rows", 0) - counts.get("keys", 0),
            "SIGKILL moments s": [round(float(r["after"]), 1) for r in killed],
            "SIGTERM moments s": [round(float(r["after"]), 1) for r in termed]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--terms", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    cat = catalogue()
    stop = kills(args.kills, args.terms, args.seed)
    print("\n== bad-input catalogue (tests/*/test_refusals*.py)")
    for k, v in cat.items():
        print(f"  {k}: {v}")
    print("== hard stops of `dataroi run --jobs 4` with piped output")
    for k, v in stop.items():
        print(f"  {k}: {v}")
    print(f"({time.perf_counter() - t0:.0f} s; python benchmarks/bench_faults.py "
          f"--kills {args.kills} --terms {args.terms} --seed {args.seed})")


if __name__ == "__main__":
    main()
