"""Validation of the ``stress:`` and ``slices:`` sections (every problem with its path).

A ``stress:`` section turns into *arms*: each named model gets one extra arm per noise
rate, class prior, shift view and acquisition strategy. Arms are planned, run, recorded
and fitted like models, under the name ``"<model>[<label>]"``.

Example:
    >>> problems: list[str] = []
    >>> arms = parse_stress({"noise": {"rates": [0.1, 0.2]},
    ...                      "acquisition": {"strategies": ["margin"]}}, ["lr"], problems)
    >>> [a.name for a in arms], problems
    (['lr[noise=0.1]', 'lr[noise=0.2]', 'lr[al=random]', 'lr[al=margin]'], [])
"""

from __future__ import annotations

import math
from typing import Any

from dataroi._names import did_you_mean
from dataroi.spec._model import SliceSpec, VariantSpec

__all__ = ["NOISE_KINDS", "STRATEGIES", "is_annotation_source", "parse_slices", "parse_stress"]

STRATEGIES = ("random", "stratified", "uncertainty", "margin", "entropy", "diversity")
NOISE_KINDS = ("symmetric", "class_conditional", "hard")
_STRESS = {"models", "noise", "prior", "shift", "acquisition"}
_NOISE = {"rates", "kind", "matrix", "models"}
_SHIFT = {"column", "values", "reweight", "models"}
_ACQ = {"strategies", "batch_size", "initial", "selector", "max_candidates", "models"}
_SLICES = {"column", "expression", "min_test_rows", "price_per_label_usd"}
_NOISE_LABEL = {"symmetric": "noise", "class_conditional": "cc-noise", "hard": "hard-noise"}


def _unknown(raw: dict[str, Any], allowed: set[str], where: str, problems: list[str]) -> None:
    for key in raw:
        if key not in allowed:
            hint = did_you_mean(str(key), sorted(allowed))
            problems.append(f"{where}.{key}: unknown key{hint}; allowed: "
                            f"{', '.join(sorted(allowed))}")


def _section(raw: Any, where: str, allowed: set[str],
             problems: list[str]) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping, got {type(raw).__name__}")
        return None
    _unknown(raw, allowed, where, problems)
    return raw


def _share(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) \
        and 0 <= v <= 1


def _fmt(v: float) -> str:
    """Lossless short form of a number (distinct rates never share an arm name)."""
    return repr(float(v)).removesuffix(".0")


def _pos_int(raw: dict[str, Any], key: str, where: str, default: int,
             problems: list[str]) -> int:
    v = raw.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        problems.append(f"{where}.{key}: must be a positive integer, got {v!r}")
        return default
    return v


def _models(sec: dict[str, Any], where: str, models: list[str], all_models: list[str],
            problems: list[str]) -> list[str] | None:
    """A perturbation's own ``models:`` list (default: the section-wide list)."""
    own = sec.get("models")
    if own is None:
        return models
    if not isinstance(own, list) or not own or not all(isinstance(m, str) for m in own):
        problems.append(f"{where}.models: must be a list of model names, got {own!r}")
        return None
    bad = [m for m in own if m not in all_models]
    for m in bad:
        hint = did_you_mean(m, all_models)
        problems.append(f"{where}.models: '{m}' is not a model of the study{hint}; "
                        f"models: {', '.join(all_models)}")
    return None if bad else own


def _annotation_source(raw: dict[str, Any], base_dir: str,
                       problems: list[str]) -> dict[str, str] | None:
    """A label-noise matrix to estimate from an annotation table (``matrix:
    {from_annotations: labels.csv, item: .., annotator: .., label: ..}``), checked but not
    read: the study estimates it (``dataroi.study`` with ``dataroi.annotation``'s
    Dawid–Skene) when it plans the arms, so loading a spec fits nothing."""
    import os

    where = "stress.noise.matrix.from_annotations"
    _unknown(raw, {"from_annotations", "item", "annotator", "label"}, "stress.noise.matrix",
             problems)
    path = raw.get("from_annotations")
    if not isinstance(path, str) or not path:
        problems.append(f"{where}: must be the path of an (item, annotator, label) table")
        return None
    full = path if os.path.isabs(path) else os.path.join(base_dir, path)
    if not os.path.exists(full):
        problems.append(f"{where}: {full} does not exist")
        return None
    bad = [k for k in ("item", "annotator", "label") if k in raw
           and (not isinstance(raw[k], str) or not raw[k])]
    for k in bad:
        problems.append(f"stress.noise.matrix.{k}: must be a column name, got {raw[k]!r}")
    return None if bad else {"from_annotations": full,
                             **{k: raw[k] for k in ("item", "annotator", "label") if k in raw}}


def is_annotation_source(matrix: Any) -> bool:
    """True for a noise matrix still to be estimated from an annotation table."""
    return isinstance(matrix, dict) and "from_annotations" in matrix


