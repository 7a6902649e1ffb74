"""IIIF Presentation API 3.0: manifests, collections and transcription annotation pages.

Pure functions from the records of ``library.models`` to JSON-ready dicts, built with iiif-prezi3
so that what we emit is checked by its models (canvases and ranges excepted: see Speed below).
Nothing here does I/O but reading its table of labels (``data/iiif_labels.json``) at import.

Every URL is made by library.urls from a ``base`` (scheme, host and any path prefix, no trailing
slash). Manifests are built once with ``PLACEHOLDER_BASE`` and cached; ``rebase`` swaps in the
public base when serving, so a change of host name never needs a rebuild.

Speed: a canvas built through iiif-prezi3's pydantic models costs about half a millisecond (five
seconds for a 10,000-page volume, and the list is re-validated on every append besides). So
canvases, the one part that grows with the page count, are built directly as the dicts those
models emit, key order included, and set into the Manifest the models built and checked;
tests/test_iiif_presentation.py passes every kind of canvas back through the models to prove the
two identical, and the official schema checks the whole.
"""
from __future__ import annotations

import bisect
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Optional, Sequence

from iiif_prezi3 import (Annotation, AnnotationPage, Collection as PreziCollection, CollectionRef,
                         Manifest, ManifestRef, TextualBody)

from . import langtags, roles
from .errors import NotFoundError
from .models import Box, Collection, Item, LangMap, Page, TocEntry
from .urls import (annotation_page_url, autocomplete1_url, autocomplete_url, canvas_url,
                   collection_url, home_url, image_service_url, image_url, manifest_url,
                   range_url, record_url, search1_url, search_url, tei_url, text_url,
                   thumbnail_url)

# Bump when the shape of built manifests changes, so cached copies are rebuilt.
MANIFEST_FORMAT = 6  # 6: languages, scripts named; 5: roles, genres in words; 4: works

PLACEHOLDER_BASE = "https://sudur.invalid"
PREZI3_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
SEARCH2_CONTEXT = "http://iiif.io/api/search/2/context.json"
CONTENT_TYPE = f'application/ld+json;profile="{PREZI3_CONTEXT}"'

SEARCH1_PROFILE = "http://iiif.io/api/search/1/search"
AUTOCOMPLETE1_PROFILE = "http://iiif.io/api/search/1/autocomplete"
TEI_PROFILE = "http://www.tei-c.org/ns/1.0"
DEFAULT_RIGHTS = "http://rightsstatements.org/vocab/CNE/1.0/"  # Copyright Not Evaluated
COLLECTION_PAGE_SIZE = 500

VIEWING_DIRECTIONS = ("left-to-right", "right-to-left", "top-to-bottom", "bottom-to-top")
BEHAVIORS = ("auto-advance", "no-auto-advance", "repeat", "no-repeat", "unordered", "individuals",
             "continuous", "paged", "facing-pages", "non-paged", "multi-part", "together",
             "sequence", "thumbnail-nav", "no-nav", "hidden")

# A page without an image still needs a canvas; these shapes look like the leaves they stand for.
TEXT_CANVAS_BOOK = (1000, 1400)
TEXT_CANVAS_POTHI = (2400, 600)

# The labels the documents give their parts, in the languages they are offered in.
_LABELS: dict[str, LangMap] = json.loads(
    (Path(__file__).parent / "data" / "iiif_labels.json").read_text(encoding="utf-8"))


# --- the public base (URLs themselves are built in library.urls) ------------------------------

def rebase(serialized: str, base: str) -> str:
    """Swap the placeholder base of cached JSON for the public one (JSON-escaped)."""
    return serialized.replace(PLACEHOLDER_BASE, json.dumps(base.rstrip("/"))[1:-1])


# --- small helpers ---------------------------------------------------------------------------

def lang_map(values: Mapping[str, str] | None, fallback: str = "") -> dict[str, list[str]]:
    """A model language map (tag -> text) as a IIIF one (key -> [text], keys by
    ``langtags.language_map_key``); ``none`` for untagged text, or ``fallback`` if empty."""
    out = langtags.iiif_language_map(values or {})
    if not out and fallback:
        out = {"none": [fallback]}
    return out


def _none(*texts: str) -> dict[str, list[str]]:
    return {"none": [t for t in texts if t]}


def _label(key: str) -> dict[str, list[str]]:
    return lang_map(_LABELS[key])


def _pair(key: str, value: dict[str, list[str]]) -> dict:
    return {"label": _label(key), "value": value}


