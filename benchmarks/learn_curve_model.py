"""Learn dataroi's curve gate (stacker) and interval calibration from LCDB training curves.

Everything here is trained on curves of the *training* half of the OpenML data sets only
(split by openml id in ``bench_extrapolation.py``); the benchmark evaluates on the other half.

* The gate (``src/dataroi/curves/stacker.json``): softmax family weights from prefix
  features (:mod:`dataroi.curves._stack`), fitted by minimising a smoothed absolute error of
  the weighted ensemble at ratios 2-16 × N (every data set weighted equally), with an L2
  penalty chosen by grouped 5-fold cross-validation over data sets.
* The scale model and calibration table (``src/dataroi/curves/calibration.json``): a linear
  model of ``log |residual|`` and quantiles of ``residual / scale`` per extrapolation ratio,
  both learned on *out-of-fold* residuals of the gate (so they see honest errors).
* The same two, learned again with the training-score features appended to the gate's
  inputs (:func:`dataroi.curves._stack.train_features`, from LCDB's ``score_train``):
  ``stacker_train.json`` and ``calibration_train.json``, used when a fit gets
  ``train_scores``.

Run it through the benchmark (it collects the training curves, learns, writes both files and
then evaluates on the held-out data sets)::

    python benchmarks/bench_extrapolation.py --lcdb /work/lcdb --learn

or, from records cached by ``bench_extrapolation.py --collect-only --cache FILE``::

    python benchmarks/learn_curve_model.py --cache FILE --out src/dataroi/curves

The scale model and the calibration table are learned on two record sets of the training
data sets, each weighted equally: curves fitted on every LCDB anchor up to N (all seeds),
and the same curves cut to the shapes of a study (five to eight sizes over 2.5–5
doublings, three to ten seeds, the truth being the same seeds' mean later;
``_studyshape.py``). The scale model also reads how the observed curve behaves (its
in-sample misfit and how often it rose; ``dataroi.curves._stack.behaviour_features``).
``--keep-gates`` writes the calibration files only.

LCDB: MIT License, Copyright (c) 2021 Felix Mohr.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

from _lcdb import set_mean
from dataroi.curves._calibration import CALIBRATION_FILES, Calibration
from dataroi.curves._diagnostics import is_flat
from dataroi.curves._stack import (
    SCALE_NAMES_BEHAVIOUR,
    STACKER_FILES,
    Stacker,
    behaviour_features,
    expand,
    scale_features,
)

LCDB_NOTICE = "LCDB 1.0 (Mohr et al., 2022), MIT License, Copyright (c) 2021 Felix Mohr"
MIN_RATIO = 1.9  # the gate is trained on the errors at ratios >= 2
DELTA = 0.003  # smoothing of |r| (loss units) in the gate objective
LAMBDAS = (3e-5, 1e-4, 3e-4, 1e-3)


def _arrays(recs: list[dict[str, Any]], k: int, train: bool = False
            ) -> dict[str, np.ndarray]:
    """Stack the records into padded arrays (P = the most later anchors of any record);
    ``train`` appends the training-score features (every record must have them)."""
    p = max(len(r["ratio"]) for r in recs)
    n = len(recs)
    ex = [expand(r["shared"], r["own"], r["avail"]) for r in recs]
    if train:
        ex = [(np.concatenate([sx, r["train_feats"][0]]),
               np.column_stack([ox, r["train_feats"][1]]))
              for (sx, ox), r in zip(ex, recs, strict=True)]
    out = {
        "S": np.array([e[0] for e in ex]),
        "O": np.array([e[1] for e in ex]),
        "A": np.array([r["avail"] for r in recs]),
        "F": np.zeros((n, k, p)),
        "T": np.zeros((n, p)),
        "R": np.ones((n, p)),
        "M": np.zeros((n, p), bool),
        "S0": np.array([r["shared"] for r in recs]),
        "g": np.array([r["openmlid"] for r in recs]),
        "unit": np.array([r["unit"] for r in recs]),
        "ylast": np.array([r["y_last"] for r in recs]),
    }
    for i, r in enumerate(recs):
        m = len(r["ratio"])
        f = np.where(np.isfinite(r["F"]), r["F"], r["y_last"])
        out["F"][i, :, :m] = f
        out["T"][i, :m] = r["truth"]
        out["R"][i, :m] = r["ratio"]
        out["M"][i, :m] = np.isfinite(r["truth"])
    if all("F_obs" in r for r in recs):
        # each family's loss at the fitted sizes, for the behaviour features
        q = max(len(r["mean_loss"]) for r in recs)
        out["Fobs"] = np.zeros((n, k, q))
        out["Y"] = np.zeros((n, q))
        out["QM"] = np.zeros((n, q), bool)
        for i, r in enumerate(recs):
            m = len(r["mean_loss"])
            out["Fobs"][i, :, :m] = np.where(np.isfinite(r["F_obs"]), r["F_obs"], r["y_last"])
            out["Y"][i, :m] = r["mean_loss"]
            out["QM"][i, :m] = True
    _, inv, cnt = np.unique(out["g"], return_inverse=True, return_counts=True)
    out["w"] = 1.0 / cnt[inv]  # every data set counts once
    return out


def _weights(theta: np.ndarray, d: dict[str, np.ndarray], mean: np.ndarray,
             std: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k, ns, no = d["F"].shape[1], d["S"].shape[1], d["O"].shape[2]
    b = theta[:k]
    a = theta[k:k + k * ns].reshape(k, ns)
    c = theta[k + k * ns:].reshape(k, no)
    zs = np.clip((d["S"] - mean) / std, -5, 5)
    logit = b[None, :] + zs @ a.T + np.einsum("nko,ko->nk", d["O"], c)
    logit = np.where(d["A"], logit, -1e9)
    logit -= logit.max(axis=1, keepdims=True)
    e = np.exp(logit) * d["A"]
    return e / e.sum(axis=1, keepdims=True), zs, logit


def ensemble_loss(w: np.ndarray, d: dict[str, np.ndarray]) -> tuple[float, np.ndarray]:
    """Smoothed absolute error of the weighted ensemble at ratios >= 2 (every data set
    weighted equally) and its gradient with respect to the gate's logits, ``(n, k)``."""
    pred = np.einsum("nk,nkp->np", w, d["F"])
    res = pred - d["T"]
    sel = d["M"] & (d["R"] >= MIN_RATIO)
    cw = d["w"][:, None] * sel / np.maximum(sel.sum(axis=1, keepdims=True), 1)
    tot = cw.sum()
    sm = np.sqrt(res**2 + DELTA**2)
    dpred = cw * res / sm / tot  # (n, p)
    # d pred_p / d logit_k = w_k (F_kp - pred_p)
    return float(np.sum(cw * sm) / tot), w * np.einsum("np,nkp->nk", dpred,
                                                       d["F"] - pred[:, None, :])


