"""Say which model and which column a failed trial tripped over.

scikit-learn's messages for a table a model cannot take name neither the model nor the
column (``could not convert string to float: 'No'``, ``Input X contains NaN``). The
worker passes a failure through :func:`explain_failure`, which finds the column(s) in
the trial's rows and writes one line that names them, the model and what to do.

Example:
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"student": pd.Categorical(["No", "Yes"]), "x": [1.0, None]})
    >>> off = TrialModel(LogisticRegression(), "off")
    >>> print(explain_failure(ValueError("could not convert string to float: 'No'"), X,
    ...                       model="lr", built=off))
    model 'lr': column 'student' holds text ('No') that LogisticRegression cannot take; \
preprocess: mode none was set (remove it to let dataroi encode such columns)
    >>> print(explain_failure(ValueError("Input X contains NaN."), X, model="lr",
    ...                       built=off).split(";")[0])
    model 'lr': column 'x' holds missing values (NaN) that LogisticRegression cannot take
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi.trial._preprocess import TrialModel

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["explain_failure"]

_TEXT_RE = re.compile(r"could not convert string to float: (.+)$")


def _final_name(est: Any) -> str:
    while hasattr(est, "steps") and est.steps:
        est = est.steps[-1][1]
    return type(est).__name__


def _names(cols: list[str]) -> str:
    shown = ", ".join(f"'{c}'" for c in cols[:5])
    more = f" and {len(cols) - 5} more" if len(cols) > 5 else ""
    return f"column {shown}" if len(cols) == 1 else f"columns {shown}{more}"


def _is_text(col: pd.Series) -> bool:
    import pandas as pd

    return (isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object
            or pd.api.types.is_string_dtype(col))


def _holding_text(frames: list[pd.DataFrame], value: str | None) -> list[str]:
    """The text columns that hold ``value`` (all text columns when none does)."""
    import pandas as pd

    text = [c for c in frames[0].columns if _is_text(frames[0][c])]
    if value is not None:
        holding = []
        for c in text:
            for X in frames:
                col = X[c]
                values = col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) \
                    else col.dropna().unique()
                if value in {str(v) for v in values}:
                    holding.append(str(c))
                    break
        if holding:
            return holding
    return [str(c) for c in text]


def _holding(frames: list[pd.DataFrame], what: str) -> list[str]:
    """The columns with missing (``nan``) or infinite (``inf``) values in any frame."""
    out: dict[str, None] = {}
    for X in frames:
        for c in X.columns:
            col = X[c]
            if _is_text(col):
                if what == "nan" and col.isna().any():
                    out[str(c)] = None
                continue
            values = np.asarray(col)
            if values.dtype.kind == "f" and (np.isnan(values) if what == "nan"
                                             else np.isinf(values)).any():
                out[str(c)] = None
    return list(out)


def explain_failure(exc: BaseException, X: Any, *, model: str,
                    built: TrialModel | None) -> str | None:
    """One line naming the model and the column(s) when a trial failed on a column's
    content (text, missing or infinite values); None for other failures (and never an
    exception: the trial's own error must stay visible).

    Args:
        exc: the trial's exception.
        X: the rows the model was given: a frame, or a list of frames (the training
            rows, then the test rows); the columns are looked for in each.
        model: the model's (or stress arm's) name.
        built: what the worker built (None: it failed before building).
    """
    try:
        return _explain(exc, X, model=model, built=built)
    except Exception:
        return None


def _explain(exc: BaseException, X: Any, *, model: str,
             built: TrialModel | None) -> str | None:
    import pandas as pd

    lines = str(exc).strip().splitlines()
    message = lines[0] if lines else ""
    frames = [f for f in (X if isinstance(X, (list, tuple)) else [X])
              if isinstance(f, pd.DataFrame)]
    if not frames:
        return None
    text = _TEXT_RE.search(message)
    if text or "arrays of bytes/strings" in message or "non-numeric data" in message:
        value = None
        if text:
            try:
                value = str(ast.literal_eval(text.group(1).strip()))
            except (ValueError, SyntaxError):
                value = text.group(1).strip().strip("'\"")
        cols = _holding_text(frames, value)
        what = f"text ('{value}')" if value is not None else "text"
    elif "NaN" in message:
        cols, what = _holding(frames, "nan"), "missing values (NaN)"
    elif "infinity" in message:
        cols, what = _holding(frames, "inf"), "infinite values"
    else:
        return None
    if not cols:
        return None
    taker = "the model" if built is None else _final_name(built.estimator)
    verb = "holds" if len(cols) == 1 else "hold"
    head = f"model '{model}': {_names(cols)} {verb} {what} that {taker} cannot take"
    if built is None:
        return head
    state = built.preprocess
    if state == "off":
        tail = "preprocess: mode none was set (remove it to let dataroi encode such columns)"
    elif state == "own":
        tail = (f"the model brings its own preprocessing ({built.own_step}), which "
                "preprocess: auto leaves as it is; make it handle these columns")
    elif state == "not needed":
        tail = "preprocess: auto found nothing to encode in this table"
    else:
        tail = "even after preprocess: auto"
    return f"{head}; {tail}"
