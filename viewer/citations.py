"""Citations: the RIS, BibTeX and CSL-JSON exports of an item or a page
(``/items/<item>/cite.ris|bib|json?page=``; ``cite.txt``, the suggested citation), and ``citation_for``, which the record and reader
pages' partials (templates/_citation_meta.html, _citation.html) call for the suggested
citation, its meta tags and export links.

The model and its forms are library.citation and library.citation_formats; a page is named as
the reader names it (viewer/pagelist.py: the order or the label as written).
"""
from __future__ import annotations

import json
import re
from typing import Optional

from flask import Blueprint, Response, g, request

from library import citation_formats as forms
from library import urls
from library.citation import Citation
from library.errors import NotFoundError
from library.models import Item, Page, Work

from .pagelist import PageIndex
from .resources import get_catalog, load_item, public_base

bp = Blueprint("citations", __name__)

_SAFE_NAME_RE = re.compile(r"[A-Za-z0-9._-]+")


def build(item: Item, order: Optional[int] = None,
          index: Optional[PageIndex] = None) -> Citation:
    """The citation of ``item``, or of its page ``order`` (addressed as the reader is)."""
    work = _work_of(item)
    if order is None:
        return Citation.of(item, public_base(), work=work)
    index = index or PageIndex.of(item.id)
    pos = index.position(order)
    label = index.labels[pos] if pos is not None else str(order)
    return Citation.of(item, public_base(), page_label=label, page_order=order,
                       page_address=index.address(order), work=work)


def _work_of(item: Item) -> Optional[Work]:
    """The first work ``item`` is a volume of, for its citation (a volume is cited in its
    work); None when it is in none, or the work's record cannot be read."""
    for work_id in item.works:
        try:
            return get_catalog().get_work(work_id)
        except NotFoundError:
            continue
    return None


@bp.app_template_global()
def citation_for(item: Item, page: Optional[Page] = None) -> dict:
    """What the citation partials show: the suggested text, the meta tags and the export
    links, for the item or for ``page``; built once per request (the head and the body of a
    page both ask)."""
    made = g.setdefault("citations", {})
    key = (item.id, page.order if page is not None else None)
    if key not in made:
        made[key] = _shown(item, page)
    return made[key]


def _shown(item: Item, page: Optional[Page]) -> dict:
    index = PageIndex.of(item.id)
    c = build(item, page.order if page is not None else None, index)
    address = index.address(page.order) if page is not None else None
    first = (urls.reader_url(public_base(), item.id, page=index.address(index.first))
             if index.first is not None else "")
    return {"citation": c, "text": forms.text(c), "meta": forms.meta_tags(c),
            "url": c.url, "record": c.record_url, "manifest": c.manifest_url, "first": first,
            "exports": [(fmt, urls.cite_url("", item.id, fmt, address), forms.FORMATS[fmt][1])
                        for fmt in ("ris", "bib", "json")]}


def _filename(c: Citation, index: PageIndex, ext: str) -> str:
    if c.page_order is None:
        return f"{c.item_id}.{ext}"
    address = index.address(c.page_order)
    part = address if _SAFE_NAME_RE.fullmatch(address) else str(c.page_order)
    return f"{c.item_id}_p{part}.{ext}"


def _export(item: str, fmt: str) -> Response:
    it = load_item(item, with_pages=False)
    index = PageIndex.of(it.id)
    raw = request.args.get("page")
    order = index.resolve(raw) if raw is not None else None  # 404 for a page it lacks
    c = build(it, order, index)
    if fmt == "ris":
        body = forms.ris(c)
    elif fmt == "txt":
        body = forms.text(c) + "\n"
    elif fmt == "bib":
        body = forms.bibtex(c)
    else:
        body = json.dumps(forms.csl_json(c), ensure_ascii=False, indent=2) + "\n"
    ext, media = forms.FORMATS[fmt]
    resp = Response(body.encode("utf-8"), content_type=f"{media}; charset=utf-8")
    resp.headers["Content-Disposition"] = f'attachment; filename="{_filename(c, index, ext)}"'
    return resp


@bp.route(urls.CITE_RIS.rule)
def cite_ris(item: str) -> Response:
    return _export(item, "ris")


@bp.route(urls.CITE_BIB.rule)
def cite_bib(item: str) -> Response:
    return _export(item, "bib")


@bp.route(urls.CITE_JSON.rule)
def cite_json(item: str) -> Response:
    return _export(item, "json")


@bp.route(urls.CITE_TXT.rule)
def cite_txt(item: str) -> Response:
    """The suggested citation alone (what the reader's script shows after a page turn)."""
    return _export(item, "txt")

