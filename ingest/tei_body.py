"""The TEI body: one streaming walk over the transcription that cuts it into pages.

Pages are cut at the page marks ``tei_detect.choose_marks`` picked (``<pb/>`` wherever it
stands, inside ``div``, ``p`` or ``l`` too; else folio refs or page milestones); the tree is
never restructured. ``PageText`` builds each page's display text with XML whitespace
normalised, no space between CJK characters, no break at an ``<lb/>`` between two of them or at
an ``<lb break="no"/>`` (a block edge still breaks), and the offsets of lines whose zones
(``Facsimile``) give boxes. Editorial markup gives one display reading (``reg``, ``corr``,
``expan``, ``lem``, ``add``) and sends the others to the alternative text; notes and the other
elements of ``_SKIP`` stay out. Divisions with a head or a name become the table of contents.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional

from lxml import etree

from library.models import Box, LangMap, Line, TocEntry
from library.scripts import fold_width

from .tei_edition import EditionBuilder, StandOff, note_node
from .tei_facsimile import Facsimile
from .tei_text import CJK_RE, T, WS_RE, first_ref, lang_of, local_name, nfc, norm_ws, text_of

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
_FOLIO_RE = re.compile(r"^F\.(\d+)\.([ab])$", re.IGNORECASE)


class PageText:
    """Builds one page's display text with whitespace normalised and line offsets recorded."""

    def __init__(self, block_newlines: bool, edition: Optional[EditionBuilder] = None) -> None:
        self.edition = edition or EditionBuilder()
        self.emitted: Optional[tuple[str, str, int]] = None  # the last (separator, text, start)
        self.out: list[str] = []
        self.length = 0
        self.last = ""
        self.pending = ""  # "", " " or "\n"
        # How a pending <lb/> joins the next text: "" not at all (a block edge came too),
        # "cjk" between two characters of a script written without spaces, "always" for
        # <lb break="no"/> (the word goes on). Structure since the last character cancels it.
        self.join = ""
        self.structure = False
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
        chunk = nfc(WS_RE.sub(" ", raw))
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
        sep = ""
        if self.pending and self.length:
            sep = self.pending
            if sep == " " and (CJK_RE.match(self.last) or CJK_RE.match(core[0])):
                sep = ""
            elif self.join == "always" or (self.join == "cjk" and _spaceless(self.last)
                                           and _spaceless(core[0])):
                sep = ""  # a line break inside a word, or inside space-less text
            if sep:
                self.out.append(sep)
                self.length += len(sep)
        self.emitted = (sep, core, self.length)
        self.pending = ""
        self.join, self.structure = "", False
        for line in self.starting:
            line.start = self.length
        self.starting = []
        self.out.append(core)
        self.length += len(core)
        self.last = core[-1]

    def hard_break(self) -> None:
        self.join, self.structure = "", True
        self._want("\n")

    def soft_break(self, inline: bool = True) -> None:
        self.join, self.structure = "", True
        self._want("\n" if self.block_newlines or not inline else " ")

    def line_break(self, continues: bool) -> None:
        """An ``<lb/>``: a new line, joined to the last one when nothing but the break (and
        XML whitespace) stands between two characters of space-less text, or always when
        ``continues`` (``break="no"``)."""
        if self.length and not self.structure:
            self.join = "always" if continues else (self.join or "cjk")
        self._want("\n")

    def alt_text(self, raw: str) -> None:
        t = norm_ws(raw)
        if t:
            self.alt.append(nfc(t))

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
            text = nfc(text)  # only at chunk seams; offsets may shift by a mark at most
        alt = nfc(" ".join(self.alt).replace(" \n ", "\n").strip())
        lines = sorted(self.lines, key=lambda ln: (ln.start, ln.end))
        for ln in lines:
            ln.start, ln.end = min(ln.start, len(text)), min(ln.end, len(text))
            ln.text = text[ln.start:ln.end]
        return text, alt, lines


@dataclass
class PageMark:
    """Where a page starts: its label as written, its ``facs`` and the line of the mark."""

    label: str
    facs: str
    line: Optional[int]


