"""One page's derivatives as a task (ingest/derive.py): plain values in and out, the same bytes
whether the worker writes into staging or returns the files, and a bad page reported with its
file name instead of raising."""
from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from ingest.derive import DerivedFile, PageJob, PageResult, derive_page, write_outputs


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def master(tmp_path) -> Path:
    path = tmp_path / "source" / "images" / "0003.png"
    path.parent.mkdir(parents=True)
    Image.effect_noise((1100, 700), 50).convert("RGB").save(path)
    return path


def _job(master: Path, out: Path, **kw) -> PageJob:
    return PageJob("demo", 3, "images/0003.png", str(master), str(out), tile_size=256,
                   thumb_width=120, **kw)


def test_a_local_task_writes_into_staging_and_reports_every_file(master, tmp_path):
    out = tmp_path / "derived" / "0003"
    job = _job(master, out, expected_size=(1100, 700))
    result = derive_page(job)
    assert result.ok, result.error
    assert (result.width, result.height) == (1100, 700)
    assert result.warnings == []
    on_disk = _tree(out)
    assert {f.rel: f.sha256 for f in result.files} == on_disk
    assert all(f.data is None for f in result.files)
    assert all(f.size == (out / f.rel).stat().st_size for f in result.files)
    assert any(rel.startswith("tiles/") for rel in on_disk) and "pyramid.json" in " ".join(on_disk)
    assert result.worker.endswith(f":{os.getpid()}")
    # what crosses a process boundary is plain values
    assert pickle.loads(pickle.dumps(job)) == job
    assert pickle.loads(pickle.dumps(result)).files == result.files


def test_a_remote_task_returns_the_same_bytes_and_the_ingest_writes_them(master, tmp_path):
    local_out = tmp_path / "local"
    local = derive_page(_job(master, local_out))
    remote_out = tmp_path / "remote"
    # a worker on another machine cannot read the path: it gets the bytes and returns files
    job = replace(_job(master, tmp_path / "nowhere"), master="/nonexistent/0003.png",
                  master_data=master.read_bytes())
    remote = derive_page(job)
    assert remote.ok, remote.error
    assert not (tmp_path / "nowhere").exists()
    assert [(f.rel, f.size, f.sha256) for f in remote.files] == \
        [(f.rel, f.size, f.sha256) for f in local.files]
    assert all(f.data is not None for f in remote.files)
    write_outputs(remote, remote_out)
    assert _tree(remote_out) == _tree(local_out)
    assert all(f.data is None for f in remote.files)  # dropped once written


def test_a_bad_master_is_a_failed_result_naming_the_page_file(tmp_path):
    bad = tmp_path / "0007.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    job = PageJob("demo", 7, "images/0007.jpg", str(bad), str(tmp_path / "out"))
    result = derive_page(job)
    assert not result.ok
    assert result.error.startswith("images/0007.jpg: ")
    assert result.error_code
    remote = derive_page(replace(job, master_data=bad.read_bytes()))
    assert not remote.ok and "images/0007.jpg" in remote.error


def test_a_size_other_than_the_header_said_is_a_warning(master, tmp_path):
    result = derive_page(_job(master, tmp_path / "o", expected_size=(1000, 700)))
    assert result.ok
    assert result.warnings == ["images/0003.png: decoded as 1100×700, although its header "
                               "says 1000×700"]


def test_outputs_damaged_in_transit_or_leaving_the_page_folder_are_refused(tmp_path):
    good = DerivedFile("tiles/0_0.jpg", 3, hashlib.sha256(b"abc").hexdigest(), b"abc")
    damaged = PageResult("demo", 1, "images/0001.tif", 10, 10,
                         [DerivedFile("full.jpg", 3, good.sha256, b"abd")], worker="w:1")
    with pytest.raises(OSError, match="arrived damaged"):
        write_outputs(damaged, tmp_path / "a")
    escaping = PageResult("demo", 1, "images/0001.tif", 10, 10,
                          [DerivedFile("../../evil.jpg", 3, good.sha256, b"abc")])
    with pytest.raises(OSError, match="leaves the page folder"):
        write_outputs(escaping, tmp_path / "b")
    assert not (tmp_path / "evil.jpg").exists()
    ok = PageResult("demo", 1, "images/0001.tif", 10, 10, [good])
    write_outputs(ok, tmp_path / "c")
    assert (tmp_path / "c" / "tiles" / "0_0.jpg").read_bytes() == b"abc"
