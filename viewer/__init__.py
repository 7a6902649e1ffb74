"""The Flask app: IIIF APIs and the HTML site. ``create_app`` follows Flask's flaskr tutorial:
the app-wide parts (per-request resources, errors, translations, response headers) are set up
by their modules' ``init_app``, then each blueprint is registered.

Blueprint modules (one concern each) import only the shared modules (``resources``, ``links``,
``args``, ``i18n``, ``security``, ``errors``, ``image_cache``), never one another;
tests/test_viewer_layering.py checks it.
"""
from __future__ import annotations

from typing import Optional

from flask import Flask

from library.settings import Settings


def create_app(test_config: Optional[dict] = None) -> Flask:
    app = Flask(__name__)
    cfg = dict(test_config or {})
    settings = cfg.pop("SUDUR_SETTINGS", None)
    if settings is None:
        settings = Settings.load(cfg.pop("LIBRARY", None))
    app.config.update(SUDUR_SETTINGS=settings, JSON_AS_ASCII=False)
    app.config.update(cfg)
    app.json.ensure_ascii = False

    from . import errors, i18n, links, resources, security
    resources.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    links.init_app(app)
    security.init_app(app)

    from . import api, embed, iiif_image, iiif_presentation, iiif_search, oai, site
    app.register_blueprint(site.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(iiif_image.bp)
    app.register_blueprint(iiif_presentation.bp)
    app.register_blueprint(iiif_search.bp)
    app.register_blueprint(oai.bp)
    app.register_blueprint(embed.bp)
    from . import citations, discovery
    app.register_blueprint(citations.bp)
    app.register_blueprint(discovery.bp)
    from . import downloads
    app.register_blueprint(downloads.bp)
    from . import edition_pages
    app.register_blueprint(edition_pages.bp)
    from . import works
    app.register_blueprint(works.bp)
    return app
