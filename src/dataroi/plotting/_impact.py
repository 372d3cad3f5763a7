"""Displays of a model change's impact: segment differences (a forest plot) and the
difference per period, each drawn from its info dictionary (``dataroi.impact`` makes
the numbers).

Example:
    >>> from matplotlib.figure import Figure
    >>> info = {"labels": ["region=north", "overall"], "estimates": [0.5, 0.8],
    ...         "ci_low": [0.1, 0.6], "ci_high": [0.9, 1.0], "worse": [False, False],
    ...         "is_overall": [False, True], "xlabel": "USD per row"}
    >>> disp = ForestDisplay(info).plot(ax=Figure().add_subplot())
    >>> [t.get_text() for t in disp.ax_.get_yticklabels()]
    ['region=north', 'overall']
    >>> disp = ForestDisplay({**info, "margin": 0.3}).plot(ax=Figure().add_subplot())
    >>> [t.get_text() for t in disp.ax_.texts]
    ['-margin (-0.3)']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ForestDisplay", "PeriodsDisplay"]

_WORSE, _OVERALL, _OTHER, _BAND = "#D55E00", "#0072B2", "#555555", "#56B4E9"


def _axes(ax: Any, width: float, height: float) -> Any:
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height)).add_subplot()


@dataclass
class ForestDisplay:
    """Segment differences with their intervals, the overall difference last, and the
    no-harm gate's ``-margin`` (``info["margin"]``) as a dotted line."""

    info: dict[str, Any]
    ax_: Any = field(default=None, repr=False)
    figure_: Any = field(default=None, repr=False)

    def plot(self, ax: Any = None) -> ForestDisplay:
        n = len(self.info["labels"])
        ax = _axes(ax, 7.5, 0.35 * n + 1.2)
        ys = list(range(n))[::-1]
        for y, est, lo, hi, worse, overall in zip(
                ys, self.info["estimates"], self.info["ci_low"], self.info["ci_high"],
                self.info["worse"], self.info["is_overall"], strict=True):
            color = _WORSE if worse else (_OVERALL if overall else _OTHER)
            ax.plot([lo, hi], [y, y], color=color, lw=2)
            ax.plot([est], [y], marker="D" if overall else "o", color=color)
        ax.axvline(0, color="#999999", lw=1, ls="--")
        margin = self.info.get("margin")
        if margin:  # the no-harm gate's line: a segment's lower bound must lie right of it
            ax.axvline(-margin, color=_WORSE, lw=1, ls=":")
            ax.annotate(f"-margin ({-margin:,.4g})", xy=(-margin, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(2, -10),
                        textcoords="offset points", fontsize=7, color=_WORSE)
        ax.set_yticks(ys)
        ax.set_yticklabels(self.info["labels"], fontsize=8)
        ax.set_xlabel(self.info.get("xlabel", ""), fontsize=8)
        ax.figure.tight_layout()
        self.ax_, self.figure_ = ax, ax.figure
        return self


@dataclass
class PeriodsDisplay:
    """The difference per period with its intervals."""

    info: dict[str, Any]
    ax_: Any = field(default=None, repr=False)
    figure_: Any = field(default=None, repr=False)

    def plot(self, ax: Any = None) -> PeriodsDisplay:
        ax = _axes(ax, 7.5, 3.0)
        x = list(range(len(self.info["periods"])))
        ax.fill_between(x, self.info["ci_low"], self.info["ci_high"], color=_BAND, alpha=0.5)
        ax.plot(x, self.info["estimates"], color=_OVERALL, marker="o")
        ax.axhline(0, color="#999999", lw=1, ls="--")
        ax.set_xticks(x)
        ax.set_xticklabels(self.info["periods"], rotation=45, fontsize=7, ha="right")
        ax.set_ylabel(self.info["ylabel"], fontsize=8)
        ax.figure.tight_layout()
        self.ax_, self.figure_ = ax, ax.figure
        return self