def _perturbation(raw: Any, name: str, allowed: set[str], models: list[str],
                  all_models: list[str], problems: list[str]
                  ) -> tuple[dict[str, Any], list[str]] | None:
    """A perturbation's section and the models it applies to (None after a problem)."""
    where = f"stress.{name}"
    sec = _section(raw, where, allowed, problems)
    if sec is None:
        return None
    own = _models(sec, where, models, all_models, problems)
    return None if own is None else (sec, own)


def _noise(raw: Any, models: list[str], problems: list[str],
           all_models: list[str] | None = None, base_dir: str = ".") -> list[VariantSpec]:
    got = _perturbation(raw, "noise", _NOISE, models, all_models or models, problems)
    if got is None:
        return []
    sec, models = got
    kind = sec.get("kind", "symmetric")
    if kind not in NOISE_KINDS:
        problems.append(f"stress.noise.kind: must be one of {', '.join(NOISE_KINDS)}, "
                        f"got {kind!r}")
        return []
    rates = sec.get("rates")
    matrix = sec.get("matrix")
    if kind == "class_conditional" and is_annotation_source(matrix):
        matrix = _annotation_source(matrix, base_dir, problems)
        if matrix is None:
            return []
    elif kind == "class_conditional":
        if not isinstance(matrix, dict) or not matrix or not all(
                isinstance(row, dict) for row in matrix.values()):
            problems.append("stress.noise.matrix: class_conditional needs a mapping true "
                            "label -> {noisy label: probability}, e.g. {cat: {dog: 0.3}}")
            return []
        bad = [f"{t}->{n}" for t, row in matrix.items() for n, p in row.items()
               if not _share(p)]
        if bad:
            problems.append(f"stress.noise.matrix: probabilities must be in [0, 1] "
                            f"({', '.join(bad)})")
            return []
        matrix = {str(t): {str(n): float(p) for n, p in row.items()}
                  for t, row in matrix.items()}
    elif matrix is not None:
        problems.append("stress.noise.matrix: only used with kind: class_conditional")
    if rates is None and kind == "class_conditional":
        # the matrix itself says how many labels of each class flip: one arm
        return [VariantSpec(m, "noise", "cc-noise", {"noise": kind, "rate": None,
                                                      "matrix": matrix}) for m in models]
    if not isinstance(rates, list) or not rates or not all(
            _share(r) and r < 1 for r in rates):
        problems.append("stress.noise.rates: must be a non-empty list of rates in [0, 1), "
                        f"e.g. [0.05, 0.1, 0.2]; got {rates!r}")
        return []
    label = _NOISE_LABEL[kind]
    return [VariantSpec(m, "noise", f"{label}={_fmt(r)}",
                        {"noise": kind, "rate": float(r),
                         **({"matrix": matrix} if matrix else {})})
            for m in models for r in sorted(set(rates)) if r > 0]


def _prior(raw: Any, models: list[str], problems: list[str]) -> list[VariantSpec]:
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    out: list[VariantSpec] = []
    for i, item in enumerate(items):
        where = f"stress.prior[{i}]" if isinstance(raw, list) else "stress.prior"
        if not isinstance(item, dict) or not item:
            problems.append(f"{where}: must be a mapping class label -> share (e.g. "
                            "{yes: 0.1, no: 0.9}) or {thin: {label: rate}}")
            continue
        if set(item) == {"thin"}:
            thin = item["thin"]
            if not isinstance(thin, dict) or not thin or not all(
                    _share(v) and v < 1 for v in thin.values()):
                problems.append(f"{where}.thin: must map class labels to a thinning rate "
                                f"in [0, 1), got {thin!r}")
                continue
            params = {"thin": {str(k): float(v) for k, v in thin.items()}}
            label = "thin=" + ",".join(f"{k}:{_fmt(v)}" for k, v in params["thin"].items())
        else:
            if not all(_share(v) for v in item.values()):
                problems.append(f"{where}: shares must be numbers in [0, 1], got {item!r}")
                continue
            total = sum(float(v) for v in item.values())
            if abs(total - 1) > 1e-6:
                problems.append(f"{where}: shares must sum to 1, they sum to {total:g}")
                continue
            params = {"priors": {str(k): float(v) for k, v in item.items()}}
            label = "prior=" + ",".join(f"{k}:{_fmt(v)}" for k, v in params["priors"].items())
        out.extend(VariantSpec(m, "prior", label, params) for m in models)
    return out


