"""Downloads (issue 15): a page image at a chosen size (links into the Image API), the PDF of
an item or a page range built in the background with its progress, and the ZIP of the TEI and
the page images. The URLs (library.urls):

    GET  /items/<item>/download.pdf?pages=3-10&size=1000   the PDF once built (it waits up to
         download_wait_seconds); still building: 303 to its progress page, or 202 + Location
         and the status JSON for a client that asks for JSON
    POST /items/<item>/downloads  (pages, size)            start a build: 303 / 202 the same way
    GET  /items/<item>/downloads/<job>[.json]              its progress: an HTML page that
         reloads itself while building (useful without JavaScript), or JSON
    GET  /items/<item>/download.zip?pages=&size=max        the TEI and images, streamed

Whether an item offers them is library.downloads_rights' rule (403 naming the licence when it
does not); the jobs, the cache and the lock are library.downloads'.
"""
from __future__ import annotations

import re
from typing import Optional

from flask import (Blueprint, Response, jsonify, redirect, render_template, request, send_file,
                   url_for)

from library import urls
from library.downloads import (DONE, FAILED, SIZES, Downloads, Job, PdfSpec, embedded_bytes,
                               parse_range, parse_size, pdf_pages)
from library.downloads_rights import Offer, offer
from library.downloads_zip import zip_stream
from library.errors import NotFoundError, TooLargeError
from library.models import Item, Page

from . import i18n
from .image_cache import MB
from .pagelist import PageIndex
from .resources import get_catalog, get_settings, get_store, load_item

bp = Blueprint("downloads", __name__)

IMAGE_WIDTHS = (1000, 2000)  # offered below the page's own width, beside its full size
_JOB_ID = re.compile(r"[0-9a-f]{24}")


def downloads() -> Downloads:
    return Downloads(get_store().cache_dir / "downloads",
                     get_settings().download_cache_max_mb * MB)


def item_offer(item: Item) -> Offer:
    return offer(item.rights, get_settings())


# --- what the reader and the record page offer ------------------------------------------------

def download_menu(item: Item, page: Optional[Page] = None) -> dict:
    """What ``_downloads.html`` shows for ``item`` (and the reader's current ``page``)."""
    settings = get_settings()
    off = item_offer(item)
    rows = get_catalog().page_labels(item.id)
    menu = {"offered": off.offered, "reason": off.reason, "licence": off.licence,
            "images": [], "sizes": SIZES, "max_pages": settings.pdf_max_pages,
            "page_count": len(rows), "whole": 0 < len(rows) <= settings.pdf_max_pages,
            "page": page.order if page is not None else None}
    if page is not None and page.has_image:
        # Every width is written, those the page is too narrow for hidden: the reader turns
        # pages without reloading, and downloads.js shows the ones the next page allows.
        menu["images"] = [(f"{w}", urls.image_url("", page.image_id, size=f"{w},"), w < page.width)
                          for w in IMAGE_WIDTHS]
        menu["images"].append(("max", urls.image_url("", page.image_id, size="max"), True))
    return menu


@bp.app_context_processor
def _menu_helper() -> dict:
    return {"download_menu": download_menu}


# --- the PDF ------------------------------------------------------------------------------------

def _spec(item_id: str) -> tuple[Item, PdfSpec]:
    """The item and the PDF a request asks for, once checked against its licence and limits."""
    it = load_item(item_id, with_pages=False)
    item_offer(it).check()
    index = PageIndex.of(it.id)
    if not index.orders:
        raise NotFoundError(f"item {it.id!r} has no pages")
    first, last = parse_range(request.values.get("pages"), index.find, index.first, index.last)
    count = sum(1 for order in index.orders if first <= order <= last)
    limit = get_settings().pdf_max_pages
    if count > limit:
        raise TooLargeError(f"a PDF of {count} pages is more than this library makes at once "
                            f"(pdf_max_pages, {limit})",
                            hint=f"ask for a range, such as pages={first}-{first + limit - 1}")
    size = parse_size(request.values.get("size"))
    return it, PdfSpec(it.id, get_catalog().version_path(it.id), first, last, size)


