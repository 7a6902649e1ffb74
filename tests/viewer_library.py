"""A small library built directly in the catalogue for the site tests (no ingest, no index),
and stand-ins for search results shaped like ``catalog.search`` (duck-typed), so the HTML and
JSON views can be tested on their own."""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from catalog.db import Catalog
from library.models import (Box, Collection, Item, Line, Page, Responsibility, TocEntry, Word)
from library.settings import Settings
from library.store import Store

MONG_LINE_1 = "ᠵᠠᠩᠭᠠᠷ ᠤᠨ ᠲᠣᠣᠵᠢ"
MONG_LINE_2 = "ᠪᠤᠮᠪ᠎ᠠ ᠶᠢᠨ ᠣᠷᠣᠨ"
TIB_TEXT = "བྱང་ཆུབ་སེམས་དཔའ་ཆེན་པོ།"
ZH_TEXT = "光緒二十年\n呈文一件"


def _mong_page(order: int) -> Page:
    text = f"{MONG_LINE_1}\n{MONG_LINE_2}"
    w1 = Word(text="ᠵᠠᠩᠭᠠᠷ", box=Box(100, 100, 60, 300), start=0, end=6)
    line1 = Line(text=MONG_LINE_1, box=Box(100, 100, 60, 900), start=0, end=len(MONG_LINE_1),
                 words=[w1])
    s2 = len(MONG_LINE_1) + 1
    line2 = Line(text=MONG_LINE_2, box=Box(200, 100, 60, 900), start=s2,
                 end=s2 + len(MONG_LINE_2))
    return Page(item_id="jangar-ms-1", order=order, label=str(order), image=f"images/{order}.tif",
                width=1000, height=1500, text=text, lines=[line1, line2])


def make_items() -> list[Item]:
    jangar = Item(
        id="jangar-ms-1", titles={"mn-Mong": "ᠵᠠᠩᠭᠠᠷ", "en": "Jangar", "zh-Hans": "江格尔"},
        languages=["mn-Mong"], scripts=["Mong"], writing_system="mn-Mong",
        responsibility=[Responsibility("scribe", "Dorji")], date_text="19th century",
        date_from=1850, date_to=1899, place="Khovd", institution="Test Archive",
        shelfmark="MS Mong 1", genre="epic", rights="http://creativecommons.org/licenses/by/4.0/",
        summary={"en": "An excerpt of the Jangar epic.", "mn-Mong": "ᠵᠠᠩᠭᠠᠷ"},
        viewing_direction="left-to-right", behavior=["paged"],
        toc=[TocEntry(label={"en": "Canto one", "mn-Mong": "ᠨᠢᠭᠡ"}, page=1, end_page=2)],
        collections=["epics"], tei_file="jangar-ms-1.xml",
        pages=[_mong_page(i) for i in (1, 2, 3)])
    kangyur = Item(
        id="kangyur-vol-1", titles={"bo": "བཀའ་འགྱུར།", "bo-x-ewts": "bka' 'gyur", "en": "Kangyur"},
        languages=["bo"], scripts=["Tibt"], writing_system="bo", genre="canon",
        date_from=1700, date_to=1750, date_text="18th century", collections=["canon"],
        pages=[Page(item_id="kangyur-vol-1", order=i, label=lab, image=f"images/{i}.tif",
                    width=2400, height=600, text=TIB_TEXT)
               for i, lab in ((1, "1a"), (2, "1b"), (3, "2a"))])
    archive = Item(
        id="qing-doc", titles={"zh-Hant": "呈文", "en": "A petition"}, languages=["zh-Hant"],
        scripts=["Hani"], writing_system="zh-Hant", viewing_direction="right-to-left",
        pages=[Page(item_id="qing-doc", order=1, label="一", text=ZH_TEXT),
               Page(item_id="qing-doc", order=2, label="二", image="images/2.tif", width=800,
                    height=1200, text="二頁")])
    return [jangar, kangyur, archive]


