"""The century facet: every century an item's date range covers, counted as catalogues do
(1700-1799 is the 18th), in the model's one rule and in the index built from it."""
from __future__ import annotations

import pytest

from catalog.index import page_documents
from library.models import Item, Page, century_of


@pytest.mark.parametrize("year, century", [(1700, 18), (1799, 18), (1800, 19), (1650, 17),
                                           (1, 1), (99, 1), (100, 2), (0, 1), (-1, -1),
                                           (-100, -1), (-101, -2)])
def test_century_of_a_year(year, century):
    assert century_of(year) == century


@pytest.mark.parametrize("lo, hi, expected", [
    (1700, 1799, [18]), (1650, 1720, [17, 18]), (1741, 1741, [18]), (1700, None, [18]),
    (None, 1699, [17]), (None, None, []), (-150, 50, [-2, -1, 1]),
])
def test_every_century_of_the_range(lo, hi, expected):
    item = Item(id="x", date_from=lo, date_to=hi)
    assert item.centuries() == expected
    assert item.century() == (expected[0] if expected else None)


def test_a_vast_range_is_capped():
    assert len(Item(id="x", date_from=-100000, date_to=2000).centuries()) == 30


def test_the_index_documents_carry_every_century():
    item = Item(id="x", date_from=1650, date_to=1720, pages=[Page(item_id="x", order=1,
                                                                  text="a")])
    docs = list(page_documents(item))
    assert {d["century"] for d in docs} == {"17,18"}


def test_an_index_of_the_old_century_rule_is_refused(tmp_path):
    import json

    from catalog.schema import VERSION_FILE, check_version, current_version
    from library.errors import IndexVersionError

    old = dict(current_version(), schema_version=3)  # 3 faceted notBefore=1700 as the 17th
    (tmp_path / VERSION_FILE).write_text(json.dumps(old), encoding="utf-8")
    with pytest.raises(IndexVersionError):
        check_version(tmp_path)


def test_centuries_before_the_common_era_are_named_so(app):
    from viewer.site import facet_label

    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert facet_label("century", "-2", {}) == "2nd century BCE"
        assert facet_label("century", "18", {}) == "18th century"
