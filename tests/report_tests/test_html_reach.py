"""The reports state what reaching a target means for the metric's direction (one helper
for the HTML and the Markdown renderers)."""

from __future__ import annotations

from dataroi.report._html import reach


def test_reach_follows_the_metric_direction_and_defaults_to_at_least():
    assert reach({"higher_is_better": True}) == "≥"
    assert reach({"higher_is_better": False}) == "≤"
    assert reach({}) == "≥"  # documents before schema 1.4
