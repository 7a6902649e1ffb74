"""The SQLite catalogue (the default): one file in the library folder, ``catalog.sqlite``.

It is authoritative: the Whoosh index and every derived file can be rebuilt from it and the
item versions it points at. Records are stored as JSON of the model dataclasses, with the
columns needed for lookups beside them. WAL mode lets the server read while an ingest writes.
The schema is brought up to date on opening (``catalog.migrations``); a read-only opening
changes nothing.

Rows are read through ``catalog.records``: a row that does not read as its record is, to the
readers that list many (``item_ids``, ``items``, ``pages``, ``collections``), logged once and
left out, so that one bad row never fails a page listing the library, an ingest or a reindex;
to the readers of one record it is a NotFoundError saying why. Every ``sqlite3.Error`` leaves
as a ``CatalogError`` (``catalog.catalogue.translating``).
"""
from __future__ import annotations

import json
import socket
import sqlite3
import time
from pathlib import Path
from typing import Iterable, Optional

from library.errors import CatalogError, NotFoundError
from library.models import Collection, Item, Work, to_dict

from . import activities, migrations, tombstones
from .catalogue import Catalogue, FixityRecord, _user, guarding_writes, translating


def _translate(exc: BaseException) -> CatalogError:
    return CatalogError(f"the SQLite catalogue failed: {exc}")


