"""Load and validate a study spec (YAML or a dictionary) into a :class:`StudySpec`.

Validation happens before anything runs and reports *every* problem with its field path
(``models.svm.params.C``), the bad value and what is allowed (house rule 3).

Example:
    >>> spec = spec_from_dict({
    ...     "name": "demo",
    ...     "data": {"source": "sklearn:iris"},
    ...     "models": {"logreg": {"estimator": "sklearn.linear_model.LogisticRegression"}},
    ...     "schedule": {"sizes": [20, 40], "repeats": 2},
    ... })
    >>> spec.metrics, spec.schedule.resolve_sizes(120)
    (('accuracy',), [20, 40])
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from dataroi._names import did_you_mean
from dataroi.exceptions import SpecError
from dataroi.metrics import METRICS, get_metric
from dataroi.spec._model import (
    AdaptiveSpec,
    CostSpec,
    DataSpec,
    DecisionSpec,
    GuardrailSpec,
    ModelSpec,
    PreprocessSpec,
    RelabelSpec,
    ScheduleSpec,
    SplitSpec,
    StudySpec,
)
from dataroi.spec._stress import parse_slices, parse_stress

__all__ = ["load_spec", "parse_costs", "parse_decision", "spec_from_dict"]

_TOP = {"name", "data", "split", "models", "metrics", "schedule", "ledger", "artifacts",
        "description", "costs", "decision", "stress", "slices", "preprocess", "contract"}
_COSTS = {"price_per_label_usd", "labels_per_item", "adjudication_rate",
          "fixed_cost_per_round_usd", "labels_per_day", "deadline_days", "unlabeled_items",
          "compute_price_per_hour_usd", "retrains", "engineering_cost_usd",
          "value_per_point_usd", "point", "periods", "failure_penalty_usd",
          "watts_per_core", "energy_price_per_kwh", "co2_g_per_kwh"}
_DECISION = {"metric", "target", "risk", "budget_usd", "rule", "current_model", "rounds",
             "add", "guardrails", "curves", "max_p_loss", "recalibrate", "relabel"}
_RELABEL = {"rate_now", "rate_after", "opinions", "cleaner", "model"}
_CURVES = ("learned", "fitted")
_GUARDRAILS = {"min_gain_per_1k", "max_budget_usd", "min_p_gain", "max_predict_ms_per_1k",
               "max_model_mb"}
_RULES = ("expected_net", "quantile10", "target")
_DATA = {"source", "path", "target", "features", "task", "drop_missing_target", "float32"}
_SPLIT = {"test_size", "stratify", "test_file", "group_column", "time_column"}
_SCHEDULE = {"sizes", "geometric", "repeats", "seed", "adaptive"}
_ADAPTIVE = {"target", "budget_cpu_seconds", "initial_sizes", "initial_repeats", "batch_size",
             "steady_looks", "steady_target", "learned_stop"}
_GEOMETRIC = {"min", "max", "count"}
_MODEL = {"estimator", "params", "pipeline", "factory", "resources"}
_PREPROCESS = {"mode", "max_onehot", "scale", "text_columns", "categorical_columns"}
_PREPROCESS_MODES = ("auto", "none")
_TASKS = ("auto", "classification", "regression")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def _unknown(keys: Any, allowed: set[str], where: str, problems: list[str]) -> None:
    for key in keys:
        if key not in allowed:
            hint = did_you_mean(str(key), sorted(allowed))
            at = f"{where}." if where else ""
            problems.append(
                f"{at}{key}: unknown key{hint}; allowed: {', '.join(sorted(allowed))}"
            )


def _mapping(raw: Any, where: str, allowed: set[str],
             problems: list[str]) -> dict[str, Any] | None:
    """The section ``where`` as a mapping (unknown keys reported), or None after a
    problem."""
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping, got {type(raw).__name__}")
        return None
    _unknown(raw.keys(), allowed, where, problems)
    return raw


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def load_spec(path: str | os.PathLike[str]) -> StudySpec:
    """Read, parse and validate a YAML study spec file.

    Loading imports no model and runs no code of the spec's: the models are built and
    checked by :meth:`dataroi.study.Study.check_models` (``dataroi run`` does it before
    anything runs; reading commands never do).

    Raises:
        UsageError: the file is missing or unreadable.
        SpecError: YAML syntax errors (with line and column), unsafe tags, or any
            invalid field (every problem listed).
    """
    from dataroi._yaml import parse_yaml, read_text

    p = Path(path)
    text = read_text(p, what="spec")
    raw = parse_yaml(text, source=str(p))
    if raw is None:
        raise SpecError("the file is empty; run `dataroi init` for a template", source=str(p))
    default_name = p.stem
    return spec_from_dict(raw, base_dir=str(p.resolve().parent), source_text=text,
                          default_name=default_name, source=str(p))


def spec_from_dict(
    raw: Any,
    *,
    base_dir: str = ".",
    source_text: str = "",
    default_name: str = "study",
    source: str | None = None,
) -> StudySpec:
    """Validate a spec given as plain data (as parsed from YAML).

    Raises:
        SpecError: listing every problem with its field path.
    """
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise SpecError(f"the spec must be a mapping of sections, got {type(raw).__name__}",
                        source=source)
    _unknown(raw.keys(), _TOP, "", problems)

    name = raw.get("name", default_name)
    if not isinstance(name, str) or not _NAME_RE.match(name):
        problems.append(f"name: must be 1-64 letters, digits, '_', '-' or '.', got {name!r}")
        name = "study"

    data = _parse_data(raw.get("data"), problems)
    split = _parse_split(raw.get("split", {}), problems)
    models = _parse_models(raw.get("models"), problems)
    metrics = _parse_metrics(raw.get("metrics", None), data, problems)
    schedule = _parse_schedule(raw.get("schedule"), problems)

    costs = _parse_costs(raw.get("costs"), problems)
    contract = None
    if raw.get("contract") is not None:
        from dataroi.spec._contract import contract_problems

        contract, found = contract_problems(raw["contract"],
                                            source="the spec's contract: section")
        problems.extend(f"contract.{p}" if not p.startswith("must") else f"contract: {p}"
                        for p in found)
    stress = parse_stress(raw.get("stress"), [m.name for m in models], problems,
                          base_dir=base_dir)
    slices = parse_slices(raw.get("slices"), problems)
    preprocess = _parse_preprocess(raw.get("preprocess"), data, problems)
    if data is not None and data.features is not None:
        for where, col in (("stress.shift.column", next(
                (v.params["column"] for v in stress if v.kind == "shift"), None)),
                ("slices.column", slices.column if slices else None)):  # None: expression
            if col is not None and col not in data.features:
                problems.append(f"{where}: '{col}' is not in data.features "
                                f"({', '.join(data.features)})")
    if models:
        _check_engineering(costs, [m.name for m in models], problems)
    decision = _parse_decision(raw.get("decision"), problems)
    if decision is not None:
        if decision.metric is not None and metrics and decision.metric not in metrics:
            problems.append(f"decision.metric: '{decision.metric}' is not one of the study's "
                            f"metrics ({', '.join(metrics)})")
        if decision.target is not None and metrics:
            scale = get_metric(decision.metric or metrics[0])
            low, high = scale.value_range
            if not low <= decision.target <= high:
                problems.append(f"decision.target: {decision.target:g} is outside the values "
                                f"{scale.name} can take ([{low:g}, {high:g}])")
        names = [m.name for m in models]
        if decision.current_model is not None and names and \
                decision.current_model not in names:
            hint = did_you_mean(decision.current_model, names)
            problems.append(f"decision.current_model: '{decision.current_model}' is not a "
                            f"model of the study{hint}; models: {', '.join(names)}")
        rl = decision.relabel
        if rl is not None and rl.model is not None and names and rl.model not in names:
            hint = did_you_mean(rl.model, names)
            problems.append(f"decision.relabel.model: '{rl.model}' is not a model of the "
                            f"study{hint}; models: {', '.join(names)}")
        if schedule is not None and schedule.adaptive is not None:
            # the stopping rule is pre-registered with the decision rule (its hash)
            decision = replace(decision, adaptive=schedule.adaptive)

    ledger = raw.get("ledger")
    if ledger is not None and not isinstance(ledger, str):
        problems.append(f"ledger: must be a URL or path string, got {ledger!r}")
        ledger = None
    artifacts = raw.get("artifacts")
    if artifacts is not None and (not isinstance(artifacts, str) or not artifacts.strip()
                                  or "://" in artifacts):
        problems.append(f"artifacts: must be a folder path, got {artifacts!r}")
        artifacts = None

    if data is not None and split is not None:
        for col_field in ("group_column", "time_column"):
            col = getattr(split, col_field)
            if col and col == data.target:
                problems.append(f"split.{col_field}: '{col}' is the target column")
            if col and data.features and col in data.features:
                problems.append(f"split.{col_field}: '{col}' is also listed in data.features "
                                "(it would leak the split into the model)")

    if problems:
        raise SpecError(problems, source=source)
    assert data is not None and split is not None and schedule is not None
    spec = StudySpec(
        name=name,
        data=data,
        split=split,
        models=tuple(models),
        metrics=tuple(metrics),
        schedule=schedule,
        ledger=ledger,
        artifacts=artifacts,
        base_dir=base_dir,
        source_text=source_text,
        costs=costs,
        decision=decision,
        stress=stress,
        slices=slices,
        preprocess=preprocess,
        contract=contract,
    )
    return spec


def _parse_data(raw: Any, problems: list[str]) -> DataSpec | None:
    if raw is None:
        problems.append("data: missing; e.g. data: {source: my.csv, target: label}")
        return None
    if isinstance(raw, str):
        raw = {"source": raw}
    raw = _mapping(raw, "data", _DATA, problems)
    if raw is None:
        return None
    source = raw.get("source", raw.get("path"))
    if not isinstance(source, str) or not source.strip():
        problems.append("data.source: missing; a CSV/Parquet/NPZ path or a built-in "
                        "name such as 'sklearn:digits'")
        source = ""
    target = raw.get("target", "target")
    if not isinstance(target, str) or not target:
        problems.append(f"data.target: must be a column name, got {target!r}")
        target = "target"
    features = raw.get("features")
    if features is not None:
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            problems.append("data.features: must be a list of column names")
            features = None
        elif not features:
            problems.append("data.features: empty list; leave it out to use all columns")
            features = None
        else:
            dup = sorted({f for f in features if features.count(f) > 1})
            if dup:
                problems.append(f"data.features: duplicated columns {dup}")
            if target in features:
                problems.append(f"data.features: contains the target '{target}'")
            features = tuple(features)
    task = raw.get("task", "auto")
    if task not in _TASKS:
        problems.append(f"data.task: must be one of {', '.join(_TASKS)}, got {task!r}")
        task = "auto"
    float32 = bool(_flag(raw, "float32", "data", problems))
    drop = bool(_flag(raw, "drop_missing_target", "data", problems))
    return DataSpec(source=source, target=target, features=features, task=task,
                    drop_missing_target=drop, float32=float32)


def _parse_preprocess(raw: Any, data: DataSpec | None,
                      problems: list[str]) -> PreprocessSpec:
    """``preprocess:`` — a mapping, or the mode alone (``preprocess: none``)."""
    if raw is None:
        return PreprocessSpec()
    if isinstance(raw, str) or raw is False:  # `preprocess: none` (or `false`)
        raw = {"mode": raw or "none"}
    raw = _mapping(raw, "preprocess", _PREPROCESS, problems)
    if raw is None:
        return PreprocessSpec()
    w = "preprocess"
    kw: dict[str, Any] = {}
    mode = raw.get("mode", "auto")
    if mode is False:  # YAML reads a bare `none`-like `off`/`no` as false
        mode = "none"
    if mode in _PREPROCESS_MODES:
        kw["mode"] = mode
    else:
        problems.append(f"{w}.mode: must be one of {', '.join(_PREPROCESS_MODES)}, "
                        f"got {mode!r}{did_you_mean(mode, _PREPROCESS_MODES)}")
    kw["max_onehot"] = _number(raw, "max_onehot", w, problems, minimum=1, maximum=10_000,
                               integer=True)
    scale = _flag(raw, "scale", w, problems)
    if scale is not None:
        kw["scale"] = scale
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("text_columns", "categorical_columns"):
        cols = raw.get(key)
        if cols is None:
            continue
        if isinstance(cols, str):
            cols = [cols]
        if not isinstance(cols, list) or not all(isinstance(c, str) and c for c in cols):
            problems.append(f"{w}.{key}: must be a list of column names, got {cols!r}")
            continue
        dup = sorted({c for c in cols if cols.count(c) > 1})
        if dup:
            problems.append(f"{w}.{key}: duplicated columns {dup}")
        for i, c in enumerate(cols):
            if data is not None and c == data.target:
                problems.append(f"{w}.{key}[{i}]: '{c}' is the target column")
            elif data is not None and data.features is not None and c not in data.features:
                hint = did_you_mean(c, list(data.features))
                problems.append(f"{w}.{key}[{i}]: '{c}' is not in data.features{hint}")
        lists[key] = tuple(dict.fromkeys(cols))
    both = sorted(set(lists.get("text_columns", ())) & set(lists.get("categorical_columns",
                                                                      ())))
    if both:
        problems.append(f"{w}: columns {both} are listed both in text_columns and in "
                        "categorical_columns; keep each in one")
    kw.update(lists)
    return PreprocessSpec(**{k: v for k, v in kw.items() if v is not None})


def _parse_split(raw: Any, problems: list[str]) -> SplitSpec | None:
    if raw is None:
        raw = {}
    raw = _mapping(raw, "split", _SPLIT, problems)
    if raw is None:
        return None
    chosen = [k for k in ("test_file", "group_column", "time_column") if raw.get(k)]
    if len(chosen) > 1:
        problems.append(f"split: choose one of test_file, group_column, time_column; "
                        f"got {', '.join(chosen)}")
    test_size = raw.get("test_size", None if raw.get("test_file") else 0.2)
    if raw.get("test_file"):
        if "test_size" in raw:
            problems.append("split.test_size: not used with split.test_file; remove one")
        test_size = None
    elif not _is_number(test_size):
        problems.append(f"split.test_size: must be a fraction in (0, 1) or a row count, "
                        f"got {test_size!r}")
        test_size = 0.2
    elif isinstance(test_size, float) and not test_size.is_integer() and not (
        0 < test_size < 1
    ):
        problems.append(f"split.test_size: a fraction must lie in (0, 1), got {test_size}")
    elif test_size <= 0:
        problems.append(f"split.test_size: must be positive, got {test_size}")
    elif test_size >= 1:
        test_size = int(test_size)
    for key in ("test_file", "group_column", "time_column"):
        v = raw.get(key)
        if v is not None and not isinstance(v, str):
            problems.append(f"split.{key}: must be a string, got {v!r}")
    stratify = _flag(raw, "stratify", "split", problems)
    return SplitSpec(
        test_size=test_size,
        stratify=stratify,
        test_file=raw.get("test_file") if isinstance(raw.get("test_file"), str) else None,
        group_column=raw.get("group_column")
        if isinstance(raw.get("group_column"), str) else None,
        time_column=raw.get("time_column") if isinstance(raw.get("time_column"), str) else None,
    )


def _looks_like_path(key: Any) -> bool:
    return isinstance(key, str) and ("." in key or ":" in key)


def _parse_model(name: str, raw: Any, where: str, problems: list[str]) -> ModelSpec | None:
    # short forms: "sklearn.svm.SVC", or {"sklearn.svm.SVC": {C: 1}}
    if isinstance(raw, str):
        raw = {"factory": raw} if ":" in raw else {"estimator": raw}
    if isinstance(raw, dict) and len(raw) == 1:
        (k, v), = raw.items()
        if _looks_like_path(k) and k not in _MODEL and (v is None or isinstance(v, dict)):
            raw = ({"factory": k} if ":" in k else {"estimator": k}) | {"params": v or {}}
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be an import path or a mapping with estimator, "
                        f"pipeline or factory; got {raw!r}")
        return None
    _unknown(raw.keys(), _MODEL, where, problems)
    kinds = [k for k in ("estimator", "pipeline", "factory") if raw.get(k) is not None]
    if len(kinds) != 1:
        problems.append(f"{where}: give exactly one of estimator, pipeline, factory"
                        + (f" (got {', '.join(kinds)})" if kinds else ""))
        return None
    params = raw.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        problems.append(f"{where}.params: must be a mapping of parameter names to values")
        params = {}
    pipeline = None
    if raw.get("pipeline") is not None:
        steps = raw["pipeline"]
        if not isinstance(steps, list) or not steps:
            problems.append(f"{where}.pipeline: must be a non-empty list of steps")
            return None
        parsed = [_parse_model(f"{name}[{i}]", step, f"{where}.pipeline[{i}]", problems)
                  for i, step in enumerate(steps)]
        if any(p is None for p in parsed):
            return None
        pipeline = tuple(p for p in parsed if p is not None)
    for key in ("estimator", "factory"):
        v = raw.get(key)
        if v is not None and not isinstance(v, str):
            problems.append(f"{where}.{key}: must be an import path string, got {v!r}")
            return None
    if raw.get("factory") and ":" not in raw["factory"]:
        problems.append(f"{where}.factory: write it as 'package.module:function', "
                        f"got {raw['factory']!r}")
        return None
    resources = raw.get("resources") or {}
    if not isinstance(resources, dict) or not all(
        isinstance(k, str) and _is_number(v) and v > 0 for k, v in resources.items()
    ):
        problems.append(f"{where}.resources: must map resource names to positive numbers, "
                        f"e.g. {{GPU: 1, MEMORY: 8e9}}; got {resources!r}")
        resources = {}
    return ModelSpec(name=name, estimator=raw.get("estimator"), params=params,
                     pipeline=pipeline, factory=raw.get("factory"),
                     resources={k: float(v) for k, v in resources.items()})


def _parse_models(raw: Any, problems: list[str]) -> list[ModelSpec]:
    if raw is None:
        problems.append("models: missing; e.g. models: {logreg: "
                        "sklearn.linear_model.LogisticRegression}")
        return []
    items: list[tuple[str, Any]]
    if isinstance(raw, dict):
        items = [(str(k), v) for k, v in raw.items()]
    elif isinstance(raw, list):  # list of {name: ..., estimator: ...}
        items = []
        for i, entry in enumerate(raw):
            if not isinstance(entry, dict) or "name" not in entry:
                problems.append(f"models[{i}]: list entries need a 'name'; or write models "
                                "as a mapping name → model")
                continue
            entry = dict(entry)
            items.append((str(entry.pop("name")), entry))
    else:
        problems.append(f"models: must be a mapping name → model, got {type(raw).__name__}")
        return []
    if not items:
        problems.append("models: empty; name at least one model")
    out = []
    seen: set[str] = set()
    for name, value in items:
        if not _NAME_RE.match(name):
            problems.append(f"models.{name}: model names use letters, digits, '_', '-', '.'")
            continue
        if name in seen:
            problems.append(f"models.{name}: duplicated name")
            continue
        seen.add(name)
        m = _parse_model(name, value, f"models.{name}", problems)
        if m is not None:
            out.append(m)
    return out


def _parse_metrics(raw: Any, data: DataSpec | None, problems: list[str]) -> list[str]:
    if raw is None:
        task = data.task if data else "auto"
        return ["r2"] if task == "regression" else ["accuracy"]
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        problems.append("metrics: must be a non-empty list of metric names; known: "
                        + ", ".join(METRICS))
        return ["accuracy"]
    names: list[str] = []
    for i, m in enumerate(raw):
        try:
            metric = get_metric(str(m))
        except KeyError as exc:
            problems.append(f"metrics[{i}]: {exc.args[0]}")
            continue
        if metric.name in names:
            problems.append(f"metrics[{i}]: '{metric.name}' listed twice")
            continue
        names.append(metric.name)
    if names and data is not None and data.task != "auto":
        for i, n in enumerate(names):
            if get_metric(n).task != data.task:
                problems.append(f"metrics[{i}]: '{n}' is a {get_metric(n).task} metric but "
                                f"data.task is {data.task}")
    tasks = {get_metric(n).task for n in names}
    if len(tasks) > 1:
        problems.append("metrics: mixes classification and regression metrics "
                        f"({', '.join(names)})")
    return names or ["accuracy"]


def _parse_schedule(raw: Any, problems: list[str]) -> ScheduleSpec | None:
    if raw is None:
        problems.append("schedule: missing; e.g. schedule: {geometric: {min: 50, count: 8}, "
                        "repeats: 5, seed: 0}")
        return None
    raw = _mapping(raw, "schedule", _SCHEDULE, problems)
    if raw is None:
        return None
    sizes = raw.get("sizes")
    geometric = raw.get("geometric")
    if (sizes is None) == (geometric is None):
        problems.append("schedule: give exactly one of sizes (a list) or geometric "
                        "({min, max, count})")
    parsed_sizes = None
    if sizes is not None:
        if not isinstance(sizes, list) or not sizes:
            problems.append("schedule.sizes: must be a non-empty list of row counts")
        else:
            for i, s in enumerate(sizes):
                if not _is_int(s) or s < 1:
                    problems.append(f"schedule.sizes[{i}]: must be a positive integer, got {s!r}")
            if all(_is_int(s) and s >= 1 for s in sizes):
                if len(set(sizes)) != len(sizes):
                    problems.append("schedule.sizes: contains duplicates")
                parsed_sizes = tuple(sorted(set(sizes)))
    parsed_geo = None
    if geometric is not None:
        if not isinstance(geometric, dict):
            problems.append("schedule.geometric: must be a mapping {min, max, count}")
        else:
            _unknown(geometric.keys(), _GEOMETRIC, "schedule.geometric", problems)
            lo, hi, count = geometric.get("min"), geometric.get("max"), geometric.get("count", 8)
            ok = True
            if not _is_int(lo) or lo < 1:
                problems.append(f"schedule.geometric.min: must be a positive integer, got {lo!r}")
                ok = False
            if hi in ("all", "pool"):
                hi = None
            if hi is not None and (not _is_int(hi) or hi < 1):
                problems.append("schedule.geometric.max: must be a positive integer or 'all' "
                                f"(the whole pool), got {hi!r}")
                ok = False
            if not _is_int(count) or not 1 <= count <= 200:
                problems.append(f"schedule.geometric.count: must be an integer in 1..200, "
                                f"got {count!r}")
                ok = False
            if ok and hi is not None and hi < lo:
                problems.append(f"schedule.geometric: max ({hi}) is smaller than min ({lo})")
                ok = False
            if ok:
                parsed_geo = (lo, hi, count)
    repeats = raw.get("repeats", 5)
    if not _is_int(repeats) or not 1 <= repeats <= 1000:
        problems.append(f"schedule.repeats: must be an integer in 1..1000, got {repeats!r}")
        repeats = 1
    seed = raw.get("seed", 0)
    if not _is_int(seed) or not 0 <= seed < 2**63:
        problems.append(f"schedule.seed: must be a non-negative integer, got {seed!r}")
        seed = 0
    adaptive = _parse_adaptive(raw.get("adaptive"), repeats, problems)
    if parsed_sizes is None and parsed_geo is None:
        return None
    return ScheduleSpec(sizes=parsed_sizes, geometric=parsed_geo, repeats=repeats, seed=seed,
                        adaptive=adaptive)


def _parse_adaptive(raw: Any, repeats: int, problems: list[str]) -> AdaptiveSpec | None:
    """``schedule.adaptive``: ``true``/``false`` or a mapping of its settings."""
    if raw is None or raw is False:
        return None
    if raw is True:
        return AdaptiveSpec()
    where = "schedule.adaptive"
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be true, false or a mapping {{target, "
                        f"budget_cpu_seconds, initial_sizes, initial_repeats, batch_size, "
                        f"steady_looks, steady_target, learned_stop}}, got {raw!r}")
        return None
    _unknown(raw.keys(), _ADAPTIVE, where, problems)
    before = len(problems)
    target = _number(raw, "target", where, problems, minimum=0.0, strict=True, maximum=1.0)
    budget = _number(raw, "budget_cpu_seconds", where, problems, minimum=0.0, strict=True)
    sizes = _number(raw, "initial_sizes", where, problems, minimum=1, integer=True)
    reps = _number(raw, "initial_repeats", where, problems, minimum=1, integer=True)
    batch = _number(raw, "batch_size", where, problems, minimum=1, integer=True)
    looks = _number(raw, "steady_looks", where, problems, minimum=0, integer=True)
    steady = _number(raw, "steady_target", where, problems, minimum=0.0, strict=True,
                     maximum=1.0)
    learned = _flag(raw, "learned_stop", where, problems)
    if learned and (looks is not None or steady is not None):
        problems.append(f"{where}: steady_looks and steady_target set the steady stop, "
                        "which learned_stop: true replaces; leave out one or the other")
    if reps is not None and _is_int(repeats) and reps > repeats:
        problems.append(f"{where}.initial_repeats: at most schedule.repeats ({repeats}), "
                        f"got {reps}")
    if len(problems) > before:
        return None
    d = AdaptiveSpec()
    return AdaptiveSpec(target=d.target if target is None else float(target),
                        budget_cpu_seconds=None if budget is None else float(budget),
                        initial_sizes=d.initial_sizes if sizes is None else int(sizes),
                        initial_repeats=d.initial_repeats if reps is None else int(reps),
                        batch_size=d.batch_size if batch is None else int(batch),
                        steady_looks=d.steady_looks if looks is None else int(looks),
                        steady_target=d.steady_target if steady is None else float(steady),
                        learned_stop=bool(learned))


def _flag(raw: dict[str, Any], key: str, where: str, problems: list[str]) -> bool | None:
    """Read an optional true/false; append a problem (and return None) when it is not one.

    Example:
        >>> problems = []
        >>> _flag({"a": True}, "a", "x", problems), _flag({"a": "yes"}, "a", "x", problems)
        (True, None)
        >>> problems
        ["x.a: must be true or false, got 'yes'"]
    """
    v = raw.get(key)
    if v is None or isinstance(v, bool):
        return v
    problems.append(f"{where}.{key}: must be true or false, got {v!r}")
    return None


def _number(raw: dict[str, Any], key: str, where: str, problems: list[str], *,
            minimum: float | None = 0.0, strict: bool = False, maximum: float | None = None,
            integer: bool = False) -> Any:
    """Read an optional number; append a problem (and return None) when it is invalid."""
    v = raw.get(key)
    if v is None:
        return None
    ok = _is_int(v) if integer else _is_number(v)
    if ok and not math.isfinite(v):  # NaN or .inf
        ok = False
    if ok and minimum is not None and (v <= minimum if strict else v < minimum):
        ok = False
    if ok and maximum is not None and v > maximum:
        ok = False
    if not ok:
        kind = "an integer" if integer else "a number"
        bounds = []
        if minimum is not None:
            bounds.append(f"{'>' if strict else '>='} {minimum:g}")
        if maximum is not None:
            bounds.append(f"<= {maximum:g}")
        rng = f" {' and '.join(bounds)}" if bounds else ""
        problems.append(f"{where}.{key}: must be {kind}{rng}, got {v!r}")
        return None
    return v


def _check_engineering(costs: CostSpec | None, names: Sequence[str],
                       problems: list[str]) -> None:
    """Per-model switching costs must name models of the study."""
    eng = costs.engineering_cost_usd if costs is not None else None
    if not isinstance(eng, dict):
        return
    for key in eng:
        if key not in names:
            hint = did_you_mean(key, list(names))
            problems.append(f"costs.engineering_cost_usd.{key}: not a model of the "
                            f"study{hint}; models: {', '.join(names)}")


def parse_costs(raw: CostSpec | Mapping[str, Any] | None, *,
                models: Sequence[str] | None = None) -> CostSpec | None:
    """A validated ``costs:`` section, from a mapping (as in YAML) or a
    :class:`CostSpec` built in Python: the same checks either way (negative or infinite
    prices, rates above 1, unknown model names in ``engineering_cost_usd`` when
    ``models`` is given).

    Example:
        >>> parse_costs({"price_per_label_usd": 0.5}).cost_per_item_usd
        0.5
        >>> try:
        ...     parse_costs(CostSpec(price_per_label_usd=-1))
        ... except SpecError as exc:
        ...     print(exc.problems[0])
        costs.price_per_label_usd: must be a number >= 0, got -1

    Raises:
        SpecError: every problem, with its field path.
    """
    if raw is None:
        return None
    data = raw.to_dict() if isinstance(raw, CostSpec) else raw
    problems: list[str] = []
    costs = _parse_costs(data, problems)
    if models:
        _check_engineering(costs, list(models), problems)
    if problems:
        raise SpecError(problems)
    return costs


def parse_decision(raw: DecisionSpec | Mapping[str, Any] | None) -> DecisionSpec | None:
    """A validated ``decision:`` section, from a mapping or a :class:`DecisionSpec`.

    Raises:
        SpecError: every problem, with its field path.
    """
    if raw is None:
        return None
    data = raw.rule_dict() if isinstance(raw, DecisionSpec) else raw
    adaptive = raw.adaptive if isinstance(raw, DecisionSpec) else None
    if adaptive is not None:  # the spec loader's, from schedule.adaptive
        data = {k: v for k, v in data.items() if k != "adaptive"}
    problems: list[str] = []
    decision = _parse_decision(data, problems)
    if problems:
        raise SpecError(problems)
    if decision is not None and adaptive is not None:
        decision = replace(decision, adaptive=adaptive)
    return decision


def _parse_costs(raw: Any, problems: list[str]) -> CostSpec | None:
    if raw is None:
        return None
    raw = _mapping(raw, "costs", _COSTS, problems)
    if raw is None:
        return None
    w = "costs"
    kw: dict[str, Any] = {}
    for key in ("price_per_label_usd", "fixed_cost_per_round_usd",
                "compute_price_per_hour_usd", "value_per_point_usd", "failure_penalty_usd",
                "energy_price_per_kwh", "co2_g_per_kwh"):
        kw[key] = _number(raw, key, w, problems)
    kw["watts_per_core"] = _number(raw, "watts_per_core", w, problems, strict=True,
                                   maximum=1000.0)
    kw["adjudication_rate"] = _number(raw, "adjudication_rate", w, problems, maximum=1.0)
    kw["unlabeled_items"] = _number(raw, "unlabeled_items", w, problems, integer=True)
    for key in ("labels_per_item", "labels_per_day", "deadline_days", "point", "periods"):
        kw[key] = _number(raw, key, w, problems, strict=True)
    kw["retrains"] = _number(raw, "retrains", w, problems, integer=True)
    eng = raw.get("engineering_cost_usd")
    if isinstance(eng, dict):
        bad = [k for k, v in eng.items()
               if not _is_number(v) or not math.isfinite(v) or v < 0]
        for k in bad:
            problems.append(f"costs.engineering_cost_usd.{k}: must be a number >= 0, "
                            f"got {eng[k]!r}")
        kw["engineering_cost_usd"] = None if bad else {str(k): float(v)
                                                        for k, v in eng.items()}
    else:
        kw["engineering_cost_usd"] = _number(raw, "engineering_cost_usd", w, problems)
        if eng is not None and kw["engineering_cost_usd"] is None:
            problems[-1] += " (or a mapping model name -> cost)"
    kw = {k: v for k, v in kw.items() if v is not None}
    for k in ("labels_per_item", "point", "periods", "fixed_cost_per_round_usd",
              "adjudication_rate", "watts_per_core"):
        if k in kw:
            kw[k] = float(kw[k])
    return CostSpec(**kw)


def _parse_decision(raw: Any, problems: list[str]) -> DecisionSpec | None:
    if raw is None:
        return None
    raw = _mapping(raw, "decision", _DECISION, problems)
    if raw is None:
        return None
    w = "decision"
    kw: dict[str, Any] = {}
    metric = raw.get("metric")
    if metric is not None:
        try:
            kw["metric"] = get_metric(str(metric)).name
        except KeyError as exc:
            problems.append(f"decision.metric: {exc.args[0]}")
    kw["target"] = _number(raw, "target", w, problems, minimum=None)
    kw["risk"] = _number(raw, "risk", w, problems, strict=True, maximum=0.5)
    kw["budget_usd"] = _number(raw, "budget_usd", w, problems)
    kw["max_p_loss"] = _number(raw, "max_p_loss", w, problems, maximum=1.0)
    kw["rounds"] = _number(raw, "rounds", w, problems, minimum=1, maximum=20, integer=True)
    rule = raw.get("rule")
    if rule is not None:
        if rule not in _RULES:
            hint = did_you_mean(str(rule), _RULES)
            problems.append(f"decision.rule: must be one of {', '.join(_RULES)}, "
                            f"got {rule!r}{hint}")
        else:
            kw["rule"] = rule
    curves = raw.get("curves")
    if curves is not None:
        if curves in _CURVES:
            kw["curves"] = curves
        else:
            problems.append(f"decision.curves: must be one of {', '.join(_CURVES)}, "
                            f"got {curves!r}")
    recal = _flag(raw, "recalibrate", "decision", problems)
    if recal is not None:
        kw["recalibrate"] = recal
    cur = raw.get("current_model")
    if cur is not None:
        if isinstance(cur, str):
            kw["current_model"] = cur
        else:
            problems.append(f"decision.current_model: must be a model name, got {cur!r}")
    add = raw.get("add")
    if add is not None:
        if isinstance(add, list) and all(_is_int(a) and a >= 1 for a in add):
            kw["add"] = tuple(sorted(set(add)))
        else:
            problems.append(f"decision.add: must be a list of positive integers (labels to "
                            f"add), got {add!r}")
    if rule == "target" and raw.get("target") is None:
        problems.append("decision.target: missing; rule 'target' needs a target value")
    g = raw.get("guardrails")
    if g is not None:
        if not isinstance(g, dict):
            problems.append(f"decision.guardrails: must be a mapping, got {type(g).__name__}")
        else:
            _unknown(g.keys(), _GUARDRAILS, "decision.guardrails", problems)
            gw = "decision.guardrails"
            gkw = {
                "min_gain_per_1k": _number(g, "min_gain_per_1k", gw, problems, minimum=None),
                "max_budget_usd": _number(g, "max_budget_usd", gw, problems),
                "min_p_gain": _number(g, "min_p_gain", gw, problems, maximum=1.0),
                "max_predict_ms_per_1k": _number(g, "max_predict_ms_per_1k", gw, problems,
                                                 strict=True),
                "max_model_mb": _number(g, "max_model_mb", gw, problems, strict=True),
            }
            kw["guardrails"] = GuardrailSpec(**{k: v for k, v in gkw.items()
                                                if v is not None})
    kw["relabel"] = _parse_relabel(raw.get("relabel"), problems)
    return DecisionSpec(**{k: v for k, v in kw.items() if v is not None})


def _parse_relabel(raw: Any, problems: list[str]) -> RelabelSpec | None:
    """``decision.relabel``: the noise rate of today's labels and how they would be
    relabeled.

    Example:
        >>> problems = []
        >>> _parse_relabel({"rate_now": 0.1, "rate_after": 0.2}, problems), problems
        (None, ['decision.relabel.rate_after: must be <= rate_now (0.1), got 0.2'])
    """
    if raw is None:
        return None
    w = "decision.relabel"
    raw = _mapping(raw, w, _RELABEL, problems)
    if raw is None:
        return None
    before = len(problems)
    now = _number(raw, "rate_now", w, problems)
    if raw.get("rate_now") is None:
        problems.append(f"{w}.rate_now: missing; the share of today's labels that is wrong "
                        "(e.g. 0.1)")
    elif now is not None and now >= 1:
        problems.append(f"{w}.rate_now: must be below 1, got {now!r}")
    after = _number(raw, "rate_after", w, problems)
    if after is not None and now is not None and after > now:
        problems.append(f"{w}.rate_after: must be <= rate_now ({now:g}), got {after!r}")
    opinions = _number(raw, "opinions", w, problems, minimum=1, integer=True)
    names = {}
    for key in ("cleaner", "model"):
        v = raw.get(key)
        if v is not None and not isinstance(v, str):
            problems.append(f"{w}.{key}: must be a model name, got {v!r}")
        elif v is not None:
            names[key] = v
    if len(problems) > before:
        return None
    return RelabelSpec(rate_now=float(now), rate_after=None if after is None else float(after),
                       opinions=2 if opinions is None else int(opinions), **names)
