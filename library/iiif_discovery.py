"""IIIF Change Discovery API 1.0 (https://iiif.io/api/discovery/1.0/): the library's activity
log (catalog/activities.py) as an OrderedCollection of OrderedCollectionPages of Create,
Update and Delete activities whose objects are the items' manifests.

Pages hold ``PAGE_SIZE`` activities each, oldest first: page 0 holds the earliest and the last
page the most recent, as the specification orders them, so every page but the last never
changes. Nothing here does I/O; the viewer serves the documents (viewer/discovery.py).

The specification wants a page to list at least one activity, and the collection a last page.
A library with nothing published yet has one thing to announce: its top Collection, created
empty. So an empty log is shown as that one Create (``library_created``); it gives way to the
items' activities once there are any (page 0 was the last page then, which may change).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable, Optional, Protocol

from library import urls

CONTEXT = "http://iiif.io/api/discovery/1/context.json"
MEDIA_TYPE = f'application/ld+json;profile="{CONTEXT}"'
PAGE_SIZE = 100


class ActivityRow(Protocol):
    """An activity as the catalogue logs it (catalog.activities.Activity)."""

    item_id: str
    type: str
    end_time: float


def timestamp(seconds: float) -> str:
    """``seconds`` since the epoch as an xsd:dateTime in UTC, to the second."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def page_count(total: int, size: Optional[int] = None) -> int:
    """How many pages ``total`` activities fill (``PAGE_SIZE`` to a page unless ``size`` is
    given); an empty log still has its page 0."""
    return max(1, -(-total // (size or PAGE_SIZE)))


def _ref(url: str, kind: str) -> dict:
    return {"id": url, "type": kind}


def collection(base: str, total: int, size: Optional[int] = None) -> dict:
    """The OrderedCollection: how many activities, and its first and last pages."""
    last = page_count(total, size) - 1
    return {"@context": CONTEXT, "id": urls.discovery_url(base), "type": "OrderedCollection",
            "totalItems": total or 1,  # an empty log shows library_created
            "first": _ref(urls.discovery_page_url(base, 0), "OrderedCollectionPage"),
            "last": _ref(urls.discovery_page_url(base, last), "OrderedCollectionPage")}


def activity(base: str, row: ActivityRow) -> dict:
    """One activity: its type, the manifest it changed, and when it ended."""
    return {"type": row.type, "object": _ref(urls.manifest_url(base, row.item_id), "Manifest"),
            "endTime": timestamp(row.end_time)}


def library_created(base: str, when: float) -> dict:
    """The activity an empty log shows: the library's top Collection, created at ``when``."""
    return {"type": "Create", "object": _ref(urls.collection_url(base, "top"), "Collection"),
            "endTime": timestamp(when)}


def page(base: str, number: int, total: int, rows: Iterable[ActivityRow],
         size: Optional[int] = None, founded: float = 0.0) -> Optional[dict]:
    """The OrderedCollectionPage ``number`` (0-based) of a log of ``total`` activities, whose
    ``rows`` are given; None when the log has no such page. An empty log's page 0 lists
    ``library_created`` at ``founded``."""
    size = size or PAGE_SIZE
    pages = page_count(total, size)
    if not 0 <= number < pages:
        return None
    doc = {"@context": CONTEXT, "id": urls.discovery_page_url(base, number),
           "type": "OrderedCollectionPage", "startIndex": number * size,
           "partOf": _ref(urls.discovery_url(base), "OrderedCollection")}
    if number > 0:
        doc["prev"] = _ref(urls.discovery_page_url(base, number - 1), "OrderedCollectionPage")
    if number + 1 < pages:
        doc["next"] = _ref(urls.discovery_page_url(base, number + 1), "OrderedCollectionPage")
    doc["orderedItems"] = [activity(base, r) for r in rows] if total else \
        [library_created(base, founded)]
    return doc
