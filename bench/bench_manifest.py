"""Manifest benchmark: first build and cached serving of a 1,000-page manifest over HTTP.

    .venv/bin/python bench/bench_manifest.py [--pages 1000] [--requests 300]

Builds a library holding one text-only item of N pages (catalogue + version folder; with
``--images`` the pages have image services, a heavier manifest), then:

1. times the pure build (iiif-prezi3, canvases passed once) and, for comparison, iiif-prezi3's
   ``make_canvas`` loop on the first 1,000 pages;
2. serves the real Flask app under gunicorn (2 workers) and drives it from this process:
   the first request (build + cache write), then sequential requests to the cached manifest,
   gzipped and plain (p50/p95/max latency, requests/s), then the first request under another
   host name (a new public base: rebased from the cache, not rebuilt);
3. with the item indexed, Content Search 2.0 and 1.0 for a word on every page (the first result
   page of 100 matches out of N), sequential p50/p95.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from catalog.db import Catalog  # noqa: E402
from library import iiif_presentation as prezi  # noqa: E402
from library.models import Item, Page  # noqa: E402
from library.store import Store  # noqa: E402


def make_item(pages: int, images: bool = False) -> Item:
    """Text-only pages, or with ``images`` pages that each have a (notional) 6000 x 4000 image."""
    size = dict(image="images/p.tif", width=6000, height=4000) if images else {}
    out = [Page(item_id="long-text", order=n, label=f"{(n + 1) // 2}{'ab'[(n + 1) % 2]}",
                text=f"ᠨᠢᠭᠡ ᠬᠣᠶᠠᠷ {n}\nᠭᠤᠷᠪᠠ ᠳᠦᠷᠪᠡ", **size) for n in range(1, pages + 1)]
    return Item(id="long-text", titles={"mn-Mong": "ᠤᠷᠲᠤ", "en": "Long text"},
                languages=["mn"], scripts=["Mong"], writing_system="mn-Mong", pages=out)


def make_library(root: Path, item: Item) -> None:
    store = Store(root)
    store.ensure()
    staged = store.new_staging(item.id)
    (staged / "derived").mkdir()
    version = store.publish(staged)
    with Catalog(store.catalog_path) as cat:
        cat.put_item(item, version_path=version, source_hash="bench", fixity=[])
    from catalog.index import update_items

    update_items(store.index_dir, [item])


def time_make_canvas_loop(pages: int) -> float:
    """iiif-prezi3's helper appended one canvas at a time (re-validates the list each time)."""
    from iiif_prezi3 import Manifest

    t0 = time.perf_counter()
    m = Manifest(id=f"{prezi.PLACEHOLDER_BASE}/m", label={"en": ["x"]})
    for n in range(1, pages + 1):
        m.make_canvas(id=f"{prezi.PLACEHOLDER_BASE}/c/{n}", label={"none": [str(n)]},
                      width=1000, height=1400)
    m.json()
    return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, timeout: float = 30) -> None:
    import requests

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            requests.get(url, timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn did not come up at {url}")


def check_alive(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        raise SystemExit("gunicorn exited: " + proc.stderr.read().decode(errors="replace")[-2000:])


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    import requests

    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--images", action="store_true",
                    help="pages with images (painting annotations and image services)")
    args = ap.parse_args()

    item = make_item(args.pages, args.images)
    t0 = time.perf_counter()
    text = prezi.manifest_json(item)
    build = time.perf_counter() - t0
    loop = time_make_canvas_loop(min(args.pages, 1000))
    print(f"python {platform.python_version()}, {os.cpu_count()} cpu(s), {args.pages} "
          f"{'imaged' if args.images else 'text-only'} pages, "
          f"manifest {len(text.encode()) / 1e6:.2f} MB")
    print(f"build, canvases passed once as items=:  {build:.2f} s")
    print(f"iiif-prezi3 make_canvas loop (bare canvases, for comparison): {loop:.2f} s")

    tmp = Path(tempfile.mkdtemp(prefix="sudur-bench-"))
    proc = None
    try:
        make_library(tmp / "lib", item)
        port = free_port()
        env = dict(os.environ, SUDUR_LIBRARY=str(tmp / "lib"), SUDUR_BASE_URL="")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        proc = subprocess.Popen([str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}",
                                 "--log-level", "warning",
                                 "viewer:create_app()"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        time.sleep(0.5)
        check_alive(proc)
        wait_up(base + "/iiif/collection/top")
        url = base + "/iiif/long-text/manifest"
        s = requests.Session()
        t0 = time.perf_counter()
        r = s.get(url)
        first = time.perf_counter() - t0
        print(f"HTTP first request (build + cache write): {first * 1000:.0f} ms")
        r.raise_for_status()
        assert len(r.json()["items"]) == args.pages
        for _ in range(10):  # warm both workers
            s.get(url).raise_for_status()
        for encoding in ("gzip", "identity"):
            times = []
            t_all = time.perf_counter()
            for _ in range(args.requests):
                t0 = time.perf_counter()
                r = s.get(url, headers={"Accept-Encoding": encoding})
                times.append(time.perf_counter() - t0)
                r.raise_for_status()
            wall = time.perf_counter() - t_all
            wire = int(r.headers.get("Content-Length", len(r.content)))
            print(f"HTTP cached ({encoding}), {args.requests} sequential requests:"
                  f" p50 {pct(times, 50) * 1000:.1f} ms,"
                  f" p95 {pct(times, 95) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms,"
                  f" mean {statistics.mean(times) * 1000:.1f} ms,"
                  f" {args.requests / wall:.0f} req/s, {wire / 1e6:.3f} MB on the wire")
        t0 = time.perf_counter()
        r = s.get(url, headers={"Host": "other.example"})
        other = time.perf_counter() - t0
        assert r.json()["id"] == "http://other.example/iiif/long-text/manifest"
        print(f"HTTP first request under a new host name (rebased, no rebuild): "
              f"{other * 1000:.1f} ms")
        for path in ("search", "search1"):
            surl = f"{base}/iiif/long-text/{path}?q=ᠭᠤᠷᠪᠠ"
            s.get(surl).raise_for_status()
            stimes = []
            for _ in range(30):
                t0 = time.perf_counter()
                r = s.get(surl)
                stimes.append(time.perf_counter() - t0)
                r.raise_for_status()
            doc = r.json()
            n = len(doc.get("items", doc.get("resources", [])))
            print(f"HTTP {path}, a word on all {args.pages} pages ({n} matches per result page):"
                  f" p50 {pct(stimes, 50) * 1000:.0f} ms, p95 {pct(stimes, 95) * 1000:.0f} ms")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
