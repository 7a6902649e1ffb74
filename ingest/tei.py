"""TEI P5 to Sudur records: the header becomes an ``Item``, the transcription becomes ``Page``s.

Pages are cut at ``<pb/>`` milestones wherever they stand (inside ``div``, ``p`` or ``l`` too) by a
streaming walk over the document's start/text/end events; the tree is never restructured. When a
text has no ``<pb/>`` the page marks are 84000's folio refs (``<ref type="folio" cRef="F.155.a"/>``)
or page/folio ``<milestone/>``s. Editorial markup gives one display reading (``reg``, ``corr``,
``expan``, ``lem``) in ``Page.text`` and the others in ``Page.alt_text`` so both are searchable;
notes stay out of the page text. TEI zones referenced by ``facs`` become line boxes with offsets
into ``Page.text``. Image references are checked to stay inside the item folder (an escape raises
``PathEscapeError``); a missing image is reported as a diagnostic and left to the pipeline.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import unquote

from lxml import etree

from ingest.xmlsafe import parse_xml
from library.errors import NotTEIError, PathEscapeError
from library.models import Box, Diagnostic, Item, LangMap, Line, Page, Responsibility, TocEntry
from library.store import resolve_inside

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
T = f"{{{TEI_NS}}}"
XML_ID = f"{{{XML_NS}}}id"
XML_LANG = f"{{{XML_NS}}}lang"

# Elements whose content never reaches the page text.
_SKIP = {"teiHeader", "facsimile", "standOff", "sourceDoc", "note", "figDesc", "fw", "mulu",
         "witDetail", "interpGrp", "interp", "back-matter-index", "listWit"}
# Elements that start and end a block of text (a line break in prose, a space where <lb/> rules).
_BLOCKS = {"p", "ab", "head", "div", "div1", "div2", "div3", "div4", "div5", "div6", "div7", "lg",
           "list", "item", "table", "row", "cell", "trailer", "byline", "docTitle", "titlePage",
           "titlePart", "docAuthor", "docImprint", "docDate", "closer", "opener", "salute",
           "signed", "dateline", "sp", "speaker", "stage", "argument", "epigraph", "front",
           "body", "back", "group", "text", "listBibl", "postscript", "castList",
           "juan", "jhead", "docNumber", "figure", "entry", "form", "sense"}
# Block edges that are only a space when <lb/> carries the lines (CBETA's inline paragraphs).
_INLINE_BLOCKS = {"p", "ab", "cell", "docNumber", "bibl", "form",
                  "sense", "entry", "item", "byline", "dateline", "signed", "salute"}
_DIVS = {"div", "div1", "div2", "div3", "div4", "div5", "div6", "div7"}
_GENERIC_DIVS = {"section", "textpart", "chunk", "part", "div", "subsection"}
_PREFERRED = ("reg", "corr", "expan")
_CJK_RE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]")
# XML whitespace only: U+3000 and other Unicode spaces are characters of the text and stay.
_WS_RE = re.compile(r"[ \t\r\n]+")
_CJK_SEAM_RE = re.compile(
    r"(?<=[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff])"
    r"[ \t\r]*\n[ \t\r\n]*"
    r"(?=[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff])")
_YEAR_RE = re.compile(r"^\s*(-?\d{1,4})(?!\d)")
_FOLIO_RE = re.compile(r"^F\.(\d+)\.([ab])$", re.IGNORECASE)

# 84000 and others use tags that are not BCP 47; map the ones met in the wild.
_LANG_FIXES = {"bo-ltn": "bo-x-ewts", "sa-ltn": "sa-Latn", "pi-ltn": "pi-Latn", "zh-ltn": "zh-Latn",
               "bod": "bo", "tib": "bo", "mon": "mn", "chi": "zh", "zho": "zh", "eng": "en",
               "mnc": "mnc", "xal": "xal", "san": "sa"}
_LANG_SCRIPT = {"mn": "Mong", "xal": "Mong", "mnc": "Mong", "sjo": "Mong", "bua": "Mong",
                "bo": "Tibt", "dz": "Tibt", "zh": "Hani", "lzh": "Hani", "ja": "Hani",
                "en": "Latn", "de": "Latn", "fr": "Latn", "la": "Latn", "ru": "Cyrl"}
_SCRIPT_RANGES = (
    ("Mong", 0x1800, 0x18AF), ("Mong", 0x11660, 0x1167F),
    ("Tibt", 0x0F00, 0x0FFF),
    ("Hani", 0x4E00, 0x9FFF), ("Hani", 0x3400, 0x4DBF), ("Hani", 0x20000, 0x3FFFF),
    ("Hani", 0xF900, 0xFAFF),
    ("Cyrl", 0x0400, 0x052F),
    ("Latn", 0x0041, 0x005A), ("Latn", 0x0061, 0x007A), ("Latn", 0x00C0, 0x024F),
    ("Latn", 0x1E00, 0x1EFF),
)
_SCRIPT_DEFAULT_LANG = {"Mong": "mn-Mong", "Tibt": "bo", "Hani": "zh-Hant", "Cyrl": "mn-Cyrl"}


@dataclass
class TeiResult:
    """What a TEI file yields: the item with its pages, and what was found along the way."""

    item: Item
    diagnostics: list[Diagnostic] = field(default_factory=list)


# --- small helpers -----------------------------------------------------------------------------

def _local(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _norm_ws(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def norm_lang(tag: str) -> str:
    """A BCP 47 tag in canonical case (``mn-mong`` -> ``mn-Mong``), known oddities fixed."""
    tag = tag.strip().replace("_", "-")
    if not tag:
        return ""
    fixed = _LANG_FIXES.get(tag.lower())
    if fixed:
        return fixed
    parts = tag.split("-")
    out = [parts[0].lower()]
    private = False
    for p in parts[1:]:
        if private or p.lower() == "x":
            private = True
            out.append(p.lower())
        elif len(p) == 4 and p.isalpha():
            out.append(p.title())
        elif len(p) == 2 and p.isalpha():
            out.append(p.upper())
        else:
            out.append(p)
    return "-".join(out)


def _lang_script(tag: str) -> Optional[str]:
    parts = tag.split("-")
    for p in parts[1:]:
        if p == "x":
            break
        if len(p) == 4 and p.isalpha():
            return p.title() if p.title() not in ("Hant", "Hans") else "Hani"
    if tag.startswith("bo-x-"):
        return "Latn"
    return _LANG_SCRIPT.get(parts[0].lower())


def script_counts(text: str) -> dict[str, int]:
    """How many letters of each ISO 15924 script ``text`` holds."""
    counts: dict[str, int] = {}
    for ch in text:
        cp = ord(ch)
        if cp < 0x41:
            continue
        for code, lo, hi in _SCRIPT_RANGES:
            if lo <= cp <= hi:
                counts[code] = counts.get(code, 0) + 1
                break
    return counts


def _dominant_script(text: str) -> Optional[str]:
    counts = script_counts(text)
    return max(counts, key=counts.get) if counts else None


def _year(value: Optional[str]) -> Optional[int]:
    if not value:
        return None
    m = _YEAR_RE.match(value)
    if not m:
        return None
    try:
        return int(m.group(1))
    except ValueError:
        return None


def _text_of(el: Optional[etree._Element]) -> str:
    """Whitespace-normalised text of ``el`` without its notes."""
    if el is None:
        return ""
    parts: list[str] = []
    _collect_text(el, parts)
    # a source line break between two CJK characters is not a space in the text
    return _nfc(_norm_ws(_CJK_SEAM_RE.sub("", "".join(parts))))


def _collect_text(el: etree._Element, parts: list[str]) -> None:
    stack: list[tuple[etree._Element, bool]] = [(el, False)]
    while stack:
        node, done = stack.pop()
        if done:
            if node is not el and node.tail:
                parts.append(node.tail)
            continue
        name = _local(node)
        if name in ("note", "figDesc") and node is not el:
            if node.tail:
                parts.append(node.tail)
            continue
        if name == "lb":
            parts.append("\n")
        if isinstance(node.tag, str) and node.text:
            parts.append(node.text)
        stack.append((node, True))
        for child in reversed(node):
            stack.append((child, False))


def _lang_of(el: etree._Element) -> str:
    node: Optional[etree._Element] = el
    while node is not None:
        v = node.get(XML_LANG)
        if v:
            return norm_lang(v)
        node = node.getparent()
    return ""


def _zone_box(zone: etree._Element) -> Optional[Box]:
    try:
        if zone.get("points"):
            xs: list[float] = []
            ys: list[float] = []
            for pair in zone.get("points", "").split():
                x, y = pair.split(",")[:2]
                xs.append(float(x))
                ys.append(float(y))
            if not xs:
                return None
            x0, y0 = int(min(xs)), int(min(ys))
            return Box(x0, y0, max(0, int(round(max(xs))) - x0), max(0, int(round(max(ys))) - y0))
        if zone.get("ulx") is not None:
            ulx, uly = float(zone.get("ulx", "0")), float(zone.get("uly", "0"))
            lrx, lry = float(zone.get("lrx", "0")), float(zone.get("lry", "0"))
            return Box(int(ulx), int(uly), max(0, int(lrx - ulx)), max(0, int(lry - uly)))
    except ValueError:
        return None
    return None


def _first_ref(value: Optional[str]) -> str:
    return value.split()[0] if value and value.split() else ""


# --- the facsimile ---------------------------------------------------------------------------

class _Facsimile:
    """Surfaces in order, and every xml:id of the facsimile section, for resolving ``facs``."""

    def __init__(self, root: etree._Element) -> None:
        self.ids: dict[str, etree._Element] = {}
        self.surfaces: list[etree._Element] = []
        for fac in root.iter(f"{T}facsimile", f"{T}sourceDoc"):
            for el in fac.iter():
                if not isinstance(el.tag, str):
                    continue
                xid = el.get(XML_ID)
                if xid:
                    self.ids[xid] = el
                if el.tag == f"{T}surface":
                    self.surfaces.append(el)
            if fac.get(XML_ID):
                self.ids[fac.get(XML_ID)] = fac

    @staticmethod
    def graphic_of(el: etree._Element) -> Optional[etree._Element]:
        if el.tag == f"{T}graphic":
            return el
        if el.tag == f"{T}zone":
            node = el.getparent()
            while node is not None and node.tag != f"{T}surface":
                node = node.getparent()
            return _Facsimile.graphic_of(node) if node is not None else None
        return next(el.iter(f"{T}graphic"), None)

    def zone_box(self, ref: str) -> Optional[Box]:
        if not ref.startswith("#"):
            return None
        el = self.ids.get(ref[1:])
        if el is None or el.tag != f"{T}zone":
            return None
        return _zone_box(el)


# --- the header ------------------------------------------------------------------------------

def _find(el: Optional[etree._Element], path: str) -> Optional[etree._Element]:
    return el.find(path.replace("t:", T)) if el is not None else None


def _findall(el: Optional[etree._Element], path: str) -> list[etree._Element]:
    return el.findall(path.replace("t:", T)) if el is not None else []


_CC_RE = re.compile(r"\bCC[ -]?(BY(?:[ -](?:NC|ND|SA))*)\b.*?(\d\.\d)", re.IGNORECASE | re.DOTALL)
_URI_RE = re.compile(r"https?://\S+")


def _rights(header: etree._Element) -> str:
    for lic in _findall(header, ".//t:availability//t:licence"):
        target = lic.get("target")
        if target:
            return target.strip()
    avail = _findall(header, ".//t:availability")
    text = " ".join(_text_of(a) for a in avail).strip()
    if not text:
        return ""
    m = _URI_RE.search(text)
    if m:
        return m.group(0).rstrip(".,;)")
    m = _CC_RE.search(text)
    if m:
        kind = re.sub(r"[ -]+", "-", m.group(1).lower())
        return f"https://creativecommons.org/licenses/{kind}/{m.group(2)}/"
    return text[:500]


def _responsibility(header: etree._Element) -> list[Responsibility]:
    found: list[Responsibility] = []
    seen: set[tuple[str, str]] = set()

    def add(role: str, name: str) -> None:
        key = (role, name)
        if name and key not in seen:
            seen.add(key)
            found.append(Responsibility(role=role, name=name))

    scopes = (_findall(header, "t:fileDesc/t:titleStmt")
              + _findall(header, "t:fileDesc/t:sourceDesc//t:msItem")
              + _findall(header, "t:fileDesc/t:sourceDesc/t:bibl")
              + _findall(header, "t:fileDesc/t:sourceDesc/t:biblStruct/*"))
    for scope in scopes:
        for el in scope:
            name = _local(el)
            if name in ("author", "editor"):
                add(el.get("role") or name, _text_of(el))
            elif name == "respStmt":
                resp = _text_of(_find(el, "t:resp")).rstrip(":").strip() or "contributor"
                for who in el:
                    if _local(who) in ("name", "persName", "orgName"):
                        add(resp, _text_of(who))
    return found


class _Header:
    def __init__(self, root: etree._Element, name: str, diags: list[Diagnostic]) -> None:
        self.root = root
        self.name = name
        self.diags = diags
        header = root.find(f"{T}teiHeader")
        self.header = header if header is not None else etree.Element(f"{T}teiHeader")

    def fill(self, item: Item, body_text: str) -> None:
        h = self.header
        languages: list[str] = []

        def add_lang(tag: Optional[str]) -> None:
            t = norm_lang(tag or "")
            if t and t not in languages:
                languages.append(t)

        main = ""
        for tl in _findall(h, ".//t:textLang"):
            if tl.get("mainLang"):
                main = main or norm_lang(tl.get("mainLang", ""))
                add_lang(tl.get("mainLang"))
            for other in (tl.get("otherLangs") or "").split():
                add_lang(other)
        for lang in _findall(h, "t:profileDesc/t:langUsage/t:language"):
            add_lang(lang.get("ident"))
        text_el = self.root.find(f".//{T}text")
        for el in (text_el, self.root):
            if not main and el is not None and el.get(XML_LANG):
                main = norm_lang(el.get(XML_LANG, ""))
                add_lang(main)

        titles = self._titles()
        dominant = _dominant_script(body_text) or _dominant_script(" ".join(titles.values()))
        if not main:
            main = self._guess_main(languages, titles, dominant, body_text)
        main = _refine_main(main, titles, dominant)
        if main and main != "und" and main not in languages:
            languages.insert(0, main)
        # a title without xml:lang speaks the text's language only if it is written in its script
        for text in self._untagged_titles():
            key = main if main and _lang_script(main) == _dominant_script(text) else "und"
            titles.setdefault(key, text)
        if not titles:
            self.diags.append(Diagnostic("warning", "the TEI header gives no title", self.name,
                                         h.sourceline, "no-title"))
        item.titles = titles
        item.languages = languages
        item.writing_system = main if main != "und" else ""
        main_script = _lang_script(main) if main else None
        scripts: list[str] = [main_script] if main_script else []
        counts = script_counts(body_text)
        total = sum(counts.values())
        for code, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            # a script counts when it is a real part of the text, not a stray word
            if code not in scripts and total and (n / total >= 0.05 or n >= 200):
                scripts.append(code)
        item.scripts = scripts

        item.responsibility = _responsibility(h)
        ms = _find(h, ".//t:msDesc")
        ident = _find(ms, "t:msIdentifier")
        inst = [_text_of(_find(ident, f"t:{n}")) for n in ("institution", "repository")]
        item.institution = ", ".join(x for x in inst if x)
        item.shelfmark = _text_of(_find(ident, "t:idno"))
        date = (_find(ms, ".//t:origDate") if ms is not None else None)
        if date is None:
            date = _find(h, "t:profileDesc/t:creation/t:origDate")
        if date is None:
            date = _find(h, "t:profileDesc/t:creation/t:date")
        if date is not None:
            item.date_text = _text_of(date)
            lo = (_year(date.get("notBefore")) or _year(date.get("from"))
                  or _year(date.get("when")))
            hi = (_year(date.get("notAfter")) or _year(date.get("to"))
                  or _year(date.get("when")))
            if lo is None and hi is None:
                plain = re.fullmatch(r"-?\d{1,4}", item.date_text)
                lo = hi = _year(item.date_text) if plain else None
            item.date_from, item.date_to = lo, hi
            if not item.date_text and (lo or hi):
                item.date_text = str(lo) if lo == hi else f"{lo or ''}–{hi or ''}"
        place = _find(ms, ".//t:origPlace") if ms is not None else None
        if place is None:
            place = _find(h, "t:profileDesc/t:creation/t:placeName")
        item.place = _text_of(place)
        item.rights = _rights(h)
        item.idno = next((t for t in (_text_of(e) for e in _findall(
            h, "t:fileDesc/t:publicationStmt/t:idno")) if t), "")
        if not item.idno:
            item.idno = self.root.get(XML_ID, "")
        extent = _find(h, "t:fileDesc/t:extent")
        if extent is None and ms is not None:
            extent = _find(ms, ".//t:extent")
        item.extent = _text_of(extent)
        terms = [_text_of(t) for t in _findall(h, "t:profileDesc/t:textClass/t:keywords//t:term")]
        terms += [_text_of(t) for t in _findall(h, "t:profileDesc/t:textClass/t:classCode")]
        terms = [t for t in terms if t]
        if not terms and ms is not None:
            for el in [_find(ms, "t:msContents")] + _findall(ms, ".//t:msItem"):
                if el is not None and el.get("class"):
                    terms.append(el.get("class", "").split()[0].lstrip("#"))
                    break
        item.genre = terms[0] if terms else ""
        summary: LangMap = {}
        sources = (_findall(ms, "t:msContents/t:summary") + _findall(h, "t:profileDesc/t:abstract"))
        if not sources and text_el is not None:
            sources = text_el.findall(f"{T}front/{T}div[@type='summary']")
        for s in sources:
            txt = _text_of(s)
            if s.tag == f"{T}div":
                head = _text_of(s.find(f"{T}head"))
                if head and txt.startswith(head):
                    txt = txt[len(head):].strip()
            key = _lang_of(s) or main or "und"
            if txt and key not in summary:
                summary[key] = txt
        item.summary = summary
        notes = [_text_of(e) for e in _findall(h, "t:encodingDesc/*")]
        item.encoding_notes = "\n".join(n for n in notes if n)[:4000]
        self._direction(item)

    def _titles(self) -> LangMap:
        titles: LangMap = {}
        for t in _findall(self.header, "t:fileDesc/t:titleStmt/t:title"):
            text = _text_of(t)
            lang = t.get(XML_LANG)
            if text and lang:
                titles.setdefault(norm_lang(lang), text)
        return titles

    def _untagged_titles(self) -> Iterator[str]:
        for t in _findall(self.header, "t:fileDesc/t:titleStmt/t:title"):
            text = _text_of(t)
            if text and not t.get(XML_LANG):
                yield text

    @staticmethod
    def _guess_main(languages: list[str], titles: LangMap, dominant: Optional[str],
                    body_text: str) -> str:
        if dominant:
            cands = [t for t in dict.fromkeys(list(titles) + languages)
                     if _lang_script(norm_lang(t)) == dominant and "-x-" not in t]
            if len(cands) > 1 and body_text:
                # several languages share the script (an English translation with Sanskrit
                # titles in IAST): the one whose title words recur in the text is the text's
                words = set(re.findall(r"\w{3,}", body_text.casefold()))

                def score(tag: str) -> int:
                    return sum(1 for w in re.findall(r"\w{3,}", titles.get(tag, "").casefold())
                               if w in words)
                cands.sort(key=score, reverse=True)
            if cands:
                # the more specific tag if the titles have one (zh-Hant over zh)
                better = [t for t in titles if t.startswith(cands[0] + "-")
                          and _lang_script(t) == dominant]
                return better[0] if better else cands[0]
            if dominant in _SCRIPT_DEFAULT_LANG:
                return _SCRIPT_DEFAULT_LANG[dominant]
        return languages[0] if languages else "und"

    def _direction(self, item: Item) -> None:
        values = " ".join(filter(None, [
            el.get("rend", "") + " " + el.get("style", "")
            for el in [self.root] + self.root.findall(f"{T}facsimile")
            + self.root.findall(f"{T}text")]))
        for r in _findall(self.header, "t:encodingDesc/t:tagsDecl/t:rendition"):
            values += " " + (r.text or "")
        for d in ("left-to-right", "right-to-left", "top-to-bottom", "bottom-to-top"):
            if d in values:
                item.viewing_direction = d
                break
        for b in ("paged", "individuals", "continuous", "facing-pages"):
            if re.search(rf"(?<![\w-]){b}(?![\w-])", values):
                item.behavior.append(b)


_MONGOLIC = {"mn", "xal", "bua", "mnc", "sjo", "mvf"}


def _refine_main(main: str, titles: LangMap, dominant: Optional[str]) -> str:
    """Give the main tag its script when the text shows it (``mn`` written in Mong -> mn-Mong)."""
    if not main or main == "und" or "-" in main:
        return main
    better = [t for t in titles if t.startswith(main + "-") and "-x-" not in t
              and _lang_script(t) == dominant]
    if better:
        return better[0]
    if main in _MONGOLIC and dominant in ("Mong", "Cyrl"):
        return f"{main}-{dominant}"
    return main


# --- the body --------------------------------------------------------------------------------

class _PageText:
    """Builds one page's display text with whitespace normalised and line offsets recorded."""

    def __init__(self, block_newlines: bool) -> None:
        self.out: list[str] = []
        self.length = 0
        self.last = ""
        self.pending = ""  # "", " " or "\n"
        self.block_newlines = block_newlines
        self.alt: list[str] = []
        self.lines: list[Line] = []
        self.open_lines: list[Line] = []  # started, offsets fixed when text comes
        self.starting: list[Line] = []  # waiting for their first character

    def _want(self, sep: str) -> None:
        if sep == "\n" or self.pending == "\n":
            self.pending = "\n"
        else:
            self.pending = sep or self.pending

    def text(self, raw: str) -> None:
        if not raw:
            return
        chunk = _nfc(_WS_RE.sub(" ", raw))
        if chunk[0] == " ":
            self._want(" ")
        core = chunk.strip(" ")
        if core:
            self._emit(core)
            if chunk[-1] == " ":
                self._want(" ")

    def literal(self, text: str) -> None:
        self._emit(text)

    def _emit(self, core: str) -> None:
        if self.pending and self.length:
            sep = self.pending
            if sep == " " and (_CJK_RE.match(self.last) or _CJK_RE.match(core[0])):
                sep = ""
            if sep:
                self.out.append(sep)
                self.length += len(sep)
        self.pending = ""
        for line in self.starting:
            line.start = self.length
        self.starting = []
        self.out.append(core)
        self.length += len(core)
        self.last = core[-1]

    def hard_break(self) -> None:
        self._want("\n")

    def soft_break(self, inline: bool = True) -> None:
        self._want("\n" if self.block_newlines or not inline else " ")

    def alt_text(self, raw: str) -> None:
        t = _norm_ws(raw)
        if t:
            self.alt.append(_nfc(t))

    def alt_break(self) -> None:
        if self.alt and self.alt[-1] != "\n":
            self.alt.append("\n")

    def start_line(self, box: Optional[Box]) -> Line:
        line = Line(text="", box=box, start=-1, end=-1)
        self.starting.append(line)
        self.open_lines.append(line)
        return line

    def end_line(self, line: Line) -> None:
        # by identity: two Lines with equal fields are still two lines
        self.open_lines = [x for x in self.open_lines if x is not line]
        if any(x is line for x in self.starting):
            self.starting = [x for x in self.starting if x is not line]
            return  # no text: not a line
        line.end = self.length
        self.lines.append(line)

    def close_all(self) -> None:
        for line in list(self.open_lines):
            self.end_line(line)

    def finish(self) -> tuple[str, str, list[Line]]:
        self.close_all()
        text = "".join(self.out)
        if not unicodedata.is_normalized("NFC", text):
            text = _nfc(text)  # only at chunk seams; offsets may shift by a mark at most
        alt = _nfc(" ".join(self.alt).replace(" \n ", "\n").strip())
        lines = sorted(self.lines, key=lambda ln: (ln.start, ln.end))
        for ln in lines:
            ln.start, ln.end = min(ln.start, len(text)), min(ln.end, len(text))
            ln.text = text[ln.start:ln.end]
        return text, alt, lines


