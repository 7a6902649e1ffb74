"""The size-bounded disk cache of Image API results the viewer builds (``LIBRARY/cache/iiif``).

Every entry can be rebuilt from its item's pyramid, so losing one costs a render, never a wrong
answer; what must not happen is the cache growing until the disk is full, since a public server
receives arbitrary region/size/rotation/quality combinations.

Accounting: the running total lives in ``cache/iiif.size``, shared by every worker process and
changed under an flock. A process learns the true size by one scan of the tree the first time it
writes, then adds each file it writes. When a write takes the total past the limit, the least
recently used files are removed until the cache is at ``PRUNE_TO`` of the limit; the prune scans
the tree, so it also corrects any drift (folders removed by ``Store.collect_garbage``, a worker
killed between a write and its count). Sizes are charged in whole 4 KiB blocks, which is what a
small file really takes on disk.

"Recently used" is the file's mtime, which this module sets itself: on writing, and on a hit
(``os.utime`` on the open file, at most once a minute per file). Access times are not used:
relatime and noatime mounts, the norm on Linux servers, do not record reads reliably.

Concurrency (several gunicorn workers, each with threads): one prune at a time across processes
(a non-blocking flock on ``cache/iiif.prune``; a worker that finds it held leaves the job to its
holder). A file removed under a reader is a miss, and the reader renders again; a file already
open is read to its end (POSIX keeps the data of an unlinked file until it is closed). Files are
written under a temporary dot-name and renamed into place, so no reader sees half a file; a prune
never removes a temporary file unless it is an hour old (a killed worker's leftover). A folder a
prune empties is removed; a writer whose folder vanished that way makes it again.

The counter and lock files sit beside ``cache/iiif``, not in it, because ``collect_garbage``
removes whatever in ``cache/iiif`` is not a live item version.

``ObjectCache`` applies the same bounded cache to the objects of a remote store (S3) that this
node reads: ``LIBRARY/cache/store/<item>@<version>/<path in the version>``, bounded by
``Settings.store_cache_max_mb``. Item versions are immutable, so an entry is never stale; a
pruned one is fetched again.
"""
from __future__ import annotations

import errno
import fcntl
import logging
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable, Iterator, Optional

from library.storage import ObjectStore, object_key, version_name

log = logging.getLogger(__name__)

MB = 1 << 20
BLOCK = 4096
PRUNE_TO = 0.8  # a prune leaves this fraction of the limit, so the next one is 20 % of writes away
TOUCH_AFTER = 60.0  # seconds: a hit refreshes an entry's time at most this often
STALE_TEMP = 3600.0  # seconds: a temporary file this old belongs to a writer that died

_UTIME_FD = os.utime in os.supports_fd


