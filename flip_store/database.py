"""Opening the results database: SQLite by default, any SQLAlchemy URL (PostgreSQL for hosts).

SQLite is configured for one writer and many readers at once: WAL journal (the leaderboard
reads while an ingest writes), foreign keys on, ``synchronous=NORMAL``, and a busy timeout so
that a second writer waits instead of failing at once. Every way of failing to open a database
(missing, read-only, locked, from a newer schema) ends in one :class:`FlipStoreError` line.

Several processes may open a new store at once (parallel ``flip ingest`` on a fresh machine):
building or migrating the schema is serialised, by a lock file beside a SQLite database and by
a transaction-level advisory lock on PostgreSQL, so the first builds it and the others wait and
find it built.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from flip_core.errors import FlipError
from flip_store.migrations import migrate
from flip_store.schema import SCHEMA_VERSION, Base, SchemaInfoRow

DB_URL_ENV = "FLIP_DB_URL"
DEFAULT_DB_PATH = Path("results") / "flip.db"
BUSY_TIMEOUT_SECONDS = 30.0


class FlipStoreError(FlipError):
    """The database cannot be opened, read or written; the message says why and what to do."""


def default_url() -> str:
    """``$FLIP_DB_URL``, else ``sqlite:///results/flip.db`` (relative to the working folder)."""
    return os.environ.get(DB_URL_ENV) or f"sqlite:///{DEFAULT_DB_PATH}"


