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


class ThreadsEcho(LogisticRegression):
    """LogisticRegression whose probabilities carry the BLAS thread limit it was fitted
    under (scaled into the last bits): a stand-in for the linear models whose float sums,
    hence predictions, depend on the threads, made to depend on them every time."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> ThreadsEcho:
        from threadpoolctl import threadpool_info

        self.threads_ = max((p["num_threads"] for p in threadpool_info()), default=1)
        return super().fit(X, y, sample_weight=sample_weight)

    def predict_proba(self, X: Any) -> Any:
        p = super().predict_proba(X)
        p[:, 0] += 1e-9 * self.threads_
        return p / p.sum(axis=1, keepdims=True)



class SigtermOnFit(LogisticRegression):
    """LogisticRegression whose ``at``-th fit in this process sends SIGTERM to it (count
    in ``SigtermOnFit.fits``; reset it before a run)."""

    fits = 0

    def __init__(self, at: int = 3, max_iter: int = 500, random_state: Any = None):
        super().__init__(max_iter=max_iter, random_state=random_state)
        self.at = at

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> SigtermOnFit:
        import os
        import signal

        type(self).fits += 1
        if type(self).fits == self.at:
            os.kill(os.getpid(), signal.SIGTERM)
        return super().fit(X, y, sample_weight=sample_weight)
