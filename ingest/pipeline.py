"""The ingest pipeline: check, prepare each item aside, then publish it atomically.

``prepare`` (run in worker processes) copies the sources into a staging folder of the library,
checks and hashes them, cuts the derivatives and returns the finished ``Item``. ``publish``
(run in the main process, one item at a time, under the library's ingest lock) renames the
staging folder into place, commits the catalogue row that points at it, updates the index and
only then removes the version it replaced. A crash at any moment leaves the previous state plus
unreferenced folders, which the next run removes; rerunning resumes where it stopped, skipping
items whose sources have not changed.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from catalog import index as cindex
from catalog.catalogue import Catalogue as Catalog, FixityRecord, ingest_lock, open_catalog
from library import imaging, scripts
from library.bagit import is_bag, verify_bag
from library.errors import CatalogError, SudurError
from library.models import Diagnostic, Item, Page
from library.processes import die_with_parent
from library.safe_open import write_bytes
from library.settings import Settings
from library.store import Store, derived_dir, file_digest, page_derived_dir, source_dir

from .batch import ItemPlan, item_folders, plan_item
from .collections_file import read_collections
from .image_checks import check_images
from .pairing import OcrReader, PagePairing, pairing_of
from .xmlsafe import DEFAULT_MAX_BYTES


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
    read_collections(batch)  # a bad collections.json stops the ingest: say so now
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
    return plans


def payload_of(batch: Path) -> Path:
    """A batch delivered as a BagIt bag is verified first; its payload is the batch."""
    if is_bag(batch):
        return verify_bag(batch)
    return batch


# --- preparing (worker side) -----------------------------------------------------------------

def source_hash(plan: ItemPlan) -> str:
    h = hashlib.sha256()
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


def prepare(folder: str, batch_root: str, library: str, known_hashes: dict[str, str],
            settings_overrides: Optional[dict] = None) -> Prepared:
    """Check, copy and derive one item into a staging folder of the library.

    Whatever goes wrong with one item fails that item only: the batch goes on.
    """
    try:
        return _prepare(folder, batch_root, library, known_hashes, settings_overrides)
    except SudurError as exc:
        diag = Diagnostic("error", exc.message, exc.file or Path(folder).name, exc.line,
                          type(exc).__name__)
    except OSError as exc:
        diag = Diagnostic("error", f"cannot read or write the item: {exc}", Path(folder).name,
                          None, "os-error")
    except (ValueError, TypeError, MemoryError, RuntimeError, EOFError, KeyError,
            IndexError) as exc:
        # a decoder or parser failing on input nobody foresaw: still this item's problem only
        diag = Diagnostic("error", f"unexpected {type(exc).__name__} while reading the item: "
                          f"{exc} (please report this)", Path(folder).name, None, "internal")
    return Prepared(item_id=unicodedata.normalize("NFC", Path(folder).name), status="failed",
                    diagnostics=[diag])


def _prepare(folder: str, batch_root: str, library: str, known_hashes: dict[str, str],
             settings_overrides: Optional[dict] = None) -> Prepared:
    t0 = time.perf_counter()
    settings = Settings.load(library, **(settings_overrides or {}))
    imaging.configure(settings.max_master_pixels)
    plan = plan_item(Path(folder), Path(batch_root), settings.max_tei_bytes,
                     settings.max_pages_per_item)
    out = Prepared(item_id=plan.item_id, status="failed", diagnostics=plan.diagnostics)
    if plan.item is not None and not plan.errors:
        check_images(plan, settings)
    if plan.errors or plan.item is None:
        return out
    out.source_hash = source_hash(plan)
    if known_hashes.get(plan.item_id) == out.source_hash:
        out.status = "skipped"
        return out
    store = Store(library)
    staged = store.new_staging(plan.item_id)
    try:
        out.item = _build(plan, staged, settings, out)
    except SudurError as exc:
        shutil.rmtree(staged, ignore_errors=True)
        out.diagnostics.append(Diagnostic("error", exc.message, exc.file or plan.display,
                                          exc.line, type(exc).__name__))
        return out
    except OSError as exc:
        # a full disk or an unreadable file fails this item only, and cleanly
        shutil.rmtree(staged, ignore_errors=True)
        out.diagnostics.append(Diagnostic("error", f"cannot write the item: {exc}",
                                          plan.display, None, "os-error"))
        return out
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    out.staged = str(staged)
    out.status = "ready"
    out.seconds = time.perf_counter() - t0
    return out


def _build(plan: ItemPlan, staged: Path, settings: Settings, out: Prepared) -> Item:
    item = plan.item
    source = source_dir(staged)
    source.mkdir()
    if plan.tei is not None:  # the very bytes that were parsed
        size, digest = write_bytes(plan.tei_bytes or b"", source / plan.tei.name)
        out.fixity.append(FixityRecord(f"source/{plan.tei.name}", "tei", size, digest))
    paired, reader = pairing_of(plan), OcrReader(source)
    for page in item.pages:
        if page.image:
            dst = source / page.image
            # copied from one descriptor; the derivatives are cut from the copy
            size, digest = _copy_source(plan, page.image, dst)
            out.fixity.append(FixityRecord(f"source/{page.image}", "master", size, digest))
            page.sha256 = digest
            derivs = imaging.make_derivatives(dst, page_derived_dir(staged, page.order),
                                              tile_size=settings.tile_size,
                                              thumb_width=settings.thumb_width)
            page.width, page.height = derivs.width, derivs.height
        if page.order in paired:
            _attach_ocr(page, paired[page.order], plan, source, out, reader)
    for page in item.pages:
        if scripts.has_menksoft(page.text):
            page.text = scripts.convert_menksoft(page.text)
            item.source_encoding = "menksoft-pua"
    if item.source_encoding == "menksoft-pua":
        out.diagnostics.append(Diagnostic(
            "warning", "Menksoft private-use text was converted to Unicode; the original "
            "bytes are kept in the source", plan.display, None, "menksoft"))
    item.warnings = [str(d) for d in out.diagnostics if d.level == "warning"]
    for path in sorted(derived_dir(staged).rglob("*")) if derived_dir(staged).exists() else []:
        if path.is_file():
            out.fixity.append(FixityRecord(path.relative_to(staged).as_posix(), "derivative",
                                           path.stat().st_size, file_digest(path)))
    return item


def _attach_ocr(page: Page, pair: PagePairing, plan: ItemPlan, source: Path,
                out: Prepared, reader: OcrReader) -> None:
    from .ocr import align_ocr_to_text

    rel = pair.ocr
    if not (source / rel).exists():  # an hOCR volume serves many pages: copied once
        size, digest = write_bytes(plan.read(rel, DEFAULT_MAX_BYTES), source / rel)
        out.fixity.append(FixityRecord(f"source/{rel}", "ocr", size, digest))
    ocr = reader.page(plan, pair)  # parsed from the stored copy
    page.ocr = rel
    if page.width and ocr.width and (ocr.width != page.width or ocr.height != page.height):
        _scale_lines(ocr.lines, page.width / ocr.width, page.height / max(1, ocr.height))
    if not page.text.strip():
        page.text = ocr.text
        page.lines = ocr.lines
    else:
        page.lines = align_ocr_to_text(page.text, ocr)


def _scale_lines(lines, sx: float, sy: float) -> None:
    from library.models import Box

    def sc(b):
        return Box(round(b.x * sx), round(b.y * sy), round(b.w * sx), round(b.h * sy)) \
            if b else None
    for line in lines:
        line.box = sc(line.box)
        for w in line.words:
            w.box = sc(w.box)


# --- publishing (main process) ---------------------------------------------------------------

class Retired:
    """Replaced item versions, removed ``grace`` seconds after the commit that replaced them.

    A request that resolved the old version an instant before the commit still finds its files;
    ``drain`` (at the end of a run) waits out the last grace and removes the rest, so a finished
    run leaves nothing behind, and a killed one leaves folders the next run collects.
    """

    def __init__(self, root: Path, grace: float = 1.0) -> None:
        self.root = root
        self.grace = grace
        self.pending: list[tuple[float, str]] = []

    def add(self, version_path: str) -> None:
        self.pending.append((time.monotonic() + self.grace, version_path))
        self.sweep()

    def sweep(self) -> None:
        now = time.monotonic()
        due = [v for t, v in self.pending if t <= now]
        self.pending = [(t, v) for t, v in self.pending if t > now]
        for v in due:
            shutil.rmtree(self.root / v, ignore_errors=True)

    def drain(self) -> None:
        if self.pending:
            time.sleep(max(0.0, max(t for t, _ in self.pending) - time.monotonic()))
        self.sweep()


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
        shutil.rmtree(store.items_dir / staged.name, ignore_errors=True)
        raise
    try:
        old = catalog.put_item(prep.item, version_path=version_path,
                               source_hash=prep.source_hash, fixity=prep.fixity, run_id=run_id)
    except BaseException:
        shutil.rmtree(store.root / version_path, ignore_errors=True)
        raise
    notes: list[Diagnostic] = []
    try:
        store.point_symlink(prep.item.id, version_path)
    except OSError as exc:
        notes.append(Diagnostic("warning", f"the items/{prep.item.id} link was not updated "
                                f"({exc}); the next ingest fixes it", prep.item_id, None,
                                "link-pending"))
    try:
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
            shutil.rmtree(store.root / old, ignore_errors=True)
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


def ingest_batch(batch: Path, settings: Settings, *, workers: int = 1,
                 progress: Optional[Callable[[Prepared], None]] = None) -> IngestSummary:
    """Ingest every item of a batch; a bad item fails alone, the others land."""
    t0 = time.perf_counter()
    batch = payload_of(Path(batch).resolve())
    collections = read_collections(batch)  # refused before anything is written
    store = Store(settings.library)
    summary = IngestSummary()
    with ingest_lock(settings, store) as lock:
        if lock.took_over:
            summary.warnings.setdefault("", []).append(Diagnostic(
                "warning", lock.took_over, "", None, "lock-taken-over"))
        store.ensure()
        with open_catalog(settings) as catalog:
            recover(store, catalog)
            known = {i: catalog.item_row(i).source_hash for i in catalog.item_ids()}
            folders = item_folders(batch)
            names = [f.name for f in folders]
            dupes = {n for n in names if names.count(n) > 1}
            run_id = catalog.start_run(str(batch))
            args = [(str(f), str(batch), str(store.root), known) for f in folders]
            status = "failed"
            retired = Retired(store.root)
            try:
                for prep in _map(prepare, args, workers):
                    if prep.item_id in dupes:
                        prep.status = "failed"
                        prep.diagnostics.append(Diagnostic(
                            "error", f"duplicate item id {prep.item_id!r}", prep.item_id))
                    if prep.item is not None:
                        # collections.json memberships become facets and manifest partOf
                        prep.item.collections = list(dict.fromkeys(
                            prep.item.collections + [c.id for c in collections
                                                     if prep.item_id in c.items]))
                    _land(prep, store, catalog, run_id, summary, retired)
                    if progress:
                        progress(prep)
                for coll in collections:
                    coll.items = [i for i in coll.items if i in catalog.item_ids()]
                    catalog.put_collection(coll)
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
    except (OSError, CatalogError) as exc:
        # a full disk (or the catalogue's server gone) while publishing: this item failed and
        # left nothing behind
        summary.failed[prep.item_id] = [Diagnostic("error", f"cannot publish: {exc}",
                                                   prep.item_id, None, "os-error")]
        _record(catalog, run_id, prep.item_id, "error", f"cannot publish: {exc}", summary)
        return
    if notes:
        summary.warnings.setdefault(prep.item_id, []).extend(notes)
    summary.ingested.append(prep.item_id)
    summary.pages += len(prep.item.pages)


def _map(fn, args: list[tuple], workers: int):
    if workers <= 1 or len(args) <= 1:
        for a in args:
            yield fn(*a)
        return
    # workers end with this process, even when it is killed (library.processes)
    with ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(fn, *a) for a in args]
        for fut in futures:
            yield fut.result()


def recover(store: Store, catalog: Catalog) -> list[str]:
    """After a crash: drop unreferenced folders and index what the catalogue holds."""
    removed = store.collect_garbage(catalog.live_versions())
    for item_id in catalog.item_ids():
        link = store.items_dir / item_id
        target = catalog.version_path(item_id)
        if not link.is_symlink() or os.readlink(link) != Path(target).name:
            store.point_symlink(item_id, target)
    pending = catalog.unindexed()
    if pending:
        # a record that cannot be read is logged and left out, never wedges the library
        cindex.update_items(store.index_dir, list(catalog.items(pending, with_pages=True)))
        catalog.mark_indexed(pending)
    return removed
