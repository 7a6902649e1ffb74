"""How long node B takes to serve an item node A has just ingested (catalogue and search in
PostgreSQL, item versions in SeaweedFS), measured on B over HTTP.

    .venv/bin/python bench/bench_visibility.py [--items 10] [--pages 4]

Starts a throwaway PostgreSQL (cluster/postgres.py) and SeaweedFS (cluster/seaweed.py) on
127.0.0.1, and node B as a real server process (``sudur serve``, a folder of its own). Node A
(this process) ingests ``--items`` items one at a time, each a batch of its own; while it does,
one thread per URL polls B every 5 ms for the item's manifest, its first page's info.json and
a search for a word only that item holds, and notes the first 200 with the item in it.

For each URL it prints, in ms, the time from the start of A's publishing transaction (the
item row's ``updated``) to B's first answer with the item: p50 and max over the items; and
when A's ingest call returned (publishing ends with the catalogue commit; what follows is the
ingest's own bookkeeping). B keeps no cache of the catalogue: what A commits, B serves on its
next request, so the figure is the commit plus one polling interval plus one request.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from cluster.postgres import Postgres  # noqa: E402
from cluster.seaweed import Seaweed  # noqa: E402
from cluster_fixtures import BUCKET, free_port_block, use_test_credentials  # noqa: E402
from crashlib import build_batch  # noqa: E402
from pg_fixtures import free_port  # noqa: E402

from catalog.catalogue import open_catalog  # noqa: E402
from ingest.pipeline import ingest_batch  # noqa: E402
from library.settings import Settings  # noqa: E402

POLL = 0.005  # seconds between two requests of one poller


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _serve(settings: Settings, env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    sudur = str(Path(sys.executable).parent / "sudur")
    with open(log, "wb") as out:
        proc = subprocess.Popen([sudur, "--library", str(settings.library), "serve", "--host",
                                 "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"node B did not start: {log.read_text()}")
        try:
            _get(base + "/")
            return proc, base
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"node B did not answer: {log.read_text()}")
            time.sleep(0.2)


def _poll(url: str, holds, seen: dict, key: str, stop: threading.Event) -> None:
    while not stop.is_set():
        status, body = _get(url)
        if status == 200 and holds(body):
            seen[key] = time.time()
            return
        time.sleep(POLL)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=10)
    ap.add_argument("--pages", type=int, default=4)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    use_test_credentials()
    tmp = Path(tempfile.mkdtemp(prefix="bench-visibility-"))
    pg = Postgres(Path(tempfile.mkdtemp(prefix="sudur-pg-")), free_port()).start()
    s3 = Seaweed(tmp / "seaweed", free_port_block()).start()
    web = None
    try:
        shared = dict(catalog_url=pg.url(), store_url=f"s3://{BUCKET}/v-{uuid.uuid4().hex[:8]}",
                      s3_endpoint_url=s3.endpoint)
        node_a = Settings.load(tmp / "node-a", **shared)
        node_b = Settings.load(tmp / "node-b", **shared)
        open_catalog(node_a).close()  # the schema, as the first ingest makes it
        env = dict(os.environ, SUDUR_CATALOG_URL=node_b.catalog_url,
                   SUDUR_STORE_URL=node_b.store_url, SUDUR_S3_ENDPOINT_URL=s3.endpoint)
        web, base = _serve(node_b, env, tmp / "b.log")
        rows = []
        for k in range(args.items):
            word = f"unique{k:02d}word"  # on every page of this item alone
            batch = build_batch(tmp / f"batch-{k}", 1, pages=args.pages, prefix=f"vis{k:02d}",
                                word=word)
            item = f"vis{k:02d}-00"
            query = urllib.parse.urlencode({"q": word})
            polls = {
                "manifest": (f"{base}/iiif/{item}/manifest", lambda b: b"\"items\"" in b),
                "info.json": (f"{base}/iiif/3/{item}.0001/info.json", lambda b: b"width" in b),
                "search": (f"{base}/api/search?{query}",
                           lambda b, item=item: item in {h["item"] for h in
                                                         json.loads(b)["hits"]}),
            }
            seen: dict[str, float] = {}
            stop = threading.Event()
            threads = [threading.Thread(target=_poll, args=(url, holds, seen, key, stop),
                                        daemon=True) for key, (url, holds) in polls.items()]
            for t in threads:
                t.start()
            summary = ingest_batch(batch, node_a, workers=1)
            returned = time.time()
            if not summary.ok:
                raise SystemExit(f"ingest failed: {summary.failed}")
            for t in threads:
                t.join(60)
            stop.set()
            with open_catalog(node_a, readonly=True) as cat:
                published = cat.conn.execute("SELECT updated FROM items WHERE id = %s",
                                             (item,)).fetchone()[0]
            if set(seen) != set(polls):
                raise SystemExit(f"{item}: B never served {set(polls) - set(seen)}")
            rows.append({key: (t - published) * 1e3 for key, t in seen.items()}
                        | {"returned": (returned - published) * 1e3})
            shutil.rmtree(batch)
        print(f"{args.items} items of {args.pages} pages, each ingested on A alone; ms after "
              "A's publishing transaction began")
        print("| on node B | p50 ms | max ms |")
        print("|---|---:|---:|")
        for key in ("manifest", "info.json", "search", "returned"):
            values = [r[key] for r in rows]
            name = key if key != "returned" else "(A's ingest call returned)"
            print(f"| {name} | {statistics.median(values):.0f} | {max(values):.0f} |")
        print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    finally:
        if web is not None:
            web.terminate()
            web.wait(10)
        s3.stop()
        pg.stop()
        shutil.rmtree(pg.folder, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
