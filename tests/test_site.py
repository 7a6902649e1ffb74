"""The HTML site with the Flask client: home, search, record, reader, TEI, text, compare."""
from __future__ import annotations

import re

import pytest

from viewer import create_app
from viewer_library import build_library, fake_matches, fake_search


@pytest.fixture()
def calls() -> list:
    return []


@pytest.fixture()
def client(tmp_path, monkeypatch, calls):
    import viewer.site

    monkeypatch.setattr(viewer.site, "run_search", fake_search(calls))
    monkeypatch.setattr(viewer.site, "matches_for_item", fake_matches)
    settings = build_library(tmp_path / "lib")
    app = create_app({"SUDUR_SETTINGS": settings, "TESTING": True})
    return app.test_client()


def text_of(resp) -> str:
    assert resp.status_code == 200, resp.data[:500]
    return resp.get_data(as_text=True)


def test_home_lists_items_with_language_tags(client):
    page = text_of(client.get("/", headers={"Accept-Language": "en"}))
    assert '<html lang="en"' in page
    for item in ("jangar-ms-1", "kangyur-vol-1", "qing-doc"):
        assert f'href="/items/{item}"' in page
    assert 'lang="mn-Mong" class="mong">ᠵᠠᠩᠭᠠᠷ' in page
    assert 'for="q"' in page and 'id="q"' in page  # the search box has a label
    assert "/kiosk/epics" in page


def test_search_groups_hits_marks_matches_and_sets_mongolian_vertically(client, calls):
    page = text_of(client.get("/search?q=ᠵᠠᠩᠭᠠᠷ&language=mn-Mong"))
    assert calls[-1].text == "ᠵᠠᠩᠭᠠᠷ" and dict(calls[-1].filters) == {"language": "mn-Mong"}
    assert "45 results" in page
    items = re.findall(r'<li class="result-item">\s*<h3><a href="/items/([^"]+)"', page)
    assert items == ["jangar-ms-1", "kangyur-vol-1"]
    assert '<p class="kwic mong" lang="mn-Mong"><mark>ᠵᠠᠩᠭᠠᠷ</mark>' in page
    assert '<p class="kwic" lang="bo"><mark>བྱང་ཆུབ</mark>' in page
    assert "/items/jangar-ms-1/read?page=2&amp;q=" in page
    # facets with counts, the active one marked and removable
    assert re.search(r'Mongolian \(traditional script\)</a>\s*<span class="count">2', page)
    assert "Remove filter" in page
    assert ">19th century</a>" in page
    assert "Query understood as:" in page
    assert 'jangghar → <span lang="mn-Mong">ᠵᠠᠩᠭᠠᠷ</span>' in page
    # 45 results / 20 a page: three pages of results
    assert 'href="/search?q=%E1%A0%B5' in page and "page=3" in page and "page=4" not in page


def test_search_estimate_says_about(client):
    page = text_of(client.get("/search?q=many"))
    assert "About 45 results" in page
    assert "≈2" in page


def test_empty_result_suggests_loose_and_transliteration(client):
    page = text_of(client.get("/search?q=nothing&exact=1&genre=epic"))
    assert "Nothing was found" in page
    assert 'href="/search?q=nothing&amp;genre=epic"' in page  # the same without exact
    assert 'href="/search?q=nothing&amp;exact=1"' in page  # the same without filters
    assert "Wylie" in page and "pinyin" in page


def test_search_without_query_shows_the_form(client, calls):
    page = text_of(client.get("/search"))
    assert 'name="q"' in page and "result-item" not in page


@pytest.mark.parametrize("query", ["page=x", "page=0&q=a", "q=" + "a" * 600])
def test_bad_search_parameters(client, query):
    resp = client.get("/search?" + query)
    if "page=0" in query:
        assert resp.status_code == 200  # clamped to the first page
    else:
        assert resp.status_code == 400


def test_record_page(client):
    page = text_of(client.get("/items/jangar-ms-1", headers={"Accept-Language": "en"}))
    assert "<h1><span lang=\"en\">Jangar</span></h1>" in page
    assert 'lang="mn-Mong" class="title-variant mong">ᠵᠠᠩᠭᠠᠷ' in page
    assert "MS Mong 1" in page and "Test Archive" in page and "Dorji" in page
    assert page.count('src="/iiif/3/jangar-ms-1.000') == 3
    assert 'src="/iiif/3/jangar-ms-1.0001/full/200,/0/default.jpg"' in page
    assert 'alt="Page 1"' in page
    assert 'href="/items/jangar-ms-1/tei"' in page
    assert 'href="/iiif/jangar-ms-1/manifest"' in page
    assert 'href="/items/jangar-ms-1/text"' in page
    assert "http://localhost/items/jangar-ms-1" in page  # permanent URL
    assert "http://localhost/items/jangar-ms-1/read?page=1" in page
    assert 'href="/items/jangar-ms-1/read?page=1">' in page  # TOC entry
    assert 'action="/compare"' in page and 'value="kangyur-vol-1"' in page
    assert "&lt;iframe src=&#34;http://localhost/embed/jangar-ms-1?page=1&#34;" in page