def normalize_rights(uri: str) -> Optional[str]:
    """A Creative Commons or RightsStatements.org URI in the form IIIF wants, else ``None``.

    Both vocabularies are identified by their ``http://`` URIs; ``https`` and a missing trailing
    slash are common in TEI headers, so they are mended rather than refused.
    """
    m = re.match(r"^\s*https?://(creativecommons\.org/(?:licenses|publicdomain)/[^\s?#]+?|"
                 r"rightsstatements\.org/(?:vocab|page)/[^\s?#]+?)/?\s*$", uri or "")
    if not m:
        return None
    path = m.group(1).replace("rightsstatements.org/page/", "rightsstatements.org/vocab/")
    return f"http://{path}/"


def default_viewing(item: Item) -> tuple[str, list[str]]:
    """viewingDirection and behavior: the item's own, else by its script and book form.

    Mongolian books (written in vertical columns, left to right) read left to right, paged;
    Tibetan pothi are loose oblong leaves: ``individuals``; Chinese thread-bound books read right
    to left, paged.
    """
    family = _script_family(item)
    if family == "Mong":
        direction, behavior = "left-to-right", ["paged"]
    elif family == "Tibt":
        direction, behavior = "left-to-right", ["individuals"]
    elif family == "Hani":
        direction, behavior = "right-to-left", ["paged"]
    else:
        direction, behavior = "left-to-right", []
    if item.viewing_direction in VIEWING_DIRECTIONS:
        direction = item.viewing_direction
    own = [b for b in item.behavior if b in BEHAVIORS]
    return direction, own or behavior


def _script_family(item: Item) -> str:
    return langtags.book_script([item.writing_system, *item.languages], item.scripts) or ""


def text_language(item: Item) -> str:
    """The BCP 47 tag of the transcription, for TextualBody ``language``, as written (es-419
    included: there the schema takes any string); ``und`` when the item has no valid one."""
    tag = item.writing_system or (item.languages[0] if item.languages else "")
    return tag if langtags.is_valid_tag(tag) else "und"


def text_canvas_size(item: Item, page: Page) -> tuple[int, int]:
    """Width and height for a page without an image: like its imaged neighbours, else its form."""
    sized = [p for p in item.pages if p.has_image]
    if sized:
        before = [p for p in sized if p.order < page.order]
        ref = before[-1] if before else sized[0]
        return ref.width, ref.height
    _direction, behavior = default_viewing(item)
    return TEXT_CANVAS_POTHI if "individuals" in behavior else TEXT_CANVAS_BOOK


# --- annotations -----------------------------------------------------------------------------

def image_service(base: str, image: str, width: int, height: int) -> dict:
    return {"id": image_service_url(base, image), "type": "ImageService3", "profile": "level2",
            "width": width, "height": height}


def _thumbnail(base: str, page: Page, thumb_width: int) -> dict:
    w = min(thumb_width, page.width)
    h = max(1, round(page.height * w / page.width))
    return {"id": thumbnail_url(base, page.image_id, w),
            "type": "Image", "format": "image/jpeg", "width": w, "height": h,
            "service": [image_service(base, page.image_id, page.width, page.height)]}


def _painting_page(base: str, page: Page, canvas_id: str) -> dict:
    """The painting AnnotationPage of a canvas (the model's dump of an AnnotationPage holding
    one Annotation, or none for a page without an image)."""
    items = []
    if page.has_image:
        body = {"id": image_url(base, page.image_id), "type": "Image", "height": page.height,
                "width": page.width,
                "service": [image_service(base, page.image_id, page.width, page.height)],
                "format": "image/jpeg"}
        items.append({"id": f"{canvas_id}/painting/image", "type": "Annotation",
                      "motivation": "painting", "body": body, "target": canvas_id})
    return {"id": f"{canvas_id}/painting", "type": "AnnotationPage", "items": items}


def _line_text(page: Page, line_text: str, start: int, end: int) -> str:
    if 0 <= start < end <= len(page.text):
        return page.text[start:end].strip("\n")
    return line_text


def build_annotation_page(item: Item, page: Page, base: str) -> dict:
    """The supplementing AnnotationPage of one canvas: the page's transcription as a whole
    (a TextualBody with its language), then one annotation per line that has a box."""
    canvas_id = canvas_url(base, item.id, page.order)
    page_id = annotation_page_url(base, item.id, page.order)
    language = text_language(item)
    annos = []
    if page.text:
        annos.append(Annotation(
            id=f"{page_id}/text", motivation="supplementing", target=canvas_id,
            body=TextualBody(value=page.text, format="text/plain", language=language)))
    for n, line in enumerate(page.lines, start=1):
        box = clip_box(line.box, page)
        if box is None or not (line.text or line.end > line.start):
            continue
        annos.append(Annotation(
            id=f"{page_id}/line/{n}", motivation="supplementing",
            target=f"{canvas_id}#xywh={box.xywh()}",
            body=TextualBody(value=_line_text(page, line.text, line.start, line.end),
                             format="text/plain", language=language)))
    ap = AnnotationPage(id=page_id, label=_label("transcription"), items=annos)
    return _dump(ap)


