"""Draw the report's figures from the document's info dictionaries (as SVG data URIs).

The figures are drawn by the :mod:`dataroi.plotting` displays on matplotlib
``Figure`` objects (no pyplot state, no GUI backend) and embedded as base64
``data:image/svg+xml`` images: no text of the data can become markup, and nothing is
fetched. Text stays text (``svg.fonttype: none``) in the viewer's sans-serif font.

Example:
    >>> figs = report_figures({"sections": {}})
    >>> figs
    []
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["FigureSpec", "report_figures", "svg_data_uri"]


@dataclass(frozen=True)
class FigureSpec:
    """One embedded figure: where it goes, its id, alt text, caption and image."""

    section: str
    figure_id: str
    alt: str
    caption: str
    data_uri: str


def svg_data_uri(fig: Any) -> str:
    """A matplotlib figure as an embedded ``data:image/svg+xml;base64`` image (every
    report's figures: no text of the data can become markup, nothing is fetched)."""
    import matplotlib

    buf = io.BytesIO()
    # text as SVG <text> (XML-escaped by matplotlib) in the viewer's sans-serif font:
    # several times faster and smaller than glyph paths, and no font file is needed
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "dataroi"}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight",
                    pad_inches=0.08)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(width: float, height: float) -> Any:
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.hashsalt"] = "dataroi"  # stable ids: same input, same file
    return Figure(figsize=(width, height))  # bbox_inches="tight" at save: one draw only


def report_figures(doc: dict[str, Any]) -> list[FigureSpec]:
    """Every figure of the report document, in the order they appear."""
    from dataroi.plotting import (
        CostFrontierDisplay,
        LearningCurveDisplay,
        MarginalValueDisplay,
        ModelDifferenceDisplay,
    )

    s = doc.get("sections") or {}
    out: list[FigureSpec] = []
    lc = s.get("learning_curves")
    if lc and lc.get("models"):
        fig = _figure(8.5, 5.0)
        LearningCurveDisplay(lc).plot(ax=fig.add_subplot(), focus=True)
        out.append(FigureSpec(
            "learning_curves", "fig-learning-curves",
            f"learning curves of {len(lc['models'])} models: {lc['metric']} against "
            "training-set size, log scale",
            "All models: dots are single repeats, solid lines the mean with its 95 % CI, "
            "dotted lines the fitted extrapolation with 50 % and 90 % bands; stars mark "
            "tipping points (where more labels stop paying)"
            + ("; the y axis is zoomed on sizes from an eighth of today's up (the charts "
               "below show every size)." if lc.get("focus_ylim") else "."), svg_data_uri(fig)))
        n = len(lc["models"])
        cols = min(3, n)
        rows = math.ceil(n / cols)
        fig = _figure(3.6 * cols, 3.2 * rows)
        axes = fig.subplots(rows, cols, squeeze=False, sharey=True,
                            gridspec_kw={"wspace": 0.08, "hspace": 0.45})
        disp = LearningCurveDisplay(lc)
        for i, m in enumerate(lc["models"]):
            ax = axes[i // cols][i % cols]
            disp.plot(ax=ax, models=[m["model"]], legend=False)
            if i % cols:
                ax.set_ylabel("")
            ax.xaxis.label.set_fontsize(7)
            ax.yaxis.label.set_fontsize(7)
        for j in range(n, rows * cols):
            axes[j // cols][j % cols].set_visible(False)
        out.append(FigureSpec(
            "learning_curves", "fig-learning-curves-each",
            "one learning-curve chart per model",
            "One chart per model, every size (same y axis): dots are repeats, the solid "
            "line the mean with its 95 % CI band, the dotted line the fitted curve with "
            "its 50 % and 90 % bands, the star the tipping point.",
            svg_data_uri(fig)))
    dm = s.get("data_vs_model")
    if dm and dm.get("today"):
        fig = _figure(10.5, max(3.4, 0.5 * len(dm["today"]) + 2.2))
        a1, a2 = fig.subplots(1, 2, width_ratios=[1, 1.3], gridspec_kw={"wspace": 0.45})
        disp = ModelDifferenceDisplay(dm)
        disp.plot(ax=a1, kind="today")
        disp.plot(ax=a2, kind="projected")
        out.append(FigureSpec(
            "data_vs_model", "fig-data-vs-model",
            "paired differences between models today and projected as labels are added",
            "Left: today's paired difference per pair of models with its confidence "
            "interval. Right: the expected difference as labels are added, 5–95 % band; "
            "dotted verticals mark crossings.", svg_data_uri(fig)))
    mv = s.get("marginal_value")
    if mv and mv.get("chart") and mv["chart"].get("models"):
        fig = _figure(8.5, 4.4)
        MarginalValueDisplay(mv["chart"]).plot(ax=fig.add_subplot())
        out.append(FigureSpec(
            "marginal_value", "fig-marginal-value",
            "expected gain per 1,000 added labels against added labels",
            "Expected gain per 1,000 added labels (averaged over the purchase) with 50 % "
            "and 90 % bands; the dash-dotted line is the cost break-even.", svg_data_uri(fig)))
    if mv and mv.get("frontier") and mv["frontier"].get("options"):
        fig = _figure(8.5, 4.8)
        CostFrontierDisplay(mv["frontier"]).plot(ax=fig.add_subplot())
        out.append(FigureSpec(
            "marginal_value", "fig-cost-frontier",
            "cost against expected metric of every option, efficient frontier highlighted",
            "Every option's cost and expected metric (5–95 % of the gain as error bars); "
            "the black step line is the efficient frontier, the star the recommendation, "
            "hollow markers are excluded options.", svg_data_uri(fig)))
    return out
