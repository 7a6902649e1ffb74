"""Response headers, set in one hook for every response: framing, content policy and CORS.

Only ``/embed`` may be framed by other sites; everything else forbids it. Every page loads its
scripts, styles, fonts and images from the server itself (exhibition halls are often offline),
which the Content-Security-Policy states. Mirador injects its styles at run time, hence
``'unsafe-inline'`` for styles only.

IIIF resources are for any viewer on any site: every routed response under ``/iiif`` carries
CORS ``*``; the Image API's whole tree also exposes its headers and answers preflights, errors
and unrouted paths included (Image API 3.0, section 7.1). Nothing else is cross-origin.
"""
from __future__ import annotations

from flask import Flask, Response, request

from library import urls

EMBEDDABLE_PREFIXES = (urls.EMBED.prefix,)

_BASE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
                "object-src 'none'; base-uri 'self'; form-action 'self'")


def is_embeddable(path: str) -> bool:
    return path.startswith(EMBEDDABLE_PREFIXES)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def cors_headers(resp: Response) -> None:
    path = request.path
    if _under(path, urls.IMAGE_PREFIX):
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Access-Control-Expose-Headers"] = "Link, ETag, Last-Modified"
        if request.method == "OPTIONS":
            resp.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            resp.headers["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "*")
            resp.headers["Access-Control-Max-Age"] = "86400"
    elif request.url_rule is not None and _under(path, urls.IIIF_PREFIX):
        resp.headers["Access-Control-Allow-Origin"] = "*"


def add_headers(resp: Response) -> Response:
    if is_embeddable(request.path):
        resp.headers.pop("X-Frame-Options", None)
        resp.headers["Content-Security-Policy"] = _BASE_POLICY + "; frame-ancestors *"
    else:
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers.setdefault("Content-Security-Policy", _BASE_POLICY)
        if "frame-ancestors" not in resp.headers["Content-Security-Policy"]:
            resp.headers["Content-Security-Policy"] += "; frame-ancestors 'none'"
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    cors_headers(resp)
    return resp


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
