"""IIIF Content Search (2.0 and 1.0) over every volume of a multi-volume work.

The matches of a work are those of its volumes, volume after volume, each in reading order; a
response pages through them as one list, and every annotation targets its own volume's canvas.
The annotations of each volume are made by the one-item builders of ``library.iiif_search``
(so a hit is the same whether asked of the volume or of the work); this module gathers them
under the work's service id and paging.
"""
from __future__ import annotations

from typing import Sequence

from . import iiif_search as cs
from .urls import work_search1_url, work_search_url

VolumeMatches = tuple[str, Sequence[cs.Match]]  # (item id, its matches on this result page)


def search2_response(groups: Sequence[VolumeMatches], *, base: str, work_id: str, q: str,
                     total: int, page: int = 1, page_size: int = cs.PAGE_SIZE,
                     language: str = "", ignored: Sequence[str] = ()) -> dict:
    """The Search 2.0 AnnotationPage of one result page of a work's ``total`` matches."""
    service = work_search_url(base, work_id)
    items: list[dict] = []
    contexts: list[dict] = []
    for item_id, matches in groups:
        one = cs.search2_response(matches, base=base, item_id=item_id, q=q,
                                  total=len(matches), page_size=max(1, len(matches)),
                                  language=language)
        items += one["items"]
        for page_of in one.get("annotations", []):
            contexts += page_of["items"]
    return cs.annotation_page(service, q, items, contexts, total=total, page=page,
                              page_size=page_size, ignored=ignored)


def search1_response(groups: Sequence[VolumeMatches], *, base: str, work_id: str, q: str,
                     total: int, page: int = 1, page_size: int = cs.PAGE_SIZE,
                     ignored: Sequence[str] = ()) -> dict:
    """The Search 1.0 AnnotationList (with ``hits``) of one result page of a work."""
    service = work_search1_url(base, work_id)
    npages = max(1, -(-total // page_size))
    resources: list[dict] = []
    hits: list[dict] = []
    for item_id, matches in groups:
        one = cs.search1_response(matches, base=base, item_id=item_id, q=q,
                                  total=len(matches), page_size=max(1, len(matches)))
        resources += one["resources"]
        hits += one["hits"]
    out: dict = {"@context": cs.SEARCH1_CONTEXT,
                 "@id": cs.page_url(service, q, page if npages > 1 else 0),
                 "@type": "sc:AnnotationList",
                 "within": {"@type": "sc:Layer", "total": total}}
    if npages > 1:
        out["within"].update(first=cs.page_url(service, q, 1), last=cs.page_url(service, q, npages))
        if page < npages:
            out["next"] = cs.page_url(service, q, page + 1)
        if page > 1:
            out["prev"] = cs.page_url(service, q, page - 1)
        out["startIndex"] = (page - 1) * page_size
    if ignored:
        out["ignored"] = list(ignored)
    out["resources"] = resources
    out["hits"] = hits
    return out
