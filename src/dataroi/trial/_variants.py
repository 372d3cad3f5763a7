"""Stress arms inside the worker: which rows an arm trains on, with which labels and
weights, and which test rows it is scored on.

An arm's model dictionary carries a ``variant`` entry (see ``dataroi.spec.VariantSpec``).
Every arm starts from the repeat's nested permutation of the pool, the same one the clean
model uses, so arm and clean trials are paired. Everything here is deterministic: random
choices are seeded from the repeat's subset seed and the arm's label, never from the
process, so a trial reproduces exactly anywhere.

Example:
    >>> import tempfile
    >>> from dataroi.data import materialize, prepare_data
    >>> from dataroi.data import WorkerData
    >>> from dataroi.spec import spec_from_dict
    >>> spec = spec_from_dict({"data": "sklearn:iris", "schedule": {"sizes": [30]},
    ...                        "models": {"lr": "sklearn.linear_model.LogisticRegression"}})
    >>> data = WorkerData.open(materialize(prepare_data(spec), tempfile.mkdtemp()))
    >>> arm = arm_rows(data, {"kind": "noise", "noise": "symmetric", "rate": 0.2},
    ...                subset_seed=1, n_train=50)
    >>> int((arm.y_train != data.y[arm.train]).sum())   # exactly 20 % of 50 flipped
    10
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataroi._random import seed_sequence
from dataroi.data import WorkerData
from dataroi.exceptions import UsageError

__all__ = ["ArmRows", "arm_rows", "eval_mask", "fit_kwargs"]

_AUX: dict[tuple[Any, ...], Any] = {}
_ORDERS: dict[tuple[Any, ...], tuple[np.ndarray, float, int]] = {}


@dataclass(frozen=True)
class ArmRows:
    """What one arm trains on.

    Attributes:
        train: row positions of the training rows.
        y_train: their labels as the arm sees them (noisy for a noise arm).
        sample_weight: per-row weights (covariate-shift reweighting), or None.
        selection_seconds: time spent choosing the rows (acquisition arms; prorated by
            rounds when a longer selection of the same repeat is reused).
    """

    train: np.ndarray
    y_train: np.ndarray
    sample_weight: np.ndarray | None = None
    selection_seconds: float = 0.0


def _seed(subset_seed: int, variant: dict[str, Any], *extra: int) -> np.random.SeedSequence:
    return seed_sequence(subset_seed, repr(sorted((k, str(v)) for k, v in variant.items()
                                                  if k != "selector_model")), *extra)


def _code(data: WorkerData, label: str) -> int:
    classes = list(data.classes or [])
    if label in classes:
        return classes.index(label)
    raise UsageError(f"class {label!r} is not a class of the target; classes: "
                     f"{', '.join(classes)}")


def _cached(key: tuple[Any, ...], make: Any) -> Any:
    if key not in _AUX:
        if len(_AUX) > 32:
            _AUX.clear()
        _AUX[key] = make()
    return _AUX[key]


def _pool_frame(data: WorkerData) -> Any:
    return _cached((data.path, "pool_frame"), lambda: data.rows(np.asarray(data.pool_idx)))


def _pool_numeric(data: WorkerData) -> np.ndarray:
    from dataroi.trial._perturb import numeric_matrix

    return _cached((data.path, "pool_numeric"), lambda: numeric_matrix(_pool_frame(data)))


def _pool_position(data: WorkerData) -> np.ndarray:
    def make() -> np.ndarray:
        pos = np.full(len(data.y), -1, dtype=np.int64)
        pool = np.asarray(data.pool_idx)
        pos[pool] = np.arange(len(pool))
        return pos

    return _cached((data.path, "pool_position"), make)


def _column_mask(data: WorkerData, rows: np.ndarray, column: str,
                 values: list[str]) -> np.ndarray:
    """Whether each of ``rows`` has ``column`` in ``values`` (compared as text, as the
    spec writes them); reads that one column only."""
    import pandas as pd

    names = [c["name"] for c in data.columns]
    if column not in names:
        raise UsageError(f"shift column '{column}' is not a feature column; features: "
                         f"{', '.join(names)}")
    i = names.index(column)
    col, raw = data.columns[i], np.asarray(data.arrays[i][rows])
    if col["kind"] == "category":
        series = pd.Series(pd.Categorical.from_codes(raw, categories=col["categories"]))
    else:
        series = pd.Series(raw)
    return series.astype(str).isin(values).to_numpy()


def eval_mask(data: WorkerData, variant: dict[str, Any] | None) -> np.ndarray | None:
    """Which test rows an arm is scored on (None: all of them)."""
    if not variant or variant.get("kind") != "shift":
        return None
    key = (data.path, "shift_test", variant["column"], tuple(variant["values"]))
    shifted = _cached(key, lambda: _column_mask(data, np.asarray(data.test_idx),
                                                variant["column"], variant["values"]))
    mask = ~shifted if variant["view"] == "in" else shifted
    if not mask.any():
        which = "outside" if variant["view"] == "in" else "with"
        raise UsageError(f"no test rows {which} {variant['column']} in "
                         f"{variant['values']}: nothing to score this shift view on")
    return mask


def _noise(data: WorkerData, variant: dict[str, Any], perm: np.ndarray, n: int,
           subset_seed: int) -> ArmRows:
    from dataroi.trial._perturb import flip_labels, hardness_scores

    if data.task != "classification":
        raise UsageError("label noise needs a classification target")
    train = perm[:n]
    k = int(data.n_classes or 0)
    kind, rate = variant.get("noise") or "symmetric", variant.get("rate")
    matrix = None
    if variant.get("matrix"):
        matrix = np.zeros((k, k))
        for t, row in variant["matrix"].items():
            for nl, p in row.items():
                matrix[_code(data, t), _code(data, nl)] = p
        if rate is not None:  # the matrix says where flips go; the rate, how many
            off = matrix.copy()
            np.fill_diagonal(off, 0.0)
            sums = off.sum(axis=1, keepdims=True)
            uniform = (1 - np.eye(k)) / (k - 1)
            off = np.where(sums > 0, off / np.where(sums > 0, sums, 1), uniform)
            matrix = off * rate + np.eye(k) * (1 - rate)
        else:
            np.fill_diagonal(matrix, 0.0)
            np.fill_diagonal(matrix, 1.0 - matrix.sum(axis=1))
    hardness = None
    if kind == "hard":
        pool_hard = _cached((data.path, "hardness"), lambda: hardness_scores(
            _pool_numeric(data), np.asarray(data.y)[np.asarray(data.pool_idx)],
            n_classes=k, seed=0))
        hardness = pool_hard[_pool_position(data)[train]]
    rng = np.random.default_rng(_seed(subset_seed, variant, n))
    y = np.asarray(data.y)[train]
    noisy = flip_labels(y, rate, n_classes=k, seed=rng,
                        kind="class_conditional" if matrix is not None else kind,
                        matrix=matrix, hardness=hardness)
    return ArmRows(train=train, y_train=noisy)


def _prior(data: WorkerData, variant: dict[str, Any], perm: np.ndarray, n: int) -> ArmRows:
    from dataroi.trial._perturb import class_priors, prior_subset, thinned_priors

    if data.task != "classification":
        raise UsageError("class priors need a classification target")
    y = np.asarray(data.y)
    if "priors" in variant:
        priors = {_code(data, c): p for c, p in variant["priors"].items()}
    else:
        base = class_priors(y[np.asarray(data.pool_idx)], int(data.n_classes or 0))
        priors = thinned_priors(base, {_code(data, c): r for c, r in variant["thin"].items()})
    train = prior_subset(perm, y, n, priors=priors)
    return ArmRows(train=train, y_train=y[train])


def _shift(data: WorkerData, variant: dict[str, Any], perm: np.ndarray, n: int,
           subset_seed: int) -> ArmRows:
    key = (data.path, "shift_pool", variant["column"], tuple(variant["values"]))
    held = _cached(key, lambda: _column_mask(data, np.arange(len(data.y)),
                                             variant["column"], variant["values"]))
    allowed = perm[~held[perm]]
    if n > len(allowed):
        raise UsageError(f"the pool outside {variant['column']} in {variant['values']} "
                         f"holds {len(allowed)} rows, fewer than n_train={n}")
    train = allowed[:n]
    y = np.asarray(data.y)[train]
    weight = None
    if variant["view"] == "reweighted":
        from dataroi.trial._perturb import numeric_matrix, shift_weights

        test = np.asarray(data.test_idx)
        target = test[eval_mask(data, variant)]
        both = numeric_matrix(data.rows(np.concatenate([train, target])))
        seed = int(_seed(subset_seed, variant, n).generate_state(1)[0])
        weight = shift_weights(both[:n], both[n:], seed=seed)
    return ArmRows(train=train, y_train=y, sample_weight=weight)


def _acquisition(data: WorkerData, variant: dict[str, Any], perm: np.ndarray, n: int,
                 subset_seed: int) -> ArmRows:
    from dataroi.acquisition import acquisition_order, make_fit_proba
    from dataroi.trial._estimators import seed_estimator
    from dataroi.trial._preprocess import build_trial_model

    if data.task != "classification":
        raise UsageError("acquisition strategies need a classification target")
    pool = np.asarray(data.pool_idx)
    key = (data.path, subset_seed, zlib.crc32(repr(sorted(
        (k, str(v)) for k, v in variant.items())).encode()))
    cached = _ORDERS.get(key)
    if cached is None or len(cached[0]) < n:
        sel_seed = int(_seed(subset_seed, variant, 1).generate_state(1)[0])

        def factory() -> Any:
            built = build_trial_model(variant["selector_model"], data)
            return seed_estimator(built.estimator, sel_seed)

        y_pool = np.asarray(data.y)[pool]
        strategy = variant["strategy"]
        needs_model = strategy not in ("random", "stratified")
        fit_proba = make_fit_proba(factory, _pool_frame(data), lambda X, i: X.iloc[i],
                                   y_pool, int(data.n_classes or 0)) if needs_model else None
        t0 = time.perf_counter()
        result = acquisition_order(
            n, n_pool=len(pool), strategy=strategy, batch_size=variant["batch_size"],
            initial=min(variant["initial"], n), seed=sel_seed, y=y_pool,
            fit_proba=fit_proba,
            features=_pool_numeric(data) if strategy == "diversity" else None,
            max_candidates=variant["max_candidates"],
            start_order=_pool_position(data)[perm])
        seconds = result.selection_seconds if needs_model else time.perf_counter() - t0
        cached = (np.asarray(result.order), float(seconds), int(result.rounds))
        if len(_ORDERS) > 64:
            _ORDERS.clear()
        _ORDERS[key] = cached
    order, seconds, rounds = cached
    # a shorter prefix of the same selection: prorate its time by rounds
    init, batch = variant["initial"], variant["batch_size"]
    needed = 0 if n <= init else -(-(n - init) // batch)
    share = (needed / rounds) if rounds else 0.0
    train = pool[order[:n]]
    return ArmRows(train=train, y_train=np.asarray(data.y)[train],
                   selection_seconds=seconds * min(1.0, share))


def arm_rows(data: WorkerData, variant: dict[str, Any], *, subset_seed: int,
             n_train: int) -> ArmRows:
    """The training rows, labels and weights of an arm's trial."""
    from dataroi.trial._worker import train_indices

    perm = train_indices(data, subset_seed, len(data.pool_idx))
    kind = variant["kind"]
    if kind == "noise":
        return _noise(data, variant, perm, n_train, subset_seed)
    if kind == "prior":
        return _prior(data, variant, perm, n_train)
    if kind == "shift":
        return _shift(data, variant, perm, n_train, subset_seed)
    if kind == "acquisition":
        return _acquisition(data, variant, perm, n_train, subset_seed)
    raise UsageError(f"unknown stress arm kind {kind!r}")


def fit_kwargs(est: Any, sample_weight: np.ndarray | None) -> dict[str, Any]:
    """Keyword arguments that pass ``sample_weight`` to an estimator or a pipeline's last
    step — through nested pipelines (the study's preprocessing wraps a spec's own
    ``pipeline:``, whose last step is the model).

    Example:
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import StandardScaler
        >>> inner = make_pipeline(StandardScaler(), LogisticRegression())
        >>> outer = make_pipeline(StandardScaler(), inner)
        >>> list(fit_kwargs(outer, np.ones(3)))
        ['pipeline__logisticregression__sample_weight']
    """
    if sample_weight is None:
        return {}
    import inspect

    target, prefix = est, ""
    while hasattr(target, "steps"):
        name, target = target.steps[-1]
        prefix += f"{name}__"
    if "sample_weight" not in inspect.signature(target.fit).parameters:
        raise UsageError(f"{type(target).__name__}.fit takes no sample_weight; covariate-"
                         "shift reweighting needs a model that does")
    return {f"{prefix}sample_weight": sample_weight}
