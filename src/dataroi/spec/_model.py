"""The study spec as frozen dataclasses (what the YAML file means once validated).

Example:
    >>> s = ScheduleSpec(sizes=(50, 100), repeats=3, seed=0)
    >>> s.resolve_sizes(pool_size=500)
    [50, 100]
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from dataroi.exceptions import UnknownNameError

__all__ = [
    "CostSpec",
    "DataSpec",
    "DecisionSpec",
    "GuardrailSpec",
    "ModelSpec",
    "ScheduleSpec",
    "SliceSpec",
    "SplitSpec",
    "StudySpec",
    "VariantSpec",
    "canonical_hash",
]

TaskName = Literal["auto", "classification", "regression"]


def canonical_hash(obj: Any) -> str:
    """SHA-256 of the canonical JSON of ``obj`` (sorted keys, no whitespace).

    Example:
        >>> canonical_hash({"b": 1, "a": 2}) == canonical_hash({"a": 2, "b": 1})
        True
    """
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DataSpec:
    """Where the data comes from and what to predict.

    Attributes:
        source: a file path (CSV, Parquet, NPZ; relative to the spec file) or a built-in
            name such as ``sklearn:digits``.
        target: the target column.
        features: the feature columns; None means all other columns (minus split columns).
        task: ``auto``, ``classification`` or ``regression``.
        drop_missing_target: drop rows whose target is missing instead of failing.
        float32: keep floating-point features as float32 (half the memory; for models
            that compute in float32 anyway, such as histogram gradient boosting).
    """

    source: str
    target: str = "target"
    features: tuple[str, ...] | None = None
    task: TaskName = "auto"
    drop_missing_target: bool = False
    float32: bool = False


@dataclass(frozen=True)
class SplitSpec:
    """How the held-out test set is chosen; the train pool is the rest.

    Exactly one strategy: ``test_size`` (fraction in (0, 1) or a row count; stratified
    for classification unless ``stratify`` is False), ``test_file``, ``group_column``
    (with ``test_size`` as the share or number of groups) or ``time_column`` (the latest
    ``test_size`` rows; rows that share the cut-off time all go to the test set).
    """

    test_size: float | int | None = 0.2
    stratify: bool | None = None
    test_file: str | None = None
    group_column: str | None = None
    time_column: str | None = None

    @property
    def kind(self) -> str:
        if self.test_file:
            return "test_file"
        if self.group_column:
            return "group"
        if self.time_column:
            return "time"
        return "random"


@dataclass(frozen=True)
class ModelSpec:
    """One model candidate.

    Exactly one of ``estimator`` (import path of a scikit-learn compatible class),
    ``pipeline`` (a list of steps, each an estimator spec) or ``factory``
    (``package.module:function`` returning an unfitted estimator), with ``params``.
    ``resources`` (e.g. ``{"GPU": 1, "MEMORY": 8e9}``) is what one trial needs from a
    Dask worker; it does not change results, so it is not part of ``model_hash``.
    """

    name: str
    estimator: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    pipeline: tuple[ModelSpec, ...] | None = None
    factory: str | None = None
    resources: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (what is hashed and shipped to workers)."""
        out: dict[str, Any] = {"name": self.name, "params": dict(self.params)}
        if self.estimator:
            out["estimator"] = self.estimator
        if self.factory:
            out["factory"] = self.factory
        if self.pipeline is not None:
            out["pipeline"] = [step.to_dict() for step in self.pipeline]
        return out

    @property
    def model_hash(self) -> str:
        """Hash of what the model *is* (not of its name); changing params re-plans it."""
        d = self.to_dict()
        d.pop("name")
        if "pipeline" in d:
            for step in d["pipeline"]:
                step.pop("name", None)
        return canonical_hash(d)[:16]


@dataclass(frozen=True)
class ScheduleSpec:
    """Training-set sizes, repeats and the root seed.

    ``sizes`` are explicit row counts; or ``geometric`` = (min, max, count) where max may
    be ``None`` for "the whole pool".
    """

    sizes: tuple[int, ...] | None = None
    geometric: tuple[int, int | None, int] | None = None
    repeats: int = 5
    seed: int = 0

    def resolve_sizes(self, pool_size: int) -> list[int]:
        """The sorted distinct sizes for a pool of ``pool_size`` rows.

        Example:
            >>> ScheduleSpec(geometric=(10, None, 4)).resolve_sizes(1000)
            [10, 46, 215, 1000]
        """
        if self.sizes is not None:
            return sorted({int(s) for s in self.sizes})
        assert self.geometric is not None
        lo, hi, count = self.geometric
        hi = pool_size if hi is None else hi
        import numpy as np

        if count == 1 or hi <= lo:
            return sorted({int(hi)})
        vals = np.geomspace(lo, hi, count)
        return sorted({round(float(v)) for v in vals})


