"""The HTML site: home, search, record pages, the reader, TEI and plain-text downloads, the
kiosk, Mirador comparison and the interface-language switcher.

Search and record pages are complete without JavaScript; the reader and kiosk add behaviour
with small scripts in ``viewer/static``.
"""
from __future__ import annotations

import datetime as _dt
import math
from typing import Optional
from urllib.parse import urlencode

from flask import (Blueprint, Response, abort, make_response, redirect, render_template,
                   request, url_for)
from markupsafe import Markup, escape

from library import urls
from library.errors import BadRequestError, NotFoundError
from library.models import Collection, Item
from library.store import resolve_inside

from . import i18n
from .links import fit_url, thumb_url
from .resources import get_catalog, get_searcher, get_settings, item_dir, load_item, public_base

bp = Blueprint("site", __name__)

FACETS = ("collection", "language", "script", "genre", "century")
PAGE_SIZE = 20
MAX_QUERY = 500


# --- helpers of the reader pages ------------------------------------------------------------

def page_number(item: Item, raw: Optional[str]) -> int:
    """The requested page order, clamped into the item (1 when absent or malformed)."""
    if not item.pages:
        return 0
    try:
        n = int(raw) if raw not in (None, "") else 1
    except ValueError:
        n = 1
    orders = [p.order for p in item.pages]
    return min(max(n, orders[0]), orders[-1])


def parse_region(raw: Optional[str]) -> Optional[tuple[int, int, int, int]]:
    """``x,y,w,h`` in image pixels, or None when absent or malformed."""
    if not raw:
        return None
    parts = raw.split(",")
    if len(parts) != 4:
        return None
    try:
        x, y, w, h = (int(float(p)) for p in parts)
    except ValueError:
        return None
    if w <= 0 or h <= 0 or x < 0 or y < 0:
        return None
    return x, y, w, h


def mark_spans(text: str, spans: list[tuple[int, int]]) -> Markup:
    """``text`` escaped, with every span inside it wrapped in ``<mark>``."""
    out, cursor = [], 0
    for s, e in sorted(spans):
        s, e = max(s, cursor), min(e, len(text))
        if s >= e:
            continue
        out.append(escape(text[cursor:s]))
        out.append(Markup("<mark>") + escape(text[s:e]) + Markup("</mark>"))
        cursor = e
    out.append(escape(text[cursor:]))
    return Markup("").join(out)


def matches_for_item(item_id: str, q: str, exact: bool) -> list:
    """Every matching page of one item (``catalog.search.PageHit``), in reading order."""
    if not q.strip():
        return []
    from catalog.search import page_matches

    return page_matches(get_searcher(), item_id, q[:MAX_QUERY], exact=exact)


def page_spans(item_id: str, order: int, q: str, exact: bool) -> list[tuple[int, int]]:
    """Match spans of an in-item query on one page (empty when nothing matches)."""
    for hit in matches_for_item(item_id, q, exact):
        if hit.order == order:
            return list(hit.spans)
    return []


def item_summary(item: Item) -> dict:
    """The item fields templates show in every context (title, its language, direction)."""
    tag, title = i18n.pick(item.titles)
    return {"id": item.id, "title": title or item.id, "title_lang": tag,
            "ws": item.writing_system, "vertical": i18n.is_vertical(item.writing_system)}


# --- search ----------------------------------------------------------------------------------

def search_params() -> dict:
    """The query string of /search and /api/search, validated."""
    args = request.args
    q = args.get("q", "").strip()
    if len(q) > MAX_QUERY:
        raise BadRequestError(f"the query is longer than {MAX_QUERY} characters")
    try:
        page = max(1, int(args.get("page", "1") or 1))
    except ValueError:
        raise BadRequestError("page must be a whole number") from None
    if page > 10_000:
        raise BadRequestError("page is out of range")
    exact = args.get("exact", "") in ("1", "true", "on", "yes")
    filters = {f: args.get(f, "").strip() for f in FACETS if args.get(f, "").strip()}
    sort = "relevance" if args.get("sort") == "relevance" else "reading"
    return {"q": q, "exact": exact, "filters": filters, "page": page, "sort": sort}


