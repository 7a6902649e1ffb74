"""catalog.request: one search request for every entry point. A library's own aliases.tsv
reaches each of them (it once reached only `sudur search`), ``exact`` is read one way and the
query is capped at one length everywhere, and the site labels exactly what build_query
understands."""
from __future__ import annotations

import json
import re
from dataclasses import fields

import pytest
from click.testing import CliRunner

from catalog.index import update_items
from catalog.querying import MAX_QUERY_CHARS, Understood
from catalog.request import MAX_PAGE_SIZE, SearchRequest, parse_flag
from library.cli import cli
from library.errors import BadRequestError
from library.settings import Settings
from library.store import Store
from viewer import create_app
from viewer_library import build_library, make_items

# A spelling nothing in the library reads as, made a name of Jangar by the library's own file
ALIAS = "Xqzvbn"
ITEM = "jangar-ms-1"


@pytest.fixture(scope="module")
def alias_library(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("aliases") / "lib"
    settings = build_library(root)
    update_items(Store(root).index_dir, make_items())
    (root / "aliases.tsv").write_text(f"# this library's names\n{ALIAS}\tᠵᠠᠩᠭᠠᠷ\n",
                                      encoding="utf-8")
    return settings


@pytest.fixture()
def client(alias_library):
    return create_app({"SUDUR_SETTINGS": alias_library, "TESTING": True}).test_client()


def _json(resp) -> dict:
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_json() if resp.is_json else json.loads(resp.data)


def test_without_the_library_file_the_alias_is_unknown(alias_library):
    req = SearchRequest(ALIAS)  # the built-in thesaurus alone
    assert req.aliases is None
    created = SearchRequest.create(ALIAS, alias_library)
    assert created.aliases == Store(alias_library.library).root / "aliases.tsv"
    assert created.time_budget == alias_library.search_time_budget


def test_alias_reaches_the_command_line(alias_library):
    res = CliRunner().invoke(cli, ["--library", str(alias_library.library), "search", ALIAS,
                                   "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert {h["item"] for h in data["hits"]} == {ITEM}
    assert "ᠵᠠᠩᠭᠠᠷ" in data["understood"]["aliases"]


def test_alias_reaches_the_html_search(client):
    resp = client.get(f"/search?q={ALIAS}", headers={"Accept-Language": "en"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert re.findall(r'<li class="result-item">\s*<h3><a href="/items/([^"]+)"', page) == [ITEM]


def test_alias_reaches_the_api_search(client):
    data = _json(client.get(f"/api/search?q={ALIAS}"))
    assert data["total"] >= 3 and {h["item"] for h in data["hits"]} == {ITEM}
    assert "ᠵᠠᠩᠭᠠᠷ" in data["understood"]["aliases"]


def test_alias_reaches_the_api_item_search(client):
    data = _json(client.get(f"/api/items/{ITEM}/search?q={ALIAS}"))
    assert [h["page"] for h in data["hits"]] == [1, 2, 3]
    assert data["hits"][0]["spans"] == [[0, 6]]


def test_alias_reaches_content_search_2(client):
    data = _json(client.get(f"/iiif/{ITEM}/search?q={ALIAS}"))
    assert len(data["items"]) == 3


def test_alias_reaches_content_search_1(client):
    data = _json(client.get(f"/iiif/{ITEM}/search1?q={ALIAS}"))
    assert len(data["resources"]) == 3


def test_alias_reaches_the_readers_highlights(client):
    page = client.get(f"/items/{ITEM}/read?page=2&q={ALIAS}").get_data(as_text=True)
    assert "<mark>ᠵᠠᠩᠭᠠᠷ</mark>" in page
    data = _json(client.get(f"/api/items/{ITEM}/pages/1?q={ALIAS}"))
    assert data["spans"] == [[0, 6]] and data["boxes"] == [[100, 100, 60, 300]]


def test_autocomplete_completes_words_of_the_item(client):
    # autocomplete completes the item's own words from a prefix: aliases do not apply to it
    data = _json(client.get(f"/iiif/{ITEM}/autocomplete?q=ᠵᠠ"))
    assert [t["value"] for t in data["items"]] == ["ᠵᠠᠩᠭᠠᠷ"]


@pytest.mark.parametrize("raw", ["1", "true", "YES", "On", " yes "])
def test_exact_true(raw):
    assert parse_flag(raw) is True


@pytest.mark.parametrize("raw", [None, "", "0", "false", "No", "OFF"])
def test_exact_false(raw):
    assert parse_flag(raw) is False


@pytest.mark.parametrize("url", [
    "/search?q=a&exact=maybe", "/api/search?q=a&exact=2", f"/api/items/{ITEM}/search?q=a&exact=y",
    f"/api/items/{ITEM}/pages/1?q=a&exact=nope", f"/items/{ITEM}/read?q=a&exact=x",
    f"/iiif/{ITEM}/search?q=a&exact=ja", f"/iiif/{ITEM}/search1?q=a&exact=-1",
])
def test_a_malformed_exact_is_a_bad_request(client, url):
    assert client.get(url).status_code == 400


def test_exact_reads_the_same_everywhere(client):
    # "no" is false, also for Content Search (it once read anything but 0/false as true);
    # "yes" is true, also for the API (it once read only 1/true/on)
    loose = _json(client.get(f"/iiif/{ITEM}/search?q=ᠵᠠᠩᠭᠠᠷ&exact=no"))
    assert len(loose["items"]) == 3
    data = _json(client.get(f"/api/items/{ITEM}/search?q=ᠵᠠᠩᠭᠠᠷ&exact=yes"))
    assert data["exact"] is True and len(data["hits"]) == 3


@pytest.mark.parametrize("path", [
    "/search", "/api/search", f"/api/items/{ITEM}/search", f"/api/items/{ITEM}/pages/1",
    f"/items/{ITEM}/read", f"/iiif/{ITEM}/search", f"/iiif/{ITEM}/search1",
    f"/iiif/{ITEM}/autocomplete",
])
def test_one_query_cap_everywhere(client, path):
    assert client.get(f"{path}?q={'a' * MAX_QUERY_CHARS}").status_code == 200
    resp = client.get(f"{path}?q={'a' * (MAX_QUERY_CHARS + 1)}")
    assert resp.status_code == 400


def test_the_command_line_refuses_a_query_over_the_cap(alias_library):
    res = CliRunner().invoke(cli, ["--library", str(alias_library.library), "search",
                                   "a" * (MAX_QUERY_CHARS + 1)])
    assert res.exit_code == 2 and "longer than" in res.output


def test_request_validates_its_fields():
    with pytest.raises(BadRequestError):
        SearchRequest("a", sort="random")
    with pytest.raises(BadRequestError):
        SearchRequest("a", filters={"colour": "red"})
    req = SearchRequest("a", page=0, page_size=10_000, filters={"genre": "", "script": "Mong"})
    assert (req.page, req.page_size, dict(req.filters)) == (1, MAX_PAGE_SIZE, {"script": "Mong"})


def test_the_site_labels_exactly_what_build_query_understands(client):
    from viewer.site import understood_labels, understood_parts

    with client.application.test_request_context("/"):
        labels = understood_labels()
        assert set(labels) == {f.name for f in fields(Understood)} - {"text"}
        parts = understood_parts(Understood(text="x", scripts=["latin"], aliases=["y"],
                                            phrase=True, truncated=True))
        assert [label for label, _ in parts] == [labels["scripts"], labels["aliases"],
                                                 labels["phrase"], labels["truncated"]]
