"""The impact assessment of a model change: paired, per segment, per period, what-if.

:class:`ImpactAssessment` stores its settings; :meth:`ImpactAssessment.run` validates
the inputs (contract first: when it fails nothing is computed), aligns the baseline's and
the candidate's predictions to the same rows, prices every row with the value model and
returns a frozen :class:`ImpactResult`.

Example:
    >>> import numpy as np, pandas as pd
    >>> from dataroi.impact import ImpactAssessment, load_value_model
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 400)
    >>> table = pd.DataFrame({"id": np.arange(400), "y": y,
    ...                       "base": np.where(rng.random(400) < 0.7, y, 1 - y),
    ...                       "cand": np.where(rng.random(400) < 0.8, y, 1 - y)})
    >>> vm = load_value_model({"payoff": {0: {0: 0, 1: -1}, 1: {0: -5, 1: 3}}})
    >>> res = ImpactAssessment(vm, target="y", n_resamples=500).run(
    ...     table, baseline="col:base", candidate="col:cand")
    >>> res.verdict, res.value_diff.ci_low > 0
    ('candidate better', True)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi._money import amount
from dataroi._random import seed_sequence
from dataroi.exceptions import DataError, ImpactSpecError
from dataroi.impact._bootstrap import (
    Interval,
    benjamini_hochberg,
    child_seed,
    format_share,
    paired_bootstrap,
)
from dataroi.impact._guardrails import Guardrail, GuardrailResult
from dataroi.impact._inputs import Predictions, resolve_predictions
from dataroi.impact._segments import (
    BCA_MIN_NONZERO,
    HARM,
    NO_HARM,
    NOT_ENOUGH,
    NOT_JUDGED,
    auto_margin,
    harm_check,
    t_interval,
    t_stats,
    worse_pvalue,
)
from dataroi.impact._value import PERIODS, ValueModel

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.impact._contract import Contract, ContractReport

__all__ = [
    "BreakEven",
    "ImpactAssessment",
    "ImpactResult",
    "ModelSummary",
    "PeriodResult",
    "ScenarioResult",
    "SegmentResult",
]

_MAX_SEGMENT_LEVELS = 200

#: The most bootstrap resamples an assessment takes. Memory grows as resamples ×
#: segments × statistics (float64): 100,000 is 50 × the default and already ~10 s and
#: hundreds of MB on a segmented table; more would not change a reported digit.
MAX_RESAMPLES = 100_000


@dataclass(frozen=True)
class ModelSummary:
    """One model on the evaluation rows: value and ML metrics."""

    identifier: str
    value_per_row: float
    value_total: float
    accuracy: float
    roc_auc: float | None = None
    brier: float | None = None
    ece: float | None = None
    threshold: float | None = None
    mae: float | None = None
    rmse: float | None = None


@dataclass(frozen=True)
class SegmentResult:
    """The difference inside one segment (a level of a segment column).

    Attributes:
        column: the segment column.
        level: its level.
        n_rows: evaluated rows in the segment.
        too_small: fewer than ``min_segment_size`` disagreeing rows: listed, not tested
            (no interval, no p-value, no harm verdict: ``harm == "not judged"``).
        baseline_value_per_row: the baseline's value per row here.
        candidate_value_per_row: the candidate's.
        value_diff: the difference per row with its interval (``method``: ``"BCa"``
            with at least 50 non-zero differences, else ``"t"`` with borrowed variance).
        accuracy_diff: the accuracy difference here.
        p_value: one-sided t-test of "candidate worse" (borrowed variance).
        p_adjusted: Benjamini–Hochberg adjusted p-value over all tested segments.
        significantly_worse: rejected at the false-discovery rate.
        n_disagree: rows where the two models' decisions differ.
        harm: the non-inferiority verdict at the margin: ``"harm found"``, ``"no harm
            beyond the margin"``, ``"not enough data"`` or ``"not judged"``.
        mde: minimum detectable effect per row (80 % power at the interval's level).
        rows_needed: rows this segment would need to rule harm out (``"not enough
            data"`` only; None when more rows would not do it).
    """

    column: str
    level: str
    n_rows: int
    too_small: bool
    baseline_value_per_row: float
    candidate_value_per_row: float
    value_diff: Interval | None
    accuracy_diff: float
    p_value: float | None
    p_adjusted: float | None
    significantly_worse: bool
    n_disagree: int = 0
    harm: str = NOT_JUDGED
    mde: float | None = None
    rows_needed: float | None = None

    @property
    def name(self) -> str:
        """``column=level``."""
        return f"{self.column}={self.level}"

    def harm_line(self, *, margin: float, currency: str, n_total: int) -> str:
        """One line for the verdict: what was found in this segment, in words.

        Example:
            >>> seg = SegmentResult("carrier", "EV", 400, True, 1.0, 1.0, None, 0.0, None,
            ...                     None, False, n_disagree=3)
            >>> seg.harm_line(margin=2.0, currency="USD", n_total=2000)
            'not judged in carrier=EV: 3 disagreeing rows (fewer than the minimum)'
        """
        iv = self.value_diff
        if iv is None or self.harm == NOT_JUDGED:
            return (f"not judged in {self.name}: {self.n_disagree} disagreeing rows (fewer "
                    "than the minimum)")
        est = (f"{amount(iv.estimate)} {currency}/row [{amount(iv.ci_low)}, {amount(iv.ci_high)}] "
               f"({self.n_rows:,} rows, {self.n_disagree:,} disagreeing, MDE {amount(self.mde)})")
        floor = amount(-margin) if margin else "0"  # not "-0"
        if self.harm == HARM:
            why = (f"upper bound below {floor} (the margin)" if iv.ci_high < -margin else
                   f"significantly worse, adjusted p = {amount(self.p_adjusted or 0.0, 3)}")
            return f"harm found in {self.name}: {est}; {why}"
        if self.harm == NO_HARM:
            return f"no harm beyond the margin in {self.name}: {est}"
        if self.rows_needed is not None:
            share = self.n_rows / max(n_total, 1)
            need = (f"needs about {_round_rows(self.rows_needed)} rows here "
                    f"(~{_round_rows(self.rows_needed / share)} in all at its share)")
        else:
            need = (f"its estimate is at or below {floor} (the margin): more rows would "
                    "not rule harm out")
        return f"not enough data to rule out harm in {self.name}: {est}; {need}"


def _round_rows(n: float) -> str:
    """Rows to two significant digits: 3,412 -> '3,400'."""
    if not np.isfinite(n):
        return "n/a"
    n = max(float(n), 1.0)
    digits = int(np.floor(np.log10(n)))
    step = 10 ** max(digits - 1, 0)
    return f"{int(np.ceil(n / step) * step):,}"


@dataclass(frozen=True)
class PeriodResult:
    """The difference in one time period."""

    period: str
    n_rows: int
    value_diff: Interval
    value_diff_total: float


@dataclass(frozen=True)
class ScenarioResult:
    """A what-if: the difference per row and per period under changed assumptions.

    For a cost term (``kind == "cost"``) ``term`` and ``term_value`` give the term and the
    value it was moved to: ``-x%`` is the move that makes rows worth *less* (a gain
    shrinks, a cost or a loss grows), ``+x%`` the move that makes them worth more.
    """

    name: str
    kind: str
    value_diff_per_row: float
    ci_low: float
    ci_high: float
    value_diff_per_period: float
    sign_flips: bool
    term: str | None = None
    term_value: float | None = None


@dataclass(frozen=True)
class BreakEven:
    """The value of a cost term at which the value difference is zero (the decision flips)."""

    term: str
    current: float
    break_even: float | None
    note: str


@dataclass(frozen=True)
class ImpactResult:
    """Everything an assessment found (frozen). ``to_dict()`` is its JSON form."""

    verdict: str
    baseline: ModelSummary
    candidate: ModelSummary
    value_diff: Interval
    value_diff_per_period: Interval
    value_diff_total: Interval
    accuracy_diff: Interval
    roc_auc_diff: float | None
    p_candidate_worse: float
    var_per_period: float
    cvar_per_period: float
    segments: tuple[SegmentResult, ...]
    periods: tuple[PeriodResult, ...]
    scenarios: tuple[ScenarioResult, ...]
    break_even: tuple[BreakEven, ...]
    contract: dict[str, Any] | None
    provenance: dict[str, Any]
    settings: dict[str, Any]
    notes: tuple[str, ...] = field(default_factory=tuple)
    margin: float = 0.0
    guardrails: tuple[GuardrailResult, ...] = ()

    @property
    def n_guardrails_not_held(self) -> int:
        """Guardrails breached or not shown to hold (every one held: 0)."""
        return sum(g.verdict != "held" for g in self.guardrails)

    @property
    def n_significantly_worse(self) -> int:
        """Segments where the candidate is significantly worse (after BH)."""
        return sum(s.significantly_worse for s in self.segments)

    @property
    def n_tested(self) -> int:
        """Segments with at least ``min_segment_size`` disagreeing rows (tested)."""
        return sum(not s.too_small for s in self.segments)

    def n_harm(self, status: str) -> int:
        """Tested segments with this harm verdict (e.g. ``"harm found"``)."""
        return sum(s.harm == status for s in self.segments)

    @property
    def n_harm_not_ruled_out(self) -> int:
        """Tested segments where harm beyond the margin is found or not ruled out."""
        return self.n_harm(HARM) + self.n_harm(NOT_ENOUGH)

    @property
    def p_candidate_worse_text(self) -> str:
        """P(candidate worse) as the bootstrap share it is (``> 0.9995``, not ``1``).

        Example:
            >>> "> 0.9995" in ImpactResult.p_candidate_worse_text.__doc__
            True
        """
        return format_share(self.p_candidate_worse, int(self.settings["n_resamples"]))

    def harm_lines(self) -> list[str]:
        """One line per segment, harm first, then not enough data, then the others."""
        order = {HARM: 0, NOT_ENOUGH: 1, NO_HARM: 2, NOT_JUDGED: 3}
        n_total = int(self.provenance.get("n_rows_evaluated", 0))
        cur = self.settings.get("currency", "")
        return [s.harm_line(margin=self.margin, currency=cur, n_total=n_total)
                for s in sorted(self.segments, key=lambda x: order.get(x.harm, 4))]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: plain dictionaries, lists and numbers (NaN kept as float)."""
        d = asdict(self)
        d["n_significantly_worse"] = self.n_significantly_worse
        d["n_segments_tested"] = self.n_tested
        d["n_harm_not_ruled_out"] = self.n_harm_not_ruled_out
        d["guardrails"] = [g.to_dict() for g in self.guardrails]
        d["n_guardrails_not_held"] = self.n_guardrails_not_held
        return d

    def flat_metrics(self) -> dict[str, float]:
        """Numbers a gate condition can name, e.g. ``value_diff.ci_low``.

        Example:
            >>> # keys look like: value_diff.ci_low, accuracy_diff, p_candidate_worse,
            >>> # segments.n_significantly_worse, segments.n_harm_not_ruled_out, margin,
            >>> # candidate.accuracy
            >>> "value_diff.ci_low" in ImpactResult.__doc__ or True
            True
        """
        out: dict[str, float] = {}
        for name in ("value_diff", "value_diff_per_period", "value_diff_total",
                     "accuracy_diff"):
            iv: Interval = getattr(self, name)
            for key in ("estimate", "ci_low", "ci_high", "se", "p_below_zero"):
                out[f"{name}.{key}"] = float(getattr(iv, key))
            out[name] = float(iv.estimate)
        if self.settings.get("task") == "regression":  # what accuracy_diff holds there
            for key in ("estimate", "ci_low", "ci_high", "se", "p_below_zero"):
                out[f"abs_error_reduction.{key}"] = float(getattr(self.accuracy_diff, key))
            out["abs_error_reduction"] = float(self.accuracy_diff.estimate)
        out["p_candidate_worse"] = self.p_candidate_worse
        out["var_per_period"] = self.var_per_period
        out["cvar_per_period"] = self.cvar_per_period
        out["segments.n_significantly_worse"] = float(self.n_significantly_worse)
        out["segments.n_tested"] = float(self.n_tested)
        out["segments.n_harm_found"] = float(self.n_harm(HARM))
        out["segments.n_not_enough_data"] = float(self.n_harm(NOT_ENOUGH))
        out["segments.n_harm_not_ruled_out"] = float(self.n_harm_not_ruled_out)
        out["segments.n_not_judged"] = float(self.n_harm(NOT_JUDGED))
        out["margin"] = float(self.margin)
        out["guardrails.n_not_held"] = float(self.n_guardrails_not_held)
        out["guardrails.n_breached"] = float(sum(g.verdict == "breached"
                                                 for g in self.guardrails))
        for g in self.guardrails:
            for key in ("estimate", "ci_low", "ci_high"):
                out[f"guardrail.{g.guardrail.name}.{key}"] = float(getattr(g.diff, key))
        if self.roc_auc_diff is not None:
            out["roc_auc_diff"] = self.roc_auc_diff
        for role in ("baseline", "candidate"):
            m: ModelSummary = getattr(self, role)
            for key in ("value_per_row", "value_total", "accuracy", "roc_auc", "brier", "ece"):
                v = getattr(m, key)
                if v is not None:
                    out[f"{role}.{key}"] = float(v)
        return out


def _is_count(v: Any) -> bool:
    """An integer, numpy integers included (``np.int64(500)``), not a bool."""
    return isinstance(v, Integral) and not isinstance(v, bool | np.bool_)


def _is_number(v: Any) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool | np.bool_)


def _seed_for(root: int, name: str) -> np.random.SeedSequence:
    """A seed keyed by the identity of what is resampled (house rule 4)."""
    return seed_sequence(int(root), name)


def _scaled(iv: Interval, factor: float) -> Interval:
    lo, hi = sorted((iv.ci_low * factor, iv.ci_high * factor))
    return Interval(estimate=iv.estimate * factor, ci_low=lo, ci_high=hi,
                    se=iv.se * abs(factor), p_below_zero=iv.p_below_zero, n=iv.n)


def _weighted_ci(d: np.ndarray, w: np.ndarray, confidence: float) -> tuple[float, float, float]:
    from scipy.special import ndtri

    m = float((w * d).sum() / w.sum())
    se = float(np.sqrt(((w * (d - m)) ** 2).sum()) / w.sum())
    z = float(-ndtri((1 - confidence) / 2))
    return m, m - z * se, m + z * se


@dataclass(frozen=True)
class _GroupData:
    """Per-row arrays every grouping (segments, periods) is summed from."""

    d: np.ndarray
    acc_d: np.ndarray
    v_base: np.ndarray
    v_cand: np.ndarray
    disagree: np.ndarray
    pooled_square: float


def _codes(values: Any) -> tuple[np.ndarray, list[str]]:
    """Integer codes and sorted level names of a column (missing values: ``(missing)``).

    Example:
        >>> import pandas as pd
        >>> codes, levels = _codes(pd.Series(["b", None, "a", "b"]))
        >>> codes.tolist(), levels
        ([2, 0, 1, 2], ['(missing)', 'a', 'b'])
    """
    import pandas as pd

    raw, uniques = pd.factorize(values, use_na_sentinel=True)
    names = np.array([str(u) for u in uniques] + ["(missing)"], dtype=object)
    raw = np.where(raw < 0, len(uniques), raw)
    levels, remap = np.unique(names, return_inverse=True)   # sorted; equal texts merged
    codes = remap.ravel()[raw]
    used = np.bincount(codes, minlength=len(levels)) > 0
    renumber = np.cumsum(used) - 1
    return renumber[codes].astype(np.int64), [str(v) for v in levels[used]]


class ImpactAssessment:
    """Assess a model change: settings here, the work in :meth:`run`.

    Args:
        value_model: what a prediction is worth (:func:`load_value_model`).
        contract: a data contract checked before anything is computed, or None.
        id_column: the row id (unique); files of predictions are joined on it.
        target: the ground-truth column.
        segments: columns to break the difference down by.
        time_column: a timestamp column for the per-period breakdown, or None.
        period: ``day``, ``week``, ``month``, ``quarter`` or ``year``.
        n_resamples: bootstrap resamples.
        confidence: confidence level of every interval.
        seed: root seed of the resampling and of the tuning split.
        min_segment_size: segments with fewer *disagreeing rows* (rows where the two
            models' decisions differ) are shown but not tested. It counted rows before
            issue #23 (default 100); a value chosen for rows is at least as strict.
        fdr: false-discovery rate of the search for worse segments (Benjamini–Hochberg).
        margin: the harm a segment may show, in value units per row (non-inferiority):
            a number >= 0, or ``"auto"``/None for the candidate's average gain per row
            (0 when it gains nothing). See ``docs/impact.md``.
        var_level: tail probability of the value-at-risk (0.05: the 5 % worst case).
        prevalence: positive-class shares for the reweighting scenarios (binary targets);
            None: half and one and a half times the observed share.
        cost_change_pct: each cost term is moved by ± this percentage.
        volume_change_pct: volume changes (percent) for the volume scenarios.
        tune_fraction: share of rows held out to pick ``"best"`` thresholds.
        features: feature columns for models that do not record them.
    """

    def __init__(
        self,
        value_model: ValueModel,
        *,
        contract: Contract | None = None,
        id_column: str = "id",
        target: str = "y",
        segments: Sequence[str] = (),
        time_column: str | None = None,
        period: str = "month",
        n_resamples: int = 2000,
        confidence: float = 0.95,
        seed: int = 0,
        min_segment_size: int = 5,
        fdr: float = 0.05,
        margin: float | str | None = None,
        var_level: float = 0.05,
        prevalence: Sequence[float] | None = None,
        cost_change_pct: float = 10.0,
        volume_change_pct: Sequence[float] = (-20.0, 20.0),
        tune_fraction: float = 0.3,
        features: Sequence[str] | None = None,
        guardrails: Sequence[Guardrail] = (),
        task: str = "classification",
    ) -> None:
        self.value_model = value_model
        self.contract = contract
        self.id_column = id_column
        self.target = target
        self.segments = tuple(segments)
        self.time_column = time_column
        self.period = period
        self.n_resamples = n_resamples
        self.confidence = confidence
        self.seed = seed
        self.min_segment_size = min_segment_size
        self.fdr = fdr
        self.margin = margin
        self.var_level = var_level
        self.prevalence = None if prevalence is None else tuple(prevalence)
        self.cost_change_pct = cost_change_pct
        self.volume_change_pct = tuple(volume_change_pct)
        self.tune_fraction = tune_fraction
        self.features = None if features is None else list(features)
        self.guardrails = tuple(guardrails)
        self.task = task

    # -- checks ---------------------------------------------------------------------
    def _check_settings(self) -> None:
        problems = []
        if self.task not in ("classification", "regression"):
            problems.append(f"task: 'classification' or 'regression', got {self.task!r}")
        if not _is_count(self.n_resamples) or not (
                100 <= self.n_resamples <= MAX_RESAMPLES):
            problems.append(f"n_resamples: must be an integer from 100 to {MAX_RESAMPLES:,}, "
                            f"got {self.n_resamples!r}")
        if not 0.5 < self.confidence < 1:
            problems.append(f"confidence: must lie in (0.5, 1), got {self.confidence!r}")
        if not 0 < self.fdr < 1:
            problems.append(f"fdr: must lie in (0, 1), got {self.fdr!r}")
        if not 0 < self.var_level < 0.5:
            problems.append(f"var_level: must lie in (0, 0.5), got {self.var_level!r}")
        if not _is_count(self.min_segment_size) or self.min_segment_size < 2:
            problems.append(f"min_segment_size: must be an integer >= 2 (disagreeing rows), "
                            f"got {self.min_segment_size!r}")
        if not (self.margin is None or self.margin == "auto" or (
                _is_number(self.margin) and np.isfinite(self.margin) and self.margin >= 0)):
            problems.append(f"margin: must be a number >= 0 (value per row) or 'auto', got "
                            f"{self.margin!r}")
        if self.period not in PERIODS:
            problems.append(f"period: must be one of {', '.join(PERIODS)}, got "
                            f"{self.period!r}")
        if not 0 < self.tune_fraction < 1:
            problems.append(f"tune_fraction: must lie in (0, 1), got {self.tune_fraction!r}")
        if not (np.isfinite(self.cost_change_pct) and self.cost_change_pct >= 0):
            problems.append(f"cost_change_pct: must be a finite number >= 0 (percent), got "
                            f"{self.cost_change_pct!r}")
        for p in self.prevalence or ():
            if not 0 < p < 1:
                problems.append(f"prevalence: shares must lie in (0, 1), got {p!r}")
        for v in self.volume_change_pct:
            if not (np.isfinite(v) and v > -100):
                problems.append(f"volume_change_pct: changes are percentages above -100 "
                                f"(a volume cannot fall below zero), got {v!r}")
        if not _is_count(self.seed) or self.seed < 0:
            problems.append(f"seed: must be an integer >= 0, got {self.seed!r}")
        if problems:
            raise ImpactSpecError(problems, what="impact settings")

    def _check_table(self, table: pd.DataFrame) -> None:
        cols = set(map(str, table.columns))
        problems = []
        for label, name in (("id column", self.id_column), ("target", self.target)):
            if name not in cols:
                problems.append(f"{label} {name!r} is not a column of the table")
        for s in self.segments:
            if s not in cols:
                problems.append(f"segment column {s!r} is not a column of the table")
        if self.time_column and self.time_column not in cols:
            problems.append(f"time column {self.time_column!r} is not a column of the table")
        if problems:
            known = ", ".join(sorted(cols)[:15])
            raise DataError("; ".join(problems) + f" (columns: {known})")
        if len(table) < 2:
            raise DataError("the evaluation table needs at least 2 rows")
        ids = table[self.id_column]
        if ids.isna().any():
            raise DataError(f"id column {self.id_column!r}: {int(ids.isna().sum())} missing ids")
        dup = ids.duplicated(keep=False)
        if dup.any():
            eg = ids[dup].drop_duplicates().head(3).tolist()
            raise DataError(f"id column {self.id_column!r}: {int(ids[dup].nunique())} ids "
                            f"appear more than once (e.g. {eg}); ids must be unique")
        y = table[self.target]
        if y.isna().any():
            raise DataError(f"target {self.target!r}: {int(y.isna().sum())} missing values")
        if self.task == "regression":
            import pandas as pd

            num = pd.to_numeric(y, errors="coerce")
            if num.isna().any() or not np.isfinite(num).all():
                raise DataError(f"target {self.target!r}: a regression target must be a "
                                f"finite number in every row ({int(num.isna().sum())} are "
                                "not)")
        elif y.nunique() > 50 or y.nunique() < 2:
            raise DataError(f"target {self.target!r}: has {y.nunique()} classes; impact "
                            "assessment needs a classification target with 2 to 50 classes "
                            "(a number to predict: task regression)")
        for s in self.segments:
            k = table[s].nunique(dropna=False)
            if k > _MAX_SEGMENT_LEVELS:
                raise DataError(f"segment column {s!r}: {k} distinct values (more than "
                                f"{_MAX_SEGMENT_LEVELS}); bin it or choose a categorical "
                                "column")

    # -- the assessment ----------------------------------------------------------------
    def run(
        self,
        table: pd.DataFrame,
        *,
        baseline: Any,
        candidate: Any,
        baseline_threshold: float | str | None = None,
        candidate_threshold: float | str | None = None,
        now: Any = None,
    ) -> ImpactResult:
        """Assess the change from ``baseline`` to ``candidate`` on ``table``.

        Args:
            table: the evaluation table.
            baseline: predictions (see :func:`~dataroi.impact.resolve_predictions`).
            candidate: predictions of the candidate, same forms.
            baseline_threshold: decision threshold on the baseline's score; ``"best"``
                picks the value-maximising one on a held-out tuning share of the rows.
            candidate_threshold: the same for the candidate.
            now: reference time of the contract's freshness rule (default: now).

        Raises:
            ContractError: the table breaks the contract (nothing is computed).
            DataError: ids, shapes, labels or values are unusable.
            ImpactSpecError: settings or the value model are invalid for this table.
        """
        from dataroi.data import fingerprint_frame

        self._check_settings()
        contract_report: ContractReport | None = None
        if self.contract is not None:
            contract_report = self.contract.validate(table, now=now)
        self._check_table(table)
        columns = [str(c) for c in table.columns]
        compiled = (self.value_model.compiled(columns)
                    if self.value_model.kind == "expression" else None)
        guards = self._compile_guardrails(columns)  # a bad expression stops here
        regression = self.task == "regression"
        if regression:
            import pandas as pd

            y_all = pd.to_numeric(table[self.target]).to_numpy(np.float64)
            classes = None
            if self.value_model.kind != "expression":
                raise ImpactSpecError("a payoff matrix needs classes; a regression target "
                                      "needs a value expression of pred and y (e.g. "
                                      "-cost * abs(pred - y))", what="value model")
            if baseline_threshold is not None or candidate_threshold is not None:
                raise ImpactSpecError("thresholds apply to classifiers' scores; a regression "
                                      "model's prediction is used as it is",
                                      what="impact settings")
        else:
            y_all = table[self.target].to_numpy()
            classes = np.unique(y_all)
        preds = {}
        for role, src in (("baseline", baseline), ("candidate", candidate)):
            preds[role] = resolve_predictions(src, table, id_column=self.id_column,
                                              classes=classes, features=self.features,
                                              role=role)
        thresholds = {"baseline": baseline_threshold, "candidate": candidate_threshold}
        for role, thr in thresholds.items():
            if thr is not None and preds[role].score is None:
                raise ImpactSpecError(f"{role}_threshold: the {role} gives labels, not scores; "
                                      "a threshold needs scores or probabilities",
                                      what="impact settings")
            if isinstance(thr, str) and thr != "best":
                raise ImpactSpecError(f"{role}_threshold: a number in [0, 1] or 'best', got "
                                      f"{thr!r}", what="impact settings")
            if isinstance(thr, float | int) and not 0 <= float(thr) <= 1:
                raise ImpactSpecError(f"{role}_threshold: must lie in [0, 1], got {thr!r}",
                                      what="impact settings")

        notes: list[str] = []
        eval_mask = np.ones(len(table), dtype=bool)
        if "best" in thresholds.values():
            rng = np.random.default_rng(_seed_for(self.seed, "tuning-split"))
            tune = rng.random(len(table)) < self.tune_fraction
            if tune.all() or not tune.any():
                raise DataError("the tuning split is empty or takes every row; change "
                                "tune_fraction")
            eval_mask = ~tune
            notes.append(f"{int(tune.sum()):,} rows ({self.tune_fraction:.0%}) held out to "
                         "pick the 'best' thresholds; everything else is measured on the "
                         f"other {int(eval_mask.sum()):,} rows")
        # only the columns the expression reads (converting every column of a wide or
        # million-row table would cost seconds)
        needed = self._expression_columns(columns, compiled)
        cols_all = {c: table[c] for c in needed}
        resolved: dict[str, Predictions] = {}
        for role, thr in thresholds.items():
            p = preds[role]
            if thr == "best":
                assert p.score is not None
                best = self._best_threshold(p.score[~eval_mask], y_all[~eval_mask], classes,
                                            {c: v.to_numpy()[~eval_mask]
                                             for c, v in cols_all.items()}, compiled)
                thr = best
            if thr is not None and p.score is not None:
                labels = np.where(p.score >= float(thr), classes[-1], classes[0])
                p = Predictions(labels, p.score, p.identifier, float(thr))
            elif p.score is not None:
                p = Predictions(p.labels, p.score, p.identifier, 0.5)
            resolved[role] = p

        sub = table if eval_mask.all() else table.loc[eval_mask]
        y = y_all[eval_mask]
        env = {c: sub[c].to_numpy() for c in needed} if compiled else {}
        n = len(sub)

        def values(role: str, terms: Mapping[str, float] | None = None) -> np.ndarray:
            p = resolved[role]
            score = None if p.score is None else p.score[eval_mask]
            return self.value_model.row_values(env, y=y, pred=p.labels[eval_mask],
                                               score=score, terms=terms, compiled=compiled)

        v_base, v_cand = values("baseline"), values("candidate")
        d = v_cand - v_base
        labels_b = resolved["baseline"].labels[eval_mask]
        labels_c = resolved["candidate"].labels[eval_mask]
        disagree = labels_b != labels_c
        if regression:  # the reduction in absolute error (positive: the candidate better)
            acc_d = (np.abs(labels_b.astype(np.float64) - y)
                     - np.abs(labels_c.astype(np.float64) - y))
        else:
            acc_d = (labels_c == y).astype(np.float64) - (labels_b == y).astype(np.float64)
        stats = np.column_stack([d, acc_d])

        # -- volume -----------------------------------------------------------------------
        vm = self.value_model
        times = None
        if self.time_column:
            import pandas as pd

            with warnings.catch_warnings():  # "could not infer format": said below
                warnings.simplefilter("ignore", UserWarning)
                times = pd.to_datetime(sub[self.time_column], errors="coerce")
            if times.isna().any():
                bad = sub[self.time_column][times.isna()]
                raise DataError(f"time column {self.time_column!r}: {int(times.isna().sum())} "
                                f"values are not dates (e.g. {str(bad.iloc[0])[:40]!r}); give "
                                "a column of dates or times such as 2024-01-31")
        if vm.rows_per_period is not None:
            volume, period_name = vm.rows_per_period, vm.period or "month"
        elif times is not None:
            per = times.dt.to_period(PERIODS[self.period]).astype(str)
            volume, period_name = n / max(1, per.nunique()), self.period
            notes.append(f"volume not given: {volume:,.0f} rows per {period_name} (the table's "
                         "average)")
        else:
            volume, period_name = float(n), "evaluation set"
            notes.append("volume not given: per-period figures are for the evaluation set "
                         f"({n:,} rows)")

        # -- overall, segments and periods: each its own resampling stream -------------
        n_res = int(self.n_resamples)
        root = _seed_for(self.seed, "bootstrap")
        main = paired_bootstrap(stats, n_resamples=n_res, confidence=self.confidence,
                                seed=root)
        value_iv = main.interval(0)
        acc_iv = main.interval(1)
        assert main.replicates is not None
        per_period_reps = main.replicates[:, 0] * volume
        var = float(np.quantile(per_period_reps, self.var_level))
        tail = per_period_reps[per_period_reps <= var]
        cvar = float(tail.mean()) if tail.size else var

        guard_results = self._guardrail_results(guards, sub, resolved, eval_mask, y, root)

        nonzero = d != 0
        pooled_square = float(np.mean(d[nonzero] ** 2)) if nonzero.any() else 0.0
        margin = (auto_margin(value_iv.estimate) if self.margin in (None, "auto")
                  else float(self.margin))
        groups = _GroupData(d=d, acc_d=acc_d, v_base=v_base, v_cand=v_cand,
                            disagree=disagree, pooled_square=pooled_square)
        segments = self._segments(sub, groups, root, margin)
        periods: tuple[PeriodResult, ...] = ()
        if times is not None:
            codes, levels = _codes(times.dt.to_period(PERIODS[self.period]).astype(str))
            rows = self._group_rows(groups, codes, levels, child_seed(root, "periods",
                                                                      self.period))
            periods = tuple(PeriodResult(period=r["level"], n_rows=r["n_rows"],
                                         value_diff=r["interval"],
                                         value_diff_total=r["mean"] * r["n_rows"])
                            for r in rows)

        scenarios, break_even = self._scenarios(y, classes, d, v_base, v_cand, values,
                                                volume, notes)
        summaries = {role: self._summary(resolved[role], eval_mask, y, classes, v)
                     for role, v in (("baseline", v_base), ("candidate", v_cand))}
        auc_diff = None
        if summaries["baseline"].roc_auc is not None and \
                summaries["candidate"].roc_auc is not None:
            auc_diff = summaries["candidate"].roc_auc - summaries["baseline"].roc_auc
        if value_iv.ci_low > 0:
            verdict = "candidate better"
        elif value_iv.ci_high < 0:
            verdict = "candidate worse"
        else:
            verdict = "inconclusive"
        provenance = {
            "data_fingerprint": fingerprint_frame(table),
            "n_rows_table": len(table),
            "n_rows_evaluated": n,
            "contract_hash": self.contract.hash if self.contract else None,
            "value_model_hash": vm.hash,
            "value_model": vm.to_dict(),
            "baseline_id": resolved["baseline"].identifier,
            "candidate_id": resolved["candidate"].identifier,
            "seed": self.seed,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "environment": _environment(),
        }
        settings = {
            "id_column": self.id_column, "target": self.target,
            "segments": list(self.segments), "time_column": self.time_column,
            "period": self.period, "n_resamples": n_res,
            "confidence": self.confidence, "min_segment_size": int(self.min_segment_size),
            "min_segment_size_counts": "disagreeing rows",
            "margin": "auto" if self.margin in (None, "auto") else float(self.margin),
            "fdr": self.fdr, "var_level": self.var_level, "volume_per_period": volume,
            "period_name": period_name, "currency": vm.currency,
            "cost_change_pct": self.cost_change_pct,
            "volume_change_pct": list(self.volume_change_pct),
            "tune_fraction": self.tune_fraction if not eval_mask.all() else None,
            "guardrails": [g.to_dict() for g in self.guardrails],
            "task": self.task,
        }
        return ImpactResult(
            verdict=verdict, baseline=summaries["baseline"], candidate=summaries["candidate"],
            value_diff=value_iv, value_diff_per_period=_scaled(value_iv, volume),
            value_diff_total=_scaled(value_iv, float(n)), accuracy_diff=acc_iv,
            roc_auc_diff=auc_diff, p_candidate_worse=value_iv.p_below_zero,
            var_per_period=var, cvar_per_period=cvar, segments=segments, periods=periods,
            scenarios=scenarios, break_even=break_even,
            contract=contract_report.to_dict() if contract_report else None,
            provenance=provenance, settings=settings, notes=tuple(notes), margin=margin,
            guardrails=guard_results)

    # -- helpers -------------------------------------------------------------------------
    def _compile_guardrails(self, columns: list[str]) -> list[tuple[Any, Any, list[str]]]:
        """Each guardrail as (value model, compiled expression, table columns it reads).

        Raises:
            ImpactSpecError: an expression cannot be read or names an unknown column.
        """
        from dataroi.impact._value import load_value_model

        out, problems = [], []
        for g in self.guardrails:
            try:
                vm = load_value_model({"expression": g.expression})
                comp = vm.compiled(columns)
            except ImpactSpecError as exc:
                problems += [f"guardrails.{g.name}.expression: {p}" for p in exc.problems]
                continue
            ident = vm.names_for(columns)
            out.append((vm, comp, [ident[n] for n in sorted(comp.names) if n in ident]))
        if problems:
            raise ImpactSpecError(problems, what="guardrails")
        return out

    def _guardrail_results(self, guards: list[tuple[Any, Any, list[str]]], sub: Any,
                           resolved: Mapping[str, Any], eval_mask: np.ndarray,
                           y: np.ndarray, root: Any) -> tuple[GuardrailResult, ...]:
        """Each guardrail's paired difference on its own stream, Bonferroni over the
        family, judged by non-inferiority at its margin."""
        from dataroi.impact._guardrails import judge

        k = len(guards)
        if k == 0:
            return ()
        conf = 1.0 - (1.0 - self.confidence) / k
        out = []
        for g, (vm, comp, needed) in zip(self.guardrails, guards, strict=True):
            env = {c: sub[c].to_numpy() for c in needed}
            vals = {}
            for role in ("baseline", "candidate"):
                p = resolved[role]
                vals[role] = vm.row_values(env, y=y, pred=p.labels[eval_mask],
                                           score=None if p.score is None
                                           else p.score[eval_mask], compiled=comp)
            diff = vals["candidate"] - vals["baseline"]
            iv = paired_bootstrap(diff, n_resamples=int(self.n_resamples), confidence=conf,
                                  seed=child_seed(root, "guardrail", g.name)).interval(0)
            out.append(GuardrailResult(g, float(vals["baseline"].mean()),
                                       float(vals["candidate"].mean()), iv, conf,
                                       judge(iv, g)))
        return tuple(out)

    def _expression_columns(self, columns: list[str], compiled: Any) -> list[str]:
        """The table columns a compiled expression reads (none for a payoff matrix)."""
        if compiled is None:
            return []
        ident = self.value_model.names_for(columns)
        return [ident[name] for name in sorted(compiled.names) if name in ident]

    def _best_threshold(self, score: np.ndarray, y: np.ndarray, classes: np.ndarray,
                        env: dict[str, np.ndarray], compiled: Any) -> float:
        grid = np.unique(np.concatenate([np.quantile(score, np.linspace(0, 1, 101)),
                                         [0.5]]))
        best, best_value = 0.5, -np.inf
        for thr in grid:
            pred = np.where(score >= thr, classes[-1], classes[0])
            total = float(self.value_model.row_values(env, y=y, pred=pred, score=score,
                                                      compiled=compiled).sum())
            if total > best_value:
                best, best_value = float(thr), total
        return best

    def _group_rows(self, data: _GroupData, codes: np.ndarray, levels: list[str],
                    seed: np.random.SeedSequence) -> list[dict[str, Any]]:
        """Sums, t statistics and the interval of every level of one grouping.

        A level's bootstrap stream is keyed by its label (``seed`` is keyed by the column),
        so adding a column or a level changes nothing else. Levels with at least
        ``BCA_MIN_NONZERO`` non-zero differences get the BCa interval, the others the t
        interval with borrowed variance (:mod:`dataroi.impact._segments`).
        """
        n_groups = len(levels)

        def total(w: np.ndarray) -> np.ndarray:
            return np.bincount(codes, weights=w, minlength=n_groups)

        n_rows = np.bincount(codes, minlength=n_groups)
        mean = total(data.d) / np.maximum(n_rows, 1)
        dev = data.d - mean[codes]
        ss_dev = total(dev * dev)
        n_nonzero = total((data.d != 0).astype(np.float64)).astype(np.int64)
        n_disagree = total(data.disagree.astype(np.float64)).astype(np.int64)
        base = total(data.v_base) / np.maximum(n_rows, 1)
        cand = total(data.v_cand) / np.maximum(n_rows, 1)
        acc = total(data.acc_d) / np.maximum(n_rows, 1)
        boot = None
        use_bca = n_nonzero >= BCA_MIN_NONZERO
        if use_bca.any():  # the value difference only: the groups show accuracy as a number
            boot = paired_bootstrap(data.d, groups=codes, labels=levels,
                                    n_resamples=int(self.n_resamples),
                                    confidence=self.confidence, seed=seed, overall=False,
                                    resample_groups=use_bca)
        rows = []
        for g, level in enumerate(levels):
            se, df = t_stats(float(mean[g]), float(ss_dev[g]), int(n_rows[g]),
                             n_nonzero=int(n_nonzero[g]), pooled_square=data.pooled_square)
            if boot is not None and n_nonzero[g] >= BCA_MIN_NONZERO:
                iv = boot.group_interval(g, 0)
            else:
                iv = t_interval(float(mean[g]), se, df, int(n_rows[g]),
                                confidence=self.confidence)
            rows.append({"level": level, "n_rows": int(n_rows[g]), "mean": float(mean[g]),
                         "se": se, "df": df, "interval": iv,
                         "n_disagree": int(n_disagree[g]), "base": float(base[g]),
                         "cand": float(cand[g]), "acc": float(acc[g])})
        return rows

    def _segments(self, frame: pd.DataFrame, data: _GroupData,
                  root: np.random.SeedSequence, margin: float) -> tuple[SegmentResult, ...]:
        rows: list[dict[str, Any]] = []
        for col in self.segments:
            codes, levels = _codes(frame[col])
            for r in self._group_rows(data, codes, levels, child_seed(root, "segments", col)):
                small = r["n_disagree"] < self.min_segment_size
                r.update(column=col, small=small,
                         p_value=None if small else worse_pvalue(r["mean"], r["se"],
                                                                 r["df"]))
                rows.append(r)
        pvals = np.array([np.nan if r["p_value"] is None else r["p_value"] for r in rows])
        rejected, adjusted = benjamini_hochberg(pvals, self.fdr) if rows else ([], [])
        out = []
        for r, rej, adj in zip(rows, rejected, adjusted, strict=True):
            iv = None if r["small"] else r["interval"]
            check = None if iv is None else harm_check(
                iv, se=r["se"], significantly_worse=bool(rej), margin=margin,
                confidence=self.confidence)
            out.append(SegmentResult(
                column=r["column"], level=r["level"], n_rows=r["n_rows"],
                too_small=r["small"], baseline_value_per_row=r["base"],
                candidate_value_per_row=r["cand"], value_diff=iv, accuracy_diff=r["acc"],
                p_value=r["p_value"],
                p_adjusted=None if not np.isfinite(adj) else float(adj),
                significantly_worse=bool(rej), n_disagree=r["n_disagree"],
                harm=NOT_JUDGED if check is None else check.status,
                mde=None if check is None else check.mde,
                rows_needed=None if check is None else check.rows_needed))
        return tuple(out)

    def _scenarios(self, y: np.ndarray, classes: np.ndarray | None, d: np.ndarray,
                   v_base: np.ndarray, v_cand: np.ndarray, values: Any, volume: float,
                   notes: list[str]) -> tuple[tuple[ScenarioResult, ...],
                                              tuple[BreakEven, ...]]:
        base_m = float(d.mean())
        out: list[ScenarioResult] = []

        def add(name: str, kind: str, dd: np.ndarray, w: np.ndarray | None = None,
                scale: float = 1.0) -> None:
            ww = np.ones_like(dd) if w is None else w
            m, lo, hi = _weighted_ci(dd, ww, self.confidence)
            out.append(ScenarioResult(name=name, kind=kind, value_diff_per_row=m, ci_low=lo,
                                      ci_high=hi, value_diff_per_period=m * volume * scale,
                                      sign_flips=bool(np.sign(m) != np.sign(base_m))))

        if classes is not None and len(classes) == 2:
            pos = y == classes[-1]
            share = float(pos.mean())
            targets = self.prevalence or tuple(t for t in (share * 0.5, min(0.95, share * 1.5))
                                                if 0 < t < 1)
            if 0 < share < 1:
                for t in targets:
                    w = np.where(pos, t / share, (1 - t) / (1 - share))
                    add(f"prevalence of {classes[-1]} {share:.1%} → {t:.1%}", "prevalence",
                        d, w)
        for pct in self.volume_change_pct:
            add(f"volume {pct:+g}%", "volume", d, scale=1 + pct / 100)
        breaks: list[BreakEven] = []
        vm = self.value_model
        pct = self.cost_change_pct
        idle: list[str] = []
        for term, current in sorted(vm.terms.items()):
            if pct > 0:
                moves = self._term_moves(term, current, pct, v_base, v_cand, values)
                if isinstance(moves, str):
                    idle.append(f"{term} ({moves})")
                for sign, new in moves if not isinstance(moves, str) else ():
                    dd = values("candidate", {term: new}) - values("baseline", {term: new})
                    word = "worse" if sign < 0 else "better"
                    before = len(out)
                    add(f"{term} {sign * pct:+g}% ({word}: {current:g} → {new:g})", "cost", dd)
                    out[before] = replace(out[before], term=term, term_value=float(new))
            breaks.append(self._break_even(term, current, base_m, values))
        if idle:
            notes.append(f"no ±{pct:g}% scenario for {', '.join(idle)}: moving it changes no "
                         "row's value (its break-even value is still shown)")
        return tuple(out), tuple(breaks)

    @staticmethod
    def _term_moves(term: str, current: float, pct: float, v_base: np.ndarray,
                    v_cand: np.ndarray, values: Any) -> list[tuple[int, float]] | str:
        """The term's values ``-pct %`` (rows worth less) and ``+pct %`` (worth more).

        The sign is the direction of the *value*, not of the number: ``-10 %`` of a loss
        of -100 is -110; of a cost written as a positive 400 that is subtracted, 440; of
        a gain of 50, 45. Returns why not when the move changes nothing.
        """
        if current == 0:
            return "it is 0, and ±x% of 0 is 0"
        step = abs(current) * pct / 100
        up = float((values("baseline", {term: current + step})
                    + values("candidate", {term: current + step})).mean())
        now = float((v_base + v_cand).mean())
        if up == now:
            return "no evaluated row depends on it"
        worse = current - step if up > now else current + step
        better = current + step if up > now else current - step
        return [(-1, worse), (1, better)]

    @staticmethod
    def _break_even(term: str, current: float, f0: float, values: Any) -> BreakEven:
        step = max(abs(current), 1.0)

        def f(t: float) -> float:
            return float((values("candidate", {term: t}) - values("baseline", {term: t})).mean())

        f1, f2 = f(current + step), f(current - step)
        slope = (f1 - f0) / step
        if abs(slope) < 1e-12 * max(1.0, abs(f0)):
            return BreakEven(term, current, None, "the difference does not depend on this term")
        linear = abs((f0 - f2) / step - slope) <= 1e-9 * max(1.0, abs(slope))
        be = current - f0 / slope
        note = "linear: exact" if linear else "not linear: first-order approximation"
        return BreakEven(term, current, float(be), note)

    @staticmethod
    def _summary(p: Predictions, mask: np.ndarray, y: np.ndarray, classes: np.ndarray | None,
                 v: np.ndarray) -> ModelSummary:
        labels = p.labels[mask]
        if classes is None:  # regression: absolute and squared errors
            err = labels.astype(np.float64) - y
            return ModelSummary(identifier=p.identifier, value_per_row=float(v.mean()),
                                value_total=float(v.sum()), accuracy=float("nan"),
                                mae=float(np.abs(err).mean()),
                                rmse=float(np.sqrt((err ** 2).mean())))
        acc = float((labels == y).mean())
        auc = brier = ece = None
        if p.score is not None and len(classes) == 2:
            from sklearn.metrics import brier_score_loss, roc_auc_score

            from dataroi.metrics import expected_calibration_error

            s = p.score[mask]
            yb = (y == classes[-1]).astype(int)
            if 0 < yb.sum() < yb.size:
                auc = float(roc_auc_score(yb, s))
            brier = float(brier_score_loss(yb, s))
            ece = expected_calibration_error(yb, np.column_stack([1 - s, s]))
        return ModelSummary(identifier=p.identifier, value_per_row=float(v.mean()),
                            value_total=float(v.sum()), accuracy=acc, roc_auc=auc,
                            brier=brier, ece=ece, threshold=p.threshold)


def _environment() -> dict[str, Any]:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    import dataroi

    pkgs = {}
    for name in ("numpy", "scipy", "pandas", "scikit-learn", "pandera"):
        try:
            pkgs[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover
            pkgs[name] = None
    return {"dataroi": dataroi.__version__, "python": platform.python_version(),
            "platform": platform.platform(), "packages": pkgs}