def _describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def open_engine(
    url: str | None = None,
    *,
    create: bool = False,
    read_only: bool = False,
    busy_timeout: float = BUSY_TIMEOUT_SECONDS,
) -> Engine:
    """An engine on a database whose schema is current.

    ``create``: build the tables in a new or empty database, and migrate an older one.
    ``read_only``: SQLite is opened in read-only mode (the leaderboard), other back ends rely on
    the account's rights.
    """
    url = url or default_url()
    try:
        sqlite_path = _sqlite_path(url)
    except ArgumentError:
        raise FlipStoreError(f"not a database URL: {url!r}") from None
    connect_args: dict[str, object] = {}
    if sqlite_path is not None:
        if not sqlite_path.exists():
            if not create:
                raise FlipStoreError(
                    f"no database at {sqlite_path}; build it with `flip ingest results/raw`"
                )
            try:
                sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise FlipStoreError(f"cannot create {sqlite_path.parent}: {error}") from None
        connect_args["timeout"] = busy_timeout
        if read_only:
            url = f"sqlite:///file:{sqlite_path.resolve()}?mode=ro&uri=true"
    try:
        engine = create_engine(url, connect_args=connect_args, pool_pre_ping=True)
    except (ArgumentError, ImportError, ValueError) as error:
        raise FlipStoreError(f"cannot use database {_describe(url)}: {error}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout, read_only)
    if sqlite_path is not None and create:
        from filelock import FileLock, Timeout

        try:
            with FileLock(str(sqlite_path) + ".schema-lock", timeout=busy_timeout):
                _prepare_schema(engine, url, create)
        except Timeout:
            raise FlipStoreError(
                f"{sqlite_path}: another process kept its schema locked for {busy_timeout:.0f} s"
            ) from None
        except OSError as error:
            raise FlipStoreError(f"cannot lock {sqlite_path}: {error}") from None
    else:
        _prepare_schema(engine, url, create)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout: float, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


def _prepare_schema(engine: Engine, url: str, create: bool) -> None:
    """Check the store's schema, and with ``create`` build or migrate it. A current store is
    only read; the work, when there is some, runs locked and is checked again inside the lock,
    because another process may have done it meanwhile."""
    where = _describe(url)
    try:
        with engine.begin() as connection:
            if _schema_is_current(connection, where, create):
                return
        with engine.begin() as connection:
            _begin_schema_work(connection)
            if not _schema_is_current(connection, where, create):
                _build_or_migrate(connection)
    except FlipStoreError:
        raise
    except (OperationalError, DBAPIError) as error:
        raise FlipStoreError(f"cannot open {where}: {explain_database_error(error)}") from None


def _schema_is_current(connection: Connection, where: str, create: bool) -> bool:
    """True for a store at this package's schema version; False where ``create`` may build or
    migrate it; a one-line :class:`FlipStoreError` for anything else."""
    tables = set(inspect(connection).get_table_names())
    if "schema_info" not in tables:
        if tables:
            raise FlipStoreError(f"{where} holds tables that are not a flip results store")
        if not create:
            raise FlipStoreError(f"{where} is empty; build it with `flip ingest`")
        return False
    version = connection.execute(select(SchemaInfoRow.version)).scalar_one_or_none()
    if version is None:
        raise FlipStoreError(f"{where} has no schema version row; it is damaged")
    if version > SCHEMA_VERSION:
        raise FlipStoreError(
            f"{where} has schema version {version}, newer than this flip-reward-bench "
            f"understands ({SCHEMA_VERSION}); upgrade the package"
        )
    if version < SCHEMA_VERSION and not create:
        raise FlipStoreError(
            f"{where} has schema version {version} (current {SCHEMA_VERSION}); "
            "run `flip ingest` once to migrate it"
        )
    return version == SCHEMA_VERSION


def _build_or_migrate(connection: Connection) -> None:
    """The tables and their version row in a new store, or an older store migrated."""
    if "schema_info" not in set(inspect(connection).get_table_names()):
        Base.metadata.create_all(connection)
        _record_schema_version(connection, SCHEMA_VERSION)
        return
    version = connection.execute(select(SchemaInfoRow.version)).scalar_one()
    migrate(connection, version)


def _begin_schema_work(connection: Connection) -> None:
    """Make building or migrating the schema one transaction that one process runs at a time.

    PostgreSQL: concurrent creators take turns on an advisory lock (released at commit).
    SQLite: Python's sqlite3 driver opens a transaction only before INSERT, UPDATE and DELETE,
    so each ``CREATE TABLE`` used to commit on its own and a process killed while building a
    new store left tables without their version row, a store every later command refused as
    damaged. An explicit ``BEGIN IMMEDIATE`` (the write lock at once) puts the tables, the
    version row and any migration in one transaction; the driver then leaves it to the commit.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _record_schema_version(connection: Connection, version: int) -> None:
    """The row that makes a set of tables a store (written in the transaction that built them)."""
    connection.execute(SchemaInfoRow.__table__.insert().values(id=1, version=version))


_SCHEMA_LOCK = 0x666C6970  # "flip": the advisory lock key of schema creation on PostgreSQL


def check_writable(engine: Engine) -> None:
    """Fail at once, with one line, when this process cannot write: one probe write that waits
    for another writer up to the busy timeout (as every write does), so that an ingest of many
    runs stops once instead of failing each run after its own timeout."""
    try:
        with engine.begin() as connection:
            connection.execute(update(SchemaInfoRow).values(version=SchemaInfoRow.version))
    except (OperationalError, DBAPIError) as error:
        raise FlipStoreError(
            f"cannot write to {_describe(str(engine.url))}: {explain_database_error(error)}"
        ) from None


def explain_database_error(error: Exception) -> str:
    """One line for the usual database failures (locked, read-only, unreachable)."""
    text = str(getattr(error, "orig", error) or error).strip().splitlines()[0]
    lowered = text.lower()
    if "locked" in lowered:
        return f"the database stayed locked by another process ({text})"
    if "readonly" in lowered or "read-only" in lowered:
        return f"the database is read-only ({text})"
    if "unable to open" in lowered:
        return f"the database file cannot be opened ({text})"
    return text


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if anything raises."""
    factory = sessionmaker(engine, expire_on_commit=False)
    session = factory()
    try:
        with session.begin():
            yield session
    except IntegrityError:
        raise  # callers decide what a duplicate means
    except (OperationalError, DBAPIError) as error:
        raise FlipStoreError(
            f"database {_describe(str(engine.url))}: {explain_database_error(error)}"
        ) from None
    finally:
        session.close()