@dataclass
class _PageMark:
    label: str
    facs: str
    line: Optional[int]


class _BodyWalker:
    """Walks the transcription once, cutting pages at the chosen page marks."""

    def __init__(self, root: etree._Element, facsimile: _Facsimile, mark_kind: str,
                 block_newlines: bool, text_lang: str) -> None:
        self.root = root
        self.fac = facsimile
        self.mark_kind = mark_kind
        self.block_newlines = block_newlines
        self.text_lang = text_lang or "und"
        self.pages: list[tuple[_PageMark, _PageText]] = []
        self.marks_seen = 0
        self.current = _PageText(block_newlines)
        self.current_mark = _PageMark("", "", None)
        self.alt_depth = 0
        self.lb_line: Optional[Line] = None
        self.toc_stack: list[tuple[Optional[TocEntry], etree._Element]] = []
        self.toc: list[TocEntry] = []
        self.pending_toc: list[TocEntry] = []  # page fixed at the first text inside the div
        self.el_lines: dict[etree._Element, Line] = {}
        self.alt_roots: set[etree._Element] = set()

    # page marks
    def _is_mark(self, el: etree._Element) -> bool:
        name = _local(el)
        if self.mark_kind == "pb":
            return name == "pb" and el.tag == f"{T}pb"
        if self.mark_kind == "folio":
            return name == "ref" and el.get("type") == "folio" and bool(el.get("cRef"))
        if self.mark_kind == "milestone":
            return name == "milestone" and el.get("unit") in ("page", "folio", "leaf", "pb")
        return False

    def _mark(self, el: etree._Element) -> _PageMark:
        if self.mark_kind == "folio":
            cref = el.get("cRef", "")
            m = _FOLIO_RE.match(cref)
            label = f"{int(m.group(1))}{m.group(2).lower()}" if m else cref
        else:
            label = el.get("n", "")
        return _PageMark(_norm_ws(label), _first_ref(el.get("facs")), el.sourceline)

    def _new_page(self, mark: _PageMark) -> None:
        self.marks_seen += 1
        if self.marks_seen == 1:
            # text before the first page mark belongs to the first page
            self.current_mark = mark
            return
        self._close_page()
        self.current = _PageText(self.block_newlines)
        self.current_mark = mark

    def _close_page(self) -> None:
        self.lb_line = None
        self.current.close_all()
        self.pages.append((self.current_mark, self.current))

    def _text(self, raw: Optional[str]) -> None:
        if not raw:
            return
        if self.alt_depth:
            self.current.alt_text(raw)
            return
        before = self.current.length
        self.current.text(raw)
        if self.current.length != before and self.pending_toc:
            order = len(self.pages) + 1
            for entry in self.pending_toc:
                entry.page = order
            self.pending_toc = []

    # the walk
    def walk(self) -> list[tuple[_PageMark, _PageText]]:
        for node, event in _events(self.root):
            if event == "start":
                self._start(node)
            elif event == "end":
                self._end(node)
            else:
                self._text(node)  # type: ignore[arg-type]
        self._close_page()
        return self.pages

    def _enter_reading(self, el: etree._Element) -> None:
        """Readings of a choice/app/subst that are not shown go to the alternative text."""
        parent = el.getparent()
        kind = _local(parent) if parent is not None else ""
        if kind not in ("choice", "app", "subst"):
            return
        if kind == "app" and (parent.get("from") or parent.get("to")):
            shown = None  # a stand-off apparatus repeats the text it points at: all readings alt
        elif kind == "subst":
            shown = next((c for c in parent if _local(c) == "add"), None)
        else:
            shown = _display_choice(parent)
        if el is not shown:
            self.alt_roots.add(el)
            self.alt_depth += 1

    def _start(self, el: etree._Element) -> None:
        self._enter_reading(el)
        name = _local(el)
        if self._is_mark(el):
            self._new_page(self._mark(el))
            return
        if name == "lb":
            if self.lb_line is not None:
                self.current.end_line(self.lb_line)
                self.lb_line = None
            if not self.alt_depth:
                self.current.hard_break()
                box = self.fac.zone_box(_first_ref(el.get("facs")))
                if box is not None:
                    self.lb_line = self.current.start_line(box)
            return
        if name == "gap":
            if self.alt_depth:
                self.current.alt_text("[…]")
            else:
                self.current.literal("[…]")
            return
        if _is_block(el, name):
            self._block_edge(name)
        if name in ("l", "seg", "ab", "p", "line", "zone", "head") and el.get("facs"):
            box = self.fac.zone_box(_first_ref(el.get("facs")))
            # an element holding <lb facs> is a region; its lines are the lb's
            if box is not None and el.find(f".//{T}lb") is None and not self.alt_depth:
                self.el_lines[el] = self.current.start_line(box)
        if name in _DIVS:
            self._start_div(el)

    def _end(self, el: etree._Element) -> None:
        name = _local(el)
        line = self.el_lines.pop(el, None)
        if line is not None:
            self.current.end_line(line)
        if _is_block(el, name):
            self._block_edge(name)
        if name in _DIVS:
            self._end_div(el)
        if el in self.alt_roots:
            self.alt_roots.discard(el)
            self.alt_depth -= 1

    def _block_edge(self, name: str) -> None:
        if self.lb_line is not None:
            self.current.end_line(self.lb_line)
            self.lb_line = None
        if self.alt_depth:
            self.current.alt_break()
        elif name == "l":
            self.current.hard_break()
        else:
            self.current.soft_break(name in _INLINE_BLOCKS)

    def _start_div(self, el: etree._Element) -> None:
        label = self._div_label(el)
        entry: Optional[TocEntry] = None
        if label:
            entry = TocEntry(label=label, page=len(self.pages) + 1)
            parent = next((e for e, _ in reversed(self.toc_stack) if e is not None), None)
            (parent.children if parent is not None else self.toc).append(entry)
            self.pending_toc.append(entry)
        self.toc_stack.append((entry, el))

    def _end_div(self, el: etree._Element) -> None:
        if not self.toc_stack:
            return
        entry, _ = self.toc_stack.pop()
        if entry is not None:
            self.pending_toc = [e for e in self.pending_toc if e is not entry]
            entry.end_page = max(entry.page, len(self.pages) + 1)

    def _div_label(self, el: etree._Element) -> LangMap:
        head = None
        for child in el:
            if _local(child) == "head":
                head = child
                break
            if _local(child) == "mulu" and child.text:
                head = child
        if head is not None:
            text = _text_of(head)
            if text:
                return {_lang_of(head) or self.text_lang: text}
        kind = el.get("type") or ""
        label = _norm_ws(el.get("n") or ("" if kind.lower() in _GENERIC_DIVS else kind))
        if label and el.get("n"):
            return {"und": label}
        if label:
            return {"en": label[:1].upper() + label[1:]}
        return {}


