"""Data contracts: YAML → a pandera schema, validated lazily (every violation at once).

A contract states what a table must look like before any number is computed (a study's
data: the spec's ``contract:`` section; an impact assessment's evaluation table)::

    columns:
      id:        {dtype: int, unique: true}
      amount:    {dtype: float, min: 0, max: 10000, nullable: false}
      channel:   {allowed: [web, store, phone]}
      income:    {dtype: float, max_missing_share: 0.05}   # nulls allowed on 5 % of rows
      label:     {share: {min: 0.02, max: 0.9}}            # every class 2-90 % of rows
      ts:        {dtype: datetime}
    rows: {min: 1000, max: 5000000}
    freshness: {column: ts, max_age_days: 30}     # newest timestamp at most 30 days old
    strict: false                                 # true: no columns beyond those listed

``dtype`` is a family: ``int``, ``float`` (any number), ``bool``, ``string`` (text or
categorical), ``datetime`` (datetimes, or text that parses as dates, as read from CSV).
Columns are required unless ``required: false``; nulls are
refused unless ``nullable: true`` or ``max_missing_share`` allows their share.
``share`` bounds the share of rows of each value of the column (class balance).

Example:
    >>> import pandas as pd
    >>> c = parse_contract({"columns": {"x": {"dtype": "float", "min": 0}},
    ...                    "rows": {"min": 2}})
    >>> c.validate(pd.DataFrame({"x": [1.0, 2.0]})).passed
    True
    >>> try:
    ...     c.validate(pd.DataFrame({"x": [-1.0]}))
    ... except Exception as exc:
    ...     print(len(exc.problems))
    2
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dataroi.exceptions import ContractError, ImpactSpecError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Contract", "ContractReport", "contract_problems", "parse_contract"]

_DTYPES = ("int", "float", "bool", "string", "datetime")
_COLUMN_KEYS = {"dtype", "min", "max", "allowed", "nullable", "unique", "required",
                "description", "max_missing_share", "share"}


@dataclass(frozen=True)
class ContractReport:
    """What a validation found: the checks run and (when it failed) every violation."""

    passed: bool
    checks: tuple[str, ...]
    problems: tuple[str, ...]
    n_rows: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"passed": self.passed, "checks": list(self.checks),
                "problems": list(self.problems), "n_rows": self.n_rows}


@dataclass(frozen=True)
class Contract:
    """A validated contract (frozen). Build it with :func:`load_contract`."""

    spec_json: str
    source: str = "<mapping>"

    @property
    def spec(self) -> dict[str, Any]:
        """The contract as a plain dictionary."""
        return json.loads(self.spec_json)

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical contract."""
        return hashlib.sha256(self.spec_json.encode()).hexdigest()

    def describe(self) -> list[str]:
        """One line per check, in words."""
        spec = self.spec
        lines = []
        for name, col in spec.get("columns", {}).items():
            parts = [f"dtype {col['dtype']}"] if col.get("dtype") else []
            if "min" in col:
                parts.append(f">= {col['min']}")
            if "max" in col:
                parts.append(f"<= {col['max']}")
            if "allowed" in col:
                parts.append(f"in {col['allowed']}")
            if "max_missing_share" in col:
                parts.append(f"missing on at most {col['max_missing_share']:.1%} of rows")
            else:
                parts.append("nullable" if col.get("nullable") else "no nulls")
            if "share" in col:
                lo, hi = col["share"].get("min", 0), col["share"].get("max", 1)
                parts.append(f"each value on {lo:.1%}-{hi:.1%} of rows")
            if col.get("unique"):
                parts.append("unique")
            if not col.get("required", True):
                parts.append("optional")
            lines.append(f"column {name!r}: " + ", ".join(parts))
        rows = spec.get("rows")
        if rows:
            lines.append(f"rows between {rows.get('min', 0)} and {rows.get('max', 'any')}")
        fresh = spec.get("freshness")
        if fresh:
            lines.append(f"newest {fresh['column']!r} at most {fresh['max_age_days']} days old")
        if spec.get("strict"):
            lines.append("no columns beyond those listed")
        return lines

    def schema(self, *, now: Any = None) -> Any:
        """The pandera ``DataFrameSchema`` of this contract."""
        import pandas as pd
        import pandera.pandas as pa

        spec = self.spec
        columns = {}
        for name, col in spec.get("columns", {}).items():
            checks = []
            dtype = col.get("dtype")
            if dtype:
                checks.append(pa.Check(_dtype_check(dtype), element_wise=False,
                                       error=f"dtype must be {dtype}"))
            if "min" in col:
                checks.append(pa.Check.ge(col["min"], error=f"below min {col['min']}"))
            if "max" in col:
                checks.append(pa.Check.le(col["max"], error=f"above max {col['max']}"))
            if "allowed" in col:
                checks.append(pa.Check.isin(col["allowed"],
                                            error=f"not among allowed {col['allowed']}"))
            if "max_missing_share" in col:
                cap = float(col["max_missing_share"])
                checks.append(pa.Check(
                    lambda s, cap=cap: bool(s.isna().mean() <= cap) if len(s) else True,
                    element_wise=False, ignore_na=False,
                    error=f"missing on more than {cap:.1%} of rows"))
            if "share" in col:
                lo = float(col["share"].get("min", 0.0))
                hi = float(col["share"].get("max", 1.0))
                checks.append(pa.Check(
                    lambda s, lo=lo, hi=hi: _shares_within(s, lo, hi), element_wise=False,
                    error=f"a value's share of rows outside {lo:.1%}-{hi:.1%}"))
            nullable = bool(col.get("nullable", False)) or "max_missing_share" in col
            columns[name] = pa.Column(checks=checks, nullable=nullable,
                                      unique=bool(col.get("unique", False)),
                                      required=bool(col.get("required", True)))
        frame_checks = []
        rows = spec.get("rows") or {}
        if "min" in rows or "max" in rows:
            lo, hi = rows.get("min", 0), rows.get("max")
            text = (f"fewer rows than rows.min {lo:,}" if hi is None else
                    f"more rows than rows.max {hi:,}" if "min" not in rows else
                    f"a row count outside rows.min {lo:,} .. rows.max {hi:,}")
            frame_checks.append(pa.Check(
                lambda df: bool(len(df) >= lo and (hi is None or len(df) <= hi)),
                error=text, name="row_count"))
        fresh = spec.get("freshness")
        if fresh:
            ref = _timestamp(fresh.get("now") or now or pd.Timestamp.now(),
                             "freshness.now" if fresh.get("now") else "now", self.source)
            col_name, days = fresh["column"], float(fresh["max_age_days"])

            def fresh_check(df: pd.DataFrame) -> bool:
                if col_name not in df:
                    return False
                ts = pd.to_datetime(df[col_name], errors="coerce")
                newest = ts.max()
                if newest is pd.NaT or newest != newest:
                    return False
                if getattr(newest, "tzinfo", None) is not None and ref.tzinfo is None:
                    newest = newest.tz_localize(None)
                return bool((ref - newest) <= pd.Timedelta(days=days))

            frame_checks.append(pa.Check(fresh_check, name="freshness",
                                         error=f"newest {col_name!r} older than {days:g} days"))
        return pa.DataFrameSchema(columns, checks=frame_checks,
                                  strict=bool(spec.get("strict", False)))

    def validate(self, frame: pd.DataFrame, *, now: Any = None) -> ContractReport:
        """Check every rule on ``frame`` and return the report.

        Raises:
            ContractError: at least one violation; ``problems`` lists all of them.
        """
        import pandera.pandas as pa

        schema = self.schema(now=now)
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            problems = [self._observed(frame, p) for p in _summarise(exc.failure_cases)]
            raise ContractError(problems, source=self.source) from None
        except pa.errors.SchemaError as exc:  # pragma: no cover - lazy collects them
            raise ContractError([str(exc).splitlines()[0]], source=self.source) from None
        return ContractReport(passed=True, checks=tuple(self.describe()), problems=(),
                              n_rows=len(frame))

    def _observed(self, frame: pd.DataFrame, problem: str) -> str:
        """``problem`` with what the table holds, for the rules that name no row: the
        row count, a column's type, its missing values and each value's share."""
        if problem.startswith("table: ") and "rows.m" in problem:
            return f"{problem} (here {len(frame):,})"
        for name, col in self.spec.get("columns", {}).items():
            if name not in frame or not problem.startswith(f"column {name!r}: "):
                continue
            s = frame[name]
            if "dtype must be" in problem:
                return f"{problem} (here {_dtype_observed(s, col.get('dtype'))})"
            if "max_missing_share" in col and "missing on more than" in problem:
                return f"{problem} (here {s.isna().mean():.1%})"
            if "share" in col and "share of rows outside" in problem and len(s):
                lo, hi = col["share"].get("min", 0), col["share"].get("max", 1)
                shares = s.value_counts(normalize=True, dropna=True)
                bad = shares[(shares < lo) | (shares > hi)]
                return problem + " (here " + ", ".join(
                    f"{v!r} {x:.1%}" for v, x in bad.head(3).items()) + (
                    " ..." if len(bad) > 3 else "") + ")"
        return problem


