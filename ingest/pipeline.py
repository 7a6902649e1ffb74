"""The ingest pipeline: check, prepare each item aside, then publish it atomically.

``stage`` (in the ingest process) checks an item and copies its sources into a staging folder
of the library; the pages' derivatives are then cut as page tasks (ingest/derive.py) by an
executor (ingest/executors.py: this process, local worker processes, or a Dask cluster), while
the next items are staged; ``finish`` attaches OCR, records fixity and returns the finished
``Item``. ``publish`` (in the ingest process, one item at a time, under the library's ingest
lock: the single writer) renames the staging folder into place, commits the catalogue row that
points at it, updates the index and only then removes the version it replaced. With an object
store (``store_url``), publishing uploads the staged version to its ``items/<item>@<version>/``
prefix first; a lost upload or a failed page task fails that item alone and leaves nothing the
catalogue names. A crash at any moment leaves the previous state plus unreferenced folders,
which the next run removes; rerunning resumes where it stopped, skipping items whose sources
have not changed.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Optional

from catalog import index as cindex
from catalog.catalogue import Catalogue as Catalog, FixityRecord, ingest_lock, open_catalog
from library import edition, imaging, scripts
from library.bagit import is_bag, verify_bag
from library.errors import CatalogError, SudurError
from library.models import Diagnostic, Item
from library.safe_open import write_bytes
from library.settings import Settings
from library.storage import open_store
from library.store import Store, page_derived_dir, source_dir

from .batch import ItemPlan, item_folders, plan_item
from .collections_file import read_groups
from .derive import PageJob, PageResult
from .executors import PageWork, open_executor, run_ordered
from .image_checks import check_images
from .page_ocr import attach_ocr
from .pairing import OcrReader, pairing_of
from .retired import Retired, remove_version
from .tei import READER_REVISION
from .works_land import check_works, land_works, works_of

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    item_id: str
    status: str  # "ready", "skipped", "failed"
    item: Optional[Item] = None
    staged: Optional[str] = None
    source_hash: str = ""
    fixity: list[FixityRecord] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    seconds: float = 0.0
    workers: list[str] = field(default_factory=list)  # host:pid of each process that cut pages


@dataclass
class IngestSummary:
    ingested: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, list[Diagnostic]] = field(default_factory=dict)
    warnings: dict[str, list[Diagnostic]] = field(default_factory=dict)
    pages: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


# --- checking --------------------------------------------------------------------------------

def check_batch(batch: Path, settings: Settings, existing_ids: Iterable[str] = (), *,
                validate_tei: bool = True) -> list[ItemPlan]:
    """Plan and check every item of a batch; write nothing.

    Besides what ingest itself checks, this reports TEI validity against tei_all (unless
    ``validate_tei`` is false), page/image correspondence and text anomalies (ingest/checks.py).
    """
    from .checks import run_checks, tei_schema_path

    imaging.configure(settings.max_master_pixels)
    schema = tei_schema_path() if validate_tei else None
    batch = payload_of(Path(batch).resolve())  # resolved once: below it, no link is followed
    groups = read_groups(batch)  # a bad collections.json stops the ingest: say so now
    plans: list[ItemPlan] = []
    seen: dict[str, str] = {}
    existing = set(existing_ids)
    for folder in item_folders(batch):
        plan = plan_item(folder, batch, settings.max_tei_bytes, settings.max_pages_per_item)
        plans.append(plan)
        if plan.item_id in seen:
            plan.error(f"duplicate item id {plan.item_id!r} (also {seen[plan.item_id]})",
                       plan.display, code="duplicate-id")
        seen[plan.item_id] = plan.display
        if plan.item_id in existing:
            plan.warn(f"item {plan.item_id!r} is already in the library; ingest replaces it "
                      "if its sources changed", plan.display, code="in-library")
        if plan.item is not None:
            check_images(plan, settings)
            run_checks(plan, schema)
            if validate_tei and schema is None and plan.tei is not None:
                plan.warn("TEI validity not checked: tei_all.rng not found (set "
                          "SUDUR_TEI_SCHEMA to its path)", plan.display, code="no-schema")
        plan.tei_bytes = None  # checked: a batch of big TEI files is not held in memory
    check_works(groups.works, plans, settings)
    return plans


def payload_of(batch: Path) -> Path:
    """A batch delivered as a BagIt bag is verified first; its payload is the batch."""
    if is_bag(batch):
        return verify_bag(batch)
    return batch


# --- preparing (worker side) -----------------------------------------------------------------

def source_hash(plan: ItemPlan) -> str:
    h = hashlib.sha256(b"reader %d\0" % READER_REVISION)
    files = sorted(plan.images) + sorted(plan.ocr)
    if plan.tei is not None:
        tei = hashlib.sha256(plan.tei_bytes or b"").hexdigest()  # the bytes parsed
        h.update(b"tei\0" + tei.encode() + b"\0")
    for rel in files:
        h.update(rel.encode("utf-8") + b"\0" + plan.digest(rel).encode() + b"\0")
    return h.hexdigest()


def _copy_source(plan: ItemPlan, rel: str, dst: Path) -> tuple[int, str]:
    """Copy one batch file of the item into staging: (bytes, sha256 of exactly those bytes)."""
    return plan.copy(rel, dst)


@dataclass
class Staging:
    """An item whose sources are copied into staging; its pages wait for their derivatives."""

    prep: Prepared
    plan: ItemPlan
    staged: Path
    masters: dict[int, FixityRecord] = field(default_factory=dict)  # page order -> record
    t0: float = 0.0


def _failed(folder: str, diag: Diagnostic) -> Prepared:
    return Prepared(item_id=unicodedata.normalize("NFC", Path(folder).name), status="failed",
                    diagnostics=[diag])


def _item_failure(exc: BaseException, where: str) -> Optional[Diagnostic]:
    """The diagnostic failing one item for ``exc``, or None for what must stop the run."""
    if isinstance(exc, SudurError):
        return Diagnostic("error", exc.message, exc.file or where, exc.line, type(exc).__name__)
    if isinstance(exc, OSError):  # a full disk or an unreadable file fails this item only
        return Diagnostic("error", f"cannot read or write the item: {exc}", where, None,
                          "os-error")
    if isinstance(exc, (ValueError, TypeError, MemoryError, RuntimeError, EOFError, KeyError,
                        IndexError)):
        # a decoder or parser failing on input nobody foresaw: still this item's problem only
        return Diagnostic("error", f"unexpected {type(exc).__name__} while reading the item: "
                          f"{exc} (please report this)", where, None, "internal")
    return None


def stage(folder: str, batch_root: str, store: Store, known_hashes: dict[str, str],
          settings: Settings) -> PageWork:
    """Check one item and copy its sources into a staging folder; its pages' derivative jobs
    come back with it (``finish`` completes it). Whatever goes wrong with one item fails that
    item only: the batch goes on."""
    staged: Optional[Path] = None
    try:
        t0 = time.perf_counter()
        imaging.configure(settings.max_master_pixels)
        plan = plan_item(Path(folder), Path(batch_root), settings.max_tei_bytes,
                         settings.max_pages_per_item)
        out = Prepared(item_id=plan.item_id, status="failed", diagnostics=plan.diagnostics)
        if plan.item is not None and not plan.errors:
            check_images(plan, settings)
        if plan.errors or plan.item is None:
            return PageWork(out, [])
        out.source_hash = source_hash(plan)
        if known_hashes.get(plan.item_id) == out.source_hash:
            out.status = "skipped"
            return PageWork(out, [])
        staged = store.new_staging(plan.item_id)
        work = Staging(out, plan, staged, t0=t0)
        return PageWork(work, _copy_sources(work, settings))
    except BaseException as exc:
        if staged is not None:
            shutil.rmtree(staged, ignore_errors=True)
        diag = _item_failure(exc, Path(folder).name)
        if diag is None:
            raise
        return PageWork(_failed(folder, diag), [])


def _copy_sources(work: Staging, settings: Settings) -> list[PageJob]:
    plan, staged, out = work.plan, work.staged, work.prep
    source = source_dir(staged)
    source.mkdir()
    if plan.tei is not None:  # the very bytes that were parsed
        size, digest = write_bytes(plan.tei_bytes or b"", source / plan.tei.name)
        out.fixity.append(FixityRecord(f"source/{plan.tei.name}", "tei", size, digest))
    jobs = []
    for page in plan.item.pages:
        if page.image:
            dst = source / page.image
            # copied from one descriptor; the derivatives are cut from the copy
            size, digest = _copy_source(plan, page.image, dst)
            work.masters[page.order] = FixityRecord(f"source/{page.image}", "master", size,
                                                    digest)
            page.sha256 = digest
            jobs.append(PageJob(plan.item_id, page.order, page.image, str(dst),
                                str(page_derived_dir(staged, page.order)),
                                tile_size=settings.tile_size, thumb_width=settings.thumb_width,
                                max_master_pixels=settings.max_master_pixels,
                                expected_size=(page.width, page.height) if page.width else None))
    return jobs


def finish(work: Any, results: list[PageResult]) -> Prepared:
    """The item's ``Prepared`` once its pages are derived (or one failed, failing the item)."""
    if isinstance(work, Prepared):  # failed or skipped before any page was derived
        return work
    out, plan = work.prep, work.plan
    out.workers = sorted({r.worker for r in results if r.worker})
    try:
        failures = [r for r in results if not r.ok]
        if failures:
            out.diagnostics.extend(Diagnostic("error", r.error, plan.display, None,
                                              r.error_code or "derivatives") for r in failures)
            shutil.rmtree(work.staged, ignore_errors=True)
            return out
        out.item = _build(work, {r.order: r for r in results})
    except BaseException as exc:
        shutil.rmtree(work.staged, ignore_errors=True)
        diag = _item_failure(exc, plan.display)
        if diag is None:
            raise
        out.diagnostics.append(diag)
        return out
    out.staged = str(work.staged)
    out.status = "ready"
    out.seconds = time.perf_counter() - work.t0
    return out


