"""IIPImage (``iipsrv``) as a peer for the image benchmark, driven over FastCGI on localhost.

Debian's ``iipimage-server`` ships ``/usr/lib/iipimage-server/iipsrv.fcgi``; started with
``--bind HOST:PORT`` it listens on its own, so no web server is needed: ``IIPServer`` starts it,
and ``get`` speaks just enough FastCGI (a new connection per request) to send an IIIF request
and read the image back.
It reads pyramidal tiled TIFF, written here by ``vips tiffsave`` (Debian ``libvips-tools``).

Settings given to iipsrv, so the two servers do the same work: JPEG quality 85 (Sudur's;
iipsrv's default is 75), its default 10 MB tile cache and bilinear interpolation, and JPEG
tiles of Sudur's tile size in the TIFF.
"""
from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

IIPSRV = Path("/usr/lib/iipimage-server/iipsrv.fcgi")

_BEGIN, _END, _PARAMS, _STDIN, _STDOUT = 1, 3, 4, 5, 6
_RESPONDER = 1


def available() -> Optional[str]:
    """None when the peer can run here, else why not."""
    if not IIPSRV.exists():
        return f"{IIPSRV} missing (apt-get install iipimage-server)"
    if shutil.which("vips") is None:
        return "vips missing (apt-get install libvips-tools)"
    return None


def version() -> str:
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "iipimage-server"],
                         capture_output=True, text=True)
    return f"iipimage-server {out.stdout.strip() or '?'}"


def pyramid_tiff(master: Path, out: Path, tile_size: int = 512, quality: int = 85) -> Path:
    """The master as a tiled, JPEG-compressed pyramidal TIFF (the format iipsrv serves)."""
    subprocess.run(["vips", "tiffsave", str(master), str(out), "--tile", "--pyramid",
                    "--compression", "jpeg", "--Q", str(quality), "--tile-width",
                    str(tile_size), "--tile-height", str(tile_size)], check=True)
    return out


def _record(kind: int, body: bytes) -> bytes:
    return struct.pack(">BBHHBB", 1, kind, 1, len(body), 0, 0) + body


def _pair(name: bytes, value: bytes) -> bytes:
    head = b""
    for n in (len(name), len(value)):
        head += bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return head + name + value


class IIPServer:
    """iipsrv listening on a free localhost port, serving files under ``root``."""

    def __init__(self, root: Path, quality: int = 85) -> None:
        self.root = Path(root)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = Path(tempfile.gettempdir()) / f"sudur-bench-iipsrv-{self.port}.log"
        env = dict(os.environ, FILESYSTEM_PREFIX=f"{self.root}/", JPEG_QUALITY=str(quality),
                   LOGFILE=str(self.log), VERBOSITY="1")
        self.proc = subprocess.Popen([str(IIPSRV), "--bind", f"127.0.0.1:{self.port}"],
                                     env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError(f"iipsrv did not start; see {self.log}")
                time.sleep(0.05)

    def get(self, iiif_path: str) -> bytes:
        """The body of ``IIIF=<iiif_path>``; RuntimeError unless iipsrv answered with an image."""
        query = f"IIIF={iiif_path}".encode()
        params = {b"QUERY_STRING": query, b"REQUEST_METHOD": b"GET",
                  b"SCRIPT_NAME": b"/iipsrv.fcgi", b"REQUEST_URI": b"/iipsrv.fcgi?" + query,
                  b"SERVER_NAME": b"localhost", b"SERVER_PORT": b"80",
                  b"HTTP_HOST": b"localhost"}
        request = (_record(_BEGIN, struct.pack(">HB5x", _RESPONDER, 0))
                   + _record(_PARAMS, b"".join(_pair(k, v) for k, v in params.items()))
                   + _record(_PARAMS, b"") + _record(_STDIN, b""))
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(request)
            raw = bytearray()
            while chunk := s.recv(1 << 16):
                raw += chunk
        stdout, at = bytearray(), 0
        while at + 8 <= len(raw):
            _, kind, _, length, padding, _ = struct.unpack(">BBHHBB", raw[at:at + 8])
            if kind == _STDOUT:
                stdout += raw[at + 8:at + 8 + length]
            at += 8 + length + padding
        head, _, body = bytes(stdout).partition(b"\r\n\r\n")
        if b"Content-Type: image/" not in head:
            raise RuntimeError(f"iipsrv refused {iiif_path}: {head[:200]!r} {body[:200]!r}")
        return body

    def cpu(self) -> float:
        """CPU seconds iipsrv has used so far (all its threads)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> "IIPServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