def _dtype_observed(s: pd.Series, wanted: str | None = None) -> str:
    """What a column holds, in the contract's words, for a dtype violation; for a
    contract that wants ``int``, a column of whole numbers with missing values reads as
    float (CSV), and the fix is said.

    Example:
        >>> import pandas as pd
        >>> _dtype_observed(pd.Series([40.0, None, 38.0]), "int")
        'float: whole numbers with missing values read as float; say dtype: float'
        >>> _dtype_observed(pd.Series(["a", "b"])), _dtype_observed(pd.Series([1, "b"]))
        ('string', 'mixed')
    """
    import pandas as pd

    api = pd.api.types
    if api.is_bool_dtype(s.dtype):
        return "bool"
    if api.is_integer_dtype(s.dtype):
        return "int"
    if api.is_numeric_dtype(s.dtype):
        present = s.dropna()
        if wanted == "int" and s.isna().any() and len(present) \
                and bool((present == present.round()).all()):
            return "float: whole numbers with missing values read as float; say dtype: float"
        return "float"
    if api.is_datetime64_any_dtype(s.dtype):
        return "datetime"
    if isinstance(s.dtype, pd.CategoricalDtype):
        return f"categories of {_dtype_observed(pd.Series(s.cat.categories))}"
    kind = api.infer_dtype(s, skipna=True)  # an object column: what its values are
    held = {"integer": "int", "floating": "float", "mixed-integer-float": "float",
            "boolean": "bool", "datetime": "datetime", "date": "datetime"}.get(kind)
    if held is not None:
        return f"{held} values stored as Python objects"
    return {"string": "string", "empty": "no values"}.get(kind, "mixed")


