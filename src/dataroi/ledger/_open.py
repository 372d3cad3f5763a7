"""Open a ledger by URL, checking what is there before writing anything; upgrade schemas.

Accepted locations:
    - ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``, or a plain file path
      (``/tmp/study/ledger.db``, ``ledger.db``): an SQLite file (parent directories are
      created).
    - ``sqlite://``: an in-memory ledger (for examples and tests).
    - ``postgresql://user:password@host:5432/dbname``: PostgreSQL through psycopg 3
      (``pip install 'dataroi[postgres]'``).

On open, the store is inspected read-only first:
    - not an SQLite file, or a database holding other tables → :class:`LedgerError`,
      nothing written;
    - an empty (0-byte) file, or an SQLite file shorter than its header says (cut short
      by a full disk or an interrupted copy) → :class:`LedgerError` naming the file and
      what to do, nothing written (it is never silently replaced by a new ledger);
    - empty → the schema is created by running the migrations to head (``create=True``);
    - a dataroi ledger at an older schema revision → :class:`LedgerError` telling to run
      ``dataroi ledger upgrade <url>``;
    - at a revision this dataroi does not know → :class:`LedgerError` (written by a newer
      dataroi).

Example:
    >>> from dataroi.ledger import open_ledger
    >>> with open_ledger("sqlite://") as ledger:
    ...     ledger.schema_version() == head_revision()
    True
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from dataroi.exceptions import LedgerError
from dataroi.ledger._schema import VERSION_TABLE
from dataroi.ledger._sql import WRITE_OPTION, SQLLedger

__all__ = ["MIGRATIONS_DIR", "head_revision", "open_ledger", "upgrade_ledger"]

#: The alembic script directory shipped inside the package.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: SQLite waits this long for a competing writer before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: PostgreSQL advisory lock taken while migrating, so two openers never both create.
_PG_MIGRATION_LOCK = 0x6461_7461_726F_6931  # "dataroi1"

_SQLITE_MAGIC = b"SQLite format 3\x00"

_Kind = Literal["empty", "current", "old"]


@dataclass(frozen=True)
class _Target:
    """A parsed ledger location."""

    url: URL
    display: str  # what messages show (password masked; a plain path stays a path)
    public_url: str  # what ``SQLLedger.url`` holds (normalised, password masked)
    sqlite_path: Path | None  # the file of a file-backed SQLite ledger
    memory: bool

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()


@dataclass(frozen=True)
class _Status:
    """What a database holds: its tables and our alembic revision (if any)."""

    tables: frozenset[str]
    revisions: tuple[str, ...]



def _switch_to_wal(cursor: Any) -> None:
    """Put the file in WAL mode (persistent), retrying while another connection holds a
    lock: changing the journal mode does not wait on SQLite's busy timeout."""
    import sqlite3
    import time

    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)