@dataclass(frozen=True)
class CostSpec:
    """What labels, compute and model changes cost, and what a metric point is worth.

    Every field is optional; a computation that needs a missing one raises an error that
    names it (``costs.price_per_label_usd``). Money is in US dollars (the ``_usd`` fields;
    any one currency works if used throughout).

    Attributes:
        price_per_label_usd: price of one label (one annotator's judgement of one item).
        labels_per_item: annotators per item for QA (e.g. 2).
        adjudication_rate: share of items that need one more, adjudicating label.
        fixed_cost_per_round_usd: fixed cost of each labeling round (set-up, briefing).
        labels_per_day: labeled items the team delivers per day.
        deadline_days: days until the decision must be in production.
        unlabeled_items: unlabeled items available to label; no option, round or
            one-shot plan adds more than this.
        compute_price_per_hour_usd: price of one CPU-hour (or GPU-hour), applied to the
            measured and extrapolated training time × ``retrains``.
        retrains: planned retrains over the value period.
        engineering_cost_usd: cost of switching to another model (one number for every
            candidate, or a mapping model name → cost).
        value_per_point_usd: value of one metric point per period (0 is allowed: then no
            gain is worth money).
        point: size of one metric point in metric units (0.01: one percentage point).
        periods: number of periods the value accrues over.
        failure_penalty_usd: cost of missing ``decision.target`` (the LOC penalty).

    Example:
        >>> c = CostSpec(price_per_label_usd=0.1, labels_per_item=2, adjudication_rate=0.5)
        >>> round(c.cost_per_item_usd, 3)
        0.25
    """

    price_per_label_usd: float | None = None
    labels_per_item: float = 1.0
    adjudication_rate: float = 0.0
    fixed_cost_per_round_usd: float = 0.0
    labels_per_day: float | None = None
    deadline_days: float | None = None
    unlabeled_items: float | None = None
    compute_price_per_hour_usd: float | None = None
    retrains: int = 1
    engineering_cost_usd: float | dict[str, float] | None = None
    value_per_point_usd: float | None = None
    point: float = 0.01
    periods: float = 1.0
    failure_penalty_usd: float | None = None

    @property
    def cost_per_item_usd(self) -> float:
        """Price of one labeled item after QA: price × (labels per item + adjudication).

        Raises:
            dataroi.exceptions.UsageError: if ``costs.price_per_label_usd`` is not set.
        """
        if self.price_per_label_usd is None:
            from dataroi.exceptions import UsageError

            raise UsageError("costs.price_per_label_usd is needed to price added labels; "
                             "add it to the spec's costs: section")
        return self.price_per_label_usd * (self.labels_per_item + self.adjudication_rate)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (hashed into every recommendation)."""
        return asdict(self)


@dataclass(frozen=True)
class GuardrailSpec:
    """Limits an option must respect to be recommended (each optional).

    Attributes:
        min_gain_per_1k: minimum expected gain per 1,000 added labels (metric units).
        max_budget_usd: maximum total cost of an option.
        min_p_gain: minimum probability that the option improves the metric.
    """

    min_gain_per_1k: float | None = None
    max_budget_usd: float | None = None
    min_p_gain: float | None = None


@dataclass(frozen=True)
class DecisionSpec:
    """The decision rule, fixed (pre-registered) before the results exist.

    Attributes:
        metric: the metric decided on (default: the primary metric).
        target: a target metric value (optional).
        risk: acceptable probability ε of missing the target.
        budget_usd: the money available.
        rule: ``expected_net`` (maximise the expected net value), ``quantile10``
            (maximise the 10 % quantile of the net value, or of the gain without money),
            ``target`` (reach the target with probability ≥ 1 − risk at least cost);
            None: ``expected_net`` when a value per point is given, else ``target``.
        current_model: the model in use today (default: the best one today).
        rounds: labeling rounds of the multi-round (LOC) plan.
        add: extra numbers of added labels to consider besides the default grid.
        guardrails: see :class:`GuardrailSpec`.

    Example:
        >>> DecisionSpec(target=0.9, risk=0.1).rule_dict()["target"]
        0.9
    """

    metric: str | None = None
    target: float | None = None
    risk: float = 0.1
    budget_usd: float | None = None
    rule: str | None = None
    current_model: str | None = None
    rounds: int = 3
    add: tuple[int, ...] = ()
    guardrails: GuardrailSpec = field(default_factory=GuardrailSpec)

    def rule_dict(self) -> dict[str, Any]:
        """The rule as plain data (what pre-registration hashes)."""
        d = asdict(self)
        d["add"] = list(self.add)
        return d


@dataclass(frozen=True)
class VariantSpec:
    """One stress arm: a model trained or evaluated under a perturbation (``stress:``).

    An arm is planned like a model named ``"<base>[<label>]"`` (brackets cannot occur in
    model names, so arms never collide with models). It shares the base model's subsets
    and estimator seeds, so every arm is paired with the clean run, trial by trial.

    Attributes:
        base: the model it perturbs.
        kind: ``noise`` | ``prior`` | ``shift`` | ``acquisition``.
        label: the bracketed part of the arm's name, e.g. ``noise=0.1`` or ``al=margin``.
        params: the perturbation's settings as plain data (hashed into the arm's identity).

    Example:
        >>> VariantSpec("lr", "noise", "noise=0.1", {"rate": 0.1, "kind": "symmetric"}).name
        'lr[noise=0.1]'
    """

    base: str
    kind: str
    label: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.base}[{self.label}]"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.params}


@dataclass(frozen=True)
class SliceSpec:
    """``slices:`` — report per-slice curves for the values of a feature column or of an
    expression over numeric features.

    Attributes:
        column: a feature column whose values define the slices (or None).
        expression: instead of a column, e.g. ``distance > 1000`` (true/false slices) or
            ``round(distance / 500)``; the safe expression language of ``dataroi impact``.
        min_test_rows: slices with fewer test rows are left out (named in the report).
        price_per_label_usd: per-slice label prices for the allocation planner.
    """

    column: str | None
    min_test_rows: int = 30
    price_per_label_usd: dict[str, float] = field(default_factory=dict)
    expression: str | None = None

    @property
    def label(self) -> str:
        """What the slices are of: the column, or the expression's text."""
        return self.column or f"({self.expression})"


