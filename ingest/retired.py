"""Item versions an ingest replaced, removed a moment after the commit that replaced them.

The single writer (ingest/pipeline.py) hands each replaced version here; readers that resolved it
an instant before the commit still find its files until the grace has passed.
"""
from __future__ import annotations

import logging
import time

from library.errors import SudurError
from library.store import Store

log = logging.getLogger(__name__)


class Retired:
    """Replaced item versions, removed ``grace`` seconds after the commit that replaced them.

    A request that resolved the old version an instant before the commit still finds its files;
    ``drain`` (at the end of a run) waits out the last grace and removes the rest, so a finished
    run leaves nothing behind, and a killed one leaves folders the next run collects.
    """

    def __init__(self, store: Store, grace: float = 1.0) -> None:
        self.store = store
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
            remove_version(self.store, v)

    def drain(self) -> None:
        if self.pending:
            time.sleep(max(0.0, max(t for t, _ in self.pending) - time.monotonic()))
        self.sweep()


def remove_version(store: Store, version_path: str) -> None:
    """Remove an unreferenced version; if the store cannot be reached now, garbage collection
    (the next run's ``recover``, or ``sudur verify --repair``) removes it later."""
    try:
        store.delete_version(version_path)
    except (OSError, SudurError) as exc:
        message = exc.message if isinstance(exc, SudurError) else str(exc)
        log.warning("%s stays until garbage collection: %s", version_path, message)
