"""Load test: Sudur under gunicorn (2 workers, loopback) driven by wrk for a fixed time.

    .venv/bin/python bench/load.py [--seconds 60] [--connections 50] [--library DIR]
        [--json out.json]

A temporary library holds the built-in sample (``sudur sample`` + ingest) unless ``--library``
names one. Five wrk processes (Debian package ``wrk``) run at once, one per kind of request,
sharing ``--connections`` between them: deep-zoom tiles (every tile every info.json announces),
``info.json``, IIIF manifests, search (``/api/search`` and the HTML ``/search`` in every
script of the sample) and record pages. Each wrk reports its requests, errors (connect, read,
write, timeout, non-2xx/3xx status) and latency percentiles from its Lua ``done`` hook.
Meanwhile the resident memory of each gunicorn worker is sampled once a second.

It prints, per kind, throughput and p50/p95/p99 latency, and the workers' memory in the first
and the last 10 s. The exit status is 1 if any request failed or memory grew by more than 10 %
between those windows. The run is bounded: wrk stops itself after ``--seconds`` and every
child process is killed at the end, whatever happens.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from catalog.db import Catalog  # noqa: E402
from library import imaging  # noqa: E402
from library.settings import Settings  # noqa: E402
from library.store import Store  # noqa: E402

# connections per kind, out of 50 (scaled to --connections)
MIX = {"tile": 20, "info": 8, "manifest": 6, "search": 8, "record": 8}

LUA = """
local paths = {%(paths)s}
local i = 0
init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) %% 100000)
  i = math.random(#paths)
end
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status": %%d, "timeout": %%d, "p50": %%d, "p95": %%d, "p99": %%d, ' ..
    '"max": %%d, "mean": %%f}\\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean))
end
"""


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = ""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": mem,
            "python": platform.python_version(), "kernel": platform.release(),
            "loadavg_at_start": Path("/proc/loadavg").read_text().split()[0]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_library(lib: Path) -> None:
    from ingest.pipeline import ingest_batch
    from library.sample import write_sample

    batch = lib.parent / "sample-batch"
    write_sample(batch)
    summary = ingest_batch(batch, Settings.load(lib), workers=os.cpu_count() or 1)
    if summary.failed:
        raise SystemExit(f"the sample did not ingest: {summary.failed}")


def tile_urls(image: str, derived: Path) -> list[str]:
    """Every tile info.json announces, as OpenSeadragon asks for it (region x,y,w,h; size w,)."""
    info = imaging.load_derivatives(derived)
    w, h, ts = info.width, info.height, info.tile_size
    out = []
    for sf in info.scale_factors:
        step = ts * sf
        for y in range(0, h, step):
            for x in range(0, w, step):
                rw, rh = min(step, w - x), min(step, h - y)
                region = "full" if (x, y, rw, rh) == (0, 0, w, h) else f"{x},{y},{rw},{rh}"
                out.append(f"/iiif/3/{image}/{region}/{math.ceil(rw / sf)},/0/default.jpg")
    return out


def search_words(text: str, limit: int = 4) -> list[str]:
    words = [w for w in re.split(r"[\s་།,.;:!?()\[\]\"'«»《》、，。]+", text) if len(w) >= 2]
    return words[:limit]


def collect_paths(lib: Path) -> dict[str, list[str]]:
    store = Store(lib)
    paths: dict[str, list[str]] = {k: [] for k in MIX}
    with Catalog(store.catalog_path, readonly=True) as cat:
        for item in cat.items(with_pages=True):
            base = store.root / cat.version_path(item.id)
            paths["manifest"].append(f"/iiif/{item.id}/manifest")
            paths["record"].append(f"/items/{item.id}")
            for page in item.pages:
                if not page.image:
                    continue
                image = f"{item.id}.{page.order:04d}"
                paths["info"].append(f"/iiif/3/{image}/info.json")
                paths["tile"] += tile_urls(image, base / "derived" / f"{page.order:04d}")
                for word in search_words(page.text, 2):
                    q = urllib.parse.quote(word)
                    paths["search"] += [f"/api/search?q={q}", f"/search?q={q}"]
    paths["search"] = sorted(set(paths["search"]))
    return paths


def worker_pids(master: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                out.append(int(d.name))
    return sorted(out)


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    def __init__(self, master: int) -> None:
        super().__init__(daemon=True)
        self.master = master
        self.samples: list[tuple[float, dict[int, int]]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        t0 = time.monotonic()
        while not self.stop.wait(1.0):
            self.samples.append((time.monotonic() - t0, {p: rss_kib(p) for p in
                                                         worker_pids(self.master)}))

    def window(self, first: bool, seconds: float = 10.0) -> dict[str, float]:
        if not self.samples:
            return {}
        end = self.samples[-1][0]
        chosen = [s for t, s in self.samples if (t <= seconds if first else t > end - seconds)]
        totals = [sum(s.values()) / 1024 for s in chosen if s]
        return {"total_mib": round(statistics.mean(totals), 1) if totals else 0.0,
                "workers": len(chosen[-1]) if chosen else 0}


def wait_ready(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer at {url}")


def check_paths(base: str, paths: dict[str, list[str]]) -> None:
    """Every URL answers 200 before the run (also warms each worker's caches a little)."""
    for kind, urls in paths.items():
        for u in urls[:: max(1, len(urls) // 40)]:
            with urllib.request.urlopen(base + u, timeout=30) as r:
                if r.status != 200:
                    raise SystemExit(f"{kind}: {u} answered {r.status}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    ap.add_argument("--library", type=Path, help="an existing library (default: the sample)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    mach = machine()  # the load average before anything of ours runs
    wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="sudur-load-"))
    procs: list[subprocess.Popen] = []
    try:
        lib = args.library
        if lib is None:
            lib = tmp / "library"
            t0 = time.perf_counter()
            build_library(lib)
            print(f"sample library built in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        paths = collect_paths(lib)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "SUDUR_LIBRARY": str(lib)}
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        server = subprocess.Popen(
            [gunicorn, "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--backlog", "2048",
             "--log-level", "warning", "viewer:create_app()"], cwd=ROOT, env=env,
            start_new_session=True)
        procs.append(server)
        wait_ready(base + "/", time.monotonic() + 60)
        check_paths(base, paths)
        sampler = MemorySampler(server.pid)
        sampler.start()
        scale = args.connections / sum(MIX.values())
        runs = {}
        for kind, share in MIX.items():
            conns = max(1, round(share * scale))
            script = tmp / f"{kind}.lua"
            script.write_text(LUA % {"paths": ", ".join(json.dumps(p) for p in paths[kind])},
                              encoding="utf-8")
            p = subprocess.Popen([wrk, "-t1", f"-c{conns}", f"-d{args.seconds}s",
                                  "--timeout", "10s", "-s", str(script), base],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 start_new_session=True)
            procs.append(p)
            runs[kind] = (p, conns)
        results = {}
        for kind, (p, conns) in runs.items():
            out, _ = p.communicate(timeout=args.seconds + 60)
            m = re.search(r"^RESULT (\{.*\})$", out, re.M)
            if not m:
                raise SystemExit(f"wrk ({kind}) printed no result:\n{out}")
            r = json.loads(m.group(1))
            r["connections"] = conns
            r["urls"] = len(paths[kind])
            r["errors"] = sum(r[k] for k in ("connect", "read", "write", "status", "timeout"))
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
            results[kind] = r
        time.sleep(1.5)
        sampler.stop.set()
        sampler.join()
        first, last = sampler.window(True), sampler.window(False)
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    total_req = sum(r["requests"] for r in results.values())
    total_err = sum(r["errors"] for r in results.values())
    growth = (last["total_mib"] - first["total_mib"]) / first["total_mib"] if first else 0.0
    report = {"machine": mach, "seconds": args.seconds, "connections": args.connections,
              "gunicorn_workers": args.workers, "kinds": results,
              "total_requests": total_req, "total_errors": total_err,
              "memory_first_10s_mib": first, "memory_last_10s_mib": last,
              "memory_growth": round(growth, 4)}
    m = report["machine"]
    print(f"machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']}, Python {m['python']}, "
          f"load average {m['loadavg_at_start']} at the start, "
          f"{Path('/proc/loadavg').read_text().split()[0]} at the end")
    print(f"{args.seconds} s, {args.connections} connections, gunicorn -w {args.workers}\n")
    print("| kind | connections | URLs | requests | req/s | p50 ms | p95 ms | p99 ms | max ms "
          "| errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, r in results.items():
        print(f"| {kind} | {r['connections']} | {r['urls']} | {r['requests']} | {r['rps']:.1f} "
              f"| {r['p50'] / 1000:.1f} | {r['p95'] / 1000:.1f} | {r['p99'] / 1000:.1f} "
              f"| {r['max'] / 1000:.0f} | {r['errors']} |")
    print(f"| all | {args.connections} | | {total_req} | "
          f"{sum(r['rps'] for r in results.values()):.1f} | | | | | {total_err} |")
    print(f"\nworkers' resident memory: {first['total_mib']} MiB in the first 10 s, "
          f"{last['total_mib']} MiB in the last 10 s ({growth:+.1%})")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    ok = total_err == 0 and growth <= 0.10
    if not ok:
        print("FAILED: errors or memory growth", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
