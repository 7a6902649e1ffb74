"""OCR layers (ALTO v2–v4, hOCR, PAGE XML 2013/2019) to lines and words with boxes.

The format is recognised by content, not by file name. XML goes through ``ingest.xmlsafe``; an
hOCR file that is HTML rather than XHTML is read with lxml's HTML parser (no network, no DTD).
``OcrPage.text`` is the OCR text, lines joined with ``"\\n"`` and words with a space; the
``start``/``end`` of each ``Line`` and ``Word`` are offsets into it. ``align_ocr_to_text`` moves
those offsets onto a page's TEI transcription when both exist.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from lxml import etree

from ingest.xmlsafe import DEFAULT_MAX_BYTES, parse_xml_bytes
from library.errors import InputError, XMLSyntaxError
from library.models import Box, Line, Word
from library.numbers import MAX_DIGITS, plausible
from library.safe_open import open_batch_file

_PAGE_NS_RE = re.compile(
    r"^http://schema\.primaresearch\.org/PAGE/gts/pagecontent/\d{4}-\d{2}-\d{2}$")
# no pixel needs more than MAX_DIGITS digits (int() of 5,000 digits raises, of 300 fills the JSON)
_BBOX_NUM = rf"(-?[0-9]{{1,{MAX_DIGITS}}})(?![0-9])"
_BBOX_RE = re.compile(rf"\bbbox\s+{_BBOX_NUM}\s+{_BBOX_NUM}\s+{_BBOX_NUM}\s+{_BBOX_NUM}")
_IMAGE_RE = re.compile(r"""\bimage\s+(?:"([^"]*)"|'([^']*)'|(\S+?))\s*(?:;|$)""")
_WS_RE = re.compile(r"\s+")
_HOCR_LINES = {"ocr_line", "ocrx_line", "ocr_header", "ocr_caption", "ocr_textfloat"}


@dataclass
class OcrPage:
    """One page of OCR: its size, lines with words and boxes, and the text they make."""

    width: int
    height: int
    lines: list[Line] = field(default_factory=list)
    text: str = ""
    format: str = ""  # "alto", "hocr" or "page"
    image: str = ""  # the image file the OCR names, as written in it (informative only)


# --- helpers ---------------------------------------------------------------------------------

def _local(el: etree._Element) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _clean(text: Optional[str]) -> str:
    return unicodedata.normalize("NFC", _WS_RE.sub(" ", text or "").strip())


def _num(value: Optional[str]) -> float:
    """A coordinate or size; 0 when absent, not a number, NaN, infinite or absurdly large."""
    try:
        number = float(value) if value not in (None, "") else 0.0
    except ValueError:
        return 0.0
    return number if plausible(number) else 0.0


def _points_box(points: str) -> Optional[Box]:
    xs: list[float] = []
    ys: list[float] = []
    for pair in points.split():
        bits = pair.split(",")
        if len(bits) < 2:
            continue
        try:
            x, y = float(bits[0]), float(bits[1])
        except ValueError:
            continue
        if plausible(x) and plausible(y):
            xs.append(x)
            ys.append(y)
    if not xs:
        return None
    x0, y0 = int(min(xs)), int(min(ys))
    return Box(x0, y0, int(round(max(xs))) - x0, int(round(max(ys))) - y0)


def _assemble(raw_lines: list[tuple[Optional[Box], list[Word], str]]) -> tuple[list[Line], str]:
    """Lines with offsets from (box, words, fallback text); words joined by spaces."""
    lines: list[Line] = []
    parts: list[str] = []
    pos = 0
    for box, words, fallback in raw_lines:
        words = [w for w in words if w.text]
        if not words and not fallback:
            continue
        if lines:
            parts.append("\n")
            pos += 1
        start = pos
        if words:
            for i, w in enumerate(words):
                if i:
                    parts.append(" ")
                    pos += 1
                w.start, w.end = pos, pos + len(w.text)
                parts.append(w.text)
                pos = w.end
            text = " ".join(w.text for w in words)
        else:
            text = fallback
            parts.append(text)
            pos += len(text)
        lines.append(Line(text=text, box=box, start=start, end=pos, words=words))
    return lines, "".join(parts)


# --- ALTO ------------------------------------------------------------------------------------

def _alto_box(el: etree._Element) -> Optional[Box]:
    if el.get("HPOS") is None and el.get("WIDTH") is None:
        return None
    x, y = _num(el.get("HPOS")), _num(el.get("VPOS"))
    w, h = _num(el.get("WIDTH")), _num(el.get("HEIGHT"))
    return Box(int(round(x)), int(round(y)), int(round(w)), int(round(h)))