def test_record_of_text_only_page_and_unknown_item(client):
    page = text_of(client.get("/items/qing-doc"))
    assert "Text only" in page
    assert 'href="/items/qing-doc/tei"' not in page
    assert client.get("/items/no-such").status_code == 404
    assert client.get("/items/Bad..Id").status_code == 404


def test_tei_and_plain_text_downloads(client):
    resp = client.get("/items/jangar-ms-1/tei")
    assert resp.status_code == 200 and resp.mimetype == "application/tei+xml"
    assert b"<TEI" in resp.data
    assert client.get("/items/qing-doc/tei").status_code == 404
    resp = client.get("/items/qing-doc/text")
    assert resp.mimetype == "text/plain"
    body = resp.get_data(as_text=True)
    assert "[一]\n光緒二十年\n呈文一件" in body and "[二]\n二頁" in body


def test_reader_marks_hits_and_links_pages(client):
    page = text_of(client.get("/items/jangar-ms-1/read?page=3&q=ᠵᠠᠩᠭᠠᠷ"))
    assert 'id="transcription" class="transcription mong" lang="mn-Mong"' in page
    assert "<mark>ᠵᠠᠩᠭᠠᠷ</mark>" in page
    assert 'data-page="3"' in page
    assert 'rel="prev" href="/items/jangar-ms-1/read?page=2&amp;q=' in page
    assert 'rel="next"' not in page
    assert "vendor/openseadragon/openseadragon.min.js" in page
    plain = text_of(client.get("/items/jangar-ms-1/read?page=2&q=ᠵᠠᠩᠭᠠᠷ"))
    assert "<mark>" not in plain.split('id="transcription"')[1].split("</div>")[0]


def test_reader_script_gets_its_api_urls_from_the_page(client):
    page = text_of(client.get("/items/jangar-ms-1/read?page=2"))
    api = re.search(r'data-page-api="([^"]+)"', page).group(1)
    assert api == "/api/items/jangar-ms-1/pages/{order}"
    assert client.get(api.replace("{order}", "3")).get_json()["order"] == 3
    search = re.search(r'data-search-api="([^"]+)"', page).group(1)
    assert search == "/iiif/jangar-ms-1/search"
    mounted = text_of(client.get("/items/jangar-ms-1/read", base_url="http://localhost/lib"))
    assert 'data-page-api="/lib/api/items/jangar-ms-1/pages/{order}"' in mounted
    assert 'data-search-api="/lib/iiif/jangar-ms-1/search"' in mounted


def test_reader_follows_right_to_left_viewing_direction(client):
    page = text_of(client.get("/items/qing-doc/read?page=1"))
    assert 'class="reader rtl"' in page
    nav = page.split('class="page-turn"')[1].split("</nav>")[0]
    assert nav.index('class="next"') < nav.index('class="prev')  # next sits on the left
    assert "←" in nav.split('class="next"')[1].split("</a>")[0]
    assert 'lang="zh-Hant"' in page
    assert "This page has no image." in page


def test_reader_keeps_region_and_an_unknown_page_is_a_404(client):
    page = text_of(client.get("/items/jangar-ms-1/read?page=3&region=10,20,300,400"))
    assert 'data-page="3"' in page and 'data-region="10,20,300,400"' in page
    page = text_of(client.get("/items/jangar-ms-1/read?region=bad"))
    assert 'data-page="1"' in page and 'data-region=""' in page
    # DESIGN.md: `page` is the order or the label as written; an unknown page is a 404
    for raw in ("99", "x", "0", "٣"):
        assert client.get(f"/items/jangar-ms-1/read?page={raw}").status_code == 404, raw
        assert client.get(f"/embed/jangar-ms-1?page={raw}").status_code == 404, raw


