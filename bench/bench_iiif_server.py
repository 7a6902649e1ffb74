"""Image API server benchmark: the real Flask app under gunicorn (2 workers), load from a second
process.

    .venv/bin/python bench/bench_iiif_server.py [--seconds 10] [--concurrency 4]
        [--peers /path/to/throwaway-venv]

A temporary library holds one generated 6000 x 4000 page (bench_images.make_page) with its
pyramid. The load client (another process, ``--concurrency`` threads, a new connection per
request as gunicorn's sync workers close them) runs each scenario for ``--seconds``:

- ``tile``: random tiles that info.json announces, at every scale factor (pre-cut files);
- ``region``: random arbitrary full-resolution regions, 200 to 1200 px (built from tiles; each
  URL is new, so nothing comes from the cache);
- ``scaled``: random arbitrary regions at random smaller sizes (same);
- ``info``: info.json.

It prints requests/s and p50/p95 latency per scenario. With ``--peers VENV`` (a venv holding
``flask-iiif`` and ``iiif`` from PyPI; see docs/benchmarks-images.md) the same tile and region
scenarios run against Invenio's flask-iiif and zimeon's iiif reference server, each under
gunicorn with 2 workers, on the same master.
"""
from __future__ import annotations

import argparse
import http.client
import math
import multiprocessing as mp
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_images import machine, make_page  # noqa: E402

from catalog.db import Catalog  # noqa: E402
from library import imaging  # noqa: E402
from library.models import Item, Page  # noqa: E402
from library.store import Store  # noqa: E402

ITEM = "bench-page"
IMAGE = f"{ITEM}.0001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_library(root: Path, master: Path) -> imaging.Derivatives:
    store = Store(root)
    store.ensure()
    staged = store.new_staging(ITEM)
    (staged / "source" / "images").mkdir(parents=True)
    shutil.copy(master, staged / "source" / "images" / "0001.jpg")
    derivs = imaging.make_derivatives(staged / "source" / "images" / "0001.jpg",
                                      staged / "derived" / "0001")
    version = store.publish(staged)
    item = Item(id=ITEM, titles={"en": "Benchmark page"},
                pages=[Page(item_id=ITEM, order=1, image="images/0001.jpg",
                            width=derivs.width, height=derivs.height)])
    with Catalog(store.catalog_path) as cat:
        cat.put_item(item, version_path=version, source_hash="bench", fixity=[])
    return derivs