def footprint(nbytes: int) -> int:
    """What a file of ``nbytes`` is charged: whole 4 KiB blocks, at least one."""
    return max(1, -(-nbytes // BLOCK)) * BLOCK


@dataclass
class PruneStats:
    scanned: int  # files seen
    removed: int  # files removed
    before: int  # bytes charged before the prune
    after: int  # bytes charged after it
    seconds: float


class ImageCache:
    """A cache folder of rendered images bounded to ``max_bytes`` (0: nothing is kept)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max(0, int(max_bytes))
        self.counter_path = self.root.with_name(self.root.name + ".size")
        self.prune_lock_path = self.root.with_name(self.root.name + ".prune")
        self._scanned = False

    # --- reading and writing --------------------------------------------------------------

    def get(self, path: Path) -> Optional[bytes]:
        """The bytes of a cached entry, or None if it is not there (or was just pruned)."""
        if self.max_bytes == 0:
            return None
        try:
            with open(path, "rb") as f:
                data = f.read()
                self._touch(f.fileno(), path)
        except FileNotFoundError:
            return None
        return data

    def put(self, path: Path, data: bytes) -> bool:
        """Keep ``data`` at ``path`` (atomically), pruning if the cache passes its limit.
        False if it was not written: a limit of 0, or the disk refused it (the caller still has
        the bytes to send, so a full or read-only disk costs a render per request, not an
        error)."""
        try:
            self._first_use()  # with a limit of 0, removes what a larger limit left behind
            if self.max_bytes == 0:
                return False
            self._write(path, data)
            if self._add(footprint(len(data))) > self.max_bytes:
                self.prune()
        except OSError as exc:
            log.warning("image cache: %s not kept: %s", path.name, exc)
            return False
        return True

    def _write(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        try:
            for attempt in (1, 2):
                path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    tmp.write_bytes(data)
                    break
                except FileNotFoundError:
                    if attempt == 2:  # a prune emptied and removed the folder, twice running
                        raise
            os.replace(tmp, path)
        except OSError:
            _unlink(tmp)  # half a file (a full disk) is not left behind
            raise

    def _touch(self, fd: int, path: Path) -> None:
        try:
            if time.time() - os.fstat(fd).st_mtime > TOUCH_AFTER:
                os.utime(fd if _UTIME_FD else path)
        except FileNotFoundError:
            pass  # pruned between the read and the touch (only without utime on a descriptor)
        except OSError as exc:  # not our file, a read-only disk: the entry still serves
            log.debug("image cache: cannot refresh %s: %s", path.name, exc)

    # --- the running total ----------------------------------------------------------------

    def total(self) -> int:
        """The running total (bytes charged), scanning the tree if this process has not yet."""
        self._first_use()
        with self._counter() as fd:
            return _read_counter(fd)

    def _first_use(self) -> None:
        if self._scanned:
            return
        self._scanned = True
        size = sum(s for _, s, _ in self._scan())
        with self._counter() as fd:
            _write_counter(fd, size)
        if size > self.max_bytes:
            self.prune()

    def _add(self, nbytes: int) -> int:
        with self._counter() as fd:
            total = _read_counter(fd) + nbytes
            _write_counter(fd, total)
        return total

    @contextmanager
    def _counter(self) -> Iterator[int]:
        self.counter_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.counter_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    # --- pruning --------------------------------------------------------------------------

    def prune(self) -> Optional[PruneStats]:
        """Remove the least recently used files until the cache is at ``PRUNE_TO`` of its limit,
        and set the running total to what is left. None if another worker is pruning."""
        self.prune_lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = os.open(self.prune_lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            return self._prune_locked()
        finally:
            os.close(lock)

    def _prune_locked(self) -> PruneStats:
        start = time.perf_counter()
        with self._counter() as fd:
            counted_before = _read_counter(fd)
        entries = self._scan()
        total = sum(s for _, s, _ in entries)
        target = int(self.max_bytes * PRUNE_TO)
        left, removed, folders = total, 0, set()
        if total > target:
            entries.sort(key=lambda e: e[0])
            for _, size, path in entries:
                if left <= target:
                    break
                _unlink(path)  # already gone (a prune elsewhere, collect_garbage): as good
                left -= size
                removed += 1
                folders.add(os.path.dirname(path))
        root = str(self.root)
        for folder in sorted(folders, reverse=True):
            while folder.startswith(root + os.sep):  # <2 hex>, then <item>@<version>
                if not _rmdir_if_empty(folder):
                    break
                folder = os.path.dirname(folder)
        with self._counter() as fd:
            # writes counted while the tree was being scanned are added back
            _write_counter(fd, left + max(0, _read_counter(fd) - counted_before))
        stats = PruneStats(scanned=len(entries), removed=removed, before=total, after=left,
                           seconds=time.perf_counter() - start)
        if removed:
            log.info("image cache: removed %d of %d files, %d -> %d MB in %.2f s", removed,
                     len(entries), total // MB, left // MB, stats.seconds)
        return stats

    def _scan(self) -> list[tuple[float, int, str]]:
        """(mtime, bytes charged, path) of every entry; temporary files of dead writers go."""
        entries: list[tuple[float, int, str]] = []
        now = time.time()
        stack = [str(self.root)]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as it:
                    listing = list(it)
            except FileNotFoundError:  # removed by a prune or collect_garbage meanwhile
                continue
            for entry in listing:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                        continue
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if entry.name.startswith("."):
                    if now - st.st_mtime > STALE_TEMP:
                        _unlink(entry.path)
                    continue  # a write in progress
                entries.append((st.st_mtime, footprint(st.st_size), entry.path))
        return entries


class ObjectCache:
    """The objects of a remote store read through a bounded folder of this node."""

    FETCHES = 16  # objects fetched at once when a render needs a page's files

    def __init__(self, objects: ObjectStore, root: Path, max_bytes: int) -> None:
        self.objects = objects
        self.files = ImageCache(root, max_bytes)

    @property
    def root(self) -> Path:
        return self.files.root

    def version_dir(self, version_path: str) -> Path:
        """The folder mirroring what this node holds of one item version."""
        return self.root / version_name(version_path)

    def read(self, version_path: str, rel: str) -> bytes:
        """The object ``rel`` of a version, from this node's disk or else the store
        (FileNotFoundError if the store does not have it)."""
        path = self.version_dir(version_path) / rel
        data = self.files.get(path)
        if data is None:
            data = self.objects.read(object_key(version_path, rel))
            self.files.put(path, data)
        return data

    def materialise(self, version_path: str, rels: Iterable[str],
                    into: Optional[Path] = None) -> Path:
        """Make every object ``rel`` a file under the returned folder: the cache's mirror of the
        version, or ``into`` (a caller's temporary folder when the cache cannot keep them)."""
        kept = into is None
        base = self.version_dir(version_path) if kept else into
        missing = [r for r in rels if not (kept and (base / r).is_file())]

        def fill(rel: str) -> None:
            key = object_key(version_path, rel)
            if kept:
                self.files.put(base / rel, self.objects.read(key))
            else:
                self.objects.fetch(key, base / rel)

        if missing:
            with ThreadPoolExecutor(max_workers=min(self.FETCHES, len(missing))) as pool:
                list(pool.map(fill, missing))
        return base


def _read_counter(fd: int) -> int:
    raw = os.pread(fd, 32, 0).strip()
    try:
        return int(raw) if raw else 0
    except ValueError:  # a garbled counter is corrected by the next prune's scan
        log.warning("image cache: counter %r unreadable, taken as 0", raw)
        return 0


def _write_counter(fd: int, value: int) -> None:
    data = str(max(0, value)).encode()
    os.pwrite(fd, data, 0)
    os.ftruncate(fd, len(data))


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _rmdir_if_empty(folder: str) -> bool:
    """Remove an empty folder; True if it is gone (removed here or by someone else)."""
    try:
        os.rmdir(folder)
    except FileNotFoundError:
        return True
    except OSError as exc:  # not empty: others remain, or a writer has just put a file there
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        return False
    return True
