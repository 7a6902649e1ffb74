"""IIIF Presentation API 3.0 over HTTP: manifests, collections and transcription pages.

A manifest is built once per item version (library/iiif_presentation.py) with a placeholder base
URL, written beside the version (``derived/manifest.v<format>.t<thumb>.json``, atomically) and
kept in memory; each request swaps in the public base, and the result is kept per host, plain
and gzipped (manifest JSON shrinks thirtyfold, which matters on exhibition-hall networks). A new
ingest makes a new version folder, so the cache never serves a stale manifest, and moving the
site to another host needs no rebuild. Every response carries the Presentation 3 JSON-LD content
type (and CORS ``*``, from viewer.security).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from flask import Blueprint, Response, request

from catalog.db import ItemRow
from library import iiif_presentation as prezi
from library import urls
from library.iiif_work import build_work_collection, volume_manifest_json
from library.errors import NotFoundError
from library.models import Item
from library.numbers import parse_order
from library.store import manifest_cache_path

from .args import page_number
from .resources import get_catalog, get_settings, get_store, load_item_row, public_base

bp = Blueprint("iiif_presentation", __name__)
log = logging.getLogger(__name__)

_MEMORY_ITEMS = 32  # manifests (placeholder form) kept in memory
_RENDERED_ITEMS = 64  # manifests rebased for a public base, ready to send


class _LRU:
    """A small thread-safe LRU map (gunicorn threads share one per worker)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


_manifests = _LRU(_MEMORY_ITEMS)
_rendered = _LRU(_RENDERED_ITEMS)


def _ld(body: str | bytes, *, etag: Optional[str] = None, max_age: int = 300) -> Response:
    resp = Response(body, content_type=prezi.CONTENT_TYPE)
    resp.headers["Cache-Control"] = f"public, max-age={max_age}"
    if etag:
        resp.set_etag(etag)
        resp.make_conditional(request)
    return resp


# --- manifest cache --------------------------------------------------------------------------

def _cache_name(thumb_width: int, works: tuple = ()) -> str:
    # a volume's manifest also depends on its works, which change without a new item version
    stamp = f".w{hashlib.sha1(repr(works).encode()).hexdigest()[:12]}" if works else ""
    return f"manifest.v{prezi.MANIFEST_FORMAT}.t{thumb_width}{stamp}.json"


def cached_manifest(row: ItemRow) -> str:
    """The placeholder-based manifest JSON of an item version: memory, else disk, else built."""
    settings = get_settings()
    works = tuple(get_catalog().work_stamps(row.id))
    key = (str(settings.library), row.version_path, prezi.MANIFEST_FORMAT, settings.thumb_width,
           works)
    text = _manifests.get(key)
    if text is not None:
        return text
    version_dir = get_store().version_dir(row.version_path)
    path = manifest_cache_path(version_dir, _cache_name(settings.thumb_width, works))
    text = _read_cache(path)
    if text is None:
        catalog = get_catalog()
        item = catalog.get_item(row.id)
        text = volume_manifest_json(item, [catalog.get_work(w) for w, _ in works],
                                    thumb_width=settings.thumb_width)
        if version_dir.is_dir():
            _write_atomically(path, text)
    _manifests.put(key, text)
    return text


def _read_cache(path: Path) -> Optional[str]:
    """The cached JSON, or None when absent or damaged (it is then rebuilt and rewritten)."""
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("rebuilding the damaged manifest cache %s: %s", path, exc)
        return None
    return text


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        # A read-only library still serves manifests, from memory; say why it is slower.
        log.warning("cannot cache the manifest at %s: %s", path, exc)
        tmp.unlink(missing_ok=True)


def clear_memory_cache() -> None:
    """Forget cached manifests in this process (tests, benchmarks)."""
    _manifests.clear()
    _rendered.clear()


# --- views -----------------------------------------------------------------------------------

@bp.get(urls.MANIFEST.rule)
def manifest(item_id: str):
    row = load_item_row(item_id)
    base = public_base()
    settings = get_settings()
    key = (str(settings.library), row.version_path, settings.thumb_width, base,
           tuple(get_catalog().work_stamps(row.id)))
    bodies = _rendered.get(key)
    if bodies is None:
        plain = prezi.rebase(cached_manifest(row), base).encode("utf-8")
        bodies = (plain, gzip.compress(plain, compresslevel=6, mtime=0))
        _rendered.put(key, bodies)
    etag = hashlib.sha1(repr(key + (prezi.MANIFEST_FORMAT,)).encode()).hexdigest()
    if "gzip" in request.accept_encodings:
        resp = _ld(bodies[1], etag=etag + "-gz")
        if resp.status_code == 200:
            resp.headers["Content-Encoding"] = "gzip"
    else:
        resp = _ld(bodies[0], etag=etag)
    resp.vary.add("Accept-Encoding")
    return resp


@bp.get(urls.ANNOTATIONS.rule)
def annotation_page(item_id: str, order: str):
    number = parse_order(order)
    row = load_item_row(item_id)
    catalog = get_catalog()
    item = catalog.get_item(item_id, with_pages=False)
    page = catalog.get_page(item_id, number)
    data = prezi.build_annotation_page(item, page, public_base())
    etag = hashlib.sha1(f"{row.version_path}|{number}|{public_base()}".encode()).hexdigest()
    return _ld(_dumps(data), etag=etag)


@bp.get(urls.COLLECTION.rule)
def collection(collection_id: str):
    page = page_number()
    catalog = get_catalog()
    all_colls = catalog.collections()
    known = {c.id for c in all_colls}
    if collection_id == "top":
        coll = None
        subs = [c for c in all_colls if not c.parent or c.parent not in known]
        grouped = {i for c in all_colls for i in c.items}
        member_ids = [i for i in catalog.item_ids() if i not in grouped]
    else:
        coll = catalog.get_collection(collection_id)
        subs = [c for c in all_colls if c.parent == collection_id]
        present = set(catalog.item_ids())
        member_ids = [i for i in coll.items if i in present]
    settings = get_settings()
    data = prezi.build_collection(public_base(), coll, subcollections=subs,
                                  manifests=_ItemStubs(catalog, member_ids), page=page,
                                  page_size=prezi.COLLECTION_PAGE_SIZE,
                                  thumb_width=settings.thumb_width)
    return _ld(_dumps(data), max_age=60)


@bp.get(urls.WORK_COLLECTION.rule)
def work_collection(work_id: str):
    """The work as a multi-part Collection of its volumes' manifests."""
    catalog = get_catalog()
    work = catalog.get_work(work_id)
    present = set(catalog.item_ids())
    stubs = _ItemStubs(catalog, [])
    volumes = [(v, stubs._stub(v.item) if v.item in present else None) for v in work.volumes]
    data = build_work_collection(public_base(), work, volumes,
                                 thumb_width=get_settings().thumb_width)
    return _ld(_dumps(data), max_age=60)


class _ItemStubs(Sequence):
    """Items of a collection, read from the catalogue only when listed: a paged collection of
    thousands of volumes reads one page of records, not all of them."""

    def __init__(self, catalog, item_ids: list[str]) -> None:
        self.catalog = catalog
        self.item_ids = item_ids

    def __len__(self) -> int:
        return len(self.item_ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._stub(i) for i in self.item_ids[index]]
        return self._stub(self.item_ids[index])

    def _stub(self, item_id: str) -> Item:
        """The item record with only its first page: enough for a labelled, thumbnailed ref."""
        item = self.catalog.get_item(item_id, with_pages=False)
        try:
            item.pages = [self.catalog.get_page(item_id, 1)]
        except NotFoundError:
            item.pages = []
        return item


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
