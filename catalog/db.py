"""The catalogue's names as callers have always imported them.

The catalogue now lives in rooms: ``catalog.catalogue`` (the interface, the records it hands
out, ``open_catalog`` and ``ingest_lock``), ``catalog.db_sqlite`` (the default backend),
``catalog.db_postgres`` (``catalog_url = postgresql://…``) and ``catalog.migrations`` (the
numbered schema steps of both). ``Catalog`` is the SQLite catalogue opened on a path, as tests
and benchmarks do; the program opens its catalogue with ``open_catalog(settings)``.
"""
from __future__ import annotations

from .catalogue import Catalogue, FixityRecord, ItemRow, catalog_exists, ingest_lock, open_catalog
from .db_sqlite import SQLiteCatalog
from .migrations import LATEST as SCHEMA_VERSION

Catalog = SQLiteCatalog

__all__ = ["Catalog", "Catalogue", "FixityRecord", "ItemRow", "SCHEMA_VERSION", "SQLiteCatalog",
           "catalog_exists", "ingest_lock", "open_catalog"]