#: pandera's names of its built-in checks, in the contract's words
_BUILT_IN = {"not_nullable": "missing (nullable: false)",
             "field_uniqueness": "repeated values (unique: true)"}


def _shares_within(s: pd.Series, lo: float, hi: float) -> bool:
    """Whether every value's share of the column's rows lies in [lo, hi]."""
    if not len(s):
        return True
    shares = s.value_counts(normalize=True, dropna=True)
    return bool(((shares >= lo) & (shares <= hi)).all())


def _dtype_check(dtype: str) -> Any:
    import pandas as pd

    api = pd.api.types

    def check(s: pd.Series) -> bool:
        if dtype == "int":
            return bool(api.is_integer_dtype(s.dtype) and not api.is_bool_dtype(s.dtype))
        if dtype == "float":
            return bool(api.is_numeric_dtype(s.dtype) and not api.is_bool_dtype(s.dtype))
        if dtype == "bool":
            return bool(api.is_bool_dtype(s.dtype))
        if dtype == "string":
            return bool(api.is_string_dtype(s.dtype) or isinstance(s.dtype, pd.CategoricalDtype)
                        or s.dtype == object)
        if api.is_datetime64_any_dtype(s.dtype):
            return True
        if api.is_string_dtype(s.dtype) or s.dtype == object:  # text dates (CSV)
            present = s.dropna()
            parsed = pd.to_datetime(present, errors="coerce", format="mixed")
            return bool(parsed.notna().all())
        return False

    return check


