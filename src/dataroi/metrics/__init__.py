"""Metrics a study can score (several per fit; the first named is the primary one)."""

from dataroi.metrics._registry import (
    METRICS,
    Metric,
    expected_calibration_error,
    get_metric,
    metric_names,
)

__all__ = ["METRICS", "Metric", "expected_calibration_error", "get_metric", "metric_names"]
