"""The study facade: plan, run (coordinator loop), status, trials, reproduce."""

from dataroi.study._coordinator import Interrupted, WorkerCrashed
from dataroi.study._study import RunSummary, Study, StudyStatus, load_study
from dataroi.study._tables import mean_ci, summary_frame, trials_frame

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
