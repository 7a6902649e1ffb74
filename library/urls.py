"""Every public URL of Sudur, in one home: the paths of DESIGN.md's URL table and the URIs the
IIIF documents mint (canvases, ranges, search hits).

Each path is spelled once, as a ``Route`` in werkzeug's rule syntax. The viewer registers its
views on ``Route.rule``; the builders below fill the same rule, so a page, the API, the Image
API's ``info.json`` and the Presentation and Content Search documents cannot disagree with the
routes. Builders take a ``base``: scheme, host and any path prefix without a trailing slash
(``https://lib.example/sudur``), or ``""`` for a path on this site. Nothing here does I/O.
"""
from __future__ import annotations

import re
from typing import Mapping, Optional
from urllib.parse import quote, urlencode

_VARIABLE = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


class Route:
    """One URL rule: ``rule`` for the router, ``path(**values)`` for links to it."""

    __slots__ = ("rule", "_template")

    def __init__(self, rule: str) -> None:
        self.rule = rule
        self._template = _VARIABLE.sub(r"{\1}", rule)

    def path(self, **values: object) -> str:
        return self._template.format(**values)

    def template(self, **values: object) -> str:
        """The path with ``values`` filled and every other variable left as ``{name}``, for a
        script to fill (``/api/items/x/pages/{order}``)."""
        blanks = {name: "{" + name + "}" for name in _VARIABLE.findall(self.rule)}
        return self._template.format(**{**blanks, **values})

    @property
    def prefix(self) -> str:
        """The fixed start of the rule, up to its first variable (``/embed/``)."""
        return self.rule.split("<", 1)[0]

    def __repr__(self) -> str:
        return f"Route({self.rule!r})"


# --- the site --------------------------------------------------------------------------------
HOME = Route("/")
SEARCH = Route("/search")
RECORD = Route("/items/<item>")
READER = Route("/items/<item>/read")
TEI = Route("/items/<item>/tei")
TEXT = Route("/items/<item>/text")
EDITION = Route("/items/<item>/edition")  # the full text as an edition, a window of pages at a time
COMPARE = Route("/compare")
KIOSK = Route("/kiosk/<collection>")
LANGUAGE = Route("/lang/<code>")
EMBED = Route("/embed/<item>")
OEMBED = Route("/oembed")
OAI = Route("/oai")
DOWNLOAD_PDF = Route("/items/<item>/download.pdf")  # ?pages=3-10&size=1000|2000|max
DOWNLOAD_ZIP = Route("/items/<item>/download.zip")  # ?pages=&size=1000|2000|max(masters)
DOWNLOADS = Route("/items/<item>/downloads")  # POST pages, size: start a PDF's build
DOWNLOAD_JOB = Route("/items/<item>/downloads/<job>")  # its progress (HTML)
DOWNLOAD_JOB_JSON = Route("/items/<item>/downloads/<job>.json")  # its progress (JSON)
WORK = Route("/works/<work>")  # a multi-volume work's page
WORK_READ = Route("/works/<work>/read")  # ?volume=ka&page=12a: the citable way into a volume

# --- JSON for programs -----------------------------------------------------------------------
API_PREFIX = "/api"
API_SEARCH = Route(API_PREFIX + "/search")
API_PAGE = Route(API_PREFIX + "/items/<item>/pages/<order>")  # parsed by numbers.parse_order
API_PAGES = Route(API_PREFIX + "/items/<item>/pages")  # labels, by range of orders
API_ITEM_SEARCH = Route(API_PREFIX + "/items/<item>/search")