def clip_box(box: Optional[Box], page: Page) -> Optional[Box]:
    """The part of a box inside the page image, None if none: OCR boxes sometimes overhang the
    image by a few pixels, and a box off the image is useless as a target."""
    if box is None or not page.has_image:
        return box
    x0, y0 = max(0, box.x), max(0, box.y)
    x1, y1 = min(page.width, box.x + box.w), min(page.height, box.y + box.h)
    if x1 <= x0 or y1 <= y0:
        return None
    return Box(x0, y0, x1 - x0, y1 - y0)


# --- manifest --------------------------------------------------------------------------------

def _metadata(item: Item, rights_note: str) -> list[dict]:
    md: list[dict] = []
    if item.titles:
        md.append(_pair("title", lang_map(item.titles)))
    by_role: dict[str, list[str]] = {}
    for r in item.responsibility:
        by_role.setdefault(r.role or "author", []).append(r.name)
    for role, names in by_role.items():
        words = roles.role_words(role)
        label = lang_map(words) if words else _none(role)
        md.append({"label": label, "value": _none(*names)})
    date = item.date_text or _date_range(item)
    genre = roles.genre_words(item.genre or "")  # a genre the table knows is given in words
    for key, value in (("date", date), ("place", item.place), ("institution", item.institution),
                       ("shelfmark", item.shelfmark), ("idno", item.idno),
                       ("extent", item.extent), ("genre", item.genre),
                       ("encoding", item.encoding_notes), ("rights", rights_note)):
        if value:
            md.append(_pair(key, lang_map(genre) if key == "genre" and genre else _none(value)))
    if item.languages:  # named; the codes stay in each TextualBody's ``language``
        md.append(_pair("languages", roles.language_names(item.languages)))
    if item.scripts:
        md.append(_pair("scripts", roles.script_names(item.scripts)))
    return md


def _date_range(item: Item) -> str:
    if item.date_from is None and item.date_to is None:
        return ""
    if item.date_from == item.date_to or item.date_to is None:
        return str(item.date_from)
    if item.date_from is None:
        return str(item.date_to)
    return f"{item.date_from}–{item.date_to}"


def _required_statement(item: Item) -> dict:
    held = ", ".join(x for x in (item.institution, item.shelfmark) if x)
    value = _none(held) if held else _label("library")
    return {"label": _label("attribution"), "value": value}


def _provider(base: str) -> list[dict]:
    return [{"id": home_url(base), "type": "Agent", "label": _label("library"),
             "homepage": [{"id": home_url(base), "type": "Text", "label": _label("library"),
                           "format": "text/html"}]}]


def search_services(base: str, item_id: str) -> list[dict]:
    """Content Search 2.0 (with its autocomplete) and 1.0 of an item, as its manifest lists them."""
    return [
        {"id": search_url(base, item_id), "type": "SearchService2",
         "service": [{"id": autocomplete_url(base, item_id), "type": "AutoCompleteService2"}]},
        {"@id": search1_url(base, item_id), "@type": "SearchService1",
         "profile": SEARCH1_PROFILE,
         "service": [{"@id": autocomplete1_url(base, item_id), "@type": "AutoCompleteService1",
                      "profile": AUTOCOMPLETE1_PROFILE}]},
    ]


def _links(item: Item, base: str) -> tuple[list, list, list]:
    homepage = [{"id": record_url(base, item.id), "type": "Text", "label": _label("record"),
                 "format": "text/html"}]
    tei = {"id": tei_url(base, item.id), "format": "application/tei+xml", "profile": TEI_PROFILE,
           "label": _label("tei")}
    see_also = [dict(tei, type="Dataset")] if item.tei_file else []
    rendering = [{"id": text_url(base, item.id), "type": "Text", "format": "text/plain",
                  "label": _label("text")}]
    if item.tei_file:
        rendering.append(dict(tei, type="Text"))
    return homepage, see_also, rendering


