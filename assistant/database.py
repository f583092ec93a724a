"""The durable state's database: SQLite under the data directory by default, PostgreSQL (psycopg 3) when
`GALAXY_DATABASE__URL` names one, so that replicas share conversations, feedback, submissions, introductions,
saved needs, bot state and the docstore. SQLAlchemy Core; the schema is Alembic's (assistant/migrations)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from assistant.errors import ConfigurationError, MissingExtraError, StoreUnavailable
from assistant.settings import SQLITE_FILE

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest migration's revision (a test checks it is Alembic's head): a database already there is opened
#: without loading Alembic, which costs a one-shot CLI command a fifth of a second.
SCHEMA_REVISION = "0002"


def database_url(url: str, data_dir: Path) -> str:
    """The configured URL, or the SQLite file under the data directory."""
    return url or f"sqlite:///{(data_dir / SQLITE_FILE).resolve()}"


class Database:
    """One engine for every store. `write()` is a transaction that takes the write lock at its start (on SQLite,
    `BEGIN IMMEDIATE`: a read-then-write never fails half-way on another writer's snapshot); `read()` is a plain
    connection. Every commit is durable (SQLite: synchronous=FULL; PostgreSQL: its default fsync)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        # SQLite allows one writer per file; taking turns in-process spares the busy-timeout back-off.
        self._sqlite_writer = threading.Lock()

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        if not self.is_sqlite:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._sqlite_writer, self.engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn
            if not self.is_sqlite:
                conn.rollback()

    def insert_ignoring_duplicates(self, table: Table, rows: Sequence[dict[str, Any]], conn: Connection) -> int:
        """Insert `rows`, skipping any whose unique key is already stored; returns how many were new."""
        if not rows:
            return 0
        statement = self._dialect_insert(table).on_conflict_do_nothing()
        return int(conn.execute(statement, list(rows)).rowcount or 0)

    def upsert(self, table: Table, rows: Sequence[dict[str, Any]], conn: Connection, *, keys: Sequence[str]) -> None:
        """Insert `rows`, replacing the other columns of any whose `keys` are already stored."""
        if not rows:
            return
        statement = self._dialect_insert(table)
        updates = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
        conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=updates), list(rows))

    def _dialect_insert(self, table: Table) -> Any:
        if self.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(table)
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is off: Database.write() says BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_database_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"GALAXY_DATABASE__URL is not a database URL: {exc}") from exc
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError("GALAXY_DATABASE__URL must be a sqlite:/// or postgresql:// URL.")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10)
    except (ModuleNotFoundError, NoSuchModuleError) as exc:
        raise MissingExtraError("The PostgreSQL driver (psycopg)", "postgres") from exc


def migrate(database: Database) -> None:
    """Bring the schema to the newest revision; safe to run from several replicas at once (PostgreSQL: under an
    advisory lock; SQLite: under the file's write lock)."""
    if _schema_revision(database) == SCHEMA_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database.engine.connect() as conn:
        if not database.is_sqlite:
            conn.execute(text("SELECT pg_advisory_lock(7478394)"))  # any constant shared by every replica
        config.attributes["connection"] = conn
        try:
            command.upgrade(config, "head")
            conn.commit()
        finally:
            if not database.is_sqlite:
                conn.execute(text("SELECT pg_advisory_unlock(7478394)"))
                conn.commit()


def _schema_revision(database: Database) -> str | None:
    with database.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def open_database(url: str, *, data_dir: Path | None = None) -> Database:
    """Connect, migrate, and (SQLite under the data directory) take in the files of earlier versions."""
    database = Database(create_database_engine(url))
    try:
        migrate(database)
    except OperationalError as exc:
        database.close()
        raise StoreUnavailable(f"database {make_url(url).render_as_string(hide_password=True)}: {exc.orig}") from exc
    if data_dir is not None and database.is_sqlite:
        import_legacy_files(database, data_dir)
    return database


#: Before the shared database, each store had its own SQLite file under the data directory.
LEGACY_FILES: dict[str, tuple[str, ...]] = {
    "docstore.sqlite3": ("kv",),
    "conversations.sqlite3": ("turns",),
    "feedback.sqlite3": ("feedback",),
    "submissions.sqlite3": ("submissions",),
    "introductions.sqlite3": ("introductions",),
    "needs.sqlite3": ("needs", "need_matches"),
    "telegram.sqlite3": ("chat_language",),
}


def import_legacy_files(database: Database, data_dir: Path) -> None:
    """Copy the rows of an earlier version's per-store files into the database once, keeping their ids, then
    rename each file `*.imported`. Idempotent: a crash before the rename re-imports nothing twice."""
    for name, tables in LEGACY_FILES.items():
        path = data_dir / name
        if not path.is_file():
            continue
        with database.engine.connect() as conn:
            conn.exec_driver_sql("ATTACH DATABASE ? AS legacy", (str(path),))  # outside a transaction, or refused
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                present = set(inspect(conn).get_table_names(schema="legacy"))
                copied = sum(_copy_legacy_table(conn, table, present) for table in tables)
                conn.exec_driver_sql("COMMIT")
            finally:
                if conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
                    conn.exec_driver_sql("ROLLBACK")
                conn.exec_driver_sql("DETACH DATABASE legacy")
        path.rename(path.with_name(name + ".imported"))
        for suffix in ("-wal", "-shm"):
            path.with_name(name + suffix).unlink(missing_ok=True)
        log.info("imported %d rows from %s into %s", copied, path, SQLITE_FILE)


def _copy_legacy_table(conn: Connection, table: str, present: set[str]) -> int:
    if table not in present:
        return 0
    from assistant.schema import metadata

    legacy_columns = {column["name"] for column in inspect(conn).get_columns(table, schema="legacy")}
    columns = [c.name for c in metadata.tables[table].columns if c.name in legacy_columns]
    names, values = ", ".join(columns), ", ".join(columns)
    if table == "turns" and "answer_id" not in legacy_columns:
        names += ", answer_id"
        values += ", COALESCE(json_extract(meta, '$.answer_id'), '')"
    sql = f"INSERT OR IGNORE INTO {table} ({names}) SELECT {values} FROM legacy.{table}"
    return int(conn.exec_driver_sql(sql).rowcount or 0)
