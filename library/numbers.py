"""Numbers written in URLs, parsed strictly: the one parser every view and the Image API use.

A number in a URL is plain ASCII decimal digits (a decimal may have one ``.``): no sign, no
exponent, no ``inf``/``nan``, no other script's digits (``int`` and ``float`` accept ``"١"``,
``"１"`` and ``" 1 "``; a regex's ``\\d`` matches every Unicode digit), and a bounded number of
digits, so nothing reaches SQLite, ``int()`` of a float or an allocation unchecked. What fails
raises ``BadRequestError`` (400) naming the parameter; callers that prefer a default catch it.
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Optional

from .errors import BadRequestError

WHOLE = r"[0-9]+"
# ".5" and "5." are tolerated (the IIIF Image API's section 4.7 allows both)
DECIMAL = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_WHOLE = re.compile(WHOLE)
_DECIMAL = re.compile(DECIMAL)
MAX_DIGITS = 12  # no page, pixel or count needs more; SQLite's integers hold 18


def plausible(value: float) -> bool:
    """A number read from a file (a box coordinate) is usable: finite, not NaN, and of at
    most MAX_DIGITS whole digits (inf cannot become an int, 1e300 fills the JSON)."""
    return abs(value) < 10 ** MAX_DIGITS


def parse_int(text: str, what: str, *, minimum: int = 0, maximum: Optional[int] = None,
              max_digits: int = MAX_DIGITS) -> int:
    """``text`` as a whole number in [minimum, maximum]; 400 otherwise."""
    if len(text) > max_digits or not _WHOLE.fullmatch(text):
        raise BadRequestError(f"{what} must be a whole number of at most {max_digits} digits "
                              f"(0-9), not {text[:40]!r}")
    value = int(text)
    if value < minimum or (maximum is not None and value > maximum):
        top = "" if maximum is None else f" and at most {maximum}"
        raise BadRequestError(f"{what} must be at least {minimum}{top}, not {value}")
    return value


def parse_decimal(text: str, what: str, *, max_chars: int = MAX_DIGITS + 8) -> Fraction:
    """``text`` as an exact non-negative decimal (a Fraction: no float rounding); 400
    otherwise."""
    if len(text) > max_chars or not _DECIMAL.fullmatch(text):
        raise BadRequestError(f"{what} must be a decimal number (0-9 and '.'), not "
                              f"{text[:40]!r}")
    return Fraction(text)


def parse_order(text: str) -> int:
    """A page order from a URL path (``/annotations/<order>``, ``/pages/<order>``): 1 or more.
    Used instead of Werkzeug's ``<int:>``, which accepts any Unicode digit and no upper bound."""
    return parse_int(text, "page number", minimum=1, max_digits=9)