def _build(work: Staging, derived: dict[int, PageResult]) -> Item:
    plan, staged, out = work.plan, work.staged, work.prep
    item = plan.item
    source = source_dir(staged)
    paired, reader = pairing_of(plan), OcrReader(source)
    for page in item.pages:
        if page.order in work.masters:
            out.fixity.append(work.masters[page.order])
            result = derived[page.order]
            page.width, page.height = result.width, result.height
            out.diagnostics.extend(Diagnostic("warning", w, plan.display, None, "derivatives")
                                   for w in result.warnings)
        if page.order in paired:
            attach_ocr(page, paired[page.order], plan, source, out.fixity, reader)
    for page in item.pages:
        if scripts.has_menksoft(page.text):
            page.text = scripts.convert_menksoft(page.text)
            page.edition = edition.converted(page.edition, page.text, scripts.convert_menksoft)
            item.source_encoding = "menksoft-pua"
    if item.source_encoding == "menksoft-pua":
        out.diagnostics.append(Diagnostic(
            "warning", "Menksoft private-use text was converted to Unicode; the original "
            "bytes are kept in the source", plan.display, None, "menksoft"))
    item.warnings = [str(d) for d in out.diagnostics if d.level == "warning"]
    # the digests the workers computed, in path order (as a walk of derived/ lists them)
    records = []
    for order, result in derived.items():
        base = PurePosixPath(page_derived_dir(staged, order).relative_to(staged).as_posix())
        records.extend(FixityRecord((base / f.rel).as_posix(), "derivative", f.size, f.sha256)
                       for f in result.files)
    out.fixity.extend(sorted(records, key=lambda r: PurePosixPath(r.path).parts))
    return item


