"""Requests on a PostgreSQL catalogue with the per-process connection pool against a new
connection per request (``catalog/pg_pool.py``, ``MAX_IDLE = 0``), in the same run.

    .venv/bin/python bench/bench_pg_pool.py [--requests 200] [--rounds 3]

Starts a throwaway PostgreSQL (cluster/postgres.py) on 127.0.0.1, ingests the sample into it
(item versions in the library folder), and sends each URL ``--requests`` times through the
Flask app in-process (the server's own cost, without a network). Rounds alternate the two
modes; the best round of each counts. Over a network every new connection costs more (a TCP
and, with TLS, a TLS handshake), so these are the smallest gains a pool gives.
"""
from __future__ import annotations

import argparse
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

from cluster.postgres import Postgres  # noqa: E402
from pg_fixtures import free_port  # noqa: E402

from catalog import pg_pool  # noqa: E402
from ingest.pipeline import ingest_batch  # noqa: E402
from library.sample import write_sample  # noqa: E402
from library.settings import Settings  # noqa: E402

URLS = ("/iiif/jangar-ms-1/manifest", "/api/search?q=jangar", "/iiif/discovery",
        "/items/jangar-ms-1")


def _round(client, url: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        resp = client.get(url)
        times.append(time.perf_counter() - t0)
        if resp.status_code != 200:
            raise SystemExit(f"{url}: {resp.status_code} {resp.data[:200]!r}")
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    tmp = Path(tempfile.mkdtemp(prefix="bench-pool-"))
    pg = Postgres(Path(tempfile.mkdtemp(prefix="sudur-pg-")), free_port()).start()
    try:
        write_sample(tmp / "batch")
        settings = Settings.load(tmp / "lib", catalog_url=pg.url())
        if not ingest_batch(tmp / "batch", settings, workers=2).ok:
            raise SystemExit("the sample did not ingest")
        from viewer import create_app
        client = create_app({"SUDUR_SETTINGS": settings}).test_client()
        idle = pg_pool.MAX_IDLE
        best: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for mode, max_idle in (("pool", idle), ("connect each", 0)):
                pg_pool.clear()
                pg_pool.MAX_IDLE = max_idle
                for url in URLS:
                    _round(client, url, 5)  # warm: the app's own caches, the server's
                    times = _round(client, url, args.requests)
                    key = (url, mode)
                    if key not in best or sum(times) < sum(best[key]):
                        best[key] = times
        pg_pool.MAX_IDLE = idle
        print("| URL | pool p50 ms | new connection p50 ms | pool req/s | new connection "
              "req/s | pool vs new |")
        print("|---|---:|---:|---:|---:|---:|")
        for url in URLS:
            a, b = best[(url, "pool")], best[(url, "connect each")]
            ra, rb = len(a) / sum(a), len(b) / sum(b)
            print(f"| `{url}` | {statistics.median(a) * 1e3:.2f} | "
                  f"{statistics.median(b) * 1e3:.2f} | {ra:.0f} | {rb:.0f} | {ra / rb:.2f}x |")
        print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    finally:
        pg_pool.clear()
        pg.stop()
        shutil.rmtree(pg.folder, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
