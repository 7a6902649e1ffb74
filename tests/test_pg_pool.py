"""The PostgreSQL connections of a node (catalog/pg_pool.py) and what a node does when the
catalogue's schema or search rows are not what its code expects: requests reuse the process's
connections, a dead one is replaced, a forked child never touches its parent's, and a rolling
upgrade or a catalogue without search rows is a 503 that says what to do, never a 500."""
from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from catalog import migrations, pg_pool
from catalog.catalogue import open_catalog
from catalog.db_postgres import PostgresCatalog
from catalog.pg_search_write import TABLE
from cluster.postgres import restart
from library.cli import cli
from library.errors import CatalogVersionError
from library.settings import Settings
from pg_fixtures import new_pg_url, own_postgres, pg_server, pg_url  # noqa: F401
from viewer import create_app

PATHS = ("/iiif/discovery", "/api/search?q=x")  # the catalogue; the catalogue and search


@pytest.fixture
def node(tmp_path, pg_url):
    settings = Settings.load(tmp_path / "node", catalog_url=pg_url)
    open_catalog(settings).close()  # the schema and the search tables in place
    pg_pool.clear()
    return settings


def _client(settings: Settings):
    return create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()


def _requests(client, n: int) -> int:
    """Connections made by ``n`` rounds of PATHS (each answering 200)."""
    before = pg_pool.stats["connects"]
    for _ in range(n):
        for path in PATHS:
            resp = client.get(path)
            assert resp.status_code == 200, (path, resp.data[:300])
    return pg_pool.stats["connects"] - before


def test_requests_reuse_the_process_connections(node, monkeypatch):
    client = _client(node)
    # the catalogue's connection and the search's: two in all for forty requests
    assert _requests(client, 20) == 2
    assert pg_pool.idle_count() == 2
    # the same requests without keeping idle connections: a new one each
    pg_pool.clear()
    monkeypatch.setattr(pg_pool, "MAX_IDLE", 0)
    assert _requests(client, 20) == 40
    assert pg_pool.idle_count() == 0


def test_a_connection_the_server_ended_is_replaced_not_served(tmp_path, own_postgres,
                                                             monkeypatch):
    settings = Settings.load(tmp_path / "node", catalog_url=own_postgres.url())
    open_catalog(settings).close()
    client = _client(settings)
    assert _requests(client, 1) >= 0 and pg_pool.idle_count() >= 1
    restart(own_postgres.folder)  # every session ends, as in a failover
    monkeypatch.setattr(pg_pool, "CHECK_AFTER", 0.0)  # as if they had sat idle a while
    dropped = pg_pool.stats["dropped"]
    assert _requests(client, 1) >= 1  # answered with new connections, no 503
    assert pg_pool.stats["dropped"] > dropped
    pg_pool.clear()


def test_a_connection_coming_back_in_a_transaction_is_closed(node):
    cat = PostgresCatalog(node.catalog_url)
    conn = cat.conn
    conn.execute("BEGIN")
    cat.close()
    assert conn.closed and pg_pool.idle_count() == 0
    with PostgresCatalog(node.catalog_url) as again:
        assert again.conn is not conn and again.item_ids() == []
    assert pg_pool.idle_count() == 1


def test_a_forked_child_leaves_its_parent_connections_alone(node):
    with PostgresCatalog(node.catalog_url) as cat:
        parent_conn = cat.conn
        parent_pid = cat.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a catalogue of its own, on a session of its own
        code = 1
        try:
            with PostgresCatalog(node.catalog_url) as cat:
                mine = cat.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
                code = 0 if cat.conn is not parent_conn and mine != parent_pid else 3
            pg_pool.clear()
        finally:
            os.write(write, bytes([code]))
            os._exit(0)
    os.close(write)
    code = os.read(read, 1)
    os.close(read)
    os.waitpid(pid, 0)
    assert code == b"\x00"
    with PostgresCatalog(node.catalog_url) as cat:  # the parent's session is still good
        assert cat.conn is parent_conn
        assert cat.conn.execute("SELECT pg_backend_pid()").fetchone()[0] == parent_pid


def test_a_child_closing_an_inherited_catalogue_leaves_the_parent_session(node):
    """An ingest forks its workers while its catalogue is open: a child closing its copy must
    not end the parent's session (libpq's goodbye would go down the shared socket)."""
    cat = PostgresCatalog(node.catalog_url)
    backend = cat.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    pid = os.fork()
    if pid == 0:
        try:
            cat.close()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert cat.conn.execute("SELECT pg_backend_pid()").fetchone()[0] == backend
    assert cat.item_ids() == []
    cat.close()


