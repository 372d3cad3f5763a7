"""A study's rows as Arrow tables, and back into a new ledger: what a shared bundle
carries of the ledger (``dataroi export`` / ``dataroi verify``).

:func:`read_study_tables` reads every row the schema holds for one study — the study,
its spec revisions, contexts, the dataset versions they name, their trials, the trials'
metrics and environments, reproductions and documents — as one ``pyarrow.Table`` per
ledger table, with the schema's columns and types (JSON columns as their JSON text,
timestamps as UTC microseconds). :func:`write_study_tables` writes such tables into an
empty ledger with the same ids, so the study reads back exactly as it was recorded.

Example:
    >>> from dataroi.ledger import open_ledger
    >>> with open_ledger("sqlite://") as ledger:
    ...     sid = ledger.upsert_study("demo", spec_hash="abc", spec_text="name: demo")
    ...     tables = read_study_tables(ledger, "demo")
    >>> tables["studies"].column("name").to_pylist(), tables["trials"].num_rows
    (['demo'], 0)
    >>> with open_ledger("sqlite://") as copy:
    ...     counts = write_study_tables(copy, tables)
    ...     copy.get_study_id("demo")
    1
    >>> counts["study_specs"]
    1
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from dataroi.exceptions import LedgerError, UsageError
from dataroi.ledger._schema import (
    JSONText,
    UTCDateTime,
    contexts,
    dataset_versions,
    documents,
    environments,
    reproductions,
    studies,
    study_specs,
    trial_metrics,
    trials,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from dataroi.ledger._base import BaseLedger

__all__ = ["STUDY_TABLES", "read_study_tables", "write_study_tables"]

#: The ledger tables a study's rows live in, parents before children (the order in
#: which :func:`write_study_tables` inserts them).
STUDY_TABLES: tuple[str, ...] = (
    "studies", "study_specs", "dataset_versions", "environments", "contexts", "trials",
    "trial_metrics", "reproductions", "documents")

_TABLES: dict[str, sa.Table] = {t.name: t for t in (
    studies, study_specs, dataset_versions, environments, contexts, trials, trial_metrics,
    reproductions, documents)}


def _arrow_type(column: sa.Column[Any]) -> pa.DataType:
    import pyarrow as pa

    kind = column.type
    if isinstance(kind, JSONText):
        return pa.string()
    if isinstance(kind, UTCDateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, (sa.Integer, sa.BigInteger)):
        return pa.int64()
    if isinstance(kind, sa.Float):
        return pa.float64()
    return pa.string()


def _schema(table: sa.Table) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([pa.field(c.name, _arrow_type(c), nullable=c.nullable)
                      for c in table.columns])


def _selects(study_id: int) -> dict[str, sa.Select[Any]]:
    """One query per table: the rows that belong to study ``study_id``."""
    ctx_ids = sa.select(contexts.c.id).where(contexts.c.study_id == study_id)
    trial_ids = sa.select(trials.c.id).where(trials.c.context_id.in_(ctx_ids))
    return {
        "studies": sa.select(studies).where(studies.c.id == study_id),
        "study_specs": sa.select(study_specs).where(study_specs.c.study_id == study_id),
        "dataset_versions": sa.select(dataset_versions).where(dataset_versions.c.id.in_(
            sa.select(contexts.c.dataset_version_id).where(contexts.c.study_id == study_id))),
        "environments": sa.select(environments).where(environments.c.id.in_(
            sa.select(trials.c.environment_id).where(trials.c.context_id.in_(ctx_ids)))),
        "contexts": sa.select(contexts).where(contexts.c.study_id == study_id),
        "trials": sa.select(trials).where(trials.c.context_id.in_(ctx_ids)),
        "trial_metrics": sa.select(trial_metrics).where(
            trial_metrics.c.trial_id.in_(trial_ids)),
        "reproductions": sa.select(reproductions).where(
            reproductions.c.context_id.in_(ctx_ids)),
        # the ledger's follow-ups of every study too: their track record recalibrates
        # this study's forecasts, so a bundle must carry it to be recomputed elsewhere
        "documents": sa.select(documents).where(sa.or_(
            documents.c.study_id == study_id, documents.c.context_id.in_(ctx_ids),
            documents.c.kind == "followup")),
    }


def _order(table: sa.Table) -> list[sa.Column[Any]]:
    return [c for c in table.primary_key.columns]


def _sql_ledger(ledger: BaseLedger) -> Any:
    from dataroi.ledger._sql import SQLLedger

    if not isinstance(ledger, SQLLedger):
        raise UsageError(f"a study's rows are read from and written to an SQL ledger, not "
                         f"{type(ledger).__name__}")
    return ledger


def read_study_tables(ledger: BaseLedger, name: str) -> dict[str, pa.Table]:
    """Every row the ledger holds for study ``name``, one Arrow table per ledger table
    (:data:`STUDY_TABLES`; columns and types as in the schema, rows by id).

    JSON columns hold their JSON text (sorted keys, as stored); NaN metrics are null, as
    stored. Documents are those of the study or of one of its contexts, and the ledger's
    ``followup`` documents of other studies (without their study and context links: the
    track record that recalibrates forecasts is the ledger's); environments those a trial
    of the study names.

    Raises:
        UsageError: the ledger has no study of that name.
    """
    import pyarrow as pa

    sql = _sql_ledger(ledger)
    study_id = sql.get_study_id(name)
    if study_id is None:
        raise UsageError(f"ledger {sql.url} has no study named {name!r}")
    out: dict[str, pa.Table] = {}
    with sql._read() as conn:
        for table_name, query in _selects(study_id).items():
            table = _TABLES[table_name]
            rows = conn.execute(query.order_by(*_order(table))).mappings().all()
            columns: dict[str, list[Any]] = {c.name: [] for c in table.columns}
            for row in rows:
                if table_name == "documents" and row["study_id"] not in (None, study_id):
                    # another study's follow-up: kept without its links (its study is not
                    # in the bundle); its payload names the study
                    row = {**row, "study_id": None, "context_id": None}
                for c in table.columns:
                    value = row[c.name]
                    if isinstance(c.type, JSONText) and value is not None:
                        value = json.dumps(value, sort_keys=True, default=str)
                    columns[c.name].append(value)
            out[table_name] = pa.table(columns, schema=_schema(table))
    return {name: out[name] for name in STUDY_TABLES}


def write_study_tables(ledger: BaseLedger, tables: dict[str, pa.Table]) -> dict[str, int]:
    """Write tables of :func:`read_study_tables` into an empty ledger, ids kept, in one
    transaction; return the rows written per table.

    Raises:
        UsageError: the ledger already holds a study (ids would collide).
        LedgerError: a table is not one of :data:`STUDY_TABLES`, or has a column this
            schema does not know (written by a newer dataroi), or the rows break the
            schema's constraints.
    """
    sql = _sql_ledger(ledger)
    unknown = sorted(set(tables) - set(STUDY_TABLES))
    if unknown:
        raise LedgerError(f"not ledger tables of a study: {', '.join(unknown)}")
    counts: dict[str, int] = {}
    with sql._read() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(studies)).scalar_one():
            raise UsageError(f"ledger {sql.url} already holds a study: write a study's rows "
                             "into an empty ledger")
    with sql._write() as conn:
        for table_name in STUDY_TABLES:
            if table_name not in tables:
                continue
            table = _TABLES[table_name]
            given = tables[table_name]
            extra = sorted(set(given.column_names) - {c.name for c in table.columns})
            if extra:
                raise LedgerError(f"table {table_name} has columns this dataroi's ledger "
                                  f"does not know ({', '.join(extra)}): written by a newer "
                                  "dataroi")
            rows = given.to_pylist()
            json_columns = [c.name for c in table.columns if isinstance(c.type, JSONText)]
            for row in rows:
                for name in json_columns:
                    if row.get(name) is not None:
                        row[name] = json.loads(row[name])
            if rows:
                conn.execute(table.insert(), rows)
            counts[table_name] = len(rows)
            if sql._postgres and "id" in table.c and rows:  # explicit ids: move the sequence
                conn.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "
                    f"(SELECT MAX(id) FROM {table_name}))"))
    return counts
