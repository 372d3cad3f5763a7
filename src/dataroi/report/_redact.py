"""``--redact``: a report whose column names and category values are pseudonyms.

A report never holds data rows, but it names the table's columns (features, the target,
slices, the preprocessing summary) and some of their values (class labels, slice
values). A team that shares a report outside may not want those either. The redacted
report replaces, everywhere in the document (so in its tables, sentences and figures,
which are drawn from it):

* each column name by ``column_<k>`` (k: the column's position in the table, from 1);
* each value of a text or categorical column by ``<pseudonym of the column>_v<k>`` (k:
  the value's rank in sorted order; the target's classes so too);
* the study's name by ``study``, its data files' paths (and their file names) by
  ``data.<suffix>`` and ``test.<suffix>``, and the ledger's location by ``the ledger``
  (:meth:`dataroi.Study.redactor`): a name, a path or a server can say whose data it is;

Pseudonyms are stable: the same table gives the same names in every report. They are
not hashes of the names, so a guessed name cannot be checked against them.

Where a name is replaced, precisely: a string that *is* a name; inside longer text, a
name in quotes (``'income'``, ``"income"``, `` `income` ``) and any occurrence between
word boundaries — except for a short common word (``a``, ``no``, ``yes``, ``in``... of
:data:`STOP_WORDS`: a class named ``no`` is replaced only where it stands alone or is
quoted, since it would otherwise take the report's own words with it). Numbers are
never replaced. Model names and metric names are not data and stay (unless a column is
named like one).

Example:
    >>> r = Redactor.for_table(["income", "region", "y"], {"region": ["north", "south"],
    ...                        "y": ["no", "yes"]})
    >>> r.text("column 'income' has 3 % missing; region north leads")
    "column 'column_1' has 3 % missing; column_2 column_2_v1 leads"
    >>> r.document({"features": ["income", "region"], "classes": ["no", "yes"]})
    {'features': ['column_1', 'column_2'], 'classes': ['column_3_v1', 'column_3_v2']}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Redactor"]

#: short words replaced inside text only when quoted (they are the report's own words too)
STOP_WORDS = frozenset({"a", "an", "and", "as", "at", "be", "by", "for", "i", "if", "in",
                        "is", "it", "n", "no", "not", "of", "on", "or", "per", "the", "to",
                        "up", "us", "we", "yes", "all", "any", "new", "old", "one", "two",
                        "low", "high", "true", "false", "none", "other", "value", "model",
                        "data", "test", "train", "size"})
#: a categorical column with more distinct values than this is free text: its values are
#: not listed (and a report names none of them)
MAX_LEVELS = 2000
#: mappings at this depth and deeper have their keys redacted (above: the document's
#: sections and their fields)
KEY_DEPTH = 3


@dataclass(frozen=True)
class Redactor:
    """Original name → pseudonym, and the replacement of text and documents."""

    names: Mapping[str, str]
    _pattern: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def for_table(cls, columns: Sequence[str],
                  values: Mapping[str, Sequence[Any]] | None = None) -> Redactor:
        """The pseudonyms of a table's ``columns`` (in order) and of the ``values`` of its
        text or categorical columns."""
        names: dict[str, str] = {}
        alias = {str(c): f"column_{i}" for i, c in enumerate(columns, start=1)}
        for col, vals in (values or {}).items():
            base = alias.get(str(col), f"column_{len(alias) + 1}")
            for k, v in enumerate(sorted({str(v) for v in vals}), start=1):
                if _is_number(v) or not v.strip():
                    continue
                names.setdefault(v, f"{base}_v{k}")
        names.update(alias)  # a value that is also a column name reads as the column
        return cls(names)

    @classmethod
    def for_frame(cls, frame: Any, *, target: str | None = None) -> Redactor:
        """The pseudonyms of a data frame: every column, and every value of a text or
        categorical column (and of ``target``) with at most :data:`MAX_LEVELS` values
        (more: free text, whose values a report never names)."""
        import pandas as pd

        values = {}
        for col in frame.columns:
            s = frame[col]
            numeric = pd.api.types.is_numeric_dtype(s.dtype) and not \
                pd.api.types.is_bool_dtype(s.dtype)
            if not numeric or col == target:
                levels = s.dropna().unique()
                if len(levels) <= MAX_LEVELS:
                    values[str(col)] = [str(v) for v in levels]
        return cls.for_table([str(c) for c in frame.columns], values)

    def with_names(self, extra: Mapping[str, str]) -> Redactor:
        """A redactor that also replaces ``extra`` (name → pseudonym): the study's name
        and its data files' paths.

        Example:
            >>> r = Redactor.for_table(["income"]).with_names({"acme-churn": "study"})
            >>> r.text("acme-churn: column 'income'")
            "study: column 'column_1'"
        """
        return Redactor({**self.names, **{k: v for k, v in extra.items() if k}})

    def __post_init__(self) -> None:
        keys = sorted((k for k in self.names if k and not _is_number(k)), key=len,
                      reverse=True)
        if not keys:
            return
        alt = "|".join(re.escape(k) for k in keys)
        quoted = rf"(?P<q>['\"`])(?P<qn>{alt})(?P=q)"
        free = "|".join(re.escape(k) for k in keys if k.lower() not in STOP_WORDS)
        parts = [quoted] + ([rf"(?<![\w.-])(?P<fn>{free})(?![\w-])"] if free else [])
        object.__setattr__(self, "_pattern", re.compile("|".join(parts)))

    def text(self, s: str) -> str:
        """``s`` with every name replaced (see the module doc for where)."""
        if s in self.names:
            return self.names[s]
        if self._pattern is None:
            return s

        def swap(m: re.Match[str]) -> str:
            if m.group("qn") is not None:
                return f"{m.group('q')}{self.names[m.group('qn')]}{m.group('q')}"
            return self.names[m.group("fn")]

        return self._pattern.sub(swap, s)

    def document(self, doc: Any, _depth: int = 0) -> Any:
        """A copy of a JSON-like document with every string value redacted, and the keys
        of its mappings below the second level (the report's sections and their fields
        are its structure; a per-column mapping deeper down is keyed by names)."""
        if isinstance(doc, str):
            return self.text(doc)
        if isinstance(doc, Mapping):
            return {self.text(k) if isinstance(k, str) and _depth >= KEY_DEPTH else k:
                    self.document(v, _depth + 1) for k, v in doc.items()}
        if isinstance(doc, list | tuple):
            return [self.document(v, _depth) for v in doc]
        return doc


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
