"""The sample ingested into an S3 store (SeaweedFS) and served from it: info.json, tiles, a
rendered region, the manifest, search and verify, with no master image on the node's disk; a
lost upload fails its item alone; the store going away is a 503 with Retry-After, and
service resumes when it is back."""
from __future__ import annotations

import hashlib
import io
import os
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from catalog.db import Catalog
from catalog.fixity import verify
from cluster_fixtures import (free_port_block, s3_endpoint, start_seaweed,  # noqa: F401
                              use_test_credentials)
from ingest.pipeline import ingest_batch
from library.cli import cli
from library.errors import StoreUnavailableError
from library.settings import Settings
from library.storage import object_key, open_store
from library.storage.s3 import S3Objects
from library.store import file_digest
from viewer import create_app

MASTER_SUFFIXES = {".tif", ".tiff", ".png", ".jp2", ".jpx", ".jpg"}
ITEM = "jangar-ms-1"


def _settings(path, endpoint: str, **more) -> Settings:
    return Settings.load(path, store_url=f"s3://sudur-test/t-{uuid.uuid4().hex[:10]}",
                         s3_endpoint_url=endpoint, **more)


@pytest.fixture(scope="module")
def s3_library(tmp_path_factory, s3_endpoint, sample_batch) -> Settings:
    settings = _settings(tmp_path_factory.mktemp("s3lib") / "library", s3_endpoint.url)
    summary = ingest_batch(sample_batch, settings, workers=2)
    assert summary.ok, summary.failed
    return settings


@pytest.fixture()
def client(s3_library):
    return create_app({"SUDUR_SETTINGS": s3_library, "TESTING": True}).test_client()


def _masters_on_disk(settings: Settings) -> list[str]:
    """Files of the node's library folder that are a master (by size and SHA-256), or that sit
    in a version's source/ folder."""
    with Catalog(open_store(settings).catalog_path, readonly=True) as cat:
        masters = {(rec.size, rec.sha256) for _, rec in cat.fixity() if rec.kind == "master"}
    assert masters
    found = []
    for folder, _, files in os.walk(settings.library):
        for name in files:
            path = os.path.join(folder, name)
            size = os.path.getsize(path)
            if "/source" in folder or any(size == s and file_digest(Path(path)) == d
                                          for s, d in masters):
                found.append(path)
    return found


def _first_tile(client, ident: str) -> str:
    info = client.get(f"/iiif/3/{ident}/info.json").get_json()
    ts = info["tiles"][0]["width"]
    w, h = min(ts, info["width"]), min(ts, info["height"])
    return f"/iiif/3/{ident}/0,0,{w},{h}/{w},/0/default.jpg"


def test_the_store_holds_the_versions_and_the_node_no_master(s3_library):
    store = open_store(s3_library)
    with Catalog(store.catalog_path, readonly=True) as cat:
        live = sorted(v.split("/")[-1] for v in cat.live_versions())
    assert store.objects.versions() == live
    assert not _masters_on_disk(s3_library)
    assert not list((s3_library.library / "items").glob("*@*"))
    assert not list(store.staging_dir.iterdir())


def test_info_tile_region_manifest_and_search_are_served(client, s3_library):
    ident = f"{ITEM}.0001"
    info = client.get(f"/iiif/3/{ident}/info.json")
    assert info.status_code == 200
    assert info.get_json()["width"] > 0
    tile = client.get(_first_tile(client, ident))
    assert tile.status_code == 200 and tile.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(tile.data)).size[0] > 0
    # built from tiles fetched from the store (not a pre-cut file)
    region = client.get(f"/iiif/3/{ident}/10,10,300,200/150,/90/gray.png")
    assert region.status_code == 200
    assert Image.open(io.BytesIO(region.data)).size == (100, 150)
    manifest = client.get(f"/iiif/{ITEM}/manifest")
    assert manifest.status_code == 200
    assert len(manifest.get_json()["items"]) >= 1
    tei = client.get(f"/items/{ITEM}/tei")
    assert tei.status_code == 200 and b"<TEI" in tei.data
    found = client.get("/api/search?q=ᠵᠠᠩᠭᠠᠷ").get_json()
    assert ITEM in {h["item"] for h in found["hits"]}
    assert not _masters_on_disk(s3_library)


def test_etag_and_last_modified_come_from_the_catalogue(client, s3_library):
    with Catalog(open_store(s3_library).catalog_path, readonly=True) as cat:
        row = cat.item_row(ITEM)
    url = _first_tile(client, f"{ITEM}.0001")
    first = client.get(url)
    assert first.last_modified == datetime.fromtimestamp(int(row.updated), tz=timezone.utc)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_verify_checks_every_object_in_the_store(s3_library):
    store = open_store(s3_library)
    with Catalog(store.catalog_path, readonly=True) as cat:
        checked, problems = verify(store, cat)
        assert checked > 10 and problems == []
        fixity = [rec for _, rec in cat.fixity(ITEM) if rec.kind == "derivative"]
        version = cat.version_path(ITEM)
    # a damaged object (same size, other bytes) and a lost one are both found
    damaged, lost = fixity[0], fixity[1]
    key = object_key(version, damaged.path)
    original = store.objects.read(key)
    spoilt = store.staging_dir / "spoilt"
    spoilt.write_bytes(bytes(b ^ 0xFF for b in original))
    store.objects.put_file(key, spoilt)
    lost_key = object_key(version, lost.path)
    lost_bytes = store.objects.read(lost_key)
    assert isinstance(store.objects, S3Objects)
    store.objects.client.delete_object(Bucket=store.objects.bucket,
                                       Key=store.objects._key(lost_key))
    try:
        with Catalog(store.catalog_path, readonly=True) as cat:
            _, problems = verify(store, cat, item_ids=[ITEM])
        assert {(p.path, p.problem) for p in problems} == {(damaged.path, "checksum"),
                                                           (lost.path, "missing")}
    finally:
        spoilt.write_bytes(original)
        store.objects.put_file(key, spoilt)
        spoilt.write_bytes(lost_bytes)
        store.objects.put_file(lost_key, spoilt)
        spoilt.unlink()


