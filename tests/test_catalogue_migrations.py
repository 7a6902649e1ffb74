"""Versioned schema migrations: a SQLite catalogue written by the code before them opens and is
brought up to date in place; a newer one is read but not written when its steps only added
(a rolling upgrade), else refused; PostgreSQL migrates once under a lock."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from catalog import migrations
from catalog.catalogue import open_catalog
from catalog.db import Catalog
from library.errors import CatalogVersionError
from library.settings import Settings
from pg_fixtures import new_pg_url, pg_server, pg_url  # noqa: F401  (fixtures)

# The schema exactly as catalog/db.py wrote it before migrations existed (version 1, with the
# activity log appended by the discovery work); ``_OLD_LOG`` is that last table.
_OLD_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, version_path TEXT NOT NULL,
    source_hash TEXT NOT NULL, record TEXT NOT NULL, indexed INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS pages (item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL, label TEXT NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (item_id, ord));
CREATE TABLE IF NOT EXISTS collections (id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fixity (item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    path TEXT NOT NULL, kind TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
    PRIMARY KEY (item_id, path));
CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT, batch TEXT NOT NULL,
    user TEXT NOT NULL, host TEXT NOT NULL, started REAL NOT NULL, finished REAL,
    status TEXT NOT NULL DEFAULT 'running');
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER REFERENCES runs(id), item_id TEXT, level TEXT NOT NULL,
    message TEXT NOT NULL, time REAL NOT NULL);
"""
_OLD_LOG = """
CREATE TABLE IF NOT EXISTS activities (id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL, type TEXT NOT NULL CHECK (type IN ('Create', 'Update', 'Delete')),
    end_time REAL NOT NULL);
"""
_RECORD = ('{"id": "old-1", "titles": {"en": "An old item"}, "pages": []}')
_PAGE = ('{"item_id": "old-1", "order": 1, "label": "1a", "image": "images/0001.png", '
         '"width": 10, "height": 20, "text": "old text"}')


def _old_catalogue(path, *, with_log: bool) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(_OLD_TABLES + (_OLD_LOG if with_log else ""))
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO items VALUES ('old-1', 'items/old-1@v1', 'h', ?, 1, 100.0, 160.0)",
                 (_RECORD,))
    conn.execute("INSERT INTO pages VALUES ('old-1', 1, '1a', ?)", (_PAGE,))
    conn.execute("INSERT INTO runs (batch, user, host, started) VALUES ('b', 'u', 'h', 1.0)")
    conn.commit()
    conn.close()


def _version(conn) -> str:
    return conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]


@pytest.mark.parametrize("with_log", [True, False], ids=["main-era", "before-the-log"])
def test_an_old_sqlite_catalogue_migrates_in_place(tmp_path, with_log):
    lib = tmp_path / "lib"
    lib.mkdir()
    _old_catalogue(lib / "catalog.sqlite", with_log=with_log)
    with open_catalog(Settings.load(lib)) as cat:
        assert _version(cat.conn) == str(migrations.LATEST)
        item = cat.get_item("old-1")
        assert item.titles == {"en": "An old item"} and item.pages[0].text == "old text"
        assert cat.item_row("old-1").indexed is True
        # the log of a library made before it is filled once from the items' times
        assert [(a.type, a.end_time) for a in cat.activities(0, 5)] == [
            ("Create", 100.0), ("Update", 160.0)]
        cat.put_item(item, version_path="items/old-1@v2", source_hash="h2", fixity=[])
        assert cat.activity_count() == 3
    with open_catalog(Settings.load(lib)) as cat:
        assert migrations.migrate_sqlite(cat.conn) == []  # up to date: nothing applied


def test_only_the_missing_steps_are_applied(tmp_path):
    path = tmp_path / "c.sqlite"
    _old_catalogue(path, with_log=False)
    conn = sqlite3.connect(path)
    assert migrations.migrate_sqlite(conn) == [s.number for s in migrations.STEPS
                                               if s.number > 1]
    assert conn.execute("SELECT COUNT(*) FROM activities").fetchone() == (0,)
    conn.close()


def _age(path, version: int, readers: int | None) -> None:
    """Make the SQLite catalogue at ``path`` look written by another version of Sudur."""
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(version),))
    conn.execute("DELETE FROM meta WHERE key='readers_from'")
    if readers is not None:
        conn.execute("INSERT INTO meta VALUES ('readers_from', ?)", (str(readers),))
    conn.commit()
    conn.close()


