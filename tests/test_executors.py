"""Ingest's page tasks on every executor (ingest/executors.py): this process, local processes and
a Dask cluster (a ``distributed.LocalCluster`` of two worker processes started here) give the
same derivatives, byte for byte, and the same catalogue rows; one large item is spread over
several processes; a failed task or a dead worker fails its item alone, naming the page's file,
and a rerun resumes."""
from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest
from PIL import Image

from catalog.db import Catalog
from ingest.derive import PageJob
from ingest.executors import (DaskExecutor, InlineExecutor, PageWork, ProcessExecutor,
                              open_executor, run_ordered)
from ingest.pipeline import ingest_batch
from library import imaging
from library.errors import ImageError, LibraryError
from library.settings import Settings
from library.store import Store, derived_dir

from cluster_fixtures import s3_endpoint, s3_url  # noqa: F401  (fixtures)
from crashlib import build_batch, orphans, sudur


@pytest.fixture(scope="module")
def dask_address():
    """A Dask scheduler with two single-threaded worker processes, for this module only."""
    from distributed import LocalCluster

    t0 = time.monotonic()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster:
        assert time.monotonic() - t0 < 30, "the Dask cluster took too long to start"
        yield cluster.scheduler_address


def snapshot(settings: Settings) -> dict:
    """Catalogue rows (items with their pages, fixity in row order) and every file of every
    version, by path inside the version: what two ingests of one batch must agree on."""
    store = Store(settings.library)
    with Catalog(store.catalog_path, readonly=True) as cat:
        ids = cat.item_ids()
        items = {i: cat.get_item(i) for i in ids}
        fixity = [(i, r.path, r.kind, r.size, r.sha256) for i, r in cat.fixity()]
        versions = {i: cat.version_path(i) for i in ids}
    files = {}
    for item_id, version in versions.items():
        folder = store.version_dir(version)
        # files directly in derived/ are caches the viewer writes later (the manifest)
        files[item_id] = {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes())
                          .hexdigest() for p in sorted(folder.rglob("*"))
                          if p.is_file() and p.parent != derived_dir(folder)}
    return {"items": items, "fixity": fixity, "files": files}


def big_item(root: Path, pages: int = 40, size=(520, 400)) -> Path:
    """One item of ``pages`` generated scans (no TEI: a minimal record)."""
    images = root / "big-item" / "images"
    images.mkdir(parents=True)
    for p in range(pages):
        Image.effect_noise(size, 20 + p).convert("RGB").save(images / f"{p + 1:04d}.png")
    return root


def ingest(batch: Path, lib: Path, **kw):
    workers: set[str] = set()
    summary = ingest_batch(batch, Settings.load(lib), progress=lambda prep: workers.update(
        prep.workers), **kw)
    return summary, workers


def test_the_executor_is_chosen_by_workers_and_dask():
    assert isinstance(open_executor(1), InlineExecutor)
    with open_executor(3) as ex:
        assert isinstance(ex, ProcessExecutor) and ex.slots == 3


def test_run_ordered_hands_items_back_in_order_and_stops_an_item_at_its_failure(tmp_path):
    good = tmp_path / "good.png"
    Image.new("RGB", (64, 48), "white").save(good)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n broken")

    def jobs(item: str, masters: list[Path]) -> list[PageJob]:
        return [PageJob(item, n + 1, f"images/{m.name}", str(m), str(tmp_path / item / str(n)))
                for n, m in enumerate(masters)]
    staged: list[str] = []

    def works():
        for key, masters in (("a", [good, good]), ("b", [good, bad, good, good]), ("c", []),
                             ("d", [good])):
            staged.append(key)
            yield PageWork(key, jobs(key, masters))
    out = [(w.key, [r.ok for r in results])
           for w, results in run_ordered(InlineExecutor(), works(), window=1)]
    assert out == [("a", [True, True]), ("b", [True, False]), ("c", []), ("d", [True])]
    assert staged == ["a", "b", "c", "d"]
    assert not (tmp_path / "b" / "2").exists() and not (tmp_path / "b" / "3").exists()


