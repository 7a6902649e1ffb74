"""Every field filter the query language accepts (catalog.query_syntax.FILTER_FIELDS), and the
``sound:`` prefix, is documented in both places a reader looks: the README's "Search syntax"
and the site's search help."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from catalog.query_syntax import FILTER_FIELDS, parse
from catalog.tr_query import SOUND_PREFIX, split_sound

ROOT = Path(__file__).resolve().parents[1]


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^## Search syntax\n(.*?)^## ", text, re.S | re.M)
    assert m, "README has no Search syntax section"
    return m.group(1)


def _help_codes() -> list[str]:
    html = (ROOT / "viewer/templates/_search_help.html").read_text(encoding="utf-8")
    return re.findall(r"<code[^>]*>(.*?)</code>", html)


def _readme_codes() -> list[str]:
    return re.findall(r"`([^`]+)`", _readme_section())


@pytest.mark.parametrize("field", FILTER_FIELDS)
def test_each_filter_is_accepted_and_documented_with_an_example(field):
    example = next((c for c in _readme_codes() if c.startswith(f"{field}:")), None)
    assert example, f"README Search syntax lacks an example of {field}:"
    # the example is one the query language reads as that filter
    assert field in parse(example, strict=True).filters
    assert any(c.startswith(f"{field}:") for c in _help_codes()), \
        f"the search help lacks an example of {field}:"


def test_the_sound_prefix_is_documented_in_both():
    for codes in (_readme_codes(), _help_codes()):
        example = next((c for c in codes if c.startswith(SOUND_PREFIX)), None)
        assert example and split_sound(example)[1] is True


def test_the_lists_are_read_from_the_files():
    assert "work" in FILTER_FIELDS and len(FILTER_FIELDS) >= 6
    assert "title:Geser" in _help_codes() and "title:Geser" in _readme_codes()
