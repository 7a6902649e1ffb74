"""IIIF Content Search over HTTP: ``/search`` (2.0), ``/search1`` (1.0), ``/autocomplete`` (2.0)
and ``/autocomplete1`` (1.0, which Mirador uses). Besides the specified parameters, ``exact=1``
matches the spelling exactly, as on the site's search page.

The search engine (``catalog.search``) finds every matching span on the item's pages; this module
pages through them in reading order, fetches only the page records of the current result page
(for their word boxes) and hands them to the builders in ``library/iiif_search.py``.
"""
from __future__ import annotations

import json
from typing import Callable

from flask import Blueprint, Response, request

from catalog.deadline import Deadline
from catalog.request import SearchRequest
from library import iiif_search as cs
from library import iiif_work_search as ws
from library import urls
from library.errors import BadRequestError, NotFoundError, NotImplementedFeatureError
from library.iiif_presentation import text_language
from library.models import Item, Page

from .args import count_arg, page_number
from .resources import get_catalog, get_searcher, get_settings, load_item, public_base

bp = Blueprint("iiif_search", __name__)

AUTOCOMPLETE_LIMIT = 10


def _send(data: dict, content_type: str) -> Response:
    resp = Response(json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                    content_type=content_type)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def _query(item: Item, required: bool = False) -> tuple[SearchRequest, str]:
    """The search of ``item`` asked for, and its ``q`` as the response echoes it."""
    req = SearchRequest.from_args(request.args, get_settings(), item=item.id)
    q = " ".join(req.text.split())
    if required and not q:
        raise BadRequestError("the q parameter is required")
    return req, q


def _engine() -> tuple[object, Callable, Callable]:
    """The searcher and the two functions of catalog.search, or 501 while it is absent."""
    try:
        from catalog.search import autocomplete, page_matches
    except ModuleNotFoundError as exc:
        if exc.name != "catalog.search":
            raise
        raise NotImplementedFeatureError("full-text search is not available in this "
                                         "installation") from exc
    return get_searcher(), page_matches, autocomplete


