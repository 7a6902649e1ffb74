"""Fixity: re-read every master and derivative the catalogue lists and compare checksums;
export an item as a BagIt bag (TEI, masters, catalogue record).

Both work through the store interface (``Store.objects``), so they read the library folder or
an S3 store alike: sizes come from one listing per item version, checksums from streaming each
object through SHA-256, and a bag's files are fetched into a temporary folder first.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from library.bagit import write_bag
from library.errors import SudurError
from library.models import to_dict
from library.storage import object_key, version_key, version_name
from library.store import Store, file_digest

from .db import Catalog


@dataclass
class FixityProblem:
    item_id: str
    path: str
    problem: str  # "missing", "size", "checksum"
    kind: str = ""  # the fixity record's: tei, master, ocr, derivative

    def __str__(self) -> str:
        return f"{self.item_id}: {self.path}: {self.problem}"


def verify(store: Store, catalog: Catalog, *, checksums: bool = True,
           item_ids: Optional[Iterable[str]] = None) -> tuple[int, list[FixityProblem]]:
    """Return (files checked, problems): every file the catalogue lists (of ``item_ids`` only,
    if given) must be there at its size, and with its SHA-256 unless ``checksums`` is false."""
    problems: list[FixityProblem] = []
    checked = 0
    ids = catalog.item_ids() if item_ids is None else sorted(set(item_ids))
    for item_id in ids:
        version = catalog.version_path(item_id)
        sizes = store.objects.listing(version_key(version_name(version)))
        for _, rec in catalog.fixity(item_id):
            key = object_key(version, rec.path)
            checked += 1
            if key not in sizes:
                problems.append(FixityProblem(item_id, rec.path, "missing", rec.kind))
            elif sizes[key] != rec.size:
                problems.append(FixityProblem(item_id, rec.path, "size", rec.kind))
            elif checksums and _digest(store, key) != rec.sha256:
                problems.append(FixityProblem(item_id, rec.path, "checksum", rec.kind))
    return checked, problems


def export_bag(store: Store, catalog: Catalog, item_id: str, out: Path) -> Path:
    """Write an item as a BagIt bag: ``data/<item>/`` holds its TEI, masters and OCR as
    delivered, plus ``record.json`` (the catalogue record), so the bag is itself a batch that
    ``sudur ingest`` takes back. Every file is checked against its catalogue checksum first:
    a damaged master is never exported under a freshly computed, "valid" manifest."""
    item = catalog.get_item(item_id)
    version = catalog.version_path(item_id)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=_scratch(store)) as tmp:
        files: list[tuple[str, Path | bytes]] = []
        for _, rec in catalog.fixity(item_id):
            if rec.kind in ("tei", "master", "ocr"):
                path = _local_copy(store, object_key(version, rec.path), Path(tmp) / rec.path)
                if path is None or file_digest(path) != rec.sha256:
                    raise SudurError(f"{item_id}: {rec.path} does not match its checksum in "
                                     "the catalogue; nothing was exported",
                                     hint="run `sudur verify`, then restore or re-ingest the "
                                          "item")
                files.append((f"{item_id}/{rec.path.removeprefix('source/')}", path))
        files.append((f"{item_id}/record.json", json.dumps(to_dict(item), ensure_ascii=False,
                                                           indent=1).encode("utf-8")))
        return write_bag(out, files, {"External-Identifier": item_id,
                                      "External-Description": item.title()})


def _digest(store: Store, key: str) -> str:
    local = store.objects.local_path(key)
    return file_digest(local) if local is not None else store.objects.digest(key)


def _scratch(store: Store) -> Optional[Path]:
    """Where a remote store's objects are fetched for export: the node's cache folder (not
    staging, which garbage collection empties under an ingest that may start meanwhile)."""
    if store.is_local:
        return None
    store.ensure()
    return store.cache_dir


def _local_copy(store: Store, key: str, dest: Path) -> Optional[Path]:
    """A local file with the object's bytes (the object's own file in the library folder),
    or None if the object is not there."""
    local = store.objects.local_path(key)
    if local is not None:
        return local if local.is_file() else None
    try:
        store.objects.fetch(key, dest)
    except FileNotFoundError:
        return None
    return dest