def _is_block(el: etree._Element, name: str) -> bool:
    if name in _BLOCKS or name == "l":
        return True
    # a bibl is a paragraph of its own in a bibliography, a citation inside prose
    parent = el.getparent()
    return name == "bibl" and parent is not None and _local(parent) == "listBibl"


def _events(root: etree._Element) -> Iterator[tuple[object, str]]:
    """Start/text/end events in document order.

    Yields ``(element, "start")``, ``(text, "text")``, ``(element, "end")``; elements kept out of
    the display (notes, the header, the facsimile, ...) yield nothing but their tail. Iterative,
    so depth costs no Python recursion.
    """
    stack: list[tuple[etree._Element, int]] = [(root, 0)]
    # state 0: entering; 1: leaving
    while stack:
        el, state = stack.pop()
        if state == 1:
            yield el, "end"
            if el is not root and el.tail:
                yield el.tail, "text"
            continue
        if not isinstance(el.tag, str):  # comments, processing instructions
            if el.tail:
                yield el.tail, "text"
            continue
        name = _local(el)
        if name in _SKIP and el is not root:
            if el.tail:
                yield el.tail, "text"
            continue
        yield el, "start"
        if el.text:
            yield el.text, "text"
        stack.append((el, 1))
        for child in reversed(el):
            stack.append((child, 0))


