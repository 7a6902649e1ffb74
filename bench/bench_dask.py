"""Ingest pages/s on Dask (1 and 2 workers) against local processes, on the same scans, same run.

    .venv/bin/python bench/bench_dask.py [--pages 20] [--size 4000x3000] [--rounds 3]

Generates ``--pages`` synthetic scans (JPEG, quality 92: a grey page with ruled lines of
text-like noise, each page different) as one item in a temporary folder, then ingests that
item into a fresh library with each executor:

- ``local 1``: ``--workers 1``, every page in the ingest process (the old per-item behaviour);
- ``local 2``: ``--workers 2``, two local worker processes (the default uses every core);
- ``dask 1`` / ``dask 2``: a ``distributed.LocalCluster`` of 1 or 2 single-threaded worker
  processes on 127.0.0.1 (started before the clock starts); masters travel to the workers and
  derivatives back as bytes, as they would to another machine.

Rounds interleave the executors (both clusters stay up); the best round of each counts. Prints
wall seconds, pages/s and the ratio to ``local 1`` and ``local 2`` per executor, and the CPU
seconds per page of every process involved, as a Markdown table, with the load average (the
machine may be shared: the CPU figure hardly depends on that, the wall time does).
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402

from ingest.pipeline import ingest_batch  # noqa: E402
from library.settings import Settings  # noqa: E402


def make_scans(folder: Path, pages: int, size: tuple[int, int]) -> None:
    """``pages`` JPEG scans of ``size``: paper tone, ruled lines of dark blobs, grain."""
    images = folder / "bench-dask" / "images"
    images.mkdir(parents=True)
    w, h = size
    grain = Image.effect_noise((w // 4, h // 4), 18).resize(size).convert("L")
    for p in range(pages):
        rnd = random.Random(p)
        page = Image.new("L", size, 214 - p % 7)
        draw = ImageDraw.Draw(page)
        for y in range(h // 12, h - h // 12, max(24, h // 40)):
            x = w // 12
            while x < w - w // 12:
                word = rnd.randint(w // 80, w // 20)
                draw.rectangle([x, y, x + word, y + max(6, h // 120)], fill=rnd.randint(20, 90))
                x += word + rnd.randint(w // 200, w // 60)
        page = Image.blend(page, grain, 0.15).convert("RGB")
        page.save(images / f"{p + 1:04d}.jpg", quality=92)


def _cpu_of(address: str) -> float:
    """CPU seconds used so far by a Dask cluster's scheduler and worker processes."""
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        workers = sum(client.run(time.process_time).values())
        if client.run_on_scheduler(os.getpid) == os.getpid():
            return workers  # a LocalCluster's scheduler runs here: RUSAGE_SELF counts it
        return workers + client.run_on_scheduler(time.process_time)


def run(batch: Path, work: Path, name: str, **kw) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every process involved) of one ingest into a new library.

    CPU counts this process, its worker processes (reaped when the ingest ends) and, for Dask,
    the scheduler and workers: unlike wall time it hardly depends on what else the machine runs.
    """
    lib = work / f"lib-{name.replace(' ', '-')}"
    dask = kw.get("dask")
    cpu0 = _cpu_of(dask) if dask else 0.0
    r0 = (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    t0 = time.perf_counter()
    summary = ingest_batch(batch, Settings.load(lib), **kw)
    seconds = time.perf_counter() - t0
    r1 = (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    cpu = sum(b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime for a, b in zip(r0, r1))
    if dask:
        cpu += _cpu_of(dask) - cpu0
    if not summary.ok:
        raise SystemExit(f"{name}: {summary.failed}")
    shutil.rmtree(lib, ignore_errors=True)  # the next scenario starts from an empty library
    return seconds, cpu


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--size", default="4000x3000")
    ap.add_argument("--rounds", type=int, default=3, help="best of N per executor")
    args = ap.parse_args(argv)
    size = tuple(int(v) for v in args.size.split("x"))
    from distributed import LocalCluster

    work = Path(tempfile.mkdtemp(prefix="sudur-bench-dask-"))
    try:
        t0 = time.perf_counter()
        make_scans(work / "batch", args.pages, size)
        mb = sum(p.stat().st_size for p in (work / "batch").rglob("*.jpg")) / 1e6
        print(f"{args.pages} scans of {size[0]}×{size[1]} ({mb:.0f} MB of JPEG) made in "
              f"{time.perf_counter() - t0:.1f} s; {os.cpu_count()} cores, load "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address="127.0.0.1:0") as one, \
                LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                             host="127.0.0.1", dashboard_address="127.0.0.1:0") as two:
            scenarios = {"local 1": {"workers": 1}, "local 2": {"workers": 2},
                         "dask 1": {"dask": one.scheduler_address},
                         "dask 2": {"dask": two.scheduler_address}}
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in scenarios}
            # rounds interleave the executors, so a burst of load elsewhere on a shared
            # machine does not land on one executor only; the best round of each counts
            for r in range(args.rounds):
                for name, kw in scenarios.items():
                    runs[name].append(run(work / "batch", work, name, **kw))
                    wall, cpu = runs[name][-1]
                    print(f"round {r + 1} {name}: {wall:.1f} s, {cpu:.1f} CPU s", flush=True)
        best = {name: min(values) for name, values in runs.items()}  # by wall time
        times = {name: wall for name, (wall, _) in best.items()}
        print(f"\nload average after the run: {os.getloadavg()[0]:.1f}\n")
        print("| executor | seconds | pages/s | vs local 1 | vs local 2 | CPU s/page |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, sec in times.items():
            print(f"| {name} | {sec:.1f} | {args.pages / sec:.2f} | "
                  f"{times['local 1'] / sec:.2f}x | {times['local 2'] / sec:.2f}x | "
                  f"{best[name][1] / args.pages:.2f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
