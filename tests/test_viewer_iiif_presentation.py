"""Presentation 3.0 over HTTP: manifests (cached, rebased), annotation pages, collections."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import iiif_prezi3
import pytest
from jsonschema import Draft7Validator

from iiif_samples import (assert_prezi_valid, build_library, chinese_book, mongolian_book,
                          prezi_validator, text_only, tibetan_pothi)
from library import iiif_presentation as prezi
from library.models import Collection
from library.settings import Settings
from library.store import Store
from viewer import create_app
from viewer import iiif_presentation as view


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Settings:
    colls = (Collection(id="epics", label={"en": "Epics", "mn-Mong": "ᠲᠠᠤᠯᠢ"}),
             Collection(id="jangar", label={"en": "Jangar"}, parent="epics"))
    items = [mongolian_book("jangar-1"), mongolian_book("jangar-2"), tibetan_pothi(),
             chinese_book(), text_only(pages=20)]
    items[0].collections = items[1].collections = ["jangar"]
    return build_library(tmp_path_factory.mktemp("lib") / "lib", items, collections=colls,
                         index=False)


@pytest.fixture()
def client(library):
    view.clear_memory_cache()
    return create_app({"SUDUR_SETTINGS": library, "TESTING": True}).test_client()


@pytest.fixture(scope="module")
def validator(shared_dir: Path) -> Draft7Validator:
    return prezi_validator(shared_dir)


def test_manifest_served_with_headers(client, validator):
    resp = client.get("/iiif/jangar-1/manifest")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == prezi.CONTENT_TYPE
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    data = resp.get_json(force=True)
    assert_prezi_valid(validator, data)
    iiif_prezi3.Manifest(**data)
    assert data["id"] == "http://localhost/iiif/jangar-1/manifest"
    assert prezi.PLACEHOLDER_BASE not in resp.get_data(as_text=True)
    again = client.get("/iiif/jangar-1/manifest", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    zipped = client.get("/iiif/jangar-1/manifest", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert json.loads(gzip.decompress(zipped.data)) == data
    assert len(zipped.data) * 4 < len(resp.data)


def test_manifest_cached_beside_the_version_and_rebased_per_host(client, library):
    resp = client.get("/iiif/daxue/manifest", base_url="https://one.example")
    assert resp.get_json(force=True)["id"] == "https://one.example/iiif/daxue/manifest"
    store = Store(library.library)
    from catalog.db import Catalog
    with Catalog(store.catalog_path) as cat:
        version = store.version_dir(cat.version_path("daxue"))
    cached = version / "derived" / f"manifest.v{prezi.MANIFEST_FORMAT}.t200.json"
    assert cached.is_file()
    assert prezi.PLACEHOLDER_BASE in cached.read_text(encoding="utf-8")
    # another host: same cache, no rebuild (a planted marker would be lost by a rebuild)
    cached.write_text(cached.read_text(encoding="utf-8").replace("大學", "MARK"),
                      encoding="utf-8")
    view.clear_memory_cache()
    resp = client.get("/iiif/daxue/manifest", base_url="http://two.example:8080/")
    data = resp.get_json(force=True)
    assert data["id"] == "http://two.example:8080/iiif/daxue/manifest"
    assert data["label"] == {"zh-Hant": ["MARK"]}
    # a damaged cache file is rebuilt, not served
    cached.write_text('{"id": "trunc', encoding="utf-8")
    view.clear_memory_cache()
    data = client.get("/iiif/daxue/manifest").get_json(force=True)
    assert data["label"] == {"zh-Hant": ["大學"]}
    assert json.loads(cached.read_text(encoding="utf-8"))["type"] == "Manifest"
    cached.unlink()
    view.clear_memory_cache()


def test_configured_base_url_wins(library):
    settings = Settings.load(library.library, base_url="https://sudur.example.org/lib/")
    client = create_app({"SUDUR_SETTINGS": settings}).test_client()
    view.clear_memory_cache()
    data = client.get("/iiif/kangyur-1/manifest").get_json(force=True)
    assert data["id"] == "https://sudur.example.org/lib/iiif/kangyur-1/manifest"
    assert data["items"][0]["items"][0]["items"][0]["body"]["service"][0]["id"] == \
        "https://sudur.example.org/lib/iiif/3/kangyur-1.0001"


def test_new_version_is_served_after_reingest(tmp_path):
    item = tibetan_pothi()
    settings = build_library(tmp_path / "lib", [item], index=False)
    client = create_app({"SUDUR_SETTINGS": settings}).test_client()
    view.clear_memory_cache()
    assert client.get("/iiif/kangyur-1/manifest").get_json(force=True)["label"]["bo"] == \
        ["བཀའ་འགྱུར"]
    item.titles = {"bo": "གསར་པ"}
    build_library(tmp_path / "lib", [item], index=False)  # a new version folder
    assert client.get("/iiif/kangyur-1/manifest").get_json(force=True)["label"] == \
        {"bo": ["གསར་པ"]}


def test_annotation_page_dereferences(client, validator):
    manifest = client.get("/iiif/kangyur-1/manifest").get_json(force=True)
    ref = manifest["items"][0]["annotations"][0]["id"]
    resp = client.get(ref.replace("http://localhost", ""))
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    page = resp.get_json(force=True)
    assert_prezi_valid(validator, page)
    assert page["id"] == ref
    assert page["items"][0]["body"]["language"] == "bo"
    assert page["items"][1]["target"].startswith(manifest["items"][0]["id"] + "#xywh=")


def test_collections(client, validator):
    top = client.get("/iiif/collection/top")
    assert top.headers["Access-Control-Allow-Origin"] == "*"
    top = top.get_json(force=True)
    assert_prezi_valid(validator, top)
    ids = [i["id"].rsplit("/", 2)[-2:] for i in top["items"]]
    assert ["collection", "epics"] in ids  # the root collection, not its child
    assert ["collection", "jangar"] not in ids
    assert ["long-text", "manifest"] in ids  # in no collection
    epics = client.get("/iiif/collection/epics").get_json(force=True)
    assert_prezi_valid(validator, epics)
    assert [i["type"] for i in epics["items"]] == ["Collection"]
    jangar = client.get("/iiif/collection/jangar").get_json(force=True)
    assert_prezi_valid(validator, jangar)
    iiif_prezi3.Collection(**jangar)
    assert jangar["behavior"] == ["multi-part"]
    assert [i["id"] for i in jangar["items"]] == [
        "http://localhost/iiif/jangar-1/manifest", "http://localhost/iiif/jangar-2/manifest"]
    assert jangar["items"][0]["thumbnail"][0]["id"].endswith("/full/200,/0/default.jpg")


def test_large_collection_served_in_pages(client, validator, monkeypatch):
    monkeypatch.setattr(prezi, "COLLECTION_PAGE_SIZE", 2)
    top = client.get("/iiif/collection/top").get_json(force=True)
    assert_prezi_valid(validator, top)
    assert [i["id"] for i in top["items"]] == [
        f"http://localhost/iiif/collection/top?page={n}" for n in (1, 2)]
    one = client.get("/iiif/collection/top?page=1").get_json(force=True)
    two = client.get("/iiif/collection/top?page=2").get_json(force=True)
    assert_prezi_valid(validator, one)
    assert_prezi_valid(validator, two)
    members = [i["id"].rsplit("/", 2)[-2:] for i in one["items"] + two["items"]]
    assert members == [["collection", "epics"], ["collection", "kangyur"],
                       ["daxue", "manifest"], ["long-text", "manifest"]]
    assert one["partOf"][0]["id"] == "http://localhost/iiif/collection/top"


@pytest.mark.parametrize("url, status", [
    ("/iiif/nope/manifest", 404),
    ("/iiif/..%2F..%2Fetc/manifest", 404),
    ("/iiif/%2e%2e/manifest", 404),
    ("/iiif/Bad.Id/manifest", 404),
    ("/iiif/jangar-1/annotations/99", 404),
    ("/iiif/collection/nope", 404),
    ("/iiif/collection/top?page=0", 400),
    ("/iiif/collection/top?page=x", 400),
    ("/iiif/collection/top?page=%C2%B2", 400),  # "²" passes str.isdigit
    ("/iiif/collection/top?page=99999999999999999999", 400),
    ("/iiif/collection/top?page=9", 404),
])
def test_bad_requests(client, url, status):
    resp = client.get(url)
    assert resp.status_code == status
    assert resp.is_json


def test_everything_emitted_for_the_sample_library_validates(sample_library, validator):
    """The built-in sample, ingested for real: every manifest, the annotation pages of its
    canvases and every collection validate and load back into iiif-prezi3."""
    from catalog.db import Catalog

    client = create_app({"SUDUR_SETTINGS": sample_library}).test_client()
    with Catalog(Store(sample_library.library).catalog_path, readonly=True) as cat:
        item_ids = cat.item_ids()
        coll_ids = [c.id for c in cat.collections()]
    assert item_ids and coll_ids
    for item_id in item_ids:
        data = client.get(f"/iiif/{item_id}/manifest").get_json(force=True)
        assert_prezi_valid(validator, data)
        iiif_prezi3.Manifest(**data)
        refs = [ap["id"] for c in data["items"] for ap in c.get("annotations", [])]
        assert refs, f"{item_id}: no transcription pages"
        for ref in refs:
            page = client.get(ref.replace("http://localhost", "")).get_json(force=True)
            assert_prezi_valid(validator, page)
            iiif_prezi3.AnnotationPage(**page)
    for coll_id in ["top"] + coll_ids:
        data = client.get(f"/iiif/collection/{coll_id}").get_json(force=True)
        assert_prezi_valid(validator, data)
        iiif_prezi3.Collection(**data)


def test_image_links_resolve_against_the_image_api(sample_library):
    """The image services, painting bodies and thumbnail of a manifest are live Image API URLs
    that agree with their info.json."""
    client = create_app({"SUDUR_SETTINGS": sample_library}).test_client()
    data = client.get("/iiif/jangar-ms-1/manifest").get_json(force=True)

    def local(url: str) -> str:
        return url.replace("http://localhost", "")

    for canvas in data["items"][:2]:
        body = canvas["items"][0]["items"][0]["body"]
        service = body["service"][0]
        info = client.get(local(service["id"]) + "/info.json").get_json(force=True)
        assert info["id"] == service["id"]
        assert (info["width"], info["height"]) == (service["width"], service["height"])
        assert (canvas["width"], canvas["height"]) == (info["width"], info["height"])
        assert client.get(local(body["id"])).status_code == 200
    thumb = client.get(local(data["thumbnail"][0]["id"]))
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
