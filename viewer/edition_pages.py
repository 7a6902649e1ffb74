"""The full text of an item as an edition (``/items/<item>/edition``): every page's edition in
reading order under its label, linked to the reader, a window of pages at a time (``?pages=N``,
as the record page lists its thumbnails), so a volume of 10,000 pages is never one page of HTML.
Notes are footnotes after each page; it needs no script."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from library import urls

from . import i18n
from .edition import page_html
from .pagelist import PageIndex, window, window_pages
from .resources import load_item

bp = Blueprint("edition_pages", __name__)


@bp.route(urls.EDITION.rule)
def full_text(item: str):
    it = load_item(item, with_pages=False)
    index = PageIndex.of(it.id)
    win = window(index, request.args.get("pages"))
    pages = [(p, page_html(p, [])) for p in window_pages(index, win)]
    tag, title = i18n.pick(it.titles)
    return render_template("edition_text.html", item=it, title=title or it.id, title_lang=tag,
                           pages=pages, window=win,
                           vertical=i18n.is_vertical(it.writing_system))
