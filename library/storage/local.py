"""The default object store: item versions as folders of the library, ``LIBRARY/items/``.

A version is published by fsyncing its staging folder and renaming it into ``items/`` (one
atomic rename on the same file system), exactly as before the store had an interface; keys are
file paths relative to the library folder, so ``local_path`` lets the viewer read tiles (or
nginx send them) straight from disk.
"""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Iterator, Optional

from ..errors import LibraryError, PathEscapeError
from .base import CHUNK, VERSIONS, ObjectStore, version_name


class LocalObjects(ObjectStore):
    is_local = True

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    @property
    def items_dir(self) -> Path:
        return self.root / VERSIONS

    def describe(self) -> str:
        return str(self.root)

    def ensure(self) -> None:
        self.items_dir.mkdir(parents=True, exist_ok=True)

    def local_path(self, key: str) -> Path:
        if not key or key.startswith("/") or ".." in key.split("/") or "\x00" in key:
            raise PathEscapeError(f"{key!r} is not a key of the store")
        return self.root / key

    # --- reading ----------------------------------------------------------------------------
    def read(self, key: str) -> bytes:
        return self.local_path(key).read_bytes()

    def chunks(self, key: str, size: int = CHUNK) -> Iterator[bytes]:
        with open(self.local_path(key), "rb") as f:
            yield from iter(lambda: f.read(size), b"")

    def size(self, key: str) -> Optional[int]:
        try:
            st = self.local_path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return st.st_size if stat.S_ISREG(st.st_mode) else None

    def listing(self, prefix: str) -> dict[str, int]:
        base = self.local_path(prefix)
        out: dict[str, int] = {}
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                path = os.path.join(dirpath, name)
                out[Path(path).relative_to(self.root).as_posix()] = os.stat(path).st_size
        return out

    # --- versions ---------------------------------------------------------------------------
    def versions(self) -> list[str]:
        if not self.items_dir.is_dir():
            return []
        return sorted(p.name for p in self.items_dir.iterdir()
                      if "@" in p.name and not p.name.startswith(".") and not p.is_symlink())

    def has_version(self, version_path: str) -> bool:
        return (self.items_dir / version_name(version_path)).is_dir()

    def publish(self, staged: Path) -> str:
        fsync_tree(staged)
        target = self.items_dir / staged.name
        if target.exists():
            raise LibraryError(f"the item version {staged.name} is already in the store")
        os.rename(staged, target)
        fsync_dir(self.items_dir)
        return f"{VERSIONS}/{staged.name}"

    def delete_version(self, version_path: str) -> None:
        shutil.rmtree(self.items_dir / version_name(version_path), ignore_errors=True)

    def put_file(self, key: str, path: Path) -> None:
        dest = self.local_path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part")
        shutil.copyfile(path, tmp)
        os.replace(tmp, dest)


def fsync_tree(path: Path) -> None:
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
