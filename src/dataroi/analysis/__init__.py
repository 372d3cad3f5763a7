"""One analysis object from trials to decision and report (the composition root).

Made from a study::

    with study.analyze() as analysis:       # reads the trials once, one ledger handle
        analysis.curves                     # fitted learning curves
        analysis.marginal_value()           # what more labels are worth
        analysis.compare()                  # data vs. model
        rec = analysis.recommend()          # where the next dollar goes (one place)
        analysis.report().to_html()

or from a plain table of trials (``dataroi trials`` CSV, a frame, or scikit-learn's
``learning_curve`` arrays)::

    analysis = dataroi.analyze("trials.csv", costs={"price_per_label_usd": 0.4,
                                                    "value_per_point_usd": 500})

The layers below (``value``, ``decide``, ``stress``, ``slices``, ``plotting``,
``report``) take data; only this package composes them.

Example:
    >>> from dataroi.analysis import Analysis, analyze
    >>> callable(analyze)
    True
"""

from __future__ import annotations

from dataroi.analysis._analysis import Analysis, analyze
from dataroi.analysis._context import StudyContext
from dataroi.analysis._tables import load_trials, trials_from_learning_curve

__all__ = ["Analysis", "StudyContext", "analyze", "load_trials", "trials_from_learning_curve"]
