"""One page's derivatives (tile pyramid, whole-image sizes, thumbnail): the unit of ingest work.

``derive_page`` is the task every executor (ingest/executors.py) runs, in this process, in a
local worker process or on a Dask worker on another machine. It takes one ``PageJob`` (plain
values: paths, settings, and for a remote worker the master's bytes) and returns one
``PageResult`` (plain values: the files written with their sizes and SHA-256, the image's size,
warnings, or an error naming the page's file). It never touches the catalogue, the index or a
published version: publishing stays one writer, the ingest process.

Where the files go:

- a worker that shares the ingest's disk (this process, local processes) writes straight into
  the version's staging folder (``PageJob.out_dir``);
- a remote worker (Dask) gets the master's bytes in the job, cuts the derivatives in a private
  temporary folder and returns their bytes in the result; the ingest process then writes them
  into staging (``write_outputs``, which checks each file against the digest the worker
  computed). So a Dask worker needs neither the library folder nor the store's credentials,
  and with an S3 store the version is still uploaded whole, by the one writer, before the
  catalogue commit: nothing a worker does is ever visible to readers.

Relies on ``library.imaging.make_derivatives`` (decode once, write the pyramid); it is looked up
on the module at call time, so one implementation serves every executor.
"""
from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Optional

from library import imaging
from library.errors import SudurError
from library.store import file_digest

__all__ = ["PageJob", "DerivedFile", "PageResult", "derive_page", "write_outputs",
           "failed_result"]


@dataclass(frozen=True)
class PageJob:
    """What one page's derivatives need: where its master is, where they go, the settings."""

    item_id: str
    order: int
    name: str  # the master as the item names it (``images/0003.tif``): in every message
    master: str  # the staged copy of the master (a local path of the ingest's machine)
    out_dir: str  # the page's folder in the version's staging (``derived/0003``)
    tile_size: int = 512
    thumb_width: int = 200
    max_master_pixels: int = 250_000_000
    expected_size: Optional[tuple[int, int]] = None  # width, height the header announced
    # a worker that cannot read ``master`` gets its bytes here and returns its outputs' bytes
    master_data: Optional[bytes] = field(default=None, repr=False, compare=False)

    @property
    def remote(self) -> bool:
        return self.master_data is not None


@dataclass
class DerivedFile:
    """One file written for the page: its path inside the page's folder, size and SHA-256."""

    rel: str
    size: int
    sha256: str
    data: Optional[bytes] = field(default=None, repr=False)  # from a remote worker only


@dataclass
class PageResult:
    """What building one page's derivatives produced, or why it could not."""

    item_id: str
    order: int
    name: str
    width: int = 0
    height: int = 0
    files: list[DerivedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""  # empty when the page is done
    error_code: str = ""
    worker: str = ""  # host:pid of the process that ran the task
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error


def _where() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def failed_result(job: PageJob, message: str, code: str, worker: str = "") -> PageResult:
    """A result saying the page failed (for executors reporting a lost task)."""
    return PageResult(job.item_id, job.order, job.name, error=message, error_code=code,
                      worker=worker)


def derive_page(job: PageJob) -> PageResult:
    """Cut one page's derivatives. Never raises for a bad page: the result carries the error,
    naming the page's file, and the item fails alone."""
    t0 = time.perf_counter()
    try:
        result = _derive(job)
    except SudurError as exc:
        result = failed_result(job, f"{job.name}: {exc.message}", type(exc).__name__)
    except OSError as exc:
        result = failed_result(job, f"{job.name}: cannot write the derivatives: {exc}",
                               "os-error")
    except (ValueError, TypeError, MemoryError, RuntimeError, EOFError, KeyError,
            IndexError, SyntaxError) as exc:
        # a decoder failing on input nobody foresaw: still this page's (and item's) problem
        result = failed_result(job, f"{job.name}: unexpected {type(exc).__name__} while "
                               f"cutting the derivatives: {exc} (please report this)",
                               "internal")
    result.worker = _where()
    result.seconds = time.perf_counter() - t0
    return result


def _derive(job: PageJob) -> PageResult:
    imaging.configure(job.max_master_pixels)
    if not job.remote:
        out = Path(job.out_dir)
        derivs = imaging.make_derivatives(Path(job.master), out, tile_size=job.tile_size,
                                          thumb_width=job.thumb_width)
        files = [DerivedFile(rel, p.stat().st_size, file_digest(p))
                 for rel, p in _files_of(out)]
        return _result(job, derivs, files)
    with tempfile.TemporaryDirectory(prefix="sudur-derive-") as tmp:
        # the same base name as the staged master: the decoder's messages and format checks
        master = Path(tmp) / "master" / PurePosixPath(job.name).name
        master.parent.mkdir()
        master.write_bytes(job.master_data or b"")
        out = Path(tmp) / "derived"
        derivs = imaging.make_derivatives(master, out, tile_size=job.tile_size,
                                          thumb_width=job.thumb_width)
        files = []
        for rel, p in _files_of(out):
            data = p.read_bytes()
            files.append(DerivedFile(rel, len(data), hashlib.sha256(data).hexdigest(), data))
    return _result(job, derivs, files)


def _files_of(out: Path) -> list[tuple[str, Path]]:
    # in path order, as the fixity records list them
    return [(p.relative_to(out).as_posix(), p) for p in sorted(out.rglob("*")) if p.is_file()]


def _result(job: PageJob, derivs, files: list[DerivedFile]) -> PageResult:
    warnings = []
    if job.expected_size and job.expected_size != (derivs.width, derivs.height):
        w, h = job.expected_size
        warnings.append(f"{job.name}: decoded as {derivs.width}×{derivs.height}, although "
                        f"its header says {w}×{h}")
    return PageResult(job.item_id, job.order, job.name, derivs.width, derivs.height, files,
                      warnings)


def write_outputs(result: PageResult, out_dir: Path) -> None:
    """Write a remote worker's files into the page's staging folder, each checked against the
    digest the worker computed (a transfer that changed a byte fails the page), then drop the
    bytes from the result."""
    for f in result.files:
        if f.data is None:
            continue
        if hashlib.sha256(f.data).hexdigest() != f.sha256 or len(f.data) != f.size:
            raise OSError(f"{result.name}: derivative {f.rel} arrived damaged from "
                          f"{result.worker}")
        parts = PurePosixPath(f.rel).parts
        if not parts or f.rel.startswith("/") or any(p in (".", "..") for p in parts):
            raise OSError(f"{result.name}: derivative path {f.rel!r} leaves the page folder")
        dst = out_dir.joinpath(*parts)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(f.data)
        f.data = None
