"""Defects found by trying the merged site as its users would (docs/qa-2026-12-03.md), each
pinned by the HTTP behaviour a user saw."""
from __future__ import annotations

import html as htmllib
import re

import pytest

from test_edition_site import build_edition_library


@pytest.fixture(scope="module")
def library(tmp_path_factory, shared_dir):
    return build_edition_library(tmp_path_factory.mktemp("qa-lib") / "lib",
                                 tmp_path_factory.mktemp("qa-tei"), shared_dir)


@pytest.fixture()
def client(library):
    from viewer import create_app

    return create_app({"SUDUR_SETTINGS": library, "TESTING": True}).test_client()


@pytest.mark.parametrize("url", ["/items/cbeta?lang=en", "/items/cbeta/read?page=0848c&lang=en"])
def test_embed_code_of_a_chinese_title_says_it_is_chinese(client, url):
    page = client.get(url).get_data(as_text=True)
    assert '<html lang="en"' in page
    area = re.search(r'<textarea id="embed-code"[^>]*>([^<]*)</textarea>', page)
    assert area, "no embed code"
    lang = re.search(r'\blang="([^"]+)"', area.group(0))
    assert lang and lang.group(1).startswith("zh"), area.group(0)[:200]
    code = htmllib.unescape(area.group(1))
    assert re.search(r'title="[^"]*[\u4e00-\u9fff][^"]*" lang="zh', code), code
