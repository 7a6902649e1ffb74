"""The catalogue interface: what every backend offers, and the one way callers open one.

``open_catalog(settings)`` gives the SQLite catalogue in the library folder (the default: the
demo needs no server) or, with ``catalog_url = postgresql://…``, the PostgreSQL one
(``catalog.db_postgres``, psycopg 3, imported only then). ``ingest_lock`` is the single-writer
lock that goes with it: the library folder's file lock, or a PostgreSQL advisory lock that the
server frees when the holder's session ends, however it ends.

Backends raise only ``CatalogError`` (``CatalogUnavailableError`` when the server cannot be
reached): ``translating`` wraps a backend class's public methods so that its driver's errors
never leave ``catalog/``. ``guarding_writes`` makes the writing methods refuse while the
catalogue's schema is newer than this code (readable, not writable: ``catalog.migrations``).

The methods defined here are shared by both backends: they send SQL of the common dialect
(parameters written with ``self.param``) through ``self.conn.execute`` (sqlite3 and psycopg
connections both have it) and build on the backend's own methods; so do the works readers
(``catalog.work_readers``).
"""
from __future__ import annotations

import functools
import getpass
import inspect
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ContextManager, Iterable, Iterator, Optional

from library.errors import CatalogError, CatalogVersionError, NotFoundError
from library.models import Collection, Item, Page
from library.processes import LockInfo
from library.settings import Settings

from . import activities
from . import tombstones as tomb_sql
from .records import collection_record, item_record, page_record
from .work_readers import WorkReaders

if TYPE_CHECKING:
    from library.store import Store

log = logging.getLogger(__name__)
_LOGGED: set[tuple[str, str]] = set()  # (catalogue, message): each bad row is logged once
# (catalogue, item id, updated) -> whether the item's record reads; rows change only with
# ``updated``, so a listing re-reads only the records written since it last looked
_READABLE: dict[tuple[str, str, float], bool] = {}
_MAX_MEMO = 200_000


@dataclass
class FixityRecord:
    path: str  # relative to the item version folder
    kind: str  # tei, master, derivative, ocr
    size: int
    sha256: str


@dataclass
class ItemRow:
    id: str
    version_path: str
    source_hash: str
    indexed: bool
    updated: float


