"""Stress arms against the data: check what they name, and how large each can grow.

Example:
    >>> from dataroi.data import prepare_data
    >>> from dataroi.spec import spec_from_dict
    >>> spec = spec_from_dict({"data": "sklearn:iris", "schedule": {"sizes": [30, 60]},
    ...     "models": {"lr": "sklearn.linear_model.LogisticRegression"},
    ...     "stress": {"prior": {"0": 0.5, "1": 0.5}}})
    >>> prep = prepare_data(spec)
    >>> arm_limits(spec, prep)   # two of three classes at half each: 2 × 40 pool rows
    {'lr[prior=0:0.5,1:0.5]': 80}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi._names import did_you_mean
from dataroi.exceptions import SpecError

if TYPE_CHECKING:
    from dataroi.data import PreparedData
    from dataroi.spec import StudySpec

__all__ = ["arm_limits", "check_arms", "resolve_annotation_noise"]


def _labels(prep: PreparedData) -> list[str]:
    return [str(c) for c in prep.classes]


def _check_labels(where: str, labels: Any, prep: PreparedData, problems: list[str]) -> None:
    known = _labels(prep)
    for lab in labels:
        if str(lab) not in known:
            hint = did_you_mean(str(lab), known)
            problems.append(f"{where}: {lab!r} is not a class of the target{hint}; "
                            f"classes: {', '.join(known)}")


def _check_column(where: str, column: str, prep: PreparedData,
                  problems: list[str]) -> bool:
    if column not in prep.X.columns:
        hint = did_you_mean(column, list(prep.X.columns))
        problems.append(f"{where}: '{column}' is not a feature column{hint}; features: "
                        f"{', '.join(map(str, prep.X.columns))}")
        return False
    return True


def check_arms(spec: StudySpec, prep: PreparedData) -> None:
    """Check that the stress arms and slices fit the data (every problem at once).

    Raises:
        SpecError: classes or columns that do not exist, arms that need a classification
            target on a regression one, shift values that select no test rows.
    """
    problems: list[str] = []
    classification = prep.task == "classification"
    kinds = {a.kind for a in spec.stress}
    for kind in sorted(kinds & {"noise", "prior", "acquisition"}):
        if not classification:
            problems.append(f"stress.{kind}: needs a classification target; "
                            f"'{spec.data.target}' is a regression target")
    seen: set[str] = set()
    for arm in spec.stress:
        if arm.label in seen:
            continue
        seen.add(arm.label)
        p = arm.params
        if classification and arm.kind == "noise" and p.get("matrix"):
            _check_labels("stress.noise.matrix", list(p["matrix"]) + [
                n for row in p["matrix"].values() for n in row], prep, problems)
            if p.get("rate") is None:
                bad = [t for t, row in p["matrix"].items()
                       if sum(v for n, v in row.items() if n != t) > 1 + 1e-9]
                if bad:
                    problems.append(f"stress.noise.matrix: flip probabilities of {bad} "
                                    "sum to more than 1")
        if classification and arm.kind == "prior":
            _check_labels("stress.prior", p.get("priors", p.get("thin", {})), prep,
                          problems)
        if arm.kind == "shift" and _check_column("stress.shift.column", p["column"], prep,
                                                 problems):
            test = prep.X[p["column"]].iloc[np.asarray(prep.test_idx)].astype(str)
            hit = test.isin(p["values"])
            if not hit.any():
                problems.append(f"stress.shift.values: no test row has {p['column']} in "
                                f"{p['values']}")
            elif hit.all():
                problems.append(f"stress.shift.values: every test row has {p['column']} "
                                f"in {p['values']}: no in-distribution rows remain")
    if spec.slices is not None and spec.slices.column is not None:
        _check_column("slices.column", spec.slices.column, prep, problems)
    elif spec.slices is not None:
        from dataroi.slices import slice_labels

        try:
            slice_labels(prep.X, spec.slices)
        except SpecError as exc:
            problems.extend(exc.problems)
    if problems:  # the views of one shift section share its problems: say each once
        raise SpecError(list(dict.fromkeys(problems)))


def _prior_limit(priors: dict[int, float], counts: np.ndarray, pool: int) -> int:
    """The largest n whose exact per-class counts fit the pool's class counts."""
    from dataroi.trial import prior_subset

    bound = min((counts[c] / p for c, p in priors.items() if p > 0), default=pool)
    n = int(min(pool, np.floor(bound)))
    y = np.repeat(np.arange(len(counts)), counts)
    order = np.arange(len(y))
    while n > 0:
        try:
            prior_subset(order, y, n, priors=priors)
            return n
        except ValueError:
            n -= 1
    return 0


