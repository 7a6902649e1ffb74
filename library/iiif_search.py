"""IIIF Content Search 2.0 and 1.0, and autocomplete: pure builders from search hits.

The search engine (``catalog.search``) gives, per page, the page's indexed text and the character
spans of every match. Here each span becomes one match: its quote (prefix/exact/suffix) and the
regions of the canvas it covers, one per line it runs over (a phrase may run from the foot of
one vertical Mongolian column to the head of the next): the union of the boxes of its words on
that line, else the line's box, else the whole canvas. Those are then written as

- a Search 2.0 ``AnnotationPage``: one ``highlighting`` annotation per region targeting the
  canvas, plus, in ``annotations``, one ``contextualizing`` annotation per match carrying its
  ``TextQuoteSelector`` (split over its regions, as the specification's multi-annotation
  matches); paged with ``partOf``/``next``/``prev`` when long;
- a Search 1.0 ``sc:AnnotationList`` with ``resources`` (one per region) and ``hits``
  (before/match/after), the form Mirador and the Universal Viewer draw;
- a Search 2.0 ``TermPage`` for autocomplete, and a 1.0 ``search:TermList`` (Mirador's).

Hits are duck-typed (``order``, ``label``, ``text``, ``spans``), so this module does not import the
catalogue.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Protocol, Sequence

from .iiif_presentation import SEARCH2_CONTEXT, clip_box
from .langtags import SPACELESS_CLASS
from .models import Box, Page, union_boxes
from .urls import (autocomplete1_url, autocomplete_url, canvas_url, hit_url, search1_url,
                   search_url, with_query)

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
class Segment:
    """The part of a match on one line: its characters and their region (None: whole canvas)."""

    start: int
    end: int
    text: str
    box: Optional[Box]


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
    segments: list[Segment]

    @property
    def box(self) -> Optional[Box]:
        """The region of the whole match (None: the whole canvas)."""
        boxes = [s.box for s in self.segments]
        return None if None in boxes else union_boxes(boxes)

    def anno_id(self, base: str, item_id: str) -> str:
        return hit_url(base, item_id, self.order, self.start, self.end)

    def parts(self, base: str, item_id: str) -> list[tuple[str, str, Segment]]:
        """(annotation id, canvas target, segment) for each region of the match."""
        canvas = canvas_url(base, item_id, self.order)
        aid = self.anno_id(base, item_id)
        many = len(self.segments) > 1
        return [(f"{aid}/{n}" if many else aid,
                 f"{canvas}#xywh={seg.box.xywh()}" if seg.box else canvas, seg)
                for n, seg in enumerate(self.segments, start=1)]


# --- from hits to matches --------------------------------------------------------------------

def flatten(hits: Iterable[HitLike]) -> list[tuple[HitLike, tuple[int, int]]]:
    """Every (hit, span) in reading order: pages by order, spans by offset."""
    out = []
    for hit in sorted(hits, key=lambda h: h.order):
        for span in sorted(hit.spans):
            out.append((hit, (int(span[0]), int(span[1]))))
    return out


def quote(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> tuple[str, str, str]:
    """prefix, exact, suffix around ``text[start:end]``, on one line."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))

    return (_flat(text[max(0, start - width):start]), _flat(text[start:end]),
            _flat(text[end:end + width]))


# Chinese runs on across a line break, and so does Tibetan after a tsheg or shad; words in the
# other scripts are separated by it.
_HAN = SPACELESS_CLASS
_RUN_ON_BREAK = re.compile(f"(?<=[{_HAN}\u0f0b-\u0f14])\n|\n(?=[{_HAN}])")


def _flat(s: str) -> str:
    """A quote on one line: line breaks become spaces, or nothing where the script runs on."""
    return _RUN_ON_BREAK.sub("", s).replace("\n", " ")


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1 if a1 > a0 else b0 <= a0 < b1


def span_regions(page: Optional[Page], start: int, end: int) -> list[tuple[int, int, Box]]:
    """Where ``page.text[start:end]`` lies, line by line: (start, end, box) for each line it
    touches, the box being the union of its words' boxes there, else the line's box. Empty when
    nothing is known, as for spans past the display text (alternative readings)."""
    if page is None or start >= len(page.text):
        return []
    out = []
    for line in page.lines:
        words = [w for w in line.words
                 if w.box is not None and w.start >= 0 and _overlaps(start, end, w.start, w.end)]
        if words:
            box = clip_box(union_boxes(w.box for w in words), page)
            lo, hi = min(w.start for w in words), max(w.end for w in words)
        elif line.box is not None and line.start >= 0 and _overlaps(start, end, line.start,
                                                                      line.end):
            box, lo, hi = clip_box(line.box, page), line.start, line.end
        else:
            continue
        if box is not None:
            out.append((max(start, lo), min(end, hi), box))
    return out


def span_box(page: Optional[Page], start: int, end: int) -> Optional[Box]:
    """The region of ``page.text[start:end]`` as one box (None: unknown, the whole canvas)."""
    return union_boxes(box for _s, _e, box in span_regions(page, start, end))


def make_match(hit: HitLike, span: tuple[int, int], page: Optional[Page]) -> Match:
    start, end = span
    prefix, exact, suffix = quote(hit.text, start, end)
    regions = span_regions(page, start, end)
    segments = [Segment(s, e, _flat(hit.text[s:e]), box) for s, e, box in regions]
    if not segments:
        segments = [Segment(start, end, exact, None)]
    return Match(order=hit.order, label=hit.label, start=start, end=end, exact=exact,
                 prefix=prefix, suffix=suffix, segments=segments)