class Catalogue(WorkReaders):
    """A connection to the catalogue. Use as a context manager or call ``close``.

    A backend sets ``path`` (what log lines name) and ``conn``, and implements every method
    that raises NotImplementedError here (and in ``catalog.work_readers``)."""

    path: object
    conn: object
    # True: put_item, put_work and delete_item keep the search rows themselves (PostgreSQL),
    # so there is no Whoosh index to update
    holds_search: bool = False
    # False when the schema is newer than this code but readable by it (a rolling upgrade
    # under way): the writing methods refuse (``guarding_writes``)
    writable: bool = True
    # the driver's parameter mark, for the SQL both backends share (catalog.tombstones)
    param: str = "?"
    # the largest page order a query names (``pages``): what the pages.ord column holds
    last_order: int = 1 << 62

    def close(self) -> None:
        self.conn.close()

    def write_refusal(self) -> CatalogError:
        """Why a writing method refuses while the catalogue is not ``writable``."""
        return CatalogVersionError(
            f"the catalogue {self.path} has a newer schema than this Sudur: it reads it but "
            "does not write it", hint="upgrade Sudur on this node")

    def __enter__(self) -> "Catalogue":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- items -------------------------------------------------------------------------------
    def _skip(self, exc: NotFoundError) -> None:
        """Log a row left out of a listing, once per process."""
        key = (str(self.path), exc.message)
        if key not in _LOGGED:
            _LOGGED.add(key)
            log.warning("%s: %s; left out (re-ingest it, or delete the row)", self.path,
                        exc.message)

    def item_ids(self) -> list[str]:
        """The ids of the items whose record reads, in id order; a bad row is left out."""
        out = []
        rows = self.conn.execute("SELECT id, updated FROM items ORDER BY id").fetchall()
        if len(_READABLE) > _MAX_MEMO:
            _READABLE.clear()
        for item_id, updated in rows:
            key = (str(self.path), item_id, updated)
            if key not in _READABLE:
                try:
                    self.get_item(item_id, with_pages=False)
                    _READABLE[key] = True
                except NotFoundError as exc:
                    self._skip(exc)
                    _READABLE[key] = False
            if _READABLE[key]:
                out.append(item_id)
        return out

    def items(self, ids: Optional[Iterable[str]] = None, *,
              with_pages: bool = False) -> Iterator[Item]:
        """Every item (or those of ``ids``) whose record reads; a bad row is left out."""
        wanted = self.conn.execute("SELECT id FROM items ORDER BY id").fetchall() \
            if ids is None else [(i,) for i in ids]
        for (item_id,) in wanted:
            try:
                item = self.get_item(item_id, with_pages=with_pages)
            except NotFoundError as exc:
                self._skip(exc)
                continue
            yield item

    def version_path(self, item_id: str) -> str:
        row = self.item_row(item_id)
        if not row:
            raise NotFoundError(f"no item {item_id!r} in the library")
        return row.version_path

    def live_versions(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT version_path FROM items")]

    def item_row(self, item_id: str) -> Optional[ItemRow]:
        r = self.conn.execute("SELECT id, version_path, source_hash, indexed, updated FROM items"
                              f" WHERE id={self.param}", (item_id,)).fetchone()
        return ItemRow(r[0], r[1], r[2], bool(r[3]), r[4]) if r else None

    def get_item(self, item_id: str, *, with_pages: bool = True) -> Item:
        r = self.conn.execute(f"SELECT record FROM items WHERE id={self.param}",
                              (item_id,)).fetchone()
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
        p, out = self.param, []
        for order, record in self.conn.execute(
                f"SELECT ord, record FROM pages WHERE item_id={p} AND ord>={p} AND ord<={p} "
                "ORDER BY ord", (item_id, first, self.last_order if last is None
                                 else min(last, self.last_order))):
            try:
                out.append(page_record(item_id, order, record))
            except NotFoundError as exc:
                self._skip(exc)
        return out

    def page_labels(self, item_id: str) -> list[tuple[int, str]]:
        """(order, label as written) of every page of an item, in order, from the lookup
        columns: a 10,000-page item is listed in milliseconds, without reading its records."""
        return self.conn.execute(f"SELECT ord, label FROM pages WHERE item_id={self.param} "
                                 "ORDER BY ord", (item_id,)).fetchall()

    def get_page(self, item_id: str, order: int) -> Page:
        r = self.conn.execute(f"SELECT record FROM pages WHERE item_id={self.param} "
                              f"AND ord={self.param}", (item_id, order)).fetchone()
        if not r:
            raise NotFoundError(f"no page {order} in item {item_id!r}")
        return page_record(item_id, order, r[0])

    def put_item(self, item: Item, *, version_path: str, source_hash: str,
                 fixity: Iterable[FixityRecord], run_id: Optional[int] = None) -> Optional[str]:
        raise NotImplementedError

    def delete_item(self, item_id: str) -> Optional[str]:
        raise NotImplementedError

    def withdraw_item(self, item_id: str, reason: str,
                      run_id: Optional[int] = None) -> tuple[tomb_sql.Tombstone, str]:
        raise NotImplementedError

    def tombstone(self, item_id: str) -> Optional[tomb_sql.Tombstone]:
        """The tombstone of a withdrawn item; None for an item never withdrawn, or published
        again since."""
        return tomb_sql.get(self.conn, self.param, item_id)

    def tombstones_of(self, item_ids: Iterable[str]) -> dict[str, tomb_sql.Tombstone]:
        """The tombstones of those of ``item_ids`` that are withdrawn, by item id (a work's
        withdrawn volumes)."""
        return tomb_sql.among(self.conn, self.param, list(item_ids))

    def tombstones(self) -> list[tomb_sql.Tombstone]:
        """Every withdrawn item's tombstone, in id order."""
        return tomb_sql.every(self.conn)

    def withdrawn_ids(self) -> list[str]:
        """The ids of the withdrawn items: garbage collection removes their versions too."""
        return [r[0] for r in self.conn.execute(
            "SELECT item_id FROM tombstones ORDER BY item_id")]

    def mark_indexed(self, item_ids: Iterable[str], value: bool = True) -> None:
        raise NotImplementedError

    def unindexed(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM items WHERE NOT indexed")]

    def fixity(self, item_id: Optional[str] = None) -> list[tuple[str, FixityRecord]]:
        sql = "SELECT item_id, path, kind, size, sha256 FROM fixity"
        rows = (self.conn.execute(sql + f" WHERE item_id={self.param} ORDER BY path", (item_id,))
                if item_id else self.conn.execute(sql + " ORDER BY item_id, path"))
        return [(r[0], FixityRecord(r[1], r[2], r[3], r[4])) for r in rows]

    # --- collections -------------------------------------------------------------------------
    def put_collection(self, coll: Collection) -> None:
        raise NotImplementedError

    def get_collection(self, cid: str, *, missing_ok: bool = False) -> Optional[Collection]:
        """The collection ``cid``; with ``missing_ok``, None when absent or unreadable (a
        writer then replaces the bad row)."""
        r = self.conn.execute(f"SELECT record FROM collections WHERE id={self.param}",
                              (cid,)).fetchone()
        if not r:
            if missing_ok:
                return None
            raise NotFoundError(f"no collection {cid!r} in the library")
        try:
            return collection_record(cid, r[0])
        except NotFoundError as exc:
            if not missing_ok:
                raise
            self._skip(exc)
            return None

    def collections(self) -> list[Collection]:
        """Every collection whose record reads, in id order; a bad row is left out."""
        return self._records("collections", collection_record)

    def _records(self, table: str, parse) -> list:
        """Every row of ``table`` (id, record) that ``parse`` reads, in id order; a row it
        cannot read is logged and left out."""
        out = []
        for rid, record in self.conn.execute(f"SELECT id, record FROM {table} ORDER BY id"):
            try:
                out.append(parse(rid, record))
            except NotFoundError as exc:
                self._skip(exc)
        return out

    # --- runs and events ---------------------------------------------------------------------
    def start_run(self, batch: str) -> int:
        raise NotImplementedError

    def finish_run(self, run_id: int, status: str) -> None:
        raise NotImplementedError

    def event(self, run_id: Optional[int], item_id: Optional[str], level: str,
              message: str) -> None:
        raise NotImplementedError

    def events(self, item_id: Optional[str] = None) -> list[dict]:
        # "user" quoted: a reserved word to PostgreSQL, a plain column name to SQLite
        sql = ('SELECT e.time, e.level, e.message, e.item_id, r."user", r.host, r.batch '
               "FROM events e LEFT JOIN runs r ON r.id = e.run_id")
        rows = (self.conn.execute(sql + f" WHERE e.item_id={self.param} ORDER BY e.id",
                                  (item_id,))
                if item_id else self.conn.execute(sql + " ORDER BY e.id"))
        keys = ("time", "level", "message", "item", "user", "host", "batch")
        return [dict(zip(keys, r)) for r in rows]

    # --- consistency and activities ----------------------------------------------------------
    def page_count(self, item_id: str) -> int:
        return self.conn.execute(f"SELECT COUNT(*) FROM pages WHERE item_id={self.param}",
                                 (item_id,)).fetchone()[0]

    def forget_source_hash(self, item_id: str) -> bool:
        raise NotImplementedError

    def activity_count(self) -> int:
        return activities.count(self.conn)

    def activities(self, start: int, size: int) -> list[activities.Activity]:
        """The logged publications and deletions at positions ``start`` .. ``start+size-1``,
        oldest first (IIIF Change Discovery pages)."""
        return activities.window(self.conn, start, size, self.param)


def translating(driver_error: type[BaseException],
                translate: Callable[[BaseException], CatalogError]):
    """A class decorator: the class's public methods (and ``__init__``) raise
    ``translate(exc)`` for a ``driver_error``, chained to it."""
    def wrap(fn):
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen(*args, **kwargs):
                try:
                    yield from fn(*args, **kwargs)
                except driver_error as exc:
                    raise translate(exc) from exc
            return gen

        @functools.wraps(fn)
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except driver_error as exc:
                raise translate(exc) from exc
        return call

    def decorate(cls):
        names = {name for klass in cls.__mro__[:-1] for name, fn in vars(klass).items()
                 if (name == "__init__" or not name.startswith("_")) and inspect.isfunction(fn)}
        for name in names:  # the shared methods too, wrapped for this class alone
            setattr(cls, name, wrap(getattr(cls, name)))
        return cls
    return decorate


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


WRITES = ("put_item", "delete_item", "withdraw_item", "mark_indexed", "put_collection",
          "put_work", "start_run", "finish_run", "event", "forget_source_hash")


def guarding_writes(cls):
    """A class decorator: the class's writing methods (``WRITES``) raise CatalogVersionError
    while the catalogue is not ``writable``, before they touch anything."""
    def guard(fn):
        @functools.wraps(fn)
        def call(self, *args, **kwargs):
            if not self.writable:
                raise self.write_refusal()
            return fn(self, *args, **kwargs)
        return call

    for name in WRITES:
        if hasattr(cls, name):
            setattr(cls, name, guard(getattr(cls, name)))
    return cls


# --- the factory -----------------------------------------------------------------------------

def is_postgres(settings: Settings) -> bool:
    return bool(settings.catalog_url)


def sqlite_path(settings: Settings) -> Path:
    from library.store import Store
    return Store(settings.library).catalog_path


def open_catalog(settings: Settings, *, readonly: bool = False,
                 empty_if_missing: bool = False) -> Catalogue:
    """The catalogue the settings name. With ``empty_if_missing``, a library folder that has
    no SQLite catalogue yet reads as an empty one, and nothing is written into the folder."""
    if is_postgres(settings):
        from .db_postgres import PostgresCatalog
        return PostgresCatalog(settings.catalog_url, readonly=readonly)
    from .db_sqlite import SQLiteCatalog
    path = sqlite_path(settings)
    if empty_if_missing and not path.is_file():
        return SQLiteCatalog(":memory:")
    return SQLiteCatalog(path, readonly=readonly)


def schema_version(settings: Settings) -> int:
    """The schema version of the library's catalogue (0: there is none yet)."""
    if is_postgres(settings):
        from .db_postgres import schema_version as pg_version
        return pg_version(settings.catalog_url)
    path = sqlite_path(settings)
    if not path.is_file():
        return 0
    import sqlite3
    from . import migrations
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return migrations.sqlite_state(conn)[0]
    except sqlite3.Error as exc:
        raise CatalogError(f"the SQLite catalogue {path} failed: {exc}") from exc
    finally:
        conn.close()


def migrate(settings: Settings) -> tuple[int, int]:
    """Bring the library's catalogue to this code's schema (making it if there is none):
    (version before, version after)."""
    before = schema_version(settings)
    with open_catalog(settings):
        pass  # a writable opening migrates (catalog.migrations)
    return before, schema_version(settings)


def catalog_exists(settings: Settings) -> bool:
    """Whether the library has a catalogue to read: the SQLite file is there, or (PostgreSQL)
    the server answers and the schema is in place."""
    if is_postgres(settings):
        from .db_postgres import schema_version
        return schema_version(settings.catalog_url) > 0
    return sqlite_path(settings).is_file()


def where(settings: Settings) -> str:
    """The catalogue as messages name it (never with a password)."""
    if is_postgres(settings):
        from .db_postgres import redacted
        return redacted(settings.catalog_url)
    return str(sqlite_path(settings))


def ingest_lock(settings: Settings, store: "Store",
                wait: bool = False) -> ContextManager[LockInfo]:
    """The one-writer lock of the library: the folder's file lock with SQLite, a PostgreSQL
    advisory lock (freed by the server when the holder's session ends) with PostgreSQL."""
    if is_postgres(settings):
        from .pg_lock import advisory_ingest_lock
        return advisory_ingest_lock(settings.catalog_url, wait=wait)
    return store.ingest_lock(wait=wait)