@dataclass(frozen=True)
class StudySpec:
    """A whole, validated study spec.

    Attributes:
        name: study name (the ledger keys studies by it).
        data, split, models, metrics, schedule: the parts above; ``metrics[0]`` is primary.
        ledger: ledger URL or path from the spec (None: ``.dataroi/ledger.db`` beside it).
        base_dir: directory relative paths are resolved against (the spec's folder).
        source_text: the YAML text as written (kept in the ledger).
        costs: the cost model (``costs:``), or None.
        decision: the pre-registered decision rule (``decision:``), or None.
        stress: the stress arms (``stress:``): label noise, class prior, shift, acquisition.
        slices: per-slice analysis (``slices:``), or None.

    ``costs`` and ``decision`` are not part of :meth:`to_dict` nor of :attr:`spec_hash`:
    changing them never re-runs trials.
    """

    name: str
    data: DataSpec
    split: SplitSpec
    models: tuple[ModelSpec, ...]
    metrics: tuple[str, ...]
    schedule: ScheduleSpec
    ledger: str | None = None
    base_dir: str = "."
    source_text: str = ""
    costs: CostSpec | None = None
    decision: DecisionSpec | None = None
    stress: tuple[VariantSpec, ...] = ()
    slices: SliceSpec | None = None

    def to_dict(self) -> dict[str, Any]:
        """The normalized spec as plain data (without file-system location)."""
        return {
            "name": self.name,
            "data": {k: (list(v) if isinstance(v, tuple) else v)
                     for k, v in asdict(self.data).items()},
            "split": asdict(self.split),
            "models": [m.to_dict() for m in self.models],
            "metrics": list(self.metrics),
            "schedule": {
                "sizes": list(self.schedule.sizes) if self.schedule.sizes else None,
                "geometric": list(self.schedule.geometric) if self.schedule.geometric else None,
                "repeats": self.schedule.repeats,
                "seed": self.schedule.seed,
            },
            # only when present, so specs without it keep their hash
            **({"stress": [{"arm": v.name, **v.to_dict()} for v in self.stress]}
               if self.stress else {}),
            **({"slices": asdict(self.slices)} if self.slices else {}),
        }

    @property
    def spec_hash(self) -> str:
        """Hash of the normalized spec (the ledger location is not part of it)."""
        return canonical_hash(self.to_dict())

    def arm(self, name: str) -> VariantSpec:
        for v in self.stress:
            if v.name == name:
                return v
        raise UnknownNameError(name)

    def model(self, name: str) -> ModelSpec:
        for m in self.models:
            if m.name == name:
                return m
        raise UnknownNameError(name)
