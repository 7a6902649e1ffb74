"""An item's pages without reading them all: what the record page, the reader, the embed view
and the page API need to know about the pages around the one they show.

A volume may have 10,000 pages (Settings ``max_pages_per_item``), and a page record carries its
transcription, lines and words. So the views read the orders and labels from the catalogue's
lookup columns (``Catalog.page_labels``: milliseconds), and page records only for what they show:
one page in the reader, one window of thumbnails on the record page (``?pages=N``). The reader's
script fetches everything else on demand (``/api/items/<item>/pages/<order>``, and labels by
range from ``/api/items/<item>/pages?from=&to=``).
"""
from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass
from typing import Optional

from library.errors import BadRequestError, NotFoundError
from library.numbers import parse_int

from .resources import get_catalog

RECORD_WINDOW = 100  # thumbnails on one record page: ~35 KB of HTML
LABEL_RANGE = 1000  # labels in one answer of the page-list API
PAGER_SPREAD = 3  # windows linked on either side of the current one


@dataclass
class PageIndex:
    """The orders (ascending) and labels of an item's pages, read once per request."""

    item_id: str
    orders: list[int]
    labels: list[str]  # as written on the leaf; the order when the leaf has none

    @classmethod
    def of(cls, item_id: str) -> "PageIndex":
        rows = get_catalog().page_labels(item_id)
        return cls(item_id, [o for o, _ in rows], [lab or str(o) for o, lab in rows])

    def __len__(self) -> int:
        return len(self.orders)

    @property
    def first(self) -> Optional[int]:
        return self.orders[0] if self.orders else None

    @property
    def last(self) -> Optional[int]:
        return self.orders[-1] if self.orders else None

    def position(self, order: int) -> Optional[int]:
        i = bisect.bisect_left(self.orders, order)
        return i if i < len(self.orders) and self.orders[i] == order else None

    def neighbours(self, order: int) -> tuple[Optional[int], Optional[int]]:
        """The orders before and after ``order`` (None at either end)."""
        i = self.position(order)
        if i is None:
            return None, None
        return (self.orders[i - 1] if i > 0 else None,
                self.orders[i + 1] if i + 1 < len(self.orders) else None)

    def resolve(self, raw: Optional[str]) -> Optional[int]:
        """The page a ``page`` parameter names: an order of the item, else a label as written
        on the leaf (``2b``); the first page when none is named; None for an item without
        pages. A page the item does not have is a 404, as DESIGN.md's URL contract says."""
        if not self.orders:
            return None
        if raw is not None:  # as typed: "2b " or a decomposed "ᠨᠢᠭᠡ" names the same leaf
            raw = unicodedata.normalize("NFC", raw.strip())
        if not raw:
            return self.orders[0]
        found = self._lookup(raw)
        if found is not None:
            return found
        raise NotFoundError(f"item {self.item_id!r} has no page {raw[:40]!r} (neither its "
                            f"order, {self.orders[0]}-{self.orders[-1]}, nor a label as written)")

    def find(self, raw: str) -> Optional[int]:
        """The page ``raw`` names by ``resolve``'s rule, else None (for a range of two)."""
        return self._lookup(unicodedata.normalize("NFC", raw.strip()))

    def _lookup(self, raw: str) -> Optional[int]:
        """The page ``raw`` (NFC, stripped) names, else None. A number is the order, even where
        a leaf is labelled with another number: page=3 is always the third page, and such a
        leaf is addressed by its order (``address``); two leaves labelled alike: the first."""
        if raw.isascii() and raw.isdigit() and len(raw) <= 9:
            n = int(raw)
            i = bisect.bisect_left(self.orders, n)
            if i < len(self.orders) and self.orders[i] == n:
                return n
        if raw in self.labels:
            return self.orders[self.labels.index(raw)]
        return None

    def address(self, order: int) -> str:
        """The ``page`` value that opens page ``order``: its label as written (``2b``) when
        that names this page back, else its order (a leaf labelled "3" that is not the third
        page, the second of two leaves labelled alike, a label with spaces around it)."""
        i = self.position(order)
        if i is None:
            return str(order)
        label = self.labels[i]
        if label and label == unicodedata.normalize("NFC", label.strip()) \
                and self._lookup(label) == order:
            return label
        return str(order)

    def labels_between(self, first: int, last: int) -> list[dict]:
        lo = bisect.bisect_left(self.orders, first)
        hi = bisect.bisect_right(self.orders, last)
        return [{"order": o, "label": lab}
                for o, lab in zip(self.orders[lo:hi], self.labels[lo:hi])]


@dataclass
class Window:
    """One window of the record page's page list: ``number`` of ``count``, pages ``lo``..``hi``
    (positions, end excluded)."""

    number: int
    count: int
    lo: int
    hi: int
    total: int

    @property
    def links(self) -> list[int]:
        """The window numbers the pager links: the first, the last and a few around this one."""
        near = range(max(1, self.number - PAGER_SPREAD),
                     min(self.count, self.number + PAGER_SPREAD) + 1)
        return sorted({1, self.count, *near})


def window(index: PageIndex, raw: Optional[str]) -> Window:
    """The window ``?pages=N`` names (the first when absent); 400 if malformed, 404 if the item
    has fewer windows."""
    total = len(index)
    count = max(1, -(-total // RECORD_WINDOW))
    number = parse_int(raw, "pages", minimum=1, max_digits=9) if raw else 1
    if number > count:
        raise NotFoundError(f"item {index.item_id!r} has {count} page list(s), not {number}")
    lo = (number - 1) * RECORD_WINDOW
    return Window(number, count, lo, min(lo + RECORD_WINDOW, total), total)


def window_pages(index: PageIndex, win: Window) -> list:
    """The page records of one window, read in one query."""
    if win.lo >= win.hi:
        return []
    return get_catalog().pages(index.item_id, index.orders[win.lo], index.orders[win.hi - 1])


def label_range(index: PageIndex, raw_from: Optional[str], raw_to: Optional[str]) -> dict:
    """The page-list API's answer: labels of the pages with ``from`` <= order <= ``to``, at
    most ``LABEL_RANGE`` orders apart (400 beyond, so no request lists a whole volume)."""
    first = parse_int(raw_from, "from", minimum=1, max_digits=9) if raw_from else 1
    last = (parse_int(raw_to, "to", minimum=1, max_digits=9) if raw_to
            else first + LABEL_RANGE - 1)
    if last < first or last - first >= LABEL_RANGE:
        raise BadRequestError(f"from and to must name at most {LABEL_RANGE} pages, in order "
                              f"(from={first}, to={last})")
    return {"item": index.item_id, "total": len(index), "first": index.first,
            "last": index.last, "from": first, "to": last,
            "pages": index.labels_between(first, last)}

