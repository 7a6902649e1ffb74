"""The HTML site: home, search, record pages, the reader, TEI and plain-text downloads, the
kiosk, Mirador comparison and the interface-language switcher.

Search and record pages are complete without JavaScript; the reader and kiosk add behaviour
with small scripts in ``viewer/static``.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Optional
from urllib.parse import urlencode

from flask import (Blueprint, Response, abort, make_response, redirect, render_template,
                   request, url_for)
from markupsafe import Markup, escape

from catalog.query_tree import MAX_EXPANSION
from catalog.query_syntax import QuerySyntaxError
from catalog.querying import Understood
from catalog.request import SearchRequest
from catalog.schema import FACETS
from library import urls
from library.errors import BadRequestError, NotFoundError
from library.models import Collection, Item
from library.numbers import parse_decimal, parse_int

from . import i18n, listing
from .edition import page_html
from .labels import genre_name, understood_value
from .links import fit_url, thumb_url
from .pagelist import PageIndex, window, window_pages
from .resources import get_catalog, get_searcher, get_settings, load_item, public_base, read_source

bp = Blueprint("site", __name__)

PAGE_SIZE = 20


# --- helpers of the reader pages ------------------------------------------------------------

def parse_region(raw: Optional[str]) -> Optional[tuple[int, int, int, int]]:
    """``x,y,w,h`` in image pixels, or None when absent or malformed."""
    if not raw:
        return None
    parts = raw.split(",")
    if len(parts) != 4:
        return None
    try:
        x, y, w, h = (parse_int(p, "region") for p in parts)
    except BadRequestError:
        return None
    if w <= 0 or h <= 0 or x < 0 or y < 0:
        return None
    return x, y, w, h


def item_request(item_id: str) -> SearchRequest:
    """The search of one item this request's ``q`` and ``exact`` ask for (400 if malformed)."""
    return SearchRequest.from_args(request.args, get_settings(), item=item_id)


def matches_for_item(req: SearchRequest) -> list:
    """Every matching page of the request's item (``catalog.search.PageHit``), in reading
    order (a ``catalog.search.ItemMatches``: ``partial`` when the deadline cut it short)."""
    from catalog.search import ItemMatches, page_matches

    if not req.text.strip():
        return ItemMatches()

    return page_matches(get_searcher(), req)


def page_spans(req: SearchRequest, order: int) -> list[tuple[int, int]]:
    """Match spans of an in-item search on one page (empty when nothing matches)."""
    for hit in matches_for_item(req):
        if hit.order == order:
            return list(hit.spans)
    return []


def item_summary(item: Item) -> dict:
    """The item fields templates show in every context (title, its language, direction)."""
    tag, title = i18n.pick(item.titles)
    return {"id": item.id, "title": title or item.id, "title_lang": tag,
            "ws": item.writing_system, "vertical": i18n.is_vertical(item.writing_system)}


# --- search ----------------------------------------------------------------------------------

# The site's order of results when ``sort`` is not given: items by relevance (``sort=reading``
# is the library's order); the command line keeps reading order (catalog.request).
DEFAULT_SORT = "relevance"


def search_params() -> SearchRequest:
    """The search /search and /api/search are asked for (400 if malformed): a page of
    ``catalog.grouped.ITEMS_PER_PAGE`` items, by relevance unless ``sort=reading``."""
    from catalog.grouped import ITEMS_PER_PAGE

    params = SearchRequest.from_args(request.args, get_settings(), page_size=ITEMS_PER_PAGE)
    if not request.args.get("sort"):
        params = dataclasses.replace(params, sort=DEFAULT_SORT)
    return params


def run_search(params: SearchRequest):
    """Run the catalogue search ``params``, grouped by item; None for an empty query."""
    if not params.text:
        return None
    from catalog.grouped import search_items

    return search_items(get_searcher(), params)


def search_url(params: SearchRequest, **changes) -> str:
    """/search with ``params`` changed (a value of None removes a key)."""
    merged = {"q": params.text, "exact": "1" if params.exact else None,
              "sort": params.sort if params.sort != DEFAULT_SORT else None,
              **params.filters, "page": None}
    merged.update(changes)
    query = {k: v for k, v in merged.items() if v not in (None, "", False)}
    return url_for("site.search_page") + ("?" + urlencode(query) if query else "")


