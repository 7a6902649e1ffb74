"""The PostgreSQL catalogue in use: the sample ingested and served from it, the index rebuilt
from it on a node, its advisory ingest lock, and what happens when the server is away."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.catalogue import ingest_lock, open_catalog
from catalog.consistency import check_library, repair
from catalog.db_postgres import PostgresCatalog
from cluster.postgres import restart
from crashlib import build_batch
from ingest.pipeline import ingest_batch
from library.cli import cli
from library.errors import CatalogUnavailableError, LibraryLockedError
from library.settings import Settings
from library.store import Store
from pg_fixtures import free_port, new_pg_url, own_postgres, pg_server, pg_url  # noqa: F401
from viewer import create_app

ROOT = Path(__file__).resolve().parents[1]


def _cli(settings: Settings, *args: str):
    env = {"SUDUR_CATALOG_URL": settings.catalog_url}
    return CliRunner().invoke(cli, ["--library", str(settings.library), *args], env=env)


def test_the_sample_is_ingested_into_postgres_and_served(tmp_path, sample_batch, pg_url):
    # two items of the sample will do: the end-to-end test ingests all of it into PostgreSQL
    for item_id in ("geser-ms-1", "zh-archive-1"):
        shutil.copytree(sample_batch / item_id, tmp_path / "batch" / item_id)
    settings = Settings.load(tmp_path / "node", catalog_url=pg_url)
    summary = ingest_batch(tmp_path / "batch", settings, workers=2)
    assert summary.ok and summary.ingested, summary.failed
    # the node holds no catalogue of its own: every node reads the one in PostgreSQL
    assert not (settings.library / "catalog.sqlite").exists()
    with open_catalog(settings) as cat:
        item = cat.get_item(cat.item_ids()[0])
    word = next(w for p in item.pages for w in p.text.split() if len(w) > 2)
    client = create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()
    manifest = client.get(f"/iiif/{item.id}/manifest")
    assert manifest.status_code == 200
    assert len(manifest.get_json(force=True)["items"]) == len(item.pages)
    page = item.pages[0]
    info = client.get(f"/iiif/3/{page.image_id}/info.json")
    assert info.status_code == 200 and info.get_json(force=True)["width"] == page.width
    tile = client.get(f"/iiif/3/{page.image_id}/0,0,256,256/256,/0/default.jpg")
    assert tile.status_code == 200 and tile.data[:2] == b"\xff\xd8"
    hits = client.get("/api/search", query_string={"q": word}).get_json(force=True)
    assert hits["total"] >= 1 and item.id in {h["item"] for h in hits["hits"]}
    # every search of the site reads the PostgreSQL rows: the results page, the reader's
    # in-item search, IIIF Content Search and its autocomplete
    page_html = client.get("/search", query_string={"q": word})
    assert page_html.status_code == 200 and f"/items/{item.id}" in page_html.get_data(True)
    inside = client.get(f"/api/items/{item.id}/search", query_string={"q": word})
    assert inside.status_code == 200 and inside.get_json(force=True), inside.data[:300]
    content = client.get(f"/iiif/{item.id}/search", query_string={"q": word})
    assert content.status_code == 200 and content.get_json(force=True)["items"]
    auto = client.get(f"/iiif/{item.id}/autocomplete", query_string={"q": word[:2]})
    assert auto.status_code == 200 and auto.get_json(force=True)["items"], auto.data[:300]

    # the search rows live in PostgreSQL beside the catalogue: the node holds no index
    assert not Store(settings.library).index_dir.exists()
    res = _cli(settings, "search", word, "--json")
    assert res.exit_code == 0 and item.id in res.output, res.output
    # a second node with an empty folder searches the same rows, with nothing to rebuild
    node_b = Settings.load(tmp_path / "node-b", catalog_url=pg_url)
    res = _cli(node_b, "search", word, "--json")
    assert res.exit_code == 0 and item.id in res.output, res.output
    # an item removed from the catalogue leaves search in the same commit
    with PostgresCatalog(pg_url) as cat:
        cat.delete_item(item.id)
    res = _cli(node_b, "search", word, "--json")
    assert res.exit_code == 0 and item.id not in res.output, res.output
    # `sudur reindex` rebuilds the rows from the catalogue: lost rows come back
    with PostgresCatalog(pg_url) as cat:
        left = cat.item_ids()
        cat.conn.execute("DELETE FROM search_docs")
    res = _cli(node_b, "search", word, "--json")
    assert res.exit_code == 0 and '"total": 0' in res.output, res.output
    res = _cli(node_b, "reindex")
    assert res.exit_code == 0 and "indexed" in res.output, res.output
    assert not Store(node_b.library).index_dir.exists()
    with PostgresCatalog(pg_url) as cat:
        rows = {r[0] for r in cat.conn.execute("SELECT DISTINCT item FROM search_docs")}
    assert rows == set(left) and left
    # the consistency check compares the rows with the catalogue, and repair rebuilds them
    store = Store(settings.library)
    with PostgresCatalog(pg_url) as cat:
        assert not [f for f in check_library(store, cat) if f.kind == "index"]
        cat.conn.execute("DELETE FROM search_docs WHERE item = %s", (left[0],))
        found = [f for f in check_library(store, cat) if f.kind == "index"]
        assert [(f.item_id, f.problem) for f in found] == [
            (left[0], f"the index holds 0 of its {cat.page_count(left[0])} pages and not its "
             "record")]
        done = repair(store, cat, found, tile_size=256, thumb_width=200)
        assert done and "search rows" in done[-1]
        assert not [f for f in check_library(store, cat) if f.kind == "index"]


def test_a_second_writer_is_refused_and_a_killed_holder_frees_the_lock(tmp_path, pg_url):
    settings = Settings.load(tmp_path / "lib", catalog_url=pg_url)
    store = Store(settings.library)
    open_catalog(settings).close()  # a catalogue to write into
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from catalog.pg_lock import advisory_ingest_lock\n"
         "with advisory_ingest_lock(sys.argv[1]):\n"
         "    print('held', flush=True)\n"
         "    time.sleep(120)\n", pg_url],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LibraryLockedError, match=f"sudur ingest .* pid {holder.pid}"):
            with ingest_lock(settings, store):
                pass
        res = _cli(settings, "reindex")  # a writer of the CLI is refused as well
        assert res.exit_code == 2 and "being written by" in res.output
    finally:
        holder.kill()  # SIGKILL: no chance to release anything itself
        holder.wait()
        holder.stdout.close()
    deadline = time.monotonic() + 10
    while True:  # the server ends the killed process's session and frees its lock
        try:
            with ingest_lock(settings, store) as lock:
                assert lock.took_over is None
            break
        except LibraryLockedError:
            assert time.monotonic() < deadline, "the killed holder's lock was never freed"
            time.sleep(0.1)


def test_an_unreachable_catalogue_is_503_and_a_cli_message(tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/sudur"
    settings = Settings.load(tmp_path / "lib", catalog_url=url)
    with pytest.raises(CatalogUnavailableError, match="cannot reach the PostgreSQL catalogue"):
        open_catalog(settings)
    client = create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()
    for path in ("/iiif/jangar-ms-1/manifest", "/", "/api/search?q=x", "/iiif/discovery"):
        resp = client.get(path)
        assert resp.status_code == 503, path
        assert int(resp.headers["Retry-After"]) > 0 and "no-store" in resp.headers.get(
            "Cache-Control", ""), path
    res = _cli(settings, "search", "x")
    assert res.exit_code == 75, res.output
    assert "PostgreSQL server is unreachable" in res.output + res.stderr


def test_the_site_resumes_when_postgres_is_back(tmp_path, own_postgres):
    settings = Settings.load(tmp_path / "lib", catalog_url=own_postgres.url())
    open_catalog(settings).close()  # the schema in place
    client = create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()
    first = client.get("/iiif/discovery")
    assert first.status_code == 200, first.data
    own_postgres.stop()
    resp = client.get("/iiif/discovery")
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    own_postgres.start()
    back = client.get("/iiif/discovery")
    assert back.status_code == 200, back.data


def test_a_restart_during_ingest_fails_that_item_and_a_rerun_resumes(tmp_path, own_postgres,
                                                                    monkeypatch):
    batch = build_batch(tmp_path / "batch", 3, pages=1)
    settings = Settings.load(tmp_path / "lib", catalog_url=own_postgres.url())
    real_put = PostgresCatalog.put_item

    def put_item(self, item, **kw):
        if item.id == "crash-01":
            restart(own_postgres.folder)  # every session ends, as in a failover
        return real_put(self, item, **kw)
    monkeypatch.setattr(PostgresCatalog, "put_item", put_item)
    summary = ingest_batch(batch, settings)
    assert summary.ingested == ["crash-00"] and list(summary.failed) == ["crash-01", "crash-02"]
    assert "unreachable" in str(summary.failed["crash-01"][0])
    # the next item connects again, but the run's ingest lock went with the restart: another
    # writer may hold it now, so this run publishes nothing more
    assert "ingest lock was lost" in str(summary.failed["crash-02"][0])
    with open_catalog(settings) as cat:
        assert cat.item_ids() == ["crash-00"]
        live = {Path(v).name for v in cat.live_versions()}
    # nothing of the failed item is published, in the catalogue or in the folder
    on_disk = {p.name for p in Store(settings.library).items_dir.iterdir() if not p.is_symlink()}
    assert on_disk == live

    monkeypatch.setattr(PostgresCatalog, "put_item", real_put)
    again = ingest_batch(batch, settings)
    assert again.ingested == ["crash-01", "crash-02"] and again.skipped == ["crash-00"]
    with open_catalog(settings) as cat:
        assert cat.item_ids() == ["crash-00", "crash-01", "crash-02"]
        assert cat.unindexed() == []
    assert os.listdir(Store(settings.library).staging_dir) == []


def test_search_rows_follow_put_item_put_work_and_delete_item(pg_url):
    """The rows are written by the catalogue's own commits: an item is found once put, its
    volume facet follows its work, and it is gone once deleted."""
    from catalog.pg_search import PgSearcher
    from catalog.search import SearchRequest, search
    from library.models import Volume, Work
    from test_search import _item

    def hits(**facets) -> set[str]:
        with PgSearcher(pg_url, create=False) as s:
            r = search(s, SearchRequest("zebra", page_size=10, time_budget=10.0, **facets))
        return {h.item_id for h in r.hits}

    with PostgresCatalog(pg_url) as cat:
        cat.put_item(_item("vol-a", ["a zebra here", "none"]), version_path="items/vol-a@1",
                     source_hash="h", fixity=[])
        cat.put_item(_item("other", ["zebra too"]), version_path="items/other@1",
                     source_hash="h", fixity=[])
        assert hits() == {"vol-a", "other"}
        assert hits(filters={"work": "w1"}) == set()
        cat.put_work(Work(id="w1", titles={"en": "W"}, volumes=[Volume("vol-a", "ka")]))
        assert hits(filters={"work": "w1"}) == {"vol-a"}
        cat.delete_item("vol-a")
        assert hits() == {"other"}
