"""The object store interface: where item versions (masters, derivatives, TEI, OCR) live.

Keys are ``/``-separated paths relative to the store's root, always under an immutable item
version prefix ``items/<item>@<version>/`` (the catalogue's ``version_path``), for example
``items/jangar-ms-1@3f2a9c01b7de/derived/0001/tiles/1/0_0.jpg``. A version is written once, by
``publish`` from a completely staged local folder, before the catalogue commit that names it;
there is no call that changes an object of a published version (repairs put back the very bytes
the catalogue's fixity records). Readers therefore cache objects by key for as long as they like.

Two implementations: ``library.storage.local`` (the library folder, the default) and
``library.storage.s3`` (any S3-compatible store, boto3, imported only when configured).
Whatever a backend's client raises, callers see only:

- ``FileNotFoundError`` for a key that is not there;
- ``library.errors.StoreUnavailableError`` (503) when the store cannot be reached;
- ``library.errors.LibraryError`` when it refuses (credentials, bucket missing).
"""
from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from pathlib import Path, PurePosixPath
from typing import Iterator, Optional

from ..errors import PathEscapeError

VERSIONS = "items"  # every version lives under items/<item>@<version>/
CHUNK = 1 << 20


def version_name(version_path: str) -> str:
    """``<item>@<version>`` of a catalogue version path ``items/<item>@<version>``."""
    return PurePosixPath(version_path).name


def version_key(name: str) -> str:
    """The key prefix (no trailing slash) of the version ``<item>@<version>``."""
    return f"{VERSIONS}/{name}"


def object_key(version_path: str, rel: str) -> str:
    """The key of ``rel`` (``source/0001.tif``) inside a version, refusing any path that
    would leave it (``..``, absolute, empty parts)."""
    parts = PurePosixPath(rel).parts
    if not parts or rel.startswith("/") or "//" in rel or any(p in (".", "..") for p in parts) \
            or "\\" in rel or "\x00" in rel:
        raise PathEscapeError(f"{rel!r} is not a path inside an item version")
    return f"{version_key(version_name(version_path))}/{rel}"


class ObjectStore(ABC):
    """One store of item versions. Implementations are safe to share between threads."""

    #: True when objects are files of the library folder (``local_path`` then names them)
    is_local: bool = False

    @abstractmethod
    def describe(self) -> str:
        """Where the store is, for messages (a folder or an s3:// URL)."""

    def ensure(self) -> None:
        """Make the store usable for writing (create the folder or check the bucket)."""

    def local_path(self, key: str) -> Optional[Path]:
        """The file holding ``key`` when the store is the local folder, else None."""
        return None

    # --- reading ----------------------------------------------------------------------------
    @abstractmethod
    def read(self, key: str) -> bytes:
        """The whole object (FileNotFoundError if absent)."""

    @abstractmethod
    def chunks(self, key: str, size: int = CHUNK) -> Iterator[bytes]:
        """The object as a stream of chunks (FileNotFoundError if absent)."""

    @abstractmethod
    def size(self, key: str) -> Optional[int]:
        """The object's size in bytes, or None if it is not there."""

    def fetch(self, key: str, dest: Path) -> None:
        """Copy the object to the local file ``dest`` (written whole or not at all)."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part")
        try:
            with open(tmp, "wb") as f:
                for chunk in self.chunks(key):
                    f.write(chunk)
            tmp.replace(dest)
        finally:
            tmp.unlink(missing_ok=True)

    def digest(self, key: str, algorithm: str = "sha256") -> str:
        """The hex digest of the object, streamed."""
        h = hashlib.new(algorithm)
        for chunk in self.chunks(key):
            h.update(chunk)
        return h.hexdigest()

    @abstractmethod
    def listing(self, prefix: str) -> dict[str, int]:
        """Every object under ``prefix`` (a folder-like key, no trailing slash): key -> size."""

    # --- versions ---------------------------------------------------------------------------
    @abstractmethod
    def versions(self) -> list[str]:
        """The names ``<item>@<version>`` of every version present in the store."""

    @abstractmethod
    def has_version(self, version_path: str) -> bool:
        """True if the version has objects in the store."""

    @abstractmethod
    def publish(self, staged: Path) -> str:
        """Write the completely staged version folder ``staged`` (named ``<item>@<version>``)
        into the store and return its version path; refuses a name already present (versions
        are immutable). On failure nothing of it is left readable under that name, or what is
        left is unreferenced and ``delete_version`` / garbage collection removes it."""

    @abstractmethod
    def delete_version(self, version_path: str) -> None:
        """Remove every object of a version (absent is fine)."""

    @abstractmethod
    def put_file(self, key: str, path: Path) -> None:
        """Write one object from a local file (repairs restoring recorded bytes only)."""
