"""Per-request resources (flaskr style): the settings, the store, a catalogue connection and an
index searcher, opened lazily on ``g`` and closed at teardown."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g

from catalog.db import Catalog
from library.settings import Settings
from library.store import Store


def get_settings() -> Settings:
    return current_app.config["SUDUR_SETTINGS"]


def get_store() -> Store:
    return Store(get_settings().library)


def get_catalog() -> Catalog:
    if "catalog" not in g:
        g.catalog = Catalog(get_store().catalog_path)
    return g.catalog


def item_dir(item_id: str) -> Path:
    """The folder of the current version of an item (NotFoundError if unknown)."""
    return get_store().version_dir(get_catalog().version_path(item_id))


def get_searcher():
    """A Whoosh-backed searcher from catalog.search, opened once per request."""
    if "searcher" not in g:
        from catalog.search import open_searcher
        g.searcher = open_searcher(get_store().index_dir)
    return g.searcher


def close_resources(exc: BaseException | None = None) -> None:
    searcher = g.pop("searcher", None)
    if searcher is not None:
        searcher.close()
    catalog = g.pop("catalog", None)
    if catalog is not None:
        catalog.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_resources)
