"""The command-line tables' number formats."""

from __future__ import annotations

import pytest

from dataroi.cli._format import small


@pytest.mark.parametrize(("value", "text"), [
    (0.0018, "+0.0018"),
    (0.0000123, "+0.000012"),
    (-0.25, "-0.2500"),
    (9.87654, "+9.8765"),
    (12.34567, "+12.35"),
    (-1523.4567, "-1,523"),
    (2.5e6, "+2,500,000"),
])
def test_a_gain_per_1k_prints_its_significant_digits_whatever_its_scale(value, text):
    # a regression's error in dollars gains hundreds per 1,000 labels: four decimals
    # of that are noise
    assert small(value, sign=True) == text


def test_the_digits_setting_holds_for_large_values_too():
    assert small(1523.4567, digits=5) == "1,523.5"
    assert small(0.000012345, digits=5) == "0.000012"
