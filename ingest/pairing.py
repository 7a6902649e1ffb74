"""Which OCR page goes with which page image, and what ``sudur check`` says about it.

The order of evidence, strongest first:

1. the image the OCR names (ALTO ``sourceImageInformation/fileName``, PAGE ``Page/@imageFilename``,
   hOCR ``image "..."`` in each ``ocr_page`` title), compared by base name, case-insensitively,
   with or without its extension; a path, a Windows path or a URL all name their last part;
2. the OCR file's stem equal to the image's stem, then a number in both names (``zz_0017.xml``
   and ``0017.tif``) that points at one image only;
3. position, for what is left, only when as many OCR pages as pages are left and no name says
   otherwise (an OCR page naming an image, or numbers that differ); it is reported as a warning.

Every OCR file is parsed here (``ingest.ocr``); a file that cannot be parsed is paired by its
name only, so that the error it raises is reported where it is used. An hOCR file holding a
whole volume gives one OCR page per ``ocr_page``.
"""
from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional
from urllib.parse import unquote

from library.errors import InputError, SudurError

if TYPE_CHECKING:
    from pathlib import Path

    from .batch import ItemPlan

_DIGITS = re.compile(r"\d+")
_MAX_LISTED = 5  # file names quoted in one message


@dataclass
class PagePairing:
    """The OCR page paired with one page of an item; ``how`` is named/stem/number/position."""

    page: int  # the page's order
    label: str
    image: str  # the page image, relative to the item folder ("" when the page has none)
    ocr: str = ""  # the OCR file, relative to the item folder ("" when none)
    ocr_page: int = 1  # which page of the OCR file (hOCR may hold a volume), from 1
    how: str = ""


@dataclass
class _Source:
    rel: str
    index: int  # page within the file, from 0
    named: str  # the image the OCR page names, as written
    numbers: frozenset[int]

    @property
    def where(self) -> str:
        return self.rel if self.index == 0 else f"{self.rel} (page {self.index + 1})"


def base_name(name: str) -> str:
    """The last part of an image name that may be a path, a Windows path or a URL, folded."""
    if "://" in name:
        name = unquote(name.split("?", 1)[0].split("#", 1)[0])
    last = re.split(r"[/\\]", name.strip())[-1]
    return unicodedata.normalize("NFC", last).casefold()


def _stem(base: str) -> str:
    return base.rsplit(".", 1)[0] if "." in base.strip(".") else base


def _numbers(name: str) -> frozenset[int]:
    return frozenset(int(d) for d in _DIGITS.findall(_stem(base_name(name))))


def _sources(plan: "ItemPlan", max_bytes: Optional[int]) -> list[_Source]:
    from .ocr import parse_ocr_pages
    from .xmlsafe import DEFAULT_MAX_BYTES

    out: list[_Source] = []
    for rel, path in sorted(plan.ocr.items()):
        numbers = _numbers(rel)
        try:
            data = plan.read(rel, max_bytes or DEFAULT_MAX_BYTES)
            pages = parse_ocr_pages(path, display_name=f"{plan.display}/{rel}", data=data)
        except SudurError:
            pages = []  # reported by the check of OCR files and, if used, by ingest
        if not pages:
            out.append(_Source(rel, 0, "", numbers))
        for i, page in enumerate(pages):
            out.append(_Source(rel, i, page.image.strip(), numbers))
    return out


def _unique(found: list[str]) -> Optional[str]:
    return found[0] if len(set(found)) == 1 else None


def pair_ocr(plan: "ItemPlan", max_bytes: Optional[int] = None) -> list[PagePairing]:
    """Pair the OCR files of a planned item with its pages; warn about what does not fit."""
    pages = plan.item.pages if plan.item is not None else []
    out = [PagePairing(p.order, p.label or str(p.order), p.image or "") for p in pages]
    if not plan.ocr or not pages:
        return out
    images = list(dict.fromkeys(p.image for p in out if p.image))
    # indexes, so that a volume of 10,000 pages is paired in linear time
    by_base: dict[str, list[str]] = {}
    by_stem: dict[str, list[str]] = {}
    by_number: dict[int, list[str]] = {}
    for img in images:
        base = base_name(img)
        by_base.setdefault(base, []).append(img)
        by_stem.setdefault(_stem(base), []).append(img)
        for n in _numbers(img):
            by_number.setdefault(n, []).append(img)
    taken: dict[str, tuple[_Source, str]] = {}  # image -> (source, how)
    dupes: list[tuple[_Source, str]] = []
    loose: list[_Source] = []
    absent: list[_Source] = []  # sources naming an image the item does not have

    def claim(src: _Source, image: Optional[str], how: str) -> bool:
        if image is None:
            return False
        if image in taken:
            dupes.append((src, image))
        else:
            taken[image] = (src, how)
        return True

    sources = _sources(plan, max_bytes)
    for src in sources:  # 1. the image each OCR page names
        if src.named:
            want = base_name(src.named)
            found = by_base.get(want) or by_stem.get(_stem(want), [])
            if claim(src, _unique(found), "named"):
                continue
            absent.append(src)
        loose.append(src)
    # 2. stems before numbers, so that 0001.xml takes 0001.tif before p-1.xml could
    rest: list[_Source] = []
    for src in loose:
        stem = _stem(base_name(src.rel))
        if not claim(src, _unique(by_stem.get(stem, [])), "stem"):
            rest.append(src)
    loose, rest = rest, []
    for src in loose:
        found = [i for n in src.numbers for i in by_number.get(n, [])]
        if not claim(src, _unique(found), "number"):
            rest.append(src)
    for p in out:
        if p.image in taken:
            src, how = taken[p.image]
            p.ocr, p.ocr_page, p.how = src.rel, src.index + 1, how
    _by_position(plan, out, rest)
    _report(plan, out, dupes, absent, taken)
    return out


