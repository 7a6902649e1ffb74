"""Two nodes of one library (DESIGN.md "Beyond one machine"): the catalogue and search rows in
PostgreSQL (pg_fixtures), item versions in S3 (cluster_fixtures), and each node's folder holding
only its own state.

Node A ingests; node B, a real web server in its own process with a folder of its own, serves
the manifest, a tile and search of what A ingested, with nothing copied between them by hand.
Stopping A's web server does not disturb B, and neither folder ever holds a master image.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from catalog.catalogue import open_catalog
from cluster_fixtures import s3_endpoint, s3_url  # noqa: F401  (fixtures)
from library.settings import Settings
from library.store import Store
from pg_fixtures import free_port, new_pg_url, pg_server, pg_url  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[1]
SUDUR = str(Path(sys.executable).parent / "sudur")
FOUND_WITHIN = 60.0  # seconds: an item ingested on A is served by B within this


def _env(settings: Settings) -> dict:
    env = dict(os.environ)  # the AWS_* test credentials the s3_endpoint fixture set
    env.update(SUDUR_CATALOG_URL=settings.catalog_url, SUDUR_STORE_URL=settings.store_url,
               SUDUR_S3_ENDPOINT_URL=settings.s3_endpoint_url)
    return env


def _serve(settings: Settings, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen([SUDUR, "--library", str(settings.library), "serve", "--host",
                                 "127.0.0.1", "--port", str(port)], env=_env(settings),
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(base + "/", timeout=5):
                return proc, base
        except urllib.error.HTTPError:
            return proc, base  # it answers
        except OSError:
            assert time.monotonic() < deadline, f"the node did not start: {log.read_text()}"
            time.sleep(0.3)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _digests(folder: Path) -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


def test_node_b_serves_what_node_a_ingested_and_outlives_it(tmp_path, sample_batch, pg_url,
                                                            s3_endpoint, s3_url):
    shared = dict(catalog_url=pg_url, store_url=s3_url, s3_endpoint_url=s3_endpoint.url)
    node_a = Settings.load(tmp_path / "node-a", **shared)
    node_b = Settings.load(tmp_path / "node-b", **shared)
    open_catalog(node_a).close()  # the schema, as the first ingest would make it
    servers = []
    try:
        web_a, base_a = _serve(node_a, tmp_path / "a.log")
        servers.append(web_a)
        web_b, base_b = _serve(node_b, tmp_path / "b.log")
        servers.append(web_b)

        res = subprocess.run([SUDUR, "--library", str(node_a.library), "ingest",
                              str(sample_batch)], env=_env(node_a), cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stdout + res.stderr
        ingested = time.monotonic()
        with open_catalog(node_a, readonly=True) as cat:
            item = cat.get_item(cat.item_ids()[0])
        word = next(w for p in item.pages for w in p.text.split() if len(w) > 2)
        query = urllib.parse.urlencode({"q": word})

        # B finds the item: the commit on A published it for every node
        while True:
            status, body = _get(f"{base_b}/api/search?{query}")
            if status == 200 and item.id in {h["item"] for h in json.loads(body)["hits"]}:
                break
            assert time.monotonic() - ingested < FOUND_WITHIN, (status, body[:500])
            time.sleep(0.5)

        def b_serves() -> None:
            status, body = _get(f"{base_b}/iiif/{item.id}/manifest")
            assert status == 200 and len(json.loads(body)["items"]) == len(item.pages)
            page = item.pages[0]
            status, body = _get(f"{base_b}/iiif/3/{page.image_id}/0,0,256,256/256,/0/default.jpg")
            assert status == 200 and body[:2] == b"\xff\xd8", (status, body[:300])
            status, body = _get(f"{base_b}/api/search?{query}")
            assert status == 200 and json.loads(body)["total"] >= 1

        b_serves()
        assert _get(f"{base_a}/iiif/{item.id}/manifest")[0] == 200
        _stop(web_a)
        b_serves()  # A gone: B reads the catalogue and the store, never A
        assert web_b.poll() is None
    finally:
        for proc in servers:
            _stop(proc)

    # each folder holds its node's own state alone: no catalogue, no index, no master
    for node in (node_a, node_b):
        store = Store(node.library)
        assert not store.catalog_path.exists() and not store.index_dir.exists()
    masters = {hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sample_batch.rglob("images/*") if p.is_file()}
    assert masters
    assert not masters & _digests(node_a.library), "a master on node A's disk"
    assert not masters & _digests(node_b.library), "a master on node B's disk"
