"""The PostgreSQL catalogue (``catalog_url = postgresql://USER@HOST:PORT/DB``), psycopg 3.

The same tables and records as the SQLite catalogue (``catalog.migrations`` holds both
dialects), so every node of a cluster reads one catalogue and an item is published for all of
them by one commit. Connections are in autocommit mode and every write is one explicit
transaction: a reader never holds a snapshot open between statements.

Connections come from the process's pool (``catalog.pg_pool``); each opening checks the
schema against this code (``catalog.migrations.may_write``: a rolling upgrade may have moved it).

Failures: a server that cannot be reached, or that goes away under a connection (a restart),
is ``CatalogUnavailableError`` (HTTP 503 with Retry-After, CLI exit 75); the next use of the
catalogue object connects again, so a web node resumes by itself when the server is back, and
an ingest fails only the item it was writing. Every other psycopg error is ``CatalogError``.

The ingest lock is a session-level advisory lock on a connection of its own
(``catalog.pg_lock``). It relies on forked ingest workers never closing that inherited
connection (multiprocessing ends its children with ``os._exit``, which runs no finaliser);
the catalogue's own connections come from ``catalog.pg_pool``, which never closes a parent's
connection in a child.
"""
from __future__ import annotations

import json
import os
import socket
import time
from typing import TYPE_CHECKING, Iterable, Optional
from urllib.parse import urlsplit, urlunsplit

from library.errors import CatalogError, CatalogUnavailableError, NotFoundError
from library.models import Collection, Item, Page, to_dict

if TYPE_CHECKING:
    from library.models import Work  # the works branch's model

from . import activities, migrations, pg_pool, pg_search_write, tombstones
from .catalogue import Catalogue, FixityRecord, ItemRow, _user, guarding_writes, translating
from .records import item_record, page_record

_MIGRATED: set[str] = set()  # catalogue URLs this process has brought up to date
_LAST_ORDER = (1 << 31) - 1  # pages.ord is an INTEGER


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:
        raise CatalogError("catalog_url names a PostgreSQL catalogue, but psycopg is not "
                           "installed", hint="pip install -e '.[cluster]'") from exc
    return psycopg


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def _translate(exc: BaseException) -> CatalogError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, _psycopg().OperationalError):
        return CatalogUnavailableError(f"the PostgreSQL catalogue is unreachable: {first}")
    return CatalogError(f"the PostgreSQL catalogue failed: {first}")


def connect(url: str, *, readonly: bool = False, purpose: str = "catalogue"):
    """An autocommit psycopg connection, named in pg_stat_activity by host and process."""
    psycopg = _psycopg()
    extra = {"options": "-c default_transaction_read_only=on"} if readonly else {}
    name = f"sudur {purpose} {socket.gethostname()} pid {os.getpid()}"[:63]
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5, application_name=name,
                               **extra)
    except psycopg.OperationalError as exc:
        raise CatalogUnavailableError(
            f"cannot reach the PostgreSQL catalogue {redacted(url)}: "
            f"{str(exc).strip().splitlines()[-1] if str(exc).strip() else exc}") from exc


def schema_version(url: str) -> int:
    """The schema version of the catalogue at ``url`` (0: no catalogue there yet)."""
    conn = connect(url, readonly=True)
    try:
        return migrations.postgres_version(conn)
    except _psycopg().Error as exc:
        raise _translate(exc) from exc
    finally:
        conn.close()


class _NoDriver(Exception):
    """Stands for psycopg's errors when it is not installed (then nothing of it can fail:
    connecting says what to install first)."""


def _driver_error() -> type[BaseException]:
    try:
        import psycopg
    except ImportError:
        return _NoDriver
    return psycopg.Error


