"""JSON for scripts and other programs: the site search (``/api/search``, the shape of
``SearchResult.to_json``) and the per-page data the reader fetches when a page turns."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from library import urls
from library.errors import NotFoundError
from library.models import Item, Page
from library.numbers import parse_order

from . import i18n, site
from .links import thumb_url
from .edition import page_html
from .pagelist import PageIndex, label_range
from .resources import get_catalog, load_item
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


def page_json(item: Item, page: Page, spans: list[tuple[int, int]],
              index: PageIndex) -> dict:
    visible = [list(s) for s in spans if s[0] < len(page.text)]
    prev, nxt = index.neighbours(page.order)
    return {
        "item": item.id, "order": page.order, "label": page.label, "text": page.text,
        "prev": prev, "next": nxt,
        "lang": item.writing_system, "vertical": i18n.is_vertical(item.writing_system,
                                                                  page.text),
        "image": ({"id": page.image_id, "width": page.width, "height": page.height,
                   "info": urls.image_info_url("", page.image_id),
                   "thumbnail": thumb_url(page)} if page.has_image else None),
        "spans": visible, "boxes": boxes_for(page, [tuple(s) for s in visible]),
        "html": str(page_html(page, [(s[0], s[1]) for s in visible])),
    }


@bp.route(urls.API_PAGE.rule)
def api_page(item: str, order: str):
    number = parse_order(order)
    it = load_item(item, with_pages=False)
    page = get_catalog().get_page(it.id, number)
    req = site.item_request(it.id)
    spans = site.page_spans(req, number) if req.text else []
    return jsonify(page_json(it, page, spans, PageIndex.of(it.id)))


@bp.route(urls.API_PAGES.rule)
def api_pages(item: str):
    """The labels of an item's pages by range of orders (``?from=&to=``, at most 1,000)."""
    it = load_item(item, with_pages=False)
    return jsonify(label_range(PageIndex.of(it.id), request.args.get("from"),
                               request.args.get("to")))


@bp.route(urls.API_ITEM_SEARCH.rule)
def api_item_search(item: str):
    """Every matching page of one item with its spans, snippet and boxes, in reading order."""
    it = load_item(item, with_pages=False)
    req = site.item_request(it.id)
    hits, partial = [], False
    if req.text:
        catalog = get_catalog()
        found = site.matches_for_item(req)
        partial = bool(getattr(found, "partial", False))
        for h in found:
            try:  # the pages with hits only: a volume may have 10,000
                page = catalog.get_page(it.id, h.order)
            except NotFoundError:
                continue
            visible = [s for s in h.spans if s[0] < len(page.text)]
            hits.append({"page": h.order, "label": h.label, "snippet": h.snippet,
                         "spans": [list(s) for s in visible],
                         "boxes": boxes_for(page, visible)})
    return jsonify({"item": it.id, "q": req.text, "exact": req.exact, "total": len(hits),
                    "partial": partial, "hits": hits})
