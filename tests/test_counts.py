"""dataroi._counts: label counts in three digits, with the unit that fits."""

import math

from dataroi._counts import short_count


def test_short_count_picks_the_unit_that_fits():
    assert short_count(0) == "0"
    assert short_count(950.4) == "950"
    assert short_count(56_600) == "56.6k"
    # the military study (1.13M labels) printed "1.19e+03k" and "7.24e+04k" before
    assert short_count(1_190_000) == "1.19M"
    assert short_count(72_400_000) == "72.4M"
    assert short_count(3.2e9) == "3.2G"


def test_short_count_rounds_up_into_the_next_unit():
    assert short_count(999.6) == "1k"
    assert short_count(999_999) == "1M"


def test_short_count_infinite():
    assert short_count(math.inf) == "∞"
    assert short_count(-math.inf) == "-∞"