# --- IIIF ------------------------------------------------------------------------------------
IIIF_PREFIX = "/iiif"
IMAGE_PREFIX = IIIF_PREFIX + "/3"
IMAGE = Route(IMAGE_PREFIX + "/<ident>")
IMAGE_INFO = Route(IMAGE_PREFIX + "/<ident>/info.json")
IMAGE_REQUEST = Route(IMAGE_PREFIX + "/<ident>/<region>/<size>/<rotation>/<quality_format>")
MANIFEST = Route("/iiif/<item_id>/manifest")
ANNOTATIONS = Route("/iiif/<item_id>/annotations/<order>")  # parsed by numbers.parse_order
COLLECTION = Route("/iiif/collection/<collection_id>")
SEARCH2 = Route("/iiif/<item_id>/search")
SEARCH1 = Route("/iiif/<item_id>/search1")
AUTOCOMPLETE2 = Route("/iiif/<item_id>/autocomplete")
AUTOCOMPLETE1 = Route("/iiif/<item_id>/autocomplete1")
# a multi-volume work: a multi-part Collection of its volumes' manifests, and its Content Search
WORK_COLLECTION = Route("/iiif/work/<work_id>")
WORK_SEARCH2 = Route("/iiif/work/<work_id>/search")
WORK_SEARCH1 = Route("/iiif/work/<work_id>/search1")
# Identifiers inside IIIF documents, not served on their own (viewers only compare them).
CANVAS = Route("/iiif/<item_id>/canvas/<int:order>")
RANGE = Route("/iiif/<item_id>/range/<rid>")
HIT = Route("/iiif/<item_id>/hit/<int:order>/<int:start>-<int:end>")
WORK_RANGE = Route("/iiif/work/<work_id>/range/<rid>")  # a division, in each volume it spans

SERVED = (HOME, SEARCH, RECORD, READER, TEI, TEXT, EDITION, COMPARE, KIOSK, LANGUAGE, EMBED, OEMBED, OAI,
          API_SEARCH, API_PAGE, API_PAGES, API_ITEM_SEARCH, IMAGE, IMAGE_INFO, IMAGE_REQUEST, MANIFEST,
          ANNOTATIONS, COLLECTION, SEARCH2, SEARCH1, AUTOCOMPLETE2, AUTOCOMPLETE1,
          WORK, WORK_READ, WORK_COLLECTION, WORK_SEARCH2, WORK_SEARCH1)
SERVED += (DOWNLOAD_PDF, DOWNLOAD_ZIP, DOWNLOADS, DOWNLOAD_JOB, DOWNLOAD_JOB_JSON)


def with_query(url: str, query: Mapping[str, object]) -> str:
    """``url`` with ``query`` appended (nothing when it is empty)."""
    return f"{url}?{urlencode(query)}" if query else url


# --- the site --------------------------------------------------------------------------------

def home_url(base: str) -> str:
    return base + HOME.path()


def record_url(base: str, item_id: str) -> str:
    return base + RECORD.path(item=item_id)


def reader_url(base: str, item_id: str, page: Optional[int] = None) -> str:
    return with_query(base + READER.path(item=item_id), {} if page is None else {"page": page})


def tei_url(base: str, item_id: str) -> str:
    return base + TEI.path(item=item_id)


def text_url(base: str, item_id: str) -> str:
    return base + TEXT.path(item=item_id)


def embed_url(base: str, item_id: str, query: Optional[Mapping[str, object]] = None) -> str:
    """The embeddable reader; ``query`` may name ``page`` and ``region``."""
    return with_query(base + EMBED.path(item=item_id), query or {})


def item_in_path(path: str) -> Optional[str]:
    """The item a record, reader or embed page path names (``/items/x/read`` -> ``x``), else
    None; whether it is a valid item id is the caller's question."""
    segments = [s for s in path.split("/") if s]
    heads = {RECORD.prefix.strip("/"), EMBED.prefix.strip("/")}
    if len(segments) < 2 or segments[0] not in heads:
        return None
    return segments[1]


# --- IIIF Image API --------------------------------------------------------------------------

def image_service_url(base: str, image_id: str) -> str:
    """The Image API base URI of one image (its ``info.json`` id)."""
    return base + IMAGE.path(ident=image_id)


def image_info_url(base: str, image_id: str) -> str:
    return base + IMAGE_INFO.path(ident=image_id)


def image_url(base: str, image_id: str, size: str = "max", region: str = "full") -> str:
    """An image request for the default quality, unrotated, as JPEG."""
    return base + IMAGE_REQUEST.path(ident=image_id, region=region, size=size, rotation="0",
                                     quality_format="default.jpg")


