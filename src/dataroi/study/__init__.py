"""The study facade: plan, run (coordinator loop), status, trials, reproduce."""

from dataroi._lazy import lazy_exports
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
    "model_modules",
    "summary_frame",
    "trials_frame",
]


__getattr__, __dir__ = lazy_exports(__name__, {
    "model_modules": "_environment",
    "mean_ci": "dataroi.trial", "summary_frame": "dataroi.trial",
    "trials_frame": "dataroi.trial"}, globals())
