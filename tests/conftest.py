"""Shared fixtures: the shared corpora, the built-in sample batch and a library ingested from it.

The sample is the same one `sudur sample` writes (library/sample.py), built once per run: under
pytest-xdist (`make test` runs a worker per core) the first worker to ask builds it in the
run's common temporary folder, under a file lock, and the others use it. Tests only read it (a
test that changes a library copies this one first): at the end of the session each worker
checks that every file of the batch and of the library, but for the viewer's caches, is as it
was built (the catalogue by its content), and fails the last test that used it otherwise.

A test that starts SeaweedFS or a Dask cluster (it uses ``s3_endpoint`` or ``dask_address``, or
is in tests/test_storage_s3.py) is marked ``cluster``, as browser tests are marked ``browser``: `make test` leaves both to `make
test-e2e` so that the default suite stays within a few minutes; CI runs both.

Under xdist (``--dist loadfile``) each test module is one unit of work, so its module-scoped
fixtures (an ingest, say) are built once; modules that warm the same costly in-process cache
share a unit (``SHARED_UNITS``), and the longest units are handed out first
(``LONGEST_FIRST``) so that no worker is left with a long one at the end while the other idles.
"""
from __future__ import annotations

import fcntl
import hashlib
import re
import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from library.settings import Settings

SHARED = Path(__file__).resolve().parents[2] / "shared"
CLUSTER_FIXTURES = frozenset({"s3_endpoint", "dask_address"})
CLUSTER_MODULES = frozenset({"test_storage_s3.py"})  # (it also starts SeaweedFS of its own)

# modules that load tei_all (ingest/checks.py compiles it once per process, ~10 s)
SHARED_UNITS = {"test_check_report.py": "tei-all", "test_corpora_ingest.py": "tei-all",
                "test_pipeline.py": "tei-all"}
# the units that take longest (`--durations=0`, added up by module): handed out first
LONGEST_FIRST = ("tei-all", "test_withdraw.py", "test_catalogue_postgres.py",
                 "test_full_disk.py", "test_concurrency.py", "test_hostile.py",
                 "test_downloads_http.py", "test_crash.py", "test_viewer_iiif_search.py",
                 "test_end_to_end.py", "test_viewer_iiif_image.py", "test_consistency.py",
                 "test_pg_pool.py", "test_matching.py", "test_tibetan_cases.py")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if (CLUSTER_FIXTURES & set(getattr(item, "fixturenames", ()))
                or item.path.name in CLUSTER_MODULES):
            item.add_marker(pytest.mark.cluster)
    if hasattr(config, "workerinput"):  # an xdist worker: every worker sorts the same way
        rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
        items.sort(key=lambda item: rank.get(_unit(item.nodeid), len(rank)))  # else as found


def _unit(nodeid: str) -> str:
    """The unit of work of an xdist worker a test belongs to: its module's, or a shared one."""
    path = nodeid.split("::", 1)[0]
    return SHARED_UNITS.get(path.rsplit("/", 1)[-1], path.rsplit("/", 1)[-1])


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, called when it runs the suite
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, with the modules of a shared unit sent to the same worker."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ByUnit(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)
    return ByUnit(config, log)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "corpora").is_dir():
        pytest.skip(f"the shared corpora are not at {SHARED} (they sit beside the checkout)")
    return SHARED


@contextmanager
def _run_wide(tmp_path_factory, name: str) -> Iterator[Path]:
    """A folder ``name`` shared by every xdist worker of this run (the session's own temporary
    folder without xdist), held under a lock while the caller looks at it or builds it."""
    base = tmp_path_factory.getbasetemp()
    if base.name.startswith("popen-gw"):  # an xdist worker's: its parent is the run's
        base = base.parent
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield base / name
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# the viewer's own caches in a library (manifests beside a version, the cache folder), the
# lock file and SQLite's own files beside the catalogue (its write-ahead log, which readers
# open too, is compared as part of the catalogue's content): everything else stays as built
_CACHES = re.compile(r"^cache/|derived/(\.)?manifest\..*json(\..*\.tmp)?$|\.sqlite-(wal|shm)$"
                     r"|^\.ingest\.lock$")


def _fingerprint(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if _CACHES.search(rel):
            continue
        if p.is_symlink():
            out[rel] = "-> " + str(p.readlink())
        elif p.suffix == ".sqlite":  # what it holds, whether still in the log or not
            with closing(sqlite3.connect(f"file:{p}?mode=ro", uri=True)) as conn:
                dump = "\n".join(conn.iterdump())
            out[rel] = hashlib.sha256(dump.encode()).hexdigest()
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _unchanged(root: Path, built: dict[str, str]) -> None:
    now = _fingerprint(root)
    changed = sorted(k for k in built.keys() | now.keys() if built.get(k) != now.get(k))
    assert not changed, (f"a test changed the shared {root.name} (copy it before changing "
                         f"it): {changed[:10]}")


@pytest.fixture(scope="session")
def sample_batch(tmp_path_factory) -> Iterator[Path]:
    from library.sample import write_sample

    with _run_wide(tmp_path_factory, "sample") as root:
        out = root / "batch"
        if not (root / "batch.done").exists():
            write_sample(out)
            (root / "batch.done").touch()
    built = _fingerprint(out)
    yield out
    _unchanged(out, built)


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory, sample_batch) -> Iterator[Settings]:
    """A library with the sample ingested by `sudur ingest`, as a newcomer would (shared,
    read-only for tests)."""
    from click.testing import CliRunner

    from library.cli import cli

    with _run_wide(tmp_path_factory, "sample") as root:
        settings = Settings.load(root / "library", catalog_url="")
        if not (root / "library.done").exists():
            res = CliRunner(env={"SUDUR_CATALOG_URL": ""}).invoke(
                cli, ["--library", str(settings.library), "ingest", str(sample_batch),
                      "--workers", "2"])
            assert res.exit_code == 0, res.output
            assert "8 items ingested, 0 unchanged, 0 failed" in res.output, res.output
            (root / "library.done").touch()
    built = _fingerprint(settings.library)
    yield settings
    _unchanged(settings.library, built)


@pytest.fixture()
def app(sample_library):
    from viewer import create_app

    return create_app({"SUDUR_SETTINGS": sample_library, "TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()