def ignored_params(args: Mapping[str, str]) -> list[str]:
    """The defined parameters present in a request that Sudur does not apply."""
    return [p for p in UNSUPPORTED_PARAMS if args.get(p)]


# --- Content Search 2.0 ----------------------------------------------------------------------

def page_url(service: str, q: str, page: int = 0) -> str:
    """A page of a search service's results (0: the whole, unpaged)."""
    return with_query(service, {"q": q, "page": page} if page else {"q": q})


def _context_target(m: Match, parts: list[tuple[str, str, Segment]]) -> dict | list[dict]:
    """TextQuoteSelectors on the region annotations: the prefix on the first, the suffix on the
    last (one region: the whole quote on it)."""
    targets = []
    for n, (aid, _target, seg) in enumerate(parts):
        sel = {"type": "TextQuoteSelector", "exact": seg.text if len(parts) > 1 else m.exact}
        if n == 0 and m.prefix:
            sel["prefix"] = m.prefix
        if n == len(parts) - 1 and m.suffix:
            sel["suffix"] = m.suffix
        targets.append({"type": "SpecificResource", "source": aid, "selector": [sel]})
    return targets[0] if len(targets) == 1 else targets


def search2_response(matches: Sequence[Match], *, base: str, item_id: str, q: str,
                     total: int, page: int = 1, page_size: int = PAGE_SIZE,
                     language: str = "", ignored: Sequence[str] = ()) -> dict:
    """The Search 2.0 AnnotationPage for one page (1-based) of ``total`` matches.

    ``matches`` are those of this page only. With everything on one page the response is a
    simple list; otherwise it is one page of an AnnotationCollection. ``items`` holds one
    annotation per region (so a match over two lines gives two), ``annotations`` one per match.
    """
    service = search_url(base, item_id)
    items, contexts = [], []
    for m in matches:
        parts = m.parts(base, item_id)
        for aid, target, seg in parts:
            body = {"type": "TextualBody", "value": seg.text, "format": "text/plain"}
            if language:
                body["language"] = language
            items.append({"id": aid, "type": "Annotation", "motivation": "highlighting",
                          "body": body, "target": target})
        contexts.append({"id": f"{m.anno_id(base, item_id)}/context", "type": "Annotation",
                         "motivation": "contextualizing", "target": _context_target(m, parts)})
    return annotation_page(service, q, items, contexts, total=total, page=page,
                           page_size=page_size, ignored=ignored)


def annotation_page(service: str, q: str, items: list[dict], contexts: list[dict], *,
                    total: int, page: int, page_size: int, ignored: Sequence[str] = ()) -> dict:
    """One Search 2.0 AnnotationPage of ``total`` matches, ``page_size`` to a page: the paging
    links (partOf, first, last, next, prev, startIndex) only when there is more than one page.
    Shared by the item's and the work's search service."""
    npages = max(1, -(-total // page_size))
    paged = npages > 1
    out: dict = {"@context": SEARCH2_CONTEXT,
                 "id": page_url(service, q, page if paged else 0),
                 "type": "AnnotationPage"}
    if ignored:
        out["ignored"] = list(ignored)
    if paged:
        out["partOf"] = {"id": page_url(service, q), "type": "AnnotationCollection",
                         "total": total,
                         "first": {"id": page_url(service, q, 1), "type": "AnnotationPage"},
                         "last": {"id": page_url(service, q, npages), "type": "AnnotationPage"}}
        if page < npages:
            out["next"] = {"id": page_url(service, q, page + 1), "type": "AnnotationPage"}
        if page > 1:
            out["prev"] = {"id": page_url(service, q, page - 1), "type": "AnnotationPage"}
        out["startIndex"] = (page - 1) * page_size
    out["items"] = items
    if contexts:
        out["annotations"] = [{"type": "AnnotationPage", "items": contexts}]
    return out


def term_page(terms: Sequence[tuple[str, int]], *, base: str, item_id: str, q: str,
              ignored: Sequence[str] = ()) -> dict:
    """The autocomplete TermPage; each term links to its search."""
    out: dict = {"@context": SEARCH2_CONTEXT,
                 "id": page_url(autocomplete_url(base, item_id), q),
                 "type": "TermPage"}
    if ignored:
        out["ignored"] = list(ignored)
    out["items"] = [{"type": "Term", "value": term, "total": int(count),
                     "service": [{"id": page_url(search_url(base, item_id), term),
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
        parts = m.parts(base, item_id)
        for aid, target, seg in parts:
            resources.append({"@id": aid, "@type": "oa:Annotation", "motivation": "sc:painting",
                              "resource": {"@type": "cnt:ContentAsText", "chars": seg.text},
                              "on": target})
        hit = {"@type": "search:Hit", "annotations": [aid for aid, _t, _s in parts],
               "match": m.exact}
        if m.prefix:
            hit["before"] = m.prefix
        if m.suffix:
            hit["after"] = m.suffix
        hits.append(hit)
    out: dict = {"@context": SEARCH1_CONTEXT,
                 "@id": page_url(service, q, page if paged else 0),
                 "@type": "sc:AnnotationList"}
    if paged:
        out["within"] = {"@type": "sc:Layer", "total": total,
                         "first": page_url(service, q, 1),
                         "last": page_url(service, q, npages)}
        if page < npages:
            out["next"] = page_url(service, q, page + 1)
        if page > 1:
            out["prev"] = page_url(service, q, page - 1)
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
                 "@id": page_url(autocomplete1_url(base, item_id), q),
                 "@type": "search:TermList"}
    if ignored:
        out["ignored"] = list(ignored)
    out["terms"] = [{"match": term, "url": page_url(search1_url(base, item_id), term),
                     "count": int(count)} for term, count in terms]
    return out
