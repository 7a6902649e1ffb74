"""Where item versions live: the object store interface (``base``) and its backends, the
library folder (``local``, the default) and S3 (``s3``, imported only when ``store_url`` names
one). ``open_store`` is the one way code that reads or writes item versions gets a
``library.store.Store`` for its settings; code that only needs the node's own files (the
catalogue path, the index, the lock) may keep using ``Store(settings.library)``.
"""
from __future__ import annotations

import os
import threading

from ..errors import LibraryError
from .base import ObjectStore, object_key, version_key, version_name
from .local import LocalObjects

__all__ = ["ObjectStore", "LocalObjects", "object_key", "version_key", "version_name",
           "open_objects", "open_store"]

_clients: dict[tuple, ObjectStore] = {}
_lock = threading.Lock()


def open_objects(settings) -> ObjectStore:
    """The object store the settings name (one client per process and configuration: boto3
    clients are thread-safe but must not cross a fork)."""
    url = settings.store_url.strip()
    if not url:
        return LocalObjects(settings.library)
    if not url.startswith("s3://"):
        raise LibraryError(f"store_url {url!r} is not understood",
                           hint="leave it empty (the library folder) or use s3://BUCKET/PREFIX")
    key = (os.getpid(), url, settings.s3_endpoint_url)
    with _lock:
        store = _clients.get(key)
        if store is None:
            try:
                from .s3 import S3Objects
            except ImportError as exc:
                raise LibraryError(f"store_url is {url} but boto3 is not installed: {exc}",
                                   hint="pip install -e '.[cluster]'") from exc
            store = _clients[key] = S3Objects(url, settings.s3_endpoint_url)
    return store


def open_store(settings):
    """The node's ``Store`` (library folder) with the item versions of ``settings``' store."""
    from ..store import Store

    return Store(settings.library, objects=open_objects(settings))
