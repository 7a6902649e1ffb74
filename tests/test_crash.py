"""SIGKILL at random moments during `sudur ingest` of a 30-item batch, then rerun.

Every trial must end with the library identical to an uninterrupted ingest (items, pages,
checksums, index hits), no orphan file, `sudur verify` passing, and two readers polling during
the run (the catalogue and its files; the web app's manifests, info.json and images) never
seeing an item half-written. The kill reaches the whole process
group (the main process and its workers), as a power cut or the OOM killer would.

The default suite runs a handful of trials; the full 25+ run is marked slow
(`pytest -m slow tests/test_crash.py`). Set SUDUR_CRASH_SEED to replay a run.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import logging
import threading
import time
import traceback
from pathlib import Path

import pytest

from crashlib import (build_batch, fast_tmp, library_state, orphans, start_ingest, sudur,
                      visible_items_complete)

N_ITEMS = 30
QUERIES = ("common", "mark07", "mark29", "page2")


class Poller(threading.Thread):
    """A reader that keeps looking at the catalogue while the ingest runs."""

    def __init__(self, lib: Path) -> None:
        super().__init__(daemon=True)
        self.lib = lib
        self.stop = threading.Event()
        self.looks = 0
        self.max_seen = 0
        self.problems: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                n, problems = visible_items_complete(self.lib)
            except Exception as exc:  # noqa: BLE001 - recorded and asserted on, never ignored
                import sqlite3
                if isinstance(exc.__cause__, sqlite3.OperationalError):
                    continue  # the catalogue file being created under us (a CatalogError)
                self.problems.append(f"reader failed: {exc!r}")
                return
            self.looks += 1
            self.max_seen = max(self.max_seen, n)
            self.problems += problems
            time.sleep(0.01)


class HttpPoller(threading.Thread):
    """A reader of the web app (in this process, over the trial's library) during the run: an
    item it can see must be whole: as many canvases as one of its versions has pages, and every
    image they name served."""

    def __init__(self, lib: Path, seed: int, canvases: set[int]) -> None:
        super().__init__(daemon=True)
        self.lib = lib
        self.canvases = canvases
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.looks = 0
        self.whole = 0
        self.problems: list[str] = []

    def run(self) -> None:
        from library.settings import Settings
        from viewer import create_app

        while not (self.lib / "catalog.sqlite").is_file() and not self.stop.is_set():
            time.sleep(0.01)
        app = create_app({"SUDUR_SETTINGS": Settings.load(self.lib)})
        problems = self.problems

        class _Log(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if record.exc_info:
                    exc = record.exc_info[1]
                    tb = traceback.extract_tb(record.exc_info[2])[-3:]
                    problems.append(f"server error {exc!r} at "
                                    + "; ".join(f"{f.filename}:{f.lineno}" for f in tb))
        app.logger.addHandler(_Log())
        client = app.test_client()
        while not self.stop.is_set():
            item = f"crash-{self.rng.randrange(N_ITEMS):02d}"
            resp = client.get(f"/iiif/{item}/manifest")
            self.looks += 1
            if resp.status_code == 404:
                continue
            if resp.status_code != 200:
                self.problems.append(f"{item}: manifest {resp.status_code}")
                continue
            canvases = resp.get_json()["items"]
            if len(canvases) not in self.canvases:
                self.problems.append(f"{item}: {len(canvases)} canvases")
            for order in range(1, len(canvases) + 1):
                for path in (f"/iiif/3/{item}.{order:04d}/info.json",
                             f"/iiif/3/{item}.{order:04d}/full/max/0/default.jpg"):
                    r = client.get(path)
                    if r.status_code != 200:
                        self.problems.append(f"{path}: {r.status_code} of a visible item: "
                                             f"{r.get_data(as_text=True)[:300]}")
            self.whole += 1


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = fast_tmp(tmp_path_factory, "crash")
    batch = build_batch(root / "batch", N_ITEMS)
    lib = root / "reference"
    t0 = time.perf_counter()
    res = sudur(lib, "ingest", str(batch), "--workers", "1")
    seconds = time.perf_counter() - t0
    assert res.returncode == 0, res.stderr
    state = library_state(lib, QUERIES)
    assert len(state["items"]) == N_ITEMS
    assert state["hits"]["mark07"][0] == 2  # both pages of item 7
    assert not orphans(lib)
    # replacement trials start from a library holding v1 and ingest v2: every item changed
    # (3 pages, other images) and 5 more
    v2 = build_batch(root / "v2", N_ITEMS + 5, pages=3, size=(280, 300))
    v1_lib = root / "v1-library"
    shutil.copytree(lib, v1_lib, symlinks=True)
    replaced = root / "replaced"
    shutil.copytree(v1_lib, replaced, symlinks=True)
    assert sudur(replaced, "ingest", str(v2), "--workers", "1").returncode == 0
    state_v2 = library_state(replaced, QUERIES)
    assert len(state_v2["items"]) == N_ITEMS + 5 and state_v2["hits"]["mark07"][0] == 3
    assert not orphans(replaced)
    yield {"fresh": (batch, state, None), "replace": (v2, state_v2, v1_lib)}, seconds, root
    shutil.rmtree(root, ignore_errors=True)


def _items_with_pages(lib: Path, n: int) -> int:
    from catalog.db import Catalog

    if not (lib / "catalog.sqlite").is_file():
        return 0
    with Catalog(lib / "catalog.sqlite", readonly=True) as cat:
        return sum(1 for i in cat.item_ids() if len(cat.pages(i)) == n)


def kill_at(proc, delay: float) -> bool:
    """SIGKILL the ingest's process group after ``delay`` s; False if it had already ended."""
    import subprocess

    try:
        proc.wait(timeout=delay)
        killed = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        killed = True
    proc.stdout.close()
    proc.stderr.close()
    return killed


def one_trial(k: int, rng: random.Random, mode: str, setups: dict, seconds: float,
              root: Path) -> dict:
    batch, ref, start_from = setups[mode]
    lib = root / f"trial-{k:02d}"
    if start_from is not None:
        shutil.copytree(start_from, lib, symlinks=True)
    poller = Poller(lib)
    poller.start()
    web = HttpPoller(lib, k, {2} if mode == "fresh" else {2, 3})
    web.start()
    kills = []
    try:
        workers = 1 + k % 2
        proc = start_ingest(lib, batch, workers)
        # (26 trials on a fresh clone saw 15 of 17 fresh kills land after the ingest had
        # ended with 0.3-1.8: see run_trials for the adjustment)
        delay = rng.uniform(0.2, 1.3) * seconds
        kills.append((round(delay, 2), kill_at(proc, delay)))
        after_kill = visible_items_complete(lib)[0]
        new_after_kill = _items_with_pages(lib, 3)
        if rng.random() < 0.3:
            # kill the recovering run too
            proc = start_ingest(lib, batch, workers)
            delay = rng.uniform(0.05, 0.8) * seconds
            kills.append((round(delay, 2), kill_at(proc, delay)))
        res = sudur(lib, "ingest", str(batch), "--workers", str(workers))
    finally:
        poller.stop.set()
        web.stop.set()
        poller.join()
        web.join()
    assert res.returncode == 0, (kills, res.stderr)
    assert not poller.problems, (kills, poller.problems[:5])
    assert not web.problems, (kills, web.problems[:5])
    state = library_state(lib, QUERIES)
    assert state == ref, f"trial {k} (kills {kills}) differs from the uninterrupted ingest"
    assert orphans(lib) == [], kills
    verify = sudur(lib, "verify")
    assert verify.returncode == 0, verify.stderr
    assert "0 problems" in verify.stdout
    shutil.rmtree(lib)
    return {"mode": mode, "kills": kills, "after_kill": after_kill,
            "new_after_kill": new_after_kill, "looks": poller.looks,
            "web": (web.looks, web.whole)}


def run_trials(n: int, reference) -> list[dict]:
    setups, seconds, root = reference
    seed = int(os.environ.get("SUDUR_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f"crash trials: seed {seed}, uninterrupted ingest {seconds:.2f} s")
    results = []
    for k in range(n):
        mode = "replace" if k % 3 == 2 else "fresh"
        results.append(one_trial(k, rng, mode, setups, seconds, root))
        # The reference was timed once, and the machine's load changes: a kill that landed
        # after the ingest had ended (or before it published anything) moves the next ones
        # earlier (or later), so that kills keep landing mid-ingest.
        if mode == "fresh" and results[-1]["after_kill"] >= N_ITEMS:
            seconds *= 0.8
        elif mode == "fresh" and results[-1]["after_kill"] == 0:
            seconds *= 1.2
        print(f"  trial {k} ({mode}): kills {results[-1]['kills']}, items visible after the kill: "
              f"{results[-1]['after_kill']} ({results[-1]['new_after_kill']} in their new "
              f"version), catalogue looks: {results[-1]['looks']}, "
              f"manifests asked/whole: {results[-1]['web']}")
    return results


@pytest.mark.slow  # seconds of end-to-end work: `make test-slow`, and CI, run it
def test_crash_trials_fast(reference):
    results = run_trials(5, reference)
    assert all(r["looks"] > 0 for r in results)
    assert sum(r["web"][1] for r in results) > 0  # the web reader did see whole items


@pytest.mark.slow
def test_crash_trials_25(reference):
    results = run_trials(26, reference)
    # the kills must really land mid-ingest, not only before or after it
    partial = [r for r in results if r["mode"] == "fresh" and 0 < r["after_kill"] < N_ITEMS]
    assert len(partial) >= 4, [r["after_kill"] for r in results]
    mid_replace = [r for r in results if r["mode"] == "replace"
                   and 0 < r["new_after_kill"] < N_ITEMS + 5]
    assert len(mid_replace) >= 2, [r["new_after_kill"] for r in results]


def test_index_leftovers_of_a_killed_write_are_collected(tmp_path_factory):
    """What a kill inside an index write leaves (seen in these trials): a temporary table of
    contents; and inside `sudur reindex`: index.new, or index.old with no index at all."""
    root = fast_tmp(tmp_path_factory, "leftovers")
    try:
        batch = build_batch(root / "batch", 3)
        lib = root / "lib"
        assert sudur(lib, "ingest", str(batch)).returncode == 0
        ref = library_state(lib, QUERIES)
        (lib / "index" / "_MAIN_3.toc.1795895402.3390439").write_bytes(b"half")
        (lib / "index.new").mkdir()
        (lib / "index.new" / "x.seg").write_bytes(b"half")
        (lib / "index").rename(lib / "index.old")  # killed between rebuild's two renames
        assert sudur(lib, "ingest", str(batch)).returncode == 0
        assert library_state(lib, QUERIES) == ref
        assert orphans(lib) == []
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _session_alive(sid: int) -> list[str]:
    """The processes of session ``sid`` still running (zombies are dead), from /proc."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended while we looked
        name = text[text.index("(") + 1:text.rindex(")")]
        state, _ppid, _pgrp, session = text[text.rindex(")") + 2:].split()[:4]
        if int(session) == sid and state != "Z":
            alive.append(f"{stat.parent.name} {name}")
    return alive


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux /proc")
def test_a_killed_ingest_takes_its_workers_and_its_lock_with_it(tmp_path_factory):
    """`kill -9` of the main process of `ingest --workers 2` alone (not its process group): its
    workers die within seconds, and the next ingest takes the lock over, saying so."""
    root = fast_tmp(tmp_path_factory, "orphans")
    proc = None
    try:
        batch = build_batch(root / "batch", 30, pages=2, size=(700, 900))
        lib = root / "lib"
        proc = start_ingest(lib, batch, workers=2)
        deadline = time.monotonic() + 60
        # the workers are busy once a staging folder exists
        while not (lib / "staging").is_dir() or not any((lib / "staging").iterdir()):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the ingest never started an item"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        deadline = time.monotonic() + 5
        while _session_alive(proc.pid):
            assert time.monotonic() < deadline, \
                f"processes outlived the killed ingest: {_session_alive(proc.pid)}"
            time.sleep(0.05)
        res = sudur(lib, "ingest", str(batch), "--workers", "2")
        assert res.returncode == 0, res.stderr
        assert f"took over the ingest lock of process {proc.pid}, which is gone" in res.stderr
        assert orphans(lib) == []
        verify = sudur(lib, "verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr
        # a lock released normally leaves no record to take over
        again = sudur(lib, "ingest", str(batch), "--workers", "2")
        assert again.returncode == 0 and "took over" not in again.stderr
    finally:
        if proc is not None:
            try:  # whatever outlived a failed run of this test
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(root, ignore_errors=True)


def test_the_lock_names_a_live_holder_and_takes_over_a_dead_ones(tmp_path):
    import subprocess
    import sys

    from library.errors import LibraryLockedError
    from library.processes import Holder
    from library.store import Store

    store = Store(tmp_path / "lib")
    with store.ingest_lock() as lock:
        assert lock.took_over is None
        with pytest.raises(LibraryLockedError) as exc:
            with Store(tmp_path / "lib").ingest_lock():
                pass
        assert f"being written by another process: process {os.getpid()} (started " \
            in str(exc.value)
    # a holder that died holding the lock (kill -9) left its record; the kernel freed the lock
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(gone.stdout)
    record = Holder(pid, 1, time.time() - 60, Holder.current().host)
    (tmp_path / "lib" / ".ingest.lock").write_text(record.dumps())
    with store.ingest_lock() as lock:
        assert lock.took_over.startswith(f"took over the ingest lock of process {pid}, "
                                         "which is gone")
    with store.ingest_lock() as lock:  # released normally: nothing to take over
        assert lock.took_over is None


def test_a_forked_child_does_not_keep_the_lock(tmp_path):
    from library.store import Store

    store = Store(tmp_path / "lib")
    ready_r, ready_w = os.pipe()
    with store.ingest_lock():
        pid = os.fork()
        if pid == 0:  # the child outlives the parent's hold, as an orphaned worker would
            os.write(ready_w, b"x")  # running its own code: the fork handlers are done
            time.sleep(3)
            os._exit(0)
        assert os.read(ready_r, 1) == b"x"
    os.close(ready_r)
    os.close(ready_w)
    try:
        with Store(tmp_path / "lib").ingest_lock() as lock:
            assert lock.took_over is None
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
