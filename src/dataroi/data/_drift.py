"""What moved between two versions of a study's data, column by column.

A run keeps a small summary of the data it ran on (per column: kind, missing share; mean,
standard deviation, quantiles of a number; the shares of the most frequent values of a
category) in ``<workdir>/cache/column-summaries/<fingerprint>.json``. ``dataroi check``
summarises the data as it is now and, when its fingerprint differs from the one the last
run used, lists what moved: columns added or removed, a changed kind, the missing share
(by more than 1 point), a number's mean (by more than 0.1 of its standard deviation) or
range, a category's shares (total variation distance above 0.05, and new or vanished
values), the row count.

No data row is kept: only aggregates (the most frequent values of a category are named,
as a report names class labels).

Example:
    >>> import numpy as np, pandas as pd
    >>> old = summarise(pd.DataFrame({"x": np.arange(100.0), "c": ["a", "b"] * 50}))
    >>> new = summarise(pd.DataFrame({"x": np.arange(100.0) + 40, "c": ["a"] * 90 + ["b"] * 10}))
    >>> for line in what_moved(old, new):
    ...     print(line)
    rows: 100 → 100
    column 'c': shares moved by 0.40 (total variation): a 50.0% → 90.0%, b 50.0% → 10.0%
    column 'x': mean 49.5 → 89.5 (+1.39 sd); range [0, 99] → [40, 139]
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load_summary", "save_summary", "summarise", "what_moved"]

#: values of a category kept in a summary (the most frequent)
TOP = 20
MISSING_POINTS = 0.01
MEAN_SD = 0.1
TV = 0.05


def summarise(frame: pd.DataFrame) -> dict[str, Any]:
    """Aggregates of every column (JSON-ready; no row)."""
    import pandas as pd

    cols: dict[str, Any] = {}
    for name in frame.columns:
        s = frame[name]
        entry: dict[str, Any] = {"missing": float(s.isna().mean()) if len(s) else 0.0}
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            v = pd.to_numeric(s, errors="coerce").astype(float)
            v = v[v.notna() & v.abs().lt(math.inf)]
            entry |= {"kind": "number"}
            if len(v):
                entry |= {"mean": float(v.mean()), "sd": float(v.std(ddof=0)),
                          "min": float(v.min()), "max": float(v.max()),
                          "q50": float(v.quantile(0.5))}
        else:
            shares = s.astype("string").value_counts(normalize=True, dropna=True)
            entry |= {"kind": "category", "distinct": int(shares.size),
                      "top": {str(k): float(p) for k, p in shares.head(TOP).items()}}
        cols[str(name)] = entry
    return {"rows": len(frame), "columns": cols}


def _num(v: float) -> str:
    return f"{v:.4g}"


def what_moved(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One line per change between two summaries (empty: nothing moved beyond the
    thresholds); the row count first."""
    out = [f"rows: {old['rows']:,} → {new['rows']:,}"]
    a, b = old["columns"], new["columns"]
    for name in sorted(set(a) | set(b)):
        if name not in b:
            out.append(f"column {name!r}: removed")
            continue
        if name not in a:
            out.append(f"column {name!r}: added ({b[name]['kind']})")
            continue
        x, y = a[name], b[name]
        parts = []
        if x["kind"] != y["kind"]:
            parts.append(f"kind {x['kind']} → {y['kind']}")
        if abs(y["missing"] - x["missing"]) > MISSING_POINTS:
            parts.append(f"missing {x['missing']:.1%} → {y['missing']:.1%}")
        if x["kind"] == y["kind"] == "number" and "mean" in x and "mean" in y:
            sd = max(x["sd"], 1e-12)
            shift = (y["mean"] - x["mean"]) / sd
            if abs(shift) > MEAN_SD:
                parts.append(f"mean {_num(x['mean'])} → {_num(y['mean'])} ({shift:+.2f} sd)")
            wider = y["min"] < x["min"] or y["max"] > x["max"]
            if (y["min"], y["max"]) != (x["min"], x["max"]) and (abs(shift) > MEAN_SD
                                                                  or wider):
                parts.append(f"range [{_num(x['min'])}, {_num(x['max'])}] → "
                             f"[{_num(y['min'])}, {_num(y['max'])}]")
        elif x["kind"] == y["kind"] == "category":
            keys = set(x["top"]) | set(y["top"])
            tv = 0.5 * sum(abs(x["top"].get(k, 0.0) - y["top"].get(k, 0.0)) for k in keys)
            if tv > TV:
                moved = sorted(keys, key=lambda k: -abs(x["top"].get(k, 0.0)
                                                         - y["top"].get(k, 0.0)))[:3]
                parts.append(f"shares moved by {tv:.2f} (total variation): " + ", ".join(
                    f"{k} {x['top'].get(k, 0.0):.1%} → {y['top'].get(k, 0.0):.1%}"
                    for k in sorted(moved)))
            if y["distinct"] != x["distinct"]:
                parts.append(f"{x['distinct']:,} → {y['distinct']:,} distinct values")
        if parts:
            out.append(f"column {name!r}: " + "; ".join(parts))
    return out


def save_summary(folder: Path, fingerprint: str, summary: dict[str, Any]) -> Path:
    """Write ``summary`` as ``<folder>/<fingerprint>.json`` (atomically)."""
    from dataroi._files import write_atomic

    path = Path(folder) / f"{fingerprint}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(summary, sort_keys=True))
    return path


def load_summary(folder: Path, fingerprint: str) -> dict[str, Any] | None:
    """The summary saved for ``fingerprint`` (None: none, or unreadable)."""
    path = Path(folder) / f"{fingerprint}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