def thumbnail_url(base: str, image_id: str, width: int) -> str:
    return image_url(base, image_id, size=f"{width},")


# --- IIIF Presentation and Content Search ----------------------------------------------------

def manifest_url(base: str, item_id: str) -> str:
    return base + MANIFEST.path(item_id=item_id)


def canvas_url(base: str, item_id: str, order: int) -> str:
    return base + CANVAS.path(item_id=item_id, order=order)


def annotation_page_url(base: str, item_id: str, order: int) -> str:
    """The transcription AnnotationPage of a canvas; the viewer serves it at this URL."""
    return base + ANNOTATIONS.path(item_id=item_id, order=order)


def range_url(base: str, item_id: str, range_id: str) -> str:
    return base + RANGE.path(item_id=item_id, rid=range_id)


def collection_url(base: str, collection_id: str, page: int = 0) -> str:
    url = base + COLLECTION.path(collection_id=quote(collection_id, safe=""))
    return f"{url}?page={page}" if page else url


def search_url(base: str, item_id: str) -> str:
    return base + SEARCH2.path(item_id=item_id)


def search1_url(base: str, item_id: str) -> str:
    return base + SEARCH1.path(item_id=item_id)


def autocomplete_url(base: str, item_id: str) -> str:
    return base + AUTOCOMPLETE2.path(item_id=item_id)


def autocomplete1_url(base: str, item_id: str) -> str:
    return base + AUTOCOMPLETE1.path(item_id=item_id)


def hit_url(base: str, item_id: str, order: int, start: int, end: int) -> str:
    """The annotation id of one Content Search match."""
    return base + HIT.path(item_id=item_id, order=order, start=start, end=end)


# --- citations and Change Discovery (issue 14) -----------------------------------------------
CITE_RIS = Route("/items/<item>/cite.ris")
CITE_BIB = Route("/items/<item>/cite.bib")
CITE_JSON = Route("/items/<item>/cite.json")
CITE_TXT = Route("/items/<item>/cite.txt")
CITE = {"ris": CITE_RIS, "bib": CITE_BIB, "json": CITE_JSON, "txt": CITE_TXT}
DISCOVERY = Route(IIIF_PREFIX + "/discovery")
DISCOVERY_PAGE = Route(IIIF_PREFIX + "/discovery/page/<int:number>")
SERVED = SERVED + (CITE_RIS, CITE_BIB, CITE_JSON, CITE_TXT, DISCOVERY, DISCOVERY_PAGE)


def cite_url(base: str, item_id: str, fmt: str, page: Optional[str] = None) -> str:
    """The ``fmt`` export (ris, bib, json, txt) of an item's citation, or of one page's."""
    return with_query(base + CITE[fmt].path(item=item_id), {} if page is None else {"page": page})


def discovery_url(base: str) -> str:
    """The Change Discovery OrderedCollection of the library's activities."""
    return base + DISCOVERY.path()


def discovery_page_url(base: str, number: int) -> str:
    """One OrderedCollectionPage of activities (0 holds the oldest)."""
    return base + DISCOVERY_PAGE.path(number=number)


# --- multi-volume works ----------------------------------------------------------------------

def work_url(base: str, work_id: str) -> str:
    """The work's page on the site."""
    return base + WORK.path(work=work_id)


def work_read_url(base: str, work_id: str, volume: str, page: Optional[str] = None) -> str:
    """The citable URL of a page of a work: its volume's label and the page's label as written
    (``/works/kangyur/read?volume=ka&page=12a``); it leads to that volume's reader."""
    query = {"volume": volume} if page is None else {"volume": volume, "page": page}
    return with_query(base + WORK_READ.path(work=work_id), query)


def work_collection_url(base: str, work_id: str) -> str:
    return base + WORK_COLLECTION.path(work_id=work_id)


def work_search_url(base: str, work_id: str) -> str:
    return base + WORK_SEARCH2.path(work_id=work_id)


def work_search1_url(base: str, work_id: str) -> str:
    return base + WORK_SEARCH1.path(work_id=work_id)


def work_range_url(base: str, work_id: str, rid: str) -> str:
    return base + WORK_RANGE.path(work_id=work_id, rid=rid)
