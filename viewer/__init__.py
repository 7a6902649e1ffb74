"""The Flask app: IIIF APIs and the HTML site. ``create_app`` follows Flask's flaskr tutorial."""
from __future__ import annotations

import importlib
from typing import Optional

from flask import Flask

from library.settings import Settings

# (module, attribute) of every blueprint; each concern lives in its own module.
BLUEPRINTS = [
    ("viewer.site", "bp"),
    ("viewer.api", "bp"),
    ("viewer.iiif_image", "bp"),
    ("viewer.iiif_presentation", "bp"),
    ("viewer.iiif_search", "bp"),
    ("viewer.oai", "bp"),
    ("viewer.embed", "bp"),
]


def create_app(test_config: Optional[dict] = None) -> Flask:
    app = Flask(__name__)
    cfg = dict(test_config or {})
    settings = cfg.pop("SUDUR_SETTINGS", None)
    if settings is None:
        settings = Settings.load(cfg.pop("LIBRARY", None))
    app.config.update(SUDUR_SETTINGS=settings, JSON_AS_ASCII=False)
    app.config.update(cfg)
    app.json.ensure_ascii = False

    from . import errors, resources
    resources.init_app(app)
    errors.init_app(app)
    for module_name, attr in BLUEPRINTS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # a concern not built yet
        app.register_blueprint(getattr(module, attr))
    return app
