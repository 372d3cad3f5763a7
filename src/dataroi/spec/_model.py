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

from dataroi.exceptions import UnknownNameError, UsageError

__all__ = [
    "CostSpec",
    "DataSpec",
    "DecisionSpec",
    "GuardrailSpec",
    "ModelSpec",
    "PreprocessSpec",
    "ScheduleSpec",
    "SliceSpec",
    "SplitSpec",
    "StudySpec",
    "VariantSpec",
    "canonical_hash",
    "is_arm_name",
]

#: The revision of what ``preprocess: {mode: auto}`` does to a table; it is part of every
#: model's identity while preprocessing is on, so bumping it re-runs those trials. Bump it
#: whenever the encoders chosen for a kind of column, or their settings, change.
PREPROCESS_REVISION = 1

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
        """Hash of what the model *is* (not of its name); changing params re-plans it.

        This is the spec's part of the identity; :meth:`StudySpec.model_hash` adds the
        source of the user's own modules the model names, and the preprocessing.
        """
        d = self.to_dict()
        d.pop("name")
        if "pipeline" in d:
            for step in d["pipeline"]:
                step.pop("name", None)
        return canonical_hash(d)[:16]

    def import_paths(self) -> list[str]:
        """Every import path the model names (its pipeline's steps' too), in order.

        Example:
            >>> step = ModelSpec("s", estimator="sklearn.preprocessing.StandardScaler")
            >>> ModelSpec("m", pipeline=(step,)).import_paths()
            ['sklearn.preprocessing.StandardScaler']
        """
        own = [p for p in (self.estimator, self.factory) if p]
        return own + [p for step in self.pipeline or () for p in step.import_paths()]

    def source_digests(self, search_path: str | None = None) -> dict[str, str]:
        """module → SHA-256 of its file, for the modules of the user's project that the
        model's import paths name (found beside the spec first, ``search_path``, without
        running them); libraries are left out: their versions are recorded with each
        trial's environment.

        Example:
            >>> ModelSpec("lr", estimator="sklearn.linear_model.LogisticRegression"
            ...           ).source_digests()
            {}
        """
        from dataroi._imports import source_digest, split_import_path

        out: dict[str, str] = {}
        for path in self.import_paths():
            digest = source_digest(path, search_path=search_path)
            if digest is not None:
                out[split_import_path(path)[0]] = digest
        return out