def _disagree(src: _Source, image: str) -> bool:
    """True when the OCR page's names say it is not this page's."""
    if src.named:
        return True  # it names an image, and not this one (or step 1 would have paired it)
    numbers = _numbers(image) if image else frozenset()
    return bool(src.numbers and numbers and not src.numbers & numbers)


def _by_position(plan: "ItemPlan", out: list[PagePairing], rest: list[_Source]) -> None:
    open_pages = [p for p in out if not p.ocr]
    if rest and len(rest) == len(open_pages) and not any(
            _disagree(src, p.image) for src, p in zip(rest, open_pages)):
        for src, p in zip(rest, open_pages):
            p.ocr, p.ocr_page, p.how = src.rel, src.index + 1, "position"
        listed = ", ".join(f"{s.where} → page {p.label}"
                           for s, p in zip(rest[:_MAX_LISTED], open_pages))
        more = f" and {len(rest) - _MAX_LISTED} more" if len(rest) > _MAX_LISTED else ""
        plan.warn(f"{len(rest)} OCR page(s) paired with pages by position alone, as no name "
                  f"says which image they belong to: {listed}{more}; name the image in the "
                  "OCR or give the OCR file the image's name", plan.display,
                  code="ocr-by-position")
        return
    by_file: dict[str, list[_Source]] = {}
    for src in rest:
        by_file.setdefault(src.rel, []).append(src)
    for rel, srcs in by_file.items():
        what = rel if len(srcs) == 1 else f"{rel} ({len(srcs)} of its pages)"
        if srcs[0].named:
            what += f", which names {srcs[0].named[:200]},"
        plan.warn(f"{what} matches no image of the item (by the image it names, its file "
                  "name or its number); it is not used", f"{plan.display}/{rel}",
                  code="ocr-unmatched")


def _report(plan: "ItemPlan", out: list[PagePairing], dupes: list[tuple[_Source, str]],
            absent: list[_Source], taken: dict[str, tuple[_Source, str]]) -> None:
    for src, image in dupes:
        used = taken[image][0]
        plan.warn(f"two OCR files for image {image}: {used.where} is used, {src.where} is "
                  "not", f"{plan.display}/{src.rel}", code="ocr-duplicate")
    used = {(p.ocr, p.ocr_page) for p in out if p.ocr}
    paired = [s for s in absent if (s.rel, s.index + 1) in used]
    if paired:
        listed = ", ".join(f"{s.where} names {s.named}" for s in paired[:_MAX_LISTED])
        plan.warn(f"{len(paired)} OCR page(s) name an image the item does not have and were "
                  f"paired by their file name instead: {listed}", plan.display,
                  code="ocr-named-image-absent")


def pairing_of(plan: "ItemPlan") -> dict[int, PagePairing]:
    """Page order -> its pairing, for the pages that have OCR."""
    return {p.page: p for p in plan.pairing if p.ocr}



class OcrReader:
    """Reads paired OCR pages, parsing each file once even when it holds a whole volume.

    It parses the copy ingest stored (``stored``, the item's source folder in staging), never
    the batch file again: what is shown is what is kept.
    """

    def __init__(self, stored: "Path") -> None:
        self._stored = stored
        self._rel = ""
        self._pages: list = []

    def page(self, plan: "ItemPlan", pair: PagePairing):
        """A fresh copy of the OCR page of ``pair`` (callers scale its boxes in place)."""
        from .ocr import parse_ocr_pages

        if pair.ocr != self._rel:
            name = f"{plan.display}/{pair.ocr}"
            self._rel, self._pages = pair.ocr, []
            stored = self._stored / pair.ocr
            self._pages = parse_ocr_pages(stored, display_name=name,
                                          data=stored.read_bytes())
            if not self._pages:
                raise InputError("the OCR file holds no page", file=name)
        return copy.deepcopy(self._pages[pair.ocr_page - 1])
