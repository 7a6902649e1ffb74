"""Downloads under gunicorn with two worker processes: many requests for one PDF get it from a
single build, and two PDFs of one item are built one after the other (the item's file lock),
whichever worker each request reaches. Each build is logged by the app module below, which
slows it by a second so that the requests meet."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

requests = pytest.importorskip("requests")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
APP = '''
import os
import time

from library import downloads

real = downloads.write_pdf


def logged(pages, out, **kwargs):
    start = time.time()
    time.sleep(1.0)
    result = real(pages, out, **kwargs)
    with open(os.environ["BUILD_LOG"], "a") as log:
        log.write(f"{os.getpid()} {len(pages)} {start} {time.time()}\\n")
    return result


downloads.write_pdf = logged

from viewer import create_app  # noqa: E402

app = create_app()
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_workers_build_each_pdf_once_and_one_at_a_time(sample_library, tmp_path) -> None:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if gunicorn is None:
        pytest.skip("gunicorn is not installed (pip install -e '.[test]')")
    (tmp_path / "pdf_app.py").write_text(APP)
    log = tmp_path / "builds.log"
    port = _free_port()
    env = {**os.environ, "SUDUR_LIBRARY": str(sample_library.library), "BUILD_LOG": str(log),
           "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "SUDUR_DOWNLOAD_WAIT_SECONDS": "40"}
    with open(tmp_path / "gunicorn.out", "wb") as out:
        proc = subprocess.Popen([gunicorn, "-w", "2", "--timeout", "90", "-b",
                                 f"127.0.0.1:{port}", "pdf_app:app"],
                                env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/items/geser-ms-1/tei", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass  # not listening yet
            assert time.monotonic() < deadline, (tmp_path / "gunicorn.out").read_text()
            time.sleep(0.2)
        asks = ["/items/geser-ms-1/download.pdf?pages=1-3&size=2000"] * 6 + \
            ["/items/geser-ms-1/download.pdf?pages=1-2&size=max",
             "/items/geser-ms-1/download.pdf?pages=2-3&size=max"]
        answers: dict[int, requests.Response] = {}

        def ask(n: int) -> None:
            answers[n] = requests.get(base + asks[n], timeout=80, allow_redirects=False)

        threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(asks))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert [answers[n].status_code for n in range(len(asks))] == [200] * len(asks)
    same = {answers[n].content for n in range(6)}
    assert len(same) == 1 and next(iter(same)).startswith(b"%PDF-")
    builds = [line.split() for line in log.read_text().splitlines()]
    assert sorted(int(b[1]) for b in builds) == [2, 2, 3]  # each PDF built once
    spans = sorted((float(b[2]), float(b[3])) for b in builds)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end - 0.05  # one build of the item at a time, across the workers