def _display_choice(el: etree._Element) -> Optional[etree._Element]:
    """The child of a ``choice`` or ``app`` shown in the page text."""
    kids = [c for c in el if isinstance(c.tag, str)]
    if _local(el) == "app":
        for c in kids:
            if _local(c) == "lem":
                return c
        for c in kids:
            if _local(c) in ("rdg", "rdgGrp"):
                return c
        return None
    for want in _PREFERRED:
        for c in kids:
            if _local(c) == want:
                return c
    return kids[0] if kids else None


# --- images ----------------------------------------------------------------------------------

def _resolve_image(ref: str, item_dir: Path, name: str, line: Optional[int],
                   diags: list[Diagnostic], what: str) -> str:
    try:
        target = resolve_inside(item_dir, ref)
    except PathEscapeError as exc:
        # resolve_inside names the absolute folder; the batch-relative file name says enough
        why = (f"{ref!r} points outside the item folder" if "points outside" in exc.message
               else exc.message)
        raise PathEscapeError(f"{what}: {why}", file=name, line=line) from None
    if not target.is_file() and ("%" in ref or "\\" in ref):
        # facs is a URI reference: try it percent-decoded, and Windows separators as "/"
        alt = unquote(ref).replace("\\", "/")
        if alt != ref:
            try:
                alt_target = resolve_inside(item_dir, alt)
            except PathEscapeError as exc:
                raise PathEscapeError(f"{what}: {exc.message}", file=name, line=line) from None
            if alt_target.is_file():
                target = alt_target
    rel = target.relative_to(item_dir.resolve()).as_posix()
    if not target.is_file():
        diags.append(Diagnostic("error", f"image {ref!r} named by {what} is not in the item folder",
                                name, line, "missing-image"))
    return rel


