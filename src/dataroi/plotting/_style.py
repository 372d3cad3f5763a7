"""Colours, markers and axis words shared by every display.

The palette is Okabe & Ito's (2008), chosen to stay distinguishable with the common
forms of colour blindness; every model also gets its own marker and line style, so
the charts read in greyscale too.

Example:
    >>> model_styles(["a", "b"])["b"]["color"] in OKABE_ITO
    True
    >>> metric_axis_label("accuracy")
    'accuracy (proportion correct, 0–1; higher is better)'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["OKABE_ITO", "metric_axis_label", "metric_unit", "model_styles", "new_axes"]

#: Okabe–Ito colour-blind-safe palette (black last: reserved for reference lines).
OKABE_ITO: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
                              "#D55E00", "#F0E442", "#000000")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_DASHES = ("-", "--", "-.", ":")
#: Colours of reference lines and of highlighted / excluded points.
REFERENCE = "#444444"
HIGHLIGHT = "#D55E00"
MUTED = "#999999"

_UNITS = {
    "accuracy": "proportion correct, 0–1",
    "balanced_accuracy": "mean per-class recall, 0–1",
    "f1_macro": "macro F1, 0–1",
    "roc_auc": "ROC AUC, 0–1",
    "average_precision": "average precision (PR AUC), 0–1",
    "mcc": "Matthews correlation, −1 to 1",
    "log_loss": "nats per row",
    "brier": "mean squared probability error",
    "ece": "calibration error, 0–1",
    "r2": "coefficient of determination, unitless",
    "rmse": "target units",
    "mae": "target units",
}


def model_styles(models: Sequence[str]) -> dict[str, dict[str, Any]]:
    """A colour, marker and line style per model, by its *name*: a model keeps its
    colour in every report and chart, whatever other models are shown beside it (a
    stable hash picks the colour; a model whose colour is taken by an earlier one in
    ``models`` takes the next free one; beyond seven models the line styles vary).

    Example:
        >>> a = model_styles(["logreg", "hgb"])
        >>> b = model_styles(["svm", "hgb", "logreg", "rf"])
        >>> a["hgb"] == b["hgb"] and a["logreg"] == b["logreg"]
        True
    """
    import hashlib

    n_col = len(OKABE_ITO) - 1  # black is kept for reference lines
    taken: set[int] = set()
    out = {}
    for i, m in enumerate(models):
        slot = int(hashlib.sha256(str(m).encode()).hexdigest(), 16) % n_col
        if len(taken) < n_col:
            while slot in taken:
                slot = (slot + 1) % n_col
        taken.add(slot)
        out[m] = {"color": OKABE_ITO[slot], "marker": _MARKERS[slot % len(_MARKERS)],
                  "linestyle": _DASHES[(i // n_col) % len(_DASHES)]}
    return out


def metric_unit(metric: str) -> str:
    """The unit of a metric's values, in words (``metric units`` when unknown)."""
    return _UNITS.get(metric, "metric units")


def metric_axis_label(metric: str, higher_is_better: bool | None = True) -> str:
    """An axis label naming the metric, its unit and its direction."""
    direction = "" if higher_is_better is None else (
        "; higher is better" if higher_is_better else "; lower is better")
    return f"{metric} ({metric_unit(metric)}{direction})"


def new_axes(ax: Any = None, *, figsize: tuple[float, float] = (7.0, 4.2)) -> tuple[Any, Any]:
    """``(figure, axes)``: the given axes' figure, or a new figure (Agg, no window)."""
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt  # a notebook shows it; the report passes its own axes

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax
