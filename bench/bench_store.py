"""Tiles from an S3 store (SeaweedFS) against tiles from the library folder, in the same run.

    .venv/bin/python bench/bench_store.py [--rounds 3]

The sample is ingested twice: into a library-folder store and into SeaweedFS on 127.0.0.1
(cluster/seaweed.py, started and stopped here). Every pre-cut tile that info.json announces, at
every scale factor of every page, is then requested through the Flask app (in-process test
client, so the figures are the server's own cost without a network or WSGI server):

- ``local``: the library folder (files read from disk);
- ``s3 cold``: S3 with this node's cache empty (every tile is a GET from the store);
- ``s3 warm``: S3 again, every tile now in the node's bounded cache (cache/store);
- ``2 nodes cold``: two node processes, each with an empty cache and its own copy of the
  catalogue and index, requesting every tile at the same time from the one store
  (aggregate tiles/s).

Prints tiles/s and p50/p95 latency per scenario, and each scenario's ratio to ``local``.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from cluster.seaweed import Seaweed  # noqa: E402
from cluster_fixtures import free_port_block, use_test_credentials  # noqa: E402

from catalog.db import Catalog  # noqa: E402
from ingest.pipeline import ingest_batch  # noqa: E402
from library.sample import write_sample  # noqa: E402
from library.settings import Settings  # noqa: E402
from library.store import Store  # noqa: E402


def tile_urls(settings: Settings) -> list[str]:
    """Every pre-cut tile of every page, as info.json announces them."""
    from viewer import create_app

    client = create_app({"SUDUR_SETTINGS": settings}).test_client()
    urls = []
    with Catalog(Store(settings.library).catalog_path, readonly=True) as cat:
        pages = [(i, p.order) for i in cat.item_ids() for p in cat.pages(i) if p.image]
    for item, order in pages:
        ident = f"{item}.{order:04d}"
        info = client.get(f"/iiif/3/{ident}/info.json").get_json()
        ts = info["tiles"][0]["width"]
        for sf in info["tiles"][0]["scaleFactors"]:
            span = ts * sf
            for y in range(0, info["height"], span):
                for x in range(0, info["width"], span):
                    w, h = min(span, info["width"] - x), min(span, info["height"] - y)
                    size = -(-w // sf)
                    urls.append(f"/iiif/3/{ident}/{x},{y},{w},{h}/{size},/0/default.jpg")
    return urls


def run(settings: Settings, urls: list[str]) -> list[float]:
    """Seconds per request, every URL once, in order; every answer must be a 200 JPEG."""
    from viewer import create_app

    client = create_app({"SUDUR_SETTINGS": settings}).test_client()
    times = []
    for url in urls:
        t0 = time.perf_counter()
        resp = client.get(url)
        times.append(time.perf_counter() - t0)
        if resp.status_code != 200 or resp.data[:2] != b"\xff\xd8":
            raise SystemExit(f"{url}: {resp.status_code}")
    return times


def _node(settings: Settings, urls: list[str], start: float, out) -> None:
    while time.time() < start:  # both nodes begin together
        time.sleep(0.001)
    t0 = time.perf_counter()
    times = run(settings, urls)
    out.put((time.perf_counter() - t0, times))


def two_nodes(nodes: list[Settings], urls: list[str]) -> tuple[float, list[float]]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start = time.time() + 3.0  # after the spawned interpreters have imported the app
    procs = [ctx.Process(target=_node, args=(s, urls, start, out)) for s in nodes]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    wall = max(r[0] for r in results)
    return wall, [t for r in results for t in r[1]]


def summary(name: str, wall: float, times: list[float], base: float | None) -> str:
    rate = len(times) / wall
    q = statistics.quantiles(times, n=20)
    ratio = f"{rate / base:6.2f}x" if base else "     —"
    return (f"{name:<14} {len(times):>6} {rate:>9.0f} {statistics.median(times) * 1e3:>8.2f} "
            f"{q[18] * 1e3:>8.2f} {ratio}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="passes over the tiles (local, warm)")
    args = ap.parse_args()
    use_test_credentials()
    tmp = Path(tempfile.mkdtemp(prefix="bench-store-"))
    server = Seaweed(tmp / "seaweed", free_port_block()).start()
    try:
        write_sample(tmp / "batch")
        local = Settings.load(tmp / "local")
        remote = dict(store_url="s3://sudur-bench/sample", s3_endpoint_url=server.endpoint)
        node_a = Settings.load(tmp / "node-a", **remote)
        for settings in (local, node_a):
            t0 = time.perf_counter()
            summary_ = ingest_batch(tmp / "batch", settings, workers=1)
            assert summary_.ok, summary_.failed
            print(f"ingest into {settings.store_url or 'the library folder'}: "
                  f"{summary_.pages} pages in {time.perf_counter() - t0:.1f} s")
        # node B: its own copy of the node state (catalogue, index), none of the images
        node_b = Settings.load(tmp / "node-b", **remote)
        (tmp / "node-b").mkdir()
        shutil.copy(tmp / "node-a" / "catalog.sqlite", tmp / "node-b" / "catalog.sqlite")
        shutil.copytree((tmp / "node-a" / "index").resolve(), tmp / "node-b" / "index")
        urls = tile_urls(local)
        print(f"{len(urls)} tiles; {os.cpu_count()} cores; in-process Flask test client\n")
        print(f"{'scenario':<14} {'tiles':>6} {'tiles/s':>9} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'vs local':>7}")
        rows = []
        t0 = time.perf_counter()
        times = [t for _ in range(args.rounds) for t in run(local, urls)]
        base = len(times) / (time.perf_counter() - t0)
        rows.append(summary("local", time.perf_counter() - t0, times, None))
        t0 = time.perf_counter()
        times = run(node_a, urls)
        rows.append(summary("s3 cold", time.perf_counter() - t0, times, base))
        t0 = time.perf_counter()
        times = [t for _ in range(args.rounds) for t in run(node_a, urls)]
        rows.append(summary("s3 warm", time.perf_counter() - t0, times, base))
        shutil.rmtree(Store(node_a.library).store_cache_dir)
        wall, times = two_nodes([node_a, node_b], urls)
        rows.append(summary("2 nodes cold", wall, times, base))
        print("\n".join(rows))
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
