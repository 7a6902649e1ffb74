"""End to end, as a newcomer would see it: sample → ingest → search in every script →
every manifest validates → every page image is served; on each catalogue and search backend
(SQLite and Whoosh in the library folder; PostgreSQL with its search rows)."""
from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from PIL import Image

from catalog.catalogue import open_catalog
from library.cli import cli
from library.settings import Settings
from pg_search_fixtures import pg_server, pg_url  # noqa: F401  (fixtures)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cli_library(request, tmp_path_factory, sample_batch) -> Settings:
    """The sample (`sudur sample`, tests/conftest.py) ingested with `sudur ingest`: on SQLite
    that is the session's sample library; on PostgreSQL one of this module's own."""
    if request.param == "sqlite":
        return request.getfixturevalue("sample_library")
    root = tmp_path_factory.mktemp("e2e")
    url = request.getfixturevalue("pg_url")
    res = CliRunner(env={"SUDUR_CATALOG_URL": url}).invoke(
        cli, ["--library", str(root / "lib"), "ingest", str(sample_batch), "--workers", "2"])
    assert res.exit_code == 0, res.output
    assert "0 failed" in res.output
    return Settings.load(root / "lib", catalog_url=url)


def _search(lib: Settings, query, *extra):
    res = CliRunner(env={"SUDUR_CATALOG_URL": lib.catalog_url}).invoke(
        cli, ["--library", str(lib.library), "search", query, "--json", *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


@pytest.mark.parametrize("query,item", [
    ("ᠵᠠᠩᠭᠠᠷ", "jangar-ms-1"),          # Hudum Mongolian
    ("ᠭᠡᠰᠡᠷ", "geser-ms-1"),
    ("བཀའ་འགྱུར", "kangyur-vol-1"),      # Tibetan phrase
    ("格斯爾", "zh-archive-1"),           # Chinese
])
def test_search_finds_each_script(cli_library, query, item):
    out = _search(cli_library, query)
    assert out["total"] >= 1
    assert item in {h["item"] for h in out["hits"]}
    hit = next(h for h in out["hits"] if h["item"] == item)
    assert "<mark>" in hit["snippet"]
    assert set(out["facets"]) >= {"collection", "language", "script", "genre", "century"}


def test_search_finds_todo_page(cli_library):
    with open_catalog(cli_library, readonly=True) as cat:
        pages = cat.pages("todo-xiyouji-1")
    target = pages[1] if len(pages) > 1 else pages[0]
    word = next(w for w in target.text.split() if any("\u1843" <= c <= "\u185c" for c in w))
    out = _search(cli_library, word, "--exact")
    assert ("todo-xiyouji-1", target.order) in {(h["item"], h["page"]) for h in out["hits"]}


def test_every_manifest_validates_and_every_image_is_served(cli_library, shared_dir):
    from jsonschema import Draft7Validator

    from viewer import create_app

    schema = json.loads((shared_dir / "corpora/iiif-presentation-validator/schema/iiif_3_0.json")
                        .read_text(encoding="utf-8"))
    validator = Draft7Validator(schema)
    client = create_app({"SUDUR_SETTINGS": cli_library, "TESTING": True}).test_client()
    with open_catalog(cli_library, readonly=True) as cat:
        items = [cat.get_item(i) for i in cat.item_ids()]
    assert len(items) >= 5
    for item in items:
        r = client.get(f"/iiif/{item.id}/manifest")
        assert r.status_code == 200, item.id
        manifest = r.get_json(force=True)
        errors = list(validator.iter_errors(manifest))
        assert not errors, (item.id, errors[0].message)
        assert len(manifest["items"]) == len(item.pages)
        for page in item.pages:
            assert page.has_image
            r = client.get(f"/iiif/3/{page.image_id}/full/max/0/default.jpg")
            assert r.status_code == 200, page.image_id
            img = Image.open(io.BytesIO(r.data))
            assert img.size == (page.width, page.height)
            r = client.get(f"/iiif/3/{page.image_id}/info.json")
            assert r.status_code == 200 and r.get_json(force=True)["width"] == page.width