def build_canvases(item: Item, base: str) -> list[dict]:
    """One Canvas per page, as the dict iiif-prezi3's ``Canvas`` dumps to: the image painted
    with its service, the transcription referenced."""
    fallback = None  # the size of image-less canvases, found at the first one
    transcription = _label("transcription")
    canvases = []
    for page in item.pages:
        if not page.has_image and fallback is None:
            fallback = text_canvas_size(item, page)
        width, height = (page.width, page.height) if page.has_image else fallback
        canvas_id = canvas_url(base, item.id, page.order)
        canvas = {"id": canvas_id, "type": "Canvas", "label": _none(page.label or str(page.order)),
                  "height": height, "width": width,
                  "items": [_painting_page(base, page, canvas_id)]}
        if page.text or page.lines:
            canvas["annotations"] = [{
                "id": annotation_page_url(base, item.id, page.order),
                "label": {k: list(v) for k, v in transcription.items()},
                "type": "AnnotationPage"}]
        canvases.append(canvas)
    return canvases


def _toc_end(entries: Sequence[TocEntry], i: int, end_of_parent: int) -> int:
    entry = entries[i]
    if entry.end_page >= entry.page:
        return entry.end_page
    if i + 1 < len(entries):
        return max(entry.page, entries[i + 1].page - 1)
    return max(entry.page, end_of_parent)


def _ranges(item: Item, base: str, entries: Sequence[TocEntry], end_of_parent: int,
            path: str, orders: list[int]) -> list[dict]:
    out = []
    for i, entry in enumerate(entries):
        rid = f"{path}-{i + 1}" if path else str(i + 1)
        end = _toc_end(entries, i, end_of_parent)
        members: list = []
        if entry.children:
            first_child = min(c.page for c in entry.children)
            members += _canvas_refs(item, base, entry.page, first_child - 1, orders)
            members += _ranges(item, base, entry.children, end, rid, orders)
        else:
            members += _canvas_refs(item, base, entry.page, end, orders)
        if not members:
            continue
        out.append({"id": range_url(base, item.id, rid), "type": "Range",
                    "label": lang_map(entry.label, fallback=rid), "items": members})
    return out


def _canvas_refs(item: Item, base: str, first: int, last: int, orders: list[int]) -> list:
    """References to the canvases of the pages ``first``..``last`` (``orders`` ascending): a
    bisection, so a division that claims to end at page 10^9 costs no more than the item."""
    lo, hi = bisect.bisect_left(orders, first), bisect.bisect_right(orders, last)
    return [{"id": canvas_url(base, item.id, o), "type": "Canvas"} for o in orders[lo:hi]]


def build_structures(item: Item, base: str) -> list[dict]:
    """The TEI ``<div>`` tree as one "Table of contents" Range holding nested Ranges, as the
    dicts iiif-prezi3's ``Range`` and ``CanvasRef`` dump to (one reference per page: built
    directly for the reason canvases are, see the module's docstring)."""
    if not item.toc or not item.pages:
        return []
    orders = sorted(p.order for p in item.pages)
    ranges = _ranges(item, base, item.toc, orders[-1], "", orders)
    if not ranges:
        return []
    return [{"id": range_url(base, item.id, "toc"), "type": "Range",
             "label": _label("contents"), "items": ranges}]


def build_manifest(item: Item, base: str = PLACEHOLDER_BASE, *, thumb_width: int = 200) -> dict:
    """The Manifest of one item (its ``pages`` filled) as a JSON-ready dict."""
    direction, behavior = default_viewing(item)
    rights = normalize_rights(item.rights)
    rights_note = item.rights if item.rights and not rights else ""
    homepage, see_also, rendering = _links(item, base)
    props: dict = {
        "id": manifest_url(base, item.id),
        "label": lang_map(item.titles, fallback=item.id),
        "metadata": _metadata(item, rights_note),
        "requiredStatement": _required_statement(item),
        "rights": rights or DEFAULT_RIGHTS,
        "provider": _provider(base),
        "homepage": homepage,
        "rendering": rendering,
        "viewingDirection": direction,
        "service": search_services(base, item.id),
        "items": [],  # the canvases are set into the dump below
    }
    if item.summary:
        props["summary"] = lang_map(item.summary)
    if item.date_from is not None and 0 < item.date_from < 10000:
        # navDate places the volume on a timeline (Mirador's collection view, exhibitions)
        props["navDate"] = datetime(item.date_from, 1, 1, tzinfo=timezone.utc)
    if item.collections:
        props["partOf"] = [{"id": collection_url(base, c), "type": "Collection"}
                           for c in item.collections]
    if behavior:
        props["behavior"] = behavior
    if see_also:
        props["seeAlso"] = see_also
    first_image = next((p for p in item.pages if p.has_image), None)
    if first_image is not None:
        props["thumbnail"] = [_thumbnail(base, first_image, thumb_width)]
    data = _dump(Manifest(**props))
    data["items"] = build_canvases(item, base)
    structures = build_structures(item, base)
    if structures:
        data["structures"] = structures  # after items, where the model puts it
    # The search service needs its own context, listed before the Presentation one.
    data["@context"] = [SEARCH2_CONTEXT, PREZI3_CONTEXT]
    return data


