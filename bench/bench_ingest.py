"""Ingest benchmark: the whole pipeline (check, copy with SHA-256, pyramid and thumbnails,
catalogue, index) on a generated batch of scan-like pages, with one worker and with all cores.

    .venv/bin/python bench/bench_ingest.py --items 4 --pages 6 --size 4000x3000

Prints pages/s and seconds per megapixel for each worker count.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFilter  # noqa: E402  (the benchmark makes its own scans)

from ingest.pipeline import ingest_batch  # noqa: E402
from library.settings import Settings  # noqa: E402


def scan(path: Path, w: int, h: int, seed: int) -> None:
    rng = random.Random(seed)
    noise = Image.effect_noise((w // 4, h // 4), 40).resize((w, h)).filter(ImageFilter.BLUR)
    im = Image.merge("RGB", (noise.point(lambda v: 200 + v // 8),
                             noise.point(lambda v: 185 + v // 8), noise.point(lambda v: 150 + v // 8)))
    draw = ImageDraw.Draw(im)
    for _ in range(400):
        x, y = rng.randrange(w), rng.randrange(h)
        draw.line((x, y, x + rng.randrange(5, 60), y + rng.randrange(-8, 8)), fill=(40, 30, 20),
                  width=rng.randrange(2, 6))
    im.save(path, quality=90)


def make_batch(root: Path, items: int, pages: int, w: int, h: int) -> None:
    for i in range(items):
        folder = root / f"bench-{i:02d}"
        (folder / "images").mkdir(parents=True)
        body = []
        for p in range(1, pages + 1):
            scan(folder / "images" / f"{p:04d}.jpg", w, h, i * 100 + p)
            body.append(f'<pb n="{p}" facs="images/{p:04d}.jpg"/>ᠵᠠᠩᠭᠠᠷ ᠬᠠᠭᠠᠨ {i} {p}')
        (folder / f"bench-{i:02d}.xml").write_text(
            '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt>'
            f'<title>Bench {i}</title></titleStmt><publicationStmt><p>x</p></publicationStmt>'
            '<sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader><text><body><p>'
            + "".join(body) + "</p></body></text></TEI>", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=4)
    ap.add_argument("--pages", type=int, default=6)
    ap.add_argument("--size", default="4000x3000")
    args = ap.parse_args()
    w, h = map(int, args.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="sudur-bench-ingest-"))
    try:
        make_batch(tmp / "batch", args.items, args.pages, w, h)
        n = args.items * args.pages
        mp = n * w * h / 1e6
        print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}; "
              f"batch: {args.items} items × {args.pages} pages of {w}×{h} JPEG ({mp:.0f} MP)")
        for workers in sorted({1, os.cpu_count() or 1}):
            lib = tmp / f"lib-{workers}"
            t0 = time.perf_counter()
            summary = ingest_batch(tmp / "batch", Settings.load(lib), workers=workers)
            dt = time.perf_counter() - t0
            assert summary.ok and summary.pages == n, summary.failed
            print(f"workers={workers}: {dt:6.1f} s, {n / dt:5.2f} pages/s, "
                  f"{dt / mp:.4f} s/MP")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