@guarding_writes
@translating(sqlite3.Error, _translate)
class SQLiteCatalog(Catalogue):
    """The SQLite catalogue. Use as a context manager or call ``close``."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly:
            uri = f"file:{self.path}?mode=ro"
            self.conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
            self.writable = migrations.may_write(*migrations.sqlite_state(self.conn),
                                                 str(self.path), reading=True)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            migrations.migrate_sqlite(self.conn, str(self.path))
            self.writable = migrations.may_write(*migrations.sqlite_state(self.conn),
                                                 str(self.path))
            if self.writable:
                activities.backfill(self.conn)
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA synchronous=FULL")

    # --- items -------------------------------------------------------------------------------
    def put_item(self, item: Item, *, version_path: str, source_hash: str,
                 fixity: Iterable[FixityRecord], run_id: Optional[int] = None) -> Optional[str]:
        """Insert or replace an item, its pages and fixity in one transaction.

        Returns the version path it replaced, if any, so the caller can remove it.
        """
        now = time.time()
        record = to_dict(item)
        pages = record.pop("pages")
        with self.conn:
            old = self.conn.execute("SELECT version_path, created FROM items WHERE id=?",
                                    (item.id,)).fetchone()
            self.conn.execute("DELETE FROM pages WHERE item_id=?", (item.id,))
            self.conn.execute("DELETE FROM fixity WHERE item_id=?", (item.id,))
            self.conn.execute(
                "INSERT OR REPLACE INTO items (id, version_path, source_hash, record, indexed,"
                " created, updated) VALUES (?,?,?,?,0,?,?)",
                (item.id, version_path, source_hash, json.dumps(record, ensure_ascii=False),
                 old[1] if old else now, now))
            self.conn.executemany(
                "INSERT INTO pages (item_id, ord, label, record) VALUES (?,?,?,?)",
                [(item.id, p["order"], p["label"], json.dumps(p, ensure_ascii=False))
                 for p in pages])
            self.conn.executemany(
                "INSERT INTO fixity (item_id, path, kind, size, sha256) VALUES (?,?,?,?,?)",
                [(item.id, f.path, f.kind, f.size, f.sha256) for f in fixity])
            for cid in item.collections:
                self._add_to_collection(cid, item.id)
            if run_id is not None:
                self._event(run_id, item.id, "info",
                            "replaced" if old else "ingested")
            activities.record(self.conn, item.id, "Update" if old else "Create", now)
            tombstones.forget(self.conn, self.param, item.id)  # published again
        return old[0] if old and old[0] != version_path else None

    def delete_item(self, item_id: str) -> Optional[str]:
        with self.conn:
            return self._delete(item_id)

    def _delete(self, item_id: str) -> Optional[str]:
        old = self.conn.execute("SELECT version_path FROM items WHERE id=?",
                                (item_id,)).fetchone()
        self.conn.execute("DELETE FROM items WHERE id=?", (item_id,))
        if old:
            activities.record(self.conn, item_id, "Delete", time.time())
        return old[0] if old else None

    def withdraw_item(self, item_id: str, reason: str,
                      run_id: Optional[int] = None) -> tuple[tombstones.Tombstone, str]:
        """Delete the item, record its tombstone and an event, in one transaction: (the
        tombstone, the version path no longer referenced). NotFoundError if there is none."""
        with self.conn:
            r = self.conn.execute("SELECT record FROM items WHERE id=?", (item_id,)).fetchone()
            if not r:
                raise NotFoundError(f"no item {item_id!r} in the library")
            tomb = tombstones.of_record(item_id, r[0], time.time(), reason)
            old = self._delete(item_id)
            tombstones.insert(self.conn, self.param, tomb)
            self._event(run_id, item_id, "info", f"withdrawn: {reason}")
        return tomb, old

    def mark_indexed(self, item_ids: Iterable[str], value: bool = True) -> None:
        with self.conn:
            self.conn.executemany("UPDATE items SET indexed=? WHERE id=?",
                                  [(int(value), i) for i in item_ids])

    # --- collections -------------------------------------------------------------------------
    def put_collection(self, coll: Collection) -> None:
        existing = self.get_collection(coll.id, missing_ok=True)
        if existing:
            coll.items = list(dict.fromkeys(existing.items + coll.items))
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO collections VALUES (?,?)",
                              (coll.id, json.dumps(to_dict(coll), ensure_ascii=False)))

    def _add_to_collection(self, cid: str, item_id: str) -> None:
        coll = self.get_collection(cid, missing_ok=True) or Collection(id=cid,
                                                                       label={"en": cid})
        if item_id not in coll.items:
            coll.items.append(item_id)
        self.conn.execute("INSERT OR REPLACE INTO collections VALUES (?,?)",
                          (cid, json.dumps(to_dict(coll), ensure_ascii=False)))

    # --- works (their readers: catalog.work_readers) ---------------------------------------------
    def put_work(self, work: Work) -> list[str]:
        """Insert or replace a work and its volumes; return the items that became or stopped
        being its volumes (their index documents carry the work, so they are reindexed)."""
        before = set(self.conn.execute("SELECT item_id FROM work_volumes WHERE work_id=?",
                                       (work.id,)).fetchall())
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO works (id, record, updated) VALUES (?,?,?)",
                              (work.id, json.dumps(to_dict(work), ensure_ascii=False),
                               time.time()))
            self.conn.execute("DELETE FROM work_volumes WHERE work_id=?", (work.id,))
            self.conn.executemany(
                "INSERT INTO work_volumes (work_id, ord, item_id, label) VALUES (?,?,?,?)",
                [(work.id, n, v.item, v.label) for n, v in enumerate(work.volumes, start=1)])
        after = {(v.item,) for v in work.volumes}
        return sorted(i for (i,) in before ^ after)

    def _has_works(self) -> bool:
        """Whether the works tables exist: a catalogue written before them and opened read-only
        (the viewer's) has none, and then no works."""
        if not getattr(self, "_works_tables", False):
            self._works_tables = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='work_volumes'"
            ).fetchone() is not None
        return self._works_tables

    # --- runs and events ---------------------------------------------------------------------
    def start_run(self, batch: str) -> int:
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO runs (batch, user, host, started) VALUES (?,?,?,?)",
                (batch, _user(), socket.gethostname(), time.time()))
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str) -> None:
        with self.conn:
            self.conn.execute("UPDATE runs SET finished=?, status=? WHERE id=?",
                              (time.time(), status, run_id))

    def event(self, run_id: Optional[int], item_id: Optional[str], level: str,
              message: str) -> None:
        with self.conn:
            self._event(run_id, item_id, level, message)

    def _event(self, run_id, item_id, level, message) -> None:
        self.conn.execute("INSERT INTO events (run_id, item_id, level, message, time)"
                          " VALUES (?,?,?,?,?)", (run_id, item_id, level, message, time.time()))

    # --- consistency (catalog/consistency.py) ------------------------------------------------
    def forget_source_hash(self, item_id: str) -> bool:
        """Make the next ingest of the item's batch replace it even if its sources did not
        change (its copy in the library is damaged); False if it was forgotten already."""
        with self.conn:
            cur = self.conn.execute("UPDATE items SET source_hash='' WHERE id=? AND "
                                    "source_hash != ''", (item_id,))
        return cur.rowcount > 0

