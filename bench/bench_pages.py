"""Big-item benchmark (issue 11, point 12): the views and the manifest of one item of N pages.

    .venv/bin/python bench/bench_pages.py [--pages 10000] [--runs 7]

Builds a library holding one item of N imaged pages (notional 2400 x 600 images, a line of
Tibetan text each, a table of contents of one division per 1,000 pages) and one of 10 pages,
written straight into the catalogue, then drives the Flask app in this process (no HTTP, no
server: what is timed is the view itself) and prints, per view, the median and the worst of
``--runs`` requests and the size of the response:

- the record page (its first window of thumbnails, and the middle window);
- the reader and the embed view at the middle page, and the page JSON the reader fetches;
- the labels of 1,000 pages (what the reader fetches for the hits of an in-item search);
- the manifest: its first build (memory and disk caches emptied before each run: catalogue read,
  build, cache write) and a cached request.

The targets of issue 11: at 10,000 pages the record page under 300 ms and 200 KB, the reader's
HTML independent of the page count, the manifest's first build under 10 s.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from catalog.db import Catalog  # noqa: E402
from library.models import Item, Page, TocEntry  # noqa: E402
from library.settings import Settings  # noqa: E402
from library.store import Store  # noqa: E402


def make_item(item_id: str, pages: int) -> Item:
    toc = [TocEntry(label={"en": f"Part {k + 1}"}, page=k * 1000 + 1)
           for k in range(max(1, pages // 1000))]
    return Item(id=item_id, titles={"bo": "བཀའ་འགྱུར།", "en": f"{pages} pages"}, languages=["bo"],
                scripts=["Tibt"], writing_system="bo", toc=toc,
                pages=[Page(item_id=item_id, order=n,
                            label=f"{(n + 1) // 2}{'a' if n % 2 else 'b'}",
                            image=f"images/{n:05d}.tif", width=2400, height=600,
                            text=f"བྱང་ཆུབ་སེམས་དཔའ་ཆེན་པོ། {n}") for n in range(1, pages + 1)])


def make_library(root: Path, items: list[Item]) -> Settings:
    store = Store(root)
    store.ensure()
    with Catalog(store.catalog_path) as cat:
        for item in items:
            version = f"items/{item.id}@v1"
            (root / version / "source").mkdir(parents=True)
            (root / version / "derived").mkdir(parents=True)
            cat.put_item(item, version_path=version, source_hash="bench", fixity=[])
    return Settings.load(root)


def timed(client, url: str, runs: int, before=None) -> tuple[float, float, int] | None:
    """Median and worst seconds of ``runs`` GETs of ``url``, and the body's size in bytes; None
    for a URL this version does not serve (when run on an older checkout, for comparison)."""
    times, size = [], 0
    for _ in range(runs):
        if before is not None:
            before()
        t0 = time.perf_counter()
        resp = client.get(url, headers={"Accept-Language": "en"})
        body = resp.get_data()
        times.append(time.perf_counter() - t0)
        if resp.status_code in (400, 404):
            return None
        assert resp.status_code == 200, (url, resp.status_code, body[:200])
        size = len(body)
    return statistics.median(times), max(times), size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    n, runs = args.pages, args.runs
    tmp = Path(tempfile.mkdtemp(prefix="sudur-bench-pages-"))
    try:
        t0 = time.perf_counter()
        settings = make_library(tmp / "lib", [make_item("big", n), make_item("small", 10)])
        print(f"library of {n:,} + 10 pages written in {time.perf_counter() - t0:.1f} s")
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"{platform.system()} {platform.release()}")
        from viewer import create_app
        from viewer import iiif_presentation as view

        client = create_app({"SUDUR_SETTINGS": settings}).test_client()
        middle = n // 2
        window = max(1, (n // 100) // 2)
        rows = [
            ("record page (first 100 thumbnails)", "/items/big", None),
            (f"record page (window {window})", f"/items/big?pages={window}", None),
            (f"reader, page {middle}", f"/items/big/read?page={middle}", None),
            ("reader, same page of the 10-page item", "/items/small/read?page=5", None),
            (f"embed, page {middle}", f"/embed/big?page={middle}", None),
            (f"page JSON {middle}", f"/api/items/big/pages/{middle}", None),
            ("labels of 1,000 pages", "/api/items/big/pages?from=1&to=1000", None),
        ]

        def cold() -> None:
            view.clear_memory_cache()
            for f in (tmp / "lib" / "items" / "big@v1" / "derived").glob("manifest*.json"):
                f.unlink()

        rows.append(("manifest, first build (cold caches)", "/iiif/big/manifest", cold))
        rows.append(("manifest, cached", "/iiif/big/manifest", None))
        print(f"\n| {n:,}-page item | median | worst | bytes |\n|---|---:|---:|---:|")
        for label, url, before in rows:
            k = min(runs, 3) if before is not None else runs
            got = timed(client, url, k, before)
            if got is None:
                print(f"| {label} | not served | | |")
                continue
            med, worst, size = got
            print(f"| {label} | {med * 1000:,.0f} ms | {worst * 1000:,.0f} ms | {size:,} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
