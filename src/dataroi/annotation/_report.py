"""Annotation quality in one pass: accuracy, agreement, consensus, noise rates, items to redo.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "item": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4],
    ...     "annotator": list("abcabcabcab"),
    ...     "label": ["x", "x", "y", "y", "y", "y", "x", "x", "x", "x", "y"]})
    >>> report = analyze_annotations(frame, n_boot=200, n_boot_dawid_skene=20)
    >>> report.n_items, report.n_annotators, report.classes
    (4, 3, ('x', 'y'))
    >>> round(report.agreement_estimate("fleiss_kappa").value, 3)
    0.16
    >>> [row.item for row in report.low_agreement]
    [4, 1]
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi._json import json_safe
from dataroi.annotation._agreement import (
    AgreementEstimate,
    agreement_estimates,
    bootstrap_ratio,
    percentile_interval,
    rng_for,
    weight_chunks,
)
from dataroi.annotation._consensus import DawidSkene, fit_dawid_skene, majority_vote
from dataroi.annotation._table import AnnotationTable, load_annotations
from dataroi.exceptions import UsageError

if TYPE_CHECKING:
    import pandas as pd

#: The most bootstrap replicates over items, and Dawid–Skene refits, an analysis takes.
MAX_BOOT = 100_000
MAX_BOOT_DAWID_SKENE = 10_000

__all__ = [
    "AnnotationAnalysis",
    "AnnotationReport",
    "AnnotatorStats",
    "LowAgreementItem",
    "NoiseEstimate",
    "analyze_annotations",
]

_FRAMES = ("annotators", "items", "agreement", "noise", "pairs", "low_agreement")


def _wilson(correct: float, n: float, level: float) -> tuple[float, float]:
    if n <= 0:
        return float("nan"), float("nan")
    from scipy.stats import norm

    z = float(norm.ppf((1 + level) / 2))
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class AnnotatorStats:
    """One annotator's volume and accuracy.

    Attributes:
        annotator: the annotator's identifier.
        n_annotations: labels given.
        n_gold: labels given on items with a gold label.
        accuracy_gold: share of those equal to gold (NaN without gold).
        gold_ci_low: Wilson interval of ``accuracy_gold``, lower end.
        gold_ci_high: upper end.
        n_consensus: labels on items that someone else labeled too.
        accuracy_consensus: agreement with the leave-one-out majority of the *other*
            annotators of each item (a tie among k classes that includes the label counts
            1/k: the expected score of a random tie-break).
        accuracy_dawid_skene: expected accuracy under the Dawid–Skene fit,
            ``mean over the annotator's labels of Σ_k T_ik θ_j[k, k]``.
    """

    annotator: Any
    n_annotations: int
    n_gold: int
    accuracy_gold: float
    gold_ci_low: float
    gold_ci_high: float
    n_consensus: int
    accuracy_consensus: float
    accuracy_dawid_skene: float


@dataclass(frozen=True)
class NoiseEstimate:
    """An estimated label-noise rate (share of wrong labels) with an interval.

    Attributes:
        target: ``single_annotation`` (one label of one annotator), ``majority_vote`` or
            ``dawid_skene`` (the consensus labels of this table).
        source: ``gold`` (measured on items with gold labels) or ``dawid_skene`` (model).
        rate: the estimate.
        ci_low: lower end of the bootstrap interval over items.
        ci_high: upper end.
        level: interval level.
        n: labels (single annotation) or items (consensus) it rests on.
    """

    target: str
    source: str
    rate: float
    ci_low: float
    ci_high: float
    level: float
    n: int


@dataclass(frozen=True)
class LowAgreementItem:
    """An item worth a second or third opinion.

    Attributes:
        item: the item's identifier.
        n_annotations: labels it has.
        observed_agreement: share of agreeing annotator pairs (NaN with one label).
        majority_label: majority-vote label.
        dawid_skene_label: most probable class under Dawid–Skene.
        confidence: Dawid–Skene posterior probability of that class.
        reason: why it is listed.
    """

    item: Any
    n_annotations: int
    observed_agreement: float
    majority_label: Any
    dawid_skene_label: Any
    confidence: float
    reason: str


@dataclass(frozen=True, eq=False)
class AnnotationReport:
    """Everything :class:`AnnotationAnalysis` found; frozen. Arrays are read-only.

    Attributes:
        classes: label classes (class codes index them).
        items: item identifiers (row order of the per-item arrays).
        annotators: per-annotator statistics.
        agreement: Cohen's kappa (pairwise for two annotators, mean pairwise otherwise),
            Fleiss' kappa and Krippendorff's alpha, with intervals.
        pairwise_kappa: Cohen's kappa per annotator pair: dicts ``a, b, n_items, kappa``.
        noise: every noise estimate (from gold where there is gold, and from Dawid–Skene).
        noise_confusion: ``(n_classes, n_classes)`` estimated ``P(label = l | true = k)`` of a
            single annotation (from gold where there is gold, else Dawid–Skene, each
            annotation weighted equally) — the class-conditional noise matrix.
        noise_confusion_source: ``gold`` or ``dawid_skene``.
        class_priors: Dawid–Skene class prevalences.
        annotator_confusion: Dawid–Skene confusion matrices ``(n_annotators, k, k)``.
        n_annotations_per_item: labels per item.
        majority: majority-vote class code per item (seeded tie-break).
        majority_share: share of an item's labels that equal its majority label.
        observed_agreement: per item, share of agreeing pairs (NaN with one label).
        posterior: Dawid–Skene posterior ``(n_items, n_classes)``.
        dawid_skene: ``labels`` code per item.
        gold: gold class code per item, -1 where none.
        low_agreement: items to relabel, least confident first.
        dawid_skene_fit: ``n_iter``, ``converged``, ``log_likelihood``.
        notes: things the user should know (items left out, few gold items...).
        settings: seed, bootstrap sizes, level, thresholds.
    """

    classes: tuple[Any, ...]
    items: tuple[Any, ...]
    annotators: tuple[AnnotatorStats, ...]
    agreement: tuple[AgreementEstimate, ...]
    pairwise_kappa: tuple[dict[str, Any], ...]
    noise: tuple[NoiseEstimate, ...]
    noise_confusion: np.ndarray
    noise_confusion_source: str
    class_priors: np.ndarray
    annotator_confusion: np.ndarray
    n_annotations_per_item: np.ndarray
    majority: np.ndarray
    majority_share: np.ndarray
    observed_agreement: np.ndarray
    posterior: np.ndarray
    dawid_skene: np.ndarray
    gold: np.ndarray
    low_agreement: tuple[LowAgreementItem, ...]
    dawid_skene_fit: dict[str, Any]
    notes: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.items)

    @property
    def n_annotators(self) -> int:
        """Number of annotators."""
        return len(self.annotators)

    @property
    def n_annotations(self) -> int:
        """Number of labels."""
        return int(self.n_annotations_per_item.sum())

    @property
    def n_gold_items(self) -> int:
        """Items with a gold label."""
        return int((self.gold >= 0).sum())

    def agreement_estimate(self, statistic: str) -> AgreementEstimate:
        """One agreement statistic by name (``cohen_kappa``, ``fleiss_kappa``,
        ``krippendorff_alpha``)."""
        for est in self.agreement:
            if est.statistic == statistic:
                return est
        raise UsageError(f"unknown agreement statistic {statistic!r}; use one of "
                         f"{[e.statistic for e in self.agreement]}")

    def _noise(self, target: str) -> NoiseEstimate:
        rows = [n for n in self.noise if n.target == target]
        gold = [n for n in rows if n.source == "gold"]
        return (gold or rows)[0]

    @property
    def noise_rate(self) -> NoiseEstimate:
        """Noise rate of one annotation: from gold if there is gold, else Dawid–Skene.

        This is the rate that label-noise learning curves take as today's noise.
        """
        return self._noise("single_annotation")

    @property
    def consensus_noise_rate(self) -> NoiseEstimate:
        """Noise rate of the Dawid–Skene consensus label (gold if there is gold)."""
        return self._noise("dawid_skene")

    def to_dict(self, *, include_items: bool = True) -> dict[str, Any]:
        """JSON-able dictionary (NaN becomes None; labels are the original values).

        Args:
            include_items: add the per-item consensus table (can be long).
        """
        out: dict[str, Any] = {
            "n_items": self.n_items, "n_annotators": self.n_annotators,
            "n_annotations": self.n_annotations, "n_gold_items": self.n_gold_items,
            "classes": json_safe(self.classes),
            "annotators": [json_safe(asdict(a)) for a in self.annotators],
            "agreement": [e.to_dict() for e in self.agreement],
            "pairwise_kappa": [json_safe(p) for p in self.pairwise_kappa],
            "noise_rate": json_safe(asdict(self.noise_rate)),
            "consensus_noise_rate": json_safe(asdict(self.consensus_noise_rate)),
            "noise": [json_safe(asdict(n)) for n in self.noise],
            "noise_confusion": json_safe(self.noise_confusion),
            "noise_confusion_source": self.noise_confusion_source,
            "class_priors": json_safe(self.class_priors),
            "annotator_confusion": {str(a.annotator): json_safe(m) for a, m in
                                    zip(self.annotators, self.annotator_confusion,
                                        strict=True)},
            "low_agreement": [json_safe(asdict(r)) for r in self.low_agreement],
            "dawid_skene_fit": json_safe(self.dawid_skene_fit),
            "notes": list(self.notes),
            "settings": json_safe(self.settings),
        }
        if include_items:
            out["items"] = json_safe(self.to_frame("items").to_dict(orient="records"))
        return out

    def to_frame(self, what: str = "annotators") -> pd.DataFrame:
        """One part of the report as a DataFrame.

        Args:
            what: ``annotators``, ``items`` (consensus per item, with one ``p_<class>``
                column per class), ``agreement``, ``noise``, ``pairs`` or ``low_agreement``.
        """
        import pandas as pd

        if what == "annotators":
            return pd.DataFrame([asdict(a) for a in self.annotators])
        if what == "agreement":
            return pd.DataFrame([asdict(e) for e in self.agreement])
        if what == "noise":
            return pd.DataFrame([asdict(n) for n in self.noise])
        if what == "pairs":
            return pd.DataFrame(list(self.pairwise_kappa), columns=["a", "b", "n_items",
                                                                    "kappa"])
        if what == "low_agreement":
            return pd.DataFrame([asdict(r) for r in self.low_agreement],
                                columns=list(LowAgreementItem.__dataclass_fields__))
        if what == "items":
            cls = np.asarray((*self.classes, None), dtype=object)
            frame = pd.DataFrame({
                "item": list(self.items),
                "n_annotations": self.n_annotations_per_item,
                "majority_label": cls[self.majority],
                "majority_share": self.majority_share,
                "observed_agreement": self.observed_agreement,
                "dawid_skene_label": cls[self.dawid_skene],
                "confidence": self.posterior.max(axis=1),
                "gold": cls[self.gold],
            })
            for k, c in enumerate(self.classes):
                frame[f"p_{c}"] = self.posterior[:, k]
            return frame
        raise UsageError(f"to_frame(what={what!r}): use one of {list(_FRAMES)}")


def _ro(a: Any) -> np.ndarray:
    a = np.array(a)
    a.flags.writeable = False
    return a


class AnnotationAnalysis:
    """Measure annotation quality: accuracy, agreement, consensus and label noise.

    The constructor stores the options; :meth:`fit` computes and sets ``table_``
    (the validated :class:`AnnotationTable`), ``dawid_skene_`` (the fitted
    :class:`DawidSkene`) and ``report_`` (the frozen :class:`AnnotationReport`).

    Args:
        n_boot: bootstrap replicates over items for agreement and gold-based intervals.
        n_boot_dawid_skene: refits of Dawid–Skene on resampled items for the intervals of
            model-based noise rates (each refit starts from the full fit; 0: no interval).
        level: interval level.
        random_state: root seed (tie-breaks and resamples derive from it by purpose).
        max_iter: Dawid–Skene iteration guard.
        tol: Dawid–Skene relative log-likelihood tolerance.
        smoothing: Dawid–Skene pseudo-count.
        min_agreement: items whose share of agreeing pairs is below this are listed.
        min_confidence: items whose Dawid–Skene posterior of the chosen class is below this
            are listed.
        min_pair_items: fewest shared items for a pair to enter mean pairwise Cohen's kappa.

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"item": [1, 1, 2, 2, 3, 3], "annotator": list("ababab"),
        ...                       "label": [0, 0, 1, 1, 0, 1], "gold": [0, 0, 1, 1, 1, 1]})
        >>> fitted = AnnotationAnalysis(n_boot=100, n_boot_dawid_skene=0).fit(frame,
        ...                                                               gold="gold")
        >>> nr = fitted.report_.noise_rate
        >>> nr.source, round(nr.rate, 3), nr.n
        ('gold', 0.167, 6)
    """

    def __init__(self, *, n_boot: int = 1000, n_boot_dawid_skene: int = 200,
                 level: float = 0.95, random_state: int | None = 0, max_iter: int = 100,
                 tol: float = 1e-6, smoothing: float = 0.01, min_agreement: float = 0.5,
                 min_confidence: float = 0.8, min_pair_items: int = 2) -> None:
        self.n_boot = n_boot
        self.n_boot_dawid_skene = n_boot_dawid_skene
        self.level = level
        self.random_state = random_state
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing
        self.min_agreement = min_agreement
        self.min_confidence = min_confidence
        self.min_pair_items = min_pair_items

    def _validate(self) -> None:
        # a replicate over items is cheap (chunked), a Dawid–Skene one is a whole EM fit:
        # beyond these counts an interval changes in no reported digit, and a typo
        # (n_boot=10**9) would run for days
        for name, most in (("n_boot", MAX_BOOT), ("n_boot_dawid_skene", MAX_BOOT_DAWID_SKENE)):
            v = getattr(self, name)
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 0:
                raise UsageError(f"{name} must be an integer >= 0, got {v!r}")
            if v > most:
                raise UsageError(f"{name} must be at most {most:,}, got {v:,}")
        if not 0 < self.level < 1:
            raise UsageError(f"level must be between 0 and 1 (e.g. 0.95), got {self.level!r}")
        for name in ("min_agreement", "min_confidence"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise UsageError(f"{name} must be between 0 and 1, got {v!r}")
        if not isinstance(self.min_pair_items, int) or self.min_pair_items < 1:
            raise UsageError(f"min_pair_items must be an integer >= 1, got "
                             f"{self.min_pair_items!r}")
        if self.random_state is not None and (not isinstance(self.random_state, int)
                                              or self.random_state < 0):
            raise UsageError(f"random_state must be an int >= 0 or None, got "
                             f"{self.random_state!r}")

    def fit(self, data: Any, *, item: str = "item", annotator: str = "annotator",
            label: str = "label", gold: Any = None) -> AnnotationAnalysis:
        """Validate the annotations and compute the report.

        Args:
            data: DataFrame, CSV/Parquet path or :class:`AnnotationTable`.
            item: item column.
            annotator: annotator column.
            label: label column.
            gold: gold column name or mapping ``item -> gold label`` (optional).

        Returns:
            self, with ``table_``, ``dawid_skene_`` and ``report_`` set.

        Raises:
            DataError: the table cannot be used (see :func:`load_annotations`).
            UsageError: an option is out of range.
        """
        self._validate()
        table = load_annotations(data, item=item, annotator=annotator, label=label, gold=gold)
        seed = self.random_state
        notes: list[str] = []
        counts = table.counts()
        matrix = table.matrix()
        m = table.annotations_per_item()
        k = table.n_classes
        n_single = int((m < 2).sum())
        if n_single:
            notes.append(f"{n_single} of {table.n_items} items have one label only: they "
                         "get a consensus but do not enter the agreement statistics")
        if k < 2:
            notes.append("every label is the same class: chance-corrected agreement is "
                         "undefined")

        majority = majority_vote(counts, random_state=rng_for(seed, "majority-tie-break"))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = counts[np.arange(table.n_items), majority] / m
            p_i = np.where(m >= 2, ((counts * counts).sum(axis=1) - m) / (m * (m - 1)),
                           np.nan)
        agreement, pairs = agreement_estimates(
            counts, matrix, n_boot=self.n_boot, level=self.level,
            rng=rng_for(seed, "agreement-bootstrap"), min_pair_items=self.min_pair_items)
        pair_rows = tuple({"a": table.annotators[p["a"]], "b": table.annotators[p["b"]],
                           "n_items": p["n_items"], "kappa": p["kappa"]} for p in pairs)

        ds = DawidSkene(max_iter=self.max_iter, tol=self.tol, smoothing=self.smoothing)
        ds.fit(table)
        if not ds.converged_:
            notes.append(f"Dawid–Skene did not converge in {self.max_iter} iterations")
        post = ds.posterior_
        ds_labels = ds.labels_

        annotators = self._annotator_stats(table, counts, m, post, ds.confusion_)
        noise, confusion, confusion_source = self._noise(table, counts, m, majority, post,
                                                         ds, notes)
        low = self._low_agreement(table, m, p_i, majority, ds_labels, post)
        self.table_ = table
        self.dawid_skene_ = ds
        self.report_ = AnnotationReport(
            classes=table.classes,
            items=table.items,
            annotators=annotators,
            agreement=tuple(agreement),
            pairwise_kappa=pair_rows,
            noise=tuple(noise),
            noise_confusion=_ro(confusion),
            noise_confusion_source=confusion_source,
            class_priors=_ro(ds.class_priors_),
            annotator_confusion=_ro(ds.confusion_),
            n_annotations_per_item=_ro(m),
            majority=_ro(majority),
            majority_share=_ro(share),
            observed_agreement=_ro(p_i),
            posterior=_ro(post),
            dawid_skene=_ro(ds_labels),
            gold=_ro(table.gold_idx),
            low_agreement=low,
            dawid_skene_fit={"n_iter": ds.n_iter_, "converged": bool(ds.converged_),
                             "log_likelihood": ds.log_likelihood_},
            notes=tuple(notes),
            settings={"random_state": seed, "n_boot": self.n_boot,
                      "n_boot_dawid_skene": self.n_boot_dawid_skene, "level": self.level,
                      "min_agreement": self.min_agreement,
                      "min_confidence": self.min_confidence,
                      "columns": dict(table.columns)},
        )
        return self

    def _annotator_stats(self, table: AnnotationTable, counts: np.ndarray, m: np.ndarray,
                         post: np.ndarray, confusion: np.ndarray
                         ) -> tuple[AnnotatorStats, ...]:
        j, it, lab = table.annotator_idx, table.item_idx, table.label_idx
        n_j = table.n_annotators
        n_ann = np.bincount(j, minlength=n_j)
        gold = table.gold_idx[it]
        has_gold = gold >= 0
        n_gold = np.bincount(j, weights=has_gold, minlength=n_j)
        right_gold = np.bincount(j, weights=has_gold & (lab == gold), minlength=n_j)
        # leave-one-out majority of the other annotators; ties share the credit
        other = counts[it].astype(float)
        other[np.arange(lab.size), lab] -= 1
        scored = (m[it] - 1) >= 1
        tied = other == other.max(axis=1, keepdims=True)
        credit = np.where(scored, tied[np.arange(lab.size), lab] / tied.sum(axis=1), 0.0)
        n_cons = np.bincount(j, weights=scored, minlength=n_j)
        right_cons = np.bincount(j, weights=credit, minlength=n_j)
        diag = np.diagonal(confusion, axis1=1, axis2=2)  # (J, K)
        expected_right = (post[it] * diag[j]).sum(axis=1)
        ds_acc = np.bincount(j, weights=expected_right, minlength=n_j) / n_ann
        rows = []
        for a in range(n_j):
            acc_g = right_gold[a] / n_gold[a] if n_gold[a] else float("nan")
            lo, hi = _wilson(right_gold[a], n_gold[a], self.level)
            acc_c = right_cons[a] / n_cons[a] if n_cons[a] else float("nan")
            rows.append(AnnotatorStats(table.annotators[a], int(n_ann[a]), int(n_gold[a]),
                                       float(acc_g), lo, hi, int(n_cons[a]), float(acc_c),
                                       float(ds_acc[a])))
        return tuple(rows)

    def _noise(self, table: AnnotationTable, counts: np.ndarray, m: np.ndarray,
               majority: np.ndarray, post: np.ndarray, ds: DawidSkene, notes: list[str]
               ) -> tuple[list[NoiseEstimate], np.ndarray, str]:
        level, seed, k = self.level, self.random_state, table.n_classes
        out: list[NoiseEstimate] = []
        gold = table.gold_idx
        gi = np.flatnonzero(gold >= 0)
        confusion_source = "dawid_skene"
        confusion = np.zeros((k, k))
        if gi.size:
            g = gold[gi]
            errors = m[gi] - counts[gi, g]
            rng = rng_for(seed, "noise-gold-bootstrap")
            lo, hi = bootstrap_ratio(rng, errors.astype(float), m[gi].astype(float),
                                     self.n_boot, level)
            out.append(NoiseEstimate("single_annotation", "gold",
                                     float(errors.sum() / m[gi].sum()), lo, hi, level,
                                     int(m[gi].sum())))
            ones = np.ones(gi.size)
            for target, labels in (("majority_vote", majority), ("dawid_skene", ds.labels_)):
                wrong = (labels[gi] != g).astype(float)
                lo, hi = bootstrap_ratio(rng, wrong, ones, self.n_boot, level)
                out.append(NoiseEstimate(target, "gold", float(wrong.mean()), lo, hi, level,
                                         int(gi.size)))
            for c in range(k):
                confusion[c] = counts[gi[g == c]].sum(axis=0)
            confusion_source = "gold"
            if gi.size < 30:
                notes.append(f"only {gi.size} items have gold labels: gold-based rates are "
                             "rough (see their intervals)")
        # model-based (Dawid–Skene), always
        it, j, lab = table.item_idx, table.annotator_idx, table.label_idx

        def rates(p: np.ndarray, conf: np.ndarray, w: np.ndarray) -> tuple[float, ...]:
            diag = np.diagonal(conf, axis1=1, axis2=2)
            wrong_single = 1.0 - (p[it] * diag[j]).sum(axis=1)
            wa = w[it]
            return (float(wa @ wrong_single / wa.sum()),
                    float(w @ (1.0 - p[np.arange(p.shape[0]), majority]) / w.sum()),
                    float(w @ (1.0 - p.max(axis=1)) / w.sum()))

        point = rates(post, ds.confusion_, np.ones(table.n_items))
        draws = np.full((self.n_boot_dawid_skene, 3), np.nan)
        alone = not (m >= 2).any()
        if alone:
            # Dawid–Skene fits each annotator to itself: a rate near 0 that means nothing
            # (and that label-noise arms would take as today's noise)
            point = (math.nan,) * 3
            one = f"every item has one label{' (one annotator)' if table.n_annotators == 1 else ''}"
            notes.append(
                f"{one}: the model-based (Dawid–Skene) rates are not estimated; the noise "
                "rate is measured against the gold labels" if gi.size else
                f"{one}: how often an annotation is wrong cannot be estimated without a "
                "second label of some items or gold labels; have a second annotator label "
                "a sample of the items (a few hundred), or add gold labels (--gold COLUMN)")
        if self.n_boot_dawid_skene and not alone:
            rng = rng_for(seed, "noise-dawid-skene-bootstrap")
            b = 0
            for w_chunk in weight_chunks(rng, table.n_items, self.n_boot_dawid_skene):
                for w in w_chunk:
                    fit = fit_dawid_skene(it, j, lab, n_items=table.n_items,
                                          n_annotators=table.n_annotators, init=post,
                                          weights=w, max_iter=min(self.max_iter, 50),
                                          tol=max(self.tol, 1e-5), smoothing=self.smoothing)
                    draws[b] = rates(fit.posterior, fit.confusion, w)
                    b += 1
        for col, target in enumerate(("single_annotation", "majority_vote", "dawid_skene")):
            lo, hi = percentile_interval(draws[:, col], level)
            out.append(NoiseEstimate(target, "dawid_skene", point[col], lo, hi, level,
                                     table.n_annotations if col == 0 else table.n_items))
        if confusion_source == "dawid_skene":
            # P(label = l | true = k) over all annotations, each weighted equally
            tk = post[it]  # (N, K)
            conf_rows = ds.confusion_[j]  # (N, K, K)
            confusion = np.einsum("nk,nkl->kl", tk, conf_rows)
        with np.errstate(invalid="ignore", divide="ignore"):
            confusion = confusion / confusion.sum(axis=1, keepdims=True)
        return out, np.nan_to_num(confusion, nan=0.0), confusion_source

    def _low_agreement(self, table: AnnotationTable, m: np.ndarray, p_i: np.ndarray,
                       majority: np.ndarray, ds_labels: np.ndarray, post: np.ndarray
                       ) -> tuple[LowAgreementItem, ...]:
        conf = post.max(axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            disagree = (m >= 2) & (p_i < self.min_agreement)
        unsure = conf < self.min_confidence
        flagged = np.flatnonzero(disagree | unsure)
        order = flagged[np.lexsort((np.nan_to_num(p_i[flagged], nan=1.0), conf[flagged]))]
        rows = []
        for i in order:
            reasons = []
            if disagree[i]:
                reasons.append(f"agreement {p_i[i]:.2f} < {self.min_agreement:g}")
            if unsure[i]:
                reasons.append(f"confidence {conf[i]:.2f} < {self.min_confidence:g}")
            rows.append(LowAgreementItem(table.items[i], int(m[i]), float(p_i[i]),
                                         table.classes[majority[i]],
                                         table.classes[ds_labels[i]], float(conf[i]),
                                         "; ".join(reasons)))
        return tuple(rows)


def analyze_annotations(data: Any, *, item: str = "item", annotator: str = "annotator",
                        label: str = "label", gold: Any = None,
                        **options: Any) -> AnnotationReport:
    """Fit :class:`AnnotationAnalysis` and return its report.

    Args:
        data: DataFrame, CSV/Parquet path or :class:`AnnotationTable`.
        item: item column.
        annotator: annotator column.
        label: label column.
        gold: gold column or mapping ``item -> gold label``.
        **options: options of :class:`AnnotationAnalysis` (``n_boot``, ``random_state``...).

    Returns:
        The frozen report.
    """
    return AnnotationAnalysis(**options).fit(data, item=item, annotator=annotator,
                                             label=label, gold=gold).report_
