"""IIIF Change Discovery 1.0: ``/iiif/discovery`` (the OrderedCollection) and
``/iiif/discovery/page/<n>`` (its pages, 0 the oldest), from the catalogue's activity log.

The documents are library/iiif_discovery.py's; CORS comes with every /iiif response
(viewer/security.py).
"""
from __future__ import annotations

import json
import time

from flask import Blueprint, Response

from library import iiif_discovery as discovery
from library import urls
from library.errors import NotFoundError

from .resources import get_catalog, get_store, public_base

bp = Blueprint("discovery", __name__)


def _json(doc: dict) -> Response:
    return Response(json.dumps(doc, ensure_ascii=False, indent=1),
                    content_type=discovery.MEDIA_TYPE)


@bp.route(urls.DISCOVERY.rule)
def collection() -> Response:
    return _json(discovery.collection(public_base(), get_catalog().activity_count()))


@bp.route(urls.DISCOVERY_PAGE.rule)
def page(number: int) -> Response:
    cat = get_catalog()
    total = cat.activity_count()
    if not 0 <= number < discovery.page_count(total):
        raise NotFoundError(f"the activity log has {discovery.page_count(total)} page(s), "
                            f"numbered from 0; not {number}")
    size = discovery.PAGE_SIZE
    founded = _set_up_at() if not total else 0.0
    doc = discovery.page(public_base(), number, total, cat.activities(number * size, size),
                         founded=founded)
    return _json(doc)


def _set_up_at() -> float:
    """When an empty library was set up: its catalogue's last write (nothing has been written
    since), else its folder's; a library not even on disk yet is being set up now."""
    store = get_store()
    for path in (store.catalog_path, store.root):
        if path.exists():
            return path.stat().st_mtime
    return time.time()
