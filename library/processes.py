"""Processes: who holds the ingest lock, whether that process still runs, and worker processes
that die with the process that started them.

It relies on Linux's /proc (a process's start time, to tell a running process from a later one
that reuses its pid) and prctl(PR_SET_PDEATHSIG) through ctypes; elsewhere it falls back to
``os.kill(pid, 0)`` and a thread watching ``os.getppid()``.
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import Optional

_PR_SET_PDEATHSIG = 1


@dataclass
class LockInfo:
    """What acquiring the ingest lock found: a message if it took over a dead holder's lock."""

    took_over: Optional[str] = None


@dataclass
class Holder:
    """A process holding a lock, as recorded in the lock file."""

    pid: int
    start: Optional[int]  # start time in clock ticks since boot (/proc/<pid>/stat), if known
    started: float  # Unix time, for people
    host: str

    @classmethod
    def current(cls) -> "Holder":
        pid = os.getpid()
        return cls(pid, start_ticks(pid), time.time(), socket.gethostname())

    @classmethod
    def parse(cls, text: str) -> Optional["Holder"]:
        """The holder recorded in ``text``; None for an empty or unreadable record."""
        try:
            d = json.loads(text)
            return cls(int(d["pid"]), d.get("start"), float(d.get("started", 0)),
                       str(d.get("host", "")))
        except (ValueError, KeyError, TypeError):
            return None

    def dumps(self) -> str:
        return json.dumps({"pid": self.pid, "start": self.start, "started": self.started,
                           "host": self.host}) + "\n"

    def running(self) -> bool:
        """Whether this process still runs. A holder on another host is taken to run: it
        cannot be looked at from here."""
        if self.host and self.host != socket.gethostname():
            return True
        if self.start is not None and os.path.exists("/proc/self/stat"):
            return start_ticks(self.pid) == self.start
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def started_on(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.started))
        return f"started {when} on {self.host or 'this host'}"

    def describe(self) -> str:
        return f"process {self.pid} ({self.started_on()})"


def start_ticks(pid: int) -> Optional[int]:
    """When process ``pid`` started (clock ticks since boot); None if it is not running (a
    zombie has ended too) or /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def die_with_parent(parent_pid: int) -> None:
    """Run in a worker process (a pool's initializer): end it when ``parent_pid``, the process
    that started it, dies, even by SIGKILL, so no worker goes on writing into the library after
    its ingest is gone."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent_pid:  # the parent died before prctl took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass  # no prctl here: the watching thread below does it
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True,
                     name="die-with-parent").start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(1)
