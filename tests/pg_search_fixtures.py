"""PostgreSQL for the search tests: ``pg_url`` is a database of its own (created empty, dropped
after the module), on the session's server from ``pg_fixtures`` (``SUDUR_TEST_PG_URL`` when
set, else a throwaway cluster that fixture starts). The search backend creates the ``rum``
extension in it (Debian ``postgresql-15-rum``, installed by .ci/run); without PostgreSQL the
tests fail saying why, never a silent skip.

Import the fixtures into a test module with
``from pg_search_fixtures import pg_server, pg_url  # noqa: F401``.
"""
from __future__ import annotations

import uuid
from typing import Iterator

import pytest

from pg_fixtures import Server, _create_database, _drop_database, pg_server  # noqa: F401

__all__ = ["pg_server", "pg_url"]


@pytest.fixture(scope="module")
def pg_url(pg_server: Server) -> Iterator[str]:  # noqa: F811  (pg_server is a fixture)
    name = f"sudur_search_{uuid.uuid4().hex[:12]}"
    _create_database(pg_server.url, name)
    try:
        yield pg_server.database_url(name)
    finally:
        _drop_database(pg_server.url, name)
