"""IIIF Content Search 2.0 and 1.0, and autocomplete: pure builders from search hits.

The search engine (``catalog.search``) gives, per page, the page's indexed text and the character
spans of every match. Here each span becomes one match: its quote (prefix/exact/suffix) and the
region of the canvas it covers, the union of the boxes of the words it touches (else of the
lines, else the whole canvas). Those are then written as

- a Search 2.0 ``AnnotationPage``: one ``highlighting`` annotation per match targeting the canvas
  region, plus, in ``annotations``, a ``contextualizing`` annotation carrying its
  ``TextQuoteSelector``; paged with ``partOf``/``next``/``prev`` when long;
- a Search 1.0 ``sc:AnnotationList`` with ``resources`` and ``hits`` (before/match/after), the
  form Mirador and the Universal Viewer draw;
- a Search 2.0 ``TermPage`` for autocomplete, and a 1.0 ``search:TermList`` (Mirador's).

Hits are duck-typed (``order``, ``label``, ``text``, ``spans``), so this module does not import the
catalogue.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Protocol, Sequence
from urllib.parse import urlencode

from .iiif_presentation import (autocomplete1_url, autocomplete_url, canvas_url, clip_box,
                                search1_url, search_url)
from .models import Box, Page

SEARCH2_CONTEXT = "http://iiif.io/api/search/2/context.json"
SEARCH1_CONTEXT = ["http://iiif.io/api/presentation/2/context.json",
                   "http://iiif.io/api/search/1/context.json"]
SEARCH2_CONTENT_TYPE = f'application/ld+json;profile="{SEARCH2_CONTEXT}"'
SEARCH1_CONTENT_TYPE = 'application/ld+json;profile="http://iiif.io/api/search/1/context.json"'

PAGE_SIZE = 100
CONTEXT_CHARS = 30
# Parameters the specifications define that Sudur does not filter on (all annotations are
# transcriptions, machine-made, undated): they are reported back as ``ignored``.
UNSUPPORTED_PARAMS = ("motivation", "date", "user")


class HitLike(Protocol):
    order: int
    label: str
    text: str
    spans: list[tuple[int, int]]


@dataclass
class Match:
    """One occurrence of the query on a page, placed on its canvas."""

    order: int
    label: str
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str
    box: Optional[Box]  # None: the whole canvas

    def target(self, base: str, item_id: str) -> str:
        canvas = canvas_url(base, item_id, self.order)
        return f"{canvas}#xywh={self.box.xywh()}" if self.box else canvas

    def anno_id(self, base: str, item_id: str) -> str:
        return f"{base}/iiif/{item_id}/hit/{self.order}/{self.start}-{self.end}"


# --- from hits to matches --------------------------------------------------------------------

def flatten(hits: Iterable[HitLike]) -> list[tuple[HitLike, tuple[int, int]]]:
    """Every (hit, span) in reading order: pages by order, spans by offset."""
    out = []
    for hit in sorted(hits, key=lambda h: h.order):
        for span in sorted(hit.spans):
            out.append((hit, (int(span[0]), int(span[1]))))
    return out


def quote(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> tuple[str, str, str]:
    """prefix, exact, suffix around ``text[start:end]``, line breaks shown as spaces."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))

    def flat(s: str) -> str:
        return " ".join(s.split("\n"))

    return (flat(text[max(0, start - width):start]), flat(text[start:end]),
            flat(text[end:end + width]))


def union(boxes: Iterable[Box]) -> Optional[Box]:
    boxes = list(boxes)
    if not boxes:
        return None
    x0 = min(b.x for b in boxes)
    y0 = min(b.y for b in boxes)
    x1 = max(b.x + b.w for b in boxes)
    y1 = max(b.y + b.h for b in boxes)
    return Box(x0, y0, x1 - x0, y1 - y0)


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1 if a1 > a0 else b0 <= a0 < b1


def span_box(page: Optional[Page], start: int, end: int) -> Optional[Box]:
    """The region of ``page.text[start:end]``: the union of the boxes of the words it touches,
    else of the lines, else None. Spans past the display text (alternative readings) have none."""
    if page is None or start >= len(page.text):
        return None
    words = [w.box for line in page.lines for w in line.words
             if w.box is not None and w.start >= 0 and _overlaps(start, end, w.start, w.end)]
    if words:
        return clip_box(union(words), page)
    lines = [line.box for line in page.lines
             if line.box is not None and line.start >= 0
             and _overlaps(start, end, line.start, line.end)]
    return clip_box(union(lines), page) if lines else None


def make_match(hit: HitLike, span: tuple[int, int], page: Optional[Page]) -> Match:
    start, end = span
    prefix, exact, suffix = quote(hit.text, start, end)
    return Match(order=hit.order, label=hit.label, start=start, end=end, exact=exact,
                 prefix=prefix, suffix=suffix, box=span_box(page, start, end))


def ignored_params(args: Mapping[str, str]) -> list[str]:
    """The defined parameters present in a request that Sudur does not apply."""
    return [p for p in UNSUPPORTED_PARAMS if args.get(p)]


# --- Content Search 2.0 ----------------------------------------------------------------------

def _page_url(service: str, q: str, page: int = 0) -> str:
    params = {"q": q}
    if page:
        params["page"] = str(page)
    return f"{service}?{urlencode(params)}"