def arm_limits(spec: StudySpec, prep: PreparedData) -> dict[str, int]:
    """The largest training size of every arm whose own pool is smaller than the pool:
    a shift arm trains only outside the held-out values; a class-prior arm runs out of
    one class's rows."""
    from dataroi.trial import class_priors, thinned_priors

    out: dict[str, int] = {}
    pool = np.asarray(prep.pool_idx)
    y_pool = np.asarray(prep.y)[pool]
    by_label: dict[str, int] = {}
    for arm in spec.stress:
        if arm.label not in by_label:
            p = arm.params
            limit = None
            if arm.kind == "shift" and p["column"] in prep.X.columns:
                held = prep.X[p["column"]].iloc[pool].astype(str).isin(p["values"])
                limit = int((~held).sum())
            elif arm.kind == "prior" and prep.task == "classification":
                labels = _labels(prep)
                k = len(labels)
                counts = np.bincount(y_pool.astype(int), minlength=k)
                try:
                    if "priors" in p:
                        priors = {labels.index(c): v for c, v in p["priors"].items()}
                    else:
                        priors = thinned_priors(class_priors(y_pool, k), {
                            labels.index(c): v for c, v in p["thin"].items()})
                except ValueError:  # unknown class: reported by check_arms
                    continue
                limit = _prior_limit(priors, counts, len(pool))
            if limit is not None and limit < len(pool):
                by_label[arm.label] = limit
        if arm.label in by_label:
            out[arm.name] = by_label[arm.label]
    return out


def resolve_annotation_noise(spec: StudySpec) -> StudySpec:
    """The spec with every noise matrix given as ``from_annotations`` estimated.

    The matrix of one annotation is the Dawid–Skene confusion matrices of the table's
    annotators averaged by how many labels each gave (``dataroi.annotation``); the arm's
    identity (and so its trials) follows the estimate, so a changed table re-plans it.
    Loading a spec only checks the table exists; the estimate is made here, once.

    Raises:
        SpecError: the table cannot be read or the model cannot be fitted (field path
            ``stress.noise.matrix.from_annotations``).
    """
    import dataclasses

    from dataroi.spec import is_annotation_source

    todo = [a for a in spec.stress if is_annotation_source(a.params.get("matrix"))]
    if not todo:
        return spec
    estimated: dict[str, dict[str, dict[str, float]]] = {}
    arms = []
    for arm in spec.stress:
        source = arm.params.get("matrix")
        if is_annotation_source(source):
            key = repr(sorted(source.items()))
            if key not in estimated:
                estimated[key] = _annotation_matrix(source)
            arm = dataclasses.replace(arm, params={**arm.params, "matrix": estimated[key]})
        arms.append(arm)
    return dataclasses.replace(spec, stress=tuple(arms))


def _annotation_matrix(source: dict[str, str]) -> dict[str, dict[str, float]]:
    from dataroi.annotation import DawidSkene
    from dataroi.exceptions import DataroiError

    cols = {k: source[k] for k in ("item", "annotator", "label") if k in source}
    try:
        ds = DawidSkene().fit(source["from_annotations"], **cols)
    except (DataroiError, ValueError, KeyError) as exc:
        raise SpecError(f"stress.noise.matrix.from_annotations: {exc}") from None
    per_annotator = np.bincount(ds.table_.annotator_idx, minlength=len(ds.annotators_))
    t = np.tensordot(per_annotator / per_annotator.sum(), ds.confusion_, axes=1)
    labels = [str(c) for c in ds.classes_]
    return {labels[i]: {labels[j]: round(float(t[i, j]), 4) for j in range(len(labels))
                        if j != i and round(float(t[i, j]), 4) > 0}
            for i in range(len(labels))}
