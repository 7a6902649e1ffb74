"""Multi-volume works on the site: the work page (``/works/<work>``: its volumes with
thumbnails, a withdrawn volume with when and why it went (its tombstone; its link leads to
the 410 page), its table of contents across volumes, one search over all of them), the citable
way into a volume (``/works/<work>/read?volume=ka&page=12a``), and what the reader and the embed
show of the work they are reading in (``volume_nav``, a template function: the volume
switcher, the neighbouring volumes to turn to at a volume's first and last leaf, the citation
"vol. ka, f. 12a").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext

from catalog.tombstones import Tombstone
from library import urls
from library.errors import NotFoundError
from library.models import Item, Page, Volume, Work

from . import i18n
from .errors import withdrawn_time
from .links import public_url, thumb_url
from .resources import get_catalog, withdrawn

bp = Blueprint("works", __name__)


@dataclass
class VolumeView:
    """A volume as the work page and the reader show it."""

    volume: Volume
    item: Optional[Item]  # None: named by the work, not in the library
    first: Optional[Page] = None  # its first page (thumbnail, reading)
    pages: int = 0
    first_param: Optional[str] = None  # the reader's ``page`` naming the first page
    gone: Optional[Tombstone] = None  # not in the library because it was withdrawn

    @property
    def present(self) -> bool:
        return self.item is not None

    @property
    def withdrawn_date(self) -> tuple[str, str]:
        """(date, date as a ``<time>`` element) of its withdrawal; only for a ``gone`` one."""
        return withdrawn_time(self.gone.withdrawn)


def _volumes(work: Work, *, with_first: bool) -> list[VolumeView]:
    catalog = get_catalog()
    present = set(catalog.item_ids())
    gone = catalog.tombstones_of(v.item for v in work.volumes if v.item not in present)
    out = []
    for vol in work.volumes:
        if vol.item not in present:
            out.append(VolumeView(vol, None, gone=gone.get(vol.item)))
            continue
        item = catalog.get_item(vol.item, with_pages=False)
        labels = catalog.page_labels(vol.item)
        first = catalog.get_page(vol.item, labels[0][0]) if with_first and labels else None
        out.append(VolumeView(vol, item, first, len(labels),
                              page_param(labels, labels[0][0]) if labels else None))
    return out


def _param(order: int, label: str, orders: set[int], first: dict[str, int]) -> str:
    # as the reader resolves ``page`` (viewer.pagelist): digits naming an order are that
    # order; anything else is the first page bearing that label
    if not label:
        return str(order)
    if label.isascii() and label.isdigit() and len(label) <= 9 and int(label) in orders:
        return label if int(label) == order else str(order)
    return label if first.get(label) == order else str(order)


def _tables(labels: list[tuple[int, str]]) -> tuple[set[int], dict[str, int]]:
    first: dict[str, int] = {}
    for order, label in labels:
        first.setdefault(label, order)
    return {o for o, _ in labels}, first


def page_param(labels: list[tuple[int, str]], order: int) -> str:
    """The ``page`` parameter naming page ``order`` of an item: its label as written when the
    reader reads that label back as this page (not a number naming another order, not a label
    an earlier page also bears), else its order."""
    label = next((lab for o, lab in labels if o == order), "")
    return _param(order, label, *_tables(labels))


def labels_citable(labels: list[tuple[int, str]]) -> bool:
    """Whether every page of an item is named by its label (``page_param``); linear, for a
    volume of 20,000 pages."""
    orders, first = _tables(labels)
    return all(_param(o, lab, orders, first) == lab for o, lab in labels)


def _page_label(item_id: str, wanted: str) -> Optional[tuple[int, str]]:
    """(order, label) of the page of ``item_id`` named by its label as written or its order."""
    labels = get_catalog().page_labels(item_id)
    for order, label in labels:
        if label == wanted:
            return order, label
    if wanted.isdigit():
        return next(((o, lab) for o, lab in labels if o == int(wanted)), None)
    return None


def division_places(work: Work) -> list[dict]:
    """Each division with where it starts and ends, and the reader URL of its start (None when
    that volume is not in the library)."""
    present = set(get_catalog().item_ids())
    out = []
    for div in work.divisions:
        vol = work.volume_labelled(div.start.volume)
        href = None
        if vol is not None and vol.item in present:
            found = _page_label(vol.item, div.start.page)
            href = url_for("site.reader", item=vol.item, page=page_param(
                get_catalog().page_labels(vol.item), found[0])) if found else None
        out.append({"title": div.title, "start": div.start, "end": div.end, "href": href})
    return out


@bp.route(urls.WORK.rule)
def work_page(work: str):
    w = get_catalog().get_work(work)
    tag, title = i18n.pick(w.titles)
    return render_template(
        "work.html", work=w, title=title or w.id, title_lang=tag,
        volumes=_volumes(w, with_first=True), divisions=division_places(w), thumb_url=thumb_url,
        collection_url=public_url(urls.WORK_COLLECTION.path(work_id=w.id)))


@bp.route(urls.WORK_READ.rule)
def work_read(work: str):
    """The reader (or, with ``embed=1``, the embed) at a volume's page, both named as a
    scholar cites them; 404 for a volume or page the work lacks, 410 for a withdrawn volume."""
    w = get_catalog().get_work(work)
    label = (request.args.get("volume") or "").strip()
    vol = w.volume_labelled(label) or (w.volumes[0] if not label and w.volumes else None)
    if vol is None:
        raise NotFoundError(f"work {w.id!r} has no volume {label!r}")
    if vol.item not in set(get_catalog().item_ids()):  # a withdrawn one: its 410, as cited
        raise withdrawn(vol.item) or NotFoundError(
            f"volume {vol.label} of work {w.id!r} is not in the library")
    wanted = (request.args.get("page") or "").strip()
    query = {}
    if wanted:
        found = _page_label(vol.item, wanted)
        if found is None:
            raise NotFoundError(f"volume {vol.label} of work {w.id!r} has no page {wanted!r}")
        query["page"] = page_param(get_catalog().page_labels(vol.item), found[0])
    view = "embed.embed" if request.args.get("embed") == "1" else "site.reader"
    return redirect(url_for(view, item=vol.item, **query))


def volume_nav(item_id: str, embedded: bool = False, page: str = "") -> Optional[dict]:
    """What the reader shows of the first work ``item_id`` is a volume of: the work, its
    volumes (with the reader URL of each), the URLs of the previous volume's last page and
    the next volume's first page, and the citation of ``page`` (its label as written) in the
    work; None for an item in no work."""
    catalog = get_catalog()
    ids = catalog.work_ids_of(item_id)
    if not ids:
        return None
    try:
        work = catalog.get_work(ids[0])
    except NotFoundError:
        return None
    view = "embed.embed" if embedded else "site.reader"
    present = set(catalog.item_ids())
    vols = [v for v in work.volumes if v.item in present]
    here = next((n for n, v in enumerate(vols) if v.item == item_id), None)
    if here is None:
        return None

    def at(vol: Volume, last: bool) -> Optional[str]:
        labels = catalog.page_labels(vol.item)
        if not labels:
            return None
        order = labels[-1][0] if last else labels[0][0]
        return url_for(view, item=vol.item, page=page_param(labels, order))

    prev_url = at(vols[here - 1], True) if here > 0 else None
    next_url = at(vols[here + 1], False) if here + 1 < len(vols) else None
    tag, title = i18n.pick(work.titles)
    label = vols[here].label
    return {"work": work, "title": title or work.id, "title_lang": tag, "volume": vols[here],
            "citable": labels_citable(catalog.page_labels(item_id)),
            "cite_text": gettext("vol. %(volume)s, f. %(folio)s", volume=label, folio=page),
            "cite_url": public_url(urls.WORK_READ.path(work=work.id)) + "?" + urlencode(
                {"volume": label, "page": page}),
            "volumes": [(v, url_for(view, item=v.item)) for v in vols],
            "prev": vols[here - 1] if here > 0 else None, "prev_url": prev_url,
            "next": vols[here + 1] if here + 1 < len(vols) else None, "next_url": next_url,
            "cite_base": public_url(urls.WORK_READ.path(work=work.id))}


@bp.app_context_processor
def _template_functions() -> dict:
    return {"volume_nav": volume_nav, "all_works": lambda: get_catalog().works()}
