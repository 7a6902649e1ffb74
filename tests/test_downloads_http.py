"""Downloads over HTTP (viewer.downloads, library.downloads*): page images at a chosen size, the
PDF of an item or a range with its progress, cache and limits, the streamed ZIP, and the
licence that decides whether any of it is offered."""
from __future__ import annotations

import dataclasses
import fcntl
import io
import json
import os
import re
import threading
import time
import zipfile
from pathlib import Path

import pytest

import pypdf  # noqa: E402  (the test extra has it)

from catalog.db import Catalog  # noqa: E402
from library import downloads as dl  # noqa: E402
from library.downloads import Downloads, Job, PdfSpec  # noqa: E402
from library.store import Store, source_dir  # noqa: E402


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


class Buffered:
    """A test client whose responses are read whole and closed (a PDF is sent from its open
    file, which only closing the response closes); ``raw`` streams."""

    def __init__(self, client) -> None:
        self.raw = client

    def get(self, *args, **kwargs):
        return self.raw.get(*args, buffered=True, **kwargs)

    def post(self, *args, **kwargs):
        return self.raw.post(*args, buffered=True, **kwargs)


def make_client(settings, **changes) -> Buffered:
    from viewer import create_app

    # a build waits this long before the answer turns into a progress page: long enough for a
    # loaded test machine, so a test that wants the PDF gets it (tests of progress set 0)
    changes.setdefault("download_wait_seconds", 120.0)

    app = create_app({"SUDUR_SETTINGS": dataclasses.replace(settings, **changes),
                      "TESTING": True})
    return Buffered(app.test_client())


def pages_of(settings, item: str):
    with Catalog(Store(settings.library).catalog_path) as cat:
        return cat.pages(item), cat.version_path(item), cat.get_item(item, with_pages=False)


