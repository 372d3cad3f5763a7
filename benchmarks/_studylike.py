"""LCDB curves fitted the way a dataroi study sees them: a few doublings below today's size.

The main table of ``bench_extrapolation.py`` fits every anchor from 16 up to N (the issue's
protocol). A user's study instead runs about five or six geometric sizes up to the labels
they have, often thousands, and asks about 2×–16× more. This section refits held-out LCDB
curves on the anchors in ``[N / 2**span, N]`` for larger N and checks the shipped
calibration on them: coverage of the 50 / 80 / 90 % intervals and their median width, per
N and extrapolation ratio, then per learner (every data set counts once in a mean). Each
curve is fitted twice: on the test (validation) error alone, as a study without training
scores is, and with LCDB's training error too (``train_scores``: the training-score gate
and its own calibration).

Example (LCDB fetched as in ``_lcdb.py``)::

    python benchmarks/bench_extrapolation.py --lcdb /work/lcdb --study-n 512 1024 2048

LCDB: MIT License, Copyright (c) 2021 Felix Mohr.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from _lcdb import LcdbCurve, set_mean
from dataroi.curves import fit_curve

#: Extrapolation ratios checked (exact LCDB anchors).
RATIOS: tuple[int, ...] = (2, 4, 8, 16)
#: Interval levels checked.
STUDY_LEVELS: tuple[float, ...] = (0.5, 0.8, 0.9)


def eval_study_like(args: tuple[LcdbCurve, int, float]) -> list[dict[str, Any]]:
    """Fit one curve on anchors in ``[N / 2**span, N]``, without and with its training
    scores; coverage rows at each ratio (``gate`` says which fit)."""
    curve, n_max, span = args
    sizes, err = curve.sizes, curve.error
    rows = (sizes <= n_max * 1.01) & (sizes >= n_max / 2**span * 0.99)
    if rows.sum() < 4:
        return []
    truth = np.nanmean(err, axis=1)
    out = []
    for train in (None, curve.train_error[rows]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_curve(sizes[rows], err[rows], higher_is_better=False, random_state=0,
                            train_scores=train)
        out.extend(_rows(curve, fit, n_max, truth, "test" if train is None else "with train"))
    return out


def _rows(curve: LcdbCurve, fit: Any, n_max: int, truth: np.ndarray, gate: str
          ) -> list[dict[str, Any]]:
    sizes = curve.sizes
    out = []
    for m in RATIOS:
        hit = np.nonzero(np.isclose(sizes, m * n_max, rtol=0.02))[0]
        if not hit.size or not np.isfinite(truth[hit[0]]):
            continue
        t, n = float(truth[hit[0]]), [float(sizes[hit[0]])]
        row: dict[str, Any] = {"openmlid": curve.openmlid, "learner": curve.learner,
                               "N": n_max, "ratio": m, "gate": gate,
                               "err": float(fit.predict(n)[0]) - t}
        for lv in STUDY_LEVELS:
            lo, hi = fit.interval(n, level=lv)
            row[f"in{lv:g}"] = float(lo[0] <= t <= hi[0])
            row[f"w{lv:g}"] = float(hi[0] - lo[0])
        out.append(row)
    return out


def run_study_like(curves: list[LcdbCurve], ns: list[int], span: float,
                   jobs: int) -> list[dict[str, Any]]:
    """Rows of :func:`eval_study_like` for every curve with an anchor at 4N."""
    tasks = [(c, n, span) for n in ns for c in curves
             if np.any(np.isclose(c.sizes, 4 * n, rtol=0.02))]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as ex:
            res = list(ex.map(eval_study_like, tasks, chunksize=4))
    else:
        res = [eval_study_like(t) for t in tasks]
    return [row for rs in res for row in rs]


def _by_set_mean(rows: list[dict[str, Any]], key: str) -> float:
    return set_mean([r[key] for r in rows], [r["openmlid"] for r in rows])


def _line(label: str, rows: list[dict[str, Any]]) -> str:
    sets = len({r["openmlid"] for r in rows})
    mae = _by_set_mean([{**r, "ae": abs(r["err"])} for r in rows], "ae")
    cov = "".join(f"{_by_set_mean(rows, f'in{lv:g}'):>7.1%}" for lv in STUDY_LEVELS)
    w90 = float(np.median([r["w0.9"] for r in rows]))
    return f"{label:<40}{len(rows):>6}{sets:>6}{mae:>8.4f}{cov}{w90:>7.3f}"


def report_study_like(rows: list[dict[str, Any]], span: float) -> None:
    """Print coverage per (N, ratio), over all rows, and per learner."""
    if not rows:
        print("\nstudy-like fits: no curve had the anchors")
        return
    hdr = (f"{'':<40}{'evals':>6}{'sets':>6}{'MAE':>8}"
           + "".join(f"{f'cov{lv * 100:.0f}':>7}" for lv in STUDY_LEVELS) + f"{'w90':>7}")
    for gate in ("test", "with train"):
        print(f"\n=== study-like fits ({gate} scores): held-out curves fitted on anchors in "
              f"[N/{2**span:g}, N], shipped calibration (means over data sets) ===")
        print(hdr)
        _report_gate([r for r in rows if r["gate"] == gate])


def _report_gate(rows: list[dict[str, Any]]) -> None:
    for n_max in sorted({r["N"] for r in rows}):
        for m in RATIOS:
            sel = [r for r in rows if r["N"] == n_max and r["ratio"] == m]
            if sel:
                print(_line(f"N={n_max} -> {m}N", sel))
    print(_line("all", rows))
    print("per learner (all N and ratios):")
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[r["learner"]].append(r)
    for learner in sorted(by, key=lambda k: _by_set_mean(by[k], "in0.5")):
        print(_line("  " + learner.rsplit(".", 1)[-1], by[learner]))