def _page_image(mark: _PageMark, index: int, fac: _Facsimile, item_dir: Path, name: str,
                diags: list[Diagnostic]) -> Optional[str]:
    """The image of a page: its mark's facs, else the surface of the same rank."""
    ref = mark.facs
    line = mark.line
    what = f"<pb facs={ref!r}>"
    graphic: Optional[etree._Element] = None
    if ref.startswith("#"):
        target = fac.ids.get(ref[1:])
        graphic = fac.graphic_of(target) if target is not None else None
        if graphic is None or not graphic.get("url"):
            diags.append(Diagnostic("error", f"facs {ref!r} points at no <graphic url> in the "
                                             "<facsimile>", name, line, "missing-image"))
            return None
    elif not ref and index < len(fac.surfaces):
        graphic = fac.graphic_of(fac.surfaces[index])
        if graphic is None or not graphic.get("url"):
            return None
        what = f"<surface> {index + 1} of the <facsimile>"
    if graphic is not None:
        ref = graphic.get("url", "")
        what = f"<graphic url> (line {graphic.sourceline}) for {what}"
        line = line or graphic.sourceline
    if not ref.strip():
        return None
    return _resolve_image(ref.strip(), item_dir, name, line, diags, what)


# --- the entry point ---------------------------------------------------------------------------