def manifest_json(item: Item, *, thumb_width: int = 200) -> str:
    """The serialized manifest with the placeholder base, as it is cached."""
    return json.dumps(build_manifest(item, PLACEHOLDER_BASE, thumb_width=thumb_width),
                      ensure_ascii=False, separators=(",", ":"))


# --- collections -----------------------------------------------------------------------------

def build_collection(base: str, collection: Optional[Collection], *,
                     subcollections: Sequence[Collection] = (),
                     manifests: Sequence[Item] = (),
                     page: int = 0, page_size: int = COLLECTION_PAGE_SIZE,
                     thumb_width: int = 200) -> dict:
    """A Collection listing sub-collections, then manifests (items without pages suffice).

    ``collection`` None is ``top``. With more members than ``page_size`` the collection lists
    references to its pages (``?page=N``, themselves Collections) instead, and ``page`` N >= 1
    gives the N-th slice. Only the items listed are read from ``manifests`` (by index and
    slice), so a lazy sequence keeps a large collection cheap.
    """
    cid = collection.id if collection else "top"
    total = len(subcollections) + len(manifests)
    label = lang_map(collection.label, fallback=cid) if collection else _label("all")
    props: dict = {"label": label, "provider": _provider(base)}
    if collection and collection.summary:
        props["summary"] = lang_map(collection.summary)
    if collection and collection.parent and len(manifests) and not len(subcollections):
        props["behavior"] = ["multi-part"]  # the volumes of one set
    if collection and collection.parent:
        props["partOf"] = [{"id": collection_url(base, collection.parent),
                            "type": "Collection"}]
    npages = max(1, -(-total // page_size))
    if page:
        if page > npages:
            raise NotFoundError(f"collection {cid!r} has {npages} page(s)")
        lo, hi = (page - 1) * page_size, min(page * page_size, total)
        props.update(label=_numbered(label, lo + 1, hi),
                     partOf=[{"id": collection_url(base, cid), "type": "Collection"}])
        props.pop("behavior", None)
        members = _members(base, subcollections, manifests, lo, hi, thumb_width)
        coll = PreziCollection(id=collection_url(base, cid, page), items=members, **props)
    elif total > page_size:
        pages = []
        for n in range(1, npages + 1):
            lo, hi = (n - 1) * page_size + 1, min(n * page_size, total)
            pages.append(CollectionRef(id=collection_url(base, cid, n), type="Collection",
                                       label=_numbered(label, lo, hi)))
        coll = PreziCollection(id=collection_url(base, cid), items=pages, **props)
    else:
        members = _members(base, subcollections, manifests, 0, total, thumb_width)
        coll = PreziCollection(id=collection_url(base, cid), items=members, **props)
    return _dump(coll)


def _members(base: str, subs: Sequence[Collection], items: Sequence[Item], lo: int, hi: int,
             thumb_width: int) -> list:
    """References to members ``lo``..``hi``-1, sub-collections first."""
    n = len(subs)
    refs: list = [CollectionRef(id=collection_url(base, c.id), type="Collection",
                                label=lang_map(c.label, fallback=c.id))
                  for c in subs[min(lo, n):min(hi, n)]]
    refs += [_manifest_ref(base, it, thumb_width)
             for it in items[max(lo - n, 0):max(hi - n, 0)]]
    return refs


def _numbered(label: dict[str, list[str]], lo: int, hi: int) -> dict[str, list[str]]:
    span = f"{lo}" if lo == hi else f"{lo}–{hi}"
    return {k: [f"{v[0]} ({span})"] for k, v in label.items()}


def _manifest_ref(base: str, item: Item, thumb_width: int) -> ManifestRef:
    extra = {}
    first_image = next((p for p in item.pages if p.has_image), None)
    if first_image is not None:
        extra["thumbnail"] = [_thumbnail(base, first_image, thumb_width)]
    return ManifestRef(id=manifest_url(base, item.id), type="Manifest",
                       label=lang_map(item.titles, fallback=item.id), **extra)


def _dump(obj) -> dict:
    return json.loads(obj.json())