def _summarise(cases: pd.DataFrame) -> list[str]:
    """One line per (column, check): how many rows and a few examples."""
    import pandas as pd

    groups: dict[tuple[str | None, str], list[tuple[Any, Any]]] = {}
    for rec in cases.to_dict("records"):
        column = rec.get("column")
        column = None if column is None or column != column else str(column)
        groups.setdefault((column, str(rec.get("check"))), []).append(
            (rec.get("failure_case"), rec.get("index")))
    out: list[str] = []
    for (column, check), items in groups.items():
        if check == "column_in_schema":
            out.extend(f"column {v!r}: not in the contract (strict: true)" for v, _ in items)
        elif check == "column_in_dataframe":
            out.extend(f"column {v!r}: missing from the table" for v, _ in items)
        elif column is None:
            out.append(f"table: {check}")
        else:
            what = _BUILT_IN.get(check, check)
            idx = [str(i) for _, i in items if i is not None and i == i]
            if not idx:
                failed = str(items[0][0]) if items else ""
                if failed.startswith("TypeError") and what.startswith(("below ", "above ")):
                    bound = what.split(" ", 1)[1]  # "min 15": a bound on a column of text
                    out.append(f"column {column!r}: {bound} cannot be checked: the column "
                               "holds text")
                else:
                    out.append(f"column {column!r}: {what}")
                continue
            shown = [v for v, _ in items if not (pd.api.types.is_scalar(v) and pd.isna(v))][:3]
            examples = f"e.g. {', '.join(repr(v) for v in shown)}; " if shown else ""
            out.append(f"column {column!r}: {what} on {len(items):,} row"
                       f"{'' if len(items) == 1 else 's'} ({examples}row index "
                       f"{', '.join(idx[:3])}{' ...' if len(idx) > 3 else ''})")
    return out


def _is_date(text: str) -> bool:
    """Whether pandas reads ``text`` as a date and time."""
    import pandas as pd

    try:
        return pd.Timestamp(text) is not pd.NaT
    except (ValueError, TypeError, OverflowError):
        return False


def _timestamp(value: Any, field: str, source: str) -> Any:
    """``value`` as a pandas Timestamp, or a one-line error naming ``field``."""
    import pandas as pd

    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        ts = pd.NaT
    if ts is pd.NaT:
        what = "data contract" if field.startswith("freshness") else "impact settings"
        raise ImpactSpecError(f"{field}: cannot read {str(value)[:40]!r} as a date and time; "
                              "write e.g. 2024-06-30 or 2024-06-30T12:00", what=what,
                              source=source if what == "data contract" else None)
    return ts


