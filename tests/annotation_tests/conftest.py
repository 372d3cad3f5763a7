"""Simulated annotations with known truth, shared by the annotation tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest


@dataclass
class Simulation:
    frame: pd.DataFrame
    truth: np.ndarray  # true class per item
    confusion: np.ndarray  # (J, K, K) true confusion matrices
    priors: np.ndarray


def simulate(*, n_items: int = 600, accuracies=(0.92, 0.85, 0.75, 0.6, 0.5),
             priors=(0.5, 0.3, 0.2), per_item: int = 3, seed: int = 7) -> Simulation:
    """Each item gets ``per_item`` distinct random annotators; an annotator with accuracy
    ``p`` reports the true class with probability ``p``, else a uniformly random other
    class."""
    rng = np.random.default_rng(seed)
    k, j = len(priors), len(accuracies)
    truth = rng.choice(k, size=n_items, p=priors)
    confusion = np.empty((j, k, k))
    for a, p in enumerate(accuracies):
        confusion[a] = (1 - p) / (k - 1)
        np.fill_diagonal(confusion[a], p)
    rows = []
    for i in range(n_items):
        for a in rng.choice(j, size=per_item, replace=False):
            rows.append((f"item{i}", f"ann{a}", int(rng.choice(k, p=confusion[a, truth[i]]))))
    frame = pd.DataFrame(rows, columns=["item", "annotator", "label"])
    return Simulation(frame, truth, confusion, np.asarray(priors))


@pytest.fixture(scope="session")
def sim() -> Simulation:
    return simulate()