def _set_schema(url: str, version: int, readers: int) -> None:
    import psycopg
    with psycopg.connect(url, autocommit=True) as conn:
        for key, value in (("schema_version", version), ("readers_from", readers)):
            conn.execute("UPDATE meta SET value = %s WHERE key = %s", (str(value), key))


def test_a_rolling_upgrade_that_only_adds_leaves_old_nodes_serving(node):
    client = _client(node)
    _requests(client, 1)
    _set_schema(node.catalog_url, migrations.LATEST + 1, migrations.LATEST)
    assert _requests(client, 2) == 0  # still served, on the same connections
    for path in ("/", "/search?q=x", "/iiif/collection/top"):
        assert client.get(path).status_code == 200, path
    # ... but this node's Sudur writes nothing into the newer catalogue
    env = {"SUDUR_CATALOG_URL": node.catalog_url}
    res = CliRunner().invoke(cli, ["--library", str(node.library), "reindex"], env=env)
    assert res.exit_code == 2 and "does not write it" in res.stderr, res.output
    with pytest.raises(CatalogVersionError):
        with PostgresCatalog(node.catalog_url) as cat:
            cat.start_run("batch")


def test_a_schema_old_nodes_cannot_read_is_503_with_retry_after(node):
    client = _client(node)
    _requests(client, 1)
    newer = migrations.LATEST + 1
    _set_schema(node.catalog_url, newer, newer)
    for path in ("/", "/iiif/discovery", "/api/search?q=x"):
        resp = client.get(path)
        assert resp.status_code == 503, path
        assert int(resp.headers["Retry-After"]) >= 1, path
    body = client.get("/api/search?q=x").get_json(force=True)
    assert "cannot read" in str(body) and "upgrade" in str(body)
    env = {"SUDUR_CATALOG_URL": node.catalog_url}
    res = CliRunner().invoke(cli, ["--library", str(node.library), "search", "x"], env=env)
    assert res.exit_code == 2 and "upgrade Sudur on this node" in res.stderr, res.output
    _set_schema(node.catalog_url, migrations.LATEST, 1)  # the node's version again
    assert _requests(client, 1) >= 0


def test_a_catalogue_without_search_rows_says_to_reindex(tmp_path, pg_url):
    from catalog import pg_search
    settings = Settings.load(tmp_path / "node", catalog_url=pg_url)
    open_catalog(settings).close()
    with PostgresCatalog(pg_url) as cat:
        cat.conn.execute(f"DROP TABLE {TABLE} CASCADE")
    pg_search._READY.discard(pg_url)
    resp = _client(settings).get("/api/search?q=x")
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    assert "sudur reindex" in str(resp.get_json(force=True))
    env = {"SUDUR_CATALOG_URL": pg_url}
    res = CliRunner().invoke(cli, ["--library", str(settings.library), "search", "x"], env=env)
    assert res.exit_code == 2 and "run `sudur reindex`" in res.stderr, res.output


def test_search_rows_of_an_earlier_format_say_to_reindex_until_reindexed(
        tmp_path, new_pg_url):  # noqa: F811
    url = new_pg_url()
    settings = Settings.load(tmp_path / "node", catalog_url=url)
    open_catalog(settings).close()
    with PostgresCatalog(url) as cat:  # rows as an earlier Sudur wrote them
        cat.conn.execute(f"ALTER TABLE {TABLE} DROP COLUMN pairs")
        cat.conn.execute(f"COMMENT ON TABLE {TABLE} IS NULL")
    client = _client(settings)
    resp = client.get("/api/search?q=x")
    assert resp.status_code == 503 and int(resp.headers["Retry-After"]) >= 1
    assert "sudur reindex" in str(resp.get_json(force=True))
    assert client.get("/search?q=x").status_code == 503
    env = {"SUDUR_CATALOG_URL": url}
    res = CliRunner().invoke(cli, ["--library", str(settings.library), "search", "x"], env=env)
    assert res.exit_code == 2 and "run `sudur reindex`" in res.stderr, res.output
    res = CliRunner().invoke(cli, ["--library", str(settings.library), "reindex"], env=env)
    assert res.exit_code == 0, res.output
    assert client.get("/api/search?q=x").status_code == 200