def contract_problems(raw: Any, source: str = "<mapping>") -> tuple[Contract | None,
                                                                    list[str]]:
    """Validate a contract given as a mapping: (the contract, []) or (None, every problem
    with its field path relative to the contract)."""
    if isinstance(raw, Mapping) and set(raw) == {"contract"}:
        raw = raw["contract"]
    if not isinstance(raw, Mapping):
        return None, ["must be a mapping with 'columns', 'rows', 'freshness'"]
    problems: list[str] = []
    for key in raw:
        if key not in {"columns", "rows", "freshness", "strict", "description"}:
            problems.append(f"{key}: unknown field; allowed: columns, rows, freshness, strict")
    spec: dict[str, Any] = {"columns": {}}
    cols = raw.get("columns") or {}
    if not isinstance(cols, Mapping):
        problems.append("columns: must map column name -> rules")
        cols = {}
    for name, rules in cols.items():
        path = f"columns.{name}"
        rules = rules or {}
        if not isinstance(rules, Mapping):
            problems.append(f"{path}: must be a mapping of rules")
            continue
        for k in rules:
            if k not in _COLUMN_KEYS:
                problems.append(f"{path}.{k}: unknown rule; allowed: "
                                f"{', '.join(sorted(_COLUMN_KEYS))}")
        dtype = rules.get("dtype")
        if dtype is not None and dtype not in _DTYPES:
            problems.append(f"{path}.dtype: must be one of {', '.join(_DTYPES)}, got {dtype!r}")
        for bound in ("min", "max"):
            v = rules.get(bound)
            if v is not None and (isinstance(v, bool) or not isinstance(
                    v, int | float | str | datetime.date)):
                problems.append(f"{path}.{bound}: must be a number or a date, got {v!r}")
            elif isinstance(v, str | datetime.date) and dtype in ("int", "float", "bool"):
                problems.append(f"{path}.{bound}: must be a number for a {dtype} column, "
                                f"got {v!r}")
            elif isinstance(v, str) and not _is_date(v):
                problems.append(f"{path}.{bound}: must be a number or a date (e.g. "
                                f"2024-01-31), got {v!r}")
        allowed = rules.get("allowed")
        if allowed is not None and not isinstance(allowed, list):
            problems.append(f"{path}.allowed: must be a list of values")
        for flag in ("nullable", "unique", "required"):
            if flag in rules and not isinstance(rules[flag], bool):
                problems.append(f"{path}.{flag}: must be true or false")
        if "max_missing_share" in rules and not _is_share(rules["max_missing_share"]):
            problems.append(f"{path}.max_missing_share: must be a number in [0, 1], got "
                            f"{rules['max_missing_share']!r}")
        share = rules.get("share")
        if share is not None:
            if not isinstance(share, Mapping) or not share or set(share) - {"min", "max"} \
                    or not all(_is_share(v) for v in share.values()):
                problems.append(f"{path}.share: must be {{min: s, max: s}} with shares in "
                                f"[0, 1], got {share!r}")
            elif share.get("min", 0) > share.get("max", 1):
                problems.append(f"{path}.share: min {share['min']} is above max {share['max']}")
        spec["columns"][str(name)] = {k: (dict(v) if isinstance(v, Mapping) else v)
                                      for k, v in rules.items() if k != "description"}
    rows = raw.get("rows")
    if rows is not None:
        if not isinstance(rows, Mapping) or set(rows) - {"min", "max"}:
            problems.append("rows: must be {min: n, max: n}")
        else:
            for k, v in rows.items():
                if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                    problems.append(f"rows.{k}: must be a non-negative integer, got {v!r}")
            spec["rows"] = dict(rows)
    fresh = raw.get("freshness")
    if fresh is not None:
        if not isinstance(fresh, Mapping) or "column" not in fresh or \
                "max_age_days" not in fresh:
            problems.append("freshness: must be {column: name, max_age_days: number}")
        else:
            v = fresh["max_age_days"]
            if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
                problems.append(f"freshness.max_age_days: must be a positive number, got {v!r}")
            if fresh.get("now") is not None and not _is_date(str(fresh["now"])):
                problems.append(f"freshness.now: cannot read {fresh['now']!r} as a date and "
                                "time; write e.g. 2024-06-30 or 2024-06-30T12:00")
            spec["freshness"] = {k: (str(v) if k == "now" else v) for k, v in fresh.items()}
    if "strict" in raw:
        if not isinstance(raw["strict"], bool):
            problems.append("strict: must be true or false")
        spec["strict"] = bool(raw["strict"])
    if problems:
        return None, problems
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    return Contract(spec_json=text, source=source), []


def _is_share(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and 0.0 <= v <= 1.0


def parse_contract(raw: Any, source: str = "<mapping>") -> Contract:
    """A validated contract from a mapping.

    Raises:
        ImpactSpecError: every problem of the contract, with its field path.

    Example:
        >>> parse_contract({"columns": {"y": {"share": {"min": 0.1}}}}).describe()
        ["column 'y': no nulls, each value on 10.0%-100.0% of rows"]
    """
    contract, problems = contract_problems(raw, source)
    if contract is None:
        raise ImpactSpecError(problems, what="data contract", source=source)
    return contract
