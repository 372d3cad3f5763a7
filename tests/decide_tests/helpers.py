"""Shared fixtures of the decide tests: two models still rising at 512 labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dataroi.spec import CostSpec


def rising() -> pd.DataFrame:
    """Two models still rising at 512 labels (accuracy), five repeats."""
    rng = np.random.default_rng(7)
    rows = []
    for m, top, k in (("lr", 0.88, 1.2), ("gb", 0.93, 2.2)):
        for n in (64, 128, 256, 512):
            for r in range(5):
                v = top - k / n ** 0.5 + rng.normal(0, 0.003)
                rows.append({"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
                             "value": v, "train_value": min(1.0, v + 0.08)})
    return pd.DataFrame(rows)


#: labels to add: today's N again, and on to 4N, 8N, 16N
ADD = [512, 1536, 3584, 7680]


def costs(**kw: object) -> CostSpec:
    """$0.50 a label, $2,000 an accuracy point, $500 to switch (and ``kw``)."""
    return CostSpec(price_per_label_usd=0.5, value_per_point_usd=2000,
                    engineering_cost_usd=500, **kw)
