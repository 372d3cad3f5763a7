"""LCDB curves cut to the shape of a dataroi study: few sizes, few repeats.

A study runs five to eight geometric sizes spanning a few doublings below the labels it
has, with three to ten repeats, and later compares against the mean of *the same repeats*
at a larger size. LCDB's curves have 25 seeds per anchor and an anchor every half
doubling. A fit on all of that is smoother and less noisy than a study's, and the
interval calibration learned on it alone was too wide for study-shaped fits (held-out
cuts of this module: 50 / 80 / 90 % level intervals covered 59.0 / 88.2 / 94.2 %;
``docs/curves.md``). This module
cuts LCDB curves to study shapes, to learn the calibration from them too
(``learn_curve_model.py``) and to check it on held-out data sets (``bench_extrapolation.py``
section "study-shaped fits").

A *shape* is (largest observed size N, doublings observed, number of sizes, seeds):
the sizes are the LCDB anchors nearest to ``geomspace(N / 2**span, N, n_sizes)``, the
seeds a random subset of those with a score at every fitted size, and the truth at each
later anchor (2×–16× N) is the mean over the same seeds, as a study re-measuring with
its own repeats sees it (``truth_all``, the mean over every seed, is kept too).

LCDB: MIT License, Copyright (c) 2021 Felix Mohr.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from _lcdb import LcdbCurve, set_mean
from dataroi.curves import fit_curve
from dataroi.curves._stack import loss_unit

#: Largest observed sizes of study-shaped fits.
STUDY_NS: tuple[int, ...] = (256, 512, 1024, 2048)
#: Shapes drawn for the training records: doublings, sizes, seeds.
SPANS: tuple[float, ...] = (2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
N_SIZES: tuple[int, ...] = (5, 6, 7, 8)
SEEDS: tuple[int, ...] = (3, 4, 5, 6, 8, 10)
#: Held-out shapes checked by the benchmark: (doublings, sizes, seeds) per N.
EVAL_SHAPES: tuple[tuple[float, int, int], ...] = ((5.0, 6, 4), (3.0, 6, 4), (5.0, 6, 8),
                                                   (4.0, 5, 3))
#: Later anchors (multiples of N) a record is checked at.
LATER: tuple[int, ...] = (2, 4, 8, 16)
#: Interval levels checked.
LEVELS: tuple[float, ...] = (0.5, 0.8, 0.9)


@dataclass(frozen=True)
class Shape:
    """How a study would see a curve: largest size, doublings, sizes and seeds."""

    n_max: int
    span: float
    n_sizes: int
    n_seeds: int
    rep: int = 0

    @property
    def label(self) -> str:
        return f"{self.n_sizes} sizes over {self.span:g} doublings, {self.n_seeds} seeds"


@dataclass(frozen=True)
class Cut:
    """A curve cut to a shape: fitted rows and seeds, later rows and their truths."""

    fit_rows: np.ndarray
    seeds: np.ndarray
    later_rows: np.ndarray
    ratio: np.ndarray
    truth_same: np.ndarray
    truth_all: np.ndarray


def _rng(curve: LcdbCurve, shape: Shape, salt: int) -> np.random.Generator:
    key = zlib.crc32(curve.learner.encode("utf-8"))
    return np.random.default_rng([salt, curve.openmlid, key, shape.n_max, shape.rep,
                                  shape.n_seeds, shape.n_sizes, int(shape.span * 2)])


def cut(curve: LcdbCurve, shape: Shape, salt: int = 0) -> Cut | None:
    """The rows and seeds of ``curve`` a study of ``shape`` sees, or ``None`` when the
    curve lacks the anchors (at least 4 distinct sizes and a later anchor) or seeds."""
    sizes = curve.sizes
    want = np.geomspace(shape.n_max / 2**shape.span, shape.n_max, shape.n_sizes)
    rows = []
    for w in want:
        j = int(np.argmin(np.abs(np.log(sizes / w))))
        if abs(math.log(sizes[j] / w)) > 0.2:
            return None
        rows.append(j)
    fit_rows = np.array(sorted(set(rows)))
    if len(fit_rows) < 4 or not np.isclose(sizes[fit_rows[-1]], shape.n_max, rtol=0.03):
        return None
    later = [int(np.nonzero(np.isclose(sizes, m * shape.n_max, rtol=0.03))[0][0])
             for m in LATER if np.any(np.isclose(sizes, m * shape.n_max, rtol=0.03))]
    if not later:
        return None
    err = curve.error
    ok = np.all(np.isfinite(err[fit_rows]), axis=0) & np.isfinite(err[later[0]])
    cols = np.nonzero(ok)[0]
    if len(cols) < shape.n_seeds + 1:
        return None
    seeds = np.sort(_rng(curve, shape, salt).choice(cols, shape.n_seeds, replace=False))
    later_rows = np.array(later)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        same = np.nanmean(err[np.ix_(later_rows, seeds)], axis=1)
        alls = np.nanmean(err[later_rows], axis=1)
    return Cut(fit_rows, seeds, later_rows, sizes[later_rows] / sizes[fit_rows[-1]],
               same, alls)


def draw_shape(curve: LcdbCurve, n_max: int, rep: int, salt: int = 1) -> Shape:
    """A random training shape for ``curve`` at ``n_max`` (keyed by the curve's identity)."""
    rng = _rng(curve, Shape(n_max, 0.0, 0, 0, rep), salt)
    return Shape(n_max, float(rng.choice(SPANS)), int(rng.choice(N_SIZES)),
                 int(rng.choice(SEEDS)), rep)


def _fit(curve: LcdbCurve, c: Cut, **kw: Any) -> Any:
    err = curve.error[np.ix_(c.fit_rows, c.seeds)]
    train = curve.train_error[np.ix_(c.fit_rows, c.seeds)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_curve(curve.sizes[c.fit_rows], err, higher_is_better=False,
                         random_state=0, train_scores=train, **kw)


def family_arrays(fit: Any, candidates: tuple[str, ...], x_later: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Each candidate family's loss at the later sizes and at the fitted sizes (rows in
    ``candidates`` order, NaN for a family not fitted), and the later ones by name."""
    comp_later = fit._component_loss(x_later)
    comp_obs = fit._component_loss(fit.sizes / fit.n_ref)
    fam = {c.family: np.maximum(comp_later[i], 0.0) for i, c in enumerate(fit.components)}
    obs = {c.family: comp_obs[i] for i, c in enumerate(fit.components)}
    big_f = np.full((len(candidates), len(x_later)), np.nan)
    big_o = np.full((len(candidates), len(fit.sizes)), np.nan)
    for k, nm in enumerate(candidates):
        if nm in fam:
            big_f[k], big_o[k] = fam[nm], obs[nm]
    return big_f, big_o, fam


def learn_record(args: tuple[LcdbCurve, Shape, tuple[str, ...]]) -> dict[str, Any] | None:
    """A learn-mode record (the keys ``learn_curve_model._arrays`` reads) of one curve cut
    to one shape: the candidate families fitted without calibration, the gate's inputs,
    each family's loss at the later and the fitted sizes, and the same-seed truth."""
    curve, shape, candidates = args
    c = cut(curve, shape)
    if c is None:
        return None
    fit = _fit(curve, c, families=candidates, calibrate=False)
    big_f, big_o, _ = family_arrays(fit, candidates, c.ratio * shape.n_max / fit.n_ref)
    shared, own, avail = fit.stack_inputs(candidates)
    big_f[~avail], big_o[~avail] = np.nan, np.nan
    return {
        "openmlid": curve.openmlid, "learner": curve.learner, "N": shape.n_max,
        "shape": "study", "shape_label": shape.label, "n_seeds": shape.n_seeds,
        "ratio": c.ratio, "truth": c.truth_same, "truth_all": c.truth_all,
        "shared": shared, "own": own, "avail": avail, "F": big_f, "F_obs": big_o,
        "mean_loss": fit.mean_loss.copy(), "unit": loss_unit(fit.mean_loss),
        "y_last": float(fit.mean_loss[-1]),
        "train_feats": fit.train_inputs(candidates),
    }


def collect_learn(curves: list[LcdbCurve], candidates: tuple[str, ...], jobs: int,
                  reps: int = 1) -> list[dict[str, Any]]:
    """Learn-mode records of every curve at every N of :data:`STUDY_NS`, one random
    shape per (curve, N, repetition)."""
    tasks = [(cv, draw_shape(cv, n, r), candidates) for r in range(reps) for n in STUDY_NS
             for cv in curves]
    return [r for r in _map(learn_record, tasks, jobs) if r is not None]


def _map(fn: Any, tasks: list[Any], jobs: int) -> list[Any]:
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as ex:
            return list(ex.map(fn, tasks, chunksize=8))
    return [fn(t) for t in tasks]


# ------------------------------------------------------------------ held-out evaluation


def eval_record(args: tuple[LcdbCurve, Shape]) -> list[dict[str, Any]]:
    """Coverage rows of one held-out curve cut to one shape, with the shipped models
    (as a study fits it: with its training scores).

    Level (``in*``): the truth (mean error of the same seeds) inside the calibrated
    interval. Gain (``gain*``): the measured gain ``today - truth`` (today: the same seeds'
    mean at N) inside the interval of ``today - draw(n)`` over joint draws bounded as
    ``StudyCurves`` bounds them, which is how ``dataroi.value`` computes gains.
    ``dgain*``: inside the interval of ``draw(N) - draw(n)`` instead, the construction
    dataroi used before, which cancels part of the uncertainty.
    """
    curve, shape = args
    c = cut(curve, shape)
    if c is None:
        return []
    fit = _fit(curve, c)
    n_later = c.ratio * fit.n_ref
    pred = fit._t.to_score(fit._pred_loss(fit._x(n_later)))
    today = float(np.mean(curve.error[c.fit_rows[-1], c.seeds]))
    draws = fit.sample(np.concatenate([[fit.n_ref], n_later]), size=2000, random_state=1)
    draws = np.clip(draws, *fit.plausible_range())  # as StudyCurves bounds them
    gains = draws[:, :1] - draws[:, 1:]  # improvement: lower error is better
    out = []
    for k, m in enumerate(c.ratio):
        if not np.isfinite(c.truth_same[k]):  # none of the seeds reached this anchor
            continue
        row: dict[str, Any] = {
            "openmlid": curve.openmlid, "learner": curve.learner.rsplit(".", 1)[-1],
            "N": shape.n_max, "shape": shape.label, "ratio": round(float(m)),
            "gate": fit.gate, "err": float(pred[k] - c.truth_same[k]),
            "flat": "flat" in fit.diagnostics,
        }
        measured = today - c.truth_same[k]
        for lv in LEVELS:
            lo, hi = fit.interval([n_later[k]], level=lv)
            row[f"in{lv:g}"] = float(lo[0] <= c.truth_same[k] <= hi[0])
            row[f"all{lv:g}"] = float(lo[0] <= c.truth_all[k] <= hi[0])
            row[f"w{lv:g}"] = float(hi[0] - lo[0])
            alo, ahi = np.quantile(today - draws[:, k + 1], [(1 - lv) / 2, (1 + lv) / 2])
            row[f"gain{lv:g}"] = float(alo <= measured <= ahi)
            glo, ghi = np.quantile(gains[:, k], [(1 - lv) / 2, (1 + lv) / 2])
            row[f"dgain{lv:g}"] = float(glo <= measured <= ghi)
        out.append(row)
    return out


def run_eval(curves: list[LcdbCurve], jobs: int) -> list[dict[str, Any]]:
    """:func:`eval_record` rows of every curve at every N and shape of
    :data:`EVAL_SHAPES`."""
    tasks = [(cv, Shape(n, span, m, k)) for span, m, k in EVAL_SHAPES for n in STUDY_NS
             for cv in curves]
    return [row for rows in _map(eval_record, tasks, jobs) for row in rows]


def _cov(rows: list[dict[str, Any]], key: str) -> float:
    return set_mean([r[key] for r in rows], [r["openmlid"] for r in rows])


def _line(label: str, rows: list[dict[str, Any]]) -> str:
    sets = len({r["openmlid"] for r in rows})
    mae = set_mean([abs(r["err"]) for r in rows], [r["openmlid"] for r in rows])
    lvl = "".join(f"{_cov(rows, f'in{lv:g}'):>7.1%}" for lv in LEVELS)
    gain = "".join(f"{_cov(rows, f'gain{lv:g}'):>7.1%}" for lv in LEVELS)
    w90 = float(np.median([r["w0.9"] for r in rows]))
    return f"{label:<44}{len(rows):>6}{sets:>6}{mae:>8.4f}{lvl}{w90:>7.3f} |{gain}"


def report_eval(rows: list[dict[str, Any]]) -> None:
    """Print level and gain coverage per shape, per ratio, over all and per learner."""
    if not rows:
        print("\nstudy-shaped fits: no curve had the anchors")
        return
    hdr = (f"{'':<44}{'evals':>6}{'sets':>6}{'MAE':>8}"
           + "".join(f"{f'lev{lv * 100:.0f}':>7}" for lv in LEVELS) + f"{'w90':>7} |"
           + "".join(f"{f'gain{lv * 100:.0f}':>7}" for lv in LEVELS))
    print("\n=== study-shaped fits: held-out curves cut to a study's sizes and seeds; truth = "
          "the same seeds' mean later (means over data sets) ===")
    print(hdr)
    by_shape: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_shape[r["shape"]].append(r)
    for label, rs in by_shape.items():
        print(_line(label, rs))
        for m in LATER:
            sel = [r for r in rs if r["ratio"] == m]
            if sel:
                print(_line(f"  -> {m}N", sel))
    print(_line("all", rows))
    moving = [r for r in rows if not r["flat"]]
    print(_line("all but flat curves (diagnostic 'flat')", moving))
    print("  level intervals against the mean over every seed instead: "
          + " / ".join(f"{_cov(rows, f'all{lv:g}'):.1%}" for lv in LEVELS))
    print("  gains as draw(N) - draw(n), the construction before: "
          + " / ".join(f"{_cov(rows, f'dgain{lv:g}'):.1%}" for lv in LEVELS))
    print("per learner (all shapes, N and ratios):")
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[r["learner"]].append(r)
    for learner in sorted(by, key=lambda k: _cov(by[k], "in0.9")):
        print(_line("  " + learner, by[learner]))
