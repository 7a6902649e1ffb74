"""PostgreSQL for the search tests: ``pg_url`` is a database of its own (created empty, with the
``rum`` extension, dropped afterwards) on the server that ``SUDUR_TEST_PG_URL`` names.

Without that variable the tests that use it fail with the reason (never a silent skip): set it
to a PostgreSQL 15 server with the ``rum`` extension (Debian ``postgresql-15-rum``), e.g.
``postgresql://postgres@127.0.0.1:55432/postgres``. Import the fixtures into a test module with
``from pg_search_fixtures import pg_url  # noqa: F401``.
"""
from __future__ import annotations

import os
import uuid
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

ENV_URL = "SUDUR_TEST_PG_URL"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    server = os.environ.get(ENV_URL, "")
    if not server:
        pytest.fail(f"{ENV_URL} is not set: the PostgreSQL search tests need a PostgreSQL 15 "
                    f"server with the rum extension (postgresql://USER@HOST:PORT/DB)")
    import psycopg

    name = f"sudur_search_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