def _shift(raw: Any, models: list[str], problems: list[str],
           all_models: list[str] | None = None) -> list[VariantSpec]:
    got = _perturbation(raw, "shift", _SHIFT, models, all_models or models, problems)
    if got is None:
        return []
    sec, models = got
    column, values = sec.get("column"), sec.get("values")
    ok = True
    if not isinstance(column, str) or not column:
        problems.append(f"stress.shift.column: must be a feature column name, got {column!r}")
        ok = False
    if not isinstance(values, list) or not values:
        problems.append("stress.shift.values: must be a non-empty list of that column's "
                        f"values held out of training, got {values!r}")
        ok = False
    reweight = sec.get("reweight", False)
    if not isinstance(reweight, bool):
        problems.append(f"stress.shift.reweight: must be true or false, got {reweight!r}")
        ok = False
    if not ok:
        return []
    base = {"column": column, "values": [str(v) for v in values]}
    views = [("shift-in", "in"), ("shift", "shifted")]
    if reweight:
        views.append(("shift-rw", "reweighted"))
    return [VariantSpec(m, "shift", f"{label}={column}", {**base, "view": view})
            for m in models for label, view in views]


def _acquisition(raw: Any, models: list[str], all_models: list[str],
                 problems: list[str]) -> list[VariantSpec]:
    got = _perturbation(raw, "acquisition", _ACQ, models, all_models, problems)
    if got is None:
        return []
    sec, models = got
    strategies = sec.get("strategies")
    if not isinstance(strategies, list) or not strategies:
        problems.append(f"stress.acquisition.strategies: must be a list of "
                        f"{', '.join(STRATEGIES)}; got {strategies!r}")
        return []
    bad = [s for s in strategies if s not in STRATEGIES]
    for s in bad:
        hint = did_you_mean(str(s), STRATEGIES)
        problems.append(f"stress.acquisition.strategies: unknown strategy {s!r}{hint}; "
                        f"known: {', '.join(STRATEGIES)}")
    batch = _pos_int(sec, "batch_size", "stress.acquisition", 50, problems)
    initial = _pos_int(sec, "initial", "stress.acquisition", batch, problems)
    max_cand = _pos_int(sec, "max_candidates", "stress.acquisition", 20000, problems)
    selector = sec.get("selector")
    if selector is not None and selector not in all_models:
        hint = did_you_mean(str(selector), all_models)
        problems.append(f"stress.acquisition.selector: '{selector}' is not a model of the "
                        f"study{hint}; models: {', '.join(all_models)}")
        return []
    if bad:
        return []
    # random is the baseline every strategy is compared with: always run it
    ordered = ["random"] + [s for s in dict.fromkeys(strategies) if s != "random"]
    return [VariantSpec(m, "acquisition", f"al={s}",
                        {"strategy": s, "batch_size": batch, "initial": initial,
                         "selector": selector or m, "max_candidates": max_cand})
            for m in models for s in ordered]


def parse_stress(raw: Any, model_names: list[str], problems: list[str],
                 base_dir: str = ".") -> tuple[VariantSpec, ...]:
    """The arms a ``stress:`` section asks for (problems appended with field paths)."""
    sec = _section(raw, "stress", _STRESS, problems)
    if sec is None:
        return ()
    models = _models(sec, "stress", model_names, model_names, problems)
    if models is None:
        return ()
    if not any(k in sec for k in ("noise", "prior", "shift", "acquisition")):
        problems.append("stress: names no perturbation; add noise, prior, shift or "
                        "acquisition")
        return ()
    before = len(problems)
    arms = (_noise(sec.get("noise"), models, problems, model_names, base_dir)
            + _prior(sec.get("prior"), models, problems)
            + _shift(sec.get("shift"), models, problems, model_names)
            + _acquisition(sec.get("acquisition"), models, model_names, problems))
    if len(problems) == before:
        names = [a.name for a in arms]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            problems.append(f"stress: arms {', '.join(twice)} are asked for twice")
        if not arms:
            problems.append("stress: yields no arm (a noise rate of 0 is the clean model "
                            "itself; an empty prior list adds nothing)")
    return tuple(arms)


def parse_slices(raw: Any, problems: list[str]) -> SliceSpec | None:
    """The ``slices:`` section: a column name, or a mapping with options."""
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"column": raw}
    sec = _section(raw, "slices", _SLICES, problems)
    if sec is None:
        return None
    column, expression = sec.get("column"), sec.get("expression")
    if (column is None) == (expression is None):
        problems.append("slices: give either column (a feature column) or expression "
                        "(e.g. 'distance > 1000'), not both or neither")
        return None
    if column is not None and (not isinstance(column, str) or not column):
        problems.append(f"slices.column: must be a feature column name, got {column!r}")
        return None
    if expression is not None and (not isinstance(expression, str)
                                   or not expression.strip()):
        problems.append(f"slices.expression: must be an expression text, got {expression!r}")
        return None
    min_rows = _pos_int(sec, "min_test_rows", "slices", 30, problems)
    prices = sec.get("price_per_label_usd", {})
    if not isinstance(prices, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
            for v in prices.values()):
        problems.append("slices.price_per_label_usd: must map slice values to prices "
                        f">= 0, got {prices!r}")
        prices = {}
    return SliceSpec(column=column, min_test_rows=min_rows,
                     price_per_label_usd={str(k): float(v) for k, v in prices.items()},
                     expression=expression.strip() if expression else None)