def _selector(m: Match) -> dict:
    sel = {"type": "TextQuoteSelector", "exact": m.exact}
    if m.prefix:
        sel["prefix"] = m.prefix
    if m.suffix:
        sel["suffix"] = m.suffix
    return sel


def search2_response(matches: Sequence[Match], *, base: str, item_id: str, q: str,
                     total: int, page: int = 1, page_size: int = PAGE_SIZE,
                     language: str = "", ignored: Sequence[str] = ()) -> dict:
    """The Search 2.0 AnnotationPage for one page (1-based) of ``total`` matches.

    ``matches`` are those of this page only. With everything on one page the response is a
    simple list; otherwise it is one page of an AnnotationCollection.
    """
    service = search_url(base, item_id)
    npages = max(1, -(-total // page_size))
    paged = npages > 1
    items, contexts = [], []
    for m in matches:
        aid = m.anno_id(base, item_id)
        body = {"type": "TextualBody", "value": m.exact, "format": "text/plain"}
        if language:
            body["language"] = language
        items.append({"id": aid, "type": "Annotation", "motivation": "highlighting",
                      "body": body, "target": m.target(base, item_id)})
        contexts.append({"id": f"{aid}/context", "type": "Annotation",
                         "motivation": "contextualizing",
                         "target": {"type": "SpecificResource", "source": aid,
                                    "selector": [_selector(m)]}})
    out: dict = {"@context": SEARCH2_CONTEXT,
                 "id": _page_url(service, q, page if paged else 0),
                 "type": "AnnotationPage"}
    if ignored:
        out["ignored"] = list(ignored)
    if paged:
        out["partOf"] = {"id": _page_url(service, q), "type": "AnnotationCollection",
                         "total": total,
                         "first": {"id": _page_url(service, q, 1), "type": "AnnotationPage"},
                         "last": {"id": _page_url(service, q, npages), "type": "AnnotationPage"}}
        if page < npages:
            out["next"] = {"id": _page_url(service, q, page + 1), "type": "AnnotationPage"}
        if page > 1:
            out["prev"] = {"id": _page_url(service, q, page - 1), "type": "AnnotationPage"}
        out["startIndex"] = (page - 1) * page_size
    out["items"] = items
    if contexts:
        out["annotations"] = [{"type": "AnnotationPage", "items": contexts}]
    return out


def term_page(terms: Sequence[tuple[str, int]], *, base: str, item_id: str, q: str,
              ignored: Sequence[str] = ()) -> dict:
    """The autocomplete TermPage; each term links to its search."""
    out: dict = {"@context": SEARCH2_CONTEXT,
                 "id": _page_url(autocomplete_url(base, item_id), q),
                 "type": "TermPage"}
    if ignored:
        out["ignored"] = list(ignored)
    out["items"] = [{"type": "Term", "value": term, "total": int(count),
                     "service": [{"id": _page_url(search_url(base, item_id), term),
                                  "type": "SearchService2"}]}
                    for term, count in terms]
    return out


# --- Content Search 1.0 ----------------------------------------------------------------------

def search1_response(matches: Sequence[Match], *, base: str, item_id: str, q: str,
                     total: int, page: int = 1, page_size: int = PAGE_SIZE,
                     ignored: Sequence[str] = ()) -> dict:
    """The Search 1.0 AnnotationList (with ``hits``) for one page of ``total`` matches."""
    service = search1_url(base, item_id)
    npages = max(1, -(-total // page_size))
    paged = npages > 1
    resources, hits = [], []
    for m in matches:
        aid = m.anno_id(base, item_id)
        resources.append({"@id": aid, "@type": "oa:Annotation", "motivation": "sc:painting",
                          "resource": {"@type": "cnt:ContentAsText", "chars": m.exact},
                          "on": m.target(base, item_id)})
        hit = {"@type": "search:Hit", "annotations": [aid], "match": m.exact}
        if m.prefix:
            hit["before"] = m.prefix
        if m.suffix:
            hit["after"] = m.suffix
        hits.append(hit)
    out: dict = {"@context": SEARCH1_CONTEXT,
                 "@id": _page_url(service, q, page if paged else 0),
                 "@type": "sc:AnnotationList"}
    if paged:
        out["within"] = {"@type": "sc:Layer", "total": total,
                         "first": _page_url(service, q, 1),
                         "last": _page_url(service, q, npages)}
        if page < npages:
            out["next"] = _page_url(service, q, page + 1)
        if page > 1:
            out["prev"] = _page_url(service, q, page - 1)
        out["startIndex"] = (page - 1) * page_size
    else:
        out["within"] = {"@type": "sc:Layer", "total": total}
    if ignored:
        out["ignored"] = list(ignored)
    out["resources"] = resources
    out["hits"] = hits
    return out


def term_list1(terms: Sequence[tuple[str, int]], *, base: str, item_id: str, q: str,
               ignored: Sequence[str] = ()) -> dict:
    """The Search 1.0 autocomplete TermList; each term links to its 1.0 search."""
    out: dict = {"@context": "http://iiif.io/api/search/1/context.json",
                 "@id": _page_url(autocomplete1_url(base, item_id), q),
                 "@type": "search:TermList"}
    if ignored:
        out["ignored"] = list(ignored)
    out["terms"] = [{"match": term, "url": _page_url(search1_url(base, item_id), term),
                     "count": int(count)} for term, count in terms]
    return out
