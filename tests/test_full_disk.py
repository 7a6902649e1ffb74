"""A full disk fails the item cleanly and leaves the library as it was.

Two ways of running out of space: in process, a write that fails with ENOSPC at each stage of
an item's ingest (copying the master, cutting derivatives, publishing, committing the
catalogue row, updating the index); and for real, `sudur ingest` in a subprocess whose file
size limit (RLIMIT_FSIZE) makes the kernel refuse the write of a large master (EFBIG; Python
ignores SIGXFSZ, so the write fails instead of killing the process).
"""
from __future__ import annotations

import errno
import hashlib
import os
import resource
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from crashlib import SUDUR, build_batch, clean_env, fast_tmp, library_state, orphans
from crashlib import sudur, sudur_here
from catalog.db import Catalog
from ingest import pipeline
from ingest.pipeline import ingest_batch
from library.errors import CatalogError
from library.settings import Settings

QUERIES = ("common", "mark00", "mark01")


def enospc(*_a, **_k):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def files_of(lib: Path) -> dict[str, str]:
    out = {}
    for p in sorted(lib.rglob("*")):
        if p.is_file() and not p.is_symlink() and p.parent.name != "index" \
                and not p.name.startswith("catalog.sqlite") and p.name != ".ingest.lock":
            out[p.relative_to(lib).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture()
def root(tmp_path_factory):
    path = fast_tmp(tmp_path_factory, "disk")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _failing(stage: str, monkeypatch, victim: str) -> None:
    """Make the write of ``stage`` fail with ENOSPC for items whose id starts with victim."""
    if stage == "copy-master":
        real = pipeline._copy_source

        def copy(plan, src, dst):
            if victim in str(dst) and dst.parent.name == "images":
                dst.parent.mkdir(parents=True, exist_ok=True)
                with open(dst, "wb") as f:
                    f.write(b"\0" * 100)  # a partly written file, as a full disk leaves
                enospc()
            return real(plan, src, dst)
        monkeypatch.setattr(pipeline, "_copy_source", copy)
    elif stage == "derivatives":
        real_make = pipeline.imaging.make_derivatives

        def make(master, out_dir, **kw):
            if victim in str(out_dir):
                real_make(master, out_dir, **kw)
                enospc()
            return real_make(master, out_dir, **kw)
        monkeypatch.setattr(pipeline.imaging, "make_derivatives", make)
    elif stage == "publish":
        real_pub = pipeline.Store.publish

        def publish(self, staged):
            if victim in staged.name:
                os.rename(staged, self.items_dir / staged.name)  # renamed, then fsync fails
                enospc()
            return real_pub(self, staged)
        monkeypatch.setattr(pipeline.Store, "publish", publish)
    elif stage == "catalogue":
        real_put = Catalog.put_item

        def put_item(self, item, **kw):
            if item.id.startswith(victim):
                raise CatalogError("the SQLite catalogue failed: database or disk is full")
            return real_put(self, item, **kw)
        monkeypatch.setattr(Catalog, "put_item", put_item)
    else:
        raise AssertionError(stage)


@pytest.mark.parametrize("stage", ["copy-master", "derivatives", "publish", "catalogue"])
def test_enospc_fails_the_item_and_leaves_the_library_as_it_was(root, monkeypatch, stage):
    v1 = build_batch(root / "v1", 2)  # crash-00, crash-01
    settings = Settings.load(root / "lib")
    assert sorted(ingest_batch(v1, settings).ingested) == ["crash-00", "crash-01"]
    before_files = files_of(settings.library)
    before = library_state(settings.library, QUERIES)
    # v2 changes crash-00 (a replacement) and adds crash-02 and crash-03 (new items)
    v2 = build_batch(root / "v2", 4, pages=3)
    shutil.rmtree(v2 / "crash-01")
    shutil.copytree(v1 / "crash-01", v2 / "crash-01")
    _failing(stage, monkeypatch, "crash-0")
    summary = ingest_batch(v2, settings)
    assert summary.skipped == ["crash-01"]
    assert sorted(summary.failed) == ["crash-00", "crash-02", "crash-03"]
    text = " ".join(str(d) for ds in summary.failed.values() for d in ds)
    assert "No space left on device" in text or "disk is full" in text
    assert files_of(settings.library) == before_files
    assert library_state(settings.library, QUERIES) == before
    assert orphans(settings.library) == []
    assert sudur(settings.library, "verify").returncode == 0
    # space again: the rerun lands everything
    monkeypatch.undo()
    again = ingest_batch(v2, settings)
    assert sorted(again.ingested) == ["crash-00", "crash-02", "crash-03"]
    assert orphans(settings.library) == []


def test_enospc_in_the_index_lands_the_item_and_the_next_run_catches_up(root, monkeypatch):
    batch = build_batch(root / "batch", 2)
    settings = Settings.load(root / "lib")
    monkeypatch.setattr(pipeline.cindex, "update_items", enospc)
    summary = ingest_batch(batch, settings)
    assert sorted(summary.ingested) == ["crash-00", "crash-01"]
    assert {d.code for d in summary.warnings["crash-00"]} >= {"index-pending"}
    state = library_state(settings.library)
    assert all(not i["indexed"] for i in state["items"].values())
    monkeypatch.undo()
    again = ingest_batch(batch, settings)
    assert sorted(again.skipped) == ["crash-00", "crash-01"]
    state = library_state(settings.library, QUERIES)
    assert all(i["indexed"] for i in state["items"].values())
    assert state["hits"]["mark01"][0] == 2


def _noisy_png(path: Path, size=(1100, 1000)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(path, "PNG")


def test_a_real_failing_write_in_a_subprocess(root):
    """RLIMIT_FSIZE of 2 MB: the 3.3 MB master of one item cannot be written."""
    batch = build_batch(root / "batch", 3)
    big = batch / "crash-01" / "images" / "0002.png"
    _noisy_png(big)
    assert big.stat().st_size > 3_000_000
    lib = root / "lib"
    limit = 2_000_000

    def limit_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    res = subprocess.run([SUDUR, "--library", str(lib), "ingest", str(batch), "--workers", "2"],
                         capture_output=True, text=True, timeout=120, env=clean_env(),
                         preexec_fn=limit_files)
    assert res.returncode == 1, res.stderr
    assert "crash-01: not ingested" in res.stderr
    assert "File too large" in res.stderr
    assert "Traceback" not in res.stderr
    state = library_state(lib, QUERIES)
    assert sorted(state["items"]) == ["crash-00", "crash-02"]
    assert orphans(lib) == []
    assert sudur_here(lib, "verify").returncode == 0
    # without the limit the rerun lands the big item too
    again = sudur_here(lib, "ingest", str(batch))
    assert again.returncode == 0, again.stderr
    assert sorted(library_state(lib)["items"]) == ["crash-00", "crash-01", "crash-02"]
    assert orphans(lib) == []
