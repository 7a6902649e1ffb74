"""The sample's items, collections and works, read from ``library/data/sample_items.json``,
``library/data/sample_collections.json`` and ``library/data/sample_works.json``.

The JSON files are the home of the sample's texts and metadata; this module parses them once, at
import, into the records the TEI writer (``library.sample_tei``) and the page drawing
(``library.sample_pages``) read. A field missing or unknown in the data is a ValueError here, not
a blank in the output.

The line fragments are TEI P5 in the TEI namespace without the declaration: text and the
editorial elements ``<choice>`` (``orig``/``reg``, ``sic``/``corr``), ``<unclear>``, ``<gap/>``
and ``<note>``, written as they go into the ``<p>`` after each ``<lb/>``. In the data, the two
invisible Mongolian controls are written as JSON escapes so that a reader sees them: ``\\u202f``
(NNBSP, before a case suffix) and ``\\u180e`` (MVS, before a detached final a/e).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .models import Collection, Work, collection_from_dict
from .scripts import DATA_DIR

ITEMS_PATH = DATA_DIR / "sample_items.json"
COLLECTIONS_PATH = DATA_DIR / "sample_collections.json"
WORKS_PATH = DATA_DIR / "sample_works.json"


@dataclass(frozen=True)
class PageSpec:
    """One page (or folio side) as the scribe wrote it."""

    label: str
    lines: list[str]  # TEI fragments, one per written line (the text after each <lb/>)
    head: Optional[str] = None  # a TEI fragment; opens a new <div> on this page


@dataclass(frozen=True)
class Licence:
    target: str  # URI
    label: str


@dataclass(frozen=True)
class Resp:
    role: str
    name: str


@dataclass(frozen=True)
class OtherLang:
    lang: str  # BCP 47 tag
    name: str


@dataclass(frozen=True)
class ItemSpec:
    """One sample item: its TEI header fields, its pages and how they are drawn."""

    id: str
    layout: str  # "mong" (vertical, left to right), "tibt" (pothi), "hani" (vertical, right to left)
    direction: str  # IIIF viewingDirection of the page sequence
    behavior: str  # IIIF behavior
    ocr: str  # "alto", "hocr" or "" for none
    lang: str  # xml:lang of the text
    lang_name: str
    other_langs: list[OtherLang]
    titles: dict[str, str]  # the first is the main title
    summary: dict[str, str]  # the first goes to msContents/summary, the others to abstracts
    resp: list[Resp]
    date_text: str
    not_before: int
    not_after: int
    place: str
    institution: str
    settlement: str
    collection: str  # its label, as msIdentifier/collection names it
    shelfmark: str
    genre: str
    licence: Licence
    form: str
    material: str
    div_type: str
    encoding_note: str
    pages: list[PageSpec]


def _record(cls: type, data: Any, where: str) -> dict[str, Any]:
    """``data``'s fields for ``cls``, refusing a missing or an unknown key."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected an object, got {type(data).__name__}")
    fields = {f.name for f in dataclasses.fields(cls)}
    required = {f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    unknown, missing = set(data) - fields, required - set(data)
    if unknown or missing:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    return dict(data)


def item_from_dict(data: Any, where: str = "item") -> ItemSpec:
    """Parse one entry of ``sample_items.json``."""
    d = _record(ItemSpec, data, where)
    where = f"{where} {d['id']}"
    d["pages"] = [PageSpec(**_record(PageSpec, p, f"{where} page {n}"))
                  for n, p in enumerate(d["pages"], start=1)]
    d["other_langs"] = [OtherLang(**_record(OtherLang, o, where)) for o in d["other_langs"]]
    d["resp"] = [Resp(**_record(Resp, r, where)) for r in d["resp"]]
    d["licence"] = Licence(**_record(Licence, d["licence"], where))
    return ItemSpec(**d)


def load_items(path: Path = ITEMS_PATH) -> tuple[ItemSpec, ...]:
    """The items of ``path``, in the order the sample writes them."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(item_from_dict(d, f"{path.name} item {n}") for n, d in enumerate(data, start=1))


def load_collections(path: Path = COLLECTIONS_PATH) -> tuple[Collection, ...]:
    """The collections of ``path`` (the format of a batch's ``collections.json``), in order."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(collection_from_dict(_record(Collection, d, f"{path.name} collection {n}"))
                 for n, d in enumerate(data, start=1))


def load_works(path: Path = WORKS_PATH) -> list[dict]:
    """The works of ``path`` as a batch's ``collections.json`` declares them (the JSON form of
    ``library.models.Work``), in order: written out as they are read."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for n, d in enumerate(data, start=1):
        _record(Work, d, f"{path.name} work {n}")
    return data


ITEMS: tuple[ItemSpec, ...] = load_items()
WORKS: list[dict] = load_works()
COLLECTIONS: tuple[Collection, ...] = load_collections()
BY_ID: dict[str, ItemSpec] = {item.id: item for item in ITEMS}