def wait_until_up(port: int, path: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer {path}")


def start_gunicorn(python: str, app: str, port: int, env: dict, cwd: Path) -> subprocess.Popen:
    log = open(Path(tempfile.gettempdir()) / f"sudur-bench-gunicorn-{port}.log", "wb")
    proc = subprocess.Popen(
        [python, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level",
         "warning", "--timeout", "120", app], cwd=cwd, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=log)
    proc.log_path = log.name  # type: ignore[attr-defined]
    log.close()
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- URL generators (the same geometry for every server) ---------------------------------------

def tile_urls(width: int, height: int, factors: list[int], ts: int = 512) -> list[str]:
    """Every tile of the Image API tile grid, as region/size (w,h)."""
    out = []
    for sf in factors:
        span = ts * sf
        for y in range(0, height, span):
            for x in range(0, width, span):
                w, h = min(span, width - x), min(span, height - y)
                out.append(f"{x},{y},{w},{h}/{math.ceil(w / sf)},{math.ceil(h / sf)}")
    return out


def region_url(rnd: random.Random, width: int, height: int, scaled: bool) -> str:
    w, h = rnd.randrange(200, 1201), rnd.randrange(200, 1201)
    x, y = rnd.randrange(width - w), rnd.randrange(height - h)
    if not scaled:
        return f"{x},{y},{w},{h}/{w},{h}"
    ow = rnd.randrange(50, min(w, 600))
    return f"{x},{y},{w},{h}/{ow},{max(1, round(h * ow / w))}"


# --- the load client (runs in a second process) -----------------------------------------------

def _client(port: int, paths: list[str], seconds: float, concurrency: int, seed: int,
            out: "mp.Queue") -> None:
    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(n: int) -> None:
        rnd = random.Random(seed * 100 + n)
        mine, bad = [], 0
        while time.perf_counter() < deadline:
            path = rnd.choice(paths)
            t0 = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                conn.close()
                ok = resp.status == 200
            except OSError:
                ok = False
            if ok:
                mine.append(time.perf_counter() - t0)
            else:
                bad += 1
        with lock:
            lat.extend(mine)
            errors[0] += bad

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((lat, errors[0], time.perf_counter() - t0))


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by a server process and its children (the gunicorn workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / ticks


def run_load(port: int, paths: list[str], seconds: float, concurrency: int,
             seed: int = 1, server_pid: int = 0) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_client, args=(port, paths, seconds, concurrency, seed, q))
    cpu0 = server_cpu(server_pid) if server_pid else 0.0
    p.start()
    lat, errors, wall = q.get()
    p.join()
    cpu = server_cpu(server_pid) - cpu0 if server_pid else float("nan")
    lat.sort()
    return {"n": len(lat), "errors": errors, "rps": len(lat) / wall,
            "per_cpu": len(lat) / cpu if cpu and cpu == cpu else float("nan"),
            "p50": 1000 * statistics.median(lat) if lat else float("nan"),
            "p95": 1000 * lat[int(0.95 * (len(lat) - 1))] if lat else float("nan")}


def scenarios(prefix: str, width: int, height: int, factors: list[int], fmt: str = "jpg",
              quality: str = "default", n_random: int = 20000) -> dict[str, list[str]]:
    rnd = random.Random(7)
    tail = f"/0/{quality}.{fmt}"
    return {
        "tile": [f"{prefix}/{u}{tail}" for u in tile_urls(width, height, factors)],
        "region": [f"{prefix}/{region_url(rnd, width, height, False)}{tail}"
                   for _ in range(n_random)],
        "scaled": [f"{prefix}/{region_url(rnd, width, height, True)}{tail}"
                   for _ in range(n_random)],
        "info": [f"{prefix}/info.json"],
    }


def report(name: str, results: dict[str, dict]) -> None:
    for scen, r in results.items():
        print(f"{name:12s} {scen:12s} {r['rps']:8.1f} req/s  p50 {r['p50']:7.1f} ms  "
              f"p95 {r['p95']:7.1f} ms  {r['per_cpu']:8.1f} req per server CPU s  "
              f"({r['n']} ok, {r['errors']} errors)")


def bench_sudur(lib: Path, derivs, seconds: float, concurrency: int) -> dict[str, dict]:
    port = free_port()
    proc = start_gunicorn(sys.executable, "viewer:create_app()", port,
                          {"SUDUR_LIBRARY": str(lib)}, ROOT)
    try:
        wait_until_up(port, f"/iiif/3/{IMAGE}/info.json", proc)
        urls = scenarios(f"/iiif/3/{IMAGE}", derivs.width, derivs.height,
                         derivs.scale_factors)
        return {k: run_load(port, v, seconds, concurrency, server_pid=proc.pid)
                for k, v in urls.items()}
    finally:
        stop(proc)


# --- peers -------------------------------------------------------------------------------------

FLASK_IIIF_APP = '''
import os
from flask import Flask
from flask_iiif import IIIF
from flask_iiif.restful import IIIFImageAPI
from flask_restful import Api

app = Flask(__name__)
app.config["IIIF_CACHE_HANDLER"] = "flask_iiif.cache.simple:ImageSimpleCache"
ext = IIIF(app=app)
api = Api(app=app)
ext.init_restful(api, prefix="/iiif/")
IMAGES = os.environ["PEER_IMAGES"]

@ext.uuid_to_image_opener_handler
def opener(uuid):
    return os.path.join(IMAGES, uuid + ".jpg")
'''


ZIMEON_APP = '''
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("iiif_testserver", os.environ["ZIMEON_SCRIPT"])
server = importlib.util.module_from_spec(spec)
spec.loader.exec_module(server)
sys.argv = ["iiif_testserver.py", "--image-dir", os.environ["PEER_IMAGES"], "--api-versions",
            "3.0", "--manipulators", "pil", "--host", "127.0.0.1", "--port",
            os.environ["PEER_PORT"], "--quiet"]
cfg = server.get_config()
app = server.setup_app(server.create_testserver_flask_app(cfg), cfg)
'''


def bench_peers(venv: Path, master: Path, width: int, height: int, factors: list[int],
                seconds: float, concurrency: int, work: Path) -> dict[str, dict[str, dict]]:
    """Each peer under gunicorn -w 2 on a copy of the same master. flask-iiif caches what it
    makes (in memory, per worker): "tile (cold)" asks it not to (?cache-control=no-cache), as on
    a first visit; "tile (warm)" lets it, after every tile was fetched once by each worker."""
    python = str(venv / "bin" / "python")
    images = work / "peer-images"
    images.mkdir(exist_ok=True)
    shutil.copy(master, images / "page.jpg")
    (work / "flask_iiif_app.py").write_text(FLASK_IIIF_APP)
    (work / "zimeon_app.py").write_text(ZIMEON_APP)
    env = {"PEER_IMAGES": str(images),
           "ZIMEON_SCRIPT": str(venv / "bin" / "iiif_testserver.py")}
    peers = [("flask-iiif", "flask_iiif_app:app", "/iiif/v2/page"),
             ("zimeon-iiif", "zimeon_app:app", "/3.0_pil/page")]
    out: dict[str, dict[str, dict]] = {}
    for name, app, prefix in peers:
        port = free_port()
        proc = start_gunicorn(python, app, port, {**env, "PEER_PORT": str(port)}, work)
        try:
            wait_until_up(port, f"{prefix}/info.json", proc, timeout=60)
            urls = scenarios(prefix, width, height, factors)
            res: dict[str, dict] = {}
            if name == "flask-iiif":
                res["tile (cold)"] = run_load(port, [u + "?cache-control=no-cache"
                                                     for u in urls["tile"]], seconds,
                                              concurrency, server_pid=proc.pid)
                for _ in range(8):  # each worker caches alone; a pass reaches each about half
                    _warm(port, urls["tile"])
                res["tile (warm)"] = run_load(port, urls["tile"], seconds, concurrency,
                                              server_pid=proc.pid)
            else:
                res["tile"] = run_load(port, urls["tile"], seconds, concurrency,
                                       server_pid=proc.pid)
            res["region"] = run_load(port, urls["region"], seconds, concurrency,
                                     server_pid=proc.pid)
            out[name] = res
        except RuntimeError as exc:
            err = Path(proc.log_path).read_text(errors="replace")[-2000:]  # type: ignore
            print(f"{name}: {exc}\n{err}")
        finally:
            stop(proc)
    return out


def _warm(port: int, paths: list[str]) -> None:
    for path in paths:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("GET", path)
        conn.getresponse().read()
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--width", type=int, default=6000)
    ap.add_argument("--height", type=int, default=4000)
    ap.add_argument("--peers", type=Path, default=None,
                    help="a throwaway venv with flask-iiif, iiif (zimeon) and gunicorn")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sudur-bench-iiif-") as tmp:
        work = Path(tmp)
        master = work / "page.jpg"
        make_page(master, args.width, args.height)
        derivs = build_library(work / "library", master)
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
        print(f"image: {derivs.width} x {derivs.height} JPEG, scale factors "
              f"{derivs.scale_factors}; gunicorn -w 2; client: {args.concurrency} threads in "
              f"another process, {args.seconds:.0f} s per scenario")
        ours = bench_sudur(work / "library", derivs, args.seconds, args.concurrency)
        report("sudur", ours)
        if args.peers:
            peers = bench_peers(args.peers, master, derivs.width, derivs.height,
                                derivs.scale_factors, args.seconds, args.concurrency, work)
            for name, res in peers.items():
                report(name, res)
            for scen in ("tile", "region"):
                best = max((v["rps"] for r in peers.values() for k, v in r.items()
                            if k.startswith(scen)), default=0)
                best_cpu = max((v["per_cpu"] for r in peers.values() for k, v in r.items()
                                if k.startswith(scen)), default=0)
                if best:
                    print(f"sudur / fastest peer, {scen}: {ours[scen]['rps'] / best:.1f}x "
                          f"requests/s, {ours[scen]['per_cpu'] / best_cpu:.1f}x requests per "
                          "server CPU second")


if __name__ == "__main__":
    main()
