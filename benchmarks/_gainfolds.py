"""The gain model learned without each fold of corpus data sets, for the benchmarks that
judge decisions on held-out data sets (``bench_decisions.py``, ``bench_label_quality.py``):
read from ``learn_gain_model.py --folds-out DIR``'s ``folds.json``, or learned now."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def gain_folds(workdir: Path, lcdb: str | None, given: Path | None, *,
               jobs: int | None = None, require_lcdb: bool = False) -> dict[str, str]:
    """Data set → the path of the gain model learned without its fold: from ``given``
    (a ``--folds-out`` folder), else learned now into ``workdir / "gain-folds"``. Paths
    are the fold files beside ``folds.json`` (the folder may have moved).

    ``lcdb`` (else ``$DATAROI_LCDB``): LCDB's accuracy table, part of the shipped model's
    recipe; with ``require_lcdb`` learning without it is refused.
    """
    folder = given or workdir / "gain-folds"
    index = folder / "folds.json"
    if not index.exists():
        if given is not None:
            raise SystemExit(f"no folds.json in {given} (learn_gain_model.py --folds-out)")
        cmd = [sys.executable, str(HERE / "learn_gain_model.py"), "--folds-out", str(folder),
               "--out", str(folder / "all.json"), "--rows", str(workdir / "gain-rows.parquet")]
        if jobs is not None:
            cmd += ["--jobs", str(jobs)]
        lcdb = lcdb or os.environ.get("DATAROI_LCDB")
        if lcdb:
            cmd += ["--lcdb", lcdb]
        elif require_lcdb:  # without LCDB the folds would not be the shipped model's recipe
            raise SystemExit(
                f"no fold models in {folder}: give --lcdb PATH (LCDB's database-accuracy.csv, "
                "see benchmarks/_lcdb.py) to learn them as the shipped model was learned, "
                "or --gain-folds DIR with learn_gain_model.py --folds-out's output")
        folder.mkdir(parents=True, exist_ok=True)
        print("learning the gain model per fold:", " ".join(cmd[1:]), flush=True)
        subprocess.run(cmd, check=True)
    folds = json.loads(index.read_text())
    return {name: str(folder / Path(path).name) for name, path in folds.items()}
