"""The records of Sudur as plain dataclasses (no I/O).

A ``Collection`` groups items, an ``Item`` is one physical volume (one IIIF Manifest), a ``Page``
is one leaf or page image with its transcription. ``to_dict``/``from_dict`` give the JSON form the
catalogue stores.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from . import roles
from .edition import Tree, tree_from_json

# Used with fullmatch only: ``$`` would let a trailing newline through, and ``\d`` would accept
# any Unicode digit (Arabic-Indic, fullwidth), so the digits are spelled [0-9].
ITEM_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
IMAGE_ID_RE = re.compile(r"([a-z0-9][a-z0-9_-]*)\.([0-9]{4})")

LangMap = dict[str, str]  # BCP 47 tag -> text, e.g. {"mn-Mong": "ᠵᠠᠩᠭᠠᠷ", "en": "Jangar"}


# ids that would shadow a URL of the viewer: /iiif/3/..., /iiif/collection/..., /iiif/work/...
RESERVED_ITEM_IDS = frozenset({"3", "collection", "work"})


def is_item_id(value: str) -> bool:
    return (bool(ITEM_ID_RE.fullmatch(value)) and len(value) <= 120
            and value not in RESERVED_ITEM_IDS)


# collection ids that name something else: /iiif/collection/top and /kiosk/all list everything
RESERVED_COLLECTION_IDS = RESERVED_ITEM_IDS | {"top", "all"}


def is_collection_id(value: str) -> bool:
    return is_item_id(value) and value not in RESERVED_COLLECTION_IDS


def image_id(item_id: str, order: int) -> str:
    """The Image API identifier of a page: ``<item>.<order, 4 digits>``."""
    return f"{item_id}.{order:04d}"


def parse_image_id(value: str) -> Optional[tuple[str, int]]:
    m = IMAGE_ID_RE.fullmatch(value)
    if not m:
        return None
    return m.group(1), int(m.group(2))


@dataclass(frozen=True)
class Box:
    """A rectangle in page-image pixels."""

    x: int
    y: int
    w: int
    h: int

    def xywh(self) -> str:
        return f"{self.x},{self.y},{self.w},{self.h}"


def union_boxes(boxes: Iterable[Box]) -> Optional[Box]:
    """The smallest box holding every box given (None for none)."""
    boxes = list(boxes)
    if not boxes:
        return None
    x0 = min(b.x for b in boxes)
    y0 = min(b.y for b in boxes)
    x1 = max(b.x + b.w for b in boxes)
    y1 = max(b.y + b.h for b in boxes)
    return Box(x0, y0, x1 - x0, y1 - y0)


@dataclass
class Word:
    """A word with its box; ``start``/``end`` are character offsets in ``Page.text``."""

    text: str
    box: Optional[Box] = None
    start: int = -1
    end: int = -1


@dataclass
class Line:
    """A line with its box; ``start``/``end`` are character offsets in ``Page.text``."""

    text: str
    box: Optional[Box] = None
    start: int = -1
    end: int = -1
    words: list[Word] = field(default_factory=list)


@dataclass
class Responsibility:
    role: str  # author, translator, scribe, editor, ...
    name: str

    @property
    def named(self) -> bool:
        """Whether ``name`` names someone: "Unknown scribe" or 佚名 does not (the rule is
        ``library.roles.unnamed``), and the exports leave such an agent out of the creators."""
        return not roles.unnamed(self.name)


@dataclass
class TocEntry:
    """A division of the text (TEI ``<div>``), starting at page ``page`` (order, 1-based)."""

    label: LangMap
    page: int
    end_page: int = 0
    children: list["TocEntry"] = field(default_factory=list)


@dataclass
class Page:
    item_id: str
    order: int  # 1-based reading order
    label: str = ""  # as written on the leaf: 1a, 155b, ᠨᠢᠭᠡ
    image: Optional[str] = None  # path of the master relative to the item's source folder
    width: int = 0
    height: int = 0
    text: str = ""  # the display transcription (one consistent reading, <lb/> as "\n")
    alt_text: str = ""  # other readings (choice/orig, sic, abbr) indexed but not shown
    lines: list[Line] = field(default_factory=list)
    sha256: str = ""  # of the master image
    mode: str = ""  # Pillow mode of the master
    ocr: Optional[str] = None  # path of the OCR file relative to the source folder
    edition: Tree = field(default_factory=list)  # the text as an edition (library.edition)

    @property
    def image_id(self) -> str:
        return image_id(self.item_id, self.order)

    @property
    def has_image(self) -> bool:
        return bool(self.image) and self.width > 0 and self.height > 0


MAX_CENTURIES = 30


def century_of(year: int) -> int:
    """The century of a year: 1700 to 1799 is the 18th (the reading of "the 1700s" catalogues
    and facets use); years before the common era give negative centuries (-1 to -100: -1)."""
    return year // 100 + 1 if year >= 0 else -((-year - 1) // 100 + 1)


@dataclass
class Item:
    id: str
    titles: LangMap = field(default_factory=dict)
    languages: list[str] = field(default_factory=list)  # BCP 47 tags of the text
    scripts: list[str] = field(default_factory=list)  # ISO 15924: Mong, Tibt, Hani, Latn, Cyrl
    writing_system: str = ""  # main tag of the text: mn-Mong, xal-Mong (Todo), mnc-Mong, bo, zh-Hant
    responsibility: list[Responsibility] = field(default_factory=list)
    date_text: str = ""
    date_from: Optional[int] = None
    date_to: Optional[int] = None
    place: str = ""
    institution: str = ""
    shelfmark: str = ""
    idno: str = ""
    extent: str = ""
    genre: str = ""
    rights: str = ""  # a URI
    summary: LangMap = field(default_factory=dict)
    viewing_direction: str = ""  # left-to-right, right-to-left, top-to-bottom, bottom-to-top
    behavior: list[str] = field(default_factory=list)  # paged, individuals, ...
    toc: list[TocEntry] = field(default_factory=list)
    encoding_notes: str = ""
    source_encoding: str = "unicode"  # or "menksoft-pua" when converted at ingest
    collections: list[str] = field(default_factory=list)
    tei_file: Optional[str] = None  # path relative to the item's source folder
    pages: list[Page] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # the TEI publicationStmt's publisher (or distributor); the msIdentifier's settlement and
    # repository, which citations name apart from ``institution`` (see library/citation.py)
    publisher: str = ""
    settlement: str = ""
    repository: str = ""
    published: str = ""  # when the electronic text was published: YYYY, YYYY-MM or YYYY-MM-DD
    # ids of the works this item is a volume of: filled from the catalogue's works tables
    # when the item is read, so re-ingesting a volume never loses its work
    works: list[str] = field(default_factory=list)

    def title(self, prefer: tuple[str, ...] = ("en",)) -> str:
        for lang in prefer:
            if self.titles.get(lang):
                return self.titles[lang]
        return next(iter(self.titles.values()), self.id)

    def century(self) -> Optional[int]:
        """The earliest century of ``centuries()``, or None without a date."""
        found = self.centuries()
        return found[0] if found else None

    def centuries(self) -> list[int]:
        """Every century the date range covers, as catalogues count them (1700-1799 is the
        18th, 1650-1720 the 17th and 18th; -1 is the century before the common era), at most
        ``MAX_CENTURIES`` from the earliest: a wider range says little about when."""
        lo = self.date_from if self.date_from is not None else self.date_to
        hi = self.date_to if self.date_to is not None else lo
        if lo is None:
            return []
        first, last = sorted((century_of(lo), century_of(hi)))
        return [c for c in range(first, last + 1) if c != 0][:MAX_CENTURIES]


@dataclass
class Collection:
    id: str
    label: LangMap = field(default_factory=dict)
    summary: LangMap = field(default_factory=dict)
    parent: Optional[str] = None
    items: list[str] = field(default_factory=list)


@dataclass
class Volume:
    """One volume of a work: an item, and the label scholars cite it by ("ka", "1")."""

    item: str
    label: str


@dataclass
class WorkPlace:
    """A place in a work: a volume (by its label) and a page of it (the label as written on
    the leaf, "12a", or the page's order as digits)."""

    volume: str
    page: str


@dataclass
class Division:
    """One entry of a work's table of contents; it may run across volumes."""

    title: LangMap
    start: WorkPlace
    end: WorkPlace


@dataclass
class Work:
    """A multi-volume work: its volumes in reading order, each volume an item, and the
    divisions of its text across them (the Kangyur's 'dul ba, sher phyin ...)."""

    id: str
    titles: LangMap = field(default_factory=dict)
    summary: LangMap = field(default_factory=dict)
    volumes: list[Volume] = field(default_factory=list)
    divisions: list[Division] = field(default_factory=list)

    def title(self, prefer: tuple[str, ...] = ("en",)) -> str:
        for lang in prefer:
            if self.titles.get(lang):
                return self.titles[lang]
        return next(iter(self.titles.values()), self.id)

    def volume_of(self, item_id: str) -> Optional[Volume]:
        return next((v for v in self.volumes if v.item == item_id), None)

    def volume_labelled(self, label: str) -> Optional[Volume]:
        return next((v for v in self.volumes if v.label == label), None)


# --- JSON round trip -------------------------------------------------------------------------

def to_dict(obj: Any) -> Any:
    return dataclasses.asdict(obj)


def _box(d: Optional[dict]) -> Optional[Box]:
    return Box(**d) if d else None


def _line(d: dict) -> Line:
    words = [Word(text=w["text"], box=_box(w.get("box")), start=w.get("start", -1),
                  end=w.get("end", -1)) for w in d.get("words", [])]
    return Line(text=d["text"], box=_box(d.get("box")), start=d.get("start", -1),
                end=d.get("end", -1), words=words)


def page_from_dict(d: dict) -> Page:
    d = dict(d)
    d["lines"] = [_line(x) for x in d.get("lines", [])]
    d["edition"] = tree_from_json(d.get("edition", []))
    return Page(**d)


def _toc(d: dict) -> TocEntry:
    return TocEntry(label=d["label"], page=d["page"], end_page=d.get("end_page", 0),
                    children=[_toc(c) for c in d.get("children", [])])


def item_from_dict(d: dict) -> Item:
    d = dict(d)
    d["responsibility"] = [Responsibility(**r) for r in d.get("responsibility", [])]
    d["toc"] = [_toc(t) for t in d.get("toc", [])]
    d["pages"] = [page_from_dict(p) for p in d.get("pages", [])]
    known = {f.name for f in dataclasses.fields(Item)}
    return Item(**{k: v for k, v in d.items() if k in known})


def collection_from_dict(d: dict) -> Collection:
    return Collection(**d)


def work_from_dict(d: dict) -> Work:
    return Work(id=d["id"], titles=dict(d.get("titles", {})), summary=dict(d.get("summary", {})),
                volumes=[Volume(item=v["item"], label=v["label"]) for v in d.get("volumes", [])],
                divisions=[Division(title=dict(x["title"]), start=WorkPlace(**x["start"]),
                                    end=WorkPlace(**x["end"])) for x in d.get("divisions", [])])


@dataclass
class Diagnostic:
    """One finding of a check: ``level`` is "error" or "warning"; ``file`` relative to the batch."""

    level: str
    message: str
    file: str = ""
    line: Optional[int] = None
    code: str = ""  # short machine-readable kind, e.g. "xml-syntax", "missing-image"

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.file and self.line else self.file
        return f"{loc}: {self.level}: {self.message}" if loc else f"{self.level}: {self.message}"
