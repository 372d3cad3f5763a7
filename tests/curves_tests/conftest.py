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
