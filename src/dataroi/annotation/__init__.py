"""Annotation quality: agreement, consensus labels and the label-noise rate.

Input is a long table of (item, annotator, label) with optional gold labels; output is a
frozen :class:`AnnotationReport` with per-annotator accuracy, Cohen's and Fleiss' kappa,
Krippendorff's alpha (with bootstrap intervals over items), majority-vote and Dawid–Skene
consensus labels, the estimated noise rate of one annotation and of the consensus, and the
items worth a second opinion. numpy, scipy and pandas load only when used.

Example:
    >>> from dataroi.annotation import fleiss_kappa
    >>> round(fleiss_kappa([[3, 0], [0, 3], [2, 1]]), 3)
    0.55
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataroi._lazy import lazy_exports

if TYPE_CHECKING:
    from dataroi.annotation._agreement import (
        AgreementEstimate,
        alpha_from_counts,
        cohen_kappa,
        fleiss_kappa,
        krippendorff_alpha,
    )
    from dataroi.annotation._consensus import DawidSkene, majority_vote
    from dataroi.annotation._report import (
        AnnotationAnalysis,
        AnnotationReport,
        AnnotatorStats,
        LowAgreementItem,
        NoiseEstimate,
        analyze_annotations,
    )
    from dataroi.annotation._table import AnnotationTable, load_annotations

__all__ = [
    "AgreementEstimate",
    "AnnotationAnalysis",
    "AnnotationReport",
    "AnnotationTable",
    "AnnotatorStats",
    "DawidSkene",
    "LowAgreementItem",
    "NoiseEstimate",
    "alpha_from_counts",
    "analyze_annotations",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "load_annotations",
    "majority_vote",
]

_LAZY = {
    "AgreementEstimate": "_agreement", "alpha_from_counts": "_agreement",
    "cohen_kappa": "_agreement", "fleiss_kappa": "_agreement",
    "krippendorff_alpha": "_agreement",
    "DawidSkene": "_consensus", "majority_vote": "_consensus",
    "AnnotationAnalysis": "_report", "AnnotationReport": "_report",
    "AnnotatorStats": "_report", "LowAgreementItem": "_report", "NoiseEstimate": "_report",
    "analyze_annotations": "_report",
    "AnnotationTable": "_table", "load_annotations": "_table",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
