"""Image benchmark: cutting pyramids at ingest, and serving requests without a server.

    .venv/bin/python bench/bench_images.py [--width 6000 --height 4000] [--runs 3]
        [--baseline GIT-REVISION] [--no-peer]

On a generated page (paper-like noise with dark strokes, saved as JPEG quality 90):

1. ``make_derivatives``: seconds per page and per megapixel (one core, best and median of runs),
   and the peak memory of a 12,000 x 9,000 master in a fresh process;
2. tiles per second three ways, all for random 512 px tiles at full resolution:
   cropping from the master (decode the JPEG, crop, encode: what a server without a pyramid
   does), reading the pre-cut tile file, and ``render`` of random arbitrary regions from tiles;
3. the same requests answered by this tree's ``render``, by the ``render`` of ``--baseline``
   (``library/imaging.py`` or ``library/imaging/`` at that git revision, loaded beside this one)
   and by IIPImage (bench/iipsrv_peer.py, on a pyramidal TIFF of the same master), in
   alternating rounds: a sized full image (``full/1000,``), ``full/max`` under a 2000 px
   ``max_width`` (IIPImage is asked ``full/2000,``) and random 1000 x 1000 full-resolution
   regions. Sudur is measured in process (no HTTP); IIPImage through FastCGI with a new
   connection per request, and its CPU is that of the iipsrv process. (Tiles are left out: a
   pre-cut file read in process against a server round trip says nothing; bench_iiif_server.py
   compares tiles over HTTP.)
"""
from __future__ import annotations

import argparse
import importlib.util
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

import iipsrv_peer  # noqa: E402  (bench/ is this script's folder)
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


