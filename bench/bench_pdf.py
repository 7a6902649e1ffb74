"""PDF benchmark (issue 15): a PDF of many pages, its build time and size, against the sum of the
JPEG files it embeds at the same resolution, measured in the same run.

    .venv/bin/python bench/bench_pdf.py [--pages 200] [--width 2400 --height 3400]
        [--words 250] [--sizes 1000,max] [--workers 2]

Each page is a distinct generated scan (paper noise and dark strokes, saved as a quality 90
JPEG master), cut into its pyramid by ``library.imaging.make_derivatives`` as ingest does (in
``--workers`` processes), with a transcription of ``--words`` words in Tibetan, Mongolian and
Chinese, each word boxed as OCR would box it. Then, for each size, the PDF of all the pages is
built the way the server builds it (``library.downloads.Downloads``: the job record, its
progress, the item lock and the cache), and the script prints the build's wall and CPU seconds,
the PDF's bytes, the bytes of the JPEG files embedded (the level's whole-image files, or its
tiles when the level is larger than the whole-image files cut at ingest), their ratio, what the
text layer adds, and the peak memory of the process. Nothing is cached between sizes.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402  (benchmarks may use Pillow directly)

from library import imaging  # noqa: E402
from library.downloads import DONE, Downloads, PdfSpec  # noqa: E402
from library.models import Box, Line, Page, Word  # noqa: E402
from library.pdf import PdfPage, pictures  # noqa: E402
from library.pdf_text import placements  # noqa: E402

WORDS = ["བྱང་ཆུབ་", "སེམས་དཔའ་", "ཆེན་པོ།", "ᠮᠣᠩᠭᠣᠯ", "ᠬᠡᠯᠡ\u202fᠶᠢᠨ", "ᠪᠢᠴᠢᠭ",
         "乾隆", "五月", "甘珠爾", "經"]


def make_master(args: tuple[int, int, int, Path]) -> Path:
    """A distinct page: noise on paper tone, then lines of dark strokes."""
    n, width, height, folder = args
    rng = random.Random(n)
    # Noise on a whole page costs more than cutting its pyramid: one tile of it, laid over the
    # page from a shifted start (the strokes below make each page distinct anyway).
    tile = Image.blend(Image.new("RGB", (256, 256), (226, 210, 178)),
                       Image.effect_noise((256, 256), 24).convert("RGB"), 0.18)
    page = Image.new("RGB", (width, height))
    dx, dy = rng.randrange(256), rng.randrange(256)
    for y in range(-dy, height, 256):
        for x in range(-dx, width, 256):
            page.paste(tile, (x, y))
    draw = ImageDraw.Draw(page)
    for row in range(60, height - 60, 90):
        x = 80
        while x < width - 120:
            w = rng.randint(30, 110)
            draw.rectangle((x, row, x + w, row + rng.randint(30, 50)),
                           fill=(rng.randint(10, 60),) * 3)
            x += w + rng.randint(15, 40)
    master = folder / f"m{n:04d}.jpg"
    page.save(master, "JPEG", quality=90)
    derived = folder / f"d{n:04d}"
    imaging.make_derivatives(master, derived, tile_size=512, thumb_width=200)
    master.unlink()  # only the pyramid is read from now on
    return derived


def transcription(n: int, words: int, width: int, height: int) -> Page:
    """``words`` words in lines across the page, each with its box and offsets."""
    rng = random.Random(n)
    text, lines, line_words = "", [], []
    x, y, line_start = 80, 60, 0
    for _ in range(words):
        word = rng.choice(WORDS)
        w = 40 * len(word)
        if x + w > width - 80:
            lines.append(Line(text[line_start:].rstrip(), Box(80, y, width - 160, 60),
                              line_start, len(text.rstrip()), line_words))
            text = text.rstrip() + "\n"
            x, y, line_start, line_words = 80, y + 90, len(text), []
        start = len(text)
        text += word + " "
        line_words.append(Word(word, Box(x, y, w, 60), start, start + len(word)))
        x += w + 30
    lines.append(Line(text[line_start:].rstrip(), Box(80, y, width - 160, 60), line_start,
                      len(text.rstrip()), line_words))
    return Page(item_id="bench", order=n, label=str(n), image=f"m{n:04d}.jpg", width=width,
                height=height, text=text.rstrip(), lines=lines)


def build(folders: list[Path], pages: list[Page], size: str, cache: Path,
          with_text: bool) -> dict:
    width = None if size == "max" else int(size)
    pdf_pages = []
    for folder, page in zip(folders, pages):
        derivs = imaging.load_derivatives(folder)
        text = placements(page, derivs.width, derivs.height) if with_text else []
        pdf_pages.append(PdfPage(page.label, derivs.width, derivs.height,
                                 pictures(folder, derivs, width), text))
    jpeg_bytes = sum(p.path.stat().st_size for pg in pdf_pages for p in pg.pictures)
    files = sum(len(pg.pictures) for pg in pdf_pages)
    spec = PdfSpec("bench", f"items/bench@{size}-{int(with_text)}", 1, len(pages), size)
    downloads = Downloads(cache, 1 << 40)
    cpu0, t0 = time.process_time(), time.perf_counter()
    downloads.ensure(spec, lambda: pdf_pages, "bench")
    job = downloads.wait(spec, 3600)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    assert job is not None and job.state == DONE, job
    pdf_bytes = downloads.pdf_path(spec).stat().st_size
    return {"wall": wall, "cpu": cpu, "pdf": pdf_bytes, "jpeg": jpeg_bytes, "files": files}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--width", type=int, default=2400)
    ap.add_argument("--height", type=int, default=3400)
    ap.add_argument("--words", type=int, default=250, help="words of transcription per page")
    ap.add_argument("--sizes", default="1000,max")
    ap.add_argument("--workers", type=int, default=2, help="processes cutting the pyramids")
    args = ap.parse_args()
    print(f"# bench_pdf: {args.pages} pages of {args.width} x {args.height}, {args.words} words "
          f"each; Python {platform.python_version()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="sudur-bench-pdf-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        jobs = [(n, args.width, args.height, root) for n in range(1, args.pages + 1)]
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            folders = list(pool.map(make_master, jobs, chunksize=4))
        print(f"pyramids cut in {time.perf_counter() - t0:.1f} s (setup, not measured below)")
        pages = [transcription(n, args.words, args.width, args.height)
                 for n in range(1, args.pages + 1)]
        print("| size | text layer | build wall s | build CPU s | wall per page | PDF MB "
              "| JPEG files | JPEG MB | PDF / JPEG | text layer adds |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for size in args.sizes.split(","):
            bare = build(folders, pages, size, root / "cache", with_text=False)
            full = build(folders, pages, size, root / "cache", with_text=True)
            for label, r in (("none", bare), ("yes", full)):
                extra = r["pdf"] - bare["pdf"]
                print(f"| {size} | {label} | {r['wall']:.2f} | {r['cpu']:.2f} "
                      f"| {r['wall'] / args.pages * 1000:.1f} ms | {r['pdf'] / 1e6:.1f} "
                      f"| {r['files']} | {r['jpeg'] / 1e6:.1f} | {r['pdf'] / r['jpeg']:.3f} "
                      f"| {extra / 1e3:.0f} kB |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
