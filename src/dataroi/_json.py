"""One JSON-safe conversion for every document dataroi writes (reports, results, rows).

Example:
    >>> import numpy as np
    >>> json_safe({"a": np.float64("nan"), 1: (np.int64(2), float("inf"))})
    {'a': None, '1': [2, None]}
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

__all__ = ["json_safe"]


def json_safe(obj: Any) -> Any:
    """A copy that ``json.dumps`` writes as standard JSON.

    NaN and infinities become None, numpy scalars and arrays plain Python, tuples lists,
    keys strings, datetimes ISO text; other unknown objects their ``str``.
    """
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, dt.datetime | dt.date):
        return obj.isoformat()
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return json_safe(obj.tolist())
    if hasattr(obj, "item"):
        return json_safe(obj.item())
    return str(obj)
