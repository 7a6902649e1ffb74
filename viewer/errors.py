"""Translate the SudurError hierarchy to HTTP once: JSON under /iiif and /api, HTML elsewhere."""
from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template_string, request
from werkzeug.exceptions import HTTPException

from library import urls
from library.errors import CatalogUnavailableError, SudurError

_HTML = """<!doctype html><html lang="en"><meta charset="utf-8"><title>{{ status }}</title>
<main><h1>{{ status }}</h1><p>{{ message }}</p><p><a href="/">Sudur</a></p></main></html>"""


def _wants_json() -> bool:
    return request.path.startswith((urls.IIIF_PREFIX, urls.API_PREFIX, urls.OEMBED.rule))


def _respond(status: int, payload: dict):
    if _wants_json():
        resp = jsonify(payload)
    else:
        resp = render_template_string(_HTML, status=status, message=payload.get("message", ""))
    return resp, status


def init_app(app: Flask) -> None:
    @app.errorhandler(SudurError)
    def sudur_error(exc: SudurError):
        payload = exc.to_dict()
        payload.pop("file", None)  # server-side paths are not for the public
        resp, status = _respond(exc.http_status, payload)
        if isinstance(exc, CatalogUnavailableError):
            # the catalogue's server is down: clients and proxies retry, nothing is cached
            resp = current_app.make_response(resp)
            resp.headers["Retry-After"] = str(exc.retry_after)
            resp.cache_control.no_store = True
        return resp, status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _respond(exc.code or 500, {"error": exc.name, "message": exc.description or ""})
