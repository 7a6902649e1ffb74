"""Translate the SudurError hierarchy to HTTP once: JSON under /iiif and /api, HTML elsewhere.

An HTML error is a page of the site (``templates/error.html`` in the base layout) that says in
the reader's language what happened and where to go next; the library's own message, which is
English and technical, follows it marked as English. A 500 says nothing of its cause. Should
the page itself fail to render, a bare page is sent instead. A withdrawn item (410) has a page of
its own (``templates/withdrawn.html``): when and why it was withdrawn, and how to cite it.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, render_template_string, request
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateError
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from library import urls
from library.errors import SudurError, WithdrawnError

log = logging.getLogger(__name__)

_BARE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>{{ status }}</title>
<main><h1>{{ status }}</h1><p>{{ message }}</p><p><a href="/">Sudur</a></p></main></html>"""

# status -> (title, what to do), in the reader's language
_WORDS = {
    400: (_l("The request could not be read"),
          _l("Something in the address or the form is not as the site expects. Check it, or "
             "start again from the home page.")),
    403: (_l("Not allowed"), _l("This address cannot be opened here.")),
    404: (_l("Not found"),
          _l("There is nothing at this address: the item or page may have moved or never "
             "existed. Search the library or browse it from the home page.")),
    405: (_l("Not allowed"), _l("This address cannot be opened here.")),
    413: (_l("Too large"), _l("The request asks for more than the site gives at once.")),
    410: (_l("Withdrawn"), _l("This item was withdrawn from the library.")),
    500: (_l("Something went wrong on our side"),
          _l("The page could not be made. Try again in a moment; if it keeps happening, "
             "tell the library.")),
}


def _wants_json() -> bool:
    return request.path.startswith((urls.IIIF_PREFIX, urls.API_PREFIX, urls.OEMBED.rule))


def _html(status: int, message: str, hint: str = ""):
    title, advice = _WORDS.get(status, _WORDS[500 if status >= 500 else 400])
    detail = "" if status >= 500 else message
    hint = "" if status >= 500 else hint
    try:
        return render_template("error.html", status=status, title=title, advice=advice,
                               detail=detail, hint=hint)
    except (TemplateError, LookupError, RuntimeError, ValueError) as exc:
        log.error("the error page could not be rendered: %s", exc)
        return render_template_string(_BARE, status=status, message=escape(detail))


def withdrawn_time(seconds: float) -> tuple[str, Markup]:
    """The date an item was withdrawn, as its pages show it: (``2026-12-03``, that date in a
    ``<time>`` element that carries the moment)."""
    from datetime import datetime, timezone

    when = datetime.fromtimestamp(seconds, timezone.utc)
    date = when.strftime("%Y-%m-%d")
    return date, Markup(f'<time datetime="{when.strftime("%Y-%m-%dT%H:%M:%SZ")}">{date}</time>')


def _withdrawn_page(exc: WithdrawnError):
    """The page of a withdrawn item: when and why it went, and how to cite it."""
    from .resources import public_base

    try:
        date, time_html = withdrawn_time(exc.withdrawn)
        return render_template("withdrawn.html", gone=exc, date=date, time_html=time_html,
                               titles=exc.titles or {"": exc.title},
                               record_url=urls.record_url(public_base(), exc.item_id))
    except (TemplateError, LookupError, RuntimeError, ValueError) as err:
        log.error("the withdrawn page could not be rendered: %s", err)
        return _html(410, exc.message)


def _respond(status: int, payload: dict):
    if _wants_json():
        resp = jsonify(payload)
    else:
        resp = _html(status, payload.get("message", ""), payload.get("hint", ""))
    return resp, status


def init_app(app: Flask) -> None:
    @app.errorhandler(SudurError)
    def sudur_error(exc: SudurError):
        payload = exc.to_dict()
        payload.pop("file", None)  # server-side paths are not for the public
        if exc.hint:  # what to ask for instead ("ask for a range, such as pages=1-100")
            payload["hint"] = exc.hint
        if isinstance(exc, WithdrawnError) and not _wants_json():
            return _withdrawn_page(exc), 410
        if exc.http_status >= 500 and not getattr(exc, "retry_after", None):
            # ours to fix, and the page says nothing of it: the log must
            current_app.logger.error("%s: %s", type(exc).__name__, exc, exc_info=exc)
        resp, status = _respond(exc.http_status, payload)
        if getattr(exc, "retry_after", None):
            # the object store or the catalogue's server is down, or a rolling upgrade is
            # under way: clients and proxies retry, nothing is cached
            resp = current_app.make_response(resp)
            resp.headers["Retry-After"] = str(exc.retry_after)
            resp.cache_control.no_store = True
        return resp, status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _respond(exc.code or 500, {"error": exc.name, "message": exc.description or ""})
