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
from library.models import Collection, Item, to_dict

if TYPE_CHECKING:
    from library.models import Work  # the works branch's model

from . import activities, migrations, pg_pool, pg_search_write, tombstones
from .catalogue import Catalogue, FixityRecord, _user, guarding_writes, translating

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
    last_order = _LAST_ORDER

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

    # --- works (their readers: catalog.work_readers) ---------------------------------------------
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

    # --- consistency and activities ----------------------------------------------------------
    def forget_source_hash(self, item_id: str) -> bool:
        """Make the next ingest of the item's batch replace it even if its sources did not
        change (its copy in the library is damaged); False if it was forgotten already."""
        cur = self._x("UPDATE items SET source_hash='' WHERE id=%s AND source_hash != ''",
                      (item_id,))
        return cur.rowcount > 0

    def _activity(self, item_id: str, kind: str, when: float) -> None:
        activities.record(self.conn, item_id, kind, when, self.param)
