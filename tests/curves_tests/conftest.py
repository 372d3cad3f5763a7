"""Shared fixtures for the curves tests (no network)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def lcdb_curves() -> list[tuple[int, str, np.ndarray, np.ndarray]]:
    """24 real LCDB 1.0 curves (MIT, Copyright (c) 2021 Felix Mohr): (id, learner, n, err)."""
    z = np.load(DATA / "lcdb_fixture.npz")
    out = []
    for k, (oid, learner) in enumerate(zip(z["openmlid"], z["learner"], strict=True)):
        rows = z["curve"] == k
        out.append((int(oid), str(learner), z["size"][rows], z["error"][rows]))
    return out


@pytest.fixture(scope="session")
def lcdb_train_error() -> list[np.ndarray]:
    """Training error (1 - LCDB's ``score_train``) of the same 24 curves and seeds, one
    ``(n_sizes, 10)`` array per curve in the order of :func:`lcdb_curves`."""
    z = np.load(DATA / "lcdb_fixture.npz")
    return [z["train_error"][z["curve"] == k] for k in range(len(z["openmlid"]))]
