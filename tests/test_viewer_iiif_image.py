"""The Image API endpoints through the Flask app, on a tiny library built here (no ingest)."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from catalog.db import Catalog
from library import imaging
from library.models import Item, Page
from library.settings import Settings
from library.store import Store
from viewer import create_app

ITEM = "demo-ms"
IMG = f"{ITEM}.0001"
BASE = f"/iiif/3/{IMG}"


def build_library(root: Path, master: Path, item_id: str = ITEM, **settings) -> Settings:
    """A library holding one item whose page 1 is ``master``, with its pyramid cut."""
    store = Store(root)
    store.ensure()
    staged = store.new_staging(item_id)
    images = staged / "source" / "images"
    images.mkdir(parents=True)
    shutil.copy(master, images / master.name)
    derivs = imaging.make_derivatives(images / master.name, staged / "derived" / "0001")
    version = store.publish(staged)
    page = Page(item_id=item_id, order=1, label="1a", image=f"images/{master.name}",
                width=derivs.width, height=derivs.height)
    item = Item(id=item_id, titles={"en": "Demo"}, pages=[page],
                rights="http://creativecommons.org/publicdomain/mark/1.0/")
    with Catalog(store.catalog_path) as cat:
        cat.put_item(item, version_path=version, source_hash="test", fixity=[])
    return Settings.load(root, **settings)


@pytest.fixture(scope="module")
def master(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("master") / "0001.png"
    im = Image.new("RGB", (1300, 900), (250, 245, 230))
    d = ImageDraw.Draw(im)
    d.rectangle([0, 0, 649, 449], fill=(180, 20, 20))
    d.rectangle([650, 450, 1299, 899], fill=(20, 20, 180))
    im.save(path)
    return path


@pytest.fixture(scope="module")
def lib(tmp_path_factory, master) -> Settings:
    return build_library(tmp_path_factory.mktemp("lib") / "library", master)


@pytest.fixture()
def client(lib):
    return create_app({"SUDUR_SETTINGS": lib, "TESTING": True}).test_client()


def _image(resp) -> Image.Image:
    return Image.open(io.BytesIO(resp.data))


# --- info.json and the base URI -----------------------------------------------------------------

def test_info_json(client):
    r = client.get(f"{BASE}/info.json")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == \
        'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'
    info = r.get_json(force=True)
    assert info["id"] == f"http://localhost{BASE}"
    assert (info["width"], info["height"], info["profile"]) == (1300, 900, "level2")
    assert info["tiles"] == [{"width": 512, "scaleFactors": [1, 2, 4]}]
    assert {"width": 200, "height": 138} in info["sizes"]
    assert info["rights"] == "http://creativecommons.org/publicdomain/mark/1.0/"
    assert info["partOf"] == [{"id": f"http://localhost/iiif/{ITEM}/manifest", "type": "Manifest",
                               "label": {"en": ["Demo"]}}]
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert '<http://iiif.io/api/image/3/level2.json>;rel="profile"' in r.headers["Link"]
    assert r.headers["ETag"] and r.headers["Last-Modified"]


def test_info_json_honours_accept_json(client):
    r = client.get(f"{BASE}/info.json", headers={"Accept": "application/json"})
    assert r.headers["Content-Type"] == "application/json"
    r = client.get(f"{BASE}/info.json", headers={"Accept": "application/ld+json"})
    assert r.headers["Content-Type"].startswith("application/ld+json")


def test_ids_use_the_configured_base_url(tmp_path, master):
    settings = build_library(tmp_path / "lib", master, base_url="https://sudur.example/lib/")
    c = create_app({"SUDUR_SETTINGS": settings}).test_client()
    assert c.get(f"{BASE}/info.json").get_json(force=True)["id"] == \
        f"https://sudur.example/lib{BASE}"
    r = c.get(f"{BASE}/full/max/0/default.jpg")
    assert f"<https://sudur.example/lib{BASE}/full/max/0/default.jpg>" in r.headers["Link"]


def test_base_uri_redirects_to_info_json(client):
    r = client.get(BASE)
    assert r.status_code == 303
    assert r.headers["Location"] == f"http://localhost{BASE}/info.json"
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_info_json_conditional_get(client):
    r = client.get(f"{BASE}/info.json")
    again = client.get(f"{BASE}/info.json", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


# --- images -------------------------------------------------------------------------------------

def test_tile_is_served_as_the_precut_file(client, lib):
    r = client.get(f"{BASE}/0,0,512,512/512,512/0/default.jpg")
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    version = next(p for p in Store(lib.library).items_dir.iterdir() if "@" in p.name)
    tile = imaging.tile_path(version / "derived" / "0001", 1, 0, 0)
    assert r.data == tile.read_bytes()
    assert f'<http://localhost{BASE}/0,0,512,512/max/0/default.jpg>;rel="canonical"' in \
        r.headers["Link"]
    assert "max-age=2592000" in r.headers["Cache-Control"]
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_image_conditional_get(client):
    url = f"{BASE}/full/max/0/default.jpg"
    r = client.get(url)
    etag, modified = r.headers["ETag"], r.headers["Last-Modified"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    # the same image asked for non-canonically has the same ETag
    assert client.get(f"{BASE}/0,0,1300,900/1300,/0/default.jpg").headers["ETag"] == etag


def test_built_images_are_cached(client, lib):
    url = f"{BASE}/100,100,700,500/350,/15/gray.png"
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "image/png"
    im = _image(r)
    assert im.mode == "LA"
    cached = list((Store(lib.library).cache_dir / "iiif").rglob("*.png"))
    assert len(cached) == 1
    assert client.get(url).data == r.data == cached[0].read_bytes()


@pytest.mark.parametrize("fmt,mime,magic", [
    ("jpg", "image/jpeg", b"\xff\xd8"), ("png", "image/png", b"\x89PNG"),
    ("webp", "image/webp", b"RIFF"), ("tif", "image/tiff", b"II*\x00"),
    ("gif", "image/gif", b"GIF8"), ("jp2", "image/jp2", b"\x00\x00\x00\x0cjP"),
    ("pdf", "application/pdf", b"%PDF")])
def test_formats(client, fmt, mime, magic):
    r = client.get(f"{BASE}/full/300,/0/default.{fmt}")
    assert r.status_code == 200
    assert r.mimetype == mime
    assert r.data.startswith(magic)


def test_region_size_rotation_quality_in_one(client):
    r = client.get(f"{BASE}/0,0,650,450/325,/!90/bitonal.png")
    im = _image(r)
    assert im.size == (225, 325)
    assert {v for _, v in im.convert("L").getcolors()} <= {0, 255}


def test_upscaling(client):
    r = client.get(f"{BASE}/0,0,100,100/^400,/0/default.jpg")
    assert r.status_code == 200 and _image(r).size == (400, 400)


def test_requests_never_decode_the_master(client, lib, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the master was decoded")

    monkeypatch.setattr(imaging, "_decode_master", boom)
    monkeypatch.setattr(imaging, "make_derivatives", boom)
    for url in (f"{BASE}/info.json", f"{BASE}/pct:5,5,90,90/!500,500/7/color.webp",
                f"{BASE}/full/max/0/default.jpg", f"{BASE}/square/^1000,/0/default.jpg"):
        assert client.get(url).status_code == 200, url


def test_missing_pyramid_is_cut_once_into_the_cache(tmp_path, master):
    settings = build_library(tmp_path / "lib", master)
    version = next(p for p in Store(settings.library).items_dir.iterdir() if "@" in p.name)
    shutil.rmtree(version / "derived")
    c = create_app({"SUDUR_SETTINGS": settings}).test_client()
    assert c.get(f"{BASE}/info.json").get_json(force=True)["tiles"][0]["scaleFactors"] == \
        [1, 2, 4]
    assert c.get(f"{BASE}/0,0,512,512/512,/0/default.jpg").status_code == 200
    assert list((Store(settings.library).cache_dir / "pyramids").rglob("pyramid.json"))


# --- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path,status", [
    (f"{BASE}/nonsense/max/0/default.jpg", 400),
    (f"{BASE}/0,0,0,0/max/0/default.jpg", 400),
    (f"{BASE}/-5,0,10,10/max/0/default.jpg", 400),
    (f"{BASE}/5000,5000,10,10/max/0/default.jpg", 400),
    (f"{BASE}/full/99999,/0/default.jpg", 400),
    (f"{BASE}/full/pct:100000/0/default.jpg", 400),
    (f"{BASE}/full/!0,0/0/default.jpg", 400),
    (f"{BASE}/full/1301,/0/default.jpg", 400),
    (f"{BASE}/full/^20000,/0/default.jpg", 400),
    (f"{BASE}/full/max/361/default.jpg", 400),
    (f"{BASE}/full/max/0/sepia.jpg", 400),
    (f"{BASE}/full/max/0/default.bmp", 400),
    (f"{BASE}/full/max/0/default", 400),
    ("/iiif/3/demo-ms.0002/info.json", 404),
    ("/iiif/3/demo-ms.0002/full/max/0/default.jpg", 404),
    ("/iiif/3/nobody.0001/info.json", 404),
    ("/iiif/3/demo-ms/info.json", 404),
    ("/iiif/3/../../catalog.sqlite", 404),
    ("/iiif/3/..%2F..%2Fcatalog.sqlite/info.json", 404),
    ("/iiif/3/%2e%2e/info.json", 404),
    ("/iiif/3/%2e%2e%2f%2e%2e%2fetc%2fpasswd/full/max/0/default.jpg", 404),
    ("/iiif/3/demo-ms.0001%2F..%2F..%2Fsource/info.json", 400),  # decoded: region ".."
    ("/iiif/3/a/b/full/max/0/default.jpg", 404),
    ("/iiif/3/[frob]/full/max/0/default.jpg", 404),
    (f"{BASE}/" + "1" * 2000 + "/max/0/default.jpg", 414),
])
def test_errors(client, path, status):
    r = client.get(path)
    assert r.status_code == status, r.data
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    if r.mimetype == "application/json":
        assert "message" in r.get_json()
        assert "/tmp" not in r.get_data(as_text=True)


def test_size_limits_from_settings(tmp_path, master):
    settings = build_library(tmp_path / "lib", master, max_width=600, max_height=600,
                             max_area=200_000)
    c = create_app({"SUDUR_SETTINGS": settings}).test_client()
    info = c.get(f"{BASE}/info.json").get_json(force=True)
    assert (info["maxWidth"], info["maxHeight"], info["maxArea"]) == (600, 600, 200_000)
    r = c.get(f"{BASE}/full/max/0/default.jpg")
    w, h = _image(r).size
    assert w <= 600 and w * h <= 200_000
    assert c.get(f"{BASE}/full/700,/0/default.jpg").status_code in (400, 413)


def test_cors_preflight(client):
    r = client.options(f"{BASE}/info.json", headers={
        "Origin": "https://viewer.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-requested-with"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in r.headers["Access-Control-Allow-Methods"]
    assert r.headers["Access-Control-Allow-Headers"] == "x-requested-with"


def test_head(client):
    r = client.head(f"{BASE}/full/max/0/default.jpg")
    assert r.status_code == 200 and r.mimetype == "image/jpeg"


# --- with the ingest pipeline ---------------------------------------------------------------

def test_pages_ingested_by_the_pipeline_are_served_from_their_pyramid(sample_library):
    with Catalog(Store(sample_library.library).catalog_path, readonly=True) as cat:
        page = next(p for item in cat.items(with_pages=True) for p in item.pages
                    if p.has_image)
    c = create_app({"SUDUR_SETTINGS": sample_library}).test_client()
    base = f"/iiif/3/{page.image_id}"
    info = c.get(f"{base}/info.json").get_json(force=True)
    assert (info["width"], info["height"]) == (page.width, page.height)
    sf = info["tiles"][0]["scaleFactors"][-1]
    r = c.get(f"{base}/full/{-(-page.width // sf)},{-(-page.height // sf)}/0/default.jpg")
    assert r.status_code == 200 and r.data[:2] == b"\xff\xd8"
    # cut at ingest, inside the item version, not by the viewer's fallback
    assert not (Store(sample_library.library).cache_dir / "pyramids").exists()


def test_range_requests(client):
    full = client.get(f"{BASE}/0,0,512,512/512,512/0/default.jpg")
    part = client.get(f"{BASE}/0,0,512,512/512,512/0/default.jpg", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.data == full.data[:100]
    assert full.headers["Accept-Ranges"] == "bytes"
