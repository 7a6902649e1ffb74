"""Tombstones: what the catalogue keeps of a withdrawn item, so that its persistent URLs answer
410 Gone (when and why it went, how to cite it) rather than 404, and OAI-PMH lists it as a
deleted record.

A tombstone is written in the same transaction that deletes the item's row
(``withdraw_item`` of both backends), and removed by the transaction that publishes the item
again (``put_item``): an item id is either in the items table or tombstoned, never both. The
SQL here is shared by both backends; ``p`` is the driver's parameter mark (sqlite3's ``?``,
psycopg's ``%s``). The table itself is migration step 4 (``catalog.migrations``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from library.errors import WithdrawnError
from library.models import Item

# the title a tombstone keeps for messages and OAI, chosen as the index chooses an item's
TITLE_LANGUAGES = ("en", "zh-Hans", "zh-Hant", "mn-Mong", "bo")

SQLITE = """
CREATE TABLE IF NOT EXISTS tombstones (
    item_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    titles TEXT NOT NULL DEFAULT '{}',
    collections TEXT NOT NULL DEFAULT '[]',
    withdrawn REAL NOT NULL,
    reason TEXT NOT NULL
)
"""

POSTGRES = """
CREATE TABLE IF NOT EXISTS tombstones (
    item_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    titles TEXT NOT NULL DEFAULT '{}',
    collections TEXT NOT NULL DEFAULT '[]',
    withdrawn DOUBLE PRECISION NOT NULL,
    reason TEXT NOT NULL
)
"""

_COLUMNS = "item_id, title, titles, collections, withdrawn, reason"
_CHUNK = 500  # ids a query names at most (old SQLite builds allow 999 parameters)


@dataclass(frozen=True)
class Tombstone:
    """A withdrawn item: its id, title (and titles by language), the collections it was in
    (OAI sets), when it was withdrawn (seconds since the epoch, UTC) and why."""

    item_id: str
    title: str
    withdrawn: float
    reason: str
    titles: dict = field(default_factory=dict)
    collections: tuple[str, ...] = ()

    @classmethod
    def of(cls, item: Item, when: float, reason: str) -> "Tombstone":
        return cls(item.id, item.title(TITLE_LANGUAGES), when, reason, dict(item.titles),
                   tuple(item.collections))

    def error(self) -> WithdrawnError:
        """What every URL of the item answers (HTTP 410)."""
        return WithdrawnError(f"the item {self.item_id!r} was withdrawn: {self.reason}",
                              item_id=self.item_id, title=self.title,
                              withdrawn=self.withdrawn, reason=self.reason,
                              titles=self.titles)


def _row(r) -> Tombstone:
    item_id, title, titles, collections, withdrawn, reason = r
    try:
        names, colls = json.loads(titles), json.loads(collections)
    except ValueError:  # a damaged row still says that, when and why the item went
        names, colls = {}, []
    return Tombstone(item_id, title, float(withdrawn), reason,
                     names if isinstance(names, dict) else {},
                     tuple(c for c in colls if isinstance(c, str))
                     if isinstance(colls, list) else ())


def insert(conn, p: str, tomb: Tombstone) -> None:
    """Record ``tomb`` (replacing an older one of the same id), in the caller's transaction."""
    conn.execute(f"DELETE FROM tombstones WHERE item_id={p}", (tomb.item_id,))
    conn.execute(f"INSERT INTO tombstones ({_COLUMNS}) VALUES ({p},{p},{p},{p},{p},{p})",
                 (tomb.item_id, tomb.title, json.dumps(tomb.titles, ensure_ascii=False),
                  json.dumps(list(tomb.collections), ensure_ascii=False), tomb.withdrawn,
                  tomb.reason))


def forget(conn, p: str, item_id: str) -> None:
    """Remove the item's tombstone (it is being published again), in the caller's
    transaction."""
    conn.execute(f"DELETE FROM tombstones WHERE item_id={p}", (item_id,))


def get(conn, p: str, item_id: str) -> "Tombstone | None":
    r = conn.execute(f"SELECT {_COLUMNS} FROM tombstones WHERE item_id={p}",
                     (item_id,)).fetchone()
    return _row(r) if r else None


def among(conn, p: str, item_ids: list[str]) -> dict[str, Tombstone]:
    """The tombstones of those of ``item_ids`` that were withdrawn, by item id: one query per
    500 ids (a work's volumes), under the smallest limit on parameters of either driver."""
    out: dict[str, Tombstone] = {}
    wanted = sorted(set(item_ids))
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        marks = ",".join([p] * len(chunk))
        for r in conn.execute(f"SELECT {_COLUMNS} FROM tombstones WHERE item_id IN ({marks})",
                              tuple(chunk)).fetchall():
            tomb = _row(r)
            out[tomb.item_id] = tomb
    return out


def every(conn) -> list[Tombstone]:
    """Every tombstone, in item id order."""
    return [_row(r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM tombstones ORDER BY item_id").fetchall()]


def of_record(item_id: str, record: str, when: float, reason: str) -> Tombstone:
    """The tombstone of the item whose catalogue record is ``record`` (JSON); an unreadable
    record is withdrawn all the same, under its id."""
    from .records import item_record
    from library.errors import NotFoundError

    try:
        item = item_record(item_id, record)
    except NotFoundError:
        return Tombstone(item_id, item_id, when, reason)
    return Tombstone.of(item, when, reason)
