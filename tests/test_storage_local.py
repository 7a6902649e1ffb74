"""The library-folder store as the Image API uses it: X-Accel-Redirect for pre-cut files when
configured, and ETag/Last-Modified from the catalogue rather than the files."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from urllib.parse import unquote

import pytest

from catalog.db import Catalog
from library.store import Store
from viewer import create_app

ITEM = "jangar-ms-1"


def _client(settings):
    return create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()


def _tile_url(client, ident: str) -> str:
    info = client.get(f"/iiif/3/{ident}/info.json").get_json()
    ts = info["tiles"][0]["width"]
    w, h = min(ts, info["width"]), min(ts, info["height"])
    return f"/iiif/3/{ident}/0,0,{w},{h}/{w},/0/default.jpg"


@pytest.fixture()
def accel(sample_library):
    return dataclasses.replace(sample_library, x_accel_redirect="/_sudur/")


def test_a_precut_tile_is_left_to_nginx_when_enabled(accel):
    client = _client(accel)
    resp = client.get(_tile_url(client, f"{ITEM}.0001"))
    assert resp.status_code == 200
    assert resp.data == b""
    assert resp.mimetype == "image/jpeg"
    target = resp.headers["X-Accel-Redirect"]
    assert target.startswith("/_sudur/items/")
    file = accel.library / unquote(target.removeprefix("/_sudur/"))
    assert file.is_file() and file.read_bytes()[:2] == b"\xff\xd8"
    assert resp.headers["ETag"] and resp.headers["Last-Modified"]


def test_a_built_image_is_sent_by_python_even_when_enabled(accel):
    client = _client(accel)
    resp = client.get(f"/iiif/3/{ITEM}.0001/0,0,100,100/50,/0/default.png")
    assert resp.status_code == 200
    assert "X-Accel-Redirect" not in resp.headers
    assert resp.data[:4] == b"\x89PNG"


def test_no_header_when_not_configured(sample_library):
    client = _client(sample_library)
    resp = client.get(_tile_url(client, f"{ITEM}.0001"))
    assert "X-Accel-Redirect" not in resp.headers
    assert resp.data[:2] == b"\xff\xd8"


def test_last_modified_is_the_catalogue_commit_not_the_file(sample_library):
    with Catalog(Store(sample_library.library).catalog_path, readonly=True) as cat:
        row = cat.item_row(ITEM)
    client = _client(sample_library)
    url = _tile_url(client, f"{ITEM}.0001")
    resp = client.get(url)
    assert resp.last_modified == datetime.fromtimestamp(int(row.updated), tz=timezone.utc)
    info = client.get(f"/iiif/3/{ITEM}.0001/info.json")
    assert info.last_modified == resp.last_modified
    assert client.get(url, headers={"If-None-Match": resp.headers["ETag"]}).status_code == 304
