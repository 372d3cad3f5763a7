"""The study facade: plan, run (coordinator loop), status, trials, reproduce."""

from dataroi.exceptions import Interrupted, WorkerCrashed
from dataroi.study._study import RunSummary, Study, StudyStatus, load_study

__all__ = [
    "Interrupted",
    "RunSummary",
    "Study",
    "StudyStatus",
    "WorkerCrashed",
    "load_study",
    "mean_ci",
    "summary_frame",
    "trials_frame",
]


def __getattr__(name: str) -> object:  # tables need pandas/scipy: load them when used
    if name in ("mean_ci", "summary_frame", "trials_frame"):
        from dataroi.study import _tables

        return getattr(_tables, name)
    raise AttributeError(f"module 'dataroi.study' has no attribute {name!r}")
