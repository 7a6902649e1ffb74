"""A throwaway PostgreSQL on 127.0.0.1 for tests, benchmarks and trying the PostgreSQL catalogue.

    python cluster/postgres.py start DIR PORT [DB]   # prints the catalog_url to use
    python cluster/postgres.py stop DIR

It is Debian's ``postgresql-15`` (``/usr/lib/postgresql/15/bin``, or ``pg_ctl`` on PATH):
``initdb`` into DIR/data with trust authentication for local connections (a test cluster,
never a production one), listening on 127.0.0.1:PORT only, its socket in DIR, fsync off (the
data is thrown away), and the database DB (default ``sudur``) created. PostgreSQL refuses to
run as root, so when run as root the cluster belongs to the ``postgres`` user and every server
command runs as that user (``runuser``). Starting takes a few seconds; more than
``START_TIMEOUT`` is an error.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

START_TIMEOUT = 30.0
SUPERUSER = "postgres"
_BIN_DIRS = ("/usr/lib/postgresql/15/bin",)


class PostgresError(RuntimeError):
    """PostgreSQL could not be found, set up, started or reached."""


def find_bin(name: str) -> str:
    for folder in _BIN_DIRS:
        path = Path(folder) / name
        if path.is_file():
            return str(path)
    found = shutil.which(name)
    if found:
        return found
    raise PostgresError(f"{name} not found: install Debian's postgresql-15 "
                        "(apt-get install postgresql-15 postgresql-15-rum)")


def _as_owner(cmd: list[str]) -> list[str]:
    """The command as the cluster's owner: ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return cmd
    if not shutil.which("runuser"):
        raise PostgresError("running as root, and runuser (util-linux) is missing to run "
                            "PostgreSQL as the postgres user")
    return ["runuser", "-u", SUPERUSER, "--", *cmd]


def _run(cmd: list[str], what: str, timeout: float = START_TIMEOUT) -> str:
    try:
        done = subprocess.run(_as_owner(cmd), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise PostgresError(f"{what} took more than {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise PostgresError(f"{what} failed ({done.returncode}): "
                            f"{(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout


@dataclass
class Postgres:
    folder: Path
    port: int
    db: str = "sudur"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, db: Optional[str] = None) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{db or self.db}"

    def start(self) -> "Postgres":
        t0 = time.monotonic()
        self._own_folder()
        if not (self.data / "PG_VERSION").is_file():
            _run([find_bin("initdb"), "-D", str(self.data), "-U", SUPERUSER, "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], "initdb")
        self._launch()
        self.create_db(self.db)
        if time.monotonic() - t0 > START_TIMEOUT:
            raise PostgresError(f"PostgreSQL took {time.monotonic() - t0:.0f} s to start")
        return self

    def start_replica(self, folder: Path, port: int) -> "Postgres":
        """A hot standby of this (running) cluster in ``folder`` on ``port``: a base backup
        streamed from it (``pg_basebackup -R``), then started; it follows by streaming
        replication and answers reads only, as a production read replica does."""
        replica = Postgres(Path(folder), port, self.db)
        replica._own_folder()
        _run([find_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
              SUPERUSER, "-D", str(replica.data), "-R", "-X", "stream", "-c", "fast", "--no-sync"],
             "pg_basebackup")
        replica._launch()
        return replica

    def _own_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # the server's user must own its folders
            shutil.chown(self.folder, SUPERUSER, SUPERUSER)

    def _launch(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
                   # fsync off: the data is thrown away, and the OS never loses what the
                   # server wrote; commits stay synchronous so a stop (even immediate) or a
                   # restart in a test keeps every committed row, as a real server does
                   "-c fsync=off -c full_page_writes=off "
                   "-c max_connections=200")
        _run([find_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"),
              "-o", options, "-w", "-t", str(int(START_TIMEOUT)), "start"], "pg_ctl start")

    def create_db(self, name: str) -> str:
        """Create database ``name`` if missing; its URL."""
        import psycopg
        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s",
                                (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        stop(self.folder)


def stop(folder: Path) -> None:
    """Stop the cluster in ``folder`` (immediate: its data is thrown away)."""
    data = Path(folder) / "data"
    if (data / "postmaster.pid").is_file():
        _run([find_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
             "pg_ctl stop")


def restart(folder: Path) -> None:
    """Restart the cluster in ``folder`` (fast: sessions are ended, as in a failover)."""
    # the log file as on starting: a server writing to our pipe would keep it open for ever
    _run([find_bin("pg_ctl"), "-D", str(Path(folder) / "data"), "-l", str(Path(folder) / "log"),
          "-m", "fast", "-w", "restart"], "pg_ctl restart")


def main(argv: Optional[list[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) >= 3 and args[0] == "start":
        pg = Postgres(Path(args[1]).resolve(), int(args[2]), *(args[3:4]))
        pg.start()
        print(f"SUDUR_CATALOG_URL={pg.url()}")
        return 0
    if len(args) == 2 and args[0] == "stop":
        stop(Path(args[1]).resolve())
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