def run_search(params: dict):
    """Run the catalogue search for validated ``params``; None for an empty query."""
    if not params["q"]:
        return None
    from catalog.search import search

    return search(get_searcher(), params["q"], exact=params["exact"],
                  filters=params["filters"], page=params["page"], page_size=PAGE_SIZE,
                  sort=params["sort"], time_budget=get_settings().search_time_budget)


def search_url(params: dict, **changes) -> str:
    """/search with ``params`` changed (a value of None removes a key)."""
    merged = {"q": params["q"], "exact": "1" if params["exact"] else None,
              "sort": params["sort"] if params["sort"] != "reading" else None,
              **params["filters"], "page": None}
    merged.update(changes)
    query = {k: v for k, v in merged.items() if v not in (None, "", False)}
    return url_for("site.search_page") + ("?" + urlencode(query) if query else "")


def facet_label(facet: str, value: str, collections: dict[str, Collection]) -> str:
    if facet == "language":
        return i18n.language_name(value)
    if facet == "script":
        return i18n.script_name(value)
    if facet == "collection" and value in collections:
        return i18n.pick(collections[value].label)[1] or value
    if facet == "century":
        from flask_babel import gettext

        n = value
        if i18n.current_language().tag == "en" and value.isdigit():
            n = value + english_ordinal_suffix(int(value))
        return gettext("%(n)s century", n=n)
    return value


def understood_parts(understood: dict) -> list[tuple[str, str]]:
    """(label, value) lines from ``SearchResult.understood``, known keys in the reader's
    language; values that say nothing (empty, False) are left out."""
    from flask_babel import gettext

    labels = {"scripts": gettext("scripts"), "script": gettext("script"),
              "transliteration": gettext("transliteration"), "aliases": gettext("aliases"),
              "alias": gettext("aliases"), "mode": gettext("mode"), "phrase": gettext("phrase"),
              "tokens": gettext("words"), "words": gettext("words"),
              "fields": gettext("fields"), "exact": gettext("exact spelling"),
              "converted": gettext("converted"), "variants": gettext("variants"),
              "normalized": gettext("normalized"), "schemes": gettext("transliteration")}
    out = []
    for key, value in (understood or {}).items():
        if value in (None, "", [], {}, False) or key in ("text", "query"):
            continue  # the query itself is in the box above
        if isinstance(value, dict):
            text = "; ".join(f"{k} → {_flat(v)}" for k, v in value.items())
        else:
            text = _flat(value)
        out.append((labels.get(key, key.replace("_", " ")), text))
    return out