def _parse_alto(root: etree._Element, name: str) -> OcrPage:
    ns = etree.QName(root).namespace
    q = (lambda t: f"{{{ns}}}{t}") if ns else (lambda t: t)
    unit = _clean(root.findtext(f"{q('Description')}/{q('MeasurementUnit')}") or "pixel").lower()
    page = root.find(f".//{q('Page')}")
    if page is None:
        raise InputError("ALTO file without a <Page>", file=name, line=root.sourceline)
    # mm10 and inch1200 need the scan resolution to become pixels, which ALTO does not give; the
    # numbers are kept and the pipeline scales boxes by image size / page size anyway.
    fmt = "alto" if unit == "pixel" else f"alto-{unit}"
    width = int(round(_num(page.get("WIDTH"))))
    height = int(round(_num(page.get("HEIGHT"))))
    raw: list[tuple[Optional[Box], list[Word], str]] = []
    for tl in page.iter(q("TextLine")):
        words: list[Word] = []
        for el in tl:
            kind = _local(el)
            if kind == "String":
                text = _clean(el.get("CONTENT"))
                if text:
                    words.append(Word(text=text, box=_alto_box(el)))
            elif kind == "HYP" and words:
                # the hyphen printed at the line end belongs to the last word's display form
                words[-1] = replace(words[-1], text=words[-1].text + (el.get("CONTENT") or "-"))
        raw.append((_alto_box(tl), words, ""))
    lines, text = _assemble(raw)
    image = _clean(root.findtext(f".//{q('sourceImageInformation')}/{q('fileName')}"))
    return OcrPage(width=width, height=height, lines=lines, text=text, format=fmt, image=image)


# --- PAGE XML --------------------------------------------------------------------------------

def _text_equiv(el: etree._Element, ns: str) -> Optional[str]:
    """The first (lowest index) TextEquiv/Unicode directly under ``el``."""
    best: Optional[tuple[float, str]] = None
    for te in el.findall(f"{{{ns}}}TextEquiv"):
        u = te.find(f"{{{ns}}}Unicode")
        if u is None:
            continue
        idx = _num(te.get("index")) if te.get("index") is not None else 0.0
        if best is None or idx < best[0]:
            best = (idx, "".join(u.itertext()))
    return best[1] if best is not None else None


def _coords_box(el: etree._Element, ns: str) -> Optional[Box]:
    c = el.find(f"{{{ns}}}Coords")
    if c is None:
        return None
    if c.get("points"):
        return _points_box(c.get("points", ""))
    pts = [f"{p.get('x')},{p.get('y')}" for p in c.findall(f"{{{ns}}}Point")]  # PAGE 2010
    return _points_box(" ".join(pts)) if pts else None


def _page_regions(page: etree._Element, ns: str) -> list[etree._Element]:
    """Text regions in reading order (ReadingOrder when given, else document order)."""
    regions = [r for r in page.iter(f"{{{ns}}}TextRegion")]
    by_id = {r.get("id"): r for r in regions if r.get("id")}
    order: list[etree._Element] = []
    ro = page.find(f"{{{ns}}}ReadingOrder")
    if ro is not None:
        def walk(group: etree._Element) -> None:
            kids = [k for k in group if isinstance(k.tag, str)]
            if any(k.get("index") is not None for k in kids):
                kids.sort(key=lambda k: _num(k.get("index")))
            for k in kids:
                ref = k.get("regionRef")
                if ref in by_id and by_id[ref] not in order:
                    order.append(by_id[ref])
                walk(k)
        walk(ro)
    order += [r for r in regions if r not in order]
    return order


def _parse_page(root: etree._Element, name: str) -> OcrPage:
    ns = etree.QName(root).namespace or ""
    page = root.find(f"{{{ns}}}Page")
    if page is None:
        raise InputError("PAGE XML file without a <Page>", file=name, line=root.sourceline)
    raw: list[tuple[Optional[Box], list[Word], str]] = []
    for region in _page_regions(page, ns):
        for tl in region.findall(f"{{{ns}}}TextLine"):
            words = []
            for w in tl.findall(f"{{{ns}}}Word"):
                text = _clean(_text_equiv(w, ns))
                if text:
                    words.append(Word(text=text, box=_coords_box(w, ns)))
            line_text = _clean(_text_equiv(tl, ns))
            # a line whose words do not spell its TextEquiv keeps the line text, without words
            if words and line_text and _squash(" ".join(w.text for w in words)) != \
                    _squash(line_text):
                words = []
            raw.append((_coords_box(tl, ns), words, line_text))
    lines, text = _assemble(raw)
    return OcrPage(width=int(_num(page.get("imageWidth"))),
                   height=int(_num(page.get("imageHeight"))), lines=lines, text=text,
                   format="page", image=page.get("imageFilename", ""))


