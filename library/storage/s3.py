"""Item versions in an S3-compatible store (``store_url = s3://BUCKET/PREFIX``), through boto3.

Imported only when a library is configured so (``library.storage.open_objects``); boto3 comes
with ``pip install -e '.[cluster]'``. Credentials and region come from the standard
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_DEFAULT_REGION`` variables (or any
other source boto3 reads); ``s3_endpoint_url`` names a store other than AWS (SeaweedFS, Ceph RGW,
MinIO), addressed path-style.

Failures are translated once, here (``_translated``): a key that is not there is
FileNotFoundError; a store that does not answer, times out or answers 5xx/SlowDown is
StoreUnavailableError (503 with Retry-After in the web app); a refusal (credentials, missing
bucket) is LibraryError. Timeouts are short and retries few, so a request meets a dead store
with a 503 within seconds instead of hanging a worker; the next request simply tries again, which
is how service resumes when the store comes back.

A version is published by uploading every file of its staging folder (several at a time); the
catalogue commit that names it comes after the last upload, so no reader sees a version half
uploaded. A failed upload deletes what it wrote when the store lets it; otherwise the objects are
unreferenced and garbage collection removes them.
"""
from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import urlparse

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (BotoCoreError, ClientError, NoCredentialsError,
                                 PartialCredentialsError)

from ..errors import LibraryError, SettingsError, StoreUnavailableError
from .base import CHUNK, VERSIONS, ObjectStore, version_key, version_name

log = logging.getLogger(__name__)

UPLOADS = 8  # objects uploaded at once while publishing a version
_MISSING = {"NoSuchKey", "404", "NotFound"}
_BUSY = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "503", "500",
         "502", "504", "RequestTimeTooSkewed"}


