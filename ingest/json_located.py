"""JSON read with the line of every object, for messages that name the line of a bad value.

Python's JSON reader gives no positions. This one is the standard library's pure-Python scanner
with its object parser wrapped, so each object comes back as a ``Located`` dict that knows the
line its ``{`` is on. It is slower than the C reader, so callers read a file with the C reader
first and come here only to place the problems they found.
"""
from __future__ import annotations

import json
from bisect import bisect_right
from json import decoder as jdecoder
from json import scanner as jscanner
from typing import Any, Optional


class Located(dict):
    """A JSON object with the line (1-based) where it opens."""

    line: int = 0


def loads_located(text: str) -> Any:
    """``json.loads(text)`` with every object a ``Located``."""
    newlines = [i for i, c in enumerate(text) if c == "\n"]
    dec = json.JSONDecoder()

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        s, end = s_and_end
        obj, after = jdecoder.JSONObject(s_and_end, strict, scan_once, object_hook,
                                         object_pairs_hook, memo)
        located = Located(obj)
        located.line = bisect_right(newlines, end - 1) + 1
        return located, after

    dec.parse_object = parse_object
    dec.scan_once = jscanner.py_make_scanner(dec)
    return dec.decode(text)


def line_of(value: Any) -> Optional[int]:
    """The line of a ``Located`` object; None for anything else."""
    return getattr(value, "line", None) or None
