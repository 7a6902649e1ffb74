"""Image benchmark: cutting pyramids at ingest, and serving tiles without a server.

    .venv/bin/python bench/bench_images.py [--width 6000 --height 4000] [--runs 3]

On a generated page (paper-like noise with dark strokes, saved as JPEG quality 90):

1. ``make_derivatives``: seconds per page and per megapixel (one core, best and median of runs),
   and the peak memory of a 12,000 x 9,000 master in a fresh process;
2. tiles per second three ways, all for random 512 px tiles at full resolution:
   cropping from the master (decode the JPEG, crop, encode: what a server without a pyramid
   does), reading the pre-cut tile file, and ``render`` of random arbitrary regions from tiles.
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402  (benchmarks may use Pillow directly)

from library import imaging  # noqa: E402
from library.iiif_image import parse_request  # noqa: E402
from library.settings import Settings  # noqa: E402


class Rate:
    """n operations in wall and CPU seconds; printed as both rates (other load skews wall)."""

    def __init__(self, n: int, wall: float, cpu: float) -> None:
        self.n, self.wall, self.cpu = n, wall, cpu

    def __format__(self, spec: str) -> str:
        return (f"{format(self.n / self.wall, spec)}/s wall, "
                f"{format(self.n / max(self.cpu, 1e-9), spec)}/s per CPU second")


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, " \
           f"Pillow {Image.__version__}"


def make_page(path: Path, width: int, height: int, seed: int = 1) -> None:
    """A scan-like page: paper noise (what makes real scans expensive to code) and strokes."""
    rnd = random.Random(seed)
    noise = Image.effect_noise((width, height), 12).point(lambda v: 150 + v // 3)
    page = Image.merge("RGB", (noise.point(lambda v: min(255, v + 20)),
                               noise.point(lambda v: min(255, v + 12)), noise))
    draw = ImageDraw.Draw(page)
    for _ in range(width * height // 4000):
        x, y = rnd.randrange(width), rnd.randrange(height)
        draw.line([x, y, x + rnd.randrange(-30, 30), y + rnd.randrange(5, 60)],
                  fill=(rnd.randrange(10, 60),) * 3, width=rnd.randrange(2, 6))
    page.save(path, quality=90)


def bench_derivatives(master: Path, work: Path, runs: int) -> dict:
    times, cpu = [], []
    for n in range(runs):
        out = work / f"d{n}"
        t0, c0 = time.perf_counter(), time.process_time()
        derivs = imaging.make_derivatives(master, out)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if n < runs - 1:
            shutil.rmtree(out)
    mp = derivs.width * derivs.height / 1e6
    return {"best_s": min(times), "median_s": statistics.median(times),
            "cpu_s": min(cpu), "cpu_s_per_mp": min(cpu) / mp, "s_per_mp": min(times) / mp,
            "files": len(derivs.files), "derivs": derivs, "out": work / f"d{runs - 1}"}


def peak_memory_large(work: Path, width: int = 12000, height: int = 9000) -> tuple[float, float]:
    big = work / "big.jpg"
    make_page(big, width, height, seed=2)
    script = textwrap.dedent(f"""
        import resource, sys, time
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from library import imaging
        t0 = time.perf_counter()
        imaging.make_derivatives(Path({str(big)!r}), Path({str(work / 'big-d')!r}))
        # VmHWM is this program's own peak (ru_maxrss would include the parent's at fork)
        hwm = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")]
        peak = int(hwm[0]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(time.perf_counter() - t0, peak)
    """)
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                         text=True).stdout.split()
    return float(out[0]), int(out[1]) / 1024


def tiles_from_master(master: Path, width: int, height: int, seconds: float) -> Rate:
    rnd = random.Random(3)
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        col, row = rnd.randrange(width // 512), rnd.randrange(height // 512)
        with Image.open(master) as im:
            tile = im.crop((col * 512, row * 512, col * 512 + 512, row * 512 + 512))
            buf = io.BytesIO()
            tile.save(buf, "JPEG", quality=85)
        n += 1
    return Rate(n, time.perf_counter() - t0, time.process_time() - c0)


def tiles_from_files(out: Path, derivs, seconds: float) -> Rate:
    rnd = random.Random(4)
    paths = [imaging.tile_path(out, sf, c, r) for sf in derivs.scale_factors
             for c in range(-(-derivs.width // (512 * sf)))
             for r in range(-(-derivs.height // (512 * sf)))]
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        for _ in range(1000):
            rnd.choice(paths).read_bytes()
        n += 1000
    return Rate(n, time.perf_counter() - t0, time.process_time() - c0)


def regions_from_tiles(out: Path, derivs, seconds: float, full_res: bool) -> Rate:
    rnd = random.Random(5)
    settings = Settings()
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        w, h = rnd.randrange(200, 1200), rnd.randrange(200, 1200)
        x, y = rnd.randrange(derivs.width - w), rnd.randrange(derivs.height - h)
        size = "max" if full_res else f"{rnd.randrange(100, min(600, w))},"
        req = parse_request("b.0001", f"{x},{y},{w},{h}", size, "0", "default.jpg",
                            width=derivs.width, height=derivs.height, settings=settings)
        imaging.render(req, out, derivs)
        n += 1
    return Rate(n, time.perf_counter() - t0, time.process_time() - c0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--width", type=int, default=6000)
    ap.add_argument("--height", type=int, default=4000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--skip-large", action="store_true", help="skip the 12,000 x 9,000 master")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sudur-bench-img-") as tmp:
        work = Path(tmp)
        master = work / "page.jpg"
        make_page(master, args.width, args.height)
        print(f"machine: {machine()}")
        print(f"master: {args.width} x {args.height} JPEG q90, "
              f"{master.stat().st_size / 1e6:.1f} MB")
        d = bench_derivatives(master, work, args.runs)
        derivs = d["derivs"]
        print(f"make_derivatives: CPU {d['cpu_s']:.3f} s/page ({d['cpu_s_per_mp']:.4f} s/MP); "
              f"wall best {d['best_s']:.3f} s, median {d['median_s']:.3f} s "
              f"({d['s_per_mp']:.4f} s/MP); {d['files']} files, scale factors "
              f"{derivs.scale_factors}")
        if not args.skip_large:
            secs, peak = peak_memory_large(work)
            print(f"12000 x 9000 master: {secs:.2f} s, peak RSS {peak:.0f} MiB")
        print(f"load average: {os.getloadavg()[0]:.1f}")
        print(f"512 px tiles cropped from the master (decode, crop, encode): "
              f"{tiles_from_master(master, args.width, args.height, args.seconds):.1f}")
        print(f"pre-cut tiles read from disk: "
              f"{tiles_from_files(d['out'], derivs, args.seconds):,.0f}")
        print(f"render, random full-resolution regions (200-1200 px) from tiles: "
              f"{regions_from_tiles(d['out'], derivs, args.seconds, True):.1f}")
        print(f"render, random regions scaled to 100-600 px wide from tiles: "
              f"{regions_from_tiles(d['out'], derivs, args.seconds, False):.1f}")
        print(f"this process peak RSS: "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