def _meta(path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT key, value FROM meta"))
    finally:
        conn.close()


def test_migrating_records_which_readers_can_read_the_result(tmp_path):
    with Catalog(tmp_path / "c.sqlite"):
        pass
    meta = _meta(tmp_path / "c.sqlite")
    assert meta["schema_version"] == str(migrations.LATEST)
    # every step after the first only adds, so code of schema 1 still reads the catalogue
    assert meta["readers_from"] == str(migrations.readers_from(migrations.LATEST)) == "1"


def test_a_catalogue_this_code_cannot_read_is_refused_unchanged(tmp_path):
    path = tmp_path / "c.sqlite"
    with Catalog(path):
        pass
    newer = migrations.LATEST + 1
    _age(path, newer, readers=newer)  # the new step changed what old readers rely on
    before = _meta(path)
    for readonly in (False, True):
        with pytest.raises(CatalogVersionError, match="cannot read") as info:
            Catalog(path, readonly=readonly)
        assert info.value.http_status == 503 and info.value.retry_after
        assert "upgrade Sudur" in info.value.hint
    assert _meta(path) == before


def test_a_newer_catalogue_old_readers_can_read_is_served_but_not_written(tmp_path):
    """A rolling upgrade: the new nodes migrated the catalogue with a step that only adds;
    a node still on this version keeps reading it and refuses every write, unchanged."""
    path = tmp_path / "c.sqlite"
    with Catalog(path) as cat:
        cat.start_run("batch")
    _age(path, migrations.LATEST + 1, readers=migrations.LATEST)
    before = _meta(path)
    with Catalog(path) as cat:
        assert cat.writable is False
        assert cat.item_ids() == [] and cat.collections() == []
        with pytest.raises(CatalogVersionError, match="does not write it"):
            cat.start_run("another batch")
        with pytest.raises(CatalogVersionError):
            cat.forget_source_hash("x")
    assert _meta(path) == before
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    conn.close()


def test_a_reader_finding_an_older_catalogue_says_to_migrate(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from library.cli import cli

    lib = tmp_path / "lib"
    settings = Settings.load(lib)
    with open_catalog(settings):
        pass
    _age(lib / "catalog.sqlite", migrations.LATEST - 1, readers=1)
    with pytest.raises(CatalogVersionError, match="older than this Sudur") as info:
        open_catalog(settings, readonly=True)
    assert "sudur migrate" in info.value.hint
    runner = CliRunner()
    out = runner.invoke(cli, ["--library", str(lib), "migrate"])
    assert out.exit_code == 0, out.output
    assert f"schema version {migrations.LATEST - 1} → {migrations.LATEST}" in out.output
    with open_catalog(settings, readonly=True) as cat:
        assert cat.item_ids() == []
    again = runner.invoke(cli, ["--library", str(lib), "migrate"])
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_each_step_has_both_dialects_numbered_in_order():
    numbers = [s.number for s in migrations.STEPS]
    assert numbers == list(range(1, len(numbers) + 1)) and migrations.LATEST == numbers[-1]
    for step in migrations.STEPS:
        assert migrations.statements(step.sqlite) and migrations.statements(step.postgres)


def test_postgres_migrates_once_with_several_openers_at_once(pg_url):
    import psycopg

    from catalog.db_postgres import PostgresCatalog

    errors: list[BaseException] = []
    start = threading.Barrier(5)

    def open_it() -> None:
        try:
            start.wait()
            with psycopg.connect(pg_url, autocommit=True) as conn:
                migrations.migrate_postgres(conn)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with PostgresCatalog(pg_url) as cat:
        assert _version(cat.conn) == str(migrations.LATEST)
        assert migrations.migrate_postgres(cat.conn) == []


def test_postgres_at_version_one_gets_the_later_steps(pg_url):
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for sql in migrations.statements(migrations.STEPS[0].postgres):
            conn.execute(sql)
        conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        assert migrations.migrate_postgres(conn) == [s.number for s in migrations.STEPS[1:]]
        assert conn.execute("SELECT to_regclass('activities') IS NOT NULL").fetchone()[0]
        assert _version(conn) == str(migrations.LATEST)
