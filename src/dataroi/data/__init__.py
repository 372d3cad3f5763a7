"""Data: loaders, content fingerprint, split, nested subsets, the worker data store, the
checks of a prepared table before the first trial, and a study spec drafted from a table
(``dataroi init --from``)."""

from dataroi.data._checks import (
    DataCheck,
    check_columns,
    check_data,
    check_groups,
    check_leaks,
    check_missing_codes,
    check_schedule,
    check_test_classes,
    raise_for_errors,
)
from dataroi.data._columns import (
    ColumnProfile,
    PreprocessPlan,
    plan_preprocessing,
    preprocess_summary,
    profile_arrays,
    profile_frame,
)
from dataroi.data._draft import TARGET_NAMES, SpecDraft, draft_spec, target_column
from dataroi.data._drift import load_summary, save_summary, summarise, what_moved
from dataroi.data._fingerprint import fingerprint_frame
from dataroi.data._load import BUILTIN_DATASETS, is_builtin_source, read_table, resolve_path
from dataroi.data._prepare import PreparedData, infer_task, prepare_data
from dataroi.data._store import WorkerData, cache_name, materialize, verify_cache
from dataroi.data._subsets import nested_permutation

__all__ = [
    "BUILTIN_DATASETS",
    "TARGET_NAMES",
    "ColumnProfile",
    "DataCheck",
    "PreparedData",
    "PreprocessPlan",
    "SpecDraft",
    "WorkerData",
    "cache_name",
    "check_columns",
    "check_data",
    "check_groups",
    "check_leaks",
    "check_missing_codes",
    "check_schedule",
    "check_test_classes",
    "draft_spec",
    "fingerprint_frame",
    "infer_task",
    "is_builtin_source",
    "load_summary",
    "materialize",
    "nested_permutation",
    "plan_preprocessing",
    "prepare_data",
    "preprocess_summary",
    "profile_arrays",
    "profile_frame",
    "raise_for_errors",
    "read_table",
    "resolve_path",
    "save_summary",
    "summarise",
    "target_column",
    "verify_cache",
    "what_moved",
]