# --- publishing (main process) ---------------------------------------------------------------

def publish(prep: Prepared, store: Store, catalog: Catalog, run_id: Optional[int],
            retired: Optional[Retired] = None) -> list[Diagnostic]:
    """Rename the staged version into place and commit its catalogue row.

    Until the commit, any failure (a full disk included) removes what this item wrote and
    re-raises: the library is as it was. After the commit the item has landed; a failure to
    update the link or the index is returned as a warning, and the next run (``recover``)
    or ``sudur reindex`` catches up.
    """
    staged = Path(prep.staged)
    try:
        version_path = store.publish(staged)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        if store.is_local:  # an object store's publish removes its own partial upload
            shutil.rmtree(store.items_dir / staged.name, ignore_errors=True)
        raise
    try:
        old = catalog.put_item(prep.item, version_path=version_path,
                               source_hash=prep.source_hash, fixity=prep.fixity, run_id=run_id)
    except BaseException:
        remove_version(store, version_path)
        raise
    notes: list[Diagnostic] = []
    try:
        store.point_symlink(prep.item.id, version_path)
    except OSError as exc:
        notes.append(Diagnostic("warning", f"the items/{prep.item.id} link was not updated "
                                f"({exc}); the next ingest fixes it", prep.item_id, None,
                                "link-pending"))
    try:
        if not catalog.holds_search:  # else published with the item by put_item
            cindex.update_items(store.index_dir, [prep.item])
        catalog.mark_indexed([prep.item.id])
    except (OSError, CatalogError) as exc:
        notes.append(Diagnostic("warning", f"ingested, but the search index was not updated "
                                f"({exc}); the next `sudur ingest` or `sudur reindex` catches "
                                "up", prep.item_id, None, "index-pending"))
    if old:
        if retired is not None:
            retired.add(old)
        else:
            remove_version(store, old)
    return notes


