"""The fit cache: a second fit of the same trials reads fits and gain forecasts back and
gives the same curves, draw for draw; a damaged entry is recomputed, never trusted."""

from __future__ import annotations

import numpy as np

from dataroi.value import FitCache, fit_study_curves


def _gain_entries(root) -> list:
    return [p for p in root.rglob("*.json")]


def test_a_cached_fit_draws_exactly_as_the_first(iris_study, tmp_path):
    trials = iris_study.trials()
    cache = FitCache(tmp_path / "fits")
    first = fit_study_curves(trials, metric="accuracy", cache=cache)
    entries = _gain_entries(tmp_path / "fits")
    assert entries, "nothing was cached"
    again = fit_study_curves(trials, metric="accuracy", cache=cache)
    plain = fit_study_curves(trials, metric="accuracy")
    n = [first.current_n * k for k in (1, 2, 3, 8, 40)]
    for m in first.models:
        assert np.array_equal(first.draws(m, n, 500), again.draws(m, n, 500))
        assert np.array_equal(first.draws(m, n, 500), plain.draws(m, n, 500))
        if m in first.forecasts:
            assert np.array_equal(first.forecasts[m].mean, again.forecasts[m].mean)
            assert np.array_equal(first.forecasts[m].scale, again.forecasts[m].scale)
    # a damaged entry is a miss: recomputed, the same numbers
    for path in entries:
        path.write_text(path.read_text().replace("0", "1", 1))
    damaged = fit_study_curves(trials, metric="accuracy", cache=cache)
    for m in first.models:
        assert np.array_equal(first.draws(m, n, 500), damaged.draws(m, n, 500))


def test_named_arrays_round_trip_with_nan(tmp_path):
    cache = FitCache(tmp_path)
    key = cache.key_of("gain-features", np.array([1.0, 2.0]))
    assert cache.get_arrays(key) is None
    cache.put_arrays(key, {"pow3": np.array([0.5, np.nan]), "pow2": np.array([1e-17])})
    got = cache.get_arrays(key)
    assert got["pow3"][0] == 0.5 and np.isnan(got["pow3"][1]) and got["pow2"][0] == 1e-17
    assert FitCache(None).get_arrays(key) is None  # no root: caches nothing
    assert cache.key_of("gain-features", np.array([1.0, 2.5])) != key
