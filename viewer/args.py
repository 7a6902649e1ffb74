"""Query-string numbers the IIIF endpoints share (``page``, ``min``), validated once: a bad value
is a 400, never a Python error."""
from __future__ import annotations

from flask import request

from library.numbers import parse_int


def count_arg(name: str, default: int, minimum: int = 1) -> int:
    """An integer query parameter, ``default`` when absent; 400 unless ASCII digits >= minimum
    (``str.isdigit`` would let "²" through to ``int``)."""
    raw = request.args.get(name, "")
    if not raw:
        return default
    return parse_int(raw, name, minimum=minimum, max_digits=9)


def page_number(default: int = 0) -> int:
    """The ``page`` query parameter (1-based), ``default`` when absent."""
    return count_arg("page", default)