@dataclass(frozen=True)
class PreprocessSpec:
    """``preprocess:`` — how a table's columns are made ready for the models.

    With ``mode: auto`` (the default), a trial whose data has text, categorical, missing
    or infinite values fits a preprocessing step on its own training rows, in front of
    the model (:mod:`dataroi.trial._preprocess`). A model that brings its own column
    handling (a pipeline starting with a ``ColumnTransformer``, an encoder, an imputer,
    a text vectorizer, ...) is left as it is. ``mode: none`` passes the table to the
    models untouched. The section is the same for every model of a study, and while it
    is on it is part of every model's identity (changing it re-runs the trials).

    Attributes:
        mode: ``auto`` or ``none``.
        max_onehot: a categorical column with at most this many levels is one-hot
            encoded; one with more is target encoded (or, when its values are free text
            of several words, TF-IDF encoded).
        scale: standardise the numeric columns (when preprocessing applies at all);
            harmless for tree models, which split the same rows either way, and what
            makes a linear model converge on raw amounts such as incomes.
        text_columns: columns to treat as free text (TF-IDF) whatever they look like.
        categorical_columns: columns to treat as categories (also numeric codes such as
            zip codes), one-hot or target encoded by their number of levels.

    Example:
        >>> PreprocessSpec().to_dict()["mode"], PreprocessSpec(mode="none").enabled
        ('auto', False)
    """

    mode: str = "auto"
    max_onehot: int = 30
    scale: bool = True
    text_columns: tuple[str, ...] = ()
    categorical_columns: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        """Whether preprocessing may apply (``mode`` is not ``none``)."""
        return self.mode != "none"

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (shipped to workers; hashed into model identities)."""
        return {"mode": self.mode, "max_onehot": self.max_onehot, "scale": self.scale,
                "text_columns": list(self.text_columns),
                "categorical_columns": list(self.categorical_columns)}


@dataclass(frozen=True)
class AdaptiveSpec:
    """``schedule.adaptive``: run only the trials that can change the decision
    (:class:`dataroi.study.AdaptiveSchedule`), from a coarse grid until
    ``P(same recommendation with the full grid) >= target`` or the CPU budget is spent.

    It is a stopping rule, pre-registered with the decision rule: with a ``decision:``
    section the spec loader sets it as :attr:`DecisionSpec.adaptive`, so it is part of
    the rule's hash (``dataroi register``). The coarse grid's default is two sizes, the
    smallest and today's (it was three until the corpus replay showed two cheaper and
    as good, docs/adaptive.md): a rule registered with the old default reads as a
    changed rule unless the spec says ``initial_sizes: 3``. Likewise the ``steady`` stop
    (the recommendation unchanged at ``steady_looks`` looks in a row with ``P(same) >=
    steady_target``; on by default since a corpus replay): ``steady_looks: 0``
    keeps a rule registered before it. ``learned_stop: true`` replaces it by the
    *learned* stop (:mod:`dataroi.study._stop`; off by default: it saved CPU on the
    corpus replay at a higher regret), and is then part of the rule (the steady
    settings are not). (The map the learned stop reads a look through ships with
    dataroi, as the curves' gain model does; each look's ``adaptive_step`` document
    records its SHA-256.)

    Example:
        >>> AdaptiveSpec().to_dict()["target"]
        0.95
    """

    target: float = 0.95
    budget_cpu_seconds: float | None = None
    initial_sizes: int = 2
    initial_repeats: int = 3
    batch_size: int = 3
    steady_looks: int = 3
    steady_target: float = 0.8
    learned_stop: bool = False

    def __post_init__(self) -> None:
        default = type(self)  # the fields' defaults, as class attributes
        if self.learned_stop and (self.steady_looks, self.steady_target) != (
                default.steady_looks, default.steady_target):
            raise UsageError("schedule.adaptive: steady_looks and steady_target set the "
                             "steady stop, which learned_stop replaces; leave out one or "
                             "the other")

    def to_dict(self) -> dict[str, Any]:
        """Plain data; the stop short of the target that is on: ``learned_stop``, or the
        ``steady`` stop's settings (none when ``steady_looks`` is 0: such a spec keeps
        the hash its rule had before either stop existed).

        Example:
            >>> sorted(AdaptiveSpec(steady_looks=0).to_dict())
            ... # doctest: +NORMALIZE_WHITESPACE
            ['batch_size', 'budget_cpu_seconds', 'initial_repeats', 'initial_sizes',
             'target']
            >>> d = AdaptiveSpec(learned_stop=True).to_dict()
            >>> d["learned_stop"], "steady_looks" in d, "learned_stop" in AdaptiveSpec(
            ...     ).to_dict()
            (True, False, False)
        """
        d = asdict(self)
        del d["learned_stop"]
        if self.learned_stop:
            del d["steady_looks"], d["steady_target"]
            d["learned_stop"] = True
        elif self.steady_looks == 0:
            del d["steady_looks"], d["steady_target"]
        return d


@dataclass(frozen=True)
class ScheduleSpec:
    """Training-set sizes, repeats and the root seed.

    ``sizes`` are explicit row counts; or ``geometric`` = (min, max, count) where max may
    be ``None`` for "the whole pool". ``adaptive`` (None: the full grid) runs only the
    trials that can change the decision (:class:`AdaptiveSpec`).
    """

    sizes: tuple[int, ...] | None = None
    geometric: tuple[int, int | None, int] | None = None
    repeats: int = 5
    seed: int = 0
    adaptive: AdaptiveSpec | None = None

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
        watts_per_core: the power one busy CPU core draws (W), to estimate energy from
            CPU seconds (default :data:`DEFAULT_WATTS_PER_CORE`).
        energy_price_per_kwh: price of one kWh (the money unit of the ``_usd`` fields):
            the training energy is then part of the compute cost.
        co2_g_per_kwh: grams of CO2 per kWh of the electricity: each option states its
            emissions.

    Example:
        >>> c = CostSpec(price_per_label_usd=0.1, labels_per_item=2, adjudication_rate=0.5)
        >>> round(c.cost_per_item_usd, 3)
        0.25
        >>> "watts_per_core" in c.to_dict(), CostSpec(co2_g_per_kwh=400).to_dict()["co2_g_per_kwh"]
        (False, 400)
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
    watts_per_core: float = 10.0  # DEFAULT_WATTS_PER_CORE
    energy_price_per_kwh: float | None = None
    co2_g_per_kwh: float | None = None

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

    def labeling_usd(self, delta_n: float) -> float:
        """Cost of ``delta_n`` more labeled items in one round (0 for none): items at
        :attr:`cost_per_item_usd` plus the round's fixed cost (the planner's price,
        :meth:`dataroi.decide.CostModel.labeling_usd`).

        Example:
            >>> CostSpec(price_per_label_usd=0.5, fixed_cost_per_round_usd=100).labeling_usd(1000)
            600.0
        """
        if delta_n <= 0:
            return 0.0
        return float(delta_n * self.cost_per_item_usd + self.fixed_cost_per_round_usd)

    def relabeling_usd(self, items: float, opinions: int) -> float:
        """Cost of ``opinions`` more labels on each of ``items`` items, in one round (0 for
        none): ``items × opinions × price per label`` plus the round's fixed cost.

        Example:
            >>> CostSpec(price_per_label_usd=0.5).relabeling_usd(1000, 2)
            1000.0
        """
        if items <= 0 or opinions <= 0:
            return 0.0
        if self.price_per_label_usd is None:
            from dataroi.exceptions import UsageError

            raise UsageError("costs.price_per_label_usd is needed to price relabeling; add "
                             "it to the spec's costs: section")
        return float(items * opinions * self.price_per_label_usd
                     + self.fixed_cost_per_round_usd)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (hashed into every recommendation). The energy fields, added
        after costs were first registered, are left out at their defaults: a
        registration made before them still matches."""
        d = asdict(self)
        for key, default in _ENERGY_DEFAULTS.items():
            if d[key] == default:
                del d[key]
        return d