def parse_url(url: str) -> tuple[str, str]:
    """(bucket, key prefix ending in '/' or empty) of ``s3://BUCKET/PREFIX``."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise SettingsError(f"store_url {url!r} must look like s3://BUCKET/PREFIX")
    prefix = parsed.path.strip("/")
    return parsed.netloc, (prefix + "/" if prefix else "")


class S3Objects(ObjectStore):
    is_local = False

    def __init__(self, url: str, endpoint_url: str = "", *, timeout: float = 5.0) -> None:
        self.url = url
        self.bucket, self.prefix = parse_url(url)
        self.endpoint_url = endpoint_url
        config = Config(connect_timeout=min(timeout, 3.0), read_timeout=timeout,
                        retries={"max_attempts": 2, "mode": "standard"},
                        max_pool_connections=32, s3={"addressing_style": "path"})
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, config=config,
            region_name=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
        self._transfer = TransferConfig(use_threads=False, multipart_threshold=64 << 20,
                                        multipart_chunksize=16 << 20)

    def describe(self) -> str:
        return self.url

    def _key(self, key: str) -> str:
        return self.prefix + key

    def ensure(self) -> None:
        with _translated(self, "the bucket"):
            try:
                self.client.head_bucket(Bucket=self.bucket)
                return
            except ClientError as exc:
                if _code(exc) not in _MISSING and _code(exc) != "NoSuchBucket":
                    raise
            self.client.create_bucket(Bucket=self.bucket)

    # --- reading ----------------------------------------------------------------------------
    def read(self, key: str) -> bytes:
        with _translated(self, key):
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def chunks(self, key: str, size: int = CHUNK) -> Iterator[bytes]:
        with _translated(self, key):
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            try:
                yield from body.iter_chunks(size)
            finally:
                body.close()

    def size(self, key: str) -> Optional[int]:
        try:
            with _translated(self, key):
                return self.client.head_object(Bucket=self.bucket,
                                               Key=self._key(key))["ContentLength"]
        except FileNotFoundError:
            return None

    def listing(self, prefix: str) -> dict[str, int]:
        out: dict[str, int] = {}
        strip = len(self.prefix)
        with _translated(self, prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._key(prefix.rstrip("/") + "/"))
            for page in pages:
                for obj in page.get("Contents", ()):
                    out[obj["Key"][strip:]] = obj["Size"]
        return out

    # --- versions ---------------------------------------------------------------------------
    def versions(self) -> list[str]:
        names: list[str] = []
        with _translated(self, VERSIONS):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._key(VERSIONS + "/"), Delimiter="/")
            for page in pages:
                for common in page.get("CommonPrefixes", ()):
                    name = common["Prefix"].rstrip("/").rsplit("/", 1)[-1]
                    if "@" in name:
                        names.append(name)
        return sorted(names)

    def has_version(self, version_path: str) -> bool:
        with _translated(self, version_path):
            found = self.client.list_objects_v2(
                Bucket=self.bucket, MaxKeys=1,
                Prefix=self._key(version_key(version_name(version_path)) + "/"))
        return bool(found.get("KeyCount") or found.get("Contents"))

    def publish(self, staged: Path) -> str:
        version_path = version_key(staged.name)
        if self.has_version(version_path):
            raise LibraryError(f"the item version {staged.name} is already in {self.url}")
        files = sorted(p for p in staged.rglob("*") if p.is_file())
        try:
            with ThreadPoolExecutor(max_workers=UPLOADS) as pool:
                for _ in pool.map(lambda p: self.put_file(
                        f"{version_path}/{p.relative_to(staged).as_posix()}", p), files):
                    pass
        except BaseException:
            try:
                self.delete_version(version_path)
            except (StoreUnavailableError, LibraryError) as exc:
                log.warning("the partial upload of %s stays until garbage collection: %s",
                            staged.name, exc.message)
            raise
        return version_path

    def delete_version(self, version_path: str) -> None:
        prefix = version_key(version_name(version_path))
        keys = [self._key(k) for k in self.listing(prefix)]
        # Stores that emulate folders (SeaweedFS) keep the emptied ones, which a listing by
        # delimiter would still show as a version: they go too, deepest first.
        folders = {k.rsplit("/", n)[0] + "/" for k in keys for n in range(1, k.count("/") + 1)
                   if len(k.rsplit("/", n)[0]) >= len(self._key(prefix))}
        with _translated(self, version_path):
            for batch in (keys, sorted(folders, key=lambda f: -f.count("/"))):
                for start in range(0, len(batch), 1000):
                    self.client.delete_objects(Bucket=self.bucket, Delete={
                        "Objects": [{"Key": k} for k in batch[start:start + 1000]],
                        "Quiet": True})

    def put_file(self, key: str, path: Path) -> None:
        with _translated(self, key):
            self.client.upload_file(str(path), self.bucket, self._key(key),
                                    Config=self._transfer)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def _translated(store: S3Objects, key: str) -> Iterator[None]:
    """The one place boto3's exceptions become Sudur's."""
    where = f"{store.url} ({key})"
    try:
        yield
    except ClientError as exc:
        code = _code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _MISSING or (status == 404 and code != "NoSuchBucket"):
            raise FileNotFoundError(f"{key} is not in {store.url}") from exc
        if code in _BUSY or status >= 500:
            raise StoreUnavailableError(f"the store {where} is unavailable: {code}") from exc
        raise LibraryError(f"the store {where} refused: {code} {exc}",
                           hint="check store_url, s3_endpoint_url and the AWS_* "
                                "credentials") from exc
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise LibraryError(f"no credentials for {store.url}: {exc}",
                           hint="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") from exc
    except S3UploadFailedError as exc:
        cause = exc.__context__
        if isinstance(cause, ClientError) and _code(cause) not in _BUSY:
            raise LibraryError(f"upload to {where} refused: {exc}") from exc
        raise StoreUnavailableError(f"upload to {where} failed: {exc}") from exc
    except BotoCoreError as exc:  # cannot connect, timed out, connection closed mid-stream
        raise StoreUnavailableError(f"the store {where} cannot be reached: {exc}") from exc
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) and exc.filename:
            raise  # a local file (an upload's source) vanished: not the store's fault
        raise StoreUnavailableError(f"the store {where} cannot be reached: {exc}") from exc