def poll_done(client, location: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(location + ".json").get_json()
        if status["state"] in ("done", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


# --- the PDF -----------------------------------------------------------------------------------

def test_pdf_of_a_range_has_its_pages_images_and_text(sample_library) -> None:
    client = make_client(sample_library)
    resp = client.get("/items/kangyur-vol-1/download.pdf?pages=2-4&size=1000")
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == "application/pdf"
    assert "kangyur-vol-1-2-4-1000.pdf" in resp.headers["Content-Disposition"]
    reader = pypdf.PdfReader(io.BytesIO(resp.data))
    assert len(reader.pages) == 3
    pages, version, _ = pages_of(sample_library, "kangyur-vol-1")
    jpeg_total = 0
    for pdf_page, page in zip(reader.pages, pages[1:4]):
        images = [x.get_object() for x in pdf_page["/Resources"]["/XObject"].values()]
        assert len(images) == 1
        img = images[0]
        assert img["/Filter"] == "/DCTDecode"
        assert (img["/Width"], img["/Height"]) == (page.width, page.height)  # 1800 >= 1000
        level = (Store(sample_library.library).version_dir(version) / "derived"
                 / f"{page.order:04d}" / "sizes" / f"{page.width}x{page.height}.jpg")
        assert img.get_data() == level.read_bytes()
        jpeg_total += level.stat().st_size
        assert squash(page.text) in squash(pdf_page.extract_text())
    assert len(resp.data) < jpeg_total * 1.05 + 30_000  # the JPEGs, not inflated


def test_pdf_at_a_smaller_size_embeds_the_smaller_level(sample_library) -> None:
    client = make_client(sample_library)
    resp = client.get("/items/geser-ms-1/download.pdf?pages=1&size=1000")
    assert resp.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(resp.data))
    (img,) = [x.get_object() for x in reader.pages[0]["/Resources"]["/XObject"].values()]
    assert img["/Width"] == 1000  # the master is 1000 wide: level 1
    whole = client.get("/items/jangar-ms-1/download.pdf")  # no pages=: the whole item
    assert len(pypdf.PdfReader(io.BytesIO(whole.data)).pages) == 4


def test_text_layer_of_ocr_words_in_columns(sample_library) -> None:
    client = make_client(sample_library)
    resp = client.get("/items/jangar-ms-1/download.pdf?pages=2&size=max")
    assert resp.status_code == 200
    pages, _, _ = pages_of(sample_library, "jangar-ms-1")
    got = pypdf.PdfReader(io.BytesIO(resp.data)).pages[0].extract_text()
    assert squash(pages[1].text) == squash(got)


def slowed(monkeypatch, seconds: float) -> list:
    """Make every PDF build take ``seconds`` longer; the list counts the builds."""
    calls: list = []
    real = dl.write_pdf

    def slow(*args, **kwargs):
        calls.append(1)
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(dl, "write_pdf", slow)
    return calls


def test_a_slow_build_shows_its_progress_then_the_pdf(sample_library, monkeypatch) -> None:
    slowed(monkeypatch, 0.5)
    client = make_client(sample_library, download_wait_seconds=0.0)
    resp = client.get("/items/todo-xiyouji-1/download.pdf?pages=1-2&size=2000")
    assert resp.status_code == 303
    location = resp.headers["Location"]
    assert re.fullmatch(r"/items/todo-xiyouji-1/downloads/[0-9a-f]{24}", location)
    page = client.get(location).get_data(as_text=True)
    assert '<progress id="job-progress" max="2" value="0">' in page
    assert '<meta http-equiv="refresh" content="2">' in page  # follows it without JavaScript
    assert client.get(location + ".json").get_json()["state"] in ("queued", "building")
    status = poll_done(client, location)
    assert status["state"] == "done" and status["done"] == status["total"] == 2
    assert status["download_url"] == "/items/todo-xiyouji-1/download.pdf?pages=1-2&size=2000"
    done_page = client.get(location).get_data(as_text=True)
    link = 'class="job-download" href="/items/todo-xiyouji-1/download.pdf?pages=1-2&amp;size=2000"'
    assert link in done_page and "http-equiv" not in done_page
    pdf = client.get(status["download_url"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")


def test_post_starts_a_build_and_a_program_gets_202_and_the_status(sample_library,
                                                                   monkeypatch) -> None:
    slowed(monkeypatch, 0.2)
    client = make_client(sample_library, download_wait_seconds=0.0)
    resp = client.post("/items/manchu-memorial-1/downloads", data={"pages": "2-3", "size": "2000"},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 202
    body = resp.get_json()
    assert body["state"] in ("queued", "building") and body["total"] == 2
    assert resp.headers["Location"] == body["status_url"]
    assert poll_done(client, body["status_url"])["state"] == "done"
    html = client.post("/items/manchu-memorial-1/downloads", data={"pages": "2-3"})
    assert html.status_code == 303 and "/downloads/" in html.headers["Location"]


def test_while_the_item_is_locked_the_job_waits_then_builds(sample_library) -> None:
    """One build per item at a time: a lock held elsewhere (another worker) keeps it queued."""
    client = make_client(sample_library, download_wait_seconds=0.0)
    root = Store(sample_library.library).cache_dir / "downloads"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "zh-archive-1.lock", "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        resp = client.get("/items/zh-archive-1/download.pdf?pages=1-2&size=2000")
        assert resp.status_code == 303
        location = resp.headers["Location"]
        time.sleep(0.4)
        assert client.get(location + ".json").get_json()["state"] == "queued"
        assert "Waiting for another PDF of this item" in client.get(location).get_data(
            as_text=True)
        fcntl.flock(held, fcntl.LOCK_UN)
    assert poll_done(client, location)["state"] == "done"


def test_one_build_for_many_requests_of_the_same_pdf(sample_library, monkeypatch) -> None:
    calls = slowed(monkeypatch, 0.5)
    codes: list[int] = []

    # the apps are made, and their routes compiled by a first request, before the threads
    # start: CPython 3.11.7 can fail compiling ASTs in several threads at once (werkzeug's
    # routing builds its matchers with ast), which is not what this test is about
    clients = [make_client(sample_library, download_wait_seconds=10.0) for _ in range(4)]
    for c in clients:
        assert c.get("/items/geser-ms-1/downloads/none.json").status_code == 404

    def ask(c) -> None:
        codes.append(c.get("/items/geser-ms-1/download.pdf?pages=2-3&size=2000").status_code)

    threads = [threading.Thread(target=ask, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 4  # each waited for the one build
    assert len(calls) == 1


def test_a_job_lost_with_its_process_is_started_again(sample_library) -> None:
    client = make_client(sample_library, download_wait_seconds=10.0)
    _, version, _ = pages_of(sample_library, "geser-ms-1")
    spec = PdfSpec("geser-ms-1", version, 1, 3, "max")
    cache = Downloads(Store(sample_library.library).cache_dir / "downloads", 1 << 30)
    cache.folder(spec).mkdir(parents=True, exist_ok=True)
    stale = Job.of(spec, state="building", done=1)
    stale.updated = time.time() - 10 * dl.STALE_SECONDS
    (cache.folder(spec) / f"{spec.key}.json").write_text(json.dumps(dataclasses.asdict(stale)))
    resp = client.get("/items/geser-ms-1/download.pdf?pages=1-3&size=max")
    assert resp.status_code == 200 and len(pypdf.PdfReader(io.BytesIO(resp.data)).pages) == 3


def test_the_cache_key_names_version_range_and_size() -> None:
    a = PdfSpec("x", "items/x@v1", 1, 3, "1000")
    assert a.key != PdfSpec("x", "items/x@v2", 1, 3, "1000").key  # a new version: a new PDF
    assert a.key != PdfSpec("x", "items/x@v1", 1, 4, "1000").key
    assert a.key != PdfSpec("x", "items/x@v1", 1, 3, "max").key
    assert a.key == PdfSpec("x", "items/x@v1", 1, 3, "1000").key


def test_the_cache_forgets_the_least_recently_used_first(tmp_path) -> None:
    cache = Downloads(tmp_path, max_bytes=2500)
    folder = tmp_path / "x@v1"
    folder.mkdir()
    now = time.time()
    for n, name in enumerate("abcd"):
        (folder / f"{name}.pdf").write_bytes(b"%" * 1000)
        (folder / f"{name}.json").write_text("{}")
        os.utime(folder / f"{name}.pdf", (now - 100 + n, now - 100 + n))
    Downloads.touch(folder / "a.pdf")  # served just now: the most recently used
    removed = cache.prune(keep=folder / "b.pdf")  # b is the oldest, but just built
    assert sorted(p.name for p in removed) == ["c.pdf", "d.pdf"]
    assert not (folder / "c.json").exists() and (folder / "b.json").exists()
    assert sorted(p.name for p in folder.glob("*.pdf")) == ["a.pdf", "b.pdf"]
    cache.max_bytes = 1500
    assert cache.prune() == [folder / "b.pdf"]  # the oldest, once not kept
    assert sorted(p.name for p in folder.glob("*.pdf")) == ["a.pdf"]


def test_a_served_pdf_is_kept_and_a_full_cache_evicts(sample_library) -> None:
    client = make_client(sample_library, download_cache_max_mb=0)  # keeps only the newest
    root = Store(sample_library.library).cache_dir / "downloads"
    # other tests share the sample library: a PDF they left would be served, not built, and
    # only a build prunes the cache
    for old in root.rglob("*.pdf"):
        old.unlink()
    first = client.get("/items/zh-archive-1/download.pdf?pages=3&size=1000")
    second = client.get("/items/zh-archive-1/download.pdf?pages=2&size=1000")
    assert first.status_code == second.status_code == 200
    _, version, _ = pages_of(sample_library, "zh-archive-1")
    spec1 = PdfSpec("zh-archive-1", version, 3, 3, "1000")
    spec2 = PdfSpec("zh-archive-1", version, 2, 2, "1000")
    assert not Downloads(root, 0).pdf_path(spec1).exists()
    assert Downloads(root, 0).pdf_path(spec2).exists()
    again = client.get("/items/zh-archive-1/download.pdf?pages=3&size=1000")  # built again
    assert again.status_code == 200 and again.data.startswith(b"%PDF-")


# --- limits and bad requests -------------------------------------------------------------------

def test_more_pages_than_the_limit_is_refused_with_a_range_to_ask(sample_library) -> None:
    client = make_client(sample_library, pdf_max_pages=2)
    resp = client.get("/items/kangyur-vol-1/download.pdf?pages=1-3")
    assert resp.status_code == 400
    text = resp.get_data(as_text=True)
    assert "pdf_max_pages" in text and "3 pages" in text
    assert client.get("/items/kangyur-vol-1/download.pdf?pages=1-2").status_code == 200
    record = client.get("/items/kangyur-vol-1").get_data(as_text=True)
    assert "dl-whole-pdf" not in record  # the whole item is not offered past the limit


def test_a_pdf_heavier_than_the_limit_is_refused(sample_library) -> None:
    client = make_client(sample_library, pdf_max_mb=0.2)
    resp = client.get("/items/kangyur-vol-1/download.pdf?pages=1-6&size=max")
    assert resp.status_code == 400
    assert "pdf_max_mb" in resp.get_data(as_text=True)
    assert client.get("/items/kangyur-vol-1/download.pdf?pages=1&size=max").status_code == 200
    unlimited = make_client(sample_library, pdf_max_mb=0.0)
    assert unlimited.get("/items/kangyur-vol-1/download.pdf?pages=1-6&size=max"
                         ).status_code == 200


@pytest.mark.parametrize("query, word", [("pages=abc", "range"), ("pages=5-2", "1 to 6"),
                                         ("pages=0-2", "1 to 6"), ("size=3000", "choose")])
def test_bad_parameters_are_400_saying_what_to_write(sample_library, query, word) -> None:
    resp = make_client(sample_library).get(f"/items/kangyur-vol-1/download.pdf?{query}")
    assert resp.status_code == 400 and word in resp.get_data(as_text=True)


def test_unknown_items_and_jobs_are_404(sample_library) -> None:
    client = make_client(sample_library)
    assert client.get("/items/nope/download.pdf").status_code == 404
    assert client.get("/items/geser-ms-1/downloads/" + "0" * 24).status_code == 404
    assert client.get("/items/geser-ms-1/downloads/" + "0" * 24 + ".json").status_code == 404
    assert client.get("/items/geser-ms-1/downloads/..%2f..").status_code == 404


# --- rights ------------------------------------------------------------------------------------

def test_a_refused_licence_is_403_naming_it_and_nothing_is_offered(sample_library) -> None:
    client = make_client(sample_library,
                         download_refused_licences="http://creativecommons.org/licenses/by/")
    for resp in (client.get("/items/jangar-ms-1/download.pdf"),
                 client.get("/items/jangar-ms-1/download.zip"),
                 client.post("/items/jangar-ms-1/downloads", data={"pages": "1"})):
        assert resp.status_code == 403
        assert "CC BY 4.0" in resp.get_data(as_text=True)
    reader = client.get("/items/jangar-ms-1/read?page=1").get_data(as_text=True)
    assert "dl-refused" in reader and "CC BY 4.0" in reader
    assert "/full/1000,/0/default.jpg" not in reader and "download.pdf" not in reader
    # an item under another licence (CC0) is still offered
    assert client.get("/items/zh-archive-1/download.pdf?pages=1").status_code == 200


def test_policy_none_refuses_every_item_and_all_offers_them(sample_library) -> None:
    closed = make_client(sample_library, download_policy="none")
    resp = closed.get("/items/zh-archive-1/download.pdf?pages=1")
    assert resp.status_code == 403 and "turned off" in resp.get_data(as_text=True)
    opened = make_client(sample_library, download_policy="all",
                         download_refused_licences="http://creativecommons.org/")
    assert opened.get("/items/zh-archive-1/download.pdf?pages=1").status_code == 200


def test_an_unknown_policy_is_a_settings_error(tmp_path) -> None:
    from library.errors import SettingsError
    from library.settings import Settings

    with pytest.raises(SettingsError, match="download_policy"):
        Settings.load(tmp_path, download_policy="maybe")


# --- page images and the menu ------------------------------------------------------------------

def test_the_reader_offers_page_images_through_the_image_api(sample_library) -> None:
    client = make_client(sample_library)
    html = client.get("/items/kangyur-vol-1/read?page=2").get_data(as_text=True)
    menu = re.search(r'<details class="download-menu".*?</details>', html, re.S).group(0)
    links = re.findall(r'<li><a href="(/iiif/3/[^"]+)" download data-size="(\w+)"', menu)
    assert links == [("/iiif/3/kangyur-vol-1.0002/full/1000,/0/default.jpg", "1000"),
                     ("/iiif/3/kangyur-vol-1.0002/full/max/0/default.jpg", "max")]
    assert '<li hidden><a href="/iiif/3/kangyur-vol-1.0002/full/2000,/0/default.jpg"' in menu
    for href, size in links:
        img = client.get(href)
        assert img.status_code == 200 and img.mimetype == "image/jpeg"
        width = _jpeg_width(img.data)
        assert width == (1000 if size == "1000" else 1800)
    assert 'value="2"' in menu  # the PDF field names the page shown
    assert "/items/kangyur-vol-1/download.zip" in menu
    assert "download-menu" not in client.get("/embed/kangyur-vol-1?page=2").get_data(
        as_text=True)  # the embed offers no downloads
    record = client.get("/items/kangyur-vol-1").get_data(as_text=True)
    assert "dl-whole-pdf" in record and "/iiif/3/kangyur-vol-1.0001/full/1000," not in record


def _jpeg_width(data: bytes) -> int:
    """The width in a JPEG's SOF marker."""
    i = 2
    while i < len(data):
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(data[i + 7:i + 9], "big")
        i += 2 + length
    raise AssertionError("no SOF marker")


# --- the ZIP -----------------------------------------------------------------------------------

def test_zip_of_masters_and_tei_is_streamed(sample_library) -> None:
    client = make_client(sample_library)
    with client.raw.get("/items/geser-ms-1/download.zip") as streamed:
        assert streamed.is_streamed  # not built in memory first
        streamed.get_data()
    resp = client.get("/items/geser-ms-1/download.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    pages, version, item = pages_of(sample_library, "geser-ms-1")
    src = source_dir(Store(sample_library.library).version_dir(version))
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names[0] == f"geser-ms-1/{Path(item.tei_file).name}"
        assert zf.read(names[0]) == (src / item.tei_file).read_bytes()
        images = [n for n in names if "/images/" in n]
        assert len(images) == len(pages) == 3
        for name, page in zip(images, pages):
            assert zf.read(name) == (src / page.image).read_bytes()


def test_zip_at_a_size_and_of_a_range(sample_library) -> None:
    client = make_client(sample_library)
    resp = client.get("/items/kangyur-vol-1/download.zip?size=1000&pages=2-3")
    assert resp.status_code == 200
    assert "kangyur-vol-1-2-3-1000.zip" in resp.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:
        images = [n for n in zf.namelist() if "/images/" in n]
        assert images == ["kangyur-vol-1/images/0002.jpg", "kangyur-vol-1/images/0003.jpg"]
        assert {_jpeg_width(zf.read(n)) for n in images} == {1800}  # narrowest level >= 1000


def test_a_pdf_removed_from_the_cache_is_built_again(sample_library) -> None:
    # a record that says "done" for a PDF no longer on disk (removed by hand, or a record left
    # behind) must not send the reader to a progress page that never ends
    client = make_client(sample_library)
    url = "/items/kangyur-vol-1/download.pdf?pages=1-2&size=1000"
    assert client.get(url).status_code == 200
    root = Store(sample_library.library).cache_dir / "downloads"
    pdfs = [p for p in root.rglob("*.pdf") if p.with_suffix(".json").is_file()]
    assert pdfs
    for p in pdfs:
        p.unlink()
    again = client.get(url)
    assert again.status_code == 200 and again.data.startswith(b"%PDF-")
