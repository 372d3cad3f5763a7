"""Fixtures of the ledger tests: one ledger per back end (SQLite file, PostgreSQL).

PostgreSQL comes from ``DATAROI_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); each test gets a fresh temporary database
``dataroi_test_<hex>``, dropped afterwards. When the server cannot be reached the
PostgreSQL cases are skipped, unless ``DATAROI_REQUIRE_POSTGRES=1`` (CI), which fails them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

from dataroi.ledger import BaseLedger, open_ledger

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

_server_state: dict[str, str | None] = {}


def postgres_base_url() -> str:
    """The PostgreSQL server the tests use (from the environment, or the default)."""
    return os.environ.get("DATAROI_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _sa_url(url: str) -> URL:
    parsed = make_url(url)
    if "+" not in parsed.drivername:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _maintenance_engine() -> Engine:
    url = _sa_url(postgres_base_url()).set(database="postgres")
    return sa.create_engine(
        url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}, poolclass=NullPool
    )


def require_postgres() -> None:
    """Skip (or fail, with ``DATAROI_REQUIRE_POSTGRES=1``) when PostgreSQL is unreachable."""
    if "reason" not in _server_state:
        reason: str | None = None
        try:
            engine = _maintenance_engine()
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
            finally:
                engine.dispose()
        except Exception as err:  # any failure means: no usable server
            first = (str(getattr(err, "orig", None) or err).strip().splitlines() or [""])[0]
            reason = f"PostgreSQL not reachable at {postgres_base_url()}: {first}"
        _server_state["reason"] = reason
    reason = _server_state["reason"]
    if reason is not None:
        if os.environ.get("DATAROI_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (DATAROI_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)


@pytest.fixture
def postgres_database_url() -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    require_postgres()
    name = f"dataroi_test_{secrets.token_hex(6)}"
    engine = _maintenance_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        base = _sa_url(postgres_base_url())
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL where a new, empty ledger can be created, per back end."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_database_url"))


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[BaseLedger]:
    """An open, empty ledger per back end (closed after the test)."""
    with open_ledger(ledger_url) as opened:
        yield opened