def build_library(root: Path, **settings) -> Settings:
    s = Settings.load(root, **settings)
    store = Store(root)
    store.ensure()
    with Catalog(store.catalog_path) as cat:
        for item in make_items():
            version = f"items/{item.id}@v1"
            src = root / version / "source"
            src.mkdir(parents=True)
            if item.tei_file:
                (src / item.tei_file).write_text(
                    '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/></TEI>', "utf-8")
            cat.put_item(item, version_path=version, source_hash="h", fixity=[])
        cat.put_collection(Collection(id="epics", label={"en": "Epics", "mn-Mong": "ᠲᠤᠤᠯᠢ"}))
    return s


# --- stand-ins for catalog.search ------------------------------------------------------------

@dataclass
class FakeHit:
    item_id: str
    order: int
    label: str
    text: str
    spans: list
    snippet: str = ""
    score: float = 0.0
    kind: str = "page"
    title: str = ""
    ws: str = ""
    kwic: dict = field(default_factory=dict)


@dataclass
class FakeGroup:
    item_id: str
    title: str
    hits: list


@dataclass
class FakeResult:
    query: str
    total: int
    total_is_estimate: bool
    hits: list
    items: list
    facets: dict
    facets_are_estimates: bool
    understood: dict
    page: int = 1
    page_size: int = 20
    elapsed: float = 0.001

    def to_json(self) -> dict:
        return {"query": self.query, "total": self.total,
                "total_is_estimate": self.total_is_estimate, "page": self.page,
                "page_size": self.page_size,
                "hits": [{"item": h.item_id, "page": h.order, "label": h.label, "kind": h.kind,
                          "title": h.title, "snippet": h.snippet, "kwic": h.kwic,
                          "score": h.score} for h in self.hits],
                "facets": {k: dict(v) for k, v in self.facets.items()},
                "facets_are_estimates": self.facets_are_estimates,
                "understood": self.understood}


def hit(item_id: str, order: int, label: str, text: str, needle: str, ws: str) -> FakeHit:
    s = text.index(needle)
    e = s + len(needle)
    snippet = (html.escape(text[:s]) + "<mark>" + html.escape(needle) + "</mark>"
               + html.escape(text[e:]))
    return FakeHit(item_id, order, label, text, [(s, e)], snippet=snippet, ws=ws,
                   title=item_id, kwic={"before": text[:s], "match": needle, "after": text[e:]})


def fake_search(calls: list):
    """A ``viewer.site.run_search`` stand-in recording its calls (catalog.request.SearchRequest)."""
    def run(params):
        calls.append(params)
        if not params.text:
            return None
        if params.text == "nothing":
            return FakeResult(params.text, 0, False, [], [], {}, False, {"scripts": []},
                              page=params.page)
        hits = [hit("jangar-ms-1", 1, "1", _mong_page(1).text, "ᠵᠠᠩᠭᠠᠷ", "mn-Mong"),
                hit("jangar-ms-1", 2, "2", _mong_page(2).text, "ᠵᠠᠩᠭᠠᠷ", "mn-Mong"),
                hit("kangyur-vol-1", 1, "1a", TIB_TEXT, "བྱང་ཆུབ", "bo")]
        groups = [FakeGroup("jangar-ms-1", "Jangar", hits[:2]),
                  FakeGroup("kangyur-vol-1", "Kangyur", hits[2:])]
        return FakeResult(params.text, 45, params.text == "many", hits, groups,
                          {"collection": [("epics", 2), ("canon", 1)],
                           "language": [("mn-Mong", 2), ("bo", 1)],
                           "script": [("Mong", 2), ("Tibt", 1)], "genre": [("epic", 2)],
                           "century": [("19", 2)]},
                          params.text == "many",
                          {"scripts": ["Mong"], "transliteration": "jangghar → ᠵᠠᠩᠭᠠᠷ"},
                          page=params.page)
    return run


def fake_matches(req) -> list:
    """A ``viewer.site.matches_for_item`` stand-in: the first Mongolian word on pages 1 and 3."""
    if req.item != "jangar-ms-1" or req.text != "ᠵᠠᠩᠭᠠᠷ":
        return []
    return [hit(req.item, o, str(o), _mong_page(o).text, "ᠵᠠᠩᠭᠠᠷ", "mn-Mong") for o in (1, 3)]
