"""The catalogue's activity log: each publication (Create, Update) and deletion of an item, with
the time it ended, in the order they happened. IIIF Change Discovery (library/iiif_discovery.py,
viewer/discovery.py) pages through it, oldest first.

``catalog.db.Catalog`` appends ``SCHEMA`` to its own, records an activity in the same
transaction as the change it describes (``record``), and fills the log once for a library made
before it existed (``backfill``: a Create at each item's creation time, and an Update at its
last change when that is later). Rows are never changed or removed, so a page of the log,
once full, stays the same: harvesters may cache it.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

TYPES = ("Create", "Update", "Delete")

SCHEMA = """
CREATE TABLE IF NOT EXISTS activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('Create', 'Update', 'Delete')),
    end_time REAL NOT NULL
);
"""
_BACKFILLED = "activities_backfilled"


@dataclass(frozen=True)
class Activity:
    """One change of an item: ``type`` is Create, Update or Delete; ``end_time`` in seconds
    since the epoch (UTC); ``position`` counts from 0 across the whole log."""

    position: int
    item_id: str
    type: str
    end_time: float


def record(conn: sqlite3.Connection, item_id: str, kind: str, when: float,
           p: str = "?") -> None:
    """Log one activity (inside the caller's transaction); ``p`` is the driver's parameter
    mark (PostgreSQL's ``%s``)."""
    if kind not in TYPES:
        raise ValueError(f"not an activity type: {kind!r}")
    conn.execute(f"INSERT INTO activities (item_id, type, end_time) VALUES ({p},{p},{p})",
                 (item_id, kind, when))


def backfill(conn: sqlite3.Connection) -> int:
    """Log the items of a library older than the log, once (the meta table remembers); the
    number of activities written."""
    if conn.execute("SELECT 1 FROM meta WHERE key=?", (_BACKFILLED,)).fetchone():
        return 0  # the common case, read without taking the write lock
    # Several processes may open an old library at once: the write lock is taken before the
    # mark is read again, so one of them fills the log and the others find the mark.
    conn.execute("BEGIN IMMEDIATE")
    try:
        events: list[tuple[float, str, str]] = []
        if not conn.execute("SELECT 1 FROM meta WHERE key=?", (_BACKFILLED,)).fetchone():
            conn.execute("INSERT INTO meta VALUES (?, '1')", (_BACKFILLED,))
            if not conn.execute("SELECT 1 FROM activities LIMIT 1").fetchone():
                rows = conn.execute("SELECT id, created, updated FROM items").fetchall()
                events = [(c, i, "Create") for i, c, _u in rows]
                events += [(u, i, "Update") for i, c, u in rows if u > c]
                events.sort()
                conn.executemany(
                    "INSERT INTO activities (item_id, type, end_time) VALUES (?,?,?)",
                    [(i, kind, t) for t, i, kind in events])
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return len(events)


def count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0]


def window(conn: sqlite3.Connection, start: int, size: int, p: str = "?") -> list[Activity]:
    """The activities at positions ``start`` .. ``start + size - 1``, oldest first."""
    rows = conn.execute("SELECT item_id, type, end_time FROM activities ORDER BY id "
                        f"LIMIT {p} OFFSET {p}", (size, start)).fetchall()
    return [Activity(start + n, i, k, t) for n, (i, k, t) in enumerate(rows)]

