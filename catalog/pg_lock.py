"""The PostgreSQL catalogue's one-writer lock: a session-level advisory lock on a connection of
its own (never from ``catalog.pg_pool``: the session is the lock). The server frees it when
that session ends, however the holder ended (killed, crashed, its machine gone). A publication
checks, before it commits, that this process still holds its locks (``check_locks_held``): a
writer whose lock went with a server restart stops publishing.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from library.errors import CatalogUnavailableError, LibraryLockedError
from library.processes import LockInfo

from .db_postgres import _psycopg, _translate, connect, redacted

# the key of the session advisory lock held by the one writer ("Sudu"); one catalogue is one
# database, so one key serves every library
INGEST_LOCK = 0x5375_6475

# the connections holding this process's ingest locks: a publication checks them before it
# commits, so a writer whose lock went with a server restart stops publishing
_HELD: list = []


@contextmanager
def advisory_ingest_lock(url: str, wait: bool = False) -> Iterator[LockInfo]:
    """Hold the catalogue's one-writer lock for the block (LibraryLockedError if another
    process holds it and ``wait`` is false). The server frees it when this session ends."""
    conn = connect(url, purpose="ingest")
    try:
        try:
            if wait:
                conn.execute("SELECT pg_advisory_lock(%s)", (INGEST_LOCK,))
            elif not conn.execute("SELECT pg_try_advisory_lock(%s)",
                                  (INGEST_LOCK,)).fetchone()[0]:
                raise LibraryLockedError(_locked_message(conn, url))
        except _psycopg().Error as exc:
            raise _translate(exc) from exc
        _HELD.append(conn)
        yield LockInfo()
    finally:
        if conn in _HELD:
            _HELD.remove(conn)
        _release(conn)


def check_locks_held() -> None:
    """Raise CatalogUnavailableError if a lock this process took was lost with its session
    (the server restarted): another writer may hold it now, so nothing more is published."""
    for conn in _HELD:
        try:
            conn.execute("SELECT 1")
        except _psycopg().Error as exc:
            raise CatalogUnavailableError(
                "the ingest lock was lost with its session (the PostgreSQL server restarted?):"
                " nothing more is published by this run; run it again") from exc


def _release(conn) -> None:
    """Unlock, then close. Released here, not left to the server: it ends a closed session a
    moment later, and the next writer (often this same program) must find the lock free."""
    try:
        if not conn.closed:
            conn.execute("SELECT pg_advisory_unlock(%s)", (INGEST_LOCK,))
    except _psycopg().OperationalError:
        pass  # the session is gone (a restart): the server freed the lock with it
    finally:
        conn.close()


def _locked_message(conn, url: str) -> str:
    holders = conn.execute(
        "SELECT a.application_name, host(a.client_addr), a.pid FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
        "AND l.granted AND l.classid = 0 AND l.objid::bigint = %s", (INGEST_LOCK,)).fetchall()
    who = "; ".join(f"{name or 'a client'} from {addr or 'a local socket'} (server pid {pid})"
                    for name, addr, pid in holders) or "another session"
    return (f"the catalogue {redacted(url)} is being written by {who}: the lock is freed when "
            "that session ends (pg_terminate_backend(PID) ends it at once)")

