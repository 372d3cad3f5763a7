"""dataroi._money: one way to show dollars everywhere."""

import math

from dataroi._money import amount, usd


def test_usd_puts_the_sign_before_the_dollar():
    assert usd(1500) == "$1,500"
    assert usd(-104.4) == "-$104"
    assert usd(-0.4) == "$0"  # rounds to zero: no sign
    assert usd(1_234_567.8) == "$1,234,568"


def test_usd_missing_and_infinite():
    assert usd(None) == "n/a"
    assert usd(math.nan) == "n/a"
    assert usd(math.inf) == "$∞" and usd(-math.inf) == "-$∞"


def test_amount_never_writes_an_exponent_from_a_thousand_up():
    """Impact figures per evaluation set read '-1.275e+04 [-1.765e+04 to -7,966] USD'."""
    assert amount(-12754.3) == "-12,754" and amount(-7966.2) == "-7,966"
    assert amount(1e6) == "1,000,000" and amount(-3.65432) == "-3.654"
    assert amount(0.000123) == "0.000123" and amount(12.5, 2) == "12"
    assert amount(None) == amount(math.nan) == "n/a" and amount(-math.inf) == "-∞"
