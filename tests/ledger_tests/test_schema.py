"""The migrations create exactly the schema of ``_schema.metadata``; lazy imports."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.dialects import sqlite

from dataroi.ledger import SQLLedger, open_ledger
from dataroi.ledger._open import _alembic_config, head_revision
from dataroi.ledger._schema import VERSION_TABLE, UTCDateTime, metadata


def _engine(ledger_url: str) -> sa.Engine:
    url = sa.make_url(ledger_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return sa.create_engine(url, poolclass=sa.NullPool)


def test_migration_head_matches_metadata(ledger_url: str) -> None:
    open_ledger(ledger_url).close()
    engine = _engine(ledger_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"version_table": VERSION_TABLE, "compare_type": True}
            )
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_back(ledger_url: str) -> None:
    open_ledger(ledger_url).close()
    engine = _engine(ledger_url)
    try:
        with engine.begin() as conn:
            command.downgrade(_alembic_config(conn), "base")
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {VERSION_TABLE}
    finally:
        engine.dispose()
    with open_ledger(ledger_url) as ledger:  # an empty store again: created anew
        assert ledger.schema_version() == head_revision()


def test_trial_state_check_constraint(ledger_url: str) -> None:
    from dataroi.ledger import PlannedTrial
    from dataroi.testing.ledgers import make_context
    from dataroi.trial import TrialKey

    with open_ledger(ledger_url) as ledger:
        cid = make_context(ledger)
        ledger.plan_trials(cid, [PlannedTrial(TrialKey("m", 1, 0), "h", seed=1)])
    engine = _engine(ledger_url)
    try:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.exec_driver_sql("UPDATE trials SET state = 'paused'")
    finally:
        engine.dispose()


def test_utc_datetime_rejects_naive_and_normalises() -> None:
    column_type = UTCDateTime()
    with pytest.raises(ValueError, match="timezone-aware"):
        column_type.process_bind_param(dt.datetime(2024, 1, 1), sqlite.dialect())
    plus_two = dt.datetime(2024, 1, 1, 14, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    stored = column_type.process_bind_param(plus_two, sqlite.dialect())
    assert stored == dt.datetime(2024, 1, 1, 12)
    back = column_type.process_result_value(stored, sqlite.dialect())
    assert back == plus_two and back is not None and back.utcoffset() == dt.timedelta(0)


def test_importing_the_ledger_contract_does_not_import_sqlalchemy() -> None:
    code = (
        "import sys, dataroi, dataroi.ledger\n"
        "from dataroi.ledger import BaseLedger, PlannedTrial\n"
        "assert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported'\n"
        "from dataroi.ledger import open_ledger\n"
        "assert 'sqlalchemy' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_names() -> None:
    import dataroi.ledger as ledger_pkg

    assert sorted(ledger_pkg.__all__) == [
        "BaseLedger",
        "DocumentStore",
        "PlannedTrial",
        "SQLLedger",
        "STUDY_TABLES",
        "head_revision",
        "open_ledger",
        "read_study_tables",
        "upgrade_ledger",
        "write_study_tables",
    ]
    for name in ledger_pkg.__all__:
        assert getattr(ledger_pkg, name) is not None
    with pytest.raises(AttributeError):
        _ = ledger_pkg.no_such_name


def test_sql_ledger_keeps_spec_revisions(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        assert isinstance(ledger, SQLLedger)
        sid = ledger.upsert_study("demo", spec_hash="h1", spec_text="name: demo")
        ledger.upsert_study("demo", spec_hash="h1", spec_text="name: demo")
        ledger.upsert_study("demo", spec_hash="h2", spec_text="name: demo\n")
        specs = ledger.get_study_specs(sid)
        other = ledger.upsert_study("other", spec_hash="h1", spec_text="")
        assert ledger.get_study_specs(other)[0]["spec_text"] == ""
    assert [(s["spec_hash"], s["spec_text"]) for s in specs] == [
        ("h1", "name: demo"),
        ("h2", "name: demo\n"),
    ]