def test_sudur_verify_and_export_use_the_store(s3_library, tmp_path, monkeypatch):
    monkeypatch.setenv("SUDUR_STORE_URL", s3_library.store_url)
    monkeypatch.setenv("SUDUR_S3_ENDPOINT_URL", s3_library.s3_endpoint_url)
    lib = str(s3_library.library)
    res = CliRunner().invoke(cli, ["--library", lib, "verify", "--quick"])
    assert res.exit_code == 0, res.output
    assert ", 0 problems" in res.output
    res = CliRunner().invoke(cli, ["--library", lib, "export", ITEM, "--bag",
                                   str(tmp_path / "bag")])
    assert res.exit_code == 0, res.output
    assert any(p.suffix.lower() in MASTER_SUFFIXES for p in (tmp_path / "bag").rglob("*"))


def test_verify_repair_recuts_a_damaged_derivative_in_the_store(s3_library, monkeypatch):
    monkeypatch.setenv("SUDUR_STORE_URL", s3_library.store_url)
    monkeypatch.setenv("SUDUR_S3_ENDPOINT_URL", s3_library.s3_endpoint_url)
    store = open_store(s3_library)
    with Catalog(store.catalog_path, readonly=True) as cat:
        rec = next(r for _, r in cat.fixity(ITEM) if r.path.endswith("thumb.jpg"))
        key = object_key(cat.version_path(ITEM), rec.path)
    spoilt = store.staging_dir / "spoilt.jpg"
    spoilt.write_bytes(b"not a jpeg")
    store.objects.put_file(key, spoilt)
    spoilt.unlink()
    lib = str(s3_library.library)
    res = CliRunner().invoke(cli, ["--library", lib, "verify"])
    assert res.exit_code == 1 and "thumb.jpg" in res.output
    res = CliRunner().invoke(cli, ["--library", lib, "verify", "--repair"])
    assert res.exit_code == 0, res.output
    assert "re-cut" in res.output
    assert hashlib.sha256(store.objects.read(key)).hexdigest() == rec.sha256


def test_a_lost_upload_fails_that_item_and_a_rerun_resumes(tmp_path, s3_endpoint, sample_batch,
                                                            monkeypatch):
    settings = _settings(tmp_path / "lib", s3_endpoint.url)
    real_put = S3Objects.put_file

    def flaky(self, key, path):
        if f"/{ITEM}@" in key and key.endswith(".jpg"):
            raise StoreUnavailableError("connection lost (injected)")
        return real_put(self, key, path)

    monkeypatch.setattr(S3Objects, "put_file", flaky)
    first = ingest_batch(sample_batch, settings, workers=1)
    assert list(first.failed) == [ITEM]
    assert "connection lost" in str(first.failed[ITEM][0])
    assert first.ingested  # the others landed
    store = open_store(settings)
    with Catalog(store.catalog_path, readonly=True) as cat:
        assert ITEM not in cat.item_ids()
    assert not any(v.startswith(f"{ITEM}@") for v in store.objects.versions())
    monkeypatch.setattr(S3Objects, "put_file", real_put)
    second = ingest_batch(sample_batch, settings, workers=1)
    assert second.ingested == [ITEM] and not second.failed
    assert sorted(second.skipped) == sorted(first.ingested)


def test_the_store_going_away_is_a_503_then_service_resumes(tmp_path, sample_batch):
    use_test_credentials()
    server = start_seaweed(tmp_path / "seaweed")
    try:
        settings = _settings(tmp_path / "lib", server.endpoint)
        assert ingest_batch(sample_batch / ITEM, settings, workers=1).ok  # one item will do
        client = create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()
        ident = f"{ITEM}.0001"
        assert client.get(_first_tile(client, ident)).status_code == 200
        server.stop()
        gone = client.get(f"/iiif/3/{ITEM}.0002/info.json")
        assert gone.status_code == 503
        assert int(gone.headers["Retry-After"]) > 0
        assert gone.get_json()["error"] == "StoreUnavailableError"
        server.start()
        # the store answers within seconds; its volumes rejoin a moment later (503 until then)
        deadline = time.monotonic() + 30
        while (back := client.get(f"/iiif/3/{ITEM}.0002/info.json")).status_code == 503 \
                and time.monotonic() < deadline:
            time.sleep(0.5)
        assert back.status_code == 200
        assert client.get(_first_tile(client, f"{ITEM}.0002")).status_code == 200
    finally:
        server.stop()


def test_the_cli_says_the_store_is_unreachable_and_exits_75(tmp_path, sample_batch, monkeypatch):
    use_test_credentials()
    port = free_port_block()  # nothing listens there
    monkeypatch.setenv("SUDUR_STORE_URL", "s3://sudur-test/nowhere")
    monkeypatch.setenv("SUDUR_S3_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    res = CliRunner().invoke(cli, ["--library", str(tmp_path / "lib"), "ingest",
                                   str(sample_batch / ITEM)])
    assert res.exit_code == 75, res.output
    assert "cannot be reached" in res.output
    assert not list((tmp_path / "lib" / "staging").iterdir())
