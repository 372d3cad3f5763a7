"""Charts of a study: Display objects that draw numbers computed as data first.

Every chart has a pure ``*_info`` function (e.g. :func:`learning_curve_info`) that
returns its numbers as a JSON-compatible dictionary, and a Display that draws it with
matplotlib (imported only when drawing). In a notebook::

    from dataroi.plotting import LearningCurveDisplay
    LearningCurveDisplay.from_analysis(study.analyze()).plot(ax=ax)

Colours are Okabe & Ito's colour-blind-safe palette, with a marker and line style per
model; every axis names its unit.

Example:
    >>> from dataroi.plotting import OKABE_ITO
    >>> len(OKABE_ITO)
    8
"""

from __future__ import annotations

from dataroi.plotting._displays import (
    CostFrontierDisplay,
    LearningCurveDisplay,
    MarginalValueDisplay,
    ModelDifferenceDisplay,
)
from dataroi.plotting._impact import ForestDisplay, PeriodsDisplay
from dataroi.plotting._info import (
    cost_frontier_info,
    learning_curve_info,
    marginal_value_info,
    model_difference_info,
)
from dataroi.plotting._style import OKABE_ITO, metric_axis_label, metric_unit, model_styles

__all__ = [
    "OKABE_ITO",
    "CostFrontierDisplay",
    "ForestDisplay",
    "LearningCurveDisplay",
    "MarginalValueDisplay",
    "ModelDifferenceDisplay",
    "PeriodsDisplay",
    "cost_frontier_info",
    "learning_curve_info",
    "marginal_value_info",
    "metric_axis_label",
    "metric_unit",
    "model_difference_info",
    "model_styles",
]