class BodyWalker:
    """Walks the transcription once, cutting pages at the chosen page marks."""

    def __init__(self, root: etree._Element, facsimile: Facsimile, mark_kind: str,
                 block_newlines: bool, text_lang: str) -> None:
        self.root = root
        self.fac = facsimile
        self.mark_kind = mark_kind
        self.block_newlines = block_newlines
        self.text_lang = text_lang or "und"
        self.pages: list[tuple[PageMark, PageText]] = []
        self.marks_seen = 0
        self.standoff = StandOff(root)
        self.current = PageText(block_newlines, EditionBuilder(sigla=self.standoff.sigla))
        self.current_mark = PageMark("", "", None)
        self.alt_depth = 0
        self.lb_line: Optional[Line] = None
        self.toc_stack: list[tuple[Optional[TocEntry], etree._Element]] = []
        self.toc: list[TocEntry] = []
        self.pending_toc: list[TocEntry] = []  # page fixed at the first text inside the div
        self.el_lines: dict[etree._Element, Line] = {}
        self.alt_roots: set[etree._Element] = set()

    # page marks
    def _is_mark(self, el: etree._Element) -> bool:
        name = local_name(el)
        if self.mark_kind == "pb":
            return name == "pb" and el.tag == f"{T}pb"
        if self.mark_kind == "folio":
            return name == "ref" and el.get("type") == "folio" and bool(el.get("cRef"))
        if self.mark_kind == "milestone":
            return name == "milestone" and el.get("unit") in ("page", "folio", "leaf", "pb")
        return False

    def _mark(self, el: etree._Element) -> PageMark:
        if self.mark_kind == "folio":
            cref = el.get("cRef", "")
            m = _FOLIO_RE.match(cref)
            label = f"{int(m.group(1))}{m.group(2).lower()}" if m else cref
        else:
            label = el.get("n", "")
        return PageMark(norm_ws(label), first_ref(el.get("facs")), el.sourceline)

    def _new_page(self, mark: PageMark) -> None:
        self.marks_seen += 1
        if self.marks_seen == 1:
            # text before the first page mark belongs to the first page
            self.current_mark = mark
            return
        self._close_page()
        self.current = PageText(self.block_newlines, EditionBuilder(self.current.edition))
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
            self.current.edition.other(raw)
            return
        before = self.current.length
        self.current.emitted = None
        self.current.text(raw)
        if self.current.emitted is not None:
            self.current.edition.shown(*self.current.emitted)
        if self.current.length != before and self.pending_toc:
            order = len(self.pages) + 1
            for entry in self.pending_toc:
                entry.page = order
            self.pending_toc = []

    # the walk
    def walk(self) -> list[tuple[PageMark, PageText]]:
        for node, event in _events(self.root):
            if event == "start":
                self._start(node)
            elif event == "end":
                self._end(node)
            elif event == "skip":
                self._skipped(node)  # type: ignore[arg-type]
            else:
                self._text(node)  # type: ignore[arg-type]
        self._close_page()
        return self.pages

    def _enter_reading(self, el: etree._Element) -> None:
        """Readings of a choice/app/subst that are not shown go to the alternative text."""
        parent = el.getparent()
        kind = local_name(parent) if parent is not None else ""
        if kind not in ("choice", "app", "subst"):
            return
        if kind == "app" and (parent.get("from") or parent.get("to")):
            shown = None  # a stand-off apparatus repeats the text it points at: all readings alt
        elif kind == "subst":
            shown = next((c for c in parent if local_name(c) == "add"), None)
        else:
            shown = _display_choice(parent)
        if el is not shown:
            self.alt_roots.add(el)
            self.alt_depth += 1

    def _start(self, el: etree._Element) -> None:
        self._enter_reading(el)
        name = local_name(el)
        if self._is_mark(el):
            self._new_page(self._mark(el))
            return
        if name == "lb":
            if self.lb_line is not None:
                self.current.end_line(self.lb_line)
                self.lb_line = None
            if not self.alt_depth:
                self.current.line_break(el.get("break") == "no")
                box = self.fac.zone_box(first_ref(el.get("facs")))
                if box is not None:
                    self.lb_line = self.current.start_line(box)
            return
        self.current.edition.open(el)
        if name == "gap":
            if self.alt_depth:
                self.current.alt_text("[…]")
                self.current.edition.other("[…]")
            else:
                self.current.emitted = None
                self.current.literal("[…]")
                if self.current.emitted is not None:
                    self.current.edition.shown(*self.current.emitted)
            return
        if name == "anchor" and not self.alt_depth:
            self.current.edition.add(self.standoff.nodes_at(el))
        if _is_block(el, name):
            self._block_edge(name)
        if name in ("l", "seg", "ab", "p", "line", "zone", "head") and el.get("facs"):
            box = self.fac.zone_box(first_ref(el.get("facs")))
            # an element holding <lb facs> is a region; its lines are the lb's
            if box is not None and el.find(f".//{T}lb") is None and not self.alt_depth:
                self.el_lines[el] = self.current.start_line(box)
        if name in _DIVS:
            self._start_div(el)

    def _skipped(self, el: etree._Element) -> None:
        """An element the page text leaves out: a note is shown in the edition where it
        stands, unless it is a stand-off note shown at its anchor."""
        if local_name(el) == "note" and not self.alt_depth and not self.standoff.placed(el):
            self.current.edition.add([note_node(el)])

    def _end(self, el: etree._Element) -> None:
        name = local_name(el)
        if name != "lb" and not self._is_mark(el):
            self.current.edition.close()
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
            if local_name(child) == "head":
                head = child
                break
            if local_name(child) == "mulu" and child.text:
                head = child
        if head is not None:
            text = text_of(head)
            if text:
                return {lang_of(head) or self.text_lang: text}
        kind = el.get("type") or ""
        label = norm_ws(el.get("n") or ("" if kind.lower() in _GENERIC_DIVS else kind))
        if label and el.get("n"):
            return {"und": label}
        if label:
            return {"en": label[:1].upper() + label[1:]}
        return {}


def _spaceless(ch: str) -> bool:
    """Whether ``ch`` is written without spaces around it: CJK, but not full-width Latin
    letters or digits, which are words of Latin text (library.scripts.fold_width)."""
    return bool(CJK_RE.match(ch)) and fold_width(ch) == ch


def _is_block(el: etree._Element, name: str) -> bool:
    if name in _BLOCKS or name == "l":
        return True
    # a bibl is a paragraph of its own in a bibliography, a citation inside prose
    parent = el.getparent()
    return name == "bibl" and parent is not None and local_name(parent) == "listBibl"


def _events(root: etree._Element) -> Iterator[tuple[object, str]]:
    """Start/text/end events in document order.

    Yields ``(element, "start")``, ``(text, "text")``, ``(element, "end")``; elements kept out of
    the display (notes, the header, the facsimile, ...) yield ``(element, "skip")`` and their
    tail. Iterative,
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
        name = local_name(el)
        if name in _SKIP and el is not root:
            yield el, "skip"
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
    if local_name(el) == "app":
        for c in kids:
            if local_name(c) == "lem":
                return c
        for c in kids:
            if local_name(c) in ("rdg", "rdgGrp"):
                return c
        return None
    for want in _PREFERRED:
        for c in kids:
            if local_name(c) == want:
                return c
    return kids[0] if kids else None
