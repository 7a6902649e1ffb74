"""Withdrawing a published item (``sudur withdraw``): a rights claim, a duplicate, an error.

Under the library's one-writer lock (``catalogue.ingest_lock``), one catalogue commit deletes
the item's row (its pages and fixity with it), logs a Delete activity (IIIF Change Discovery),
records its tombstone (``catalog.tombstones``: every URL of the item then answers 410 Gone, and
OAI-PMH lists it as deleted) and an event; on PostgreSQL the same commit removes its search
rows. After the commit, as after a publication, the derived things follow: its Whoosh
documents go, its ``items/<id>`` link goes, and the garbage collection that every ingest runs
first (``Store.collect_garbage``) removes its now unreferenced version folder or S3 prefix. A
failure there leaves only derived leftovers that ``sudur verify --repair`` (or the next ingest)
clears, and is reported as a warning.

A volume of a multi-volume work stays named by its work: the work keeps its volume list and its
divisions (which may begin or end in that volume) unchanged; its page shows the volume as
withdrawn, when and why (``Catalogue.tombstones_of``), and its IIIF Collection leaves it out,
as it leaves out a volume not yet ingested; its other volumes are untouched. Ingesting the
item again publishes it again, in its works, and removes the tombstone.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from library.errors import NotFoundError, SudurError
from library.models import is_item_id
from library.settings import Settings
from library.store import Store

from . import index as cindex
from .catalogue import catalog_exists, ingest_lock, open_catalog, where
from .tombstones import Tombstone


@dataclass
class Withdrawal:
    """What ``withdraw`` did."""

    tombstone: Tombstone
    already: bool = False  # withdrawn before: nothing was done
    index_documents: int = 0  # Whoosh documents removed (PostgreSQL: its rows went in the commit)
    works: list[str] = field(default_factory=list)  # the works it stays a volume of
    removed: list[str] = field(default_factory=list)  # what garbage collection removed
    warnings: list[str] = field(default_factory=list)


def withdraw(settings: Settings, store: Store, item_id: str, reason: str) -> Withdrawal:
    """Withdraw ``item_id`` for ``reason``. NotFoundError for an item the library does not hold
    (nor ever withdrew); an item withdrawn already is reported, not withdrawn again."""
    reason = " ".join(reason.split())
    if not reason:
        raise SudurError("a withdrawal needs a reason", hint="say why with --reason TEXT "
                         "(it is shown to readers who follow a link to the item)")
    if not catalog_exists(settings):
        raise SudurError(f"no library at {where(settings)}", hint="check --library")
    store.root.mkdir(parents=True, exist_ok=True)  # a new node of a shared catalogue
    with ingest_lock(settings, store) as lock, open_catalog(settings) as cat:
        notes = [lock.took_over] if lock.took_over else []
        row = cat.item_row(item_id) if is_item_id(item_id) else None
        if row is None:
            tomb = cat.tombstone(item_id) if is_item_id(item_id) else None
            if tomb is not None:
                return Withdrawal(tomb, already=True, warnings=notes)
            raise NotFoundError(f"no item {item_id!r} in the library",
                                hint="item ids are as in the item's URLs (/items/ID)")
        works = cat.work_ids_of(item_id)
        run_id = cat.start_run(f"withdraw {item_id}")  # the event says who withdrew it, where
        try:
            tomb, _old = cat.withdraw_item(item_id, reason, run_id)
        except BaseException:
            cat.finish_run(run_id, "failed")
            raise
        cat.finish_run(run_id, "ok")
        done = Withdrawal(tomb, works=works, warnings=notes)
        if not cat.holds_search:
            try:
                done.index_documents = cindex.delete_items(store.index_dir, [item_id])
            except (OSError, SudurError) as exc:
                done.warnings.append(f"its search documents were not removed ({exc}): run "
                                     "`sudur reindex`")
        try:
            store.remove_symlink(item_id)
            done.removed = store.collect_garbage(cat.live_versions(), cat.withdrawn_ids())
        except (OSError, SudurError) as exc:
            done.warnings.append(f"its files were not removed yet ({exc}): `sudur verify "
                                 "--repair` or the next ingest removes them")
    return done
