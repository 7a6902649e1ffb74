"""library.models' id rules: whole ids only, ASCII digits only."""
from __future__ import annotations

import pytest

from library.models import image_id, is_item_id, parse_image_id


@pytest.mark.parametrize("value", ["plain-1", "a", "jangar-ms-1", "x_y", "0"])
def test_item_ids_accepted(value):
    assert is_item_id(value)


@pytest.mark.parametrize("value", ["plain-1\n", "\nplain-1", "plain-1\r", "Plain", "-a", "_a",
                                   "a.b", "a b", "a\u0430", "", "3", "collection", "a" * 121])
def test_item_ids_refused(value):
    assert not is_item_id(value)


def test_image_id_round_trip():
    assert parse_image_id(image_id("jangar-ms-1", 3)) == ("jangar-ms-1", 3)


@pytest.mark.parametrize("value", ["item.\u0660\u0660\u0660\u0661", "item.\uff10001",
                                   "item.0001\n", "item.001", "item.00001", "item.000a"])
def test_image_ids_refused(value):
    assert parse_image_id(value) is None
