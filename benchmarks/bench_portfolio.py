"""How fast ``dataroi portfolio`` lists a big ledger, against the way a notebook would.

The ledger: ``--studies`` studies of ``--trials`` finished trials each
(:func:`dataroi.testing.fill.fill_many_studies`; 100 x 1,000 by default: the issue's
"100 studies with 100,000 trials in under 2 s"), on SQLite and, when a server answers,
on PostgreSQL. Measured, best of ``--repeat``:

* dataroi: open the ledger, :func:`~dataroi.portfolio.read_portfolio` (three GROUP BY
  queries plus the documents) and render the page;
* the peer, in the same run: what a notebook does without it — every study's trials read
  through the ledger (``get_trials`` per context, the snapshots the analysis reads) into
  pandas, then the same figures (counts by state, CPU hours, the best model's mean at the
  largest common size).

Prints seconds, the ratio, peak memory of each (tracemalloc) and the command.

Usage::

    python benchmarks/bench_portfolio.py [--studies 100 --trials 1000 --repeat 3]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from dataroi.ledger import open_ledger
from dataroi.portfolio import read_portfolio, render_portfolio
from dataroi.testing.fill import fill_many_studies


def _dataroi(url: str) -> tuple[int, str]:
    with open_ledger(url, create=False) as ledger:
        p = read_portfolio(ledger, ledger_url=ledger.url)
    html = render_portfolio(p)
    return sum(s.trials_complete + s.trials_failed for s in p.studies), html


def _peer(url: str) -> tuple[int, Any]:
    rows = []
    n = 0
    with open_ledger(url, create=False) as ledger:
        for s in ledger.overview()["studies"]:  # the list of studies, as dataroi's
            sid = s["study_id"]
            for ctx in ledger.list_contexts(sid):
                snaps = ledger.get_trials(ctx["context_id"])
                n += len(snaps)
                frame = pd.DataFrame([{"model": t.key.model, "n": t.key.n_train,
                                       "state": t.state.value,
                                       "cpu": t.extra.get("cpu_seconds"),
                                       "acc": t.metrics.get("accuracy")} for t in snaps])
                done = frame[frame["state"] == "complete"]
                means = done.groupby(["model", "n"])["acc"].mean().unstack()
                common = means.dropna(axis=1).columns
                best = means[common.max()].max() if len(common) else None
                rows.append({"study": s["name"], "complete": len(done),
                             "cpu_h": frame["cpu"].sum() / 3600, "best": best})
    return n, pd.DataFrame(rows)


def _time(fn: Any, url: str, repeat: int) -> tuple[float, float, int]:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        n, _ = fn(url)
        best = min(best, time.perf_counter() - t)
    tracemalloc.start()
    fn(url)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak / 2**20, n


def _postgres(base: str) -> tuple[str, Any] | None:
    import sqlalchemy as sa

    name = f"dataroi_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1),
                             isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: SQLite only, said so
        print(f"PostgreSQL not measured: {type(exc).__name__}: {exc}".splitlines()[0])
        return None

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{base.rsplit('/', 1)[0]}/{name}", drop


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--studies", type=int, default=100)
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = ap.parse_args(argv)
    backends: list[tuple[str, str, Any]] = []
    folder = Path(tempfile.mkdtemp(prefix="bench-portfolio-"))
    backends.append(("sqlite", f"sqlite:///{folder / 'ledger.db'}", None))
    pg = _postgres(args.postgres) if args.postgres else None
    if pg is not None:
        backends.append(("postgres", pg[0], pg[1]))
    print(f"{args.studies} studies x {args.trials:,} trials; best of {args.repeat}")
    print(f"{'backend':10} {'fill s':>7} {'dataroi s':>10} {'peer s':>8} {'ratio':>7} "
          f"{'dataroi MB':>11} {'peer MB':>8}  target < 2 s")
    try:
        for name, url, _ in backends:
            t = time.perf_counter()
            with open_ledger(url) as ledger:
                fill_many_studies(ledger, n_studies=args.studies,
                                  trials_per_study=args.trials)
            fill = time.perf_counter() - t
            ours, our_mb, n1 = _time(_dataroi, url, args.repeat)
            peer, peer_mb, n2 = _time(_peer, url, args.repeat)
            assert n1 == n2 == args.studies * args.trials, (n1, n2)
            verdict = "met" if ours < 2.0 else "MISSED"
            print(f"{name:10} {fill:7.1f} {ours:10.2f} {peer:8.2f} {ours / peer:7.3f} "
                  f"{our_mb:11.1f} {peer_mb:8.1f}  {verdict}")
    finally:
        for _, _, drop in backends:
            if drop is not None:
                drop()
    print("ratio = dataroi / peer (lower is better); the peer reads every trial as the "
          "analysis does and aggregates in pandas")
    print("reproduce: python benchmarks/bench_portfolio.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
