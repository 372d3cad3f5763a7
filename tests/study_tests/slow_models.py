"""Real scikit-learn models slowed down on purpose, for interruption tests."""

from __future__ import annotations

import time
from typing import Any

from sklearn.linear_model import LogisticRegression


class SlowLogisticRegression(LogisticRegression):
    """LogisticRegression whose fit first sleeps ``delay`` seconds."""

    def __init__(self, delay: float = 0.3, max_iter: int = 500, random_state: Any = None):
        super().__init__(max_iter=max_iter, random_state=random_state)
        self.delay = delay

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> SlowLogisticRegression:
        time.sleep(self.delay)
        return super().fit(X, y, sample_weight=sample_weight)


def make_slow(delay: float = 0.3) -> SlowLogisticRegression:
    """Factory form (``tests.study_tests.slow_models:make_slow``)."""
    return SlowLogisticRegression(delay=delay)