#: The default ``costs.watts_per_core``: 10 W per busy core. A server CPU's rated power
#: (TDP) divided by its cores is 5-15 W today (e.g. 270 W / 32 cores = 8.4 W); a laptop
#: core draws less, a whole machine (memory, fans, power supply) more. Set your own.
DEFAULT_WATTS_PER_CORE = 10.0
_ENERGY_DEFAULTS = {"watts_per_core": DEFAULT_WATTS_PER_CORE, "energy_price_per_kwh": None,
                    "co2_g_per_kwh": None}


@dataclass(frozen=True)
class GuardrailSpec:
    """Limits an option must respect to be recommended (each optional).

    Attributes:
        min_gain_per_1k: minimum expected gain per 1,000 added labels (metric units).
        max_budget_usd: maximum total cost of an option.
        min_p_gain: minimum probability that the option improves the metric.
        max_predict_ms_per_1k: maximum prediction time per 1,000 rows (ms) of the model
            an option ends with (from the trials' timings, at its training size).
        max_model_mb: maximum pickled size (MB) of that model.
    """

    min_gain_per_1k: float | None = None
    max_budget_usd: float | None = None
    min_p_gain: float | None = None
    max_predict_ms_per_1k: float | None = None
    max_model_mb: float | None = None


@dataclass(frozen=True)
class RelabelSpec:
    """Better labels as options of the decision (``decision.relabel``): relabeling today's
    items, alone or with new ones (:class:`dataroi.stress.Relabeling` values them).

    Attributes:
        rate_now: the share of today's labels that is wrong (e.g. from ``dataroi
            annotations``).
        rate_after: the share after relabeling (None: a majority of three,
            ``3r² − 2r³``).
        opinions: extra labels bought per relabeled item (and per new item with it).
        cleaner: a model of the study trained on relabeled labels (a pilot): relabeling
            is then valued by its measured difference instead of the effective-sample rule.
        model: the model whose labels are relabeled (None: every candidate model by the
            rule; with ``cleaner``, the current one).

    Example:
        >>> RelabelSpec(rate_now=0.1).to_dict()["opinions"]
        2
    """

    rate_now: float
    rate_after: float | None = None
    opinions: int = 2
    cleaner: str | None = None
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (the fields of :class:`dataroi.stress.Relabeling`)."""
        return asdict(self)


#: The default ``decision.max_p_loss``: 0.35. On the curve corpus (docs/decisions.md,
#: "Validation"), followed as a policy (deciding now or the staged plan), it is the
#: setting with the lowest regret among those whose decisions that spend lose money in
#: at most 5 % of cases: with the stacked gain forecast, $141 and 4.1 % against $130 and
#: 10.7 % with the check off and $119 and 5.3 % at 0.4 (the folds' held-out choice: 0.35
#: for 41 data sets, 0.4 for 17). 1 turns the check off.
DEFAULT_MAX_P_LOSS = 0.35


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
        max_p_loss: the largest probability of losing money an option that spends (or
            the staged plan) may have (P(net < 0); options above it are excluded;
            default :data:`DEFAULT_MAX_P_LOSS` = 0.35; 1 turns the check off).
        curves: how curves continue beyond today's size: ``learned`` (the gain
            forecast learned on the curve corpus, where the metric is bounded in [0, 1]
            with higher better; the fitted families elsewhere) or ``fitted`` (the fitted
            curve families only).
        recalibrate: let the ledger's own track record (``dataroi followup``) widen or
            narrow the forecast intervals beyond today's size once it holds enough
            checked forecasts (:data:`dataroi.decide.MIN_CHECKS`); ``false`` turns it off.
        adaptive: the stopping rule of an adaptive schedule (the spec's
            ``schedule.adaptive``, set by the spec loader when the spec has a
            ``decision:`` section): when to stop running trials is decided before the
            results exist, with the rule that chooses (None: the full grid).
        relabel: better labels as options beside the others (:class:`RelabelSpec`;
            None: none offered).

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
    max_p_loss: float = DEFAULT_MAX_P_LOSS
    curves: str = "learned"
    recalibrate: bool = True
    adaptive: AdaptiveSpec | None = None
    relabel: RelabelSpec | None = None

    def rule_dict(self) -> dict[str, Any]:
        """The rule as plain data (what pre-registration hashes).

        A whole amount is an integer (``budget_usd: 20000`` in the spec and ``--budget
        20000`` on the command line, a float, are the same rule), and the settings added
        after rules were first registered (``curves``, ``recalibrate``, the serving
        guardrails) are left
        out while at their defaults, so a rule registered earlier keeps its hash.
        ``max_p_loss`` is always in: its default changed from off (1) to 0.4, then to
        0.35, so a rule registered before then reads as changed — as it is. The stopping rule of an
        adaptive schedule (``adaptive``) is in only when there is one: a rule without
        it keeps its hash, and changing when an adaptive run stops changes the rule.
        The relabel options (``relabel``) likewise, only when offered.

        Example:
            >>> a = DecisionSpec(budget_usd=20000).rule_dict()
            >>> a == DecisionSpec(budget_usd=20000.0).rule_dict(), a["budget_usd"]
            (True, 20000)
            >>> a["max_p_loss"], DecisionSpec(max_p_loss=1).rule_dict()["max_p_loss"]
            (0.35, 1)
            >>> "adaptive" in a
            False
            >>> DecisionSpec(adaptive=AdaptiveSpec(budget_cpu_seconds=600.0)).rule_dict()[
            ...     "adaptive"]["budget_cpu_seconds"]
            600
        """
        d = asdict(self)
        d["add"] = [int(a) for a in self.add]
        d["rounds"] = int(self.rounds)
        for key in ("target", "risk", "budget_usd", "max_p_loss"):
            d[key] = _whole(d[key])
        d["guardrails"] = {k: _whole(v) for k, v in d["guardrails"].items()}
        # max_p_loss is always part of the rule: its default changed from off (1) to
        # 0.4, then 0.35, and a rule registered before reads as changed, as it is
        for key, default in (("curves", "learned"), ("recalibrate", True)):
            if d[key] == default:
                del d[key]
        for key in ("max_predict_ms_per_1k", "max_model_mb"):
            if d["guardrails"][key] is None:
                del d["guardrails"][key]
        if self.relabel is None:  # offered since #26; a rule without it keeps its hash
            del d["relabel"]
        else:
            d["relabel"] = {k: _whole(v) if isinstance(v, float) else v
                            for k, v in self.relabel.to_dict().items()}
        if self.adaptive is None:  # only when there is one: other rules keep their hash
            del d["adaptive"]
        else:
            d["adaptive"] = {k: _whole(v) if isinstance(v, float) else v
                             for k, v in self.adaptive.to_dict().items()}
        return d


def _whole(v: float | None) -> float | int | None:
    """A whole number as an int (what a YAML spec gives), else the float."""
    if v is None:
        return None
    return int(v) if float(v).is_integer() else float(v)


def is_arm_name(name: str) -> bool:
    """Whether ``name`` is a stress arm's (``"<base>[<label>]"``), not a model's: model
    names cannot hold brackets.

    Example:
        >>> is_arm_name("logreg[al=margin]"), is_arm_name("logreg")
        (True, False)
    """
    return "[" in str(name)


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
        artifacts: the folder of the stored test-set predictions, from the spec (None:
            ``artifacts/`` beside an SQLite ledger, else ``.dataroi/artifacts`` beside the
            spec). A team sharing a PostgreSQL ledger points it at a shared folder, so
            that every member's reports, slices and exports find every run's predictions.
        base_dir: directory relative paths are resolved against (the spec's folder);
            the modules in it are importable by the models' import paths.
        source_text: the YAML text as written (kept in the ledger).
        costs: the cost model (``costs:``), or None.
        decision: the pre-registered decision rule (``decision:``), or None.
        stress: the stress arms (``stress:``): label noise, class prior, shift, acquisition.
        slices: per-slice analysis (``slices:``), or None.
        preprocess: how the table's columns are made ready for the models
            (``preprocess:``; see :class:`PreprocessSpec`).
        contract: what the data must look like before any trial (``contract:``; a
            :class:`~dataroi.spec.Contract`), or None.

    ``costs``, ``decision`` and ``contract`` are not part of :meth:`to_dict` nor of
    :attr:`spec_hash`: changing them never re-runs trials.
    """

    name: str
    data: DataSpec
    split: SplitSpec
    models: tuple[ModelSpec, ...]
    metrics: tuple[str, ...]
    schedule: ScheduleSpec
    ledger: str | None = None
    artifacts: str | None = None
    base_dir: str = "."
    source_text: str = ""
    costs: CostSpec | None = None
    decision: DecisionSpec | None = None
    stress: tuple[VariantSpec, ...] = ()
    slices: SliceSpec | None = None
    preprocess: PreprocessSpec = field(default_factory=PreprocessSpec)
    contract: Any = None

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
                # only when present, so specs without it keep their hash
                **({"adaptive": self.schedule.adaptive.to_dict()}
                   if self.schedule.adaptive is not None else {}),
            },
            # only when present, so specs without it keep their hash
            **({"stress": [{"arm": v.name, **v.to_dict()} for v in self.stress]}
               if self.stress else {}),
            **({"slices": asdict(self.slices)} if self.slices else {}),
            **({"preprocess": self.preprocess.to_dict()}
               if self.preprocess != PreprocessSpec() else {}),
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

    def model_hash(self, name: str) -> str:
        """The identity a model's trials are planned and found under.

        The model's own :attr:`ModelSpec.model_hash`, combined with the content of the
        user's own modules it names (:meth:`ModelSpec.source_digests`, looked up beside
        the spec: editing a factory's file re-runs that model's trials; moving the
        folder does not; a model made only of library classes keeps its own hash). With
        preprocessing on (the default), that is combined with the ``preprocess:`` section
        and :data:`PREPROCESS_REVISION`; with ``mode: none``, it stands alone (the
        identity trials had before preprocessing existed, so they are reused).

        Example:
            >>> lr = ModelSpec("lr", estimator="sklearn.linear_model.LogisticRegression")
            >>> spec = StudySpec("s", DataSpec("x.csv"), SplitSpec(), (lr,), ("accuracy",),
            ...                  ScheduleSpec(sizes=(10,)))
            >>> from dataclasses import replace
            >>> off = PreprocessSpec(mode="none")
            >>> spec.model_hash("lr") == lr.model_hash
            False
            >>> replace(spec, preprocess=off).model_hash("lr") == lr.model_hash
            True
        """
        model = self.model(name)
        own = model.model_hash
        sources = model.source_digests(self.base_dir)
        if sources:
            own = canonical_hash({"model": own, "sources": sources})[:16]
        if not self.preprocess.enabled:
            return own
        return canonical_hash({"model": own, "preprocess": self.preprocess.to_dict(),
                               "revision": PREPROCESS_REVISION})[:16]

    def model(self, name: str) -> ModelSpec:
        for m in self.models:
            if m.name == name:
                return m
        raise UnknownNameError(name)
