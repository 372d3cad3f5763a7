"""The cost model: labels (with QA), labeling rounds, compute, engineering, and value.

Example:
    >>> from dataroi.spec import CostSpec
    >>> cm = CostModel(CostSpec(price_per_label_usd=0.1, labels_per_item=2,
    ...                         fixed_cost_per_round_usd=50, value_per_point_usd=1000))
    >>> cm.labeling_usd(1000), cm.labeling_usd(0)
    (250.0, 0.0)
    >>> cm.value_usd(0.02)   # 2 points (point = 0.01) worth 1,000 each
    2000.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dataroi.exceptions import UsageError
from dataroi.spec import CostSpec

__all__ = ["CostModel"]


@dataclass(frozen=True)
class CostModel:
    """Prices options from a :class:`~dataroi.spec.CostSpec`.

    Missing optional prices (compute, engineering) count as 0 and are listed in
    :meth:`notes`; a price needed for the asked computation (labels, value of a point)
    raises a :class:`UsageError` naming the field.
    """

    spec: CostSpec = field(default_factory=CostSpec)

    @property
    def has_value(self) -> bool:
        """Whether gains can be expressed in money (``costs.value_per_point_usd`` set)."""
        return self.spec.value_per_point_usd is not None

    def notes(self) -> list[str]:
        """What is not priced, in plain words."""
        out = []
        if self.spec.compute_price_per_hour_usd is None:
            out.append("compute is not priced (costs.compute_price_per_hour_usd not set)")
        if self.spec.engineering_cost_usd is None:
            out.append("switching models is not priced (costs.engineering_cost_usd not set)")
        if not self.has_value:
            out.append("gains are not valued in money (costs.value_per_point_usd not set)")
        return out

    def labeling_usd(self, delta_n: float) -> float:
        """Cost of ``delta_n`` more labeled items in one round (0 for none;
        :meth:`dataroi.spec.CostSpec.labeling_usd`)."""
        return self.spec.labeling_usd(delta_n)

    def relabeling_usd(self, items: float, opinions: int) -> float:
        """Cost of ``opinions`` more labels on each of ``items`` items, in one round (0 for
        none; :meth:`dataroi.spec.CostSpec.relabeling_usd`).

        Example:
            >>> CostModel(CostSpec(price_per_label_usd=0.5)).relabeling_usd(1000, 2)
            1000.0
        """
        return self.spec.relabeling_usd(items, opinions)

    def labeling_days(self, delta_n: float) -> float | None:
        """Days to label ``delta_n`` items at the spec's throughput (None: not limited)."""
        if self.spec.labels_per_day is None:
            return None
        return float(delta_n / self.spec.labels_per_day)

    def label_limits(self) -> dict[str, float]:
        """The limits on added labels, by what sets them (empty: unlimited).

        ``"deadline"``: throughput × days to the deadline; ``"pool"``: the unlabeled items
        available (``costs.unlabeled_items``).

        Example:
            >>> CostModel(CostSpec(labels_per_day=100, deadline_days=5,
            ...                    unlabeled_items=300)).label_limits()
            {'deadline': 500.0, 'pool': 300.0}
        """
        out = {}
        if self.spec.labels_per_day is not None and self.spec.deadline_days is not None:
            out["deadline"] = float(self.spec.labels_per_day * self.spec.deadline_days)
        if self.spec.unlabeled_items is not None:
            out["pool"] = float(self.spec.unlabeled_items)
        return out

    def horizon_factor(self, current_n: int, default: float = 64.0) -> float:
        """How far projections should look, in multiples of today's labels added: the
        unlabeled pool when it is smaller than ``default`` × today (at least 0.1×).

        Example:
            >>> CostModel(CostSpec(unlabeled_items=3000)).horizon_factor(1000)
            3.0
            >>> CostModel(CostSpec()).horizon_factor(1000)
            64.0
        """
        pool = self.label_limits().get("pool")
        if pool is None or current_n <= 0:
            return default
        return float(min(default, max(pool / current_n, 0.1)))

    def compute_usd(self, training_seconds: float) -> float:
        """Price of ``retrains`` trainings of ``training_seconds`` each: the CPU-hours at
        ``compute_price_per_hour_usd`` plus their energy at ``energy_price_per_kwh``
        (0 for what is unpriced).

        Example:
            >>> cm = CostModel(CostSpec(compute_price_per_hour_usd=0.1,
            ...                         energy_price_per_kwh=0.3, retrains=2))
            >>> round(cm.compute_usd(3600.0), 4)   # 2 h × $0.10 + 2 h × 10 W × $0.30/kWh
            0.206
        """
        if not math.isfinite(training_seconds):
            return 0.0
        out = 0.0
        price = self.spec.compute_price_per_hour_usd
        if price is not None:
            out += self.spec.retrains * training_seconds / 3600.0 * price
        if self.spec.energy_price_per_kwh is not None:
            out += self.energy_kwh(training_seconds) * self.spec.energy_price_per_kwh
        return float(out)

    def energy_kwh(self, training_seconds: float) -> float:
        """Energy of ``retrains`` trainings of ``training_seconds`` CPU seconds each, at
        ``watts_per_core`` (a documented estimate, not a measurement).

        Example:
            >>> CostModel(CostSpec(watts_per_core=20)).energy_kwh(3600.0)
            0.02
        """
        if not math.isfinite(training_seconds):
            return 0.0
        return float(self.spec.retrains * training_seconds * self.spec.watts_per_core
                     / 3.6e6)

    def co2_g(self, training_seconds: float) -> float | None:
        """Grams of CO2 of :meth:`energy_kwh` (None without ``costs.co2_g_per_kwh``)."""
        if self.spec.co2_g_per_kwh is None:
            return None
        return self.energy_kwh(training_seconds) * self.spec.co2_g_per_kwh

    def engineering_usd(self, model: str, current_model: str) -> float:
        """Cost of switching from ``current_model`` to ``model`` (0 when not switching)."""
        if model == current_model:
            return 0.0
        eng = self.spec.engineering_cost_usd
        if eng is None:
            return 0.0
        if isinstance(eng, dict):
            return float(eng.get(model, 0.0))
        return float(eng)

    def value_usd(self, gain: Any) -> Any:
        """Money value of a metric gain (metric units): gain / point × value × periods.

        Raises:
            UsageError: naming ``costs.value_per_point_usd`` when it is not set.
        """
        if self.spec.value_per_point_usd is None:
            raise UsageError("costs.value_per_point_usd is needed to express gains in money "
                             "(net value, ROI, the expected_net rule); add it to the spec's "
                             "costs: section, or decide by a target (decision.target)")
        factor = self.spec.value_per_point_usd * self.spec.periods / self.spec.point
        return np.asarray(gain, dtype=float) * factor if np.ndim(gain) else float(
            gain * factor)