def facet_label(facet: str, value: str, collections: dict[str, Collection]) -> str:
    if facet == "language":
        return i18n.language_name(value)
    if facet == "script":
        return i18n.script_name(value)
    if facet == "genre":
        return genre_name(value)
    if facet == "collection" and value in collections:
        return i18n.pick(collections[value].label)[1] or value
    if facet in ("work", "volume"):  # a work by its title, a volume by its label in its work
        try:
            work = get_catalog().get_work(value if facet == "work" else
                                          (get_catalog().work_ids_of(value) or [""])[0])
        except NotFoundError:
            return value
        if facet == "work":
            return i18n.pick(work.titles)[1] or value
        from flask_babel import gettext
        vol = work.volume_of(value)
        return gettext("Volume %(label)s", label=vol.label) if vol else value
    if facet == "century":
        from flask_babel import gettext

        bce = value.startswith("-") and value[1:].isdigit()  # before the common era
        n = value[1:] if bce else value
        if i18n.current_language().tag == "en" and n.isdigit():
            n = n + english_ordinal_suffix(int(n))
        return gettext("%(n)s century BCE", n=n) if bce else gettext("%(n)s century", n=n)
    return value


def understood_labels() -> dict[str, str]:
    """The label of each field of ``Understood`` shown, in the reader's language (``text``,
    the query itself, is in the box above)."""
    from flask_babel import gettext

    return {"scripts": gettext("scripts"), "transliteration": gettext("transliteration"),
            "converted": gettext("converted"), "aliases": gettext("aliases"),
            "phrase": gettext("phrase"), "exact": gettext("exact spelling"),
            "truncated": gettext("truncated"), "sound": gettext("Chinese by sound"),
            "reading": gettext("read as"),
            "filters": gettext("filters"), "expanded": gettext("words found for each prefix"),
            "capped": gettext("only the %(n)s most frequent words searched for",
                              n=MAX_EXPANSION),
            "problems": gettext("left out")}


def understood_parts(understood) -> list[tuple[str, str]]:
    """(label, value) lines from ``SearchResult.understood`` (an ``Understood``, or its JSON
    form); values that say nothing (empty, False) are left out."""
    labels = understood_labels()
    values = understood.to_json() if isinstance(understood, Understood) else (understood or {})
    out = []
    for key in Understood.__dataclass_fields__:
        value = values.get(key)
        if key not in labels or value in (None, "", [], {}, False):
            continue
        out.append((labels[key], understood_value(key, value)))
    return out


def english_ordinal_suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


HOME_PAGE_SIZE = 24  # items on a page of the home page


@bp.route(urls.HOME.rule)
def home():
    """The home page: the collections with their counts, and one page of the library's
    items (``?page=``), or of one collection's (``?collection=``, its sub-collections'
    items included); a collection or page that does not exist is a 404."""
    catalog = get_catalog()
    ids = catalog.item_ids()
    collections = catalog.collections()
    members = {c.id: listing.collection_items(c.id, collections, set(ids))
               for c in collections}
    chosen = (request.args.get("collection") or "").strip()
    current = next((c for c in collections if c.id == chosen), None)
    if chosen and current is None:
        raise NotFoundError(f"no collection {chosen!r} in the library")
    listed = members[current.id] if current is not None else ids
    page = parse_int(request.args.get("page") or "1", "page")
    n_pages = max(1, math.ceil(len(listed) / HOME_PAGE_SIZE))
    if not 1 <= page <= n_pages:
        raise NotFoundError(f"there is no page {page} of {n_pages}")
    shown = listed[(page - 1) * HOME_PAGE_SIZE:page * HOME_PAGE_SIZE]
    items = [item_summary(i) | {"item": i} for i in catalog.items(shown)]

    def home_url(**changes) -> str:
        query = {"collection": current.id if current is not None else None, **changes}
        query = {k: v for k, v in query.items() if v not in (None, "", 1)}
        return url_for("site.home") + ("?" + urlencode(query) if query else "")

    return render_template("index.html", items=items, collections=collections,
                           counts={cid: len(found) for cid, found in members.items()},
                           total=len(ids), current=current, listed=len(listed), page=page,
                           n_pages=n_pages, first=(page - 1) * HOME_PAGE_SIZE + 1,
                           home_url=home_url)


