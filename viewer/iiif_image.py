"""IIIF Image API 3.0 endpoints: ``/iiif/3/<image>``, ``.../info.json`` and image requests.

An image id is ``<item>.<order, 4 digits>``; its pyramid lives where the store puts it
(``library.store.page_derived_dir``, cut at ingest by library.imaging.make_derivatives).
Requests that are a pre-cut tile, size or thumbnail are sent as that file; anything else is
built from the nearest level's tiles and kept in ``LIBRARY/cache/iiif/<item>@<version>/``, keyed
by the canonical request, so a re-ingested item never serves stale images. Item
versions are immutable, which makes the ETag of an image simply a hash of that key and the
item version; Last-Modified is when the catalogue committed that version (never a file's mtime,
which differs from node to node).
With an object store (``store_url = s3://…``) the pyramid's files are read from the store through
this node's bounded ``cache/store`` (viewer.image_cache.ObjectCache): a pre-cut tile is one
object; a request built from tiles first brings the page's files in. With
``Settings.x_accel_redirect`` set, a pre-cut file of the library folder is not read here at all:
the response names it in ``X-Accel-Redirect`` and nginx sends it (README, "Beyond one machine").
That cache is bounded by ``Settings.iiif_cache_max_mb`` (viewer.image_cache, least recently used
first). The pyramids cut for versions ingested without one (``cache/pyramids``) are not pruned:
a request may be rendering from one, and there is at most one per page of a live version.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from flask import Blueprint, Response, current_app, redirect, request
from werkzeug.exceptions import RequestURITooLarge
from werkzeug.http import http_date

from library import imaging, urls
from library.errors import ImageError, LibraryError, NotFoundError, StoreUnavailableError
from library.iiif_image import INFO_MEDIA_TYPE, PROFILE_URI, info_json, parse_request
from library.models import image_id, parse_image_id
from library.settings import Settings
from library.storage import object_key
from library.store import page_derived_dir, resolve_inside, source_dir

from .image_cache import MB, ImageCache, ObjectCache
from .resources import get_catalog, get_settings, get_store, load_item_row, public_base

bp = Blueprint("iiif_image", __name__)

IMAGE_MAX_AGE = 30 * 24 * 3600  # images of one item version never change
INFO_MAX_AGE = 3600  # info.json names the public base URL, which a deployment may change


@bp.record_once
def _configure_pillow(state) -> None:
    settings: Settings = state.app.config["SUDUR_SETTINGS"]
    imaging.configure(settings.max_master_pixels)


# --- looking an image up -----------------------------------------------------------------------

class _Image:
    """One resolved image: its page, item version and pyramid."""

    def __init__(self, ident: str) -> None:
        settings = get_settings()
        parsed = parse_image_id(ident)
        if parsed is None:
            raise NotFoundError(f"no image {ident!r}: ids look like <item>.<0001>")
        self.item, self.order = parsed
        self.ident = image_id(self.item, self.order)
        catalog = get_catalog()
        row = load_item_row(self.item)  # 404, or 410 for a withdrawn item
        self.page = catalog.get_page(self.item, self.order)
        if not self.page.image:
            raise NotFoundError(f"page {self.order} of {self.item!r} has no image")
        self.version_path = row.version_path
        # the version and its commit time: the same answer on every node
        self.updated = repr(row.updated)
        self.last_modified = datetime.fromtimestamp(int(row.updated), tz=timezone.utc)
        store = get_store()
        self.derived_rel = page_derived_dir(Path(), self.order).as_posix()
        self.local = store.is_local  # the pyramid's files are on this disk, never pruned
        self.info: Optional[imaging.Derivatives] = None
        if self.local:
            self.derived = page_derived_dir(store.version_dir(self.version_path), self.order)
            try:
                self.info = imaging.load_derivatives(self.derived)
            except FileNotFoundError:
                pass
        else:
            objects = store_cache()
            self.derived = objects.version_dir(self.version_path) / self.derived_rel
            try:
                self.info = imaging.Derivatives.from_json(objects.read(
                    self.version_path, f"{self.derived_rel}/pyramid.json").decode("utf-8"))
            except FileNotFoundError:
                pass
        if self.info is None:
            self.derived, self.info = _fallback_pyramid(self, settings)
            self.local = True
        record = catalog.get_item(self.item, with_pages=False)
        self.rights = record.rights or ""
        self.titles = dict(record.titles)
        self.pyramid_file = str(imaging.pyramid_path(self.derived)) if self.local else ""

    def base_uri(self) -> str:
        return urls.image_service_url(public_base(), self.ident)

    def part_of(self) -> list[dict]:
        """The item's manifest (Presentation API URL of DESIGN.md), for info.json's partOf."""
        part = {"id": urls.manifest_url(public_base(), self.item), "type": "Manifest"}
        if self.titles:
            part["label"] = {lang: [text] for lang, text in self.titles.items()}
        return [part]


# Resolving an id costs a catalogue connection and three queries, several times the cost of
# sending a tile; a worker keeps what it resolved for a moment. A re-ingested item is seen within
# RESOLVE_TTL seconds, at once if its old version folder has already been removed.
RESOLVE_TTL = 2.0
_resolved: dict[tuple[str, str], tuple[float, _Image]] = {}
_resolved_lock = threading.Lock()


def resolve(ident: str, again: bool = False) -> _Image:
    """The image ``ident`` names, as resolved within RESOLVE_TTL (``again``: from the
    catalogue now)."""
    key = (str(get_settings().library), ident)
    now = time.monotonic()
    hit = _resolved.get(key)
    if not again and hit is not None and hit[0] > now and (
            not hit[1].pyramid_file or os.path.exists(hit[1].pyramid_file)):
        return hit[1]
    img = _Image(ident)
    with _resolved_lock:
        if len(_resolved) > 4096:
            _resolved.clear()
        _resolved[key] = (now + RESOLVE_TTL, img)
    return img


def _fallback_pyramid(img: _Image, settings: Settings) -> tuple[Path, imaging.Derivatives]:
    """An item version written without a pyramid (an older ingest): cut it once into the cache.
    This is the one place the viewer decodes a master, once per page and version (fetched
    first from an object store)."""
    store = get_store()
    target = store.cached_pyramid_dir(img.version_path, img.order)
    try:
        return target, imaging.load_derivatives(target)
    except FileNotFoundError:
        pass
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}"
    fetched = None
    try:
        rel = f"{source_dir(Path()).as_posix()}/{img.page.image or ''}"
        if store.is_local:
            master = resolve_inside(source_dir(store.version_dir(img.version_path)),
                                    img.page.image or "")
        else:
            fetched = master = tmp.with_name(tmp.name + ".master") / Path(rel).name
            store.objects.fetch(object_key(img.version_path, rel), master)
        derivs = imaging.make_derivatives(master, tmp, tile_size=settings.tile_size,
                                          thumb_width=settings.thumb_width)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(tmp, target)
        except OSError:  # another worker got there first; theirs is as good
            shutil.rmtree(tmp, ignore_errors=True)
            derivs = imaging.load_derivatives(target)
    except ImageError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise LibraryError(f"the master of {img.ident} cannot be read: {exc.message}") from exc
    except FileNotFoundError as exc:  # neither a pyramid nor a master in the object store
        raise LibraryError(f"the master of {img.ident} is missing from the store",
                           hint="run `sudur verify`") from exc
    finally:
        if fetched is not None:
            shutil.rmtree(fetched.parent, ignore_errors=True)
    return target, derivs


def _version_name(img: _Image) -> str:
    """``<item>@<version>``: cache entries live under the version they were made from, so
    removing a dead version's cache is removing one folder (cache/iiif/<name>,
    cache/pyramids/<name>)."""
    return Path(img.version_path).name






def _check_url_length() -> None:
    limit = get_settings().max_url_length
    if limit and len(request.path) + len(request.query_string) > limit:
        raise RequestURITooLarge(f"URLs longer than {limit} characters are refused")


def _etag(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _not_modified(etag: str, last_modified: datetime) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains(etag)
    since = request.if_modified_since
    return since is not None and last_modified <= since


def _link_header(canonical: Optional[str] = None) -> str:
    links = [f'<{PROFILE_URI}>;rel="profile"']
    if canonical:
        links.insert(0, f'<{canonical}>;rel="canonical"')
    return ", ".join(links)


# --- views -------------------------------------------------------------------------------------

@bp.route(urls.IMAGE.rule)
def base_uri(ident: str):
    """The base URI redirects to the image information (spec 2, 303 as recommended)."""
    _check_url_length()
    img = resolve(ident)
    resp = redirect(urls.image_info_url(public_base(), img.ident), code=303)
    resp.headers["Link"] = _link_header()
    return resp


@bp.route(urls.IMAGE_INFO.rule)
def info(ident: str):
    _check_url_length()
    settings = get_settings()
    img = resolve(ident)
    doc = info_json(img.base_uri(), img.info.width, img.info.height, settings, img.info,
                    rights=img.rights, part_of=img.part_of())
    body = json.dumps(doc, ensure_ascii=False, indent=2).encode()
    best = request.accept_mimetypes.best_match(["application/ld+json", "application/json"],
                                               default="application/ld+json")
    mimetype = "application/json" if best == "application/json" else INFO_MEDIA_TYPE
    etag = _etag(img.version_path, hashlib.sha256(body).hexdigest(), mimetype)
    resp = Response(body, content_type=mimetype)
    resp.set_etag(etag)
    resp.last_modified = img.last_modified
    resp.headers["Link"] = _link_header()
    resp.headers["Vary"] = "Accept"
    resp.cache_control.public = True
    resp.cache_control.max_age = INFO_MAX_AGE
    return resp.make_conditional(request)


@bp.route(urls.IMAGE_REQUEST.rule)
def image(ident: str, region: str, size: str, rotation: str, quality_format: str):
    _check_url_length()
    img = resolve(ident)
    try:
        return _image(img, region, size, rotation, quality_format)
    except StoreUnavailableError:
        raise
    except LibraryError as exc:
        if exc.http_status < 500:
            raise
        # The item was replaced while this request (or the moment it was resolved within)
        # read its old version, whose files garbage collection is removing: answer from the
        # version the catalogue holds now. A file missing from the current version stays an
        # error.
        fresh = resolve(ident, again=True)
        if fresh.version_path == img.version_path:
            raise
        return _image(fresh, region, size, rotation, quality_format)


def _image(img: _Image, region: str, size: str, rotation: str, quality_format: str):
    settings = get_settings()
    req = parse_request(img.ident, region, size, rotation, quality_format,
                        width=img.info.width, height=img.info.height, settings=settings)
    etag = _etag(img.version_path, img.updated, req.canonical)
    last_modified = img.last_modified
    headers = {"Link": _link_header(req.canonical_url(img.base_uri()))}
    if _not_modified(etag, last_modified):
        resp = Response(status=304, headers=headers)
        resp.set_etag(etag)
        resp.cache_control.public = True
        resp.cache_control.max_age = IMAGE_MAX_AGE
        return resp
    pre = imaging.prebuilt_path(req, img.derived, img.info)
    if pre is not None and settings.x_accel_redirect and img.local and pre.is_file():
        return _accel_redirect(settings, pre, req.media_type, headers, etag, last_modified)
    data = _prebuilt(img, pre)
    if data is None:
        data = _cached(img, req)
    # Bytes rather than send_file: tiles are tens of kilobytes, and a read is cheaper than
    # keeping a file handle open for the life of the response. Conditional requests were
    # answered above; werkzeug's make_conditional is only needed for Range requests.
    headers.update({"ETag": f'"{etag}"', "Last-Modified": http_date(last_modified),
                    "Cache-Control": f"public, max-age={IMAGE_MAX_AGE}",
                    "Accept-Ranges": "bytes"})
    resp = Response(data, mimetype=req.media_type, headers=headers)
    if "Range" in request.headers:
        return resp.make_conditional(request, accept_ranges=True, complete_length=len(data))
    return resp


def _prebuilt(img: _Image, path: Optional[Path]) -> Optional[bytes]:
    """The pre-cut file that is exactly the request, from this disk or the object store."""
    if path is None:
        return None
    try:
        if img.local:
            return path.read_bytes()
        rel = f"{img.derived_rel}/{path.relative_to(img.derived).as_posix()}"
        return store_cache().read(img.version_path, rel)
    except FileNotFoundError:
        return None


def _accel_redirect(settings: Settings, path: Path, media_type: str, headers: dict,
                    etag: str, last_modified: datetime) -> Response:
    """Let nginx send the file: its internal location ``x_accel_redirect`` aliases the
    library folder, so the header names the file's path inside it."""
    rel = path.relative_to(get_store().root).as_posix()
    headers.update({"X-Accel-Redirect": settings.x_accel_redirect.rstrip("/") + "/" + quote(rel),
                    "ETag": f'"{etag}"', "Last-Modified": http_date(last_modified),
                    "Cache-Control": f"public, max-age={IMAGE_MAX_AGE}"})
    return Response(b"", mimetype=media_type, headers=headers)