def test_one_large_item_is_cut_by_several_processes_and_dask_gives_the_same_bytes(
        tmp_path, dask_address):
    batch = big_item(tmp_path / "batch")
    local, local_workers = ingest(batch, tmp_path / "local", workers=2)
    dask, dask_workers = ingest(batch, tmp_path / "dask", dask=dask_address)
    for summary in (local, dask):
        assert summary.ingested == ["big-item"] and summary.pages == 40, summary.failed
    assert len(local_workers) > 1, local_workers  # one item, several processes
    assert len(dask_workers) > 1, dask_workers
    assert not {w.split(":")[1] for w in local_workers | dask_workers} & {str(os.getpid())}
    first = snapshot(Settings.load(tmp_path / "local"))
    assert len(first["files"]["big-item"]) > 40 * 3
    assert snapshot(Settings.load(tmp_path / "dask")) == first


def test_the_sample_on_dask_matches_the_sample_on_local_processes(
        tmp_path, sample_batch, sample_library, dask_address):
    summary, workers = ingest(sample_batch, tmp_path / "lib", dask=dask_address)
    assert summary.ok, summary.failed
    assert len(workers) > 1
    assert snapshot(Settings.load(tmp_path / "lib")) == snapshot(sample_library)


def test_dask_into_an_s3_store_publishes_the_same_objects_and_leaves_no_master_on_workers(
        tmp_path, dask_address, s3_endpoint, s3_url):
    from library.storage import open_store

    batch = build_batch(tmp_path / "batch", 2, pages=3, size=(700, 520))
    local, _ = ingest(batch, tmp_path / "local", workers=2)
    settings = Settings.load(tmp_path / "s3", store_url=s3_url,
                             s3_endpoint_url=s3_endpoint.url)
    remote = ingest_batch(batch, settings, dask=dask_address)
    assert remote.ingested == local.ingested == ["crash-00", "crash-01"]
    expected = snapshot(Settings.load(tmp_path / "local"))
    store = open_store(settings)
    with Catalog(store.catalog_path, readonly=True) as cat:
        fixity = [(i, r.path, r.kind, r.size, r.sha256) for i, r in cat.fixity()]
        versions = {i: cat.version_path(i) for i in cat.item_ids()}
    assert fixity == expected["fixity"]
    for item_id, version in versions.items():
        prefix = f"items/{PurePosixPath(version).name}"
        objects = {key.removeprefix(prefix + "/"): store.objects.digest(key)
                   for key in store.objects.listing(prefix)}
        assert objects == expected["files"][item_id]
    assert not any((tmp_path / "s3" / "items").rglob("*.png"))  # no master kept on the node


def test_a_dask_task_error_names_the_page_file(tmp_path, dask_address):
    bad = tmp_path / "0005.tif"
    bad.write_bytes(b"II*\x00 not a tiff at all")
    job = PageJob("demo", 5, "images/0005.tif", str(bad), str(tmp_path / "out"))
    with DaskExecutor(dask_address) as ex:
        assert ex.slots == 2
        result = ex.submit(job).result()
    assert not result.ok
    assert result.error.startswith("images/0005.tif: ")
    assert result.worker and not result.worker.endswith(f":{os.getpid()}")
    assert not (tmp_path / "out").exists()


def test_ingest_with_the_dask_option_and_setting(tmp_path, dask_address):
    batch = build_batch(tmp_path / "batch", 2, pages=2)
    res = sudur(tmp_path / "lib", "ingest", str(batch), "--dask", dask_address)
    assert res.returncode == 0, res.stderr
    assert "2 items ingested" in res.stdout
    (tmp_path / "lib2").mkdir()
    (tmp_path / "lib2" / "sudur.json").write_text(f'{{"dask_scheduler": "{dask_address}"}}')
    assert Settings.load(tmp_path / "lib2").dask_scheduler == dask_address
    summary, workers = ingest(batch, tmp_path / "lib2")
    assert summary.ingested == ["crash-00", "crash-01"]
    assert not any(w.endswith(f":{os.getpid()}") for w in workers)  # the setting sent it out


