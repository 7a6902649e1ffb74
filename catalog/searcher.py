"""An open index generation (``Searcher``) and what is kept per generation.

``LIBRARY/index`` links to the current generation; a rebuild may switch the link at any
moment, so a searcher holds on to the generation it resolved, and tables read from an index
(facets, pairs) are kept until the generation changes (``per_generation``).
"""
from __future__ import annotations

import gc
import os
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, TypeVar

from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage, RamStorage

from library.errors import IndexVersionError

from .db import Catalog
from .schema import build_schema, check_version

if TYPE_CHECKING:
    from library.store import Store

T = TypeVar("T")


class Searcher:
    """An open index reader; closed at the end of a request or command."""

    def __init__(self, index_dir: Path, *, empty: bool = False) -> None:
        if empty:  # a library before its first item: an index in memory that holds nothing
            self.index_dir = Path(index_dir)
            self.ix = RamStorage().create_index(build_schema())
            self.searcher = self.ix.searcher()
            return
        # ``index`` links to the current generation; hold on to the generation itself, so a
        # rebuild switching the link mid-request cannot mix two indexes
        self.index_dir = Path(index_dir).resolve()
        # Without mmap: with it, Whoosh copies each part of a compound segment file into a
        # BytesIO (the whole postings, ~400 MiB at 20,000 pages, in every searcher process);
        # without it, parts are read in place through the OS page cache.
        self.ix = FileStorage(str(self.index_dir), supports_mmap=False).open_index()
        self.searcher = self.ix.searcher()

    def close(self) -> None:
        self.searcher.close()

    def __enter__(self) -> "Searcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_library_searcher(store: "Store", *,
                          holds_items: Optional[Callable[[], bool]] = None) -> Searcher:
    """The searcher of a library. One that holds no item may have no index yet (never
    ingested, or its first batch all failed): it is searched as an empty index. One whose
    items have no index keeps the error that says to reindex. ``holds_items`` asks the
    catalogue the settings name (default: the SQLite catalogue in the library folder)."""
    if not os.path.lexists(store.index_dir) and not (
            holds_items() if holds_items else _holds_items(store.catalog_path)):
        return Searcher(store.index_dir, empty=True)
    return open_searcher(store.index_dir)


def _holds_items(catalog_path: Path) -> bool:
    if not catalog_path.is_file():
        return False
    with Catalog(catalog_path, readonly=True) as cat:
        return bool(cat.item_ids())


def open_searcher(index_dir: Path) -> Searcher:
    for attempt in range(5):
        # ``index`` links to the current generation; a rebuild may switch it at any moment,
        # so every step below reads the one generation resolved here
        generation = Path(index_dir).resolve()
        try:
            if not windex.exists_in(str(generation)):
                raise IndexVersionError(f"there is no search index in {index_dir}")
            check_version(generation)
            return Searcher(generation)
        except FileNotFoundError:
            # A writer committed a new generation between listing the newest table of
            # contents and reading it, and removed the old one: read the new one.
            if attempt == 4:
                raise
        # the failed open left Whoosh's half-opened segment files to the collector; close
        # them now rather than as ResourceWarnings in some later request
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


_lock = threading.Lock()


def per_generation(s: Searcher, cache: dict, build: Callable[..., T]) -> T:
    """``build(reader)``, kept until the index changes (one entry per cache: the newest)."""
    reader = s.searcher.reader()
    key = (str(s.index_dir), s.ix.latest_generation(), reader.doc_count_all())
    with _lock:
        table = cache.get(key)
    if table is None:
        table = build(reader)
        with _lock:
            cache.clear()
            cache[key] = table
    return table