class _Unread:
    """A search whose query could not be read: its parameters, with the text as typed."""

    def __init__(self, params: SearchRequest, text: str) -> None:
        self._params, self.text = params, text

    def __getattr__(self, name: str):
        return getattr(self._params, name)


@bp.route(urls.SEARCH.rule)
def search_page():
    try:
        params = search_params()
    except QuerySyntaxError as e:
        # the form again, with the query as typed, what is wrong with it and the syntax
        params = SearchRequest.from_args({**request.args.to_dict(), "q": ""}, get_settings(),
                                         page_size=PAGE_SIZE)
        return render_template(
            "search.html", params=_Unread(params, request.args.get("q", "")), result=None,
            problem=e.message, pages=0, titles={}, facets=FACETS, collections={},
            search_url=search_url, understood=[], facet_label=facet_label), 400
    result = run_search(params)
    collections = {c.id: c for c in get_catalog().collections()}
    pages = 0
    if result is not None:
        shown = len(result.items)
        counted = getattr(result, "total_items", None)
        pages = max(1, math.ceil((result.total if counted is None else counted)
                                 / result.page_size))
        if result.total_is_estimate and shown == result.page_size:
            pages = max(pages, result.page + 1)
    titles, thumbs = {}, {}
    if result is not None:
        for group in result.items:
            titles[group.item_id], thumbs[group.item_id] = listing.result_item(
                group, item_summary)
    return render_template(
        "search.html", params=params, result=result, pages=pages, titles=titles,
        thumbs=thumbs, facets=FACETS, collections=collections, search_url=search_url,
        understood=understood_parts(result.understood if result is not None else {}),
        facet_label=facet_label, snippet_html=lambda h: Markup(h.snippet))


# --- records ---------------------------------------------------------------------------------

def citation(item: Item, first: Optional[int]) -> dict:
    """The record's permanent URL; the citation itself is templates/_citation.html's."""
    return {"record": urls.record_url(public_base(), item.id)}


@bp.route(urls.RECORD.rule)
def record(item: str):
    """The catalogue record, with one window of the page list (``?pages=N``): a volume of
    10,000 pages is 100 windows of thumbnails, not one page of 4 MB."""
    it = load_item(item, with_pages=False)
    index = PageIndex.of(it.id)
    win = window(index, request.args.get("pages"))
    others = [item_summary(o) for o in get_catalog().items() if o.id != it.id]
    return render_template("item.html", item=it, info=item_summary(it),
                           cite=citation(it, index.first), others=others, thumb_url=thumb_url,
                           pages=window_pages(index, win), window=win,
                           page_count=len(index), first_order=index.first,
                           embed_code=embed_code(it, index.first or 1, None))


@dataclasses.dataclass(frozen=True)
class EmbedCode:
    """The iframe code of the Embed dialog and the language of the title inside it (the item may
    have no title in the interface language, and the code must not claim it has)."""
    code: str
    lang: str


def embed_code(item: Item, page: int, region: Optional[tuple[int, int, int, int]]) -> EmbedCode:
    query = {"page": page}
    if region:
        query["region"] = ",".join(map(str, region))
    src = urls.embed_url(public_base(), item.id, query)
    tag, title = i18n.pick(item.titles)
    lang = f' lang="{escape(tag)}"' if tag else ""
    return EmbedCode(f'<iframe src="{escape(src)}" width="800" height="600" '
                     f'title="{escape(title)}"{lang} style="border:0" allowfullscreen></iframe>',
                     tag)


@bp.route(urls.READER.rule)
def reader(item: str):
    it = load_item(item, with_pages=False)
    return render_template("reader.html", **reader_context(it, embedded=False))


def viewing_direction(item: Item) -> str:
    """The direction the manifest announces: the item's own, else its script's custom."""
    from library.iiif_presentation import default_viewing

    return default_viewing(item)[0]


