"""The library on disk: paths, the ingest lock, and atomic item versions.

Layout::

    LIBRARY/catalog.sqlite           authoritative catalogue (catalog/db.py)
    LIBRARY/index/                   Whoosh index, derived
    LIBRARY/items/<item>@<version>/  one complete, immutable version of an item:
        source/                      TEI and masters as delivered (source_dir)
        derived/<order:04d>/         one page's tile pyramid and thumbnail (page_derived_dir)
        derived/manifest.*.json      the cached manifest (manifest_cache_path)
    LIBRARY/items/<item>             symlink to the current version, for people browsing the disk
    LIBRARY/staging/                 versions being written; never read by the server
    LIBRARY/cache/iiif/<item>@<version>/      Image API results built on demand
    LIBRARY/cache/pyramids/<item>@<version>/  pyramids cut for versions ingested without one
    LIBRARY/cache/store/<item>@<version>/     objects of an S3 store read by this node (bounded)

An item version is written in ``staging/``, fsynced and renamed into ``items/`` before the
catalogue row that names it is committed. Readers go through the catalogue, so they see the old
version or the new one, never a mix; a crash leaves only unreferenced folders, which
``Store.collect_garbage`` removes.

Beyond one machine the item versions live in an object store instead (``library.storage``:
``store_url = s3://…``): ``items/<item>@<version>/`` is then a key prefix there, uploaded from
staging before the catalogue commit, and this folder holds only the node's own state (staging,
caches, the lock, and for now the catalogue and index). ``Store.objects`` is the store of item
versions, the library folder itself by default; ``library.storage.open_store`` builds a Store
from the settings.
"""
from __future__ import annotations

import errno
import hashlib
import fcntl
import os
import re
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Optional

from .errors import LibraryLockedError, PathEscapeError
from .processes import Holder, LockInfo
from .storage.base import ObjectStore, version_key, version_name
from .storage.local import LocalObjects, fsync_dir, fsync_tree

__all__ = ["Store", "item_of_version", "source_dir", "derived_dir", "page_derived_dir",
           "manifest_cache_path", "file_digest", "resolve_inside", "fsync_tree", "fsync_dir"]


_GENERATION = re.compile(r"^index\.[0-9a-f]{12}$")
_TEMP_TOC = re.compile(r"^_.+_\d+\.toc\.[\d.]+$")


