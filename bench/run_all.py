"""Run every benchmark (``bench/bench_*.py``) one after another and print their figures.

    .venv/bin/python bench/run_all.py [--full] [--only NAME ...] [--timeout SECONDS]

By default each script gets small sizes (below), so that the whole run takes a few minutes on a
shared 2-core machine: a smoke run showing that every benchmark still works and roughly where its
figures sit. ``--full`` runs each script with its own defaults, the sizes docs/benchmarks.md
reports (that takes much longer: the search benchmark alone indexes 20,000 pages). Each script
runs in its own process with a timeout; the exit status is 1 if any failed. ``bench/load.py`` is
not run: it needs ``wrk`` and a minute per run (see docs/benchmarks-load.md).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# Small sizes per script, chosen from each script's own options.
SMALL: dict[str, list[str]] = {
    "bench_analysis": ["50"],  # pages
    "bench_images": ["--width", "2000", "--height", "1500", "--runs", "1", "--seconds", "1",
                     "--skip-large"],
    "bench_iiif_server": ["--seconds", "2", "--concurrency", "2", "--width", "2000",
                          "--height", "1500"],
    "bench_ingest": ["--items", "2", "--pages", "3", "--size", "1600x1200"],
    "bench_manifest": ["--pages", "200", "--requests", "50"],
    "bench_pdf": ["--pages", "20"],
    "bench_search": ["--pages", "600", "--repeat", "1", "--procs", "2"],
    "bench_results": ["--pages", "600", "--repeat", "1", "--procs", "2"],
    "bench_dask": ["--pages", "4", "--size", "1600x1200", "--rounds", "1"],
    "bench_store": ["--rounds", "1"],
    "bench_pg_pool": ["--requests", "20", "--rounds", "1"],
    "bench_pg_search": ["--pages", "600", "--repeat", "1"],
    "bench_visibility": ["--items", "2", "--pages", "2"],
}
SHARED_CORPORA = ROOT.parent / "shared" / "corpora"
NEEDS_CORPORA = {"bench_search", "bench_results"}  # vocabulary from ../shared/corpora


def scripts() -> list[Path]:
    return sorted(BENCH.glob("bench_*.py"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--full", action="store_true", help="each script's own (large) defaults")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="e.g. bench_images bench_search")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per script")
    args = ap.parse_args()

    chosen = [p for p in scripts() if not args.only or p.stem in args.only]
    unknown = set(args.only or ()) - {p.stem for p in scripts()}
    if unknown:
        ap.error(f"no such benchmark: {', '.join(sorted(unknown))}")
    results: list[tuple[str, str, float]] = []
    for path in chosen:
        name = path.stem
        if name in NEEDS_CORPORA and not SHARED_CORPORA.is_dir():
            print(f"\n=== {name}: skipped, the shared corpora are not at {SHARED_CORPORA}")
            results.append((name, "skipped", 0.0))
            continue
        argv = [] if args.full else SMALL.get(name, [])
        if not args.full and name not in SMALL:
            print(f"\n(no small sizes for {name} in bench/run_all.py: its defaults are used)")
        print(f"\n=== {name} {' '.join(argv)}", flush=True)
        t0 = time.perf_counter()
        try:
            rc = subprocess.run([sys.executable, str(path), *argv], cwd=ROOT,
                                timeout=args.timeout).returncode
            status = "ok" if rc == 0 else f"failed (exit {rc})"
        except subprocess.TimeoutExpired:
            status = f"timed out after {args.timeout:.0f} s"
        results.append((name, status, time.perf_counter() - t0))

    print("\n=== summary")
    for name, status, seconds in results:
        print(f"{name:20s} {status:24s} {seconds:6.1f} s")
    return 0 if all(s in ("ok", "skipped") for _, s, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