def load_baseline(revision: str):
    """``library.imaging`` as it was at ``revision``, importable beside this tree's."""
    files = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", revision,
                            "library/imaging.py", "library/imaging/"], check=True,
                           capture_output=True, text=True).stdout.split()
    if not files:
        raise SystemExit(f"{revision} has no library/imaging")
    folder = Path(tempfile.mkdtemp(prefix="sudur-bench-baseline-"))
    for name in files:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:{name}"],
                                          check=True, capture_output=True).stdout)
    package = folder / "library" / "imaging"
    location = package / "__init__.py" if package.is_dir() else folder / "library" / "imaging.py"
    # A sibling of library.imaging, so its relative imports (..errors, .iiif_image) resolve here.
    name = "library._baseline_imaging"
    spec = importlib.util.spec_from_file_location(
        name, location, submodule_search_locations=[str(package)] if package.is_dir() else None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def served_requests(derivs, seed: int) -> dict[str, list[tuple[str, str]]]:
    """Each kind of request as (region, size) pairs, the same list for every server."""
    rnd = random.Random(seed)
    regions = []
    for _ in range(200):
        x, y = rnd.randrange(derivs.width - 1000), rnd.randrange(derivs.height - 1000)
        regions.append((f"{x},{y},1000,1000", "max"))
    return {"full/1000,": [("full", "1000,")], "full/max at 2000 px": [("full", "max")],
            "1000x1000 region, full resolution": regions}


def _peer_size(kind: str, size: str) -> str:
    return "2000," if kind == "full/max at 2000 px" else size


def _run(fn, requests: list, seconds: float) -> Rate:
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        fn(requests[n % len(requests)])
        n += 1
    return Rate(n, time.perf_counter() - t0, time.process_time() - c0)


def _run_peer(server, requests: list, seconds: float) -> Rate:
    n, t0, s0 = 0, time.perf_counter(), server.cpu()
    while time.perf_counter() - t0 < seconds:
        region, size = requests[n % len(requests)]
        server.get(f"page.tif/{region}/{size}/0/default.jpg")
        n += 1
    return Rate(n, time.perf_counter() - t0, server.cpu() - s0)


def compare_servers(master: Path, out: Path, derivs, work: Path, seconds: float, rounds: int,
                    baseline, peer: bool) -> None:
    """Rates of the served requests for every peer, in alternating rounds (median reported)."""
    limited = Settings(max_width=2000, max_height=2000)
    kinds = served_requests(derivs, seed=6)
    parsed = {kind: [parse_request("b.0001", region, size, "0", "default.jpg",
                                   width=derivs.width, height=derivs.height,
                                   settings=limited if "2000" in kind else Settings())
                     for region, size in reqs] for kind, reqs in kinds.items()}
    peers: dict[str, object] = {"this tree": imaging.render}
    if baseline is not None:
        peers["baseline"] = baseline.render
    server = None
    why = iipsrv_peer.available() if peer else "--no-peer"
    if why is None:
        tiff_root = work / "iip"
        tiff_root.mkdir()
        iipsrv_peer.pyramid_tiff(master, tiff_root / "page.tif")
        server = iipsrv_peer.IIPServer(tiff_root)
        peers["IIPImage"] = server
        print(f"peer: {iipsrv_peer.version()}, tiled JPEG TIFF by vips, quality 85")
    else:
        print(f"IIPImage peer skipped: {why}")
    try:
        for kind, reqs in parsed.items():
            # Same answer size everywhere, checked once before timing.
            sizes = {name: Image.open(io.BytesIO(
                p.get(f"page.tif/{kinds[kind][0][0]}/{_peer_size(kind, kinds[kind][0][1])}"
                      "/0/default.jpg") if name == "IIPImage" else p(reqs[0], out, derivs))).size
                for name, p in peers.items()}
            assert len(set(sizes.values())) == 1, (kind, sizes)
            results: dict[str, list[Rate]] = {name: [] for name in peers}
            for round_ in range(rounds):
                order = list(peers) if round_ % 2 == 0 else list(reversed(peers))
                for name in order:
                    p = peers[name]
                    if name == "IIPImage":
                        pairs = [(r, _peer_size(kind, s)) for r, s in kinds[kind]]
                        results[name].append(_run_peer(p, pairs, seconds))
                    else:
                        results[name].append(_run(lambda req, f=p: f(req, out, derivs), reqs,
                                                  seconds))
            medians = {name: (statistics.median(r.n / r.wall for r in rates),
                              statistics.median(r.n / max(r.cpu, 1e-9) for r in rates))
                       for name, rates in results.items()}
            print(f"{kind} -> {sizes['this tree'][0]} x {sizes['this tree'][1]} px "
                  f"(median of {rounds} rounds of {seconds:g} s):")
            ref = medians.get("IIPImage")
            for name, (wall, cpu) in medians.items():
                vs = f"; {wall / ref[0]:.2f}x / {cpu / ref[1]:.2f}x IIPImage" \
                    if ref and name != "IIPImage" else ""
                print(f"  {name:10} {wall:8.1f}/s wall, {cpu:8.1f}/s per CPU second{vs}")
    finally:
        if server is not None:
            server.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--width", type=int, default=6000)
    ap.add_argument("--height", type=int, default=4000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--skip-large", action="store_true", help="skip the 12,000 x 9,000 master")
    ap.add_argument("--baseline", metavar="REV",
                    help="also time library/imaging at this git revision (before a change)")
    ap.add_argument("--no-peer", action="store_true", help="do not run IIPImage")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the served requests")
    ap.add_argument("--only-served", action="store_true",
                    help="skip the derivative and tile timings (sections 1 and 2)")
    args = ap.parse_args()
    baseline = load_baseline(args.baseline) if args.baseline else None
    with tempfile.TemporaryDirectory(prefix="sudur-bench-img-") as tmp:
        work = Path(tmp)
        master = work / "page.jpg"
        make_page(master, args.width, args.height)
        print(f"machine: {machine()}")
        print(f"master: {args.width} x {args.height} JPEG q90, "
              f"{master.stat().st_size / 1e6:.1f} MB")
        d = bench_derivatives(master, work, 1 if args.only_served else args.runs)
        derivs = d["derivs"]
        if not args.only_served:
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
        print(f"load average: {os.getloadavg()[0]:.1f}")
        compare_servers(master, d["out"], derivs, work, args.seconds, args.rounds, baseline,
                        not args.no_peer)
        print(f"load average: {os.getloadavg()[0]:.1f}")
        print(f"this process peak RSS: "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")

if __name__ == "__main__":
    main()