def _flat(value) -> str:
    if value is True:
        return "✓"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(_flat(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_flat(v)}" for k, v in value.items())
    return str(value)


def english_ordinal_suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


@bp.route(urls.HOME.rule)
def home():
    catalog = get_catalog()
    items = [item_summary(i) | {"item": i} for i in catalog.items()]
    return render_template("index.html", items=items, collections=catalog.collections())


@bp.route(urls.SEARCH.rule)
def search_page():
    params = search_params()
    result = run_search(params)
    collections = {c.id: c for c in get_catalog().collections()}
    pages = 0
    if result is not None:
        pages = max(1, math.ceil(result.total / result.page_size))
        if result.total_is_estimate and len(result.hits) == result.page_size:
            pages = max(pages, result.page + 1)
    titles = {}
    if result is not None:
        for group in result.items:
            try:
                titles[group.item_id] = item_summary(get_catalog().get_item(
                    group.item_id, with_pages=False))
            except NotFoundError:
                titles[group.item_id] = {"id": group.item_id, "title": group.title,
                                         "title_lang": "", "ws": "", "vertical": False}
    return render_template(
        "search.html", params=params, result=result, pages=pages, titles=titles,
        facets=FACETS, collections=collections, search_url=search_url,
        understood=understood_parts(result.understood if result is not None else {}),
        facet_label=facet_label, snippet_html=lambda h: Markup(h.snippet))


# --- records ---------------------------------------------------------------------------------

def citation(item: Item) -> dict:
    base = public_base()
    record = urls.record_url(base, item.id)
    first = item.pages[0].order if item.pages else 1
    page_url = urls.reader_url(base, item.id, page=first)
    people = "; ".join(r.name for r in item.responsibility if r.role in ("author", "scribe"))
    _tag, title = i18n.pick(item.titles)
    where = ", ".join(x for x in (item.institution, item.shelfmark) if x)
    parts = [p for p in (people, title, item.date_text, where) if p]
    today = _dt.date.today().isoformat()
    return {"record": record, "page": page_url, "manifest": urls.manifest_url(base, item.id),
            "text": ". ".join(parts) + f". {record} ({today})."}


@bp.route(urls.RECORD.rule)
def record(item: str):
    it = load_item(item)
    others = [item_summary(o) for o in get_catalog().items() if o.id != it.id]
    return render_template("item.html", item=it, info=item_summary(it), cite=citation(it),
                           others=others, thumb_url=thumb_url,
                           embed_code=embed_code(it, it.pages[0].order if it.pages else 1, None))


def embed_code(item: Item, page: int, region: Optional[tuple[int, int, int, int]]) -> str:
    query = {"page": page}
    if region:
        query["region"] = ",".join(map(str, region))
    src = urls.embed_url(public_base(), item.id, query)
    _tag, title = i18n.pick(item.titles)
    return (f'<iframe src="{escape(src)}" width="800" height="600" title="{escape(title)}" '
            f'style="border:0" allowfullscreen></iframe>')


@bp.route(urls.READER.rule)
def reader(item: str):
    it = load_item(item)
    return render_template("reader.html", **reader_context(it, embedded=False))


def viewing_direction(item: Item) -> str:
    """The direction the manifest announces: the item's own, else its script's custom."""
    from library.iiif_presentation import default_viewing

    return default_viewing(item)[0]


def reader_context(it: Item, *, embedded: bool) -> dict:
    order = page_number(it, request.args.get("page"))
    page = next((p for p in it.pages if p.order == order), None)
    if page is None:
        raise NotFoundError(f"item {it.id!r} has no pages")
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    exact = request.args.get("exact", "") in ("1", "true", "on")
    spans = [s for s in page_spans(it.id, order, q, exact) if s[0] < len(page.text)] if q else []
    region = parse_region(request.args.get("region"))
    orders = [p.order for p in it.pages]
    i = orders.index(order)
    direction = viewing_direction(it)
    rtl = direction == "right-to-left"
    return {
        "item": it, "info": item_summary(it), "page": page, "q": q, "exact": exact,
        "text_html": mark_spans(page.text, spans), "n_marks": len(spans),
        "region": region, "prev": orders[i - 1] if i > 0 else None,
        "next": orders[i + 1] if i + 1 < len(orders) else None, "rtl": rtl,
        "embedded": embedded, "thumb_url": thumb_url, "fit_url": fit_url,
        "direction": direction,
        "embed_code": embed_code(it, order, region),
        "pages_json": [{"order": p.order, "label": p.label or str(p.order),
                        "image": p.image_id if p.has_image else None,
                        "width": p.width, "height": p.height} for p in it.pages],
    }


@bp.route(urls.TEI.rule)
def tei(item: str):
    it = load_item(item)
    if not it.tei_file:
        raise NotFoundError(f"item {it.id!r} was ingested without TEI")
    path = resolve_inside(item_dir(it.id) / "source", it.tei_file)
    if not path.is_file():
        raise NotFoundError(f"the TEI of item {it.id!r} is missing")
    resp = Response(path.read_bytes(), mimetype="application/tei+xml")
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
    items = [load_item(i) for i in ids]
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
                           advance=advance, fit_url=fit_url)


def _seconds(raw: Optional[str], default: int) -> float:
    try:
        value = float(raw) if raw else float(default)
    except ValueError:
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
                    httponly=True)
    return resp