def test_an_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(LibraryError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=1)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_page_fails_its_item_alone_with_the_file_name_and_a_rerun_resumes(
        tmp_path, monkeypatch, workers):
    batch = build_batch(tmp_path / "batch", 3, pages=3)
    real = imaging.make_derivatives

    def make(master, out_dir, **kw):
        if "crash-01" in str(out_dir) and Path(master).name == "0002.png":
            raise ImageError("0002.png: the decoder gave up")
        return real(master, out_dir, **kw)
    monkeypatch.setattr(imaging, "make_derivatives", make)
    summary, _ = ingest(batch, tmp_path / "lib", workers=workers)
    assert summary.ingested == ["crash-00", "crash-02"]
    [error] = summary.failed["crash-01"]
    assert "images/0002.png" in str(error) and "the decoder gave up" in str(error)
    assert orphans(tmp_path / "lib") == []
    monkeypatch.undo()
    again, _ = ingest(batch, tmp_path / "lib", workers=workers)
    assert again.ingested == ["crash-01"] and again.skipped == ["crash-00", "crash-02"]


def test_a_worker_that_dies_fails_its_item_alone_and_a_rerun_resumes(tmp_path, monkeypatch):
    batch = build_batch(tmp_path / "batch", 4, pages=3)
    real = imaging.make_derivatives

    def make(master, out_dir, **kw):
        if "crash-02" in str(out_dir) and Path(master).name == "0003.png":
            os._exit(9)  # as the OOM killer would end it
        return real(master, out_dir, **kw)
    monkeypatch.setattr(imaging, "make_derivatives", make)  # forked workers inherit it
    summary, _ = ingest(batch, tmp_path / "lib", workers=2)
    assert summary.ingested == ["crash-00", "crash-01", "crash-03"], summary.failed
    [error] = summary.failed["crash-02"]
    assert "images/0003.png" in str(error) and "died" in str(error)
    assert orphans(tmp_path / "lib") == []
    monkeypatch.undo()
    again, _ = ingest(batch, tmp_path / "lib", workers=2)
    assert again.ingested == ["crash-02"]
    shutil.rmtree(tmp_path / "batch")


def _derive_or_die(job, master_data):
    """A Dask task that kills its worker on the page ``0002.png`` of ``crash-01``."""
    from ingest.derive import derive_page

    if job.item_id == "crash-01" and job.name.endswith("0002.png"):
        os._exit(9)
    return derive_page(replace(job, master_data=master_data))


def test_a_dask_worker_that_dies_fails_its_item_alone_and_a_rerun_resumes(
        tmp_path, dask_address, monkeypatch):
    from ingest import executors

    batch = build_batch(tmp_path / "batch", 3, pages=3)
    monkeypatch.setattr(executors, "_remote_derive", _derive_or_die)
    summary, _ = ingest(batch, tmp_path / "lib", dask=dask_address)
    assert summary.ingested == ["crash-00", "crash-02"], summary.failed
    [error] = summary.failed["crash-01"]
    assert "images/0002.png" in str(error) and "died" in str(error)
    assert orphans(tmp_path / "lib") == []
    monkeypatch.undo()
    again, _ = ingest(batch, tmp_path / "lib", dask=dask_address)
    assert again.ingested == ["crash-01"]


@pytest.mark.slow
def test_cluster_run_starts_everything_ingests_through_dask_and_stops(tmp_path):
    """cluster/run.py --once --sample: SeaweedFS, PostgreSQL, Dask, two web nodes serving the
    sample's manifest from one store and catalogue; nothing it started is left running."""
    import socket
    import subprocess
    import sys

    from cluster_fixtures import free_port_block

    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    ports = [free_port() for _ in range(4)]
    res = subprocess.run([sys.executable, "cluster/run.py", "--once", "--sample", "--dir",
                          str(tmp_path / "c"), "--s3-port", str(free_port_block()),
                          "--dask-port", str(ports[0]), "--pg-port", str(ports[3]),
                          "--web-ports", f"{ports[1]},{ports[2]}"],
                         capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parents[1])
    assert res.returncode == 0, res.stdout + res.stderr
    from library.sample_items import ITEMS
    assert f"{len(ITEMS)} items ingested" in res.stdout
    assert res.stdout.count("/manifest -> 200") == 2
    assert "PostgreSQL    postgresql://" in res.stdout  # the catalogue and search rows there
    for port in ports:
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