def _start(it: Item, spec: PdfSpec) -> Job:
    """The PDF's job: done, under way, or started now once its weight is within the limit."""
    cache = downloads()
    job = cache.job(spec)
    if job is not None and job.state == DONE:
        return job
    pages = pdf_pages(get_catalog().pages(it.id, spec.first, spec.last), get_store(),
                      spec.version, spec.width)
    limit = get_settings().pdf_max_mb
    weight = embedded_bytes(pages) / MB
    if limit and weight > limit:
        raise TooLargeError(f"a PDF of pages {spec.first}-{spec.last} at size {spec.size} "
                            f"would hold {weight:.0f} MB of images, more than this library "
                            f"makes at once (pdf_max_mb, {limit:g})",
                            hint="choose a smaller size or fewer pages")
    return cache.ensure(spec, lambda: pages, i18n.pick(it.titles)[1] or it.id)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _status(it: Item, job: Job) -> dict:
    pages = f"{job.first}-{job.last}"
    return {"id": job.key, "item": it.id, "pages": pages, "size": job.size,
            "state": job.state, "done": job.done, "total": job.total,
            "percent": job.percent(), "error": job.error, "bytes": job.bytes,
            "status_url": url_for(".job_page", item=it.id, job=job.key),
            "download_url": url_for(".pdf", item=it.id, pages=pages, size=job.size)}


def _follow(it: Item, job: Job):
    """Send the client to the job's progress: 303 for a browser, 202 + JSON for a program."""
    location = url_for(".job_page", item=it.id, job=job.key)
    if _wants_json():
        resp = jsonify(_status(it, job))
        resp.status_code = 500 if job.state == FAILED else 202
        resp.headers["Location"] = location
        return resp
    return redirect(location, code=303)


def _send(spec: PdfSpec) -> Optional[Response]:
    path = downloads().pdf_path(spec)
    try:
        fh = open(path, "rb")  # opened first: a prune from now on cannot take it away
    except FileNotFoundError:
        return None
    Downloads.touch(path)
    resp = send_file(fh, mimetype="application/pdf", as_attachment=True,
                     download_name=spec.filename, conditional=True, etag=spec.key,
                     max_age=24 * 3600)
    return resp


@bp.route(urls.DOWNLOAD_PDF.rule)
def pdf(item: str):
    it, spec = _spec(item)
    for _attempt in range(2):  # a PDF pruned between its job and its sending is built again
        job = _start(it, spec)
        if not job.finished:
            job = downloads().wait(spec, get_settings().download_wait_seconds) or job
        if job.state != DONE:
            return _follow(it, job)
        sent = _send(spec)
        if sent is not None:
            return sent
    return _follow(it, job)


@bp.route(urls.DOWNLOADS.rule, methods=["POST"])
def start(item: str):
    it, spec = _spec(item)
    return _follow(it, _start(it, spec))


def _job(item: str, job: str) -> tuple[Item, Job]:
    it = load_item(item, with_pages=False)
    record = downloads().find(it.id, job) if _JOB_ID.fullmatch(job) else None
    found = Downloads.read_job(record) if record is not None else None
    if found is None:
        raise NotFoundError(f"no download {job!r} of {it.id!r}: it may have left the cache",
                            hint="ask for the PDF again")
    if found.state == DONE and not record.with_suffix(".pdf").is_file():
        found.state, found.done = "gone", 0  # pruned: asking for it again builds it again
    return it, found


@bp.route(urls.DOWNLOAD_JOB_JSON.rule)
def job_json(item: str, job: str):
    it, found = _job(item, job)
    return jsonify(_status(it, found))


@bp.route(urls.DOWNLOAD_JOB.rule)
def job_page(item: str, job: str):
    it, found = _job(item, job)
    if _wants_json():
        return jsonify(_status(it, found))
    return render_template("downloads_job.html", item=it, info=i18n.pick(it.titles),
                           job=found, status=_status(it, found))


# --- the ZIP ------------------------------------------------------------------------------------

@bp.route(urls.DOWNLOAD_ZIP.rule)
def zip_archive(item: str):
    it = load_item(item, with_pages=False)
    item_offer(it).check()
    index = PageIndex.of(it.id)
    first, last = parse_range(request.args.get("pages"), index.find, index.first or 1,
                              index.last or 1)
    size = parse_size(request.args.get("size") or "max")
    pages = get_catalog().pages(it.id, first, last)
    version = get_catalog().version_path(it.id)
    width = None if size == "max" else int(size)
    body = zip_stream(it, pages, get_store(), version, width, get_settings())
    name = f"{it.id}-{first}-{last}-{size}.zip" if request.args.get("pages") else \
        f"{it.id}-{size}.zip"
    return Response(body, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
