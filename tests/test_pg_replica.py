"""Web nodes on a read replica (DESIGN.md: "PostgreSQL, one primary, read replicas"): a hot
standby of the primary, fed by streaming replication, serves the catalogue and search to a node
that ingests nothing; a writer pointed at it is refused with what to do instead."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.catalogue import open_catalog
from crashlib import build_batch
from ingest.pipeline import ingest_batch
from library.cli import cli
from library.errors import CatalogError
from library.settings import Settings
from pg_fixtures import free_port, start_postgres, stop_postgres
from viewer import create_app


@pytest.fixture
def primary_and_replica():
    primary = start_postgres()
    replica = None
    try:
        replica = primary.start_replica(Path(tempfile.mkdtemp(prefix="sudur-pg-replica-")),
                                        free_port())
        yield primary, replica
    finally:
        if replica is not None:
            stop_postgres(replica)
        stop_postgres(primary)


def _wait_for(settings: Settings, item: str, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while True:
        with open_catalog(settings) as cat:
            if item in cat.item_ids():
                return
        assert time.monotonic() < deadline, f"{item} did not reach the replica"
        time.sleep(0.2)


def test_a_node_on_a_read_replica_serves_and_refuses_to_write(tmp_path, primary_and_replica):
    primary, replica = primary_and_replica
    batch = build_batch(tmp_path / "batch", 2, pages=1, word="replicated")
    writer = Settings.load(tmp_path / "lib", catalog_url=primary.url())
    summary = ingest_batch(batch, writer, workers=1)
    assert summary.ok and len(summary.ingested) == 2, summary.failed
    # the reading node shares the library folder (the item versions) and reads the replica
    # (a deadline for a loaded test machine: the standby's first queries read cold pages)
    reader = Settings.load(tmp_path / "lib", catalog_url=replica.url(), search_deadline=30.0)
    _wait_for(reader, "crash-01")
    with open_catalog(reader) as cat:
        assert cat.standby and not cat.writable
        with pytest.raises(CatalogError, match="read replica") as info:
            cat.start_run("batch")
        assert "primary" in info.value.hint
    client = create_app({"SUDUR_SETTINGS": reader, "TESTING": True}).test_client()
    manifest = client.get("/iiif/crash-00/manifest")
    assert manifest.status_code == 200, manifest.data[:300]
    found = client.get("/api/search", query_string={"q": "replicated"}).get_json(force=True)
    assert {h["item"] for h in found["hits"]} == {"crash-00", "crash-01"}, found
    assert client.get("/iiif/discovery").status_code == 200
    env = {"SUDUR_CATALOG_URL": replica.url()}
    res = CliRunner(env=env).invoke(cli, ["--library", str(reader.library), "search",
                                          "replicated", "--json"])
    assert res.exit_code == 0 and "crash-01" in res.output, res.output
    # an ingest pointed at the replica says where writes go, and changes nothing
    more = build_batch(tmp_path / "more", 1, pages=1, prefix="extra")
    res = CliRunner(env=env).invoke(cli, ["--library", str(reader.library), "ingest",
                                          str(more)])
    assert res.exit_code != 0 and "read replica" in res.output + res.stderr, res.output
    with open_catalog(writer) as cat:
        assert "extra-00" not in cat.item_ids()
