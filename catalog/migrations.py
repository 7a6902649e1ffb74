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

from typing import Optional

from library.errors import CatalogVersionError

from . import activities, tombstones

VERSION_KEY = "schema_version"
READERS_KEY = "readers_from"  # the oldest schema version whose code reads this catalogue
# the key of PostgreSQL's transaction-scoped advisory lock taken while migrating ("SudurMig")
PG_MIGRATION_LOCK = 0x5375_6475_724D_6967 & 0x7FFF_FFFF_FFFF_FFFF

_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


@dataclass(frozen=True)
class Step:
    number: int
    what: str
    sqlite: str
    postgres: str
    # True when code that knows only the earlier steps still reads a catalogue with this step
    # correctly (the step only adds): such nodes keep serving during a rolling upgrade
    old_readers_ok: bool = False


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
    Step(2, "the activity log (IIIF Change Discovery)", activities.SCHEMA, _POSTGRES_2,
         old_readers_ok=True),
    # a library of version 1 made after the works branch has these tables already
    Step(3, "multi-volume works and their volumes", _SQLITE_3, _POSTGRES_3,
         old_readers_ok=True),
    # older code does not read it: a withdrawn item is simply not found there (404, not 410)
    Step(4, "tombstones of withdrawn items", tombstones.SQLITE, tombstones.POSTGRES,
         old_readers_ok=True),
)
LATEST = STEPS[-1].number


def statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


def readers_from(version: int) -> int:
    """The oldest schema version whose code reads a catalogue of ``version`` correctly."""
    return max((s.number for s in STEPS if s.number <= version and not s.old_readers_ok),
               default=0)


def may_write(found: int, readers: Optional[int], where: str, *, reading: bool = False) -> bool:
    """Whether this code may write (after migrating) a catalogue of schema ``found`` whose
    ``readers_from`` is ``readers``; False when it may only read it. CatalogVersionError when
    it may not even read it: a newer schema whose readers must be newer, or (``reading``: a
    reader, which never migrates) an older one."""
    if found > LATEST:
        if readers is not None and readers <= LATEST:
            return False
        raise CatalogVersionError(
            f"the catalogue {where} has schema version {found}, which this Sudur (schema "
            f"{LATEST}) cannot read", hint="upgrade Sudur on this node to the version the "
            "other nodes run")
    if reading and 0 < found < LATEST:
        raise CatalogVersionError(
            f"the catalogue {where} has schema version {found}, older than this Sudur's "
            f"({LATEST}); a reader does not migrate it",
            hint="run `sudur migrate` (or any ingest) once to bring the catalogue up to date")
    return True


def _readers_row(readers: Optional[str]) -> Optional[int]:
    return int(readers) if readers is not None and readers.isdigit() else None


# --- SQLite ----------------------------------------------------------------------------------

def sqlite_state(conn: sqlite3.Connection) -> tuple[int, Optional[int]]:
    """(schema version, readers_from) of a SQLite catalogue ((0, None) when it is empty)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
                        ).fetchone():
        return 0, None
    rows = dict(conn.execute("SELECT key, value FROM meta WHERE key IN (?, ?)",
                             (VERSION_KEY, READERS_KEY)).fetchall())
    return int(rows.get(VERSION_KEY) or 0), _readers_row(rows.get(READERS_KEY))


def _sqlite_version(conn: sqlite3.Connection) -> int:
    return sqlite_state(conn)[0]


def migrate_sqlite(conn: sqlite3.Connection, where: str = "") -> list[int]:
    """Bring a SQLite catalogue to ``LATEST``; the numbers of the steps applied."""
    found, readers = sqlite_state(conn)
    may_write(found, readers, where)
    if found >= LATEST:
        return []  # the common case, read without taking the write lock
    # a new catalogue's tables all appear in this one transaction: a reader never finds some
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_META)
        found, readers = sqlite_state(conn)
        may_write(found, readers, where)
        done = []
        for step in STEPS:
            if step.number > found:
                for sql in statements(step.sqlite):
                    conn.execute(sql)
                done.append(step.number)
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                     (VERSION_KEY, str(max(found, LATEST))))
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                     (READERS_KEY, str(readers_from(max(found, LATEST)))))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return done


# --- PostgreSQL ------------------------------------------------------------------------------

def postgres_state(conn) -> tuple[int, Optional[int]]:
    """(schema version, readers_from) of a PostgreSQL catalogue ((0, None) with no tables)."""
    if not conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]:
        return 0, None
    values = dict(conn.execute("SELECT key, value FROM meta WHERE key = ANY(%s)",
                               ([VERSION_KEY, READERS_KEY],)).fetchall())
    return int(values.get(VERSION_KEY) or 0), _readers_row(values.get(READERS_KEY))


def postgres_version(conn) -> int:
    """The schema version of a PostgreSQL catalogue (0 when it has no tables yet)."""
    return postgres_state(conn)[0]


def migrate_postgres(conn, where: str = "") -> list[int]:
    """Bring a PostgreSQL catalogue (an autocommit psycopg connection) to ``LATEST``; the
    numbers of the steps applied."""
    found, readers = postgres_state(conn)
    may_write(found, readers, where)
    if found >= LATEST:
        return []
    done = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (PG_MIGRATION_LOCK,))
        conn.execute(_META)
        found, readers = postgres_state(conn)
        may_write(found, readers, where)
        for step in STEPS:
            if step.number > found:
                for sql in statements(step.postgres):
                    conn.execute(sql)
                done.append(step.number)
        for key, value in ((VERSION_KEY, max(found, LATEST)),
                           (READERS_KEY, readers_from(max(found, LATEST)))):
            conn.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET "
                         "value = EXCLUDED.value", (key, str(value)))
    return done
