"""The durable state's database: Alembic's schema is the one the stores query, on SQLite and on a real
PostgreSQL; an earlier version's per-store SQLite files are taken in once; bad URLs are clear errors."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from assistant.database import MIGRATIONS, SCHEMA_REVISION, open_database
from assistant.errors import ConfigurationError, StoreUnavailable
from assistant.knowledge.store import DatabaseKVStore
from assistant.schema import metadata
from tests.conftest import free_port, sqlite_database
from tests.real_servers import postgres_server


def bump_concurrently(counters: list[DatabaseKVStore]) -> dict | None:
    """Two threads per store, 25 bumps each, all at once; the counter as the first store reads it after."""

    def bump(kv: DatabaseKVStore) -> None:
        for _ in range(25):
            kv.increment("generation", "galaxy/generation")

    threads = [threading.Thread(target=bump, args=(kv,)) for kv in counters * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counters[0].get("generation", "galaxy/generation")


def _differences(database) -> list:
    with database.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def test_the_shortcut_revision_is_alembics_head():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def test_migrations_build_exactly_the_schema_the_stores_use_on_sqlite(database):
    assert _differences(database) == []


@pytest.mark.slow
def test_migrations_build_exactly_the_schema_the_stores_use_on_postgresql():
    with postgres_server() as url:
        database = open_database(url)
        again = open_database(url)  # a second replica starting: nothing to do, nothing broken
        try:
            assert _differences(database) == []
            assert bump_concurrently([DatabaseKVStore(database), DatabaseKVStore(again)]) == {"n": 100}
        finally:
            database.close()
            again.close()


def test_concurrent_bumps_from_two_connections_are_never_lost_on_sqlite(tmp_path):
    first, second = sqlite_database(tmp_path / "g.sqlite3"), sqlite_database(tmp_path / "g.sqlite3")
    assert bump_concurrently([DatabaseKVStore(first), DatabaseKVStore(second)]) == {"n": 100}


def _legacy_files(data_dir) -> None:
    """The files an earlier version wrote, with the schemas it wrote them in."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(data_dir / "conversations.sqlite3") as conn:
        conn.execute(
            "CREATE TABLE turns (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, role TEXT NOT NULL,"
            " content TEXT NOT NULL, meta TEXT NOT NULL DEFAULT '{}', created REAL NOT NULL)"
        )
        conn.execute("INSERT INTO turns VALUES (7, 's1', 'user', 'Kiosks?', '{}', 1.0)")
        conn.execute("INSERT INTO turns VALUES (8, 's1', 'assistant', 'Yes [1]', '{\"answer_id\": \"a8\"}', 2.0)")
    with sqlite3.connect(data_dir / "feedback.sqlite3") as conn:
        conn.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, answer_id TEXT"
            " NOT NULL, rating TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT 'api',"
            " created REAL NOT NULL)"
        )
        conn.execute("INSERT INTO feedback VALUES (3, 's1', 'a8', 'up', 'useful', 'api', 3.0)")
    with sqlite3.connect(data_dir / "docstore.sqlite3") as conn:
        conn.execute("CREATE TABLE kv (collection TEXT, key TEXT, value TEXT, PRIMARY KEY (collection, key))")
        conn.execute("""INSERT INTO kv VALUES ('galaxy/manifest', 'sol-1', '{"hash": "h"}')""")


def test_an_earlier_versions_files_are_taken_in_once(tmp_path):
    from assistant.answers.conversation import ConversationStore
    from assistant.community.feedback import FeedbackStore

    data_dir = tmp_path / "data"
    _legacy_files(data_dir)
    url = f"sqlite:///{data_dir / 'galaxy.sqlite3'}"
    database = open_database(url, data_dir=data_dir)
    assert [t.content for t in ConversationStore(database).history("s1")] == ["Kiosks?", "Yes [1]"]
    assert ConversationStore(database).has_answer("s1", "a8")  # copied out of the old JSON meta
    assert [f.comment for f in FeedbackStore(database).list()] == ["useful"]
    assert DatabaseKVStore(database).get("sol-1", "galaxy/manifest") == {"hash": "h"}
    assert not (data_dir / "feedback.sqlite3").exists() and (data_dir / "feedback.sqlite3.imported").exists()
    database.close()

    # A crash between the copy and the rename: the file is read again, and nothing is doubled.
    (data_dir / "feedback.sqlite3.imported").rename(data_dir / "feedback.sqlite3")
    database = open_database(url, data_dir=data_dir)
    assert len(FeedbackStore(database).list()) == 1
    assert FeedbackStore(database).add("s1", "a8", "down") == 4  # ids go on after the imported ones
    database.close()


def test_a_url_that_is_not_a_database_is_a_clear_error():
    with pytest.raises(ConfigurationError, match="GALAXY_DATABASE__URL"):
        open_database("not a url")
    with pytest.raises(ConfigurationError, match="sqlite:/// or postgresql://"):
        open_database("mysql://db.example/galaxy")


def test_an_unreachable_postgresql_is_a_store_outage_without_the_password():
    pytest.importorskip("psycopg")
    with pytest.raises(StoreUnavailable) as info:
        open_database(f"postgresql://galaxy:hunter2@127.0.0.1:{free_port()}/galaxy?connect_timeout=2")
    assert "hunter2" not in str(info.value) and "hunter2" not in info.value.user_message
