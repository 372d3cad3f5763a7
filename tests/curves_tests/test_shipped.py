"""The learned files shipped in the package and their digest (the fit-cache key)."""

from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np

from dataroi.curves import _fit
from dataroi.curves._shipped import LEARNED_FILES, learned_files_digest
from dataroi.value import FitCache as _FitCache


def test_every_learned_file_is_installed_and_digested() -> None:
    assert set(LEARNED_FILES) == {"stacker.json", "stacker_train.json", "calibration.json",
                                  "calibration_train.json"}
    root = resources.files("dataroi.curves")
    h = hashlib.sha256()
    for name in LEARNED_FILES:
        data = root.joinpath(name).read_bytes()  # package data: present in the install
        assert data.startswith(b"{")
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    assert learned_files_digest() == h.hexdigest()


def test_fit_cache_key_follows_the_shipped_models(monkeypatch) -> None:
    args = ("curve", "lr", np.array([10.0, 20.0]), np.ones((2, 3)), True, "auto", 0)
    key = _FitCache.key(*args)
    assert _FitCache.key(*args) == key
    assert _FitCache.key("curve+train", *args[1:]) != key
    # new gates or tables under the same version string: another key, so a refit
    import dataroi.curves as curves_pkg

    monkeypatch.setattr(curves_pkg, "learned_files_digest", lambda: "0" * 64)
    assert _FitCache.key(*args) != key
    # a changed fitting procedure (its revision bumped): another key too
    changed = _FitCache.key(*args)
    monkeypatch.setattr(curves_pkg, "FIT_REVISION", _fit.FIT_REVISION + 1)
    assert _FitCache.key(*args) != changed
