"""The multi-volume works of a batch at check and at ingest (what ``ingest.pipeline`` calls).

At check: what the batch and the library cannot show of a declared work (a volume that is in
neither, a division naming a page a volume lacks) becomes a warning on the items concerned.
At ingest: each landed item carries the ids of its works into its index documents (the
``work:`` filter and the work and volume facets), and the works land after the items; an
item that joins or leaves a work without being re-ingested is reindexed.

Relies on ``catalog.db`` for the works tables and ``catalog.index`` for the reindex.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

from catalog import index as cindex
from catalog.catalogue import Catalogue as Catalog, catalog_exists, open_catalog
from library.models import Diagnostic, Item, Work
from library.settings import Settings

from .batch import ItemPlan
from .collections_file import NAME
from .works_file import volume_warnings

CODE = "work-volume"


def check_works(works: list[Work], plans: list[ItemPlan], settings: Optional[Settings]) -> None:
    """Add a warning to the plans concerned for each volume or page a work names in vain."""
    if not works:
        return
    by_id = {p.item_id: p for p in plans}

    def in_batch(item_id: str) -> Optional[list[tuple[int, str]]]:
        plan = by_id.get(item_id)
        if plan is not None and plan.item is not None:
            return [(p.order, p.label) for p in plan.item.pages]
        return None

    if settings is not None and catalog_exists(settings):
        with open_catalog(settings, readonly=True) as cat:
            known = set(cat.item_ids())
            pages = {v.item: cat.page_labels(v.item) for w in works for v in w.volumes
                     if v.item in known and v.item not in by_id}
    else:
        pages = {}
    for work, item_id, message in volume_warnings(
            works, lambda i: in_batch(i) if i in by_id else pages.get(i)):
        targets = [by_id[item_id]] if item_id in by_id else \
            [by_id[v.item] for v in work.volumes if v.item in by_id] or plans[:1]
        for plan in targets:
            plan.warn(message, NAME, code=CODE)


def works_of(item: Item, works: list[Work], catalog: Catalog) -> list[str]:
    """The works an item being ingested belongs to: those this batch declares it a volume of,
    and those of the library that this batch does not redeclare."""
    declared = {w.id for w in works}
    kept = [w for w in catalog.work_ids_of(item.id) if w not in declared]
    return sorted(set(kept) | {w.id for w in works if w.volume_of(item.id)})


def land_works(works: list[Work], catalog: Catalog, index_dir: Path,
               landed: Iterable[str] = ()) -> list[Diagnostic]:
    """Write the batch's works; reindex the items whose works changed, but for those just
    ``landed`` (indexed with their works already). Warnings returned."""
    notes: list[Diagnostic] = []
    changed: set[str] = set()
    present = set(catalog.item_ids())
    for work in works:
        changed.update(catalog.put_work(work))
        for vol in work.volumes:
            if vol.item not in present:
                notes.append(Diagnostic(
                    "warning", f'work "{work.id}": volume {vol.label} ({vol.item}) is not in '
                    "the library; the work is kept without it", NAME, None, CODE))
    done = set(landed)
    _reindex(catalog, index_dir, [i for i in sorted(changed) if i in present and i not in done])
    return notes


def _reindex(catalog: Catalog, index_dir: Path, item_ids: Iterable[str]) -> None:
    ids = list(item_ids)
    if ids:
        catalog.mark_indexed(ids, False)
        if not catalog.holds_search:  # else put_work rewrote their search rows
            cindex.update_items(index_dir, list(catalog.items(ids, with_pages=True)))
        catalog.mark_indexed(ids)
