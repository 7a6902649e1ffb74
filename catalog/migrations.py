"""Versioned schema migrations of the catalogue, one table of numbered steps for both backends.

Each ``Step`` holds its SQL twice, in SQLite's dialect and in PostgreSQL's. The number of the
last step applied is recorded in the ``meta`` table under ``schema_version``: the key the
SQLite catalogue has written since its first version, so a library made before migrations
existed reads as version 1 and is brought up to date in place. Pending steps are applied in one
transaction, under the backend's write lock (SQLite's ``BEGIN IMMEDIATE``, a PostgreSQL
transaction-scoped advisory lock), with the version read again inside it: processes opening an
old catalogue at once migrate it once. A catalogue newer than this code is refused, unchanged.

To change the schema, append a Step with the next number and both dialects; never edit a step
that has shipped. Step statements are separated by ``;`` and hold no ``;`` of their own.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from library.errors import CatalogError

from . import activities

VERSION_KEY = "schema_version"
# the key of PostgreSQL's transaction-scoped advisory lock taken while migrating ("SudurMig")
PG_MIGRATION_LOCK = 0x5375_6475_724D_6967 & 0x7FFF_FFFF_FFFF_FFFF

_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


@dataclass(frozen=True)
class Step:
    number: int
    what: str
    sqlite: str
    postgres: str


_SQLITE_1 = """
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    version_path TEXT NOT NULL,
    source_hash TEXT NOT NULL,
    record TEXT NOT NULL,
    indexed INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS pages (
    item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    label TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (item_id, ord)
);
CREATE TABLE IF NOT EXISTS collections (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fixity (
    item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (item_id, path)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch TEXT NOT NULL,
    user TEXT NOT NULL,
    host TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL DEFAULT 'running'
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER REFERENCES runs(id),
    item_id TEXT,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    time REAL NOT NULL
)
"""

# The same tables in PostgreSQL: times stay seconds since the epoch (DOUBLE PRECISION) so both
# backends hand back the same values; "user" is a reserved word there, hence quoted.
_POSTGRES_1 = """
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    version_path TEXT NOT NULL,
    source_hash TEXT NOT NULL,
    record TEXT NOT NULL,
    indexed BOOLEAN NOT NULL DEFAULT FALSE,
    created DOUBLE PRECISION NOT NULL,
    updated DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS pages (
    item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    label TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (item_id, ord)
);
CREATE TABLE IF NOT EXISTS collections (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fixity (
    item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (item_id, path)
);
CREATE TABLE IF NOT EXISTS runs (
    id BIGSERIAL PRIMARY KEY,
    batch TEXT NOT NULL,
    "user" TEXT NOT NULL,
    host TEXT NOT NULL,
    started DOUBLE PRECISION NOT NULL,
    finished DOUBLE PRECISION,
    status TEXT NOT NULL DEFAULT 'running'
);
CREATE TABLE IF NOT EXISTS events (
    id BIGSERIAL PRIMARY KEY,
    run_id BIGINT REFERENCES runs(id),
    item_id TEXT,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    time DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS events_item ON events (item_id)
"""

_POSTGRES_2 = """
CREATE TABLE IF NOT EXISTS activities (
    id BIGSERIAL PRIMARY KEY,
    item_id TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('Create', 'Update', 'Delete')),
    end_time DOUBLE PRECISION NOT NULL
)
"""

# multi-volume works (issue 15, the works branch): the record, and its volumes in order. A
# volume names an item without a foreign key: re-ingesting (replacing) a volume keeps its work,
# and a work may name a volume that has not landed yet.
_SQLITE_3 = """
CREATE TABLE IF NOT EXISTS works (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS work_volumes (
    work_id TEXT NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (work_id, ord)
);
CREATE INDEX IF NOT EXISTS work_volumes_item ON work_volumes (item_id)
"""

_POSTGRES_3 = """
CREATE TABLE IF NOT EXISTS works (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    updated DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS work_volumes (
    work_id TEXT NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (work_id, ord)
);
CREATE INDEX IF NOT EXISTS work_volumes_item ON work_volumes (item_id)
"""

STEPS: tuple[Step, ...] = (
    Step(1, "items, pages, collections, fixity, runs, events", _SQLITE_1, _POSTGRES_1),
    # a library of version 1 made after the activity log existed has its table already
    Step(2, "the activity log (IIIF Change Discovery)", activities.SCHEMA, _POSTGRES_2),
    # a library of version 1 made after the works branch has these tables already
    Step(3, "multi-volume works and their volumes", _SQLITE_3, _POSTGRES_3),
)
LATEST = STEPS[-1].number


def statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


def _refuse_newer(found: int, where: str) -> None:
    if found > LATEST:
        raise CatalogError(f"the catalogue {where} has schema version {found}, newer than this "
                           f"Sudur knows ({LATEST})", hint="upgrade Sudur on this machine")


# --- SQLite ----------------------------------------------------------------------------------

def _sqlite_version(conn: sqlite3.Connection) -> int:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
                        ).fetchone():
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key=?", (VERSION_KEY,)).fetchone()
    return int(row[0]) if row else 0


def migrate_sqlite(conn: sqlite3.Connection, where: str = "") -> list[int]:
    """Bring a SQLite catalogue to ``LATEST``; the numbers of the steps applied."""
    found = _sqlite_version(conn)
    _refuse_newer(found, where)
    if found >= LATEST:
        return []  # the common case, read without taking the write lock
    # a new catalogue's tables all appear in this one transaction: a reader never finds some
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_META)
        found = _sqlite_version(conn)
        _refuse_newer(found, where)
        done = []
        for step in STEPS:
            if step.number > found:
                for sql in statements(step.sqlite):
                    conn.execute(sql)
                done.append(step.number)
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                     (VERSION_KEY, str(max(found, LATEST))))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return done


# --- PostgreSQL ------------------------------------------------------------------------------

def postgres_version(conn) -> int:
    """The schema version of a PostgreSQL catalogue (0 when it has no tables yet)."""
    exists = conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]
    if not exists:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key=%s", (VERSION_KEY,)).fetchone()
    return int(row[0]) if row else 0


def migrate_postgres(conn, where: str = "") -> list[int]:
    """Bring a PostgreSQL catalogue (an autocommit psycopg connection) to ``LATEST``; the
    numbers of the steps applied."""
    found = postgres_version(conn)
    _refuse_newer(found, where)
    if found >= LATEST:
        return []
    done = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (PG_MIGRATION_LOCK,))
        conn.execute(_META)
        found = postgres_version(conn)
        _refuse_newer(found, where)
        for step in STEPS:
            if step.number > found:
                for sql in statements(step.postgres):
                    conn.execute(sql)
                done.append(step.number)
        conn.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET "
                     "value = EXCLUDED.value", (VERSION_KEY, str(max(found, LATEST))))
    return done