def _squash(text: str) -> str:
    return _WS_RE.sub("", text)


# --- hOCR ------------------------------------------------------------------------------------

def _classes(el: etree._Element) -> set[str]:
    return set((el.get("class") or "").split())


def _title_box(el: etree._Element) -> Optional[Box]:
    m = _BBOX_RE.search(el.get("title") or "")
    if not m:
        return None
    x0, y0, x1, y1 = (int(g) for g in m.groups())
    return Box(x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def _own_text(word: etree._Element) -> str:
    """The text of an hOCR word without any word nested in it (sloppy HTML nests them)."""
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        if el.text:
            parts.append(el.text)
        for child in el:
            if isinstance(child.tag, str) and "ocrx_word" not in _classes(child):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(word)
    return _clean("".join(parts))


def _hocr_pages(root: etree._Element) -> list[OcrPage]:
    pages: list[OcrPage] = []
    page_els = [el for el in root.iter() if isinstance(el.tag, str) and "ocr_page" in _classes(el)]
    if not page_els:
        page_els = [root]
    for pel in page_els:
        raw: list[tuple[Optional[Box], list[Word], str]] = []
        for el in pel.iter():
            if not isinstance(el.tag, str) or not (_classes(el) & _HOCR_LINES):
                continue
            words = [Word(text=_own_text(w), box=_title_box(w))
                     for w in el.iter() if isinstance(w.tag, str) and "ocrx_word" in _classes(w)]
            raw.append((_title_box(el), words, _clean("".join(el.itertext()))))
        lines, text = _assemble(raw)
        box = _title_box(pel)
        m = _IMAGE_RE.search(pel.get("title") or "")
        image = next((g for g in m.groups() if g), "") if m else ""
        pages.append(OcrPage(width=box.x + box.w if box else 0, height=box.y + box.h if box else 0,
                             lines=lines, text=text, format="hocr", image=image))
    return pages


def _parse_html(data: bytes, name: str) -> etree._Element:
    try:
        data.decode("utf-8")
        encoding: Optional[str] = "utf-8"  # hOCR is UTF-8 in practice; libxml2 would guess Latin-1
    except UnicodeDecodeError:
        encoding = None
    parser = etree.HTMLParser(no_network=True, huge_tree=False, remove_comments=True,
                              remove_pis=True, default_doctype=False, encoding=encoding)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise XMLSyntaxError(f"cannot read the HTML: {exc.msg}", file=name,
                             line=exc.lineno or None) from None
    if root is None:
        raise XMLSyntaxError("the HTML is empty", file=name)
    return root


# --- entry points ----------------------------------------------------------------------------

def _read(path: Path, name: str, max_bytes: int) -> bytes:
    # once, never through a link as its last part, a regular file only
    with open_batch_file(path.parent, path.name, name) as f:
        size = f.stat.st_size
        if size > max_bytes:
            raise InputError(f"the OCR file is {size:,} bytes, above the limit of "
                             f"{max_bytes:,}", file=name)
        return f.read(max_bytes)


def _looks_like_html(data: bytes) -> bool:
    head = data[:4096].lower()
    return b"<html" in head or b"ocr_page" in data[:20000] or b"ocr_line" in data[:20000]


def parse_ocr_pages(path: Path, *, display_name: Optional[str] = None,
                    max_bytes: int = DEFAULT_MAX_BYTES,
                    data: Optional[bytes] = None) -> list[OcrPage]:
    """Every page of an OCR file (hOCR may hold a whole volume; ALTO and PAGE hold one).

    ``data``, when given, is the file's content as read once from the batch
    (``ItemPlan.read``); ``path`` is then only its name.
    """
    name = display_name or path.name
    if data is None:
        data = _read(path, name, max_bytes)
    try:
        root = parse_xml_bytes(data, name).getroot()
    except XMLSyntaxError:
        if not _looks_like_html(data):
            raise
        return _hocr_pages(_parse_html(data, name))
    local = _local(root)
    ns = etree.QName(root).namespace or ""
    if local == "alto":
        return [_parse_alto(root, name)]
    if local == "PcGts" and (_PAGE_NS_RE.match(ns) or "primaresearch" in ns):
        return [_parse_page(root, name)]
    if local == "html" or any("ocr_page" in _classes(el) for el in root.iter()
                               if isinstance(el.tag, str)):
        return _hocr_pages(root)
    raise InputError(
        f"not an OCR file Sudur knows: root <{local}>{' in ' + ns if ns else ''} "
        "(expected ALTO, hOCR or PAGE XML)", file=name, line=root.sourceline)


def parse_ocr(path: Path, *, display_name: Optional[str] = None,
              data: Optional[bytes] = None) -> OcrPage:
    """The OCR page in ``path`` (the first page when an hOCR file holds several)."""
    pages = parse_ocr_pages(path, display_name=display_name, data=data)
    if not pages:
        raise InputError("the OCR file holds no page", file=display_name or path.name)
    return pages[0]


# --- alignment with a TEI transcription ------------------------------------------------------

# characters ignored when comparing: spaces and the marks that hyphenate at line ends
_IGNORED = set(" \t\r\n\u00ad-=¬⸗\u2010\u2011")


def _norm_map(text: str) -> tuple[str, list[int]]:
    """A comparison form of ``text`` (NFKC, casefolded, no spaces/hyphens) and, per character of
    it, the index in ``text`` it came from."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch in _IGNORED or ch.isspace():
            continue
        n = unicodedata.normalize("NFKC", ch).casefold()
        for c in n:
            if c in _IGNORED or c.isspace():
                continue
            out.append(c)
            index.append(i)
    return "".join(out), index


def _window(n: int) -> int:
    return 8 if n <= 2 else 64 + 8 * n


def align_ocr_to_text(page_text: str, ocr: OcrPage) -> list[Line]:
    """Copies of ``ocr.lines`` whose ``start``/``end`` (and their words') point into ``page_text``.

    Each OCR word is looked for in the page text after the previous match (comparison ignores
    case, compatibility forms, spaces and hyphenation marks). Words of three characters or more
    are placed first, each within a window after the last one so that a misread word cannot
    drag the alignment far ahead (after a run of misses the next three together are sought
    anywhere further on, to re-synchronise); shorter words are then placed only between their
    placed neighbours. Unmatched words keep -1.
    """
    norm, index = _norm_map(page_text)
    # what is sought, in order: each word, or the whole line when it has no words
    targets: list[tuple[Word | Line, str]] = []
    new_lines: list[Line] = []
    for line in ocr.lines:
        words = [Word(text=w.text, box=w.box) for w in line.words]
        copy = Line(text=line.text, box=line.box, words=words)
        new_lines.append(copy)
        for w in words:
            targets.append((w, _norm_map(w.text)[0]))
        if not words:
            targets.append((copy, _norm_map(line.text)[0]))
    # pass 1: words of three or more characters anchor the alignment
    anchors = [i for i, (_, key) in enumerate(targets) if len(key) >= 3]
    found: dict[int, int] = {}  # target index -> position in norm
    cursor = 0
    misses = 0
    for n, i in enumerate(anchors):
        key = targets[i][1]
        k = norm.find(key, cursor, cursor + _window(len(key)) + len(key))
        if k == -1 and misses >= 3:
            probe = "".join(targets[j][1] for j in anchors[n:n + 3])
            k = norm.find(probe, cursor)
        if k == -1:
            misses += 1
            continue
        misses = 0
        found[i] = k
        cursor = k + len(key)
    # pass 2: short words (punctuation, particles) only between the anchors around them
    lo = 0
    skipped = 0  # characters of unplaced words since ``lo``: the window widens by as much
    for i, (_, key) in enumerate(targets):
        if i in found:
            lo, skipped = found[i] + len(key), 0
            continue
        if not key:
            continue
        if len(key) >= 3:
            skipped += len(key)
            continue
        hi = next((found[j] for j in range(i + 1, len(targets)) if j in found), len(norm))
        k = norm.find(key, lo, min(hi, lo + _window(len(key)) + skipped + len(key)))
        if k == -1:
            skipped += len(key)
        else:
            found[i] = k
            lo, skipped = k + len(key), 0
    for i, k in found.items():
        obj, key = targets[i]
        obj.start = index[k]
        obj.end = index[k + len(key) - 1] + 1
    for line in new_lines:
        hits = [w for w in line.words if w.start >= 0]
        if hits:
            line.start, line.end = min(w.start for w in hits), max(w.end for w in hits)
        elif line.words:
            line.start = line.end = -1
    return new_lines