class _SQLiteHooks:
    """Connection set-up for SQLite: real transactions, busy timeout, foreign keys, WAL.

    pysqlite's own transaction handling does not wrap DDL and begins lazily; the
    listeners below follow SQLAlchemy's recipe (driver autocommit + explicit ``BEGIN``),
    and write transactions start with ``BEGIN IMMEDIATE`` so that a reader never has to
    upgrade its lock (which fails at once in WAL mode instead of waiting).
    WAL is switched on only once the file is known to be a ledger (``wal = True``): it
    changes the file header, and a foreign file must stay untouched.
    """

    def __init__(self, *, memory: bool) -> None:
        self.memory = memory
        self.wal = False

    def on_connect(self, dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if self.wal and not self.memory:
                _switch_to_wal(cursor)
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    def on_begin(self, conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _parse(url: str | os.PathLike[str]) -> _Target:
    if not isinstance(url, str | os.PathLike) or not str(url).strip():
        raise LedgerError(f"ledger location must be a URL or a file path, got {url!r}")
    raw = str(url).strip()
    if "://" not in raw:  # a plain file path
        path = Path(raw).expanduser().resolve()
        sa_url = URL.create("sqlite", database=str(path))
        return _Target(sa_url, raw, sa_url.render_as_string(), path, memory=False)
    try:
        sa_url = make_url(raw)
    except exc.ArgumentError as err:
        raise LedgerError(f"cannot parse ledger URL {raw!r}: {err}") from err
    display = sa_url.render_as_string(hide_password=True)
    backend = sa_url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        driver = sa_url.get_driver_name() if "+" in sa_url.drivername else "psycopg"
        sa_url = sa_url.set(drivername=f"postgresql+{driver}")
        return _Target(sa_url, display, display, None, memory=False)
    if backend == "sqlite":
        database = sa_url.database
        if not database or database == ":memory:" or database.startswith("file::memory:"):
            return _Target(sa_url, display, display, None, memory=True)
        path = Path(database).expanduser().resolve()
        sa_url = sa_url.set(database=str(path))
        return _Target(sa_url, display, sa_url.render_as_string(), path, memory=False)
    raise LedgerError(
        f"unsupported ledger URL {display}: use sqlite:///path/to/ledger.db, a file path, "
        "or postgresql://user@host:5432/dbname"
    )


def _precheck_sqlite_file(target: _Target, *, create: bool) -> None:
    """Check an SQLite file by its header before any driver touches it; create a missing
    one (whole, see :func:`_create_sqlite_file`) when ``create``."""
    path = target.sqlite_path
    if path is None:
        return
    if path.exists():
        if not path.is_file():
            raise LedgerError(f"{path} is not a dataroi ledger (not a file)")
        with path.open("rb") as fh:
            header = fh.read(100)
        if not header:
            raise LedgerError(
                f"{path} is an empty file (0 bytes), not a dataroi ledger, and was left "
                "as it is; delete it to start a new ledger (every trial runs again), or "
                "restore the ledger from a backup")
        if header[:len(_SQLITE_MAGIC)] != _SQLITE_MAGIC:
            raise LedgerError(f"{path} is not a dataroi ledger (not an SQLite database)")
        _check_whole(path, header)
        return
    if not create:
        raise LedgerError(f"{path} does not exist (no dataroi ledger there)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise LedgerError(f"cannot create the directory of ledger {path}: {err}") from err
    _create_sqlite_file(target)


def _damaged(path: Path, what: str) -> LedgerError:
    return LedgerError(
        f"{path} is damaged ({what}) and was left as it is; restore the ledger from a "
        "backup, or move it away to start a new ledger (every trial runs again)")


def _check_whole(path: Path, header: bytes) -> None:
    """Refuse an SQLite file cut short (a full disk, an interrupted copy): its size must
    be whole pages, as many as its header says.

    SQLite itself opens such a file and fails only at the first read of a missing page,
    possibly after a write. The check is skipped while a write-ahead log or rollback
    journal lies beside the file: SQLite completes the file from it (a checkpoint
    interrupted by a crash leaves the header ahead of the file).

    Example:
        >>> import sqlite3, tempfile
        >>> db = Path(tempfile.mkdtemp()) / "x.db"
        >>> with sqlite3.connect(db) as conn:
        ...     _ = conn.execute("CREATE TABLE t (x)")
        >>> _check_whole(db, db.read_bytes()[:100])  # whole: no error
        >>> _ = db.write_bytes(db.read_bytes()[:5000])
        >>> _check_whole(db, db.read_bytes()[:100])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        dataroi.exceptions.LedgerError: ...x.db is damaged (cut short: ...
    """
    for suffix in ("-wal", "-journal"):
        with contextlib.suppress(OSError):
            if os.path.getsize(f"{path}{suffix}") > 0:
                return
    size = path.stat().st_size
    if len(header) < 100:
        raise _damaged(path, f"cut short: {size} bytes, less than an SQLite header")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1) or header[21:24] != b"\x40\x20\x20":
        # not a header SQLite wrote (it says the same: "file is not a database")
        raise LedgerError(f"{path} is not a dataroi ledger (not an SQLite database)")
    n_pages = int.from_bytes(header[28:32], "big")
    # the header's page count is valid when its change counter matches (SQLite ≥ 3.7)
    if n_pages and header[24:28] == header[92:96]:
        expected = n_pages * page_size
        if size < expected:
            raise _damaged(path, f"cut short: {size:,} bytes of the {expected:,} its "
                                 "header records")
    elif size % page_size:
        raise _damaged(path, f"cut short: {size:,} bytes is not a whole number of "
                             f"{page_size:,}-byte pages")


def _create_sqlite_file(target: _Target) -> None:
    """Create a new SQLite ledger whole, or not at all: the schema is written to a
    temporary file beside it, which is then hard-linked into place.

    Created in place, the file would be empty (0 bytes) until the schema is written: a
    crash then would leave an empty file (refused by :func:`_precheck_sqlite_file`), and
    a process opening it meanwhile would find it empty. The link fails if the file
    appeared meanwhile (another process created it): that one is used.
    """
    path = target.sqlite_path
    assert path is not None
    with _CREATING:  # alembic's migration context is global: one at a time per process
        if not path.exists():  # another thread created it meanwhile
            _create_whole(target, path)


#: Held while this process creates a ledger file.
_CREATING = threading.Lock()


def _create_whole(target: _Target, path: Path) -> None:
    """Write the schema to a temporary file beside ``path``, then link it into place."""
    import uuid

    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.new")
    tmp_target = _Target(target.url.set(database=str(tmp)), target.display,
                         target.public_url, tmp, memory=False)
    engine, hooks = _make_engine(tmp_target)
    try:
        assert hooks is not None
        hooks.wal = True
        with _translate_errors(target):
            _migrate_to_head(engine, tmp_target)
            with engine.connect() as conn:  # everything into the file, the log emptied
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process created it meanwhile: use theirs
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    except OSError as err:
        raise LedgerError(f"cannot create ledger {path}: {err}") from err
    finally:
        engine.dispose()
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                os.unlink(f"{tmp}{suffix}")


def _make_engine(target: _Target) -> tuple[Engine, _SQLiteHooks | None]:
    if target.dialect == "sqlite":
        hooks = _SQLiteHooks(memory=target.memory)
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if target.memory:
            kwargs["poolclass"] = StaticPool
        engine = sa.create_engine(target.url, **kwargs)
        event.listen(engine, "connect", hooks.on_connect)
        event.listen(engine, "begin", hooks.on_begin)
        return engine, hooks
    try:
        engine = sa.create_engine(
            target.url, connect_args={"connect_timeout": 10}, pool_pre_ping=True
        )
    except (ImportError, exc.NoSuchModuleError) as err:
        raise LedgerError(
            f"cannot open ledger {target.display}: the PostgreSQL driver is missing "
            f"({err}); install it with: pip install 'dataroi[postgres]'"
        ) from err
    return engine, None


def _reason(err: BaseException) -> str:
    """The driver's one-line reason for an error."""
    orig = getattr(err, "orig", None) or err
    text = str(orig).strip()
    return text.splitlines()[0].strip() if text else type(orig).__name__


@contextlib.contextmanager
def _translate_errors(target: _Target) -> Iterator[None]:
    try:
        yield
    except exc.DBAPIError as err:
        reason = _reason(err)
        if target.sqlite_path is not None and "not a database" in reason:
            raise LedgerError(
                f"{target.sqlite_path} is not a dataroi ledger (not an SQLite database)"
            ) from err
        if target.sqlite_path is not None and "malformed" in reason:
            raise _damaged(target.sqlite_path, reason) from err
        raise LedgerError(f"cannot open ledger {target.display}: {reason}") from err


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


#: The schema revision this code writes; a test checks it is the migrations' head.
HEAD_REVISION = "0003"
_PACKAGED_MIGRATIONS = MIGRATIONS_DIR


def _known_revisions() -> tuple[str, frozenset[str]]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    head = script.get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise LedgerError(f"no ledger migrations found in {MIGRATIONS_DIR}")
    known = frozenset(rev.revision for rev in script.walk_revisions())
    return head, known


def head_revision() -> str:
    """Return the schema revision this version of dataroi writes (the migrations' head).

    Example:
        >>> head_revision()
        '0003'
    """
    return _known_revisions()[0]


def _read_status(conn: Connection) -> _Status:
    tables = frozenset(sa.inspect(conn).get_table_names())
    revisions: tuple[str, ...] = ()
    if VERSION_TABLE in tables:
        rows = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
        revisions = tuple(str(r) for r in rows)
    return _Status(tables, revisions)


def _describe_tables(tables: frozenset[str]) -> str:
    names = sorted(tables)
    shown = ", ".join(names[:12])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 12 else "")


def _classify(status: _Status, target: _Target) -> _Kind:
    """Say what the store is; raise :class:`LedgerError` when it is not usable as is."""
    if not (status.tables - {VERSION_TABLE}) and not status.revisions:
        return "empty"
    if VERSION_TABLE not in status.tables or "trials" not in status.tables:
        raise LedgerError(
            f"{target.display} is not a dataroi ledger (tables: {_describe_tables(status.tables)})"
        )
    if status.revisions == (HEAD_REVISION,) and MIGRATIONS_DIR == _PACKAGED_MIGRATIONS:
        return "current"  # the common case, without loading alembic's scripts
    head, known = _known_revisions()
    if len(status.revisions) != 1:
        raise LedgerError(
            f"{target.display} is not a dataroi ledger (its {VERSION_TABLE} table holds "
            f"{len(status.revisions)} revisions, expected 1)"
        )
    revision = status.revisions[0]
    if revision == head:
        return "current"
    if revision in known:
        return "old"
    raise LedgerError(
        f"{target.display} was written by a newer dataroi (schema revision {revision!r} is "
        f"unknown to this version, whose newest is {head!r}); upgrade dataroi to open it"
    )


def _old_revision_error(target: _Target, status: _Status) -> LedgerError:
    return LedgerError(
        f"{target.display} is a dataroi ledger at schema revision {status.revisions[0]!r}, "
        f"older than this dataroi's {head_revision()!r}; back it up, then run: "
        f"dataroi ledger upgrade {target.display}"
    )


def _migrate_to_head(engine: Engine, target: _Target) -> str | None:
    """Run the migrations to head in one locked transaction; return the former revision.

    The store is re-inspected under the lock, so two processes opening the same empty
    store concurrently create the schema once. On SQLite, foreign keys are off while
    migrating: batch migrations copy and drop tables, and with foreign keys on, dropping a
    parent table would cascade-delete its children's rows. ``PRAGMA foreign_key_check``
    then verifies the result before the commit.
    """
    from alembic import command

    sqlite = engine.dialect.name == "sqlite"
    with engine.execution_options(**{WRITE_OPTION: True}).connect() as conn:
        raw = conn.connection.dbapi_connection  # no transaction begun yet
        if sqlite and raw is not None:
            raw.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction
        try:
            with conn.begin():
                if not sqlite:
                    conn.execute(
                        sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                    )
                status = _read_status(conn)
                kind = _classify(status, target)
                if kind != "current":
                    command.upgrade(_alembic_config(conn), "head")
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise LedgerError(
                            f"migrating {target.display} would break {len(broken)} foreign "
                            f"key reference(s) (first: {tuple(broken[0])}); nothing was changed"
                        )
        finally:
            if sqlite and raw is not None:
                raw.execute("PRAGMA foreign_keys = ON")
        return status.revisions[0] if status.revisions else None


def _open_engine(target: _Target, *, create: bool) -> tuple[Engine, _SQLiteHooks | None]:
    _precheck_sqlite_file(target, create=create)
    return _make_engine(target)


def open_ledger(url: str | os.PathLike[str], *, create: bool = True) -> SQLLedger:
    """Open the ledger at ``url``, creating its schema if the store is empty.

    Args:
        url: ``sqlite:///path.db``, a plain file path, ``sqlite://`` (in memory) or
            ``postgresql://user:password@host/dbname`` (psycopg 3 is used).
        create: create the schema in an empty store (a new SQLite file included); when
            False, an empty or missing store raises :class:`LedgerError`.

    Returns:
        An open :class:`SQLLedger`; close it (or use it as a context manager) when done.

    Raises:
        LedgerError: the store is not a dataroi ledger, is at another schema revision,
            cannot be reached, or is empty while ``create`` is False. Nothing is written.

    Example:
        >>> ledger = open_ledger("sqlite://")
        >>> ledger.get_study_id("nothing yet") is None
        True
        >>> ledger.close()
    """
    target = _parse(url)
    engine, hooks = _open_engine(target, create=create)
    try:
        with _translate_errors(target):
            with engine.connect() as conn:
                status = _read_status(conn)
            kind = _classify(status, target)
            if kind == "old":
                raise _old_revision_error(target, status)
            if kind == "empty" and not create:
                raise LedgerError(
                    f"{target.display} holds no dataroi ledger (it is empty); "
                    "open it with create=True to create one"
                )
            if hooks is not None and not hooks.memory:
                hooks.wal = True
                engine.dispose()  # connections made from now on use WAL
            if kind == "empty":
                _migrate_to_head(engine, target)
    except BaseException:
        engine.dispose()
        raise
    return SQLLedger(engine, url=target.public_url)


def upgrade_ledger(url: str | os.PathLike[str]) -> tuple[str | None, str]:
    """Migrate the ledger at ``url`` to this dataroi's schema revision.

    An empty store (a missing SQLite file included) gets the full schema. Back up the
    ledger first: a migration changes it in place (in one transaction where the database
    allows).

    Args:
        url: as for :func:`open_ledger`.

    Returns:
        ``(from_revision, to_revision)``; ``from_revision`` is None for an empty store,
        and equals ``to_revision`` when nothing had to be done.

    Raises:
        LedgerError: the store is not a dataroi ledger, is newer than this dataroi, or
            cannot be reached.

    Example:
        >>> upgrade_ledger("sqlite://")  # an empty in-memory store gets the schema
        (None, '0003')
    """
    target = _parse(url)
    missing = target.sqlite_path is not None and not target.sqlite_path.exists()
    engine, hooks = _open_engine(target, create=True)
    try:
        with _translate_errors(target):
            with engine.connect() as conn:
                _classify(_read_status(conn), target)
            if hooks is not None and not hooks.memory:
                hooks.wal = True
                engine.dispose()
            previous = _migrate_to_head(engine, target)
    finally:
        engine.dispose()
    return (None if missing else previous), head_revision()
