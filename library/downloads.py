"""PDFs built in the background: what a request asks for, the job record that tells its
progress, the bounded cache that keeps the result, and the lock that builds one per item at once.

On disk, under the library's cache (nothing here is authoritative; deleting it loses nothing)::

    cache/downloads/<item>@<version>/<key>.pdf    a built PDF
    cache/downloads/<item>@<version>/<key>.json   its job: state, pages done of total, error
    cache/downloads/<item>.lock                   flock()ed while one of the item's PDFs is built

The key hashes the item version, the page range and the size, so a new version of an item never
serves a stale PDF. A build runs in a thread of the process that was asked first; the lock is an
flock on a file, so gunicorn's other workers (and other threads) wait for it, and a worker that
dies lets it go. A job whose record has not moved for STALE_SECONDS was lost with its process:
the next request starts it again. Built PDFs are touched when served and the least recently used
go first once the cache is past its bound (``Settings.download_cache_max_mb``).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

from . import imaging
from .errors import BadRequestError, LibraryError
from .models import Page
from .pdf import BLANK_PAGE, PdfPage, pictures, write_pdf
from .pdf_text import placements
from .store import Store, page_derived_dir

log = logging.getLogger(__name__)

SIZES = ("1000", "2000", "max")  # widths offered: the narrowest level at least this wide
DEFAULT_SIZE = "1000"
RANGE_DASHES = "-\u2013"  # a hyphen, or the en dash a range is printed with
STALE_SECONDS = 120.0
HEARTBEAT_SECONDS = 0.5  # at most this often a job's record is rewritten
POLL_SECONDS = 0.1
QUEUED, BUILDING, DONE, FAILED = "queued", "building", "done", "failed"


@dataclass(frozen=True)
class PdfSpec:
    """One PDF asked for: pages ``first``..``last`` (orders) of an item version, at ``size``."""

    item: str
    version: str  # the catalogue's version path, items/<item>@<version>
    first: int
    last: int
    size: str = DEFAULT_SIZE

    @property
    def key(self) -> str:
        raw = "\x1f".join((self.version, "pdf", f"{self.first}-{self.last}", self.size))
        return hashlib.sha256(raw.encode()).hexdigest()[:24]

    @property
    def width(self) -> Optional[int]:
        return None if self.size == "max" else int(self.size)

    @property
    def pages(self) -> int:
        return self.last - self.first + 1

    @property
    def filename(self) -> str:
        return f"{self.item}-{self.first}-{self.last}-{self.size}.pdf"


def parse_range(raw: Optional[str], find: Callable[[str], Optional[int]], first: int,
                last: int) -> tuple[int, int]:
    """``pages=`` as (first, last) orders: empty for the whole item, one page or a range of two,
    each named as the reader names a page (``find``: its order, or its label as written, so
    ``2b-4a`` as well as ``3-10``). A label with a hyphen in it is read whole first."""
    text = (raw or "").strip()
    if not text:
        return first, last
    one = find(text)
    if one is not None:
        return one, one
    for cut in (i for i, ch in enumerate(text) if ch in RANGE_DASHES):
        lo, hi = find(text[:cut]), find(text[cut + 1:])
        if lo is None or hi is None:
            continue
        if lo > hi:
            raise BadRequestError(f"pages={text!r}: a range goes from the lower page to the "
                                  f"higher (this item has pages {first} to {last})")
        return lo, hi
    raise BadRequestError(f"pages={text!r}: this item has pages {first} to {last}; write one "
                          "page or a range, by order (3-10) or by the labels on the leaves "
                          "(2b-4a)", hint="a range goes from the lower page to the higher")


def parse_size(raw: Optional[str]) -> str:
    size = (raw or DEFAULT_SIZE).strip()
    if size not in SIZES:
        raise BadRequestError(f"size={size!r}: choose one of {', '.join(SIZES)}")
    return size


def pdf_pages(pages: Sequence[Page], store: Store, version: str,
              width: Optional[int]) -> list[PdfPage]:
    """What the PDF shows of each of ``pages`` of item version ``version``: its pyramid's
    files at the level chosen for ``width`` (the one cut at ingest, else the one the Image API
    cut into the cache for an older version) and its text layer."""
    version_dir = store.version_dir(version)
    out = []
    for page in pages:
        pics: list = []
        width_px, height_px = page.width, page.height
        if page.has_image:
            folder = page_derived_dir(version_dir, page.order)
            if not imaging.pyramid_path(folder).is_file():
                folder = store.cached_pyramid_dir(version, page.order)
            try:
                derivs = imaging.load_derivatives(folder)
            except FileNotFoundError:
                raise LibraryError(f"page {page.order} of {page.item_id!r} has no image pyramid",
                                   hint="`sudur verify --repair` cuts it again") from None
            pics = pictures(folder, derivs, width)
            width_px, height_px = derivs.width, derivs.height  # as oriented at ingest
        elif not (width_px and height_px):
            # a text-only page is a blank sheet: its text layer goes down that sheet
            width_px, height_px = BLANK_PAGE
        out.append(PdfPage(page.label, width_px, height_px, pics,
                           placements(page, width_px, height_px)))
    return out


def embedded_bytes(pages: Sequence[PdfPage]) -> int:
    """What the JPEG files a PDF of ``pages`` embeds weigh (the PDF weighs about as much)."""
    return sum(pic.path.stat().st_size for page in pages for pic in page.pictures)


@dataclass
class Job:
    """A PDF's build, as its record says (also what the status JSON shows)."""

    key: str
    item: str
    first: int
    last: int
    size: str
    state: str = QUEUED
    done: int = 0
    total: int = 0
    error: str = ""
    bytes: int = 0
    updated: float = 0.0

    @classmethod
    def of(cls, spec: PdfSpec, **state) -> "Job":
        return cls(spec.key, spec.item, spec.first, spec.last, spec.size,
                   total=spec.pages, updated=time.time(), **state)

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)

    def percent(self) -> int:
        if self.state == DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class Downloads:
    """The PDF cache of one library, and the jobs that fill it."""

    _running: dict[str, threading.Thread] = {}  # per process: key -> its build thread
    _running_lock = threading.Lock()

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    # --- where things are ------------------------------------------------------------------
    def folder(self, spec: PdfSpec) -> Path:
        return self.root / Path(spec.version).name

    def pdf_path(self, spec: PdfSpec) -> Path:
        return self.folder(spec) / f"{spec.key}.pdf"

    def _record_path(self, spec: PdfSpec) -> Path:
        return self.folder(spec) / f"{spec.key}.json"

    def _lock_path(self, item: str) -> Path:
        return self.root / f"{item}.lock"

    # --- job records -------------------------------------------------------------------------
    def _write(self, spec: PdfSpec, job: Job) -> None:
        path = self._record_path(spec)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        job.updated = time.time()
        tmp.write_text(json.dumps(asdict(job)), encoding="utf-8")
        os.replace(tmp, path)  # a reader sees the old record or the new one, never half

    def job(self, spec: PdfSpec) -> Optional[Job]:
        """The job of ``spec`` as recorded (a PDF on disk is done, whatever the record says)."""
        if self.pdf_path(spec).is_file():
            return Job.of(spec, state=DONE, done=spec.pages,
                          bytes=self.pdf_path(spec).stat().st_size)
        job = self.read_job(self._record_path(spec))
        if job is not None and job.state == DONE:
            return None  # its PDF is gone (evicted, or removed by hand): it is built again
        return job

    @staticmethod
    def read_job(path: Path) -> Optional[Job]:
        try:
            return Job(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None

    def find(self, item: str, key: str) -> Optional[Path]:
        """The record of job ``key`` of ``item``, in whichever version folder it lives."""
        for path in self.root.glob(f"{item}@*/{key}.json"):
            return path
        return None

    # --- starting and waiting ----------------------------------------------------------------
    def ensure(self, spec: PdfSpec, make_pages: Callable[[], Sequence[PdfPage]],
               title: str) -> Job:
        """The job of ``spec``: done if its PDF is cached, else the build under way (here or
        in another process), else one started now in a thread of this process."""
        with self._running_lock:
            job = self.job(spec)
            if job is not None and job.state == DONE:
                return job
            thread = self._running.get(spec.key)
            if thread is not None and thread.is_alive():
                return job or Job.of(spec)
            if (job is not None and not job.finished
                    and time.time() - job.updated < STALE_SECONDS):
                return job  # another process builds it
            job = Job.of(spec)
            self._write(spec, job)
            thread = threading.Thread(target=self._build, args=(spec, make_pages, title),
                                      name=f"pdf-{spec.key}", daemon=True)
            self._running[spec.key] = thread
            thread.start()
            return job

    def wait(self, spec: PdfSpec, timeout: float) -> Optional[Job]:
        """The job once it is finished, or as it stands after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(spec)
            if job is None or job.finished or time.monotonic() >= deadline:
                return job
            time.sleep(POLL_SECONDS)

    # --- building ----------------------------------------------------------------------------
    def _build(self, spec: PdfSpec, make_pages: Callable[[], Sequence[PdfPage]],
               title: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            with open(self._lock_path(spec.item), "a+b") as lock:
                self._take(lock, spec)
                try:
                    self._build_locked(spec, make_pages, title)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        except Exception as exc:  # the status page must say it failed; the log keeps the trace
            log.exception("the PDF %s of %s failed", spec.key, spec.item)
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            self._write(spec, Job.of(spec, state=FAILED, error=message))
        finally:
            with self._running_lock:
                self._running.pop(spec.key, None)

    def _take(self, lock, spec: PdfSpec) -> None:
        """Wait for the item's lock (another of its PDFs may be building), keeping the record
        fresh meanwhile so that no other process takes this job for lost."""
        last = time.monotonic()
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                time.sleep(POLL_SECONDS)
            if time.monotonic() - last > HEARTBEAT_SECONDS * 10:
                self._write(spec, Job.of(spec))
                last = time.monotonic()

    def _build_locked(self, spec: PdfSpec, make_pages: Callable[[], Sequence[PdfPage]],
                      title: str) -> None:
        target = self.pdf_path(spec)
        if target.is_file():  # built by another process while this one waited for the lock
            return
        self._write(spec, Job.of(spec, state=BUILDING))
        pages = make_pages()
        last = [0.0]

        def progress(n: int) -> None:
            now = time.monotonic()
            if now - last[0] >= HEARTBEAT_SECONDS or n == len(pages):
                last[0] = now
                self._write(spec, Job.of(spec, state=BUILDING, done=n))

        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
        try:
            write_pdf(pages, tmp, title=title, progress=progress)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        self._write(spec, Job.of(spec, state=DONE, done=spec.pages,
                                 bytes=target.stat().st_size))
        self.prune(keep=target)

    # --- the cache bound ---------------------------------------------------------------------
    @staticmethod
    def touch(path: Path) -> None:
        """Mark a PDF as just used (the cache forgets the least recently used first)."""
        try:
            os.utime(path)
        except FileNotFoundError:
            pass  # pruned meanwhile: the caller has it open or will build it again

    def prune(self, keep: Optional[Path] = None) -> list[Path]:
        """Remove the least recently used PDFs (and their records) until the cache is within
        its bound; ``keep``, the one just built, stays."""
        entries = []
        for path in self.root.glob("*/*.pdf"):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue  # another process pruned it
            entries.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in entries)
        removed = []
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            if keep is not None and path == keep:
                continue
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
            total -= size
            removed.append(path)
        return removed
