"""The study facade: plan, run (coordinator loop), status, trials, reproduce."""

from dataroi._lazy import lazy_exports
from dataroi.exceptions import Interrupted, WorkerCrashed
from dataroi.study._study import RunSummary, Study, StudyStatus, ledger_location, load_study

__all__ = [
    "AdaptiveRun",
    "AdaptiveSchedule",
    "AdaptiveStep",
    "Interrupted",
    "RunSummary",
    "Study",
    "StudyStatus",
    "TrialChoice",
    "UntilDecided",
    "WorkerCrashed",
    "ledger_location",
    "load_study",
    "mean_ci",
    "model_modules",
    "replay",
    "run_until_decided",
    "stability",
    "summary_frame",
    "trials_frame",
]


__getattr__, __dir__ = lazy_exports(__name__, {
    "model_modules": "_environment",
    "AdaptiveRun": "_adaptive", "AdaptiveSchedule": "_adaptive", "AdaptiveStep": "_adaptive",
    "TrialChoice": "_adaptive", "replay": "_adaptive", "stability": "_adaptive",
    "UntilDecided": "_adaptive", "run_until_decided": "_adaptive",
    "mean_ci": "dataroi.trial", "summary_frame": "dataroi.trial",
    "trials_frame": "dataroi.trial"}, globals())