@guarding_writes
@translating(_driver_error(), _translate)
class PostgresCatalog(Catalogue):
    """The PostgreSQL catalogue. Use as a context manager or call ``close``."""

    holds_search = True  # the search rows are written with each item (catalog.pg_search)
    param = "%s"

    def __init__(self, url: str, *, readonly: bool = False) -> None:
        self.url = url
        self.path = redacted(url)
        self.readonly = readonly
        self._closed = False
        self._conn = self._open()

    def _open(self):
        """A connection from this process's pool, the schema checked on it: migrated once per
        process by a writer, and on every opening compared with this code (a rolling upgrade
        may have moved it since the last request)."""
        conn = pg_pool.acquire(self.url, self.readonly, "catalogue",
                               lambda: connect(self.url, readonly=self.readonly))
        try:
            # a read replica (a hot standby) is read as is: the primary's writers migrate it
            self.standby = bool(conn.execute("SELECT pg_is_in_recovery()").fetchone()[0])
            if not self.readonly and not self.standby and self.url not in _MIGRATED:
                migrations.migrate_postgres(conn, self.path)
                if migrations.may_write(*migrations.postgres_state(conn), self.path):
                    # the search rows live beside the catalogue (catalog.pg_search): a writer
                    # makes their tables, so that readers never take the DDL's locks behind
                    # an ingest
                    pg_search_write.ensure_schema(conn)
                _MIGRATED.add(self.url)
            self.writable = migrations.may_write(
                *migrations.postgres_state(conn), self.path,
                reading=self.readonly or self.standby) and not self.standby
        except BaseException:
            pg_pool.release(conn)
            raise
        return conn

    @property
    def conn(self):
        """The connection, made again if the server dropped the last one (a restart)."""
        if self._conn.closed and not self._closed:
            self._conn = self._open()
        return self._conn

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            pg_pool.release(self._conn)

    def write_refusal(self) -> CatalogError:
        if self.standby:
            return CatalogError(f"the catalogue {self.path} is a read replica (a PostgreSQL "
                                "standby): it is written through the primary",
                                hint="point the writers (ingest, reindex, withdraw, verify "
                                     "--repair) at the primary's catalog_url")
        return super().write_refusal()

    def _x(self, sql: str, params: tuple = ()):
        return self.conn.execute(sql, params)

    # --- items -------------------------------------------------------------------------------
    def item_row(self, item_id: str) -> Optional[ItemRow]:
        r = self._x("SELECT id, version_path, source_hash, indexed, updated FROM items "
                    "WHERE id=%s", (item_id,)).fetchone()
        return ItemRow(r[0], r[1], r[2], bool(r[3]), r[4]) if r else None

    def get_item(self, item_id: str, *, with_pages: bool = True) -> Item:
        r = self._x("SELECT record FROM items WHERE id=%s", (item_id,)).fetchone()
        if not r:
            raise NotFoundError(f"no item {item_id!r} in the library")
        item = item_record(item_id, r[0])
        item.works = self.work_ids_of(item_id)
        if with_pages:
            item.pages = self.pages(item_id)
        return item

    def pages(self, item_id: str, first: int = 0, last: Optional[int] = None) -> list[Page]:
        """The pages of an item whose record reads, in order (those with ``first`` <= order <=
        ``last`` when given); a bad row is left out."""
        out = []
        for order, record in self._x(
                "SELECT ord, record FROM pages WHERE item_id=%s AND ord>=%s AND ord<=%s "
                "ORDER BY ord", (item_id, first, _LAST_ORDER if last is None
                                 else min(last, _LAST_ORDER))):
            try:
                out.append(page_record(item_id, order, record))
            except NotFoundError as exc:
                self._skip(exc)
        return out

    def page_labels(self, item_id: str) -> list[tuple[int, str]]:
        return [tuple(r) for r in self._x(
            "SELECT ord, label FROM pages WHERE item_id=%s ORDER BY ord", (item_id,))]

    def get_page(self, item_id: str, order: int) -> Page:
        r = self._x("SELECT record FROM pages WHERE item_id=%s AND ord=%s",
                    (item_id, order)).fetchone()
        if not r:
            raise NotFoundError(f"no page {order} in item {item_id!r}")
        return page_record(item_id, order, r[0])

    def put_item(self, item: Item, *, version_path: str, source_hash: str,
                 fixity: Iterable[FixityRecord], run_id: Optional[int] = None) -> Optional[str]:
        """Insert or replace an item, its pages and fixity in one transaction.

        Returns the version path it replaced, if any, so the caller can remove it.
        """
        now = time.time()
        record = to_dict(item)
        pages = record.pop("pages")
        conn = self.conn
        with conn.transaction():
            old = conn.execute("SELECT version_path, created FROM items WHERE id=%s FOR UPDATE",
                               (item.id,)).fetchone()
            conn.execute("DELETE FROM pages WHERE item_id=%s", (item.id,))
            conn.execute("DELETE FROM fixity WHERE item_id=%s", (item.id,))
            conn.execute(
                "INSERT INTO items (id, version_path, source_hash, record, indexed, created,"
                " updated) VALUES (%s,%s,%s,%s,FALSE,%s,%s) ON CONFLICT (id) DO UPDATE SET"
                " version_path=EXCLUDED.version_path, source_hash=EXCLUDED.source_hash,"
                " record=EXCLUDED.record, indexed=FALSE, updated=EXCLUDED.updated",
                (item.id, version_path, source_hash, json.dumps(record, ensure_ascii=False),
                 old[1] if old else now, now))
            with conn.cursor() as cur:
                # COPY: a 20,000-page item is one round trip, not 20,000
                with cur.copy("COPY pages (item_id, ord, label, record) FROM STDIN") as copy:
                    for p in pages:
                        copy.write_row((item.id, p["order"], p["label"],
                                        json.dumps(p, ensure_ascii=False)))
                with cur.copy("COPY fixity (item_id, path, kind, size, sha256) FROM STDIN") \
                        as copy:
                    for f in fixity:
                        copy.write_row((item.id, f.path, f.kind, f.size, f.sha256))
            for cid in item.collections:
                self._add_to_collection(cid, item.id)
            if run_id is not None:
                self._event(run_id, item.id, "info", "replaced" if old else "ingested")
            self._activity(item.id, "Update" if old else "Create", now)
            tombstones.forget(conn, self.param, item.id)  # published again
            # its search rows are published by the same commit as the item
            pg_search_write.write_items(conn, [item])
            from .pg_lock import check_locks_held
            check_locks_held()
        return old[0] if old and old[0] != version_path else None

    def delete_item(self, item_id: str) -> Optional[str]:
        with self.conn.transaction():
            old = self._x("DELETE FROM items WHERE id=%s RETURNING version_path",
                          (item_id,)).fetchone()
            if old:
                self._activity(item_id, "Delete", time.time())
            pg_search_write.delete_items(self.conn, [item_id])
        return old[0] if old else None

    def withdraw_item(self, item_id: str, reason: str,
                      run_id: Optional[int] = None) -> tuple[tombstones.Tombstone, str]:
        """As the SQLite catalogue's, its search rows removed by the same commit."""
        with self.conn.transaction():
            r = self._x("SELECT record FROM items WHERE id=%s FOR UPDATE", (item_id,)).fetchone()
            if not r:
                raise NotFoundError(f"no item {item_id!r} in the library")
            tomb = tombstones.of_record(item_id, r[0], time.time(), reason)
            old = self.delete_item(item_id)  # a savepoint within this transaction
            tombstones.insert(self.conn, self.param, tomb)
            self._event(run_id, item_id, "info", f"withdrawn: {reason}")
        return tomb, old

    def mark_indexed(self, item_ids: Iterable[str], value: bool = True) -> None:
        with self.conn.transaction():
            self._x("UPDATE items SET indexed=%s WHERE id = ANY(%s)", (value, list(item_ids)))

    def unindexed(self) -> list[str]:
        return [r[0] for r in self._x("SELECT id FROM items WHERE NOT indexed")]

    def fixity(self, item_id: Optional[str] = None) -> list[tuple[str, FixityRecord]]:
        sql = "SELECT item_id, path, kind, size, sha256 FROM fixity"
        rows = (self._x(sql + " WHERE item_id=%s ORDER BY path", (item_id,))
                if item_id else self._x(sql + " ORDER BY item_id, path"))
        return [(r[0], FixityRecord(r[1], r[2], r[3], r[4])) for r in rows]

    # --- collections -------------------------------------------------------------------------
    def put_collection(self, coll: Collection) -> None:
        existing = self.get_collection(coll.id, missing_ok=True)
        if existing:
            coll.items = list(dict.fromkeys(existing.items + coll.items))
        with self.conn.transaction():
            self._write_collection(coll)

    def _write_collection(self, coll: Collection) -> None:
        self._x("INSERT INTO collections VALUES (%s,%s) ON CONFLICT (id) DO UPDATE SET "
                "record=EXCLUDED.record", (coll.id, json.dumps(to_dict(coll), ensure_ascii=False)))

    def _add_to_collection(self, cid: str, item_id: str) -> None:
        coll = self.get_collection(cid, missing_ok=True) or Collection(id=cid,
                                                                       label={"en": cid})
        if item_id not in coll.items:
            coll.items.append(item_id)
        self._write_collection(coll)

    # --- works (issue 15; the SQLite bodies are the works branch's) ---------------------------
    def put_work(self, work: "Work") -> list[str]:
        """Insert or replace a work and its volumes; return the items that became or stopped
        being its volumes (their index documents carry the work, so they are reindexed)."""
        before = set(self._x("SELECT item_id FROM work_volumes WHERE work_id=%s",
                             (work.id,)).fetchall())
        with self.conn.transaction():
            self._x("INSERT INTO works (id, record, updated) VALUES (%s,%s,%s) ON CONFLICT (id) "
                    "DO UPDATE SET record=EXCLUDED.record, updated=EXCLUDED.updated",
                    (work.id, json.dumps(to_dict(work), ensure_ascii=False), time.time()))
            self._x("DELETE FROM work_volumes WHERE work_id=%s", (work.id,))
            with self.conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO work_volumes (work_id, ord, item_id, label) "
                    "VALUES (%s,%s,%s,%s)",
                    [(work.id, n, v.item, v.label) for n, v in enumerate(work.volumes, start=1)])
            changed = sorted(i for (i,) in before ^ {(v.item,) for v in work.volumes})
            # the volumes' search rows carry their works (facets work and volume)
            pg_search_write.write_items(self.conn, [self.get_item(i) for i in changed
                                                    if self.item_row(i)])
        return changed

    def get_work(self, work_id: str) -> "Work":
        from .records import work_record
        r = self._x("SELECT record FROM works WHERE id=%s", (work_id,)).fetchone()
        if not r:
            raise NotFoundError(f"no work {work_id!r} in the library")
        return work_record(work_id, r[0])

    def works(self) -> list["Work"]:
        """Every work whose record reads, in id order; a bad row is left out."""
        from .records import work_record
        out = []
        for wid, record in self._x("SELECT id, record FROM works ORDER BY id"):
            try:
                out.append(work_record(wid, record))
            except NotFoundError as exc:
                self._skip(exc)
        return out

    def work_ids_of(self, item_id: str) -> list[str]:
        """The works ``item_id`` is a volume of, in id order."""
        return [r[0] for r in self._x(
            "SELECT DISTINCT work_id FROM work_volumes WHERE item_id=%s ORDER BY work_id",
            (item_id,))]

    def work_stamps(self, item_id: str) -> list[tuple[str, float]]:
        """(work id, when it was written) of each work ``item_id`` is a volume of: what a
        cached manifest of the volume depends on besides the item's own version."""
        return [(r[0], r[1]) for r in self._x(
            "SELECT DISTINCT w.id, w.updated FROM works w JOIN work_volumes v ON v.work_id = w.id"
            " WHERE v.item_id=%s ORDER BY w.id", (item_id,))]

    # --- runs and events ---------------------------------------------------------------------
    def start_run(self, batch: str) -> int:
        row = self._x('INSERT INTO runs (batch, "user", host, started) VALUES (%s,%s,%s,%s) '
                      "RETURNING id", (batch, _user(), socket.gethostname(), time.time()))
        return int(row.fetchone()[0])

    def finish_run(self, run_id: int, status: str) -> None:
        self._x("UPDATE runs SET finished=%s, status=%s WHERE id=%s",
                (time.time(), status, run_id))

    def event(self, run_id: Optional[int], item_id: Optional[str], level: str,
              message: str) -> None:
        self._event(run_id, item_id, level, message)

    def _event(self, run_id, item_id, level, message) -> None:
        self._x("INSERT INTO events (run_id, item_id, level, message, time) "
                "VALUES (%s,%s,%s,%s,%s)", (run_id, item_id, level, message, time.time()))

    def events(self, item_id: Optional[str] = None) -> list[dict]:
        sql = ('SELECT e.time, e.level, e.message, e.item_id, r."user", r.host, r.batch '
               "FROM events e LEFT JOIN runs r ON r.id = e.run_id")
        rows = (self._x(sql + " WHERE e.item_id=%s ORDER BY e.id", (item_id,))
                if item_id else self._x(sql + " ORDER BY e.id"))
        keys = ("time", "level", "message", "item", "user", "host", "batch")
        return [dict(zip(keys, r)) for r in rows]

    # --- consistency and activities ----------------------------------------------------------
    def page_count(self, item_id: str) -> int:
        return self._x("SELECT COUNT(*) FROM pages WHERE item_id=%s", (item_id,)).fetchone()[0]

    def forget_source_hash(self, item_id: str) -> bool:
        """Make the next ingest of the item's batch replace it even if its sources did not
        change (its copy in the library is damaged); False if it was forgotten already."""
        cur = self._x("UPDATE items SET source_hash='' WHERE id=%s AND source_hash != ''",
                      (item_id,))
        return cur.rowcount > 0

    def _activity(self, item_id: str, kind: str, when: float) -> None:
        if kind not in activities.TYPES:
            raise ValueError(f"not an activity type: {kind!r}")
        self._x("INSERT INTO activities (item_id, type, end_time) VALUES (%s,%s,%s)",
                (item_id, kind, when))

    def activities(self, start: int, size: int) -> list[activities.Activity]:
        """The logged publications and deletions at positions ``start`` .. ``start+size-1``,
        oldest first (IIIF Change Discovery pages)."""
        rows = self._x("SELECT item_id, type, end_time FROM activities ORDER BY id "
                       "LIMIT %s OFFSET %s", (size, start)).fetchall()
        return [activities.Activity(start + n, i, k, t) for n, (i, k, t) in enumerate(rows)]
