"""Opening ledgers: what is there is checked before anything is written; upgrades."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from dataroi.exceptions import LedgerError
from dataroi.ledger import SQLLedger, open_ledger, upgrade_ledger
from dataroi.ledger import _open as open_module
from dataroi.ledger import _schema as schema
from dataroi.ledger._open import _alembic_config, head_revision
from dataroi.ledger._schema import VERSION_TABLE
from dataroi.testing.ledgers import complete, grid, make_context
from dataroi.trial import TrialState


def _engine(url: str) -> sa.Engine:
    parsed = sa.make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed, poolclass=sa.NullPool)


def _tables(url: str) -> set[str]:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def _execute(url: str, *statements: str) -> None:
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


# -- SQLite files --------------------------------------------------------------------------
@pytest.mark.parametrize("as_url", [False, True])
def test_text_file_is_refused_and_left_unchanged(tmp_path: Path, as_url: bool) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are my notes\nnot a database\n")
    before = path.read_bytes()
    url = f"sqlite:///{path}" if as_url else str(path)
    with pytest.raises(LedgerError, match=r"notes.txt is not a dataroi ledger \(not an SQLite"):
        open_ledger(url)
    with pytest.raises(LedgerError, match="not an SQLite database"):
        upgrade_ledger(url)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_corrupt_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    before = path.read_bytes()
    with pytest.raises(LedgerError, match="not a dataroi ledger"):
        open_ledger(path)
    assert path.read_bytes() == before


def test_foreign_sqlite_database_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")  # theirs, not ours
        conn.execute("CREATE TABLE trials (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO users (name) VALUES ('ada')")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(LedgerError) as info:
        open_ledger(f"sqlite:///{path}")
    message = str(info.value)
    assert "is not a dataroi ledger (tables: alembic_version, trials, users)" in message
    with pytest.raises(LedgerError, match="not a dataroi ledger"):
        upgrade_ledger(str(path))
    with pytest.raises(LedgerError, match="not a dataroi ledger"):
        open_ledger(path, create=False)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]


def test_new_file_gets_schema_parent_directories_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "ledger.db"
    with open_ledger(str(path)) as ledger:
        assert isinstance(ledger, SQLLedger)
        assert ledger.url == f"sqlite:///{path}"
        assert ledger.schema_version() == head_revision()
        ledger.upsert_study("s", spec_hash="h", spec_text="")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert {"trials", "trial_metrics", VERSION_TABLE} <= tables
    with open_ledger(f"sqlite:///{path}", create=False) as again:  # reopening is fine
        assert again.get_study_id("s") == 1


def test_sqlite_connections_have_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    with open_ledger(tmp_path / "l.db") as ledger:
        engine = ledger._engine
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_an_empty_file_is_refused_not_replaced(tmp_path: Path) -> None:
    # a 0-byte ledger is a lost one (a full disk, a failed copy), not a new one: replacing
    # it silently would run every trial again
    path = tmp_path / "empty.db"
    path.touch()
    for opener in (open_ledger, upgrade_ledger):
        with pytest.raises(LedgerError, match=r"empty.db is an empty file \(0 bytes\).*"
                           "delete it to start a new ledger"):
            opener(path)
    assert path.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


def test_create_false_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "ledger.db"
    with pytest.raises(LedgerError, match="does not exist"):
        open_ledger(path, create=False)
    assert not path.parent.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(LedgerError, match="empty"):
        open_ledger(empty, create=False)
    assert empty.read_bytes() == b""


def test_directory_and_unsupported_urls(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="not a file"):
        open_ledger(tmp_path)
    with pytest.raises(LedgerError, match="unsupported ledger URL"):
        open_ledger("mysql://root:hunter2@localhost/db")
    with pytest.raises(LedgerError, match=r"\*\*\*"):
        open_ledger("mysql://root:hunter2@localhost/db")
    with pytest.raises(LedgerError, match="URL or a file path"):
        open_ledger("  ")


def test_upgrade_creates_a_missing_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "ledger.db"
    assert upgrade_ledger(path) == (None, head_revision())
    with open_ledger(path, create=False) as ledger:
        assert ledger.schema_version() == head_revision()


def test_in_memory_ledgers_are_independent() -> None:
    with open_ledger("sqlite://") as one, open_ledger("sqlite:///:memory:") as two:
        one.upsert_study("only-here", spec_hash="h", spec_text="")
        assert two.get_study_id("only-here") is None
        assert one.get_study_id("only-here") == 1


# -- revisions (both back ends) --------------------------------------------------------
# The real head when the test runs; the test-only revision below follows it.
_HEAD = head_revision()

_NEXT_REVISION = textwrap.dedent(
    f'''
    """A test-only revision: add a column to trials (a parent table: batch copy on SQLite).

    Revision ID: next
    Revises: {_HEAD}
    """

    import sqlalchemy as sa
    from alembic import op

    revision = "next"
    down_revision = "{_HEAD}"
    branch_labels = None
    depends_on = None


    def _recreate() -> str:
        return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


    def upgrade() -> None:
        with op.batch_alter_table("trials", recreate=_recreate()) as batch:
            batch.add_column(sa.Column("note", sa.Text(), nullable=True))


    def downgrade() -> None:
        with op.batch_alter_table("trials", recreate=_recreate()) as batch:
            batch.drop_column("note")
    '''
)


def test_old_revision_is_refused_until_upgraded(
    ledger_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with open_ledger(ledger_url) as ledger:  # written at the real head
        assert ledger.schema_version() == _HEAD
        sid = ledger.upsert_study("kept", spec_hash="h", spec_text="")
        cid = make_context(ledger)
        ledger.plan_trials(cid, grid(models=("a",), sizes=(10,), repeats=2))
        for snap in ledger.claim_trials(cid, owner="w"):
            ledger.finish_trial(
                snap.trial_id, complete(snap, accuracy=0.8), owner="w", environment_id=None
            )
        before = ledger.get_trials(cid)
        demo = ledger.get_study_id("demo")  # make_context's study
        doc = ledger.record_document("note", {"kept": [1.5]}, study_id=demo, context_id=cid)
        documents_before = ledger.list_documents("note")
    target = tmp_path / "migrations"
    shutil.copytree(
        open_module.MIGRATIONS_DIR, target, ignore=shutil.ignore_patterns("__pycache__")
    )
    (target / "versions" / "next_test.py").write_text(_NEXT_REVISION)
    monkeypatch.setattr(open_module, "MIGRATIONS_DIR", target)
    assert head_revision() == "next"
    with pytest.raises(LedgerError) as info:
        open_ledger(ledger_url)
    message = str(info.value)
    assert f"schema revision '{_HEAD}'" in message
    assert "dataroi ledger upgrade" in message
    assert "reproductions" in _tables(ledger_url)
    assert upgrade_ledger(ledger_url) == (_HEAD, "next")
    assert upgrade_ledger(ledger_url) == ("next", "next")
    with open_ledger(ledger_url) as ledger:
        assert ledger.schema_version() == "next"
        assert ledger.get_study_id("kept") == sid
        after = ledger.get_trials(cid)
        assert ledger.list_documents("note") == documents_before  # the child of a copied
        assert documents_before[0]["document_id"] == doc  # parent's child survives too
    assert after == before  # rows of child tables (metrics) survive the table copy
    assert all(s.metrics == {"accuracy": 0.8} for s in after)
    engine = _engine(ledger_url)
    try:
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("trials")}
    finally:
        engine.dispose()
    assert "note" in columns


def _ledger_at(url: str, revision: str = "0001") -> dict[str, int]:
    """Create a ledger by running the migrations only up to ``revision``, and fill it (Core
    SQL, naming only columns that exist since 0001).

    Returns the ids of the rows made (study, context, trial).
    """
    now = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), revision)
        with engine.begin() as conn:
            ids = {
                "study": conn.execute(
                    sa.insert(schema.studies).values(name="old", created_at=now)
                ).inserted_primary_key[0],
                "dataset": conn.execute(
                    sa.insert(schema.dataset_versions).values(
                        fingerprint="ab" * 32,
                        n_rows=10,
                        n_columns=2,
                        dtypes={"x": "float64"},
                        source="x.csv",
                        created_at=now,
                    )
                ).inserted_primary_key[0],
            }
            conn.execute(
                sa.insert(schema.study_specs).values(
                    study_id=ids["study"], spec_hash="h", spec_text="name: old", created_at=now
                )
            )
            ids["context"] = conn.execute(
                sa.insert(schema.contexts).values(
                    study_id=ids["study"],
                    dataset_version_id=ids["dataset"],
                    context_hash="c",
                    description={"seed": 0},
                    created_at=now,
                )
            ).inserted_primary_key[0]
            ids["trial"] = conn.execute(
                sa.insert(schema.trials).values(
                    context_id=ids["context"],
                    model="m",
                    model_hash="mh",
                    n_train=10,
                    repeat_index=0,
                    seed=7,
                    state="complete",
                    created_at=now,
                    finished_at=now,
                    predict_seconds=0.5,
                    peak_rss_bytes=2**33,
                )
            ).inserted_primary_key[0]
            conn.execute(
                sa.insert(schema.trial_metrics).values(
                    trial_id=ids["trial"], name="accuracy", value=0.75
                )
            )
            conn.execute(
                sa.insert(schema.reproductions).values(
                    context_id=ids["context"], summary={"ok": True}, created_at=now
                )
            )
    finally:
        engine.dispose()
    return {name: int(value) for name, value in ids.items()}


def test_ledger_at_0001_is_refused_then_upgraded_to_documents(ledger_url: str) -> None:
    ids = _ledger_at(ledger_url, "0001")
    assert "documents" not in _tables(ledger_url)
    with pytest.raises(LedgerError) as info:
        open_ledger(ledger_url)
    message = str(info.value)
    assert "schema revision '0001'" in message
    assert f"older than this dataroi's '{_HEAD}'" in message
    assert "run: dataroi ledger upgrade" in message
    assert "documents" not in _tables(ledger_url)  # refusing changed nothing
    assert upgrade_ledger(ledger_url) == ("0001", _HEAD)
    engine = _engine(ledger_url)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            columns = {c["name"] for c in inspector.get_columns("documents")}
            indexes = {i["name"] for i in inspector.get_indexes("documents")}
    finally:
        engine.dispose()
    assert columns == {
        "id",
        "kind",
        "study_id",
        "context_id",
        "content_hash",
        "payload",
        "created_at",
    }
    assert {"ix_documents_kind_study_id", "ix_documents_kind_content_hash"} <= indexes
    with open_ledger(ledger_url, create=False) as ledger:
        assert ledger.schema_version() == _HEAD
        assert ledger.get_study_id("old") == ids["study"]
        assert [s["spec_text"] for s in ledger.get_study_specs(ids["study"])] == ["name: old"]
        [context] = ledger.list_contexts(ids["study"])
        assert context["context_id"] == ids["context"]
        [trial] = ledger.get_trials(ids["context"])
        assert trial.trial_id == ids["trial"]
        assert trial.state is TrialState.COMPLETE and trial.metrics == {"accuracy": 0.75}
        assert [r["ok"] for r in ledger.list_reproductions(ids["context"])] == [True]
        assert ledger.list_documents("recommendation") == []
        doc = ledger.record_document(
            "recommendation", {"buy": "labels"}, study_id=ids["study"], context_id=ids["context"]
        )
        [stored] = ledger.list_documents("recommendation", study_id=ids["study"])
    assert stored["document_id"] == doc and stored["payload"] == {"buy": "labels"}
    assert upgrade_ledger(ledger_url) == (_HEAD, _HEAD)


def _trial_columns(url: str) -> dict[str, Any]:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return {c["name"]: c for c in sa.inspect(conn).get_columns("trials")}
    finally:
        engine.dispose()


def test_ledger_at_0002_is_refused_then_upgraded_to_model_size(ledger_url: str) -> None:
    ids = _ledger_at(ledger_url, "0002")
    assert "model_bytes" not in _trial_columns(ledger_url)
    with pytest.raises(LedgerError) as info:
        open_ledger(ledger_url)
    message = str(info.value)
    assert "schema revision '0002'" in message
    assert "run: dataroi ledger upgrade" in message
    assert "model_bytes" not in _trial_columns(ledger_url)  # refusing changed nothing
    assert upgrade_ledger(ledger_url) == ("0002", _HEAD)
    columns = _trial_columns(ledger_url)
    for name, kind in (("model_bytes", sa.BigInteger), ("n_predicted", sa.Integer)):
        assert columns[name]["nullable"]
        assert isinstance(columns[name]["type"], kind)
    with open_ledger(ledger_url, create=False) as ledger:
        [old] = ledger.get_trials(ids["context"])  # the trial and its metric are kept
        assert old.trial_id == ids["trial"] and old.metrics == {"accuracy": 0.75}
        assert old.extra["predict_seconds"] == 0.5 and old.extra["peak_rss_bytes"] == 2**33
        assert old.extra["model_bytes"] is None and old.extra["n_predicted"] is None
        ledger.plan_trials(ids["context"], grid(models=("m",), sizes=(20,), repeats=1))
        [snap] = ledger.claim_trials(ids["context"], owner="w")
        assert ledger.finish_trial(
            snap.trial_id, complete(snap, accuracy=0.8), owner="w", environment_id=None
        )
        new = {s.trial_id: s for s in ledger.get_trials(ids["context"])}[snap.trial_id]
        assert (new.extra["model_bytes"], new.extra["n_predicted"]) == (3 * 2**31, 1234)
    assert upgrade_ledger(ledger_url) == (_HEAD, _HEAD)


def test_newer_revision_is_refused(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        ledger.upsert_study("s", spec_hash="h", spec_text="")
    _execute(ledger_url, f"UPDATE {VERSION_TABLE} SET version_num = '9999'")
    with pytest.raises(LedgerError, match="written by a newer dataroi"):
        open_ledger(ledger_url)
    with pytest.raises(LedgerError, match="'9999'"):
        upgrade_ledger(ledger_url)
    engine = _engine(ledger_url)
    try:
        with engine.connect() as conn:
            version = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()
    finally:
        engine.dispose()
    assert version == "9999"


def test_upgrade_ledger_on_empty_and_current_stores(ledger_url: str) -> None:
    assert upgrade_ledger(ledger_url) == (None, head_revision())
    assert upgrade_ledger(ledger_url) == (head_revision(), head_revision())
    with open_ledger(ledger_url, create=False) as ledger:
        assert ledger.schema_version() == head_revision()


def test_foreign_database_is_refused(ledger_url: str) -> None:
    _execute(ledger_url, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    with pytest.raises(LedgerError, match=r"not a dataroi ledger \(tables: users\)"):
        open_ledger(ledger_url)
    with pytest.raises(LedgerError, match="not a dataroi ledger"):
        upgrade_ledger(ledger_url)
    assert _tables(ledger_url) == {"users"}


def test_concurrent_opens_create_the_schema_once(ledger_url: str) -> None:
    errors: list[str] = []
    versions: list[str] = []

    def opener() -> None:
        try:
            with open_ledger(ledger_url) as ledger:
                versions.append(ledger.schema_version())
        except Exception as err:  # reported below
            errors.append(f"{type(err).__name__}: {err}")

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert versions == [head_revision()] * 4


# -- PostgreSQL reachability -----------------------------------------------------------
def test_unreachable_postgres_is_a_ledger_error() -> None:
    url = "postgresql://ada:s3cret@127.0.0.1:1/nowhere"
    with pytest.raises(LedgerError) as info:
        open_ledger(url)
    message = str(info.value)
    assert "postgresql://ada:***@127.0.0.1:1/nowhere" in message
    assert "s3cret" not in message
    assert "\n" not in message
    assert "127.0.0.1" in message.split(": ", 1)[1]
    with pytest.raises(LedgerError, match="cannot open ledger"):
        upgrade_ledger(url)


def test_missing_postgres_database_is_a_ledger_error(postgres_database_url: str) -> None:
    parsed = sa.make_url(postgres_database_url).set(database="dataroi_no_such_db_x")
    url = parsed.render_as_string(hide_password=False)
    with pytest.raises(LedgerError, match="dataroi_no_such_db_x"):
        open_ledger(url)


def test_head_revision_constant_matches_the_migrations() -> None:
    from dataroi.ledger._open import HEAD_REVISION, _known_revisions

    assert _known_revisions()[0] == HEAD_REVISION
