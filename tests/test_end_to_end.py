"""End to end, as a newcomer would see it: sample → ingest → search in every script →
every manifest validates → every page image is served."""
from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from PIL import Image

from catalog.db import Catalog
from library.cli import cli
from library.store import Store


@pytest.fixture(scope="module")
def cli_library(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    runner = CliRunner()
    res = runner.invoke(cli, ["sample", str(root / "batch")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["--library", str(root / "lib"), "ingest", str(root / "batch"),
                              "--workers", "2"])
    assert res.exit_code == 0, res.output
    assert "0 failed" in res.output
    return root / "lib"


def _search(lib, query, *extra):
    res = CliRunner().invoke(cli, ["--library", str(lib), "search", query, "--json", *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def _first_word(lib, item_id, order):
    with Catalog(Store(lib).catalog_path) as cat:
        text = cat.get_page(item_id, order).text
    return text.split()[0]


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
    with Catalog(Store(cli_library).catalog_path) as cat:
        pages = cat.pages("todo-xiyouji-1")
    target = pages[1] if len(pages) > 1 else pages[0]
    word = next(w for w in target.text.split() if any("\u1843" <= c <= "\u185c" for c in w))
    out = _search(cli_library, word, "--exact")
    assert ("todo-xiyouji-1", target.order) in {(h["item"], h["page"]) for h in out["hits"]}


def test_every_manifest_validates_and_every_image_is_served(cli_library, shared_dir):
    from jsonschema import Draft7Validator

    from library.settings import Settings
    from viewer import create_app

    schema = json.loads((shared_dir / "corpora/iiif-presentation-validator/schema/iiif_3_0.json")
                        .read_text(encoding="utf-8"))
    validator = Draft7Validator(schema)
    client = create_app({"SUDUR_SETTINGS": Settings.load(cli_library), "TESTING": True}).test_client()
    with Catalog(Store(cli_library).catalog_path) as cat:
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