def _choose_marks(root: etree._Element) -> str:
    texts = root.findall(f".//{T}text")
    def has(path: str) -> bool:
        return any(t.find(path) is not None for t in texts)
    if has(f".//{T}pb"):
        return "pb"
    if has(f".//{T}ref[@type='folio'][@cRef]"):
        return "folio"
    for t in texts:
        for m in t.iter(f"{T}milestone"):
            if m.get("unit") in ("page", "folio", "leaf", "pb"):
                return "milestone"
    return "none"


def _block_newlines(root: etree._Element) -> bool:
    """Whether block edges are line breaks (prose) or mere spaces (``<lb/>`` carries the lines)."""
    lbs = blocks = 0
    for t in root.iter(f"{T}text"):
        for el in t.iter(f"{T}lb", f"{T}p", f"{T}ab", f"{T}head", f"{T}item", f"{T}l"):
            if el.tag == f"{T}lb":
                lbs += 1
            else:
                blocks += 1
    return lbs < blocks


def parse_tei(path: Path, item_dir: Path, item_id: str, *,
              display_name: Optional[str] = None) -> TeiResult:
    """Read the TEI file ``path`` of the item in ``item_dir`` into an ``Item`` with its pages."""
    name = display_name or path.name
    tree = parse_xml(path, display_name=name)
    root = tree.getroot()
    if root.tag not in (f"{T}TEI", f"{T}teiCorpus"):
        ns = etree.QName(root).namespace if isinstance(root.tag, str) else None
        local = _local(root)
        if local in ("TEI", "teiCorpus"):
            why = (f"the root <{local}> is not in the TEI namespace {TEI_NS} "
                   f"(found {ns or 'no namespace'})")
        else:
            why = f"the root element is <{local}>{' in ' + ns if ns else ''}, not TEI"
        raise NotTEIError(f"not a TEI P5 document: {why}", file=name, line=root.sourceline,
                          hint=f'the root must be <TEI xmlns="{TEI_NS}">')
    diags: list[Diagnostic] = []
    item = Item(id=item_id)
    try:
        item.tei_file = path.resolve().relative_to(item_dir.resolve()).as_posix()
    except ValueError:
        item.tei_file = path.name

    header = _Header(root, name, diags)
    fac = _Facsimile(root)
    mark_kind = _choose_marks(root)
    text_lang = ""
    text_el = root.find(f".//{T}text")
    if text_el is not None:
        text_lang = _lang_of(text_el)
    walker = _BodyWalker(root, fac, mark_kind, _block_newlines(root), text_lang)
    if text_el is None:
        diags.append(Diagnostic("warning", "the TEI has no <text>: the item has no transcription",
                                name, root.sourceline, "no-text"))
    raw_pages = walker.walk()

    pages: list[Page] = []
    for i, (mark, buf) in enumerate(raw_pages):
        text, alt, lines = buf.finish()
        image = _page_image(mark, i, fac, item_dir, name, diags)
        pages.append(Page(item_id=item_id, order=i + 1, label=mark.label or str(i + 1),
                          image=image, text=text, alt_text=alt, lines=lines))
    # surfaces the page marks never reached still are pages of the volume
    if mark_kind == "none" and len(fac.surfaces) > 1:
        for j in range(1, len(fac.surfaces)):
            image = _page_image(_PageMark("", "", None), j, fac, item_dir, name, diags)
            pages.append(Page(item_id=item_id, order=len(pages) + 1, label=str(len(pages) + 1),
                              image=image))
        diags.append(Diagnostic("warning", "no <pb/> in the text: all of it is shown with the "
                                           "first image", name, None, "no-pb"))
    if pages and not any(p.text for p in pages) and not any(p.image for p in pages):
        diags.append(Diagnostic("warning", "the TEI has neither text nor images", name, None,
                                "empty"))
    item.pages = pages
    body_text = "\n".join(p.text for p in pages)
    header.fill(item, body_text)
    # the TOC labels used the text language before the header was read; use the final one
    _fix_toc_lang(walker.toc, text_lang or item.writing_system or "und")
    item.toc = walker.toc
    for d in diags:
        if d.level == "warning":
            item.warnings.append(str(d))
    return TeiResult(item=item, diagnostics=diags)


def _fix_toc_lang(entries: list[TocEntry], lang: str) -> None:
    for e in entries:
        if "und" in e.label and len(e.label) == 1 and lang != "und":
            e.label = {lang: e.label["und"]}
        _fix_toc_lang(e.children, lang)
