"""PostgreSQL for the catalogue tests: one server per session, and a fresh database per test.

``pg_server`` uses a server that is already running when ``SUDUR_TEST_PG_URL`` names one (a
URL whose user may create databases); otherwise it starts a throwaway cluster itself
(cluster/postgres.py) on a free loopback port and stops it at the end. When PostgreSQL is
missing or does not start, the tests FAIL saying why: CI installs it (.ci/run), so a silent
skip would hide a backend that is never tested.

``own_postgres`` starts a cluster for one test alone, for tests that stop or restart it.

Import the fixtures a test module uses: ``from pg_fixtures import pg_server, pg_url``.
"""
from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # cluster/ is a folder of scripts beside the packages
    sys.path.insert(0, str(ROOT))

from cluster.postgres import Postgres, PostgresError  # noqa: E402

ENV_URL = "SUDUR_TEST_PG_URL"


@dataclass
class Server:
    url: str  # of a database on it that the test user can connect to
    cluster: Optional[Postgres]  # None: started by someone else, never stopped here

    def database_url(self, name: str) -> str:
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_postgres() -> Postgres:
    """A throwaway cluster, or a test failure saying why there is none. Its folder is made
    outside pytest's temporary folders: those are closed to the ``postgres`` user."""
    folder = Path(tempfile.mkdtemp(prefix="sudur-pg-"))
    try:
        return Postgres(folder, free_port()).start()
    except (PostgresError, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start for the catalogue tests: {exc} (install "
                    f"postgresql-15, or set {ENV_URL} to a running server)", pytrace=False)


def stop_postgres(pg: Postgres) -> None:
    try:
        pg.stop()
    finally:
        shutil.rmtree(pg.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    given = os.environ.get(ENV_URL)
    if given:
        yield Server(given, None)
        return
    pg = start_postgres()
    try:
        yield Server(pg.url(), pg)
    finally:
        stop_postgres(pg)


def _create_database(server_url: str, name: str) -> None:
    import psycopg
    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(server_url: str, name: str) -> None:
    import psycopg
    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def new_pg_url(pg_server: Server) -> Iterator[Callable[[], str]]:
    """Make empty databases on the session's server: each call, the URL of a new one."""
    made: list[str] = []

    def make() -> str:
        name = f"sudur_test_{uuid.uuid4().hex[:12]}"
        _create_database(pg_server.url, name)
        made.append(name)
        return pg_server.database_url(name)
    yield make
    from catalog import pg_pool
    pg_pool.clear()  # this process's idle connections to them, before they go
    for name in made:
        _drop_database(pg_server.url, name)


@pytest.fixture
def pg_url(new_pg_url: Callable[[], str]) -> str:
    """The catalog_url of an empty database of its own for this test."""
    return new_pg_url()


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    """A cluster of this test's own, which it may stop and restart."""
    pg = start_postgres()
    try:
        yield pg
    finally:
        stop_postgres(pg)