def _record(catalog: Catalog, run_id: Optional[int], item_id: Optional[str], level: str,
            message: str, summary: IngestSummary) -> None:
    """Log an event; on a full disk the event is lost, never the ingest."""
    try:
        catalog.event(run_id, item_id, level, message)
    except CatalogError as exc:
        summary.warnings.setdefault(item_id or "", []).append(Diagnostic(
            "warning", f"could not record the event in the catalogue: {exc}", item_id or "",
            None, "event-lost"))


def ingest_batch(batch: Path, settings: Settings, *, workers: int = 1, dask: Optional[str] = None,
                 progress: Optional[Callable[[Prepared], None]] = None) -> IngestSummary:
    """Ingest every item of a batch; a bad item fails alone, the others land.

    Page derivatives are cut by ``workers`` local processes, or on the Dask cluster at
    ``dask`` (default: the setting ``dask_scheduler``; ``""`` = local processes)."""
    dask = settings.dask_scheduler if dask is None else dask
    t0 = time.perf_counter()
    batch = payload_of(Path(batch).resolve())
    groups = read_groups(batch)  # refused before anything is written
    collections = groups.collections
    store = open_store(settings)
    summary = IngestSummary()
    with ingest_lock(settings, store) as lock:
        if lock.took_over:
            summary.warnings.setdefault("", []).append(Diagnostic(
                "warning", lock.took_over, "", None, "lock-taken-over"))
        store.ensure()
        store.objects.ensure()
        with open_catalog(settings) as catalog:
            recover(store, catalog)
            known = {i: catalog.item_row(i).source_hash for i in catalog.item_ids()}
            folders = item_folders(batch)
            names = [f.name for f in folders]
            dupes = {n for n in names if names.count(n) > 1}
            run_id = catalog.start_run(str(batch))
            status = "failed"
            # readers elsewhere may hold the old version a moment longer than this node's
            retired = Retired(store, 1.0 if store.is_local else 5.0)
            try:
                with open_executor(workers, dask) as executor:
                    works = (stage(str(f), str(batch), store, known, settings) for f in folders)
                    for work, results in run_ordered(executor, works):
                        prep = finish(work.key, results)
                        _accept(prep, dupes, collections)
                        if prep.item is not None:
                            prep.item.works = works_of(prep.item, groups.works, catalog)
                        _land(prep, store, catalog, run_id, summary, retired)
                        if progress:
                            progress(prep)
                for coll in collections:
                    coll.items = [i for i in coll.items if i in catalog.item_ids()]
                    catalog.put_collection(coll)
                notes = land_works(groups.works, catalog, store.index_dir, summary.ingested)
                if notes:
                    summary.warnings.setdefault("", []).extend(notes)
                status = "ok" if summary.ok else "partial"
            finally:
                try:
                    catalog.finish_run(run_id, status)
                except CatalogError as exc:
                    summary.warnings.setdefault("", []).append(Diagnostic(
                        "warning", f"could not record the end of the run: {exc}", "", None,
                        "event-lost"))
                retired.drain()
    summary.seconds = time.perf_counter() - t0
    return summary


