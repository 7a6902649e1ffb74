"""A small per-process pool of PostgreSQL connections, so that a web request does not pay a
new connection (about 11 ms here, more across a network) for its catalogue and its search.

A connection is taken with ``acquire`` and handed back with ``release``; at most
``MAX_IDLE`` idle ones are kept per (URL, mode, purpose), the most recently used first. One
that sat idle longer than ``CHECK_AFTER`` seconds is checked with ``SELECT 1`` before it is
handed out, and one that fails is dropped for a new one: after a server restart a node's
first request does not fail on a dead connection. A connection that comes back broken, closed
or inside a transaction is closed, never reused.

After ``fork`` (gunicorn's workers, ingest's worker processes) the child must not use its
parent's connections: they share the parent's sockets, and closing one would send the server
the end of the parent's session. The child points each inherited socket's descriptor at
/dev/null (its own copy of the descriptor: the parent's is untouched), closes them there, and
starts empty. Idle connections are closed at exit.

The ingest lock never comes from here: its session is the lock (``db_postgres``).
"""
from __future__ import annotations

import atexit
import os
import threading
import time
from typing import Callable

MAX_IDLE = 4
CHECK_AFTER = 1.0  # seconds

_Key = tuple[str, bool, str]
_lock = threading.Lock()
_idle: dict[_Key, list[tuple[object, float]]] = {}
_keys: dict[int, _Key] = {}  # id(connection) -> its pool key, while it is handed out
_owner: dict[int, int] = {}  # id(connection) -> the pid that made it (kept across fork)
_pid = os.getpid()
stats = {"connects": 0, "reused": 0, "dropped": 0}


def _after_fork() -> None:
    global _pid
    if os.getpid() != _pid:
        _pid = os.getpid()
        inherited = [conn for conns in _idle.values() for conn, _ in conns]
        _idle.clear()
        _keys.clear()
        for conn in inherited:
            _disown(conn)


def _disown(conn) -> None:
    """Close a connection inherited through fork without ending the parent's session: the
    goodbye libpq sends on closing goes to /dev/null instead of the shared socket."""
    if conn.closed:
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, conn.fileno())
    finally:
        os.close(null)
    _close(conn)


def acquire(url: str, readonly: bool, purpose: str, connect: Callable[[], object]):
    """An open autocommit connection for ``url``: an idle one of this process, or a new one
    from ``connect()``."""
    key = (url, readonly, purpose)
    while True:
        with _lock:
            _after_fork()
            conns = _idle.get(key)
            conn, since = conns.pop() if conns else (None, 0.0)
        if conn is None:
            conn = connect()
            stats["connects"] += 1
            with _lock:
                _owner[id(conn)] = os.getpid()
            break
        if time.monotonic() - since <= CHECK_AFTER and not conn.closed:
            stats["reused"] += 1
            break
        if _alive(conn):
            stats["reused"] += 1
            break
        stats["dropped"] += 1
        _close(conn)
    with _lock:
        _keys[id(conn)] = key
    return conn


def release(conn) -> None:
    """Hand ``conn`` back: kept for the next request if it is healthy and idle, else closed.
    One made by the parent of this (forked) process is disowned, never closed on its socket."""
    with _lock:
        _after_fork()
        if _owner.get(id(conn), os.getpid()) != os.getpid():
            _owner.pop(id(conn), None)
            _disown(conn)
            return
        key = _keys.pop(id(conn), None)
        keep = (key is not None and not conn.closed and not getattr(conn, "broken", False)
                and _idle_state(conn) and len(_idle.get(key, ())) < MAX_IDLE)
        if keep:
            _idle.setdefault(key, []).append((conn, time.monotonic()))
    if not keep:
        _close(conn)


def clear() -> None:
    """Close every idle connection of this process (tests, and a node shutting down)."""
    with _lock:
        _after_fork()
        conns = [conn for entries in _idle.values() for conn, _ in entries]
        _idle.clear()
    for conn in conns:
        _close(conn)


atexit.register(clear)


def idle_count() -> int:
    with _lock:
        return sum(len(v) for v in _idle.values())


def _idle_state(conn) -> bool:
    from psycopg.pq import TransactionStatus
    return conn.info.transaction_status == TransactionStatus.IDLE


def _alive(conn) -> bool:
    import psycopg
    if conn.closed:
        return False
    try:
        conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def _close(conn) -> None:
    import psycopg
    _owner.pop(id(conn), None)
    try:
        conn.close()
    except psycopg.Error:
        pass  # already gone with its server: nothing is left to free
