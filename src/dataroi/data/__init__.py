"""Data: loaders, content fingerprint, split, nested subsets, the worker data store."""

from dataroi.data._fingerprint import fingerprint_frame
from dataroi.data._load import BUILTIN_DATASETS, read_table
from dataroi.data._prepare import PreparedData, infer_task, prepare_data
from dataroi.data._store import WorkerData, cache_name, materialize
from dataroi.data._subsets import nested_permutation

__all__ = [
    "BUILTIN_DATASETS",
    "PreparedData",
    "WorkerData",
    "cache_name",
    "fingerprint_frame",
    "infer_task",
    "materialize",
    "nested_permutation",
    "prepare_data",
    "read_table",
]
