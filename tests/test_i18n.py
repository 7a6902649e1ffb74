"""Interface languages: choice by Accept-Language and the remembered switcher, complete and
compiled catalogues, and no interface text left in English in the other languages."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from viewer import create_app
from viewer.i18n import language_for
from viewer_library import build_library

TRANSLATIONS = Path(__file__).resolve().parents[1] / "viewer" / "translations"
LOCALES = ("zh_Hans", "mn_Mong", "bo", "en")


@pytest.fixture()
def client(tmp_path):
    app = create_app({"SUDUR_SETTINGS": build_library(tmp_path / "lib"), "TESTING": True})
    return app.test_client()


@pytest.mark.parametrize("header,tag,word", [
    ("zh-CN,zh;q=0.9", "zh-Hans", "检索"),
    ("zh-TW", "zh-Hans", "检索"),
    ("bo", "bo", "འཚོལ།"),
    ("mn-MN,mn;q=0.8,en;q=0.5", "mn-Mong", "ᠬᠠᠶᠢᠬᠤ"),
    ("fr-FR,en;q=0.5", "en", ">Search<"),
    ("de", "en", ">Search<"),
])
def test_language_from_accept_language(client, header, tag, word):
    page = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{tag}"' in page
    assert word in page


def test_mongolian_interface_is_vertical(client):
    page = client.get("/", headers={"Accept-Language": "mn"}).get_data(as_text=True)
    assert 'class="ui-vertical"' in page
    page = client.get("/", headers={"Accept-Language": "bo"}).get_data(as_text=True)
    assert 'class="ui-horizontal"' in page


def test_switcher_is_remembered_over_accept_language(client):
    resp = client.get("/lang/bo?next=/items/jangar-ms-1")
    assert resp.status_code == 303 and resp.headers["Location"] == "/items/jangar-ms-1"
    assert "sudur_lang=bo" in resp.headers["Set-Cookie"]
    page = client.get("/items/jangar-ms-1", headers={"Accept-Language": "en"})
    assert '<html lang="bo"' in page.get_data(as_text=True)
    client.get("/lang/zh-Hans")
    page = client.get("/search?q=", headers={"Accept-Language": "bo"}).get_data(as_text=True)
    assert '<html lang="zh-Hans"' in page


def test_switcher_links_name_each_language_in_itself(client):
    page = client.get("/items/jangar-ms-1?x=1").get_data(as_text=True)
    for tag, name in (("zh-Hans", "中文"), ("mn-Mong", "ᠮᠣᠩᠭᠣᠯ"), ("bo", "བོད་ཡིག"),
                      ("en", "English")):
        assert re.search(rf'href="/lang/{tag}\?next=/items/jangar-ms-1\?x%3D1" lang="{tag}"'
                         rf' hreflang="{tag}"[^>]*>{name}<', page), tag


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil",
                                    "/\r\nX-Injected: yes"])
def test_switcher_refuses_open_redirects(client, target):
    resp = client.get("/lang/en", query_string={"next": target})
    assert resp.headers["Location"] == "/"


def test_unknown_language_is_404(client):
    assert client.get("/lang/xx").status_code == 404


def test_language_for_relatives():
    assert language_for("zh_Hant").tag == "zh-Hans"
    assert language_for("MN-cyrl").tag == "mn-Mong"
    assert language_for("dz").tag == "bo"
    assert language_for("fr") is None and language_for("") is None


def _catalog(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


@pytest.mark.parametrize("locale", ["zh_Hans", "mn_Mong", "bo"])
def test_catalogues_are_complete_and_keep_placeholders(locale):
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = read_po(f)
    cat = _catalog(locale)
    for msg in template:
        if not msg.id:
            continue
        got = cat.get(msg.id)
        assert got is not None and got.string, (locale, msg.id)
        ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
        strings = got.string if isinstance(got.string, tuple) else (got.string,)
        wanted = set(re.findall(r"%\(\w+\)[sd]", ids[-1]))
        for s in strings:
            assert s and set(re.findall(r"%\(\w+\)[sd]", s)) == wanted, (locale, msg.id, s)


def _key(value):
    return tuple(value) if isinstance(value, list) else value


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogues_match_their_sources(locale):
    """The committed .mo is what `pybabel compile -d viewer/translations` makes of the .po."""
    buf = io.BytesIO()
    write_mo(buf, _catalog(locale))
    buf.seek(0)
    fresh = {_key(m.id): _key(m.string) for m in read_mo(buf) if m.id}
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as f:
        committed = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    assert committed == fresh


@pytest.mark.parametrize("header", ["zh-CN", "bo", "mn"])
def test_no_interface_text_left_in_english(client, header):
    """Interface strings of the English catalogue do not appear as element text elsewhere."""
    english = [m.id for m in _catalog("en") if isinstance(m.id, str) and len(m.id) > 3
               and "%" not in m.id and m.id not in ("OAI-PMH", "Sudur", "English")]
    for url in ("/", "/search?q=", "/items/jangar-ms-1", "/items/jangar-ms-1/read",
                "/kiosk/epics", "/embed/kangyur-vol-1"):
        page = client.get(url, headers={"Accept-Language": header}).get_data(as_text=True)
        leftovers = [e for e in english if re.search(
            r'(>|(aria-label|alt|title|placeholder|aria-roledescription)=")'
            + re.escape(e) + r'(<|")', page)]
        assert not leftovers, (url, leftovers)


def test_autotag_wraps_script_runs_and_keeps_markup():
    from markupsafe import Markup

    from viewer.i18n import autotag

    assert str(autotag("wylie → བྱང་ཆུབ; 江格尔, Жангар, ᠵᠠᠩᠭᠠᠷ ᠤᠨ")) == (
        'wylie → <span lang="bo">བྱང་ཆུབ</span>; <span lang="zh">江格尔</span>, Жангар, '
        '<span lang="mn-Mong">ᠵᠠᠩᠭᠠᠷ ᠤᠨ</span>')
    snippet = Markup("… <mark>ᠵᠠᠩᠭᠠᠷ</mark> &amp; 理藩院。")
    assert str(autotag(snippet, {"Mong": "xal-Mong"})) == (
        '… <mark><span lang="xal-Mong">ᠵᠠᠩᠭᠠᠷ</span></mark> &amp; <span lang="zh">理藩院</span>。')
    assert str(autotag("<script>")) == "&lt;script&gt;"


def test_tag_script_and_han_runs_follow_langtags():
    from viewer.i18n import autotag, is_vertical, script_of, script_tags_for

    # one rule for every tag: a romanisation is Latin (the old loop read "ewts" as a script)
    assert script_of("bo-x-ewts") == "Latn"
    assert script_of("zh-Hant-TW") == "Hani"
    assert script_tags_for("zh-Hant") == {"Hani": "zh-Hant"}
    assert not is_vertical("mn", "Монгол бичиг") and is_vertical("mn", "ᠮᠣᠩᠭᠣᠯ")
    # Extension G and H ideographs are Han like the rest (the old ranges stopped at U+2FA1F)
    assert str(autotag("\U00030000\U00031350")) == '<span lang="zh">\U00030000\U00031350</span>'


def test_language_names_from_parts(client):
    from viewer.i18n import language_name

    with client.application.test_request_context(headers={"Accept-Language": "en"}):
        assert language_name("sa-Tibt") == "Sanskrit (Tibetan script)"
        assert language_name("bo") == "Tibetan"
        assert language_name("x-unknown") == "x-unknown"
    with client.application.test_request_context(headers={"Accept-Language": "zh"}):
        assert language_name("sa-Tibt") == "梵语 (藏文)"
