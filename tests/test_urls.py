"""library.urls: its builders lead to the views the app routes, with the same rules, and no other
module spells a public path by hand."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from werkzeug.routing import RequestRedirect

from library import urls
from library.settings import Settings
from viewer import create_app

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://lib.example/sudur"


@pytest.fixture(scope="module")
def adapter(tmp_path_factory):
    app = create_app({"SUDUR_SETTINGS": Settings.load(tmp_path_factory.mktemp("lib")),
                      "TESTING": True})
    return app.url_map.bind("lib.example", script_name="/sudur")


def _endpoint(adapter, url: str, method: str = "GET") -> str:
    assert url.startswith(BASE + "/"), url
    path = url[len(BASE):].split("?", 1)[0].split("#", 1)[0]
    try:
        endpoint, _values = adapter.match(path, method=method)
    except RequestRedirect as exc:  # pragma: no cover - a builder must not need a redirect
        raise AssertionError(f"{url} redirects to {exc.new_url}") from exc
    return endpoint


def test_every_served_rule_is_routed(adapter):
    rules = {r.rule for r in adapter.map.iter_rules()}
    missing = [r.rule for r in urls.SERVED if r.rule not in rules]
    assert missing == []
    # and nothing is routed that is not in library.urls (static files aside)
    assert rules - {r.rule for r in urls.SERVED} == {"/static/<path:filename>"}


def test_builders_lead_to_their_views(adapter):
    cases = {
        urls.home_url(BASE): "site.home",
        urls.record_url(BASE, "jangar-ms-1"): "site.record",
        urls.reader_url(BASE, "jangar-ms-1", page=3): "site.reader",
        urls.tei_url(BASE, "jangar-ms-1"): "site.tei",
        urls.text_url(BASE, "jangar-ms-1"): "site.plain_text",
        urls.embed_url(BASE, "jangar-ms-1", {"page": 2, "region": "1,2,3,4"}): "embed.embed",
        urls.image_service_url(BASE, "jangar-ms-1.0001"): "iiif_image.base_uri",
        urls.image_info_url(BASE, "jangar-ms-1.0001"): "iiif_image.info",
        urls.image_url(BASE, "jangar-ms-1.0001"): "iiif_image.image",
        urls.thumbnail_url(BASE, "jangar-ms-1.0001", 200): "iiif_image.image",
        urls.manifest_url(BASE, "jangar-ms-1"): "iiif_presentation.manifest",
        urls.annotation_page_url(BASE, "jangar-ms-1", 2): "iiif_presentation.annotation_page",
        urls.collection_url(BASE, "top"): "iiif_presentation.collection",
        urls.collection_url(BASE, "epics", page=2): "iiif_presentation.collection",
        urls.search_url(BASE, "jangar-ms-1"): "iiif_search.search2",
        urls.search1_url(BASE, "jangar-ms-1"): "iiif_search.search1",
        urls.autocomplete_url(BASE, "jangar-ms-1"): "iiif_search.autocomplete",
        urls.autocomplete1_url(BASE, "jangar-ms-1"): "iiif_search.autocomplete1",
    }
    assert {url: _endpoint(adapter, url) for url in cases} == cases


def test_the_spellings():
    """The public contract of DESIGN.md, spelled out once here as a reader would type it."""
    assert urls.reader_url("", "x", page=2) == "/items/x/read?page=2"
    assert urls.embed_url("", "x", {"page": 1, "region": "1,2,3,4"}) == \
        "/embed/x?page=1&region=1%2C2%2C3%2C4"
    assert urls.thumbnail_url("", "x.0001", 200) == "/iiif/3/x.0001/full/200,/0/default.jpg"
    assert urls.image_url(BASE, "x.0001") == BASE + "/iiif/3/x.0001/full/max/0/default.jpg"
    assert urls.image_info_url("", "x.0001") == "/iiif/3/x.0001/info.json"
    assert urls.canvas_url(BASE, "x", 4) == BASE + "/iiif/x/canvas/4"
    assert urls.range_url(BASE, "x", "toc") == BASE + "/iiif/x/range/toc"
    assert urls.hit_url(BASE, "x", 4, 10, 12) == BASE + "/iiif/x/hit/4/10-12"
    assert urls.collection_url("", "a b", page=3) == "/iiif/collection/a%20b?page=3"
    assert urls.home_url(BASE) == BASE + "/"
    assert urls.EMBED.prefix == "/embed/"
    assert urls.API_PAGE.template(item="x") == "/api/items/x/pages/{order}"
    assert urls.ANNOTATIONS.template() == "/iiif/{item_id}/annotations/{order}"


@pytest.mark.parametrize("path,item", [("/items/x", "x"), ("/items/x/read", "x"),
                                       ("/embed/x", "x"), ("//items//x/", "x"),
                                       ("/iiif/x/manifest", None), ("/items", None), ("", None)])
def test_item_in_path(path, item):
    assert urls.item_in_path(path) == item


def _hand_spelled(path: Path) -> list[str]:
    """String constants (docstrings aside) that spell a public path."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef))
                  and n.body and isinstance(n.body[0], ast.Expr)
                  and isinstance(n.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings
                and any(p in node.value for p in ("/iiif/", "/items/", "/embed/", "/api/"))
                and "://" not in node.value):
            found.append(f"{path.name}:{node.lineno}: {node.value!r}")
    return found


def test_no_public_path_is_spelled_outside_library_urls():
    sources = [p for pkg in ("library", "viewer") for p in sorted((ROOT / pkg).rglob("*.py"))
               if p != ROOT / "library" / "urls.py"]
    assert ROOT / "viewer" / "site.py" in sources
    assert [hit for p in sources for hit in _hand_spelled(p)] == []


def test_no_template_or_script_spells_a_public_path():
    found = []
    pages = sorted((ROOT / "viewer" / "templates").glob("*.html"))
    for path in pages + sorted((ROOT / "viewer" / "static").glob("*.js")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if any(f'{q}{p}' in line for p in ("/iiif/", "/items/", "/embed/", "/api/", "/oai")
                   for q in "\"'"):
                found.append(f"{path.name}:{n}")
    assert found == []


def test_the_check_sees_a_hand_spelled_path(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('"""docs: /iiif/3/x"""\nX = f"/iiif/{1}/manifest"\nY = "/items/"\n'
                     'Z = "http://iiif.io/api/image/3/context.json"\n')
    assert len(_hand_spelled(probe)) == 2
