"""Per-request resources (flaskr style): the settings, the store, a catalogue connection and an
index searcher, opened lazily on ``g`` and closed at teardown; and the one way every view loads
the item a URL names (404 for an id that is malformed or not in the library, 410 for one that
was withdrawn)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from flask import Flask, Response, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from catalog.catalogue import Catalogue, ItemRow, open_catalog
from library.errors import NotFoundError, WithdrawnError
from library.models import Item, is_item_id
from library.settings import Settings
from library.storage import object_key, open_store
from library.store import Store, resolve_inside, source_dir


def get_settings() -> Settings:
    return current_app.config["SUDUR_SETTINGS"]


_bases: dict[tuple, str] = {}


def public_base() -> str:
    """Settings.base_url if set, else the URL root of this request (without trailing slash)."""
    configured = get_settings().base_url
    if configured:
        return configured.rstrip("/")
    g.base_from_request = True  # the response must say it varies with the Host header
    env = request.environ
    key = (env.get("wsgi.url_scheme"), env.get("HTTP_HOST"), env.get("SERVER_NAME"),
           env.get("SERVER_PORT"), env.get("SCRIPT_NAME"), env.get("HTTP_X_FORWARDED_HOST"))
    base = _bases.get(key)
    if base is None:  # werkzeug's url_root is exact but slow enough to show on a tile
        base = request.url_root.rstrip("/")
        if len(_bases) > 256:
            _bases.clear()
        _bases[key] = base
    return base


def get_store() -> Store:
    """The library folder, with the store of item versions the settings name."""
    return open_store(get_settings())


def get_catalog() -> Catalogue:
    if "catalog" not in g:
        # Before the first ingest there is no catalogue: serve an empty library, and write
        # nothing into a folder that may not even exist yet. A PostgreSQL catalogue is
        # connected to afresh for each request: a node resumes when the server is back.
        g.catalog = open_catalog(get_settings(), empty_if_missing=True)
    return g.catalog


def load_item(item_id: str, *, with_pages: bool = True) -> Item:
    """The item a URL names, from the catalogue; NotFoundError (404) if there is none,
    WithdrawnError (410) if it was withdrawn."""
    if not is_item_id(item_id):
        raise NotFoundError(f"no item {item_id!r} in the library")
    try:
        return get_catalog().get_item(item_id, with_pages=with_pages)
    except NotFoundError as exc:
        gone = withdrawn(item_id)
        if gone is None:
            raise
        raise gone from exc


def load_item_row(item_id: str) -> ItemRow:
    """The catalogue row (current version) of the item a URL names, without reading the item
    (NotFoundError or WithdrawnError as ``load_item``)."""
    row: Optional[ItemRow] = get_catalog().item_row(item_id) if is_item_id(item_id) else None
    if row is None:
        raise withdrawn(item_id) or NotFoundError(f"no item {item_id!r} in the library")
    return row


def withdrawn(item_id: str) -> Optional[WithdrawnError]:
    """The 410 of an item that was withdrawn (its tombstone's, catalog.tombstones), None for
    one that never was or is published again: the one place views learn it, asked only when
    loading the item failed."""
    catalog = get_catalog()
    if not is_item_id(item_id) or catalog.item_row(item_id) is not None:
        return None
    tomb = catalog.tombstone(item_id)
    return tomb.error() if tomb is not None else None


def item_dir(item_id: str) -> Path:
    """The folder of the current version of an item (NotFoundError if unknown)."""
    return get_store().version_dir(get_catalog().version_path(item_id))


def read_source(item_id: str, rel: str) -> bytes:
    """A file of the current version's ``source/`` (TEI, master, OCR as delivered), from
    whichever store holds it (FileNotFoundError if it is not there)."""
    store = get_store()
    version = get_catalog().version_path(item_id)
    if store.is_local:  # symlinks out of the folder are refused as well as ``..``
        return resolve_inside(source_dir(store.version_dir(version)), rel).read_bytes()
    return store.objects.read(object_key(version, f"{source_dir(Path()).as_posix()}/{rel}"))


def get_searcher():
    """The library's searcher for catalog.search, opened once per request: the search rows
    in PostgreSQL when the catalogue is there (a web node holds no index), else Whoosh."""
    if "searcher" not in g:
        from catalog.catalogue import is_postgres
        from catalog.searcher import open_library_searcher
        if is_postgres(get_settings()):
            from catalog.pg_search import open_search_backend
            g.searcher = open_search_backend(get_settings())
        else:
            g.searcher = open_library_searcher(
                get_store(), holds_items=lambda: bool(get_catalog().item_ids()))
    return g.searcher


def close_resources(exc: BaseException | None = None) -> None:
    searcher = g.pop("searcher", None)
    if searcher is not None:
        searcher.close()
    catalog = g.pop("catalog", None)
    if catalog is not None:
        catalog.close()


FORWARDED = ("X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix")


def vary_on_host(resp: Response) -> Response:
    """Responses holding URLs built from the request vary with what they were built from, so
    no shared cache hands one Host's ids to another."""
    if g.get("base_from_request"):
        resp.vary.add("Host")
        if get_settings().trust_proxy_headers:
            for name in FORWARDED:
                resp.vary.add(name)
    return resp


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_resources)
    app.after_request(vary_on_host)
    app.jinja_env.globals["public_base"] = public_base
    if app.config["SUDUR_SETTINGS"].trust_proxy_headers:
        # Only behind a proxy that sets these headers (one hop): anyone else could forge them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)