def test_compare_opens_mirador_with_both_manifests(client):
    page = text_of(client.get("/compare?item=jangar-ms-1&item=kangyur-vol-1"))
    assert "vendor/mirador/mirador.min.js" in page
    assert "http://localhost/iiif/jangar-ms-1/manifest" in page
    assert "http://localhost/iiif/kangyur-vol-1/manifest" in page
    assert client.get("/compare").status_code == 400


def test_pages_forbid_framing(client):
    for url in ("/", "/search?q=x", "/items/jangar-ms-1", "/items/jangar-ms-1/read"):
        resp = client.get(url)
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


def test_kiosk_has_slides_captions_timers_and_no_way_out(client):
    page = text_of(client.get("/kiosk/epics?idle=3&advance=0.5"))
    assert page.count('class="slide"') == 3
    assert 'data-idle="3.0"' in page and 'data-advance="0.5"' in page
    assert 'lang="mn-Mong" class="caption-title mong">ᠵᠠᠩᠭᠠᠷ' in page
    assert 'lang="en" class="caption-title main">Jangar' in page
    assert 'lang="zh-Hans" class="caption-title">江格尔' in page
    assert "<a " not in page and "<input" not in page and "<form" not in page
    assert 'src="/iiif/3/jangar-ms-1.0001/full/max/0/default.jpg"' in page  # never upscaled
    assert 'alt="Page 1 of Jangar"' in page


def test_kiosk_defaults_from_settings_and_all_items(client):
    page = text_of(client.get("/kiosk/all"))
    assert 'data-idle="120.0"' in page and 'data-advance="12.0"' in page
    assert page.count('class="slide"') == 3 + 3 + 1  # the text-only page has no slide
    assert client.get("/kiosk/none-such").status_code == 404


# --- over the ingested sample library (real index and search) --------------------------------

@pytest.fixture()
def sample_client(app):
    return app.test_client()


@pytest.mark.parametrize("query,item,order", [
    ("ᠵᠠᠩᠭᠠᠷ", "jangar-ms-1", 1), ("byang chub", "kangyur-vol-1", 2),
    ("qianlong", "zh-archive-1", 1), ("жангар", "jangar-ms-1", 1),
])
def test_sample_search_page_finds_and_links_the_page(sample_client, query, item, order):
    page = text_of(sample_client.get("/search", query_string={"q": query}))
    assert f'href="/items/{item}/read?page={order}&amp;q=' in page
    assert "<mark>" in page and "Query understood as:" in page
    assert re.search(r'<span class="count">\d+</span>', page)  # facets with counts


def test_sample_reader_marks_the_hit_and_follows_the_manifest_direction(sample_client):
    page = text_of(sample_client.get("/items/zh-archive-1/read?page=1&q=qianlong"))
    assert "<mark>乾隆</mark>" in page
    assert 'data-direction="right-to-left"' in page and 'class="reader rtl"' in page
    page = text_of(sample_client.get("/items/jangar-ms-1/read?page=1&q=ᠵᠠᠩᠭᠠᠷ"))
    assert 'data-direction="left-to-right"' in page and "<mark>ᠵᠠᠩᠭᠠᠷ</mark>" in page


def test_sample_in_item_search_gives_boxes_from_the_ocr(sample_client):
    data = sample_client.get("/api/items/jangar-ms-1/search",
                             query_string={"q": "ᠵᠠᠩᠭᠠᠷ"}).get_json()
    assert [h["page"] for h in data["hits"]][:2] == [1, 2]
    assert all(len(b) == 4 for h in data["hits"] for b in h["boxes"])
    assert any(h["boxes"] for h in data["hits"])


def test_sample_record_downloads(sample_client):
    page = text_of(sample_client.get("/items/kangyur-vol-1"))
    assert 'src="/iiif/3/kangyur-vol-1.0001/full/200,/0/default.jpg"' in page
    tei = sample_client.get("/items/kangyur-vol-1/tei")
    assert tei.status_code == 200 and b"http://www.tei-c.org/ns/1.0" in tei.data
    assert "བྱང་ཆུབ" in sample_client.get("/items/kangyur-vol-1/text").get_data(as_text=True)
    thumb = sample_client.get("/iiif/3/kangyur-vol-1.0001/full/200,/0/default.jpg")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"


def test_absolute_links_under_a_mount_point_name_it_once(client):
    page = text_of(client.get("/items/jangar-ms-1", base_url="http://localhost/lib"))
    assert "http://localhost/lib/items/jangar-ms-1" in page
    assert "http://localhost/lib/iiif/jangar-ms-1/manifest" in page
    assert "/lib/lib/" not in page
