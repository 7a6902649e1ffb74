"""library.numbers: the one strict parser of numbers written in URLs."""
from __future__ import annotations

from fractions import Fraction

import pytest

from library.errors import BadRequestError
from library.numbers import parse_decimal, parse_int


@pytest.mark.parametrize("text, value", [("0", 0), ("7", 7), ("0042", 42),
                                         ("999999999", 999_999_999)])
def test_whole_numbers(text, value):
    assert parse_int(text, "n", max_digits=9) == value


@pytest.mark.parametrize("text", ["", " 1", "1 ", "+1", "-1", "1.0", "1e3", "inf", "nan", "0x1",
                                  "1_000", "\u0661", "\uff11", "\u00b2", "1\n",
                                  "9223372036854775808", "1" * 10])
def test_whole_numbers_refused(text):
    with pytest.raises(BadRequestError):
        parse_int(text, "n", max_digits=9)


def test_range_is_checked():
    assert parse_int("5", "n", minimum=1, maximum=5) == 5
    for text in ("0", "6"):
        with pytest.raises(BadRequestError, match="n"):
            parse_int(text, "n", minimum=1, maximum=5)


@pytest.mark.parametrize("text, value", [("1", Fraction(1)), ("2.5", Fraction(5, 2)),
                                         (".5", Fraction(1, 2)), ("5.", Fraction(5)),
                                         ("0.1", Fraction(1, 10))])
def test_decimals(text, value):
    assert parse_decimal(text, "d") == value


@pytest.mark.parametrize("text", ["", ".", "nan", "NaN", "inf", "-inf", "Infinity", "1e5", "-1",
                                  "+1", "1/2", "1,5", "\u0661.5", "1.\uff15", "1.5\n",
                                  "1" * 30])
def test_decimals_refused(text):
    with pytest.raises(BadRequestError):
        parse_decimal(text, "d")