def _matches(item: Item, req: SearchRequest, page: int, page_size: int
             ) -> tuple[list[cs.Match], int]:
    """The matches of result page ``page`` (1-based) and the total number of matches."""
    if not req.text:
        return [], 0
    searcher, page_matches, _ = _engine()
    flat = cs.flatten(page_matches(searcher, req))
    total = len(flat)
    npages = max(1, -(-total // page_size))
    if page > npages:
        raise NotFoundError(f"the search has {npages} result page(s), not {page}")
    chunk = flat[(page - 1) * page_size: page * page_size]
    catalog = get_catalog()
    records: dict[int, Page] = {}
    for hit, _span in chunk:
        if hit.order not in records:
            try:
                records[hit.order] = catalog.get_page(item.id, hit.order)
            except NotFoundError:
                pass  # the index is ahead of the catalogue: whole-canvas target
    return [cs.make_match(hit, span, records.get(hit.order)) for hit, span in chunk], total


@bp.get(urls.SEARCH2.rule)
def search2(item_id: str):
    item = load_item(item_id, with_pages=False)
    (req, q), page = _query(item), page_number(1)
    matches, total = _matches(item, req, page, cs.PAGE_SIZE)
    data = cs.search2_response(matches, base=public_base(), item_id=item.id, q=q, total=total,
                               page=page, language=text_language(item),
                               ignored=cs.ignored_params(request.args))
    return _send(data, cs.SEARCH2_CONTENT_TYPE)


@bp.get(urls.SEARCH1.rule)
def search1(item_id: str):
    item = load_item(item_id, with_pages=False)
    (req, q), page = _query(item), page_number(1)
    matches, total = _matches(item, req, page, cs.PAGE_SIZE)
    data = cs.search1_response(matches, base=public_base(), item_id=item.id, q=q, total=total,
                               page=page, ignored=cs.ignored_params(request.args))
    return _send(data, cs.SEARCH1_CONTENT_TYPE)


def _terms(req: SearchRequest) -> list[tuple[str, int]]:
    least = count_arg("min", 1, minimum=0)
    searcher, _, complete = _engine()
    return [(t, n) for t, n in complete(searcher, req, limit=AUTOCOMPLETE_LIMIT)
            if n >= least]


@bp.get(urls.AUTOCOMPLETE2.rule)
def autocomplete(item_id: str):
    item = load_item(item_id, with_pages=False)
    req, q = _query(item, required=True)
    data = cs.term_page(_terms(req), base=public_base(), item_id=item.id, q=q,
                        ignored=cs.ignored_params(request.args))
    return _send(data, cs.SEARCH2_CONTENT_TYPE)


@bp.get(urls.AUTOCOMPLETE1.rule)
def autocomplete1(item_id: str):
    item = load_item(item_id, with_pages=False)
    req, q = _query(item, required=True)
    data = cs.term_list1(_terms(req), base=public_base(), item_id=item.id, q=q,
                         ignored=cs.ignored_params(request.args))
    return _send(data, cs.SEARCH1_CONTENT_TYPE)


# --- a multi-volume work: one search over its volumes ------------------------------------------

def _work_matches(work_id: str, page: int, page_size: int
                  ) -> tuple[list[ws.VolumeMatches], int, str, str]:
    """(the matches of result page ``page`` grouped by volume, the total, q as echoed, the
    language of the first volume's text) of a search over every volume of a work."""
    catalog = get_catalog()
    work = catalog.get_work(work_id)
    present = set(catalog.item_ids())
    volumes = [catalog.get_item(v.item, with_pages=False) for v in work.volumes
               if v.item in present]
    if not volumes:
        return [], 0, " ".join((request.args.get("q") or "").split()), ""
    req, q = _query(volumes[0])
    flat: list[tuple[str, object, tuple[int, int]]] = []
    if req.text:
        searcher, page_matches, _ = _engine()
        # one deadline for the whole work: 108 volumes are one search, not 108 of them
        hard = Deadline(req.deadline)
        for item in volumes:
            if hard.passed():
                break
            one = SearchRequest.from_args(request.args, get_settings(), item=item.id)
            flat += [(item.id, hit, span)
                     for hit, span in cs.flatten(page_matches(searcher, one, deadline=hard))]
    total = len(flat)
    npages = max(1, -(-total // page_size))
    if page > npages:
        raise NotFoundError(f"the search has {npages} result page(s), not {page}")
    groups: list[ws.VolumeMatches] = []
    for item_id, hit, span in flat[(page - 1) * page_size: page * page_size]:
        try:
            record = catalog.get_page(item_id, hit.order)
        except NotFoundError:
            record = None  # the index is ahead of the catalogue: whole-canvas target
        if not groups or groups[-1][0] != item_id:
            groups.append((item_id, []))
        groups[-1][1].append(cs.make_match(hit, span, record))
    return groups, total, q, text_language(volumes[0])


@bp.get(urls.WORK_SEARCH2.rule)
def work_search2(work_id: str):
    page = page_number(1)
    groups, total, q, language = _work_matches(work_id, page, cs.PAGE_SIZE)
    data = ws.search2_response(groups, base=public_base(), work_id=work_id, q=q, total=total,
                               page=page, language=language,
                               ignored=cs.ignored_params(request.args))
    return _send(data, cs.SEARCH2_CONTENT_TYPE)


@bp.get(urls.WORK_SEARCH1.rule)
def work_search1(work_id: str):
    page = page_number(1)
    groups, total, q, _language = _work_matches(work_id, page, cs.PAGE_SIZE)
    data = ws.search1_response(groups, base=public_base(), work_id=work_id, q=q, total=total,
                               page=page, ignored=cs.ignored_params(request.args))
    return _send(data, cs.SEARCH1_CONTENT_TYPE)
