"""The embeddable reader (``/embed/<item>``, the only page other sites may frame) and an
oEmbed endpoint that turns a record, reader or embed URL into iframe code."""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Blueprint, jsonify, render_template, request, url_for
from markupsafe import escape

from library.errors import NotFoundError, NotImplementedFeatureError
from library.numbers import parse_int

from . import i18n
from .site import load_item, public_url, reader_context, setup_app

bp = Blueprint("embed", __name__)


@bp.record_once
def _setup(state) -> None:
    setup_app(state.app)


@bp.route("/embed/<item>")
def embed(item: str):
    it = load_item(item)
    return render_template("embed.html", **reader_context(it, embedded=True))


def _size(name: str, default: int) -> int:
    raw = request.args.get(name, "")
    return max(100, min(parse_int(raw, name), 4000)) if raw else default


@bp.route("/oembed")
def oembed():
    """oEmbed 1.0 (https://oembed.com): a ``rich`` response whose html is the embed iframe."""
    url = request.args.get("url", "")
    if request.args.get("format", "json") != "json":
        raise NotImplementedFeatureError("only the json format of oEmbed is offered")
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2 or segments[0] not in ("items", "embed"):
        raise NotFoundError("the url is not a Sudur record, reader or embed page")
    it = load_item(segments[1])
    query = parse_qs(parts.query)
    embed_query = {}
    if query.get("page"):
        embed_query["page"] = query["page"][0]
    if query.get("region"):
        embed_query["region"] = query["region"][0]
    width = _size("maxwidth", 800)
    height = min(_size("maxheight", 600), max(100, width * 3 // 4))
    src = public_url(url_for("embed.embed", item=it.id)
                     + ("?" + urlencode(embed_query) if embed_query else ""))
    _tag, title = i18n.pick(it.titles)
    html = (f'<iframe src="{escape(src)}" width="{width}" height="{height}" '
            f'title="{escape(title)}" style="border:0" allowfullscreen></iframe>')
    thumb = {}
    first = next((p for p in it.pages if p.has_image), None)
    if first is not None:
        thumb = {"thumbnail_url": public_url(f"/iiif/3/{first.image_id}/full/200,/0/default.jpg"),
                 "thumbnail_width": 200,
                 "thumbnail_height": max(1, round(200 * first.height / first.width))}
    return jsonify({"version": "1.0", "type": "rich", "title": title, "provider_name": "Sudur",
                    "provider_url": public_url("/"), "html": html, "width": width,
                    "height": height, **thumb})