def _accept(prep: Prepared, dupes: set[str], collections: list) -> None:
    if prep.item_id in dupes:
        prep.status = "failed"
        prep.diagnostics.append(Diagnostic("error", f"duplicate item id {prep.item_id!r}",
                                           prep.item_id))
    if prep.item is not None:
        # collections.json memberships become facets and manifest partOf
        prep.item.collections = list(dict.fromkeys(
            prep.item.collections + [c.id for c in collections if prep.item_id in c.items]))


def _land(prep: Prepared, store: Store, catalog: Catalog, run_id: int,
          summary: IngestSummary, retired: Optional[Retired] = None) -> None:
    warnings = [d for d in prep.diagnostics if d.level == "warning"]
    if warnings:
        summary.warnings[prep.item_id] = warnings
    if prep.status == "skipped":
        summary.skipped.append(prep.item_id)
        _record(catalog, run_id, prep.item_id, "info", "unchanged; skipped", summary)
        return
    if prep.status != "ready":
        if prep.staged:
            shutil.rmtree(prep.staged, ignore_errors=True)
        errors = [d for d in prep.diagnostics if d.level == "error"]
        summary.failed[prep.item_id] = errors
        _record(catalog, run_id, prep.item_id, "error", "; ".join(str(e) for e in errors),
                summary)
        return
    try:
        notes = publish(prep, store, catalog, run_id, retired)
    except (OSError, SudurError) as exc:  # CatalogError is a SudurError
        # a full disk or a lost upload while publishing: this item failed, left nothing the
        # catalogue names, and the next run ingests it again
        why = exc.message if isinstance(exc, SudurError) else str(exc)
        code = type(exc).__name__ if isinstance(exc, SudurError) else "os-error"
        summary.failed[prep.item_id] = [Diagnostic("error", f"cannot publish: {why}",
                                                   prep.item_id, None, code)]
        _record(catalog, run_id, prep.item_id, "error", f"cannot publish: {why}", summary)
        return
    if notes:
        summary.warnings.setdefault(prep.item_id, []).extend(notes)
    summary.ingested.append(prep.item_id)
    summary.pages += len(prep.item.pages)


def recover(store: Store, catalog: Catalog) -> list[str]:
    """After a crash: drop unreferenced folders and index what the catalogue holds."""
    removed = store.collect_garbage(catalog.live_versions(), catalog.withdrawn_ids())
    for item_id in (catalog.item_ids() if store.is_local else ()):
        link = store.items_dir / item_id
        target = catalog.version_path(item_id)
        if not link.is_symlink() or os.readlink(link) != Path(target).name:
            store.point_symlink(item_id, target)
    pending = catalog.unindexed()
    if pending:
        # a record that cannot be read is logged and left out, never wedges the library
        if not catalog.holds_search:
            cindex.update_items(store.index_dir, list(catalog.items(pending, with_pages=True)))
        catalog.mark_indexed(pending)
    return removed
