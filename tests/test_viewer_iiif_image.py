"""The Image API endpoints through the Flask app, on a tiny library built here (no ingest)."""
from __future__ import annotations

import errno
import io
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from catalog.db import Catalog
from library import imaging
from library.imaging import codec
from library.models import Item, Page
from library.settings import Settings
from library.store import Store
from viewer import create_app, iiif_image, image_cache

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

    monkeypatch.setattr(codec, "decode_master", boom)
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


@pytest.mark.parametrize("path", ["full/^max/45/default.png", "full/max/30/default.jpg",
                                  "full/^!2000,2000/!45/default.png", "full/max/90/default.jpg"])
def test_rotated_images_stay_within_the_limits(tmp_path, master, path):
    """The limits bound what is sent, after rotation (issue 11 point 13: ^max at 45 degrees
    gave an 83 MP image against a 40 MP maxArea)."""
    settings = build_library(tmp_path / "lib", master, max_width=1000, max_height=800,
                             max_area=500_000)
    c = create_app({"SUDUR_SETTINGS": settings}).test_client()
    r = c.get(f"{BASE}/{path}")
    assert r.status_code == 200
    w, h = _image(r).size
    assert w <= 1000 and h <= 800 and w * h <= 500_000, (w, h)
    assert c.get(f"{BASE}/full/800,/45/default.png").status_code in (400, 413)


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


# --- the bounded cache of built images (viewer/image_cache.py) ---------------------------------

LIMIT_MB = 1


@pytest.fixture(scope="module")
def noisy_master(tmp_path_factory) -> Path:
    """A master of noise, so that built images do not compress and fill a 1 MiB cache fast."""
    path = tmp_path_factory.mktemp("noise") / "0001.png"
    Image.frombytes("RGB", (1300, 900), os.urandom(1300 * 900 * 3)).save(path)
    return path


def _cache_files(settings: Settings) -> dict[Path, int]:
    root = Store(settings.library).cache_dir / "iiif"
    return {p: p.stat().st_size for p in root.rglob("*") if p.is_file()} if root.is_dir() else {}


def _tif(i: int) -> str:
    """A distinct 300 x 200 TIFF (about 180 KB of noise) for each i."""
    return f"{BASE}/{i * 7},{i * 3},600,400/300,200/0/default.tif"


def _valid(resp, size=(300, 200)) -> bool:
    im = _image(resp)
    im.load()
    return resp.status_code == 200 and im.size == size


def test_settings_read_the_cache_limit(tmp_path, monkeypatch):
    assert Settings.load(tmp_path).iiif_cache_max_mb == 2048
    (tmp_path / "sudur.json").write_text('{"iiif_cache_max_mb": 64}')
    assert Settings.load(tmp_path).iiif_cache_max_mb == 64
    monkeypatch.setenv("SUDUR_IIIF_CACHE_MAX_MB", "0")
    assert Settings.load(tmp_path).iiif_cache_max_mb == 0


def test_cache_stays_under_its_limit(tmp_path, noisy_master):
    settings = build_library(tmp_path / "lib", noisy_master, iiif_cache_max_mb=LIMIT_MB)
    c = create_app({"SUDUR_SETTINGS": settings}).test_client()
    largest = 0
    for i in range(30):
        r = c.get(_tif(i))
        assert _valid(r), i
        largest = max(largest, len(r.data))
        files = _cache_files(settings)
        assert sum(files.values()) <= LIMIT_MB * image_cache.MB + largest, i
    assert largest > 100_000  # the test means something: 30 such images are 5 times the limit
    assert 0 < len(files) < 10
    # emptied folders went with their files
    root = Store(settings.library).cache_dir / "iiif"
    assert all(any(d.iterdir()) for d in root.rglob("*") if d.is_dir())
    # what was pruned is built again
    assert _valid(c.get(_tif(0)))


def test_recently_hit_entry_survives_a_prune(tmp_path, noisy_master):
    settings = build_library(tmp_path / "lib", noisy_master, iiif_cache_max_mb=LIMIT_MB)
    c = create_app({"SUDUR_SETTINGS": settings}).test_client()
    order: list[Path] = []  # cache files in the order their requests came
    first = c.get(_tif(0))
    order += _cache_files(settings)
    fit = LIMIT_MB * image_cache.MB // image_cache.footprint(len(first.data))
    assert fit >= 4
    for i in range(1, fit):  # the cache is full, not yet past its limit
        assert _valid(c.get(_tif(i)))
        order += [p for p in _cache_files(settings) if p not in order]
    assert len(order) == fit
    now = time.time()
    for age, path in zip(range(len(order), 0, -1), order):  # oldest first, an hour apart
        os.utime(path, (now - 3600 * age, now - 3600 * age))
    hit = c.get(_tif(0))  # a hit on the oldest entry makes it the most recent
    assert hit.data == first.data
    assert _valid(c.get(_tif(fit)))  # this one takes the cache past its limit
    left = _cache_files(settings)
    assert order[0] in left, "the entry just hit was pruned"
    assert order[1] not in left, "the least recently used entry survived"
    assert len(left) < fit + 1