def store_cache() -> ObjectCache:
    """This app's bounded local copy of the object store's files (one per worker process)."""
    store = get_store()
    root = store.store_cache_dir
    limit = get_settings().store_cache_max_mb * MB
    cache = current_app.extensions.get("sudur.store_cache")
    if (cache is None or cache.root != root or cache.files.max_bytes != limit
            or cache.objects is not store.objects):
        cache = current_app.extensions["sudur.store_cache"] = ObjectCache(store.objects, root,
                                                                          limit)
    return cache


def _render(img: _Image, req) -> bytes:
    """Build the request from the pyramid: on this disk, or with the page's files brought in
    from the object store (into the bounded cache, or for this request only when the cache
    cannot keep them all)."""
    if img.local:
        return imaging.render(req, img.derived, img.info)
    rels = [f"{img.derived_rel}/{f}" for f in img.info.files]
    cache = store_cache()
    try:
        base = cache.materialise(img.version_path, rels)
        return imaging.render(req, base / img.derived_rel, img.info)
    except StoreUnavailableError:
        raise
    except LibraryError:  # a file not kept (no room) or pruned meanwhile
        cache.root.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache.root.parent) as tmp:
            base = cache.materialise(img.version_path, rels, into=Path(tmp))
            return imaging.render(req, base / img.derived_rel, img.info)


def image_cache() -> ImageCache:
    """This app's bounded cache of built images (one per app, so per worker process)."""
    root = get_store().iiif_cache_dir
    limit = get_settings().iiif_cache_max_mb * MB
    cache = current_app.extensions.get("sudur.image_cache")
    if cache is None or cache.root != root or cache.max_bytes != limit:
        cache = current_app.extensions["sudur.image_cache"] = ImageCache(root, limit)
    return cache


def _cached(img: _Image, req) -> bytes:
    """The rendered image from the cache, rendering and storing it (atomically) if absent."""
    key = _etag(img.version_path, req.canonical)
    cache = image_cache()
    path = cache.root / _version_name(img) / key[:2] / f"{key}.{req.format}"
    data = cache.get(path)
    if data is not None:
        return data
    data = _render(img, req)
    cache.put(path, data)
    current_app.logger.debug("rendered %s/%s", img.ident, req.canonical)
    return data