def _objective(theta: np.ndarray, d: dict[str, np.ndarray], mean: np.ndarray,
               std: np.ndarray, lam: float) -> tuple[float, np.ndarray]:
    k, ns, no = d["F"].shape[1], d["S"].shape[1], d["O"].shape[2]
    w, zs, _ = _weights(theta, d, mean, std)
    loss, dlogit = ensemble_loss(w, d)
    gb = dlogit.sum(axis=0)
    ga = dlogit.T @ zs
    gc = np.einsum("nk,nko->ko", dlogit, d["O"])
    reg = lam * (np.sum(theta[k:] ** 2))
    grad = np.concatenate([gb, ga.ravel(), gc.ravel()])
    grad[k:] += 2 * lam * theta[k:]
    del ns, no
    return loss + reg, grad


def fit_gate(d: dict[str, np.ndarray], lam: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(theta, mean, std) of the gate fitted on arrays ``d``."""
    k, ns, no = d["F"].shape[1], d["S"].shape[1], d["O"].shape[2]
    mean = d["S"].mean(axis=0)
    std = d["S"].std(axis=0)
    std = np.where(std > 1e-9, std, 1.0)
    theta0 = np.zeros(k + k * ns + k * no)
    res = minimize(_objective, theta0, args=(d, mean, std, lam), jac=True, method="L-BFGS-B",
                   options={"maxiter": 3000})
    return res.x, mean, std


def predict_gate(theta: np.ndarray, mean: np.ndarray, std: np.ndarray,
                 d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(weights (n, k), ensemble prediction (n, p))."""
    w, _, _ = _weights(theta, d, mean, std)
    return w, np.einsum("nk,nkp->np", w, d["F"])


def _subset(d: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    out = {k: v[idx] for k, v in d.items()}
    _, inv, cnt = np.unique(out["g"], return_inverse=True, return_counts=True)
    out["w"] = 1.0 / cnt[inv]
    return out


def _folds(groups: np.ndarray, n_folds: int, seed: int = 0) -> np.ndarray:
    ids = np.unique(groups)
    perm = np.random.default_rng(seed).permutation(len(ids))
    fold_of = {ids[j]: i % n_folds for i, j in enumerate(perm)}
    return np.array([fold_of[g] for g in groups])


def _mae_at(pred: np.ndarray, d: dict[str, np.ndarray], ratio: float) -> float:
    hit = d["M"] & np.isclose(d["R"], ratio, rtol=0.02)
    rows = np.nonzero(hit.any(axis=1))[0]
    col = np.argmax(hit[rows], axis=1)
    err = np.abs(pred - d["T"])[rows, col]
    return set_mean(err, d["g"][rows])


def oof_gate(d: dict[str, np.ndarray], lam: float, n_folds: int = 5,
             extra: dict[str, np.ndarray] | None = None
             ) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray,
                                                        np.ndarray]:
    """Out-of-fold (grouped by data set) weights and predictions of the gate.

    With ``extra`` (arrays of other records of the same data sets, e.g. the study-shaped
    cuts), each of its records is predicted by the gate of the fold that left its data
    set out too, and ``(w, pred, w_extra, pred_extra)`` is returned.
    """
    fold = _folds(d["g"], n_folds)
    fold_of = dict(zip(d["g"].tolist(), fold.tolist(), strict=True))
    w = np.zeros(d["A"].shape)
    pred = np.zeros(d["T"].shape)
    if extra is not None:
        # a data set without a record in d is in no fold's training part: any fold will do
        fold_x = np.array([fold_of.get(g, int(g) % n_folds) for g in extra["g"].tolist()])
        w_x = np.zeros(extra["A"].shape)
        pred_x = np.zeros(extra["T"].shape)
    for f in range(n_folds):
        tr, te = np.nonzero(fold != f)[0], np.nonzero(fold == f)[0]
        theta, mean, std = fit_gate(_subset(d, tr), lam)
        w[te], pred[te] = predict_gate(theta, mean, std, _subset(d, te))
        if extra is not None:
            tx = np.nonzero(fold_x == f)[0]
            if tx.size:
                w_x[tx], pred_x[tx] = predict_gate(theta, mean, std, _subset(extra, tx))
    if extra is None:
        return w, pred
    return w, pred, w_x, pred_x


def _scale_design(d: dict[str, np.ndarray], w: np.ndarray, pred: np.ndarray,
                  behaviour: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scale-model features of every (record, later anchor), with the row indices;
    ``behaviour`` appends the curve's behaviour features (``d`` must hold ``Fobs``): the
    in-sample ensemble is ``w`` times each family's fitted loss, as ``CurveFit`` has it."""
    rows, cols, feats = [], [], []
    for i in range(len(pred)):
        m = np.nonzero(d["M"][i])[0]
        if not m.size:
            continue
        f = d["F"][i][:, m][d["A"][i]]
        spread = f.std(axis=0) if len(f) > 1 else np.zeros(len(m))
        dis = w[i][d["A"][i]] @ np.abs(f - pred[i, m][None, :])
        beh = None
        if behaviour:
            q = d["QM"][i]
            beh = behaviour_features(d["Y"][i, q], w[i] @ d["Fobs"][i][:, q])
        feats.append(scale_features(d["S0"][i], d["R"][i, m], spread=spread, disagree=dis,
                                    gain=pred[i, m] - d["ylast"][i], unit=d["unit"][i],
                                    behaviour=beh))
        rows.extend([i] * len(m))
        cols.extend(m.tolist())
    return np.vstack(feats), np.array(rows), np.array(cols)


def uses_behaviour(coef: np.ndarray) -> bool:
    """Whether scale coefficients were learned with the behaviour features."""
    return len(coef) == len(SCALE_NAMES_BEHAVIOUR)


def fit_scale(d: dict[str, np.ndarray], w: np.ndarray, pred: np.ndarray,
              ridge: float = 1e-2, behaviour: bool = False) -> np.ndarray:
    """Weighted ridge regression of log(|residual| / unit + 1e-4) on the scale features."""
    x, r, c = _scale_design(d, w, pred, behaviour)
    return scale_regression(d, pred, x, r, c, ridge)


def _row_weights(d: dict[str, np.ndarray], r: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Weight of each (record, later anchor) row: every data set counts once, each of its
    records equally, the rows of a record share its weight."""
    return d["w"][r] / np.bincount(r, minlength=len(pred))[r]


def _log_residual(d: dict[str, np.ndarray], pred: np.ndarray, r: np.ndarray,
                  c: np.ndarray) -> np.ndarray:
    """The scale model's target: log(|truth - prediction| / unit + 1e-4)."""
    return np.log(np.abs(d["T"][r, c] - pred[r, c]) / d["unit"][r] + 1e-4)


def _weighted_ridge(x: np.ndarray, y: np.ndarray, sw: np.ndarray, ridge: float
                    ) -> np.ndarray:
    """Weighted ridge regression of ``y`` on ``x``, the intercept (column 0) unpenalised."""
    xs = x * sw[:, None]
    pen = ridge * np.eye(x.shape[1])
    pen[0, 0] = 0.0
    return np.linalg.solve(x.T @ xs + pen, xs.T @ y)


def fit_scale_pooled(parts: list[tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]],
                     ridge: float = 1e-2, behaviour: bool = False) -> np.ndarray:
    """:func:`fit_scale` on several record sets at once (``(d, w, pred)`` each), every set
    weighted equally (e.g. LCDB's full curves and their study-shaped cuts): within a set
    the row weights of :func:`scale_regression`, scaled to sum to 1 / (number of sets)."""
    xs, ys, ws = [], [], []
    for d, w, pred in parts:
        x, r, c = _scale_design(d, w, pred, behaviour)
        sw = _row_weights(d, r, pred)
        xs.append(x)
        ys.append(_log_residual(d, pred, r, c))
        ws.append(sw / sw.sum() / len(parts))
    return _weighted_ridge(np.vstack(xs), np.concatenate(ys), np.concatenate(ws), ridge)


def scale_regression(d: dict[str, np.ndarray], pred: np.ndarray, x: np.ndarray,
                     r: np.ndarray, c: np.ndarray, ridge: float = 1e-2) -> np.ndarray:
    """:func:`fit_scale` on a given design ``x`` (rows ``r``, columns ``c``): every data
    set weighted equally, the intercept unpenalised."""
    return _weighted_ridge(x, _log_residual(d, pred, r, c), _row_weights(d, r, pred), ridge)


def learned_scale(unit: np.ndarray, x: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """The scale model's ``s`` (loss units), as ``CurveFit`` computes it."""
    return unit * np.exp(np.clip(x @ coef, -30.0, 5.0))


def normalised_residuals(d: dict[str, np.ndarray], w: np.ndarray, pred: np.ndarray,
                         coef: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x, r, c, z)``: scale features of every (record, later anchor), its row and
    column, and the residual divided by the learned scale."""
    x, r, c = _scale_design(d, w, pred, uses_behaviour(coef))
    return x, r, c, (d["T"][r, c] - pred[r, c]) / learned_scale(d["unit"][r], x, coef)


def calibrate(d: dict[str, np.ndarray], r: np.ndarray, c: np.ndarray, z: np.ndarray,
              coef: np.ndarray, meta: dict[str, Any]) -> Calibration:
    """Quantile table of residual / learned scale per ratio (``z`` of
    :func:`normalised_residuals` on out-of-fold predictions)."""
    return Calibration.learn(d["R"][r, c], z, groups=d["g"][r],
                             log2_grid=np.arange(0.5, 4.01, 0.5), meta=meta,
                             scale_coef=coef, spans=log2_spans(d)[r])


def log2_spans(d: dict[str, np.ndarray]) -> np.ndarray:
    """Observed doublings ``log2(n_max / n_min)`` of each record's fit (from the gate's
    ``log2_span`` feature, which stores it divided by 5)."""
    return d["S0"][:, 5] * 5.0


def with_train(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records whose fit had usable training scores (the training-score gate's data)."""
    return [r for r in recs if r.get("train_feats") is not None]


def learn(recs: list[dict[str, Any]], families: tuple[str, ...], train_ids: list[int],
          out_dir: Path, licence_text: str, split_seed: int, train: bool = False,
          study_recs: list[dict[str, Any]] | None = None, write_gate: bool = True,
          behaviour: bool = True) -> tuple[Stacker, Calibration, np.ndarray]:
    """Learn the gate and the calibration; write ``stacker.json`` and ``calibration.json``
    (``train``: the training-score gate, ``stacker_train.json`` and
    ``calibration_train.json``, from the records of :func:`with_train`).

    The gate is learned on ``recs`` (LCDB curves fitted on every anchor up to N). With
    ``study_recs`` (the same data sets' curves cut to study shapes, ``_studyshape.py``),
    the scale model, with the behaviour features, and the calibration table are learned
    on both sets' out-of-fold residuals, each set weighted equally. ``write_gate=False``
    keeps the shipped gate file and writes the calibration only; ``behaviour=False``
    learns that scale model without the behaviour features (an ablation).

    Returns:
        The gate, the calibration and the out-of-fold predictions of the training records.
    """
    if train:
        recs = with_train(recs)
        study_recs = None if study_recs is None else with_train(study_recs)
    d = _arrays(recs, len(families), train)
    ds = _arrays(study_recs, len(families), train) if study_recs else None
    scores = {}
    oof = {}
    for lam in LAMBDAS:
        oof[lam] = oof_gate(d, lam)
        scores[lam] = _mae_at(oof[lam][1], d, 4.0) + 0.5 * _mae_at(oof[lam][1], d, 16.0)
        print(f"  gate lambda={lam:g}: out-of-fold MAE 4x {_mae_at(oof[lam][1], d, 4.0):.4f}"
              f", 16x {_mae_at(oof[lam][1], d, 16.0):.4f}", flush=True)
    lam = min(scores, key=scores.__getitem__)
    theta, mean, std = fit_gate(d, lam)
    k, ns, no = len(families), d["S"].shape[1], d["O"].shape[2]
    meta = {
        "source": "learned by benchmarks/learn_curve_model.py (via bench_extrapolation.py "
                  "--learn) on LCDB 1.0 validation error of the training data sets",
        "licence": LCDB_NOTICE + " (derived data)",
        "licence_text": licence_text,
        "train_openml_ids": sorted(int(i) for i in train_ids),
        "split_seed": split_seed,
        "n_curve_fits": len(recs),
        "fit_sizes": sorted({int(r["N"]) for r in recs}),
        "lambda": lam,
    }
    st = Stacker(tuple(families), mean, std, theta[:k], theta[k:k + k * ns].reshape(k, ns),
                 theta[k + k * ns:].reshape(k, no),
                 dict(meta, objective="smoothed absolute error at ratios 2-16, data sets "
                                      "weighted equally"), uses_train=train)
    residual = "(truth - prediction) / learned scale, out-of-fold gate predictions"
    if ds is None:
        w_oof, p_oof = oof[lam]
        coef = fit_scale(d, w_oof, p_oof)
        _, r, c, z = normalised_residuals(d, w_oof, p_oof, coef)
        print("  out of fold, " + residual_correlation(recs, z, d["R"][r, c], r), flush=True)
        cal = calibrate(d, r, c, z, coef, dict(meta, residual=residual))
    else:
        w_oof, p_oof, w_s, p_s = oof_gate(d, lam, extra=ds)
        # curves whose mean never moved (a model predicting one class at every size) are
        # another regime: their scale is ~0, so any later move is a residual of hundreds
        # of scales; CurveFit flags them ('flat') instead
        kd, ks = moving(recs), moving(study_recs or [])
        print(f"  left out of the calibration: {len(recs) - kd.size} of {len(recs)} full "
              f"and {len(study_recs or []) - ks.size} of {len(study_recs or [])} study-shaped "
              "records whose mean never moved", flush=True)
        parts = [(_subset(d, kd), w_oof[kd], p_oof[kd]), (_subset(ds, ks), w_s[ks], p_s[ks])]
        coef = fit_scale_pooled(parts, behaviour=behaviour)
        _, r, c, z = normalised_residuals(d, w_oof, p_oof, coef)
        print("  out of fold (full curves), " + residual_correlation(recs, z, d["R"][r, c], r),
              flush=True)
        cal = calibrate_pooled(parts, coef, dict(
            meta, residual=residual + "; LCDB curves on every anchor up to N and cut to "
            "study shapes (_studyshape.py), each set weighted equally",
            n_study_fits=len(study_recs or []),
            study_fit_sizes=sorted({int(r["N"]) for r in study_recs or []})))
    out_dir.mkdir(parents=True, exist_ok=True)
    kind = "train" if train else "test"
    files = (out_dir / STACKER_FILES[kind], out_dir / CALIBRATION_FILES[kind])
    if write_gate:
        files[0].write_text(json.dumps(st.to_dict(), indent=1) + "\n")
    files[1].write_text(json.dumps(cal.to_dict(), indent=1) + "\n")
    wrote = f"{files[0]}, {files[1]}" if write_gate else f"{files[1]} (gate file kept)"
    print(f"learned {kind}-score gate (lambda={lam:g}) and calibration from {len(recs)} "
          f"training fits ({len(set(d['g'].tolist()))} data sets)"
          + (f" and {len(study_recs or [])} study-shaped cuts" if ds is not None else "")
          + f" -> {wrote}", flush=True)
    return st, cal, p_oof


def moving(recs: list[dict[str, Any]]) -> np.ndarray:
    """Indices of the records whose mean loss changed across the fitted sizes."""
    return np.array([i for i, r in enumerate(recs) if not is_flat(r["mean_loss"])],
                    dtype=int)


def calibrate_pooled(parts: list[tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]],
                     coef: np.ndarray, meta: dict[str, Any]) -> Calibration:
    """:func:`calibrate` on several record sets: in every cell of the table (ratio, span)
    each (data set, record set) pair counts once, so a record set that has only a few
    data sets in a cell (e.g. LCDB's full curves over two doublings) cannot outweigh one
    that has many there."""
    ratio, z, g, spans = [], [], [], []
    for j, (d, w, pred) in enumerate(parts):
        _, r, c, zz = normalised_residuals(d, w, pred, coef)
        ratio.append(d["R"][r, c])
        z.append(zz)
        g.append(d["g"][r].astype(np.int64) * len(parts) + j)
        spans.append(log2_spans(d)[r])
    return Calibration.learn(np.concatenate(ratio), np.concatenate(z),
                             groups=np.concatenate(g), log2_grid=np.arange(0.5, 4.01, 0.5),
                             meta=meta, scale_coef=coef, spans=np.concatenate(spans))


def replay(recs: list[dict[str, Any]], st: Stacker, cal: Calibration) -> None:
    """Apply a gate and calibration to cached records (quick check while iterating)."""
    if st.uses_train:
        recs = with_train(recs)
    d = _arrays(recs, len(st.families), st.uses_train)
    theta = np.concatenate([st.bias, st.coef_shared.ravel(), st.coef_own.ravel()])
    w, pred = predict_gate(theta, st.mean, st.std, d)
    _, r, c, z = normalised_residuals(d, w, pred, cal.scale_coef)
    ratio = d["R"][r, c]
    span = log2_spans(d)[r]
    for n_max in sorted({int(v["N"]) for v in recs}):
        rows = np.array([v["N"] == n_max for v in recs])
        for rt in (4.0, 16.0):
            sel = rows[r] & np.isclose(ratio, rt, rtol=0.02)
            sub = np.nonzero(rows)[0]
            mae = _mae_at(pred[sub], _subset(d, sub), rt)
            covs = []
            for lv in (0.8, 0.9):
                lo = cal.quantile((1 - lv) / 2, rt, span[sel])
                hi = cal.quantile((1 + lv) / 2, rt, span[sel])
                covs.append(float(np.mean((z[sel] >= lo) & (z[sel] <= hi))))
            print(f"  replay N={n_max} {rt:.0f}x: MAE {mae:.4f}  cov80 {covs[0]:.1%}  "
                  f"cov90 {covs[1]:.1%} (curve-weighted)")
    print("  held out, " + residual_correlation(recs, z, ratio, r))


def residual_correlation(recs: list[dict[str, Any]], z: np.ndarray, ratio: np.ndarray,
                         rows: np.ndarray) -> str:
    """Rank correlation of the normalised residuals of two learners on the same data set
    (and N), per ratio: how far apart independent curve draws of two models are from the
    truth (0: independent draws are right; 1: the errors move together)."""
    from scipy.stats import spearmanr

    out = []
    for rt in (2.0, 4.0, 8.0, 16.0):
        by: dict[tuple[int, int], list[float]] = {}
        for zi, ri, ii in zip(z, ratio, rows, strict=True):
            if np.isclose(ri, rt, rtol=0.02):
                by.setdefault((int(recs[ii]["openmlid"]), int(recs[ii]["N"])), []).append(zi)
        a, b = [], []
        for v in by.values():
            for i in range(len(v)):
                for j in range(i + 1, len(v)):
                    a.append(v[i])
                    b.append(v[j])
        if len(a) > 2:
            out.append(f"{rt:.0f}x {spearmanr(a, b).statistic:+.2f} ({len(a)} pairs)")
    return ("residual rank correlation between two learners on the same data set: "
            + ", ".join(out))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True, nargs="+",
                    help="records written by bench_extrapolation.py (several files: their "
                         "training and held-out records are pooled)")
    ap.add_argument("--out", default="src/dataroi/curves")
    ap.add_argument("--keep-gates", action="store_true",
                    help="write the calibration files only, keep the shipped gate files")
    ap.add_argument("--no-behaviour", action="store_true",
                    help="ablation: learn the scale model without the behaviour features")
    args = ap.parse_args(argv)
    print("reproduce with: python benchmarks/learn_curve_model.py " + " ".join(sys.argv[1:]))
    data: dict[str, Any] = {"train": [], "test": [], "train_study": [], "train_ids": None}
    for path in args.cache:
        with open(path, "rb") as fh:
            part = pickle.load(fh)
        if data["train_ids"] not in (None, part["train_ids"]):
            raise SystemExit(f"{path}: records of another split of the data sets")
        data["train"] += part["train"]
        data["test"] += part["test"]
        data["train_study"] += part.get("train_study", [])
        data["train_ids"] = part["train_ids"]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_extrapolation import CANDIDATES, SPLIT_SEED, lcdb_licence_text

    for train in (False, True):
        st, cal, _ = learn(data["train"], CANDIDATES, data["train_ids"], Path(args.out),
                           lcdb_licence_text(), SPLIT_SEED, train=train,
                           study_recs=data["train_study"] or None,
                           write_gate=not args.keep_gates,
                           behaviour=not args.no_behaviour)
        print("held-out replay (no refit):")
        replay(data["test"], st, cal)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
