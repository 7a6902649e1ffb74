"""A throwaway Sudur cluster on 127.0.0.1 to try the "beyond one machine" layout (make cluster).

    python cluster/run.py [--dir DIR] [--sample] [--s3-port 8333] [--pg-port 5433]
                          [--dask-port 8786] [--web-ports 5001,5002]

Starts, each in its own process group and all on 127.0.0.1:

- SeaweedFS as the S3 store (cluster/seaweed.py; bucket ``sudur``, prefix ``library``);
- PostgreSQL for the catalogue and the search rows (cluster/postgres.py, database ``sudur``);
- a Dask scheduler and two single-threaded Dask workers (``dask scheduler``/``dask worker``);
- two Sudur web nodes (gunicorn when it is installed, else ``sudur serve``) on 5001 and 5002,
  reading the same catalogue and store, each with a library folder of its own (``DIR/node-N``:
  its caches alone); ingest runs as a third node on ``DIR/library``.

It prints the addresses and the environment an ingest needs; ``--sample`` also ingests the
built-in sample through the Dask workers. Ctrl-C (or SIGTERM) stops everything it started, last
started first; so does any one of them dying. DIR (default: a new temporary folder, removed at
the end) holds every engine's data and logs; run as root, PostgreSQL's data is in a temporary
folder of its own instead (its server runs as the ``postgres`` user, who may not be able to
enter DIR), removed at the end.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from postgres import Postgres  # noqa: E402  (cluster/ is not a package)
from seaweed import Seaweed  # noqa: E402

BIN = Path(sys.executable).parent
START_TIMEOUT = 30.0
STORE_URL = "s3://sudur/library"


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log: Path

    def stop(self, timeout: float = 5.0) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            self.proc.wait()


class Cluster:
    def __init__(self, root: Path, s3_port: int, dask_port: int, web_ports: list[int],
                 pg_port: int = 5433) -> None:
        self.root = root
        self.s3_port, self.dask_port, self.web_ports = s3_port, dask_port, web_ports
        self.pg_port = pg_port
        self.children: list[Child] = []
        self.seaweed: Optional[Seaweed] = None
        self.postgres: Optional[Postgres] = None
        self.env = dict(os.environ)

    @property
    def dask_address(self) -> str:
        return f"tcp://127.0.0.1:{self.dask_port}"

    @property
    def library(self) -> Path:
        return self.root / "library"

    def spawn(self, name: str, argv: list[str], cwd: Optional[Path] = None) -> Child:
        log = self.root / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    env=self.env, cwd=cwd or self.root)
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def start(self) -> None:
        t0 = time.monotonic()
        self.seaweed = Seaweed(self.root / "seaweed", self.s3_port).start()
        self.env.update(self.seaweed.env())
        self.env["SUDUR_STORE_URL"] = STORE_URL
        self._start_postgres()
        self.env["SUDUR_DASK_SCHEDULER"] = self.dask_address
        self.spawn("dask-scheduler", [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                                      "--port", str(self.dask_port), "--no-dashboard"])
        _wait_port(self.dask_port, "the Dask scheduler", self.children[-1])
        for n in (1, 2):
            self.spawn(f"dask-worker-{n}", [str(BIN / "dask"), "worker", self.dask_address,
                                            "--host", "127.0.0.1", "--nthreads", "1",
                                            "--nworkers", "1", "--no-dashboard",
                                            "--name", f"sudur-{n}"])
        self.library.mkdir(parents=True, exist_ok=True)
        for n, port in enumerate(self.web_ports, 1):
            node = self.root / f"node-{n}"
            node.mkdir(parents=True, exist_ok=True)
            child = self.spawn(f"web-{n}", self._web_command(port, node))
            _wait_http(f"http://127.0.0.1:{port}/", f"web node {n}", child)
        self._wait_workers(2)
        print(f"cluster up in {time.monotonic() - t0:.1f} s (data and logs in {self.root})")

    def _start_postgres(self) -> None:
        folder = (Path(tempfile.mkdtemp(prefix="sudur-cluster-pg-")) if os.geteuid() == 0
                  else self.root / "postgres")
        self.postgres = Postgres(folder, self.pg_port)
        self.postgres.start()
        self.env["SUDUR_CATALOG_URL"] = self.postgres.url()
        # the schema (catalogue and search rows) made once, before any node reads it
        subprocess.run([str(BIN / "python"), "-c", "from catalog.catalogue import open_catalog;"
                        "from library.settings import Settings;"
                        f"open_catalog(Settings.load({str(self.library)!r})).close()"],
                       check=True, env=self.env, cwd=HERE.parent)

    def _web_command(self, port: int, node: Path) -> list[str]:
        gunicorn = BIN / "gunicorn"
        if gunicorn.is_file():
            return [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "--env",
                    f"SUDUR_LIBRARY={node}", "viewer:create_app()"]
        return [str(BIN / "sudur"), "--library", str(node), "serve", "--host",
                "127.0.0.1", "--port", str(port)]

    def _wait_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.dask_address, timeout="10s", set_as_default=False) as client:
            client.wait_for_workers(n, timeout=START_TIMEOUT)

    def ingest_sample(self) -> None:
        batch = self.root / "sample"
        subprocess.run([str(BIN / "sudur"), "sample", str(batch)], check=True, env=self.env,
                       stdout=subprocess.DEVNULL)
        subprocess.run([str(BIN / "sudur"), "--library", str(self.library), "ingest", str(batch),
                        "--dask", self.dask_address], check=True, env=self.env)
        item = sorted(p.name for p in batch.iterdir() if p.is_dir())[0]
        for n, port in enumerate(self.web_ports, 1):
            url = f"http://127.0.0.1:{port}/iiif/{item}/manifest"
            with urllib.request.urlopen(url, timeout=30) as resp:
                print(f"web node {n}: {url} -> {resp.status}")

    def describe(self) -> str:
        lines = [f"S3 store      {self.seaweed.endpoint}  ({STORE_URL})",
                 f"Dask          {self.dask_address}  (2 workers)"]
        if self.postgres is not None:
            lines.append(f"PostgreSQL    {self.env.get('SUDUR_CATALOG_URL', '')}")
        lines += [f"web node {n}    http://127.0.0.1:{p}/" for n, p in enumerate(self.web_ports, 1)]
        lines.append("ingest with:")
        exports = {k: v for k, v in self.env.items()
                   if k.startswith(("SUDUR_", "AWS_")) and os.environ.get(k) != v}
        lines += [f"  export {k}={v}" for k, v in sorted(exports.items())]
        lines.append(f"  {BIN / 'sudur'} --library {self.library} ingest BATCH")
        return "\n".join(lines)

    def dead(self) -> Optional[Child]:
        return next((c for c in self.children if c.proc.poll() is not None), None)

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
        if self.postgres is not None:
            self.postgres.stop()
            if self.postgres.folder != self.root / "postgres":
                shutil.rmtree(self.postgres.folder, ignore_errors=True)
        if self.seaweed is not None:
            self.seaweed.stop()


def _wait_port(port: int, what: str, child: Child) -> None:
    import socket

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if child.proc.poll() is not None:
            raise SystemExit(f"{what} exited; see {child.log}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"{what} did not listen on {port} within {START_TIMEOUT:.0f} s")


def _wait_http(url: str, what: str, child: Child) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if child.proc.poll() is not None:
            raise SystemExit(f"{what} exited; see {child.log}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{what} did not answer at {url} within {START_TIMEOUT:.0f} s")


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, help="data and logs (default: a temporary folder)")
    ap.add_argument("--sample", action="store_true", help="ingest the sample through Dask")
    ap.add_argument("--s3-port", type=int, default=8333)
    ap.add_argument("--pg-port", type=int, default=5433)
    ap.add_argument("--dask-port", type=int, default=8786)
    ap.add_argument("--web-ports", default="5001,5002")
    ap.add_argument("--once", action="store_true", help="start, print, stop (a smoke test)")
    args = ap.parse_args(argv)
    root = (args.dir or Path(tempfile.mkdtemp(prefix="sudur-cluster-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(root, args.s3_port, args.dask_port,
                      [int(p) for p in args.web_ports.split(",")], args.pg_port)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        cluster.start()
        if args.sample:
            cluster.ingest_sample()
        print(cluster.describe(), flush=True)
        if args.once:
            return 0
        print("Ctrl-C stops everything", flush=True)
        while (dead := cluster.dead()) is None:
            time.sleep(0.5)
        print(f"{dead.name} exited ({dead.proc.returncode}); see {dead.log}; stopping",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        print("stopping the cluster", file=sys.stderr)
        cluster.stop()
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