class Store:
    def __init__(self, root: str | os.PathLike, objects: Optional[ObjectStore] = None) -> None:
        self.root = Path(root)
        self.objects: ObjectStore = objects if objects is not None else LocalObjects(self.root)

    @property
    def is_local(self) -> bool:
        """True when item versions are folders of this library (the one-machine default)."""
        return self.objects.is_local

    # --- paths ---------------------------------------------------------------------------
    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog.sqlite"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def items_dir(self) -> Path:
        return self.root / "items"

    @property
    def staging_dir(self) -> Path:
        return self.root / "staging"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def iiif_cache_dir(self) -> Path:
        """Image API results the viewer builds (viewer.image_cache bounds its size)."""
        return self.cache_dir / "iiif"

    @property
    def pyramid_cache_dir(self) -> Path:
        """Pyramids cut on first request for versions written without one."""
        return self.cache_dir / "pyramids"

    @property
    def store_cache_dir(self) -> Path:
        """Objects of a remote store this node has read (viewer.image_cache bounds its size)."""
        return self.cache_dir / "store"

    def cached_pyramid_dir(self, version_path: str, order: int) -> Path:
        """Where the viewer cuts the missing pyramid of one page of an item version."""
        return _page_dir(self.pyramid_cache_dir / Path(version_path).name, order)

    def version_dir(self, version_path: str) -> Path:
        """The folder of an item version, from the relative path the catalogue stores."""
        return resolve_inside(self.root, version_path)

    def ensure(self) -> None:
        for d in (self.root, self.items_dir, self.staging_dir, self.cache_dir):
            d.mkdir(parents=True, exist_ok=True)

    # --- locking -------------------------------------------------------------------------
    @contextmanager
    def ingest_lock(self, wait: bool = False) -> Iterator[LockInfo]:
        """Only one writer at a time; a second one is refused, naming the holder's pid.

        The holder's pid and start time are written into the lock file and cleared on release;
        a record found on acquiring means its process died holding the lock (the kernel freed
        the flock): ``LockInfo.took_over`` then says so. Processes forked meanwhile do not keep
        the lock (``_forget_locks_in_child``): a killed ingest's workers cannot hold it.
        """
        self.ensure()
        fd = os.open(self.root / ".ingest.lock", os.O_RDWR | os.O_CREAT, 0o644)
        held = False
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    raise LibraryLockedError(self._locked_message(fd)) from exc
                raise
            held = True
            Store._held_lock_fds.add(fd)
            if not Store._fork_hook:
                os.register_at_fork(after_in_child=Store._forget_locks_in_child)
                Store._fork_hook = True
            previous = Holder.parse(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
            info = LockInfo()
            if previous is not None and previous.pid != os.getpid() and not previous.running():
                info.took_over = (f"took over the ingest lock of process {previous.pid}, which "
                                  f"is gone (it {previous.started_on()} and died holding it)")
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, Holder.current().dumps().encode("utf-8"), 0)
            except OSError:
                pass  # a full disk: the lock holds all the same, only unrecorded
            yield info
        finally:
            if held:
                Store._held_lock_fds.discard(fd)
                try:
                    os.ftruncate(fd, 0)  # released normally: nothing to take over
                except OSError:
                    pass  # the record stays; the next holder finds this process gone
            os.close(fd)

    # --- versions ------------------------------------------------------------------------
    def new_staging(self, item_id: str) -> Path:
        self.ensure()
        path = self.staging_dir / f"{item_id}@{uuid.uuid4().hex[:12]}"
        path.mkdir()
        return path

    def publish(self, staged: Path) -> str:
        """Put a completely written staging folder into the store (renamed into ``items/``, or
        uploaded and then removed from staging); return its catalogue path."""
        version_path = self.objects.publish(staged)
        if not self.is_local:
            shutil.rmtree(staged, ignore_errors=True)
        return version_path

    def has_version(self, version_path: str) -> bool:
        return self.objects.has_version(version_path)

    def delete_version(self, version_path: str) -> None:
        """Remove an item version from the store (a replaced or unreferenced one)."""
        self.objects.delete_version(version_path)

    def point_symlink(self, item_id: str, version_path: str) -> None:
        if not self.is_local:
            return  # the links are for people browsing a library folder that holds the items
        link = self.items_dir / item_id
        tmp = self.items_dir / f".{item_id}.{uuid.uuid4().hex[:8]}.lnk"
        os.symlink(Path(version_path).name, tmp)
        os.replace(tmp, link)

    def remove_symlink(self, item_id: str) -> None:
        link = self.items_dir / item_id
        if link.is_symlink():
            link.unlink()

    def collect_garbage(self, live_versions: Iterable[str],
                        withdrawn: Iterable[str] = ()) -> list[str]:
        """Delete staging leftovers and item versions the catalogue does not reference, in the
        library folder and in the object store (``withdrawn``: see ``remote_orphans``)."""
        live = {version_name(v) for v in live_versions}
        removed = self.clear_staging()
        if not self.is_local:
            for name in self.remote_orphans(live, withdrawn):
                self.objects.delete_version(version_key(name))
                removed.append(f"{self.objects.describe()}/{version_key(name)}")
        if self.items_dir.is_dir():
            for p in self.items_dir.iterdir():
                if p.is_symlink() or p.name.startswith("."):
                    if p.name.startswith(".") or not p.exists():
                        p.unlink()
                        removed.append(str(p))
                    continue
                if "@" in p.name and p.name not in live:
                    shutil.rmtree(p)
                    removed.append(str(p))
        # Image API results and cut pyramids of versions that are gone
        for folder in (self.iiif_cache_dir, self.pyramid_cache_dir, self.store_cache_dir):
            if folder.is_dir():
                for p in folder.iterdir():
                    if p.name not in live:
                        # a server pruning its image cache may remove files meanwhile
                        shutil.rmtree(p, onerror=_gone_is_fine) if p.is_dir() \
                            else p.unlink(missing_ok=True)
                        removed.append(str(p))
        removed += self._index_leftovers()
        return removed

    def remote_orphans(self, live: set[str], withdrawn: Iterable[str] = ()) -> list[str]:
        """Versions in the object store that garbage collection may remove: unreferenced ones
        of the items the catalogue lists or has withdrawn (``withdrawn``: ids it keeps a
        tombstone of). A store may be shared (several libraries under one prefix by mistake, or
        a catalogue restored from an old backup), so a version of an item this catalogue has
        never heard of is left alone: ``sudur verify`` reports it."""
        items = {item_of_version(n) for n in live} | set(withdrawn)
        return [n for n in self.objects.versions()
                if n not in live and item_of_version(n) in items]

    def clear_staging(self) -> list[str]:
        """Delete what is in staging: work of an ingest or repair that did not finish (callers
        hold the ingest lock)."""
        removed = []
        if self.staging_dir.is_dir():
            for p in self.staging_dir.iterdir():
                shutil.rmtree(p, ignore_errors=False) if p.is_dir() else p.unlink()
                removed.append(str(p))
        return removed

    def _index_leftovers(self) -> list[str]:
        """What an interrupted index write leaves: a rebuild's half-made ``index.new`` (or the
        ``index.old`` it had just set aside, which goes back if ``index`` is missing), and the
        temporary table of contents a killed commit left (``_<name>_<gen>.toc.<time>``); the
        index's own next commit removes unreferenced segments."""
        removed: list[str] = []
        new, old = self.index_dir.with_name("index.new"), self.index_dir.with_name("index.old")
        if old.is_dir():
            if self.index_dir.exists():
                shutil.rmtree(old)
                removed.append(str(old))
            else:
                os.rename(old, self.index_dir)
        if new.is_dir():
            shutil.rmtree(new)
            removed.append(str(new))
        current = self.index_dir.resolve() if self.index_dir.is_symlink() else None
        for p in self.root.glob(self.index_dir.name + ".*"):
            # index generations the ``index`` link does not name (a rebuild killed after
            # finishing its folder, or the one a rebuild replaced)
            if p.is_dir() and _GENERATION.match(p.name) and p != current:
                shutil.rmtree(p)
                removed.append(str(p))
        for p in self.root.glob("." + self.index_dir.name + ".*.lnk"):
            p.unlink()
            removed.append(str(p))
        if self.index_dir.is_dir():
            for p in self.index_dir.iterdir():
                if _TEMP_TOC.match(p.name):
                    p.unlink()
                    removed.append(str(p))
        return removed

    # --- the ingest lock's record and forked children ---------------------------------------
    _held_lock_fds: set[int] = set()
    _fork_hook = False

    @staticmethod
    def _forget_locks_in_child() -> None:
        """In a forked child: close its copies of the lock descriptors, so the lock is the
        parent's alone and dies with it (flock belongs to the open file, shared by forks)."""
        for fd in Store._held_lock_fds:
            try:
                os.close(fd)
            except OSError:
                pass  # already closed in this child
        Store._held_lock_fds.clear()

    def _locked_message(self, fd: int) -> str:
        holder = Holder.parse(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        if holder is None:
            return f"the library {self.root} is being written by another process"
        if holder.running():
            return (f"the library {self.root} is being written by another process: "
                    f"{holder.describe()}")
        return (f"the library {self.root} is being written by another process: the lock "
                f"is still held by processes left behind by {holder.describe()}, which is "
                f"gone; end them (`fuser -v {self.root / '.ingest.lock'}` names them)")


# --- inside an item version ----------------------------------------------------------------------

def source_dir(version_dir: Path) -> Path:
    """The TEI, masters and OCR of an item version, as delivered."""
    return Path(version_dir) / "source"


def derived_dir(version_dir: Path) -> Path:
    """Everything an item version's source is turned into (pyramids, the cached manifest)."""
    return Path(version_dir) / "derived"


def page_derived_dir(version_dir: Path, order: int) -> Path:
    """The tile pyramid of page ``order`` of an item version (library.imaging's layout inside)."""
    return _page_dir(derived_dir(version_dir), order)


def manifest_cache_path(version_dir: Path, name: str) -> Path:
    """The cached manifest file ``name`` of an item version (the viewer chooses the name)."""
    return derived_dir(version_dir) / name


def item_of_version(name: str) -> str:
    """The item id of a version name ``<item>@<version>``."""
    return name.rsplit("@", 1)[0]


def _page_dir(folder: Path, order: int) -> Path:
    return folder / f"{order:04d}"


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """The hex digest of a file, read in 1 MiB chunks (fixity, bags, source hashes)."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def resolve_inside(base: Path, rel: str) -> Path:
    """Resolve ``rel`` under ``base``, refusing absolute paths, URLs, ``..`` and symlinks out."""
    if not rel or "\x00" in rel:
        raise PathEscapeError(f"empty or invalid path {rel!r}")
    if "://" in rel or rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":"):
        raise PathEscapeError(f"{rel!r} is not a relative path inside the item folder")
    base_r = base.resolve()
    target = (base / rel).resolve()
    if target != base_r and base_r not in target.parents:
        raise PathEscapeError(f"{rel!r} points outside {base}")
    return target


def _gone_is_fine(func, path: str, exc_info) -> None:
    """``shutil.rmtree`` error handler: a file already removed by someone else is no error."""
    if not issubclass(exc_info[0], FileNotFoundError):
        raise exc_info[1]
