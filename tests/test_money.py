"""dataroi._money: one way to show dollars everywhere."""

import math

from dataroi._money import usd


def test_usd_puts_the_sign_before_the_dollar():
    assert usd(1500) == "$1,500"
    assert usd(-104.4) == "-$104"
    assert usd(-0.4) == "$0"  # rounds to zero: no sign
    assert usd(1_234_567.8) == "$1,234,568"


def test_usd_missing_and_infinite():
    assert usd(None) == "n/a"
    assert usd(math.nan) == "n/a"
    assert usd(math.inf) == "$∞" and usd(-math.inf) == "-$∞"
