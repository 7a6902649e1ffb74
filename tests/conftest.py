"""Shared fixtures: the shared corpora, the built-in sample batch and a library ingested from it.

The sample is the same one `sudur sample` writes (library/sample.py), built once per session.

A test that starts SeaweedFS or a Dask cluster (it uses ``s3_endpoint`` or ``dask_address``, or
is in tests/test_storage_s3.py) is marked ``cluster``, as browser tests are marked ``browser``: `make test` leaves both to `make
test-e2e` so that the default suite stays within a few minutes; CI runs both.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from library.settings import Settings

SHARED = Path(__file__).resolve().parents[2] / "shared"
CLUSTER_FIXTURES = frozenset({"s3_endpoint", "dask_address"})
CLUSTER_MODULES = frozenset({"test_storage_s3.py"})  # (it also starts SeaweedFS of its own)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if (CLUSTER_FIXTURES & set(getattr(item, "fixturenames", ()))
                or item.path.name in CLUSTER_MODULES):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "corpora").is_dir():
        pytest.skip(f"the shared corpora are not at {SHARED} (they sit beside the checkout)")
    return SHARED


@pytest.fixture(scope="session")
def sample_batch(tmp_path_factory) -> Path:
    from library.sample import write_sample

    out = tmp_path_factory.mktemp("sample") / "batch"
    write_sample(out)
    return out


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory, sample_batch) -> Settings:
    """A library with the sample ingested (shared, read-only for tests)."""
    from ingest.pipeline import ingest_batch

    settings = Settings.load(tmp_path_factory.mktemp("lib") / "library")
    summary = ingest_batch(sample_batch, settings, workers=2)
    assert summary.ok, summary.failed
    return settings


@pytest.fixture()
def app(sample_library):
    from viewer import create_app

    return create_app({"SUDUR_SETTINGS": sample_library, "TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()
