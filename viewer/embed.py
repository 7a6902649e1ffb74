"""The embeddable reader (``/embed/<item>``, the only page other sites may frame) and an
oEmbed endpoint that turns a record, reader or embed URL into iframe code."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, jsonify, render_template, request
from markupsafe import escape

from library import urls
from library.errors import NotFoundError, NotImplementedFeatureError
from library.numbers import parse_int

from . import i18n
from .pagelist import PageIndex, window, window_pages
from .resources import load_item, public_base
from .site import reader_context

bp = Blueprint("embed", __name__)


@bp.route(urls.EMBED.rule)
def embed(item: str):
    it = load_item(item, with_pages=False)
    return render_template("embed.html", **reader_context(it, embedded=True))


def _size(name: str, default: int) -> int:
    raw = request.args.get(name, "")
    return max(100, min(parse_int(raw, name), 4000)) if raw else default


@bp.route(urls.OEMBED.rule)
def oembed():
    """oEmbed 1.0 (https://oembed.com): a ``rich`` response whose html is the embed iframe."""
    url = request.args.get("url", "")
    if request.args.get("format", "json") != "json":
        raise NotImplementedFeatureError("only the json format of oEmbed is offered")
    parts = urlsplit(url)
    item_id = urls.item_in_path(parts.path)
    if item_id is None:
        raise NotFoundError("the url is not a Sudur record, reader or embed page")
    it = load_item(item_id, with_pages=False)
    query = parse_qs(parts.query)
    embed_query = {}
    if query.get("page"):
        embed_query["page"] = query["page"][0]
    if query.get("region"):
        embed_query["region"] = query["region"][0]
    width = _size("maxwidth", 800)
    height = min(_size("maxheight", 600), max(100, width * 3 // 4))
    base = public_base()
    src = urls.embed_url(base, it.id, embed_query)
    _tag, title = i18n.pick(it.titles)
    html = (f'<iframe src="{escape(src)}" width="{width}" height="{height}" '
            f'title="{escape(title)}" style="border:0" allowfullscreen></iframe>')
    thumb = {}
    index = PageIndex.of(it.id)
    first = next((p for p in window_pages(index, window(index, None)) if p.has_image), None)
    if first is not None:
        thumb = {"thumbnail_url": urls.thumbnail_url(base, first.image_id, 200),
                 "thumbnail_width": 200,
                 "thumbnail_height": max(1, round(200 * first.height / first.width))}
    return jsonify({"version": "1.0", "type": "rich", "title": title, "provider_name": "Sudur",
                    "provider_url": urls.home_url(base), "html": html, "width": width,
                    "height": height, **thumb})
