"""Columns that identify rather than describe: row counters and keys (left out of the
features), and identifiers of entities whose rows repeat (a person's rows in panel
data), by which the test set should be split. ``init --from`` (:mod:`._draft`) and the
data checks a run makes (:func:`dataroi.data.check_groups`) read them the same way.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"person_id": [i // 3 for i in range(90)], "x": range(90)})
    >>> group_column(frame, ["person_id", "x"], [i // 3 % 2 for i in range(90)],
    ...              categorical=True)
    'person_id'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["clustering", "group_column", "is_identifier", "is_key", "is_row_counter",
           "name_tokens"]

#: Name tokens of an identifier column (``customer_id``, ``userId``, ``idcode``, a
#: household's ``hid``, a person's ``pid``, a survey's ``caseid``).
_ID_TOKENS = {"id", "ids", "idcode", "uid", "uuid", "guid", "hid", "hhid", "pid", "caseid",
              "respid", "custid"}
#: ... and of a row key (unique per row): R's row names, an exported index.
_KEY_TOKENS = {"rownames", "rowname", "index", "idx", "key"}
_MIN_GROUPS = 20         # fewer distinct values: a category, not an identifier
_MIN_CLUSTERING = 0.1    # an identifier's rows share their target at least this much


def name_tokens(name: str) -> list[str]:
    """The words of a column name, lower-cased (``userId`` -> user, id).

    Example:
        >>> name_tokens("customerID"), name_tokens("person_id"), name_tokens("paid")
        (['customer', 'id'], ['person', 'id'], ['paid'])
    """
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return [t.lower() for t in re.split(r"[^A-Za-z0-9]+", spaced) if t]


def group_column(frame: pd.DataFrame, columns: list[Any], y: Any, *,
                 categorical: bool) -> Any | None:
    """The first column named as an identifier (a word ``id``, ``idcode``, ``uuid``...)
    whose values repeat and whose rows share their target: each value is then an entity
    (a person, a customer) with several rows, and a test set that splits an entity's rows
    scores a model on entities it trained on (panel data such as nlswork: 4,711 women
    over 28,534 rows). None when there is none.

    It qualifies with at least 20 values, each on 1.5 rows on average or more, no missing
    value, and a target clustered in it (:func:`clustering` at least 0.1: nlswork's union
    0.49 by idcode; gss_abortion's ``id``, a respondent number that each year's survey
    reuses, 0.01). A column of fewer values is a category.

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"person_id": [i // 3 for i in range(90)], "x": range(90)})
        >>> y = [i // 3 % 2 for i in range(90)]  # each person's rows share the class
        >>> group_column(frame, ["person_id", "x"], y, categorical=True)
        'person_id'
        >>> group_column(frame, ["person_id", "x"], [i % 2 for i in range(90)],
        ...               categorical=True) is None
        True
    """
    for c in columns:
        if not _named_as_id(c):
            continue
        values = frame[c]
        k = values.nunique()
        if values.notna().all() and k >= _MIN_GROUPS and len(values) >= 1.5 * k \
                and clustering(values, y, categorical=categorical) >= _MIN_CLUSTERING:
            return c
    return None


def clustering(groups: pd.Series, y: Any, *, categorical: bool) -> float:
    """How much rows of one group share their target beyond chance: the share of the
    target's variance between groups (η², over the classes' indicators when
    ``categorical``) above what ``k`` groups of random rows would show, ``(k − 1) /
    (n − 1)``, scaled to 1 (an intraclass correlation; 0 for no clustering, 1 when every
    group holds one value).

    Example:
        >>> import pandas as pd
        >>> g = pd.Series([i // 4 for i in range(400)])
        >>> clustering(g, [i // 4 % 3 for i in range(400)], categorical=True)
        1.0
    """
    import pandas as pd

    target = pd.Series(np.asarray(y)).reset_index(drop=True)
    values = (pd.get_dummies(target.astype(str)).to_numpy(float) if categorical
              else target.to_numpy(float)[:, None])
    values = values - values.mean(axis=0)
    total = float((values ** 2).sum())
    n, k = len(values), groups.nunique()
    if total == 0 or n < 3 or k >= n:
        return 0.0
    means = pd.DataFrame(values).groupby(groups.to_numpy()).transform("mean").to_numpy()
    null = (k - 1) / (n - 1)
    return float(((means ** 2).sum() / total - null) / (1 - null))


def is_identifier(col: pd.Series) -> bool:
    """A column named as an identifier (``id``, ``respid``, ``customer_id``...) with at
    least 20 distinct values: it names rows or entities rather than describing them, so
    its number is no feature even when its rows do not share their target (gss_abortion's
    ``id``, a respondent number each year's survey reuses: 3,749 values). A column of
    fewer values is a category (GSS's ``pid``, party identification, 8 values).

    Example:
        >>> import pandas as pd
        >>> is_identifier(pd.Series([i % 40 for i in range(200)], name="id"))
        True
        >>> is_identifier(pd.Series([i % 8 for i in range(200)], name="pid"))
        False
    """
    return _named_as_id(col.name) and col.nunique() >= _MIN_GROUPS


def _named_as_id(name: Any) -> bool:
    """Whether a word of the column name is an identifier's (:data:`_ID_TOKENS`)."""
    return bool(_ID_TOKENS & set(name_tokens(name)))


def is_key(col: pd.Series) -> bool:
    """A column named as an identifier (``id``, ``customer_id``, R's ``rownames``...)
    holding a different value on every row: a key, even when the rows were shuffled or
    sampled (then it is no longer a row counter), not a feature.

    Example:
        >>> import pandas as pd
        >>> is_key(pd.Series([31, 7, 12, 5], name="rownames"))
        True
        >>> is_key(pd.Series([31, 7, 12, 5], name="score"))
        False
    """
    tokens = set(name_tokens(col.name))
    return bool(tokens & (_ID_TOKENS | _KEY_TOKENS)) and len(col) >= 3 \
        and col.notna().all() and col.is_unique


def is_row_counter(col: pd.Series) -> bool:
    """A column that numbers the rows (consecutive integers in row order, such as
    0..n-1, 1..n or R's row names, or pandas' 'Unnamed: 0'): an id, not a feature."""
    import pandas as pd

    if re.fullmatch(r"Unnamed: \d+", str(col.name)):
        return True
    if not pd.api.types.is_integer_dtype(col) or len(col) < 3:
        return False
    v = col.to_numpy()
    return bool(np.all(np.diff(v) == 1))
