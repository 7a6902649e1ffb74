"""JSON for scripts and other programs: the site search (``/api/search``, the shape of
``SearchResult.to_json``) and the per-page data the reader fetches when a page turns."""
from __future__ import annotations

from flask import Blueprint, jsonify

from library import urls
from library.errors import NotFoundError
from library.models import Item, Page
from library.numbers import parse_order

from . import i18n, site
from .links import thumb_url
from .resources import load_item
from .site import search_params

bp = Blueprint("api", __name__)


@bp.route(urls.API_SEARCH.rule)
def api_search():
    params = search_params()
    result = site.run_search(params)
    if result is None:
        return jsonify({"query": "", "partial": False, "total": 0,
                        "total_is_estimate": False, "page": 1,
                        "page_size": 0, "hits": [], "facets": {},
                        "facets_are_estimates": False, "understood": {}})
    return jsonify(result.to_json())


def boxes_for(page: Page, spans: list[tuple[int, int]]) -> list[list[int]]:
    """Image boxes (x, y, w, h) of the words, else the lines, that overlap the match spans."""
    out: list[list[int]] = []
    for s, e in spans:
        found = []
        for line in page.lines:
            words = [w for w in line.words if w.box and w.start < e and w.end > s]
            if words:
                found += [[w.box.x, w.box.y, w.box.w, w.box.h] for w in words]
            elif line.box and line.start < e and line.end > s and line.start >= 0:
                found.append([line.box.x, line.box.y, line.box.w, line.box.h])
        out += [b for b in found if b not in out]
    return out


def page_json(item: Item, page: Page, spans: list[tuple[int, int]]) -> dict:
    visible = [list(s) for s in spans if s[0] < len(page.text)]
    return {
        "item": item.id, "order": page.order, "label": page.label, "text": page.text,
        "lang": item.writing_system, "vertical": i18n.is_vertical(item.writing_system,
                                                                  page.text),
        "image": ({"id": page.image_id, "width": page.width, "height": page.height,
                   "info": urls.image_info_url("", page.image_id),
                   "thumbnail": thumb_url(page)} if page.has_image else None),
        "spans": visible, "boxes": boxes_for(page, [tuple(s) for s in visible]),
    }


@bp.route(urls.API_PAGE.rule)
def api_page(item: str, order: str):
    number = parse_order(order)
    it = load_item(item)
    page = next((p for p in it.pages if p.order == number), None)
    if page is None:
        raise NotFoundError(f"no page {number} in item {item!r}")
    req = site.item_request(it.id)
    spans = site.page_spans(req, number) if req.text else []
    return jsonify(page_json(it, page, spans))


@bp.route(urls.API_ITEM_SEARCH.rule)
def api_item_search(item: str):
    """Every matching page of one item with its spans, snippet and boxes, in reading order."""
    it = load_item(item)
    req = site.item_request(it.id)
    hits, partial = [], False
    if req.text:
        pages = {p.order: p for p in it.pages}
        found = site.matches_for_item(req)
        partial = bool(getattr(found, "partial", False))
        for h in found:
            page = pages.get(h.order)
            if page is None:
                continue
            visible = [s for s in h.spans if s[0] < len(page.text)]
            hits.append({"page": h.order, "label": h.label, "snippet": h.snippet,
                         "spans": [list(s) for s in visible],
                         "boxes": boxes_for(page, visible)})
    return jsonify({"item": it.id, "q": req.text, "exact": req.exact, "total": len(hits),
                    "partial": partial, "hits": hits})