def reader_context(it: Item, *, embedded: bool) -> dict:
    """What the reader and embed templates show: one page, read with its neighbours' orders
    only; the script fetches every other page when it turns to it."""
    index = PageIndex.of(it.id)
    order = index.resolve(request.args.get("page"))
    if order is None:
        raise NotFoundError(f"item {it.id!r} has no pages")
    page = get_catalog().get_page(it.id, order)
    req = item_request(it.id)
    q, exact = req.text, req.exact
    spans = [s for s in page_spans(req, order) if s[0] < len(page.text)] if q else []
    region = parse_region(request.args.get("region"))
    prev, nxt = index.neighbours(order)
    direction = viewing_direction(it)
    rtl = direction == "right-to-left"
    return {
        "item": it, "info": item_summary(it), "page": page, "q": q, "exact": exact,
        "text_html": page_html(page, spans), "n_marks": len(spans),
        "region": region, "prev": prev, "next": nxt, "rtl": rtl,
        "first": index.first, "last": index.last, "page_count": len(index),
        "embedded": embedded, "thumb_url": thumb_url, "fit_url": fit_url,
        "direction": direction,
        "embed_code": embed_code(it, order, region),
    }


@bp.route(urls.TEI.rule)
def tei(item: str):
    it = load_item(item, with_pages=False)
    if not it.tei_file:
        raise NotFoundError(f"item {it.id!r} was ingested without TEI")
    try:
        data = read_source(it.id, it.tei_file)
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise NotFoundError(f"the TEI of item {it.id!r} is missing") from exc
    resp = Response(data, mimetype="application/tei+xml")
    resp.headers["Content-Disposition"] = f'inline; filename="{it.id}.xml"'
    return resp


@bp.route(urls.TEXT.rule)
def plain_text(item: str):
    it = load_item(item)
    chunks = []
    for p in it.pages:
        chunks.append(f"[{p.label or p.order}]\n{p.text.strip()}\n")
    _tag, title = i18n.pick(it.titles)
    body = f"{title}\n{urls.record_url(public_base(), it.id)}\n\n" + "\n".join(chunks)
    resp = Response(body, mimetype="text/plain")
    resp.headers["Content-Disposition"] = f'inline; filename="{it.id}.txt"'
    return resp


@bp.route(urls.COMPARE.rule)
def compare():
    ids = [i for i in request.args.getlist("item") if i][:4]
    items = [load_item(i, with_pages=False) for i in ids]
    if not items:
        raise BadRequestError("name at least one item to compare")
    manifests = [urls.manifest_url(public_base(), i.id) for i in items]
    return render_template("compare.html", items=[item_summary(i) for i in items],
                           manifests=manifests, mirador_lang=mirador_language())


def mirador_language() -> str:
    """Mirador has no Tibetan or Mongolian locale: those readers get Chinese, the nearest
    interface most of them read (see README)."""
    return {"zh-Hans": "zh-CN", "mn-Mong": "zh-CN", "bo": "zh-CN"}.get(
        i18n.current_language().tag, "en")


# --- kiosk -----------------------------------------------------------------------------------

@bp.route(urls.KIOSK.rule)
def kiosk(collection: str):
    catalog = get_catalog()
    if collection in ("top", "all"):
        coll = Collection(id=collection, label={})
        item_ids = catalog.item_ids()
    else:
        coll = catalog.get_collection(collection)
        item_ids = coll.items
    slides = []
    for item_id in item_ids:
        try:
            it = catalog.get_item(item_id)
        except NotFoundError:
            continue  # listed in the collection but withdrawn from the library
        for p in it.pages:
            if p.has_image:
                slides.append({"item": it, "page": p})
    settings = get_settings()
    idle = _seconds(request.args.get("idle"), settings.kiosk_idle_seconds)
    advance = _seconds(request.args.get("advance"), settings.kiosk_advance_seconds)
    return render_template("kiosk.html", collection=coll, slides=slides, idle=idle,
                           advance=advance, fit_url=fit_url,
                           info_url=lambda p: urls.image_info_url("", p.image_id))


def _seconds(raw: Optional[str], default: int) -> float:
    try:
        value = float(parse_decimal(raw, "seconds")) if raw else float(default)
    except BadRequestError:  # nan, inf, -5, 1e400: not a plain decimal
        return float(default)
    return min(max(value, 0.2), 24 * 3600)


# --- interface language ----------------------------------------------------------------------

@bp.route(urls.LANGUAGE.rule)
def set_language(code: str):
    lang = i18n.language_for(code)
    if lang is None:
        abort(404)
    target = request.args.get("next", "/")
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)):
        target = "/"  # only plain paths on this site: no open redirect, no header injection
    resp = make_response(redirect(target, code=303))
    resp.set_cookie(i18n.COOKIE, lang.tag, max_age=i18n.COOKIE_MAX_AGE, samesite="Lax",
                    httponly=True, secure=request.is_secure)
    return resp
