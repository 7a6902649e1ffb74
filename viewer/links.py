"""Links the pages and the JSON hand out, made with library.urls: absolute URLs for citations
and iframes (the configured base URL, else this request's), site-relative image URLs of a page
for thumbnails and the kiosk, and the URL templates the reader's script fills."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, request

from library import urls
from library.models import Page

from .resources import public_base


def public_url(path: str) -> str:
    """An absolute URL for citations: the configured base URL, else this request's host."""
    return public_base() + path


def thumb_url(page: Page, width: int = 200) -> str:
    return urls.thumbnail_url("", page.image_id, width)


def api_page_template(item_id: str) -> str:
    """The page API of an item, ``{order}`` left for the reader's script to fill (under the
    script root, as ``url_for`` makes the reader's other links)."""
    return request.script_root + urls.API_PAGE.template(item=item_id)


def oembed_link(url: str) -> str:
    """The oEmbed endpoint's absolute URL for the page at ``url``: from the public base, so a
    configured ``base_url`` wins over the request's Host, and a mount prefix is named once."""
    return public_url(urls.OEMBED.path()) + "?" + urlencode({"url": url})


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(api_page_template=api_page_template, oembed_link=oembed_link)


def fit_url(page: Page, box: int) -> str:
    """An Image API URL of the whole page fitting ``box`` pixels, never upscaled (a ``!w,h``
    larger than the image is refused by the Image API without ``^``)."""
    size = "max" if page.width <= box and page.height <= box else f"!{box},{box}"
    return urls.image_url("", page.image_id, size=size)