def test_limit_zero_keeps_nothing(tmp_path, noisy_master):
    settings = build_library(tmp_path / "lib", noisy_master)
    c = create_app({"SUDUR_SETTINGS": settings}).test_client()
    assert _valid(c.get(_tif(0))) and _cache_files(settings)
    # restarted with a limit of 0: what an earlier limit kept goes, nothing new is kept
    zero = Settings.load(settings.library, iiif_cache_max_mb=0)
    c = create_app({"SUDUR_SETTINGS": zero}).test_client()
    for i in (0, 1, 1):
        assert _valid(c.get(_tif(i)))
        assert _cache_files(zero) == {}


def test_running_total_after_a_restart(tmp_path, noisy_master, monkeypatch):
    settings = build_library(tmp_path / "lib", noisy_master, iiif_cache_max_mb=LIMIT_MB)
    app = create_app({"SUDUR_SETTINGS": settings})
    for i in range(3):
        assert _valid(app.test_client().get(_tif(i)))
    with app.app_context():
        assert iiif_image.image_cache().total() == \
            sum(map(image_cache.footprint, _cache_files(settings).values()))
    # an entry removed behind the server's back (as collect_garbage does with a dead version)
    next(iter(_cache_files(settings))).unlink()
    scans = []
    real_scan = image_cache.ImageCache._scan
    monkeypatch.setattr(image_cache.ImageCache, "_scan",
                        lambda self: scans.append(1) or real_scan(self))
    restarted = create_app({"SUDUR_SETTINGS": settings})
    c = restarted.test_client()
    for i in range(3, 6):
        assert _valid(c.get(_tif(i)))
    with restarted.app_context():
        assert iiif_image.image_cache().total() == \
            sum(map(image_cache.footprint, _cache_files(settings).values()))
    assert len(scans) == 1  # one scan at first use, not one per request


def test_workers_pruning_at_once_all_serve(tmp_path, noisy_master):
    """Four apps (as four gunicorn workers: each its own accounting, one counter file) on
    threads, past a tiny limit many times over: every response whole, the cache bounded."""
    settings = build_library(tmp_path / "lib", noisy_master, iiif_cache_max_mb=LIMIT_MB)
    apps = [create_app({"SUDUR_SETTINGS": settings}) for _ in range(4)]
    failures: list[str] = []

    def work(n: int) -> None:
        c = apps[n].test_client()
        for i in range(12):
            r = c.get(_tif(i % 8 + n))  # overlapping requests: hits, misses and prunes meet
            if not _valid(r):
                failures.append(f"{n}/{i}: {r.status_code}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sum(_cache_files(settings).values()) <= 2 * LIMIT_MB * image_cache.MB


def test_prune_ignores_files_already_gone(tmp_path):
    cache = image_cache.ImageCache(tmp_path / "iiif", 8 * image_cache.BLOCK)
    paths = [tmp_path / "iiif" / "x@1" / "ab" / f"{i}.jpg" for i in range(12)]
    for p in paths:
        assert cache.put(p, b"x" * 100)
    assert 0 < cache.total() <= 8 * image_cache.BLOCK
    # a worker with a smaller limit prunes, and another removes every file between its scan
    # and its unlinks
    small = image_cache.ImageCache(tmp_path / "iiif", 2 * image_cache.BLOCK)
    real_scan = small._scan
    small._scan = lambda: [e for e in real_scan() if os.unlink(e[2]) is None]
    stats = small.prune()
    assert stats is not None and stats.removed > 0 and stats.after <= 2 * image_cache.BLOCK
    assert not (tmp_path / "iiif" / "x@1").exists()
    assert cache.get(paths[-1]) is None
    # a write into the folder the prune removed makes it again
    assert cache.put(paths[0], b"y") and cache.get(paths[0]) == b"y"


def test_a_full_disk_still_serves(tmp_path, noisy_master, monkeypatch):
    settings = build_library(tmp_path / "lib", noisy_master, iiif_cache_max_mb=LIMIT_MB)
    c = create_app({"SUDUR_SETTINGS": settings}).test_client()
    real_write = Path.write_bytes

    def full(self, data):
        real_write(self, data[:10])  # the disk fills half-way through the file
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    assert _valid(c.get(_tif(0)))
    assert _cache_files(settings) == {}  # nor a half-written temporary file


def test_an_image_of_a_version_removed_while_resolved_is_served_from_the_new(tmp_path, master):
    # The crash trials met this: the item was replaced, and the old version's folder was
    # being removed (its tiles gone, its pyramid file not yet) while a worker still held
    # the old version as resolved: a 500 for an item the catalogue serves.
    root = tmp_path / "library"
    settings = build_library(root, master)
    client = create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()
    assert client.get(f"{BASE}/0,0,256,256/256,/0/default.jpg").status_code == 200
    with Catalog(Store(root).catalog_path) as cat:
        old = Store(root).version_dir(cat.version_path(ITEM))
    build_library(root, master)  # a new version, published
    tiles = [p for p in old.rglob("*.jpg")]
    assert tiles
    for p in tiles:  # garbage collection half-way through the old folder
        p.unlink()
    resp = client.get(f"{BASE}/256,256,256,256/256,/0/default.jpg")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    # a tile missing from the version the catalogue holds is still an error
    with Catalog(Store(root).catalog_path) as cat:
        current = Store(root).version_dir(cat.version_path(ITEM))
    assert current != old
    for p in current.rglob("*.jpg"):
        p.unlink()
    assert client.get(f"{BASE}/512,256,256,256/256,/0/default.jpg").status_code == 500
