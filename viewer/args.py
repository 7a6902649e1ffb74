"""Query-string numbers the IIIF endpoints share (``page``, ``min``), validated once: a bad value
is a 400, never a Python error."""
from __future__ import annotations

import re

from flask import request

from library.errors import BadRequestError


def count_arg(name: str, default: int, minimum: int = 1) -> int:
    """An integer query parameter, ``default`` when absent; 400 unless ASCII digits >= minimum
    (``str.isdigit`` would let "²" through to ``int``)."""
    raw = request.args.get(name, "")
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < minimum:
        raise BadRequestError(f"{name} must be an integer of at least {minimum}, not {raw!r}")
    return int(raw)


def page_number(default: int = 0) -> int:
    """The ``page`` query parameter (1-based), ``default`` when absent."""
    return count_arg("page", default)
