"""The Markdown report states what reaching a target means for the metric's direction."""

from __future__ import annotations

from dataroi.report._markdown import _reach


def test_reach_follows_the_metric_direction_and_defaults_to_at_least():
    assert _reach({"higher_is_better": True}) == "≥"
    assert _reach({"higher_is_better": False}) == "≤"
    assert _reach({}) == "≥"  # documents before schema 1.4
