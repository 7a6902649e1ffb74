"""Response headers: only ``/embed`` may be framed by other sites; everything else forbids it.

Every page loads its scripts, styles, fonts and images from the server itself (exhibition halls
are often offline), which the Content-Security-Policy states. Mirador injects its styles at run
time, hence ``'unsafe-inline'`` for styles only.
"""
from __future__ import annotations

from flask import Flask, Response, request

EMBEDDABLE_PREFIXES = ("/embed/",)

_BASE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
                "object-src 'none'; base-uri 'self'; form-action 'self'")


def is_embeddable(path: str) -> bool:
    return path.startswith(EMBEDDABLE_PREFIXES)


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
    return resp


def init_app(app: Flask) -> None:
    """Register the header hook once, whichever blueprint asks first."""
    if app.extensions.get("sudur_security"):
        return
    app.extensions["sudur_security"] = True
    app.after_request(add_headers)
